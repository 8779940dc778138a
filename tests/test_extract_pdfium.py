"""The PDFium engine gives pdfplumber's blocks (tables aside), drops running headers and fails with typed errors."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT, make_pdf
from pipeline.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NoTextLayerError,
    UnsupportedFileError,
)
from pipeline.extract import extract_document
from pipeline.extract_pdfium import pdfium_lines
from pipeline.pdfwrite import write_image_only_pdf
from pipeline.records import Document

PROSE = (
    "We will help every resident get online. Our libraries will lend devices to people who need them and our "
    "volunteer digital champions will support residents who lack confidence with technology of any kind at all. "
)
NO_TABLE_BODY = f"""
# Foreword
{PROSE * 3}

## Our priorities
- Close the digital divide by 2026.
- Roll out full fibre to every village, using council buildings and ducts where that helps operators to reach the last few homes.

# Interoperability
Comprehensive telecommunications infrastructure underpins economic competitiveness. {PROSE * 4}

# Data
Our data strategy will make us data-driven.
"""
TABLE_BODY = NO_TABLE_BODY + """
| Action | Owner | By when |
| Roll out Wi-Fi in all libraries | Head of Libraries | March 2025 |
| Publish the open data catalogue | Data Protection Officer | December 2025 |
"""
CONTENT_KINDS = ("paragraph", "heading", "list_item")
SAMPLES = sorted((ROOT / "corpus" / "samples").glob("*.pdf"))


def content_words(document: Document) -> Counter[str]:
    """Words of paragraphs, headings and list items, plus table rows' words without the cell separators:
    pdfium reads table cells as paragraphs, so a table's words count wherever they land."""
    return Counter(word for block in document.blocks if block.kind in (*CONTENT_KINDS, "table_row")
                   for word in block.text.split() if word != "|")


def both(path: Path) -> tuple[Document, Document]:
    return extract_document(path), extract_document(path, engine="pdfium")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfium")
    return {
        "one-column": make_pdf(folder / "one-column.pdf", NO_TABLE_BODY),
        "two-column-hyphenated": make_pdf(folder / "two-column-hyphenated.pdf", NO_TABLE_BODY, layout="two-column",
                                          hyphenate="true"),
        "contents-page": make_pdf(folder / "contents-page.pdf", NO_TABLE_BODY, contents="true"),
        "ruled-table": make_pdf(folder / "ruled-table.pdf", TABLE_BODY),
    }


@pytest.mark.parametrize("name", ["one-column", "two-column-hyphenated"])
def test_without_tables_both_engines_give_the_same_blocks(generated, name):
    plumber, pdfium = both(generated[name])
    assert [(b.page, b.kind, b.text) for b in pdfium.blocks] == [(b.page, b.kind, b.text) for b in plumber.blocks]
    assert (pdfium.title, pdfium.pages, pdfium.warnings) == (plumber.title, plumber.pages, plumber.warnings)


def test_hyphenated_line_ends_are_split_and_repaired_as_with_pdfplumber(generated):
    lines = [line["text"] for page in pdfium_lines(generated["two-column-hyphenated"], 10)[2] for line in page]
    assert any(re.search(r"\w-$", line) for line in lines)  # PDFium's U+FFFE hyphen mark became "-"
    assert not any("\ufffe" in line or "\x02" in line for line in lines)
    text = " ".join(b.text for b in extract_document(generated["two-column-hyphenated"], engine="pdfium").blocks)
    assert "telecommunications" in text and "Interoperability" in text


