"""The retraining loop: choose sentences worth labelling, import the labels, judge a retrained model.

export_candidates -> a researcher fills in `themes` -> import_labels -> `councilscan train` ->
compare_models (refuse a worse model) -> archive_model (keep the one it replaces).
learning_curve says whether more labels still help; label_quality lists labels that the model,
trained without them, confidently contradicts.

Like run.py and train.py this module wires stages together; it returns plain data and raises
PipelineErrors, and the CLI presents both.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.cache import document_cache
from pipeline.classify import (
    CONTEXT_FILE,
    META_FILE,
    MODEL_FILE,
    ThemeClassifier,
    document_input,
    load_model,
    read_meta,
    sentence_inputs,
)
from pipeline.config import Settings
from pipeline.depth import DepthTagger
from pipeline.errors import InputError, LabelError, ModelError, read_json
from pipeline.extract import find_documents, normalise_text, sha256_of
from pipeline.labels import LabelledSentence, label_files, load_labels, read_label_file
from pipeline.report import FORMULA_STARTS, csv_text, write_atomic
from pipeline.run import Analyser
from pipeline.segment import segment
from pipeline.tools import Tools
from pipeline.train import (
    Scores,
    fit_model,
    held_out_dirs,
    label_matrix,
    near_duplicates,
    out_of_fold,
    score,
    split_label_dirs,
    tune_thresholds,
)

STRATEGIES = ("uncertain", "disagree", "random")
CANDIDATE_COLUMNS = ("doc_id", "page", "sentence_no", "previous", "text", "next", "predicted", "lexicon", "strategy",
                     "themes", "note")
# previous/next keep an imported sentence's context: imported rows are not running text.
LABEL_COLUMNS = ("text", "themes", "doc_id", "source", "note", "previous", "next")
BASIC_COLUMNS = LABEL_COLUMNS[:5]  # enough for a label file; importing into one drops the context
# In a candidates file an empty `themes` cell means "not labelled yet" (the row is skipped), so a
# researcher who stops half-way does not import a pile of false negatives; "no theme" is written so.
NO_THEME = "none"
CARD_FILE = "MODEL_CARD.md"
HISTORY = "history"
MAX_ERRORS_SHOWN = 10


# ---------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True)
class Candidate:
    """One sentence offered for labelling, with its neighbours and what the tools said about it."""

    doc_id: str
    page: int
    sentence_no: int
    previous: str
    text: str
    next: str
    predicted: tuple[str, ...]  # the classifier's own themes (p >= ThemeClassifier.thresholds, as `classify`)
    lexicon: tuple[str, ...]  # the lexicon's themes
    strategy: str
    score: float  # what the strategy ranked by: uncertain = distance to the nearest threshold (small first);
    # disagree = the classifier's distance from its threshold on a disputed theme (large first); random = 0


def label_key(text: str) -> str:
    """The identity of a labelled sentence: load_labels' rule (case and spacing ignored) plus the
    extractor's normalisation, so a curly quote or ligature typed in a label file still matches."""
    return normalise_text(" ".join(text.lower().split())).lower()


def labelled_sentences(labelled: Path, known: tuple[str, ...]) -> dict[str, LabelledSentence]:
    """Every labelled sentence under labelled (train and test alike), by label_key; first one wins."""
    found: dict[str, LabelledSentence] = {}
    for file in label_files(labelled):
        for row in read_label_file(file, known):
            found.setdefault(label_key(row.text), row)
    return found


def _read_run(output_dir: Path) -> dict:
    return read_json(output_dir / "run.json", InputError, "not found; give a folder written by `councilscan analyse`",
                     "run `councilscan analyse` again")


