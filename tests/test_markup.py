from __future__ import annotations

from pipeline.markup import Element, parse_source


def test_front_matter_and_every_element_kind():
    doc = parse_source(
        "---\ntitle: A plan  # a comment\nthemes_present: [digital_inclusion, smart_places]\n---\n"
        "# Foreword\nWe will help\nresidents online.\n\n- Lend laptops.\n\n| Action | Owner |\n| --- | --- |\n"
        "| Wi-Fi | Libraries |\n<pagebreak>\n## Next\n\fAfter a form feed.\n"
    )
    assert doc.meta == {"title": "A plan", "themes_present": ["digital_inclusion", "smart_places"]}
    assert doc.elements == [
        Element("h1", lines=("Foreword",)),
        Element("p", lines=("We will help", "residents online.")),
        Element("bullet", lines=("Lend laptops.",)),
        Element("table", rows=(("Action", "Owner"), ("Wi-Fi", "Libraries"))),
        Element("break"),
        Element("h2", lines=("Next",)),
        Element("break"),
        Element("p", lines=("After a form feed.",)),
    ]


def test_text_without_front_matter_is_all_body():
    assert parse_source("Just a line.").meta == {}
