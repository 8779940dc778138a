from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, make_pdf
from pipeline.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NoTextLayerError,
    UnsupportedFileError,
)
from pipeline.extract import extract_document, find_documents, join_lines, normalise_text
from pipeline.pdfwrite import write_image_only_pdf

BODY = """
# Foreword
We will help every resident get online. Our libraries will lend devices to people who need them and our
volunteer digital champions will support residents who lack confidence with technology of any kind at all.

## Our priorities
- Close the digital divide by 2026.
- Roll out full fibre to every village.

| Action | Owner | By when |
| Roll out Wi-Fi in all libraries | Head of Libraries | March 2025 |

# Data
Our data strategy will make us data-driven.

# Connectivity
Gigabit broadband reaches most homes.
"""


@pytest.fixture(scope="module")
def strategy_pdf(tmp_path_factory) -> Path:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "headers-footers-bullets-table.pdf", BODY)


def test_blocks_are_page_aware_and_typed(strategy_pdf):
    document = extract_document(strategy_pdf)
    assert document.pages == 4
    assert document.title == "Testshire Council Digital Strategy 2024-2027"
    kinds = {(b.kind, b.text) for b in document.blocks}
    assert ("heading", "Foreword") in kinds
    assert ("list_item", "Close the digital divide by 2026.") in kinds
    assert ("table_row", "Roll out Wi-Fi in all libraries | Head of Libraries | March 2025") in kinds
    foreword = next(b for b in document.blocks if b.text.startswith("We will help"))
    assert foreword.kind == "paragraph" and foreword.page == 2
    assert foreword.text.endswith("technology of any kind at all.")  # wrapped lines joined


def test_running_headers_footers_and_page_numbers_are_not_content(strategy_pdf):
    document = extract_document(strategy_pdf)
    content = [b.text for b in document.blocks if b.kind not in ("header", "footer")]
    assert not any("Page " in text or text.startswith("Digital Strategy 2024-27") for text in content)
    assert sum(b.kind == "footer" for b in document.blocks) == document.pages


def test_no_cid_glyphs_survive(strategy_pdf):
    assert not any("cid:" in b.text for b in extract_document(strategy_pdf).blocks)


def test_two_column_paragraphs_stay_whole(tmp_path):
    words = " ".join(f"word{i}" for i in range(400))
    path = make_pdf(tmp_path / "two-column.pdf", f"# Section\nFirst sentence here. {words} last words.\n", layout="two-column")
    paragraphs = [b.text for b in extract_document(path).blocks if b.kind == "paragraph"]
    assert any(p.startswith("First sentence here.") and p.endswith("last words.") for p in paragraphs)


def test_hyphenation_is_repaired_without_breaking_real_hyphens():
    assert join_lines(["We will go digi-", "tal first."]) == "We will go digital first."
    assert join_lines(["Services we co-", "design with residents."]) == "Services we co-design with residents."
    assert join_lines(["The Wi-", "Fi rollout."]) == "The Wi- Fi rollout."  # capital: not a split word


def test_normalise_ligatures_quotes_and_cid():
    assert normalise_text("\ufb01bre \u201csmart\u201d (cid:127) o\ufb00er") == 'fibre "smart" offer'