def _locate(inputs: list[dict], docs_folder: Path, run_json: Path) -> list[tuple[str, Path, str]]:
    """(doc_id, path, sha256) of each readable analysed document, found in docs_folder by content
    (run.json keeps file names only, and a name may have moved or been reused)."""
    if not docs_folder.is_dir():
        raise InputError(f"{docs_folder}: not a folder; give the folder that was analysed")
    wanted = [i for i in inputs if i.get("status") != "failed"]
    by_digest: dict[str, Path] = {}
    for path in find_documents(docs_folder)[0]:
        by_digest.setdefault(sha256_of(path), path)
    missing = [i["file"] for i in wanted if i["sha256"] not in by_digest]
    if missing:
        raise InputError(
            f"{run_json}: {len(missing)} analysed document(s) are not in {docs_folder} with the same content "
            f"(e.g. {missing[0]}); give the folder that was analysed, or analyse it again"
        )
    return sorted((i["doc_id"], by_digest[i["sha256"]], i["sha256"]) for i in wanted)


def export_candidates(
    output_dir: Path, docs_folder: Path, model_dir: Path, labelled: Path, settings: Settings, tools: Tools,
    strategy: str = "uncertain", n: int = 200, seed: int = 13,
) -> list[Candidate]:
    """Pick up to n unlabelled sentences from the documents analysed into output_dir, best first.

    Every sentence of every readable document is considered (not only evidence), read again from
    docs_folder the way `analyse` read it, so `page` and `sentence_no` match evidence.csv. A sentence
    whose text is already labelled anywhere under labelled is never offered, nor is one twice."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}")
    run_info = _read_run(output_dir)
    documents = _locate(run_info.get("inputs", []), docs_folder, output_dir / "run.json")
    analysed = run_info.get("settings", {})
    # Read the documents as the analysis did (same page limit and OCR), from its extraction cache when warm.
    settings = replace(settings, max_pages=analysed.get("max_pages", settings.max_pages), ocr=analysed.get("ocr", settings.ocr))
    labels = tools.taxonomy.ids
    classifier = load_model(model_dir, labels)
    analyser = Analyser(settings, tools.taxonomy, tools.segmenter, tools.lexicon, classifier,
                        document_cache(Path(settings.cache_dir) if settings.cache_dir else None),
                        DepthTagger(tools.segmenter.nlp.vocab))  # type: ignore[attr-defined]
    cut = np.array([classifier.thresholds[label] for label in labels])
    seen = set(labelled_sentences(labelled, labels))
    pool: list[Candidate] = []
    margins: list[np.ndarray] = []  # |p - threshold| per theme, one row per pooled sentence
    for doc_id, path, digest in documents:
        sentences = segment(analyser.read_document(path, digest), tools.segmenter)
        probabilities = classifier.probabilities(document_input([s.lemma_text for s in sentences]))
        predicted = classifier.themes(probabilities)
        for i, sentence in enumerate(sentences):
            key = label_key(sentence.text)
            if key in seen:
                continue
            seen.add(key)
            found = {hit.theme for hit in tools.lexicon.tag(sentence)}
            pool.append(Candidate(
                doc_id, sentence.page, sentence.sentence_no,
                sentences[i - 1].text if i else "", sentence.text, sentences[i + 1].text if i + 1 < len(sentences) else "",
                predicted[i],
                tuple(label for label in labels if label in found), strategy, 0.0,
            ))
            margins.append(np.abs(probabilities[i] - cut))
    return _select(pool, np.array(margins).reshape(len(pool), len(labels)), labels, strategy, n, seed)


def _select(pool: list[Candidate], margins: np.ndarray, labels: tuple[str, ...], strategy: str, n: int,
            seed: int) -> list[Candidate]:
    if strategy == "random":
        order = np.random.default_rng(seed).permutation(len(pool))[:n]
        return [pool[i] for i in order]
    if strategy == "uncertain":
        # Nearest a threshold on any theme: the model is least sure of this sentence.
        ranked = sorted(range(len(pool)), key=lambda i: (margins[i].min(), i))
        return [replace(pool[i], score=round(float(margins[i].min()), 4)) for i in ranked[:n]]
    # disagree: the lexicon and the classifier differ on some theme; the most confident dispute
    # first, since either the lexicon has a false friend or the classifier a blind spot.
    disputes = []
    for i, candidate in enumerate(pool):
        disputed = [labels.index(t) for t in set(candidate.predicted) ^ set(candidate.lexicon)]
        if disputed:
            disputes.append((-float(margins[i][disputed].max()), i))
    return [replace(pool[i], score=round(-negative, 4)) for negative, i in sorted(disputes)[:n]]


def write_candidates_csv(candidates: Sequence[Candidate], path: Path) -> Path:
    """Write the candidates for a spreadsheet: UTF-8 with a BOM, formula-safe, `themes` left to fill in."""
    rows = [(c.doc_id, c.page, c.sentence_no, c.previous, c.text, c.next, ";".join(c.predicted), ";".join(c.lexicon),
             c.strategy, "", "") for c in candidates]
    write_atomic(path, csv_text(CANDIDATE_COLUMNS, rows))
    return path


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class ImportReport:
    source: Path
    target: Path
    dry_run: bool
    rows: int  # rows with a sentence
    added: tuple[LabelledSentence, ...]  # as written to target (file and line point into source)
    already_labelled: int  # the same sentence with the same themes is already in the labels or target
    repeated: int  # the same sentence with the same themes earlier in this file
    unlabelled: int  # `themes` left empty: skipped

    def by_theme(self) -> dict[str, int]:
        """How many added sentences carry each theme; `(no theme)` counts explicit negatives."""
        counts = Counter(theme for row in self.added for theme in row.themes or ("(no theme)",))
        return dict(sorted(counts.items()))


def _unescape(value: str) -> str:
    """Undo report.safe_cell, which prefixed formula-like cells of the export with a quote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _others(target: Path, labels: Path) -> list[tuple[str, Path]]:
    """The sets the target must not paraphrase: training for a held-out (test or development) file,
    the held-out sets for a training file."""
    held_out = held_out_dirs(labels, None)
    if not held_out:
        return []
    if any(target.resolve().is_relative_to(folder.resolve()) for folder in held_out.values()):
        return [("training", split_label_dirs(labels, None)[0])]
    return list(held_out.items())


