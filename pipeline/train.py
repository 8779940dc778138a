"""Train and evaluate the theme classifier honestly: tuned on training folds, judged on a held-out set."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline import __version__
from pipeline.classify import (
    META_FILE,
    ThemeClassifier,
    context_features,
    feature_meta,
    fit_classifier,
    fit_context,
    library_versions,
    load_model,
    read_meta,
    save_model,
    sentence_inputs,
    theme_probabilities,
)
from pipeline.config import Settings
from pipeline.errors import LabelError, ModelError, RegressionError
from pipeline.labels import LabelledSentence, labels_sha256, load_labels
from pipeline.lexicon import LexiconTagger
from pipeline.segment import Segmenter
from pipeline.taxonomy import Taxonomy

THRESHOLD_GRID = np.round(np.arange(0.15, 0.91, 0.05), 2)
# Up to the top threshold: where the lexicon's hits on a theme are mostly false friends, a veto at or
# above the threshold leaves the classifier alone (when the grid stopped at 0.3, 15 of 17 themes sat there).
VETO_GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
NEAR_DUPLICATE_COSINE = 0.8


@dataclass(frozen=True)
class ThemeScore:
    theme: str
    support: int
    precision: float
    recall: float
    f1: float
    f1_low: float = float("nan")
    f1_high: float = float("nan")
    precision_low: float = float("nan")
    precision_high: float = float("nan")
    recall_low: float = float("nan")
    recall_high: float = float("nan")


@dataclass(frozen=True)
class Scores:
    """Per-theme and averaged scores of one system (lexicon, classifier or ensemble) on one set."""

    system: str
    themes: tuple[ThemeScore, ...]
    micro_f1: float
    macro_f1: float
    micro_precision: float
    micro_recall: float

    def by_theme(self) -> dict[str, ThemeScore]:
        return {score.theme: score for score in self.themes}


@dataclass
class TrainResult:
    model_dir: Path
    train_size: int
    test_size: int
    c: float
    thresholds: dict[str, float]
    cv_f1: dict[str, float]
    unreliable: list[str]
    test_scores: list[Scores] = field(default_factory=list)
    seconds: float = 0.0
    comparison: object | None = None  # labelling.Comparison with the model replaced, when there was one


def label_matrix(rows: Sequence[LabelledSentence], labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    y = np.zeros((len(rows), len(labels)), dtype=int)
    for r, row in enumerate(rows):
        for theme in row.themes:
            y[r, index[theme]] = 1
    return y


def _prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1


def score(system: str, y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str], bootstrap: int = 0, seed: int = 13) -> Scores:
    """P/R/F1 per theme with optional bootstrap 95% intervals (resampling sentences)."""
    tp = (y_true & y_pred).sum(0)
    fp = ((1 - y_true) & y_pred).sum(0)
    fn = (y_true & (1 - y_pred)).sum(0)
    precision, recall, f1 = _prf(tp, fp, fn)
    micro_p, micro_r, micro_f1 = _prf(tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True))
    intervals = np.full((3, 2, len(labels)), np.nan)
    if bootstrap:
        rng = np.random.default_rng(seed)
        samples = rng.integers(0, len(y_true), size=(bootstrap, len(y_true)))
        draws = []
        for sample in samples:
            t, p = y_true[sample], y_pred[sample]
            draws.append(_prf((t & p).sum(0), ((1 - t) & p).sum(0), (t & (1 - p)).sum(0)))
        stacked = np.array(draws)  # (bootstrap, 3, labels)
        intervals = np.stack([np.percentile(stacked, 2.5, axis=0), np.percentile(stacked, 97.5, axis=0)], axis=1)
    themes = tuple(
        ThemeScore(
            label, int(y_true[:, i].sum()), float(precision[i]), float(recall[i]), float(f1[i]),
            f1_low=float(intervals[2, 0, i]), f1_high=float(intervals[2, 1, i]),
            precision_low=float(intervals[0, 0, i]), precision_high=float(intervals[0, 1, i]),
            recall_low=float(intervals[1, 0, i]), recall_high=float(intervals[1, 1, i]),
        )
        for i, label in enumerate(labels)
    )
    supported = [t.f1 for t in themes if t.support > 0]
    return Scores(system, themes, float(micro_f1[0]), float(np.mean(supported)) if supported else 0.0, float(micro_p[0]), float(micro_r[0]))


def near_duplicates(train_texts: Sequence[str], test_texts: Sequence[str], threshold: float = NEAR_DUPLICATE_COSINE) -> list[tuple[int, int, float]]:
    """Pairs (train index, test index, cosine) of word TF-IDF vectors above threshold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(list(train_texts) + list(test_texts))
    similarity = vectorizer.transform(test_texts) @ vectorizer.transform(train_texts).T
    similarity = similarity.tocoo()
    pairs = [(int(j), int(i), float(v)) for i, j, v in zip(similarity.row, similarity.col, similarity.data) if v > threshold]
    return sorted(pairs, key=lambda pair: -pair[2])


