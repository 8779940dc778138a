from __future__ import annotations

from pipeline.aggregate import item_verdict, theme_verdicts
from pipeline.config import Settings
from pipeline.records import Evidence, ThemeVerdict
from pipeline.taxonomy import FrameworkItem

THEMES = ("digital_inclusion", "smart_places", "data_insight")


def evidence(theme: str, sentence_no: int, score: float = 0.8, page: int = 1, depth: str = "commitment") -> Evidence:
    return Evidence("doc", page, sentence_no, theme, "lexicon", score, (), f"sentence {sentence_no}", depth)


def test_status_thresholds_and_best_evidence():
    found = [evidence("digital_inclusion", n, page=n) for n in (1, 2, 3)] + [evidence("smart_places", 9, score=0.6)]
    found.append(evidence("digital_inclusion", 2, score=1.0, page=2))  # a second finding in one sentence counts once
    verdicts = {v.theme: v for v in theme_verdicts("doc", found, THEMES, None, Settings(covered_min_evidence=3))}
    assert verdicts["digital_inclusion"].status == "covered"
    assert verdicts["digital_inclusion"].evidence_count == 3
    assert (verdicts["digital_inclusion"].best_evidence, verdicts["digital_inclusion"].best_page) == ("sentence 2", 2)
    assert verdicts["smart_places"].status == "thin"
    assert verdicts["smart_places"].score == 0.6
    assert verdicts["data_insight"].status == "missing"


def test_covered_needs_a_commitment_and_counts_depths():
    mentions = [evidence("smart_places", n, depth="mention") for n in range(5)]
    verdict = theme_verdicts("doc", mentions, THEMES, None, Settings())[1]
    assert (verdict.status, verdict.depth, verdict.mentions) == ("thin", "mention", 5)
    deeper = mentions + [evidence("smart_places", 7, score=0.5, depth="target", page=4)]
    verdict = theme_verdicts("doc", deeper, THEMES, None, Settings())[1]
    assert (verdict.status, verdict.depth, verdict.targets) == ("covered", "target", 1)
    assert (verdict.best_evidence, verdict.best_page) == ("sentence 7", 4)  # deepest first, whatever its score
    assert [e.sentence_no for e in verdict.top] == [7, 0, 1]


def test_unreliable_theme_without_evidence_is_not_assessable():
    verdicts = theme_verdicts("doc", [evidence("smart_places", 1)], THEMES, {"data_insight": False, "smart_places": False}, Settings())
    status = {v.theme: v.status for v in verdicts}
    assert status == {"digital_inclusion": "missing", "smart_places": "thin", "data_insight": "not_assessable"}


def verdict(theme: str, status: str, score: float = 0.5) -> ThemeVerdict:
    return ThemeVerdict("doc", theme, status, score, 1 if status != "missing" else 0, f"about {theme}", 3)


def test_all_items_need_every_theme_any_items_one():
    verdicts = {"smart_places": verdict("smart_places", "covered"), "data_insight": verdict("data_insight", "missing")}
    all_item = FrameworkItem("both", "Both", ("smart_places", "data_insight"), "all")
    any_item = FrameworkItem("either", "Either", ("smart_places", "data_insight"), "any")
    assert item_verdict(all_item, verdicts).status == "thin"
    assert item_verdict(any_item, verdicts).status == "covered"
    missing = {"smart_places": verdict("smart_places", "missing"), "data_insight": verdict("data_insight", "missing")}
    assert item_verdict(all_item, missing).status == "missing"


def test_classifier_only_evidence_needs_corroboration():
    def alone(n: int, score: float = 0.6) -> Evidence:
        return Evidence("doc", 1, n, "data_insight", "classifier", score, (), f"sentence {n}", "commitment")

    settings = Settings(classifier_only_min_evidence=3, classifier_sure=0.9)
    status = lambda found: theme_verdicts("doc", found, THEMES, None, settings)[2].status  # noqa: E731
    assert status([alone(1), alone(2)]) == "missing"
    assert status([alone(1), alone(2), alone(3)]) == "covered"
    assert status([alone(1, score=0.95)]) == "thin"
    assert status([alone(1), evidence("data_insight", 2)]) == "thin"  # the lexicon corroborates
