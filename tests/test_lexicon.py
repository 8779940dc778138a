from __future__ import annotations

import pytest


def themes(lexicon, segmenter, text: str) -> set[str]:
    tokens, lemmas = segmenter.tokens_and_lemmas(text)
    return {hit.theme for hit in lexicon.tag_tokens(tokens, lemmas)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will deploy smart street lighting and air quality sensors across the town.", "smart_places"),
        ("The Cabinet Member for Digital and Customer Services will champion the strategy.", "member_leadership"),
        ("Rolling out full-fibre broadband and 5G to every village.", "connectivity_infrastructure"),
        ("We will tackle digital exclusion with schools, libraries and the voluntary sector.", "digital_inclusion"),
        ("A chief digital officer will sit on the corporate leadership team.", "digital_leadership"),
        ("Councils are automating routine processes to save money.", "service_transformation_efficiency"),
        ("We will publish our datasets on an open data portal.", "open_data_transparency"),
        ("All staff will complete phishing awareness training and we hold Cyber Essentials Plus.", "cyber_security_resilience"),
    ],
)
def test_themes_found_in_council_language(lexicon, segmenter, text, expected):
    assert expected in themes(lexicon, segmenter, text)


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("All actions in this plan have SMART objectives.", "smart_places"),
        ("We will adopt smarter working across the organisation.", "smart_places"),
        ("This strategy was approved by Cabinet in March 2024.", "member_leadership"),
        ("Improving road and rail connectivity to the town centre.", "connectivity_infrastructure"),
        ("Inclusion support for pupils with SEN in mainstream schools.", "digital_inclusion"),
        ("The Health and Wellbeing Board meets quarterly.", "digital_leadership"),
        ("Our flood resilience plan was updated after the storms.", "cyber_security_resilience"),
        ("Our libraries open on Sundays.", "digital_inclusion"),
    ],
)
def test_false_friends_are_not_themes(lexicon, segmenter, text, not_expected):
    assert not_expected not in themes(lexicon, segmenter, text)


def test_ambiguous_term_needs_a_co_term(lexicon, segmenter):
    assert "digital_inclusion" not in themes(lexicon, segmenter, "The library roof will be repaired this summer.")
    assert "digital_inclusion" in themes(lexicon, segmenter, "Older residents can borrow a laptop at the library.")


def test_acronyms_are_case_sensitive(lexicon, segmenter):
    assert "data_insight" in themes(lexicon, segmenter, "We will use AI to spot families who need early help.")
    assert "data_insight" not in themes(lexicon, segmenter, "Ai Ling chairs the residents' association.")


def test_lemmas_match_inflected_forms(lexicon, segmenter):
    assert "smart_places" in themes(lexicon, segmenter, "Smart cities use connected devices.")
    assert "technology_foundations" in themes(lexicon, segmenter, "We are replacing legacy systems.")
