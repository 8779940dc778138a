"""Every tunable default in one place: Settings, overridable by a TOML file and then by flags."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

STATUSES = ("covered", "thin", "missing", "not_assessable")
# Settings that take one of a few words.
CHOICES = {"engine": ("pdfplumber", "pdfium"), "classifier_features": ("ngrams", "embeddings")}
# Settings that are a share of something.
FRACTIONS = ("neighbour_dropout", "target_micro_f1", "target_macro_f1", "target_precision", "target_recall")


@dataclass(frozen=True)
class Settings:
    # Language pipeline: "" builds spacy.blank("en") + sentencizer + lookup lemmas (no download);
    # the name of an installed trained pipeline (e.g. "en_core_web_sm") is used instead when given.
    spacy_model: str = ""
    # Which recommendations to report against: a packaged framework id or a path to a TOML file.
    framework: str = "techuk-council-of-the-future"
    # Also write gap_report-<id>.csv and summary-<id>.csv for every other packaged framework.
    all_frameworks: bool = False
    # A taxonomy TOML replacing the packaged one ("" = packaged).
    taxonomy: str = ""
    # The trained theme classifier; "" or a missing folder means lexicon only (with a warning).
    model_dir: str = "models/theme-classifier"
    use_classifier: bool = True
    # Verdicts: a theme is `covered` with at least this many evidence sentences...
    covered_min_evidence: int = 3
    # ...and `thin` with at least one; `missing` with none. Sentences found by the classifier alone
    # count only when there are this many of them for the theme, or one reaches classifier_sure.
    classifier_only_min_evidence: int = 3
    classifier_sure: float = 0.9
    # How much a lexicon-only sentence counts towards a document's score (classifier-only
    # sentences count their probability; sentences found by both count 1.0).
    lexicon_confidence: float = 0.8
    # A lexicon hit is dropped when the classifier gives the theme less than this probability:
    # the classifier vetoes false friends the exclude lists did not foresee. -1 uses the per-theme
    # vetoes tuned at training (meta.json); 0 disables the veto.
    classifier_veto: float = -1.0
    # PDF text engine: "pdfplumber" (default; detects ruled tables) or "pdfium" (pypdfium2: several
    # times faster, same words on our benchmark, but table rows come out as paragraphs).
    engine: str = "pdfplumber"
    # Extraction limits: documents longer than this are cut, with a warning.
    max_pages: int = 400
    # Where extracted documents are cached by content hash ("" = no cache).
    cache_dir: str = "outputs/cache"
    # OCR pages without a text layer with ocrmypdf (when installed) instead of failing them.
    ocr: bool = False
    # Batch: worker processes (0 = one per core); a document taking longer, or needing more memory
    # than this beyond what a worker starts with, fails alone and the batch goes on.
    workers: int = 0
    document_timeout: float = 600.0
    max_memory_mb: int = 4096
    # The address of an existing Dask scheduler to run documents on instead ("" = this machine).
    scheduler: str = ""
    # Training: themes whose cross-validated F1 is below this floor are marked unreliable and
    # reported as not_assessable rather than missing.
    reliability_f1_floor: float = 0.6
    # Inverse regularisation of the logistic regression (larger = fits the labels more closely).
    classifier_c: float = 8.0
    # Each theme's probability is multiplied by P(any theme) ** this, so council business with no
    # digital angle gets no theme however "joint" or "shared" it sounds (0 = off).
    relevance_gate: float = 0.25
    # The classifier also reads the words of the sentences just before and after, at this weight
    # beside the sentence's own n-grams (0 = the sentence alone; 0.5 was best on training CV, 0.3-0.7
    # all within 0.002 of it)...
    neighbour_weight: float = 0.5
    # ...and learns this share of the training sentences a second time without them, so a sentence
    # classified on its own (`classify --independent`) is still judged fairly.
    neighbour_dropout: float = 0.3
    # A second stage re-scores each theme from all 17 probabilities of the sentence and of its
    # neighbours: it learns which themes crowd out others, and what the context says
    # (ensemble micro-F1 +0.006 on training CV, +0.008 on the development set).
    context_stage: bool = True
    # What the classifier reads: "ngrams" (fast, the shipped model) or "embeddings" (n-grams plus
    # MiniLM sentence vectors: a little more accurate, ~50x slower, needs `pip install .[embeddings]`).
    classifier_features: str = "ngrams"
    # Retraining refuses to replace the current model when the ensemble's test micro-F1 drops by more
    # than this, or a reliable theme falls below reliability_f1_floor (unless --force).
    retrain_tolerance: float = 0.01
    # What the classifier should reach on a held-out set: MODEL_CARD.md and `evaluate` say which it meets.
    # Precision and recall apply to every reliable theme (a theme below reliability_f1_floor is not held to them).
    target_micro_f1: float = 0.85
    target_macro_f1: float = 0.80
    target_precision: float = 0.85
    target_recall: float = 0.75
    cv_folds: int = 5
    seed: int = 13
    bootstrap_samples: int = 1000


def _coerce(path: Path | str, name: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # and still checked below: `neighbour_dropout = 2` is not a share
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(
            path, name, f"expected {expected.__name__}, got {value!r}", f"write e.g. {name} = {default!r}"
        )
    if name in CHOICES and value not in CHOICES[name]:
        raise ConfigError(path, name, f"unknown value {value!r}", f"choose one of {', '.join(CHOICES[name])}")
    if name in FRACTIONS and not 0 <= value <= 1:
        raise ConfigError(path, name, f"{value!r} is not a share", "write a number from 0 to 1")
    return value


def with_overrides(settings: Settings, overrides: dict[str, Any], source: Path | str = "flags") -> Settings:
    """Return settings with overrides applied; unknown keys and wrong types are errors."""
    known = {f.name: f.default for f in fields(Settings)}
    clean: dict[str, Any] = {}
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in known:
            raise ConfigError(source, name, "unknown setting", f"known settings: {', '.join(sorted(known))}")
        clean[name] = _coerce(source, name, value, known[name])
    return dataclasses.replace(settings, **clean)


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Defaults < config file (TOML, keys at top level or under [councilscan]) < flags."""
    settings = Settings()
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(config_file, "file", f"cannot be read as TOML ({exc})") from exc
        settings = with_overrides(settings, data.get("councilscan", data), config_file)
    return with_overrides(settings, flags)


def as_dict(settings: Settings) -> dict[str, Any]:
    return dataclasses.asdict(settings)
