"""PDF pages -> positioned text lines with PDFium (the only module importing pypdfium2).

The fast engine behind `extract_document(..., engine="pdfium")`: PDFium parses a page in about a
millisecond where pdfminer (under pdfplumber) takes 60-75 ms (shared/reference/performance-notes.md);
with the per-word calls below a page's lines take a few milliseconds.
It yields the line records pipeline.extract builds from pdfplumber words, in the same geometry, so
the block rules (headings, list items, paragraphs, running headers, contents pages) apply unchanged:

* coordinates are top-origin points from the MediaBox, like pdfplumber's;
* `x0`/`x1` come from PDFium's loose char boxes (origin to origin + advance, as pdfminer's);
* `bottom` is the baseline plus the font's descent and `top` is `bottom - size`, as in pdfminer.
  The loose box itself is taller (the font's bounding box), which would shrink the gaps between
  paragraphs that the block rules measure against the line height;
* `size` is the font size scaled by the char's matrix (FPDFText_GetFontSize alone is unscaled);
* words split at whitespace, including the spaces and line breaks PDFium generates from gaps.

What PDFium does not give: pdfplumber's ruled-table detection (`find_tables`). With this engine a
table's cells come out as ordinary lines in content order, so table rows become paragraphs rather
than `table_row` blocks joined with " | ". Rotated pages are read in unrotated page space.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
from functools import partial
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.errors import CorruptDocumentError, EmptyDocumentError, EncryptedDocumentError

# PDFium marks a hyphen that ends a line and drops the line break after it: U+0002 from
# FPDFText_GetUnicode, U+FFFE in FPDFText_GetText ("infor\ufffemation"). The word ends there, with
# "-", as pdfplumber reports it.
SOFT_HYPHEN_RE = re.compile(r"[\x02\ufffe]")
WORD_RE = re.compile(r"[^\s\x00\x02\ufffe]+[\x02\ufffe]?|[\x02\ufffe]")
BOLD_WEIGHT = 700  # FontDescriptor /FontWeight of bold faces (PDF 32000-1, table 122)
FONT_NAME_BYTES = 256
LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "the file cannot be read",
    pdfium_c.FPDF_ERR_FORMAT: "not a valid PDF structure",
    pdfium_c.FPDF_ERR_SECURITY: "an unsupported security handler",
    pdfium_c.FPDF_ERR_PAGE: "a damaged page tree",
}


def pdfium_lines(path: Path, max_pages: int) -> tuple[str, int, list[list[dict]]]:
    """Return (metadata title, page count, lines of each page read), lines in content order.

    A line is a dict with the fields of pipeline.extract's line record: page, text, x0, x1, top,
    bottom, size, bold, page_height. A page without a text layer has no lines.
    """
    document = _open(path)
    try:
        total = len(document)
        if total == 0:
            raise EmptyDocumentError(path, "the PDF has no pages")
        title = str(document.get_metadata_value("Title") or "").strip()
        pages = [_page_lines(path, document, index) for index in range(min(total, max_pages))]
    finally:
        document.close()
    return title, total, pages


def _open(path: Path) -> pdfium.PdfDocument:
    # The raw call, because pypdfium2's PdfDocument treats a document without pages as a load
    # failure, with an error code left over from whatever failed before (PDFium sets it only on failure).
    handle = pdfium_c.FPDF_LoadDocument(os.fsencode(path), None)  # None: PDFium tries the empty user password
    if not handle:
        error = pdfium_c.FPDF_GetLastError()
        if error == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedDocumentError(
                path, "the PDF is password-protected",
                "ask the publisher for an unprotected copy or remove the password (e.g. `qpdf --decrypt`)",
            )
        raise CorruptDocumentError(
            path, f"the PDF cannot be opened (PDFium: {LOAD_ERRORS.get(error, f'error {error}')})",
            "the file may be truncated or damaged; download it again",
        )
    return pdfium.PdfDocument(handle)


def _page_lines(path: Path, document: pdfium.PdfDocument, index: int) -> list[dict]:
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        raise _damaged(path, index, exc) from exc
    try:
        text_page = page.get_textpage()
        try:
            left, bottom, _, top = page.get_mediabox()
            return _lines(_words(text_page.raw, left, top), index + 1, top - bottom)
        finally:
            text_page.close()
    except pdfium.PdfiumError as exc:
        raise _damaged(path, index, exc) from exc
    finally:
        page.close()


def _damaged(path: Path, index: int, error: Exception) -> CorruptDocumentError:
    return CorruptDocumentError(path, f"the PDF is damaged (page {index + 1}: {str(error).rstrip('.')})",
                                "download it again or re-save it from a PDF viewer")


class _Fonts:
    """Size, bold flag and where the bottom goes, per text object: its chars share font and matrix."""

    def __init__(self, text_page: object) -> None:
        self.text_page = text_page
        self.by_object: dict[int | None, tuple[float, bool, float]] = {}
        self.name = ctypes.create_string_buffer(FONT_NAME_BYTES)
        self.flags = ctypes.c_int()
        self.matrix = pdfium_c.FS_MATRIX()
        self.descent = ctypes.c_float()
        self.x, self.y = ctypes.c_double(), ctypes.c_double()

    def get(self, char: int, loose_bottom: float) -> tuple[float, bool, float]:
        """(size, bold, offset): pdfminer's bottom of the char is its loose box's bottom + offset."""
        text_object = pdfium_c.FPDFText_GetTextObject(self.text_page, char)
        key = ctypes.c_void_p.from_buffer(text_object).value
        found = self.by_object.get(key)
        if found is None:
            found = self.by_object[key] = self._read(char, text_object, loose_bottom)
        return found

    def _read(self, char: int, text_object: object, loose_bottom: float) -> tuple[float, bool, float]:
        size = pdfium_c.FPDFText_GetFontSize(self.text_page, char)
        if pdfium_c.FPDFText_GetMatrix(self.text_page, char, self.matrix):
            size *= math.hypot(self.matrix.c, self.matrix.d) or 1.0
        pdfium_c.FPDFText_GetFontInfo(self.text_page, char, self.name, FONT_NAME_BYTES, ctypes.byref(self.flags))
        # pdfplumber's rule is "bold" in the font name; the weight also catches bold faces named otherwise.
        bold = b"bold" in self.name.value.lower() or pdfium_c.FPDFText_GetFontWeight(self.text_page, char) >= BOLD_WEIGHT
        descent = 0.0
        font = pdfium_c.FPDFTextObj_GetFont(text_object) if text_object else None
        if font and pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(size), ctypes.byref(self.descent)):
            descent = self.descent.value  # negative: below the baseline
        # The loose box is the font's bounding box, so within one object its bottom lies a fixed
        # distance from the baseline: one origin call per object instead of one per word.
        pdfium_c.FPDFText_GetCharOrigin(self.text_page, char, self.x, self.y)
        return round(size, 4), bold, self.y.value + descent - loose_bottom


def _page_text(text_page: object) -> str:
    """The page's chars as one string, index i being char i (generated spaces and line breaks included)."""
    count = pdfium_c.FPDFText_CountChars(text_page)
    if count <= 0:
        return ""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(text_page, 0, count, buffer)
    text = ctypes.string_at(buffer, max(written - 1, 0) * 2).decode("utf-16-le", errors="replace")
    if len(text) == count and pdfium_c.FPDFText_GetTextIndexFromCharIndex(text_page, count - 1) == count - 1:
        return text
    # PDFium left chars out of its text (or a char is outside the BMP): slower, one call per char.
    codes = map(partial(pdfium_c.FPDFText_GetUnicode, text_page), range(count))
    return "".join(chr(code) if code else " " for code in codes)


