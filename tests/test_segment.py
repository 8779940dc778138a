from __future__ import annotations

from pipeline.records import Block, Document
from pipeline.segment import lemmatise, segment


def document(*blocks: Block) -> Document:
    return Document("doc", "doc.pdf", "0" * 64, "Title", 2, blocks)


def test_sentences_never_cross_blocks_and_carry_page_and_heading(segmenter):
    doc = document(
        Block(1, 0, "header", "Digital Strategy | Page 1"),
        Block(1, 1, "heading", "Digital inclusion"),
        Block(1, 2, "paragraph", "We will help residents get online. Libraries will lend devices"),
        Block(2, 3, "list_item", "Free Wi-Fi in every library."),
        Block(2, 4, "toc", "Digital inclusion ........ 4"),
    )
    sentences = segment(doc, segmenter)
    assert [s.text for s in sentences] == [
        "Digital inclusion", "We will help residents get online.", "Libraries will lend devices", "Free Wi-Fi in every library.",
    ]
    assert [s.page for s in sentences] == [1, 1, 1, 2]
    assert [s.sentence_no for s in sentences] == [0, 1, 2, 3]
    assert sentences[1].heading == "Digital inclusion"


def test_non_english_blocks_are_skipped(segmenter):
    doc = document(Block(1, 0, "paragraph", "Byddwn yn helpu trigolion i fynd ar-lein.", language="cy"))
    assert segment(doc, segmenter) == []


def test_lemmas_are_lower_case_lookups(segmenter):
    assert lemmatise(["Councils are Lending Devices"], segmenter) == ["council be lend device"]