@pytest.mark.parametrize("name", ["one-column", "two-column-hyphenated", "contents-page", "ruled-table"])
def test_same_words_in_paragraphs_headings_and_list_items(generated, name):
    plumber, pdfium = both(generated[name])
    assert content_words(pdfium) == content_words(plumber)
    assert Counter(b.kind for b in pdfium.blocks if b.kind in ("header", "footer", "toc", "list_item")) == \
        Counter(b.kind for b in plumber.blocks if b.kind in ("header", "footer", "toc", "list_item"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_same_words_on_the_sample_corpus(path):
    plumber, pdfium = both(path)
    assert content_words(pdfium) == content_words(plumber)
    assert pdfium.title == plumber.title and pdfium.pages == plumber.pages


def test_table_rows_come_out_as_paragraphs(generated):
    plumber, pdfium = both(generated["ruled-table"])
    assert any(b.kind == "table_row" for b in plumber.blocks)
    assert not any(b.kind == "table_row" for b in pdfium.blocks)
    assert any("Head of Libraries" in b.text for b in pdfium.blocks if b.kind == "paragraph")


def test_running_headers_footers_and_page_numbers_are_not_content(generated):
    document = extract_document(generated["ruled-table"], engine="pdfium")
    content = [b.text for b in document.blocks if b.kind not in ("header", "footer")]
    assert not any(re.search(r"\bPage \d+\b", text) or "Digital Strategy 2024-27" in text for text in content)
    assert sum(b.kind == "footer" for b in document.blocks) == document.pages
    assert sum(b.kind == "header" for b in document.blocks) == document.pages


def test_bullets_are_list_items_without_glyphs(generated):
    items = [b.text for b in extract_document(generated["one-column"], engine="pdfium").blocks if b.kind == "list_item"]
    assert items[0] == "Close the digital divide by 2026."
    assert items[1].startswith("Roll out full fibre") and items[1].endswith("the last few homes.")  # wrapped item joined


def test_lines_have_pdfplumbers_geometry(generated):
    import pdfplumber

    path = generated["one-column"]
    _, total, pages = pdfium_lines(path, 100)
    with pdfplumber.open(path) as pdf:
        assert total == len(pdf.pages)
        page = pdf.pages[1]
        words = page.extract_words(use_text_flow=True, extra_attrs=["size", "fontname"])
        page.close()
    first, heading = pages[1][2], words[len(pages[1][0]["text"].split()) + len(pages[1][1]["text"].split())]
    assert first["text"].startswith(heading["text"]) and first["bold"] == ("Bold" in heading["fontname"])
    assert first["x0"] == pytest.approx(heading["x0"], abs=0.05) and first["size"] == pytest.approx(heading["size"])
    assert first["top"] == pytest.approx(heading["top"], abs=0.6) and first["bottom"] == pytest.approx(heading["bottom"], abs=0.6)
    assert first["page_height"] == pytest.approx(float(pdf.pages[1].height)) and first["page"] == 2


def test_max_pages_cuts_with_a_warning(generated):
    document = extract_document(generated["one-column"], max_pages=2, engine="pdfium")
    assert document.pages == 2 and "only the first 2 of" in document.warnings[0]


def _zero_page_pdf() -> bytes:
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@pytest.mark.parametrize("engine", ["pdfplumber", "pdfium"])
@pytest.mark.parametrize(
    ("name", "make", "error", "message"),
    [
        ("encrypted.pdf", lambda p: make_pdf(p, NO_TABLE_BODY, password="secret"), EncryptedDocumentError, "password-protected"),
        ("truncated.pdf", lambda p: p.write_bytes(make_pdf(p, NO_TABLE_BODY).read_bytes()[:600]), CorruptDocumentError,
         "download it again"),
        ("scanned.pdf", write_image_only_pdf, NoTextLayerError, "ocrmypdf"),
        ("no-pages.pdf", lambda p: p.write_bytes(_zero_page_pdf()), EmptyDocumentError, "no pages"),
        ("empty.pdf", lambda p: p.write_bytes(b""), EmptyDocumentError, "empty"),
        ("page.pdf", lambda p: p.write_bytes(b"<html><body>Not found</body></html>"), UnsupportedFileError, "HTML page"),
    ],
)
def test_bad_files_raise_the_same_errors_with_both_engines(tmp_path, engine, name, make, error, message):
    path = tmp_path / name
    make(path)
    with pytest.raises(error, match=message):
        extract_document(path, engine=engine)


def test_an_empty_user_password_is_opened(tmp_path):
    document = extract_document(make_pdf(tmp_path / "empty-password.pdf", NO_TABLE_BODY, password=""), engine="pdfium")
    assert any(b.text == "Foreword" for b in document.blocks)


def test_an_unknown_engine_is_a_programming_error(generated):
    with pytest.raises(ValueError, match="pdfium"):
        extract_document(generated["one-column"], engine="pymupdf")