def _raise_all(errors: list[str]) -> None:
    if errors:
        more = f"\n... and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise LabelError("\n".join(errors[:MAX_ERRORS_SHOWN]) + more)


def _header(text: str) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), []))


def _check_target(target: Path, known: tuple[str, ...]) -> list[LabelledSentence]:
    """The target's rows; it must already be a label file with the standard header."""
    rows = read_label_file(target, known)
    header = _header(target.read_text(encoding="utf-8-sig"))
    if header not in (LABEL_COLUMNS, BASIC_COLUMNS):
        raise LabelError(f"{target}:1: the header is {','.join(header)!r}, not {','.join(LABEL_COLUMNS)!r}; "
                         "import into a new file instead")
    return rows


def import_labels(
    csv_path: Path, target: Path, labels: Path, known: tuple[str, ...], annotator: str = "", dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Validate a filled-in candidates file (or any label file) and append its new labels to target.

    `themes` holds `;`-separated ids, or `none` for a sentence with no theme; rows left empty are
    skipped. Sentences already labelled the same way (under labels, or in target) are skipped, so
    importing a file twice adds nothing. Every problem is reported at once, by file and line: an
    unknown id (with a suggestion), a sentence labelled two ways in the file or against the
    existing labels, or one that paraphrases the other side of the split (training against test and development)."""
    rows = read_label_file(csv_path, (*known, NO_THEME))  # encoding, BOM, `;` or `,`, unknown ids
    existing = labelled_sentences(labels, known) if labels.exists() else {}
    if target.is_file():
        for row in _check_target(target, known):
            existing.setdefault(label_key(row.text), row)
    errors: list[str] = []
    fresh: dict[str, LabelledSentence] = {}
    already = repeated = unlabelled = 0
    for row in rows:
        if not row.themes:
            unlabelled += 1
            continue
        where = f"{row.file}:{row.line}"
        if NO_THEME in row.themes and len(row.themes) > 1:
            errors.append(f"{where}: {NO_THEME!r} cannot go with theme ids ({';'.join(row.themes)}); keep one")
            continue
        row = replace(row, text=_unescape(row.text), note=_unescape(row.note),
                      previous=row.previous and _unescape(row.previous), next=row.next and _unescape(row.next),
                      themes=() if row.themes == (NO_THEME,) else row.themes)
        key = label_key(row.text)
        shown = ";".join(row.themes) or NO_THEME
        in_this_file = key in fresh
        earlier = fresh.get(key) or existing.get(key)
        if earlier is None:
            fresh[key] = row
        elif earlier.themes == row.themes:
            repeated, already = (repeated + 1, already) if in_this_file else (repeated, already + 1)
        else:
            at, fix = (f"line {earlier.line}", "keep one label") if in_this_file else (f"{earlier.file}:{earlier.line}", "correct one of them")
            errors.append(f"{where}: this sentence is labelled {shown} here but {';'.join(earlier.themes) or NO_THEME} at {at}; {fix}")
    must_not_paraphrase = _others(target, labels) if labels.is_dir() and fresh else []
    for other_name, other_dir in must_not_paraphrase:
        others = [row for file in label_files(other_dir) for row in read_label_file(file, known)]
        new_rows = list(fresh.values())
        for i, j, cosine in near_duplicates([r.text for r in new_rows], [r.text for r in others]):
            errors.append(f"{new_rows[i].file}:{new_rows[i].line}: nearly duplicates the {other_name} sentence at "
                          f"{others[j].file}:{others[j].line} (cosine {cosine:.2f}); `train` refuses held-out sets that "
                          "paraphrase the training set: drop this row")
    _raise_all(errors)
    stamp = f"imported {(today or dt.date.today()).isoformat()}" + (f" by {annotator}" if annotator else "")
    added = tuple(replace(row, source=f"import:{csv_path.name}", note=f"{stamp}; {row.note}" if row.note else stamp)
                  for row in fresh.values())
    if added and not dry_run:
        _append(target, added)
    return ImportReport(csv_path, target, dry_run, len(rows), added, already, repeated, unlabelled)


def _append(target: Path, rows: Sequence[LabelledSentence]) -> None:
    """Add rows to target in the label format, keeping its encoding, line ends and columns; atomic."""
    old = target.read_bytes().decode("utf-8") if target.is_file() else ""
    ending = "\n" if old and "\r\n" not in old else "\r\n"  # the corpus files are written by csv: CRLF
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=ending)
    if not old.strip("\ufeff \r\n"):
        old = ""
        writer.writerow(LABEL_COLUMNS)
    elif not old.endswith("\n"):
        old += ending
    width = len(BASIC_COLUMNS) if old and _header(old) == BASIC_COLUMNS else len(LABEL_COLUMNS)  # an older file: no context
    # Label files are training data, not reports: text is written exactly (no formula quoting).
    writer.writerows((r.text, ";".join(r.themes), r.doc_id, r.source, r.note, r.previous or "", r.next or "")[:width] for r in rows)
    write_atomic(target, old + buffer.getvalue())


# ---------------------------------------------------------------------------------------------
# Replacing a model


@dataclass(frozen=True)
class ThemeChange:
    theme: str
    support: int  # test positives (the same for both models: one test set)
    old_f1: float
    new_f1: float
    floor: float | None  # None: the theme is not held to a floor (unreliable in the current model)
    refused: bool  # this theme alone would refuse the new model

    @property
    def delta(self) -> float:
        return self.new_f1 - self.old_f1


@dataclass(frozen=True)
class Comparison:
    system: str  # which system was compared: the ensemble when both have it, which is what `analyse` uses
    accepted: bool
    reasons: tuple[str, ...]  # why not, when refused
    old_micro_f1: float
    new_micro_f1: float
    old_macro_f1: float
    new_macro_f1: float
    changes: tuple[ThemeChange, ...]


COMPARISON_COLUMNS = ("theme", "support", "old_f1", "new_f1", "change", "floor", "verdict")


def reliability_floors(meta: Mapping, floor: float | None = None) -> dict[str, float]:
    """Floors for compare_models: every theme the current model (its meta.json) calls reliable."""
    cut = float(meta.get("reliability_f1_floor", 0.6) if floor is None else floor)
    return {theme: cut for theme, reliable in meta.get("reliable", {}).items() if reliable}


def _system(scores: Sequence[Scores], name: str) -> Scores | None:
    return next((s for s in scores if s.system == name), None)


def compare_models(old: Sequence[Scores], new: Sequence[Scores], tolerance: float, floors: Mapping[str, float]) -> Comparison:
    """Say whether a new model may replace the current one, both scored on the same test set.

    Refused when its micro-F1 falls by more than tolerance, or when a theme with a floor falls below
    it. A theme already below its floor in the current model is held to the tolerance instead, so
    that one weak theme cannot block every retraining."""
    name = "ensemble" if _system(old, "ensemble") and _system(new, "ensemble") else "classifier"
    before, after = _system(old, name), _system(new, name)
    if before is None or after is None:
        raise ValueError(f"both score lists need a {name!r} system")
    old_themes, new_themes = before.by_theme(), after.by_theme()
    if {t: s.support for t, s in old_themes.items()} != {t: s.support for t, s in new_themes.items()}:
        raise ValueError("the two models were scored on different test sets; score both on the same one")
    eps = 1e-9  # F1s are ratios of counts: ignore float noise at the boundary
    reasons, changes = [], []
    if before.micro_f1 - after.micro_f1 > tolerance + eps:
        reasons.append(f"{name} micro-F1 fell from {before.micro_f1:.3f} to {after.micro_f1:.3f}, "
                       f"more than the tolerance of {tolerance:.3f}")
    for theme, was in old_themes.items():
        now, floor = new_themes[theme], floors.get(theme)
        refused = floor is not None and now.f1 < floor - eps and (was.f1 >= floor - eps or was.f1 - now.f1 > tolerance + eps)
        if refused:
            reasons.append(f"{theme} F1 fell from {was.f1:.3f} to {now.f1:.3f}, below its floor of {floor:.2f}")
        changes.append(ThemeChange(theme, was.support, was.f1, now.f1, floor, refused))
    return Comparison(name, not reasons, tuple(reasons), before.micro_f1, after.micro_f1, before.macro_f1, after.macro_f1,
                      tuple(changes))


def comparison_table(comparison: Comparison) -> tuple[tuple[str, ...], list[tuple]]:
    """Rows for printing or CSV: one per theme, then micro and macro."""
    rows: list[tuple] = [
        (c.theme, c.support, round(c.old_f1, 4), round(c.new_f1, 4), f"{c.delta:+.4f}",
         "" if c.floor is None else c.floor, "refused" if c.refused else "")
        for c in comparison.changes
    ]
    for average, was, now in (("micro", comparison.old_micro_f1, comparison.new_micro_f1),
                              ("macro", comparison.old_macro_f1, comparison.new_macro_f1)):
        rows.append((average, sum(c.support for c in comparison.changes) if average == "micro" else "", round(was, 4),
                     round(now, 4), f"{now - was:+.4f}", "", ""))
    return COMPARISON_COLUMNS, rows


def archive_model(model_dir: Path) -> Path:
    """Copy the current model (model.skops, context.skops, meta.json, MODEL_CARD.md) to model_dir/history/<model_id>/."""
    meta = read_meta(model_dir)  # ModelError when there is no model to archive
    if not (model_dir / MODEL_FILE).is_file():
        raise ModelError(f"{model_dir / MODEL_FILE}: missing; nothing to archive")
    model_id = str(meta.get("model_id") or "unknown")
    stamp = str(meta.get("created", "")).replace("-", "").replace(":", "").split("+")[0]
    history = model_dir / HISTORY
    current_meta = (model_dir / META_FILE).read_bytes()
    # The id hashes the training data and taxonomy, so a retrain of the same data with other
    # settings or code reuses it: such a model is archived beside the first, under its creation time.
    for name in (model_id, f"{model_id}-{stamp}"):
        folder = history / name
        if not folder.exists():
            tmp = history / f".{name}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for file in (MODEL_FILE, CONTEXT_FILE, META_FILE, CARD_FILE):
                if (model_dir / file).is_file():
                    shutil.copy2(model_dir / file, tmp / file)
            tmp.rename(folder)
            return folder
        if (folder / META_FILE).is_file() and (folder / META_FILE).read_bytes() == current_meta:
            return folder  # archived already
    raise ModelError(f"{history}: {model_id} is archived twice already with other contents; move one aside")


# ---------------------------------------------------------------------------------------------
# How much labelling helps, and which labels look wrong


def _stratified_subset(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    if fraction >= 1:
        return np.arange(len(y))
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, train_size=fraction, test_size=1 - fraction, random_state=seed)
    train_index, _ = next(splitter.split(np.zeros(len(y)), y))
    return np.sort(train_index)


def learning_curve(
    labels: Path, test: Path | None, settings: Settings, tools: Tools, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
) -> list[tuple[float, int, float, float]]:
    """(fraction, sentences, test micro-F1, test macro-F1) of the classifier trained on stratified
    fractions of the training labels, each with thresholds tuned on its own out-of-fold predictions
    as `train` does. If the last step still gains, more labels will help.

    The classifier alone is scored: the lexicon does not learn from labels, so it would only flatten the curve."""
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ValueError(f"fractions must lie in (0, 1]: {fractions}")
    train_dir, test_dir = split_label_dirs(labels, test)
    if test_dir is None:
        raise LabelError(f"{labels}: no test set (a test/ folder, or give one) to draw the curve against")
    ids = tools.taxonomy.ids
    rows, test_rows = load_labels(train_dir, ids), load_labels(test_dir, ids)
    inputs, test_inputs = sentence_inputs(rows, tools.segmenter), sentence_inputs(test_rows, tools.segmenter)
    y, y_test = label_matrix(rows, ids), label_matrix(test_rows, ids)
    points = []
    for fraction in sorted(fractions):
        index = _stratified_subset(y, fraction, settings.seed)
        pipeline, context, oof = fit_model(inputs[index], y[index], settings)
        thresholds, _ = tune_thresholds(y[index], oof, ids)
        model = ThemeClassifier(pipeline, ids, thresholds, reliable={}, model_id="", ensemble_thresholds=thresholds, vetoes={},
                                relevance_gate=settings.relevance_gate, context=context)
        predicted = (model.probabilities(test_inputs) >= np.array([thresholds[t] for t in ids])).astype(int)
        result = score("classifier", y_test, predicted, ids)
        points.append((float(fraction), len(index), round(result.micro_f1, 4), round(result.macro_f1, 4)))
    return points


@dataclass(frozen=True)
class Suspect:
    """A label the model, trained on the other folds, confidently contradicts."""

    file: str
    line: int
    text: str
    themes: tuple[str, ...]  # as labelled
    theme: str  # the theme in question
    labelled: bool  # True: labelled with theme but the model says no; False: the model says it is missing
    probability: float  # out-of-fold probability of theme

    @property
    def confidence(self) -> float:
        """How sure the model is that the label is wrong."""
        return 1 - self.probability if self.labelled else self.probability


def label_quality(labels: Path, settings: Settings, tools: Tools, min_confidence: float = 0.9) -> list[Suspect]:
    """Labels contradicted by out-of-fold predictions: a theme labelled with p < 1 - min_confidence, or
    left out with p > min_confidence. Most confident first.

    Every file under labels is checked, test files too: a wrong test label misleads evaluation as
    a wrong training label misleads the model. Suspects are for a person to look at, not to drop."""
    ids = tools.taxonomy.ids
    rows = load_labels(labels, ids)
    y = label_matrix(rows, ids)
    oof = out_of_fold(sentence_inputs(rows, tools.segmenter), y, settings)
    oof = np.round(oof, 4)  # the precision reported, so a suspect's reported confidence is always past the cut
    low, high = 1 - min_confidence, min_confidence
    suspects = [
        Suspect(rows[r].file, rows[r].line, rows[r].text, rows[r].themes, ids[t], bool(y[r, t]), float(oof[r, t]))
        for r, t in zip(*np.nonzero(((y == 1) & (oof < low)) | ((y == 0) & (oof > high))))
    ]
    return sorted(suspects, key=lambda s: (-s.confidence, s.file, s.line, s.theme))
