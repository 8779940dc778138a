"""Evidence sentences -> a verdict per document x theme and per framework item (no ML here).

Status rules (thresholds in Settings):
- covered: at least `covered_min_evidence` distinct evidence sentences, at least one of them a
  commitment or a target;
- thin: some evidence, but fewer sentences than that, or mentions only;
- missing: none;
- not_assessable: none, and the classifier is unreliable for the theme (see MODEL_CARD.md),
  or the document could not be read.
Evidence found by the classifier alone must be corroborated before it counts: at least
`classifier_only_min_evidence` such sentences, or one with probability >= `classifier_sure`.
A strategy has hundreds of sentences, so even a rare false positive per sentence would otherwise
turn many absent themes into `thin` ones (on the sample corpus: 79% agreement with the truth file
without this rule, 94% with it). Uncorroborated sentences stay in evidence.csv for review.
A document's score for a theme is 1 - prod(1 - s) over its evidence sentences' scores: the
chance that at least one of them is real evidence, if each is right with probability s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from pipeline.config import Settings
from pipeline.records import Evidence, ThemeVerdict
from pipeline.taxonomy import FrameworkItem

STATUS_ORDER = {"covered": 3, "thin": 2, "missing": 1, "not_assessable": 0}
DEPTH_ORDER = {"": 0, "mention": 1, "commitment": 2, "target": 3}
TOP_EVIDENCE = 3


def strongest(evidence: Iterable[Evidence], n: int = TOP_EVIDENCE) -> tuple[Evidence, ...]:
    """The n strongest distinct sentences: deepest first, then highest score, then earliest."""
    ranked = sorted(evidence, key=lambda e: (-DEPTH_ORDER[e.depth], -e.score, e.sentence_no))
    seen: set[int] = set()
    top = []
    for item in ranked:
        if item.sentence_no not in seen:
            seen.add(item.sentence_no)
            top.append(item)
    return tuple(top[:n])


def _verdict(doc_id: str, theme: str, status: str, found: Sequence[Evidence]) -> ThemeVerdict:
    by_sentence = {e.sentence_no: e for e in found}
    depths = [e.depth for e in by_sentence.values()]
    top = strongest(found)
    return ThemeVerdict(
        doc_id, theme, status, round(1.0 - math.prod(1.0 - e.score for e in found), 3), len(by_sentence),
        top[0].sentence if top else "", top[0].page if top else None,
        depth=max(depths, key=DEPTH_ORDER.__getitem__, default=""),
        mentions=depths.count("mention"), commitments=depths.count("commitment"), targets=depths.count("target"), top=top,
    )


def theme_verdicts(
    doc_id: str, evidence: Sequence[Evidence], theme_ids: Sequence[str], reliable: Mapping[str, bool] | None, settings: Settings
) -> list[ThemeVerdict]:
    by_theme: dict[str, list[Evidence]] = defaultdict(list)
    for item in evidence:
        by_theme[item.theme].append(item)
    verdicts = []
    for theme in theme_ids:
        found = by_theme.get(theme, [])
        if found and all(e.source == "classifier" for e in found) and not (
            len({e.sentence_no for e in found}) >= settings.classifier_only_min_evidence
            or any(e.score >= settings.classifier_sure for e in found)
        ):
            found = []
        count = len({e.sentence_no for e in found})
        committed = any(e.depth != "mention" for e in found)
        if count >= settings.covered_min_evidence and committed:
            status = "covered"
        elif count:
            status = "thin"
        elif reliable is not None and not reliable.get(theme, True):
            status = "not_assessable"
        else:
            status = "missing"
        verdicts.append(_verdict(doc_id, theme, status, found))
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
    top = strongest(e for p in parts for e in p.top)
    return ThemeVerdict(
        parts[0].doc_id, item.id, status, round(max(scores) if item.rule == "any" else sum(scores) / len(scores), 3),
        sum(p.evidence_count for p in parts), top[0].sentence if top else "", top[0].page if top else None,
        depth=max((p.depth for p in parts), key=DEPTH_ORDER.__getitem__),
        mentions=sum(p.mentions for p in parts), commitments=sum(p.commitments for p in parts),
        targets=sum(p.targets for p in parts), top=top,
    )
