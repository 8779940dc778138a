from __future__ import annotations

from pipeline.ensemble import combine
from pipeline.records import LexiconHit

THRESHOLDS = {"digital_inclusion": 0.5, "smart_places": 0.4, "data_insight": 0.6}


def test_union_with_sources_and_scores():
    hits = [LexiconHit("digital_inclusion", ("get online",)), LexiconHit("smart_places", ("sensors",))]
    probabilities = {"digital_inclusion": 0.9, "smart_places": 0.1, "data_insight": 0.7}
    findings = {f.theme: f for f in combine(hits, probabilities, THRESHOLDS, lexicon_confidence=0.8)}
    assert (findings["digital_inclusion"].source, findings["digital_inclusion"].score) == ("both", 1.0)
    assert (findings["smart_places"].source, findings["smart_places"].score) == ("lexicon", 0.8)
    assert (findings["data_insight"].source, findings["data_insight"].score) == ("classifier", 0.7)
    assert findings["smart_places"].matched_terms == ("sensors",)


def test_classifier_below_threshold_adds_nothing():
    assert combine([], {"digital_inclusion": 0.49, "smart_places": 0.0, "data_insight": 0.0}, THRESHOLDS, 0.8) == []


def test_veto_drops_lexicon_hits_the_classifier_rejects_firmly():
    hits = [LexiconHit("smart_places", ("smart",))]
    probabilities = {"digital_inclusion": 0.0, "smart_places": 0.02, "data_insight": 0.0}
    assert combine(hits, probabilities, THRESHOLDS, 0.8, vetoes={"smart_places": 0.05}) == []
    assert [f.theme for f in combine(hits, probabilities, THRESHOLDS, 0.8, vetoes={"smart_places": 0.0})] == ["smart_places"]
    assert [f.theme for f in combine(hits, probabilities, THRESHOLDS, 0.8, vetoes={"digital_inclusion": 0.5})] == ["smart_places"]


def test_lexicon_only_when_no_classifier():
    findings = combine([LexiconHit("smart_places", ("iot",))], None, {t: 1.0 for t in THRESHOLDS}, 0.8)
    assert [(f.theme, f.source) for f in findings] == [("smart_places", "lexicon")]


def test_vectorised_rule_used_in_training_matches_combine():
    import numpy as np

    from pipeline.train import ensemble_matrix

    rng = np.random.default_rng(0)
    labels = list(THRESHOLDS)
    probabilities = rng.random((200, 3))
    lexicon_y = rng.integers(0, 2, (200, 3))
    vetoes = {"digital_inclusion": 0.1, "smart_places": 0.0, "data_insight": 0.3}
    expected = ensemble_matrix(lexicon_y, probabilities, np.array(list(THRESHOLDS.values())), np.array(list(vetoes.values())))
    for r in range(200):
        hits = [LexiconHit(label, ("x",)) for label, hit in zip(labels, lexicon_y[r]) if hit]
        found = {f.theme for f in combine(hits, dict(zip(labels, probabilities[r])), THRESHOLDS, 0.8, vetoes)}
        assert found == {label for label, flag in zip(labels, expected[r]) if flag}


def test_tuning_vetoes_a_lexicon_that_only_finds_false_friends_and_keeps_one_that_finds_misses():
    import numpy as np

    from pipeline.train import tune_ensemble

    rng = np.random.default_rng(1)
    y = (rng.random((400, 1)) < 0.3).astype(int)
    oof = np.where(y == 1, rng.uniform(0.55, 1.0, y.shape), rng.uniform(0.0, 0.3, y.shape))
    # Theme a: the lexicon fires on negatives the classifier gives 0.4-0.5, short of its 0.55 cut.
    false_friends = (y == 0) & (rng.random(y.shape) < 0.3)
    oof_a = np.where(false_friends, rng.uniform(0.4, 0.5, y.shape), oof)
    # Theme b: the lexicon finds positives the classifier scored low.
    missed = (y == 1) & (rng.random(y.shape) < 0.3)
    oof_b = np.where(missed, rng.uniform(0.1, 0.2, y.shape), oof)
    thresholds, vetoes = tune_ensemble(np.hstack([y, y]), np.hstack([oof_a, oof_b]),
                                       np.hstack([false_friends, missed]).astype(int), ["a", "b"])
    assert vetoes["a"] >= 0.5 and thresholds["a"] <= 0.55
    assert vetoes["b"] <= 0.1
