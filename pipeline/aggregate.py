"""Evidence sentences -> a verdict per document x theme and per framework item (no ML here).

Status rules (thresholds in Settings):
- covered: at least `covered_min_evidence` distinct evidence sentences;
- thin: at least one, fewer than that;
- missing: none;
- not_assessable: none, and the classifier is unreliable for the theme (see MODEL_CARD.md),
  or the document could not be read.
A document's score for a theme is 1 - prod(1 - s) over its evidence sentences' scores: the
chance that at least one of them is real evidence, if each is right with probability s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pipeline.config import Settings
from pipeline.records import Evidence, ThemeVerdict
from pipeline.taxonomy import FrameworkItem

STATUS_ORDER = {"covered": 3, "thin": 2, "missing": 1, "not_assessable": 0}


def _best(evidence: Sequence[Evidence]) -> Evidence | None:
    """The highest-scoring sentence; the earliest one among equals."""
    return min(evidence, key=lambda e: (-e.score, e.sentence_no), default=None)


def theme_verdicts(
    doc_id: str, evidence: Sequence[Evidence], theme_ids: Sequence[str], reliable: Mapping[str, bool] | None, settings: Settings
) -> list[ThemeVerdict]:
    by_theme: dict[str, list[Evidence]] = defaultdict(list)
    for item in evidence:
        by_theme[item.theme].append(item)
    verdicts = []
    for theme in theme_ids:
        found = by_theme.get(theme, [])
        count = len({e.sentence_no for e in found})
        if count >= settings.covered_min_evidence:
            status = "covered"
        elif count:
            status = "thin"
        elif reliable is not None and not reliable.get(theme, True):
            status = "not_assessable"
        else:
            status = "missing"
        score = 1.0 - math.prod(1.0 - e.score for e in found)
        best = _best(found)
        verdicts.append(ThemeVerdict(doc_id, theme, status, round(score, 3), count,
                                     best.sentence if best else "", best.page if best else None))
    return verdicts


def unassessable_verdicts(doc_id: str, theme_ids: Sequence[str]) -> list[ThemeVerdict]:
    return [ThemeVerdict(doc_id, theme, "not_assessable", 0.0, 0) for theme in theme_ids]


def item_verdict(item: FrameworkItem, verdicts: Mapping[str, ThemeVerdict]) -> ThemeVerdict:
    """An `all` item is covered when every theme is, an `any` item when one is; otherwise thin/missing."""
    parts = [verdicts[theme] for theme in item.themes]
    statuses = [p.status for p in parts]
    if all(s == "not_assessable" for s in statuses):
        status = "not_assessable"
    elif item.rule == "any":
        status = max(statuses, key=STATUS_ORDER.__getitem__)
    elif all(s == "covered" for s in statuses):
        status = "covered"
    elif all(s in ("missing", "not_assessable") for s in statuses):
        status = "missing"
    else:
        status = "thin"
    scores = [p.score for p in parts]
    score = max(scores) if item.rule == "any" else sum(scores) / len(scores)
    best = max(parts, key=lambda p: (p.score, p.evidence_count))
    return ThemeVerdict(parts[0].doc_id, item.id, status, round(score, 3), sum(p.evidence_count for p in parts),
                        best.best_evidence, best.best_page)