def _folds(y: np.ndarray, settings: Settings) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train and test row indices of each cross-validation fold, stratified on every theme at once."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    splitter = MultilabelStratifiedKFold(n_splits=settings.cv_folds, shuffle=True, random_state=settings.seed)
    return list(splitter.split(np.zeros(len(y)), y))


def out_of_fold(inputs: np.ndarray, y: np.ndarray, settings: Settings,
                folds: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """Probabilities of each sentence from an n-gram model fitted on the other folds (`folds`: ones already made)."""
    oof = np.zeros(y.shape, dtype=float)
    for train_index, test_index in folds or _folds(y, settings):
        pipeline = fit_classifier(inputs[train_index], y[train_index], settings)
        oof[test_index] = theme_probabilities(pipeline, inputs[test_index], settings.relevance_gate)
    return oof


def fit_model(inputs: np.ndarray, y: np.ndarray, settings: Settings) -> tuple[object, object | None, np.ndarray]:
    """The n-gram pipeline and the context stage (None when off), each fitted on every row, and the
    out-of-fold probabilities of the two stages together, which thresholds are tuned on.

    The context stage learns from the n-gram model's out-of-fold probabilities, as it will meet
    the probabilities of sentences the model has not seen; its own out-of-fold probabilities come
    from the same folds."""
    folds = _folds(y, settings)  # ~1 s for 30,000 sentences: made once for both stages
    first = out_of_fold(inputs, y, settings, folds)
    pipeline = fit_classifier(inputs, y, settings)
    if not settings.context_stage:
        return pipeline, None, first
    features = context_features(first, inputs[:, 2])
    both = np.zeros(y.shape, dtype=float)
    for train_index, test_index in folds:
        both[test_index] = fit_context(features[train_index], y[train_index], settings).predict_proba(features[test_index])
    return pipeline, fit_context(features, y, settings), both


def tune_thresholds(y: np.ndarray, oof: np.ndarray, labels: Sequence[str]) -> tuple[dict[str, float], dict[str, float]]:
    """The F1-maximising threshold per theme on out-of-fold probabilities, and that F1."""
    thresholds, best_f1 = {}, {}
    for i, label in enumerate(labels):
        f1s = []
        for cut in THRESHOLD_GRID:
            predicted = (oof[:, i] >= cut).astype(int)
            _, _, f1 = _prf(np.array([(predicted & y[:, i]).sum()]), np.array([(predicted & (1 - y[:, i])).sum()]),
                            np.array([((1 - predicted) & y[:, i]).sum()]))
            f1s.append(float(f1[0]))
        best = int(np.argmax(f1s))
        thresholds[label], best_f1[label] = float(THRESHOLD_GRID[best]), f1s[best]
    return thresholds, best_f1


def refuse_paraphrases(rows: Sequence[LabelledSentence], held_rows: Sequence[LabelledSentence], name: str) -> None:
    """A held-out set that paraphrases the training set measures memory, not generalisation."""
    pairs = near_duplicates([r.text for r in rows], [r.text for r in held_rows]) if held_rows else []
    if pairs:
        i, j, cosine = pairs[0]
        raise LabelError(
            f"{len(pairs)} {name} sentence(s) nearly duplicate training sentences (cosine > {NEAR_DUPLICATE_COSINE}), "
            f"e.g. {held_rows[j].file}:{held_rows[j].line} ~ {rows[i].file}:{rows[i].line} ({cosine:.2f}); "
            f"a {name} set must not paraphrase the training set: rewrite or remove one of each pair"
        )


def split_label_dirs(labels: Path, test: Path | None) -> tuple[Path, Path | None]:
    """`corpus/labels` with train/ and test/ inside means both; otherwise labels is training data."""
    if test is None and (labels / "train").is_dir():
        return labels / "train", (labels / "test") if (labels / "test").is_dir() else None
    return labels, test


def held_out_dirs(labels: Path, test: Path | None) -> dict[str, Path]:
    """The sets the training set must not paraphrase, by name: the test set and, in a
    train/-and-test/ folder, dev/ (whole documents coded like the test set, never trained on but,
    unlike the test set, open to study for what the model gets wrong)."""
    _, test_dir = split_label_dirs(labels, test)
    folders = {"test": test_dir} if test_dir else {}
    if test is None and (labels / "train").is_dir() and (labels / "dev").is_dir():
        folders["development"] = labels / "dev"
    return folders


def lexicon_matrix(rows: Sequence[LabelledSentence], lexicon: LexiconTagger, segmenter: Segmenter) -> tuple[np.ndarray, list]:
    """0/1 lexicon predictions per row and theme, and the hits themselves."""
    index = {label: i for i, label in enumerate(lexicon.taxonomy.ids)}
    matrix = np.zeros((len(rows), len(index)), dtype=int)
    hits = []
    for r, row in enumerate(rows):
        row_hits = lexicon.tag_tokens(*segmenter.tokens_and_lemmas(row.text))
        hits.append(row_hits)
        for hit in row_hits:
            matrix[r, index[hit.theme]] = 1
    return matrix, hits


def ensemble_matrix(lexicon_y: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray, vetoes: np.ndarray) -> np.ndarray:
    """The ensemble rule of pipeline/ensemble.py, vectorised: classifier, or lexicon not vetoed."""
    return ((probabilities >= thresholds) | (lexicon_y.astype(bool) & (probabilities >= vetoes))).astype(int)


def tune_ensemble(y: np.ndarray, oof: np.ndarray, lexicon_y: np.ndarray, labels: Sequence[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Per theme, the threshold and veto that maximise the F1 of the ensemble on out-of-fold predictions."""
    thresholds, vetoes = {}, {}
    for i, label in enumerate(labels):
        best = (-1.0, 0.5, 0.0)
        for veto in VETO_GRID:
            for cut in THRESHOLD_GRID:
                predicted = ensemble_matrix(lexicon_y[:, [i]], oof[:, [i]], np.array([cut]), np.array([veto]))[:, 0]
                tp = int((predicted & y[:, i]).sum())
                f1 = 2 * tp / max(int(predicted.sum()) + int(y[:, i].sum()), 1)
                if f1 > best[0] + 1e-9:
                    best = (f1, float(cut), float(veto))
        thresholds[label], vetoes[label] = best[1], best[2]
    return thresholds, vetoes


def predict_sets(
    rows: Sequence[LabelledSentence], inputs: np.ndarray, classifier: ThemeClassifier | None,
    lexicon: LexiconTagger, segmenter: Segmenter, settings: Settings,
) -> dict[str, np.ndarray]:
    """0/1 predictions of the lexicon alone, the classifier alone and the ensemble."""
    labels = lexicon.taxonomy.ids
    lexicon_y, _ = lexicon_matrix(rows, lexicon, segmenter)
    result = {"lexicon": lexicon_y}
    if classifier is not None:
        probabilities = classifier.probabilities(inputs)
        cut = np.array([classifier.thresholds[label] for label in labels])
        result["classifier"] = (probabilities >= cut).astype(int)
        thresholds, vetoes = classifier.ensemble_rule(settings.classifier_veto)
        result["ensemble"] = ensemble_matrix(lexicon_y, probabilities, np.array([thresholds[label] for label in labels]),
                                             np.array([vetoes[label] for label in labels]))
    return result


def evaluate_rows(
    rows: Sequence[LabelledSentence], classifier: ThemeClassifier | None, lexicon: LexiconTagger,
    segmenter: Segmenter, settings: Settings, bootstrap: int = 0,
) -> list[Scores]:
    labels = lexicon.taxonomy.ids
    y = label_matrix(rows, labels)
    predictions = predict_sets(rows, sentence_inputs(rows, segmenter), classifier, lexicon, segmenter, settings)
    return [score(system, y, predicted, labels, bootstrap, settings.seed) for system, predicted in predictions.items()]


def _guard(model_dir: Path, test_rows: Sequence[LabelledSentence], new_scores: list[Scores], settings: Settings,
           lexicon: LexiconTagger, segmenter: Segmenter):  # noqa: ANN202 (labelling.Comparison)
    """Compare with the model already in model_dir on the same test set; refuse a regression."""
    from pipeline.labelling import compare_models, comparison_table, reliability_floors

    try:
        current = load_model(model_dir, lexicon.taxonomy.ids)
    except ModelError:
        return None  # incompatible or damaged: nothing meaningful to compare with
    old_scores = evaluate_rows(test_rows, current, lexicon, segmenter, settings)
    comparison = compare_models(old_scores, new_scores, settings.retrain_tolerance,
                                reliability_floors(read_meta(model_dir), settings.reliability_f1_floor))
    if not comparison.accepted:
        header, rows = comparison_table(comparison)
        table = "\n".join("  " + "  ".join(str(cell) for cell in row) for row in [header, *rows])
        raise RegressionError(
            "; ".join(comparison.reasons) + f". The current model in {model_dir} is kept; check the new labels "
            f"(`councilscan label check`) or retrain with --force to replace it anyway.\n{table}"
        )
    return comparison


def train(
    labels_path: Path, test_path: Path | None, model_dir: Path, settings: Settings,
    taxonomy: Taxonomy, segmenter: Segmenter, lexicon: LexiconTagger, force: bool = False,
) -> TrainResult:
    started = dt.datetime.now(dt.UTC)
    train_dir, test_dir = split_label_dirs(labels_path, test_path)
    labels = taxonomy.ids
    rows = load_labels(train_dir, labels)
    test_rows = load_labels(test_dir, labels) if test_dir else []
    for name, folder in held_out_dirs(labels_path, test_path).items():
        refuse_paraphrases(rows, test_rows if name == "test" else load_labels(folder, labels), name)
    y = label_matrix(rows, labels)
    thin = [label for label, n in zip(labels, y.sum(0)) if n < settings.cv_folds]
    if thin:
        raise LabelError(f"{train_dir}: theme(s) {', '.join(thin)} have fewer than {settings.cv_folds} positive examples; label more")
    inputs = sentence_inputs(rows, segmenter)
    pipeline, context, oof = fit_model(inputs, y, settings)
    thresholds, cv_f1 = tune_thresholds(y, oof, labels)
    predicted = (oof >= np.array([thresholds[label] for label in labels])).astype(int)
    cv_micro = score("cv", y, predicted, labels).micro_f1
    lexicon_y, _ = lexicon_matrix(rows, lexicon, segmenter)
    ensemble_thresholds, vetoes = tune_ensemble(y, oof, lexicon_y, labels)
    ensemble_cut = (np.array([ensemble_thresholds[label] for label in labels]), np.array([vetoes[label] for label in labels]))
    cv_ensemble = score("cv-ensemble", y, ensemble_matrix(lexicon_y, oof, *ensemble_cut), labels)
    unreliable = [label for label in labels if cv_f1[label] < settings.reliability_f1_floor]
    data_sha = labels_sha256(train_dir)
    # Anything that changes the predictions changes the id, so cached analyse results are never reused wrongly.
    features = settings.classifier_features
    recipe = json.dumps([data_sha, taxonomy.sha256, features, settings.classifier_c, settings.relevance_gate,
                         settings.neighbour_weight, settings.neighbour_dropout, settings.context_stage, settings.seed,
                         settings.cv_folds, __version__,
                         library_versions()["scikit-learn"], thresholds, ensemble_thresholds, vetoes], sort_keys=True)
    model_id = f"theme-classifier-{features}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"
    classifier = ThemeClassifier(pipeline, labels, thresholds, {label: label not in unreliable for label in labels}, model_id,
                                 ensemble_thresholds, vetoes, settings.relevance_gate, context)
    test_scores = evaluate_rows(test_rows, classifier, lexicon, segmenter, settings, settings.bootstrap_samples) if test_rows else []
    finished = dt.datetime.now(dt.UTC)
    result = TrainResult(model_dir, len(rows), len(test_rows), settings.classifier_c, thresholds, cv_f1, unreliable, test_scores,
                         (finished - started).total_seconds())
    meta = {
        "model_id": model_id,
        "councilscan": __version__,
        "created": finished.replace(microsecond=0).isoformat(),
        "labels": list(labels),
        "thresholds": thresholds,
        "ensemble": {"thresholds": ensemble_thresholds, "vetoes": vetoes},
        "reliable": classifier.reliable,
        "unreliable": unreliable,
        "reliability_f1_floor": settings.reliability_f1_floor,
        "targets": targets(settings),
        "cv_folds": settings.cv_folds,
        "bootstrap": f"{settings.bootstrap_samples} resamples of the test sentences",
        "c": settings.classifier_c,
        "relevance_gate": settings.relevance_gate,
        **feature_meta(settings),
        "versions": library_versions(),
        "training_data": {"path": str(train_dir), "sha256": data_sha, "sentences": len(rows)},
        "test_data": {"path": str(test_dir) if test_dir else None, "sha256": labels_sha256(test_dir) if test_dir else None,
                      "sentences": len(test_rows)},
        "taxonomy_sha256": taxonomy.sha256,
        "metrics": {
            "cv": {"micro_f1": round(cv_micro, 4), "f1": {k: round(v, 4) for k, v in cv_f1.items()},
                   "ensemble_micro_f1": round(cv_ensemble.micro_f1, 4)},
            "test": {s.system: {"micro_f1": round(s.micro_f1, 4), "macro_f1": round(s.macro_f1, 4)} for s in test_scores},
        },
    }
    if (model_dir / META_FILE).is_file():
        from pipeline.labelling import archive_model

        if test_rows and not force:
            result.comparison = _guard(model_dir, test_rows, test_scores, settings, lexicon, segmenter)
        archive_model(model_dir)
    save_model(classifier, model_dir, meta)
    _write_atomic(model_dir / "MODEL_CARD.md", model_card(result, meta, y))
    return result


def evaluate(labels_path: Path, model_dir: Path | None, settings: Settings, taxonomy: Taxonomy,
             segmenter: Segmenter, lexicon: LexiconTagger) -> list[Scores]:
    """Score lexicon, classifier and ensemble on any labelled file or folder."""
    rows = load_labels(labels_path, taxonomy.ids)
    classifier = load_model(model_dir, taxonomy.ids) if model_dir else None
    return evaluate_rows(rows, classifier, lexicon, segmenter, settings, settings.bootstrap_samples)


def targets(settings: Settings) -> dict[str, float]:
    """The target_* settings, as meta.json records them."""
    return {name: getattr(settings, f"target_{name}") for name in ("micro_f1", "macro_f1", "precision", "recall")}


def relied_on(scores: Sequence[Scores]) -> Scores:
    """The scores of what `analyse` relies on: the ensemble, else the classifier, else the lexicon."""
    by_name = {s.system: s for s in scores}
    return next(by_name[name] for name in ("ensemble", "classifier", "lexicon") if name in by_name)


def target_report(scores: Sequence[Scores], goals: dict[str, float], unreliable: Sequence[str] = ()) -> list[str]:
    """Which targets the relied-on system meets, one line each; the per-theme line names the reliable themes
    that fall short. Themes absent from the set are not judged."""
    system = relied_on(scores)
    held = [t for t in system.themes if t.support > 0 and t.theme not in unreliable]
    short = [t for t in held if t.precision < goals["precision"] or t.recall < goals["recall"]]
    lines = [f"{system.system} {name} {value:.3f} (target {goals[key]:g}): {'met' if value >= goals[key] else 'NOT met'}"
             for name, key, value in (("micro-F1", "micro_f1", system.micro_f1), ("macro-F1", "macro_f1", system.macro_f1))]
    lines.append(f"{system.system} precision >= {goals['precision']:g} and recall >= {goals['recall']:g}: "
                 f"{len(held) - len(short)} of {len(held)} themes"
                 + ("; short: " + ", ".join(f"{t.theme} ({t.precision:.2f} / {t.recall:.2f})" for t in short) if short else ""))
    return lines


def scores_table(scores: Sequence[Scores]) -> tuple[tuple[str, ...], list[tuple]]:
    """Rows for CSV: one per system x theme, plus micro and macro rows."""
    header = ("system", "theme", "support", "precision", "recall", "f1", "f1_low", "f1_high")
    rows: list[tuple] = []
    for s in scores:
        for t in s.themes:
            rows.append((s.system, t.theme, t.support, round(t.precision, 4), round(t.recall, 4), round(t.f1, 4),
                         _r(t.f1_low), _r(t.f1_high)))
        rows.append((s.system, "micro", sum(t.support for t in s.themes), round(s.micro_precision, 4),
                     round(s.micro_recall, 4), round(s.micro_f1, 4), "", ""))
        rows.append((s.system, "macro", "", "", "", round(s.macro_f1, 4), "", ""))
    return header, rows


def _r(value: float) -> float | str:
    return "" if np.isnan(value) else round(value, 4)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def model_card(result: TrainResult, meta: dict, y_train: np.ndarray) -> str:
    labels = meta["labels"]
    systems = {s.system: s for s in result.test_scores}
    lines = [
        "# Model card: councilscan theme classifier",
        "",
        f"- **Model id:** `{meta['model_id']}` (created {meta['created']}, councilscan {meta['councilscan']})",
        f"- **What it does:** tags a sentence from a council digital strategy with any of the {len(labels)} themes of "
        "the councilscan taxonomy (multi-label). In `analyse` it works together with the lexicon (see README, "
        "'How themes are found').",
        f"- **Model:** {meta['feature_description']}; one-vs-rest logistic regression (C={result.c}, balanced class weights); "
        + (f"each theme's probability multiplied by P(any theme) ** {meta['relevance_gate']} (README: relevance gate); "
           if meta.get("relevance_gate") else "")
        + (f"{meta['context_stage']}; " if meta.get("context_stage") else "")
        + "per-theme thresholds tuned for F1 on out-of-fold predictions of "
        f"{meta['cv_folds']}-fold multilabel-stratified cross-validation on the training set. For `analyse`, which "
        "combines lexicon and classifier, a second threshold and a veto per theme are tuned the same way for the F1 "
        "of that combination (README, 'How themes are found').",
        f"- **Training data:** {result.train_size} sentences written by the councilscan team in the registers of "
        f"real strategies (`{meta['training_data']['path']}`, sha256 `{meta['training_data']['sha256'][:16]}...`).",
        f"- **Test data:** {result.test_size} sentences from separately written whole documents "
        f"(`{meta['test_data']['path']}`), never used for training or tuning; checked for near-duplicates of training "
        f"sentences (word TF-IDF cosine > {NEAR_DUPLICATE_COSINE} fails training).",
        "- **Libraries:** " + ", ".join(f"{k} {v}" for k, v in sorted(meta["versions"].items())),
        "",
        "## Results on the held-out test set",
        "",
    ]
    if systems:
        lines += ["| system | micro-F1 | macro-F1 | micro-precision | micro-recall |", "|---|---:|---:|---:|---:|"]
        for name in ("lexicon", "classifier", "ensemble"):
            if name in systems:
                s = systems[name]
                lines.append(f"| {name} | {s.micro_f1:.3f} | {s.macro_f1:.3f} | {s.micro_precision:.3f} | {s.micro_recall:.3f} |")
        lines += ["", "Per theme, ensemble (what `analyse` uses) with bootstrap 95% intervals "
                  f"({meta.get('bootstrap', 'resampling test sentences')}), and the lexicon alone for comparison:", "",
                  "| theme | test positives | precision | recall | F1 [95% CI] | lexicon F1 | CV F1 | threshold | ensemble threshold / veto | reliable |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---:|---|"]
        ensemble = relied_on(result.test_scores).by_theme()
        lexicon = systems["lexicon"].by_theme()
        for label in labels:
            t = ensemble[label]
            lines.append(
                f"| {label} | {t.support} | {t.precision:.2f} [{t.precision_low:.2f}-{t.precision_high:.2f}] | "
                f"{t.recall:.2f} [{t.recall_low:.2f}-{t.recall_high:.2f}] | {t.f1:.2f} [{t.f1_low:.2f}-{t.f1_high:.2f}] | "
                f"{lexicon[label].f1:.2f} | {result.cv_f1[label]:.2f} | {result.thresholds[label]:.2f} | "
                f"{meta['ensemble']['thresholds'][label]:.2f} / {meta['ensemble']['vetoes'][label]:.2f} | "
                f"{'no' if label in result.unreliable else 'yes'} |"
            )
        lines += ["", "## Against the targets", "",
                  "On the held-out test set (settings `target_*`; a theme below the reliability floor is not held "
                  "to the per-theme targets):", "",
                  *[f"- {line}" for line in target_report(result.test_scores, meta["targets"], result.unreliable)]]
    else:
        lines.append("No test set was given: only cross-validated figures are available.")
    lines += [
        "",
        "## Unreliable themes",
        "",
        (f"Cross-validated F1 below the floor of {meta['reliability_f1_floor']}: "
         + ", ".join(f"`{t}`" for t in result.unreliable) + ". `analyse` reports them as `not_assessable` when "
         "nothing was found, rather than as a gap.") if result.unreliable else
        f"None: every theme reached the cross-validated F1 floor of {meta['reliability_f1_floor']}.",
        "",
        "## Training data by theme",
        "",
        "| theme | training positives |",
        "|---|---:|",
        *[f"| {label} | {int(n)} |" for label, n in zip(labels, y_train.sum(0))],
        f"| (no theme) | {int((y_train.sum(1) == 0).sum())} |",
        "",
        "## Intended use and limits",
        "",
        "- Intended for finding evidence of themes in UK council digital strategies, as a first pass that a "
        "researcher checks against the quoted sentences and page numbers. Not for scoring or ranking councils "
        "without that check.",
        "- Both training and test sentences were written by the councilscan team, imitating real documents. Real "
        "strategies, written by many hands, will score lower than the figures above; treat them as an upper bound "
        "and label real sentences (`councilscan label`) to measure and improve it.",
        "- English only. Welsh and other non-English blocks are skipped by `analyse`.",
        ("- Each sentence is read with the sentences just before and after it in its document, not with its section "
         "heading: a sentence whose theme is clear only from a heading further up may be missed."
         if meta.get("neighbour_weight") else
         "- Sentences are judged alone: a sentence whose theme is only clear from its context may be missed."),
        "",
    ]
    return "\n".join(lines)
