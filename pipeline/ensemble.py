"""How lexicon hits and classifier probabilities combine into one sentence's themes.

The rule (documented in README, tested in tests/test_ensemble.py): a theme is found in a
sentence when the lexicon matches it OR the classifier's probability reaches the theme's
threshold. `source` says who found it: `both`, `lexicon` or `classifier`. A lexicon-only hit is
dropped when the classifier gives the theme less than the theme's veto (0 = never). Thresholds and
vetoes are tuned together per theme at training, for the F1 of this very rule. A finding's score
is 1.0 for `both`, `lexicon_confidence` for `lexicon` and the probability for `classifier`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.records import LexiconHit


@dataclass(frozen=True)
class ThemeFinding:
    theme: str
    source: str  # lexicon | classifier | both
    score: float
    matched_terms: tuple[str, ...]


def combine(
    hits: Sequence[LexiconHit],
    probabilities: Mapping[str, float] | None,
    thresholds: Mapping[str, float],
    lexicon_confidence: float,
    vetoes: Mapping[str, float] | None = None,
) -> list[ThemeFinding]:
    """Themes of one sentence, in taxonomy order of the thresholds mapping (or hit order)."""
    by_theme = {hit.theme: hit for hit in hits}
    order = list(thresholds) if thresholds else [hit.theme for hit in hits]
    findings = []
    for theme in order:
        hit = by_theme.get(theme)
        probability = probabilities.get(theme) if probabilities is not None else None
        classified = probability is not None and probability >= thresholds[theme]
        if hit and probability is not None and not classified and vetoes and probability < vetoes.get(theme, 0.0):
            hit = None
        if hit and classified:
            findings.append(ThemeFinding(theme, "both", 1.0, hit.terms))
        elif hit:
            findings.append(ThemeFinding(theme, "lexicon", lexicon_confidence, hit.terms))
        elif classified:
            findings.append(ThemeFinding(theme, "classifier", round(float(probability), 4), ()))
    return findings