@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.pdf", b"", EmptyDocumentError, "empty"),
        ("page.pdf", b"<html><body>Not found</body></html>", UnsupportedFileError, "HTML page"),
        ("strategy.xlsx", b"PK\x03\x04", UnsupportedFileError, ".xlsx"),
        ("broken.docx", b"PK\x03\x04 not really a zip", CorruptDocumentError, "Word"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + bytes(200), UnsupportedFileError, "is named .pdf but is a PNG image"),
        ("report.pdf", b"\x1f\x8b\x08\x00" + bytes(200), UnsupportedFileError, "is named .pdf but is a gzip archive"),
        ("notes.txt", b"\x00\x01\x02 binary" * 50, UnsupportedFileError, "is named .txt but is a binary file"),
        ("strategy.txt", b"%PDF-1.7\n%junk", UnsupportedFileError, "is named .txt but is a PDF"),
        ("strategy.html", b"%PDF-1.7\n%junk", UnsupportedFileError, "is named .html but is a PDF"),
    ],
)
def test_bad_files_fail_with_a_clear_message(tmp_path, name, content, error, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        extract_document(path)


def test_truncated_pdf_fails_clearly(strategy_pdf, tmp_path):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(strategy_pdf.read_bytes()[:600])
    with pytest.raises((CorruptDocumentError, NoTextLayerError)):
        extract_document(path)


def test_encrypted_pdf_fails_clearly(tmp_path):
    path = make_pdf(tmp_path / "encrypted.pdf", BODY, password="secret")
    with pytest.raises(EncryptedDocumentError, match="password"):
        extract_document(path)


def test_scanned_pdf_suggests_ocr(tmp_path):
    path = tmp_path / "scanned.pdf"
    write_image_only_pdf(path)
    with pytest.raises(NoTextLayerError, match="ocrmypdf"):
        extract_document(path)


def test_utf16_text_and_text_quoting_html_are_read(tmp_path):
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("\ufeffWe will help every resident get online.".encode("utf-16-le"))
    quoting = tmp_path / "quoting.txt"
    quoting.write_text("Our web pages start with <html> and meet WCAG 2.2 AA.", encoding="utf-8")
    assert [b.text for b in extract_document(utf16).blocks] == ["We will help every resident get online."]
    assert "WCAG 2.2 AA" in extract_document(quoting).blocks[0].text


def test_text_markdown_and_html_give_the_same_block_kinds(tmp_path):
    (tmp_path / "s.md").write_text("---\ntitle: x\n---\n# Digital inclusion\nWe will help residents\nget online.\n\n- Lend laptops.\n")
    (tmp_path / "s.html").write_text(
        "<html><head><title>Plan</title><script>var x=1;</script></head><body><h1>Digital inclusion</h1>"
        "<p>We will help residents get online.</p><ul><li>Lend laptops.</li></ul>"
        "<table><tr><td>Action</td><td>Owner</td></tr></table></body></html>"
    )
    md = extract_document(tmp_path / "s.md")
    html = extract_document(tmp_path / "s.html")
    expected = [("heading", "Digital inclusion"), ("paragraph", "We will help residents get online."), ("list_item", "Lend laptops.")]
    assert [(b.kind, b.text) for b in md.blocks] == expected
    assert [(b.kind, b.text) for b in html.blocks][:3] == expected
    assert ("table_row", "Action | Owner") in [(b.kind, b.text) for b in html.blocks]
    assert html.title == "Plan"


def test_docx(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Connectivity", level=1)
    document.add_paragraph("We will bring gigabit broadband to every village.")
    document.add_paragraph("Work with operators.", style="List Bullet")
    document.save(tmp_path / "plan.docx")
    blocks = extract_document(tmp_path / "plan.docx").blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Connectivity"), ("paragraph", "We will bring gigabit broadband to every village."),
        ("list_item", "Work with operators."),
    ]


def test_find_documents_sorts_and_skips(tmp_path):
    for name in ("b.pdf", "a.txt", "notes.xlsx", "metadata.csv", ".hidden.pdf"):
        (tmp_path / name).write_text("x")
    documents, skipped = find_documents(tmp_path)
    assert [p.name for p in documents] == ["a.txt", "b.pdf"]
    assert [p.name for p in skipped] == ["notes.xlsx"]


def _words_both_ways(path: Path) -> list[tuple[list[dict], list[dict]]]:
    import pdfplumber
    from pdfplumber.utils import extract_words

    from pipeline.extract import _page_chars

    options = {"use_text_flow": True, "extra_attrs": ["size", "fontname"]}
    with pdfplumber.open(path) as pdf:
        ours = [extract_words(_page_chars(page)[0], **options) for page in pdf.pages]
    with pdfplumber.open(path) as pdf:
        theirs = [page.extract_words(**options) for page in pdf.pages]
    return list(zip(ours, theirs, strict=True))


def test_lean_characters_give_exactly_pdfplumbers_words(tmp_path):
    """_page_chars skips pdfplumber's per-character colour resolution; the words must not change,
    on our samples (tables, columns, bullets) and on pages with a shifted MediaBox or rotated."""
    import pypdfium2

    samples = sorted((ROOT / "corpus" / "samples").glob("*.pdf"))
    document = pypdfium2.PdfDocument(samples[0])
    document[0].set_mediabox(20, 30, 580, 800)
    document[1].set_rotation(90)
    odd = tmp_path / "odd-pages.pdf"
    document.save(odd)
    document.close()
    pages = 0
    for path in [*samples, odd]:
        for ours, theirs in _words_both_ways(path):
            assert ours == theirs, path.name
            pages += 1
    assert pages > 50


def test_only_ruled_pages_are_searched_for_tables(tmp_path):
    import pdfplumber

    from pipeline.extract import _page_chars

    with pdfplumber.open(ROOT / "corpus" / "samples" / "brackenwold-efficiency-2024.pdf") as pdf:
        ruled = [_page_chars(page)[1] for page in pdf.pages]
    with pdfplumber.open(ROOT / "corpus" / "samples" / "brackenwold-efficiency-2024.pdf") as pdf:
        assert ruled == [bool(page.rects or page.lines) for page in pdf.pages]
    assert any(ruled) and not all(ruled)
