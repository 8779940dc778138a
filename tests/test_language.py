from __future__ import annotations

import pytest

from pipeline.language import detect_language, tag_languages
from pipeline.records import Block, Document


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("We will help residents get online.", "en"),
        ("Roll out Wi-Fi in all libraries | Head of Libraries | March 2025", "en"),
        ("Cyber Essentials Plus certification", "en"),
        ("Digital Strategy", "en"),
        ("Byddwn yn helpu trigolion i fynd ar-lein ac yn cefnogi ysgolion a llyfrgelloedd.", "cy"),
        ("Rydym am i bawb yng Nghymru allu defnyddio gwasanaethau digidol yn hyderus.", "cy"),
        ("Strategaeth Ddigidol", "cy"),
        ("Nous allons aider les habitants à utiliser les services en ligne de la mairie.", "fr"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_tag_languages_marks_each_block():
    document = Document("d", "d.pdf", "0" * 64, "", 1, (
        Block(1, 0, "paragraph", "We will help every resident get online by 2026."),
        Block(1, 1, "paragraph", "Byddwn yn helpu pob preswylydd i fynd ar-lein erbyn 2026 gyda chymorth ein llyfrgelloedd."),
    ))
    assert [b.language for b in tag_languages(document).blocks] == ["en", "cy"]