def _words(text_page: object, left: float, top: float) -> list[dict]:
    """Words in content order, in pdfplumber's word geometry."""
    fonts = _Fonts(text_page)
    box = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    words = []
    for match in WORD_RE.finditer(_page_text(text_page)):
        first, last = match.start(), match.end() - 1
        get_box(text_page, first, box)
        x0, loose_bottom = box.left, box.bottom
        size, bold, offset = fonts.get(first, loose_bottom)
        if last != first:
            get_box(text_page, last, box)
        bottom = top - (loose_bottom + offset)
        words.append({"text": SOFT_HYPHEN_RE.sub("-", match.group()), "x0": x0 - left, "x1": box.right - left,
                      "top": bottom - size, "bottom": bottom, "size": size, "bold": bold})
    return words


def _lines(words: list[dict], page_no: int, page_height: float) -> list[dict]:
    """Words on one baseline, left to right, form a line: pipeline.extract's rule for pdfplumber words."""
    lines: list[dict] = []
    for word in words:
        last = lines[-1] if lines else None
        if last and abs(word["top"] - last["top"]) < max(2.0, word["size"] * 0.3) and word["x0"] >= last["x1"] - 1:
            last["text"] += (" " if word["x0"] - last["x1"] > 0.5 else "") + word["text"]
            last["x1"], last["bottom"] = word["x1"], max(last["bottom"], word["bottom"])
            last["size"], last["bold"] = max(last["size"], word["size"]), last["bold"] and word["bold"]
        else:
            lines.append({"page": page_no, **word, "page_height": page_height})
    return lines
