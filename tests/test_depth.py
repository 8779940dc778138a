from __future__ import annotations

import pytest

from pipeline.depth import DepthTagger


@pytest.fixture(scope="module")
def tagger(segmenter):
    return DepthTagger(segmenter.nlp.vocab)


def depth(tagger, segmenter, text: str, kind: str = "paragraph") -> str:
    tokens, lemmas = segmenter.tokens_and_lemmas(text)
    return tagger.depth(tokens, lemmas, kind)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Digital inclusion matters to everyone in the borough.", "paragraph", "mention"),
        ("Last year 4,000 residents used the library computers.", "paragraph", "mention"),
        ("We will help residents get online.", "paragraph", "commitment"),
        ("We're going to work with schools.", "paragraph", "commitment"),
        ("We are committed to closing the digital divide.", "paragraph", "commitment"),
        ("Our aim is to be a digital-first council.", "paragraph", "commitment"),
        ("The council will appoint a chief digital officer.", "paragraph", "commitment"),
        ("We will train 2,000 residents in basic digital skills.", "paragraph", "target"),
        ("We will reach 80% of online transactions by 2026.", "paragraph", "target"),
        ("We aim to connect every school to full fibre by March 2025.", "paragraph", "target"),
        ("We will cut avoidable calls by 20 per cent.", "paragraph", "target"),
        ("Roll out Wi-Fi in all libraries | Head of Libraries | March 2025", "table_row", "target"),
        ("Appoint a member digital champion", "list_item", "commitment"),
        ("Cyber Essentials Plus | Q3 2025", "table_row", "target"),
        ("Cyber security | Head of IT", "table_row", "mention"),
        ("Roll out Wi-Fi in all libraries.", "paragraph", "mention"),
    ],
)
def test_depth_rules(tagger, segmenter, text, kind, expected):
    assert depth(tagger, segmenter, text, kind) == expected
