"""Documents -> page-aware text blocks (the only module importing pdfplumber and python-docx).

A block is text no sentence may cross: a heading, a paragraph (wrapped lines joined), a list
item, a table row. Running headers and footers that repeat across pages are dropped, `(cid:N)`
glyphs become list markers, ligatures and quotes are normalised, and words hyphenated at line
ends are repaired.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from pipeline.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NoTextLayerError,
    UnsupportedFileError,
)
from pipeline.language import tag_languages
from pipeline.markup import BULLET_RE, parse_source
from pipeline.records import Block, Document

log = logging.getLogger(__name__)
SUPPORTED_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt", ".md")
EXTRACTOR_VERSION = "2"

# Prefixes that keep their hyphen when a word is split at a line end ("co-\ndesign" -> "co-design");
# any other split word is joined ("digi-\ntal" -> "digital").
HYPHEN_PREFIXES = frozenset(
    "co re e self non pre post cross multi inter well long short full high low real cloud user "
    "anti sub up out over under semi part one two three joined end face wide world".split()
)
NUMBERED_RE = re.compile(r"^\s*(?:\d{1,2}|[a-z])[.)]\s+")
CID_RE = re.compile(r"\(cid:\d+\)")
TOC_LINE_RE = re.compile(r"(?:\.{3,}|\u2026{2,}|\s{2,})\s*\d{1,3}\s*$")
DOT_LEADER_RE = re.compile(r"(?:\.{3,}|\u2026{2,})\s*\d{1,3}\s*$")
PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalise_text(text: str) -> str:
    """NFKC (ligatures, full-width forms), straight quotes, no cid glyphs, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    text = CID_RE.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def _lemma_table() -> tuple[object, frozenset[str]]:
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    return table, frozenset(table.values())


def is_english_word(word: str) -> bool:
    """A known English word form (spacy-lookups-data's lemma table, whose keys are hashed):
    "under-/standing" is one word, "co-/design" is not."""
    table, lemmas = _lemma_table()
    return word in table or word in lemmas  # type: ignore[operator]


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines into one paragraph, repairing words hyphenated at line ends."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        match = re.search(r"(\w+)-$", out)
        if match and line[:1].islower():
            head, tail = match.group(1), re.match(r"\w*", line).group(0)  # type: ignore[union-attr]
            keeps_hyphen = head.lower() in HYPHEN_PREFIXES and not is_english_word((head + tail).lower())
            out = out + line if keeps_hyphen else out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --------------------------------------------------------------------------------------------
# PDF


@dataclass
class _Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    page_height: float
    table: int | None = None  # index of the table this line is a row of


def _words_to_lines(words: list[dict], page_no: int, page_height: float) -> list[_Line]:
    lines: list[_Line] = []
    for word in words:
        text = word["text"]
        size = float(word.get("size", 0.0))
        bold = "bold" in str(word.get("fontname", "")).lower()
        last = lines[-1] if lines else None
        if last and abs(word["top"] - last.top) < max(2.0, size * 0.3) and word["x0"] >= last.x1 - 1:
            gap = " " if word["x0"] - last.x1 > 0.5 else ""
            last.text += gap + text
            last.x1, last.bottom = word["x1"], max(last.bottom, word["bottom"])
            last.size, last.bold = max(last.size, size), last.bold and bold
        else:
            lines.append(_Line(page_no, text, word["x0"], word["x1"], word["top"], word["bottom"], size, bold, page_height))
    return lines


def _repeated_margin_texts(lines: list[_Line], pages: int) -> set[str]:
    """Texts in the top or bottom margin that recur on many pages: running headers and footers."""
    if pages < 2:
        return set()
    counts: Counter[str] = Counter()
    for key in {(line.page, _margin_key(line)) for line in lines if _in_margin(line)}:
        counts[key[1]] += 1
    return {text for text, n in counts.items() if n >= max(2, pages // 2)}


def _in_margin(line: _Line) -> bool:
    return line.top < line.page_height * 0.08 or line.bottom > line.page_height * 0.93


def _margin_key(line: _Line) -> str:
    return re.sub(r"\d+", "#", normalise_text(line.text).lower())


def _blocks_from_lines(lines: list[_Line], running: set[str], body_size: float, start_no: int) -> list[Block]:
    blocks: list[Block] = []
    current: list[_Line] = []
    kind = "paragraph"

    def flush() -> None:
        nonlocal current
        if current:
            text = normalise_text(join_lines([ln.text for ln in current]))
            if text:
                first = current[0]
                bbox = (min(ln.x0 for ln in current), min(ln.top for ln in current),
                        max(ln.x1 for ln in current), max(ln.bottom for ln in current))
                blocks.append(Block(first.page, start_no + len(blocks), kind, text, bbox))
        current = []

    # A contents page: three entries with dot leaders, or four ending in a spaced-out page number.
    toc_page = sum(1 for ln in lines if DOT_LEADER_RE.search(ln.text.strip())) >= 3 or \
        sum(1 for ln in lines if TOC_LINE_RE.search(ln.text.strip())) >= 4
    for line in lines:
        raw = line.text.strip()
        if _in_margin(line) and (_margin_key(line) in running or PAGE_NUMBER_RE.match(normalise_text(raw))):
            flush()
            kind = "header" if line.top < line.page_height / 2 else "footer"
            current = [line]
            flush()
            continue
        if line.table is not None:
            flush()
            kind = "table_row"
            current = [line]
            flush()
            continue
        is_heading = body_size and (line.size >= body_size * 1.15 or (line.bold and len(raw.split()) <= 14))
        is_bullet = bool(BULLET_RE.match(raw) or NUMBERED_RE.match(raw))
        if toc_page and (TOC_LINE_RE.search(raw) or kind == "toc"):
            if kind != "toc" or TOC_LINE_RE.search(raw):
                flush()
            kind = "toc"
            current.append(line)
            continue
        if is_heading:
            same_heading = kind == "heading" and current and abs(current[-1].size - line.size) < 0.5 and \
                0 <= line.top - current[-1].bottom < line.size
            if not same_heading:
                flush()
            kind = "heading"
            current.append(line)
            continue
        if is_bullet:
            flush()
            kind = "list_item"
            line.text = BULLET_RE.sub("", raw, count=1) if BULLET_RE.match(raw) else raw
            current.append(line)
            continue
        if current and kind in ("paragraph", "list_item"):
            previous = current[-1]
            gap = line.top - previous.bottom
            height = max(previous.bottom - previous.top, 1.0)
            continues = -1 <= gap <= height * 0.9 and abs(line.size - previous.size) < 0.6
            if kind == "list_item":
                continues = continues and line.x0 > current[0].x0 - 2
            # A paragraph that runs on into the next column jumps back up the page.
            column_jump = gap < -height * 3 and not previous.text.rstrip().endswith((".", ":", "!", "?"))
            if continues or column_jump:
                current.append(line)
                continue
        flush()
        kind = "paragraph"
        current.append(line)
    flush()
    return blocks


# The first bytes of files often found misnamed in a folder of downloads.
MAGIC = ((b"%PDF-", "a PDF"), (b"PK\x03\x04", "a ZIP or Office file"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
         (b"GIF8", "a GIF image"), (b"\x1f\x8b", "a gzip archive"), (b"\xd0\xcf\x11\xe0", "an old Office (OLE) file"),
         (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"{\\rtf", "an RTF document"))


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is, in words for an error message ("" = nothing known)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ""  # UTF-16 text, NUL bytes and all
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if b"<html" in head.lower() or head.lstrip().lower().startswith(b"<!doctype html"):
        return "an HTML page"
    return "a binary file" if b"\x00" in head else ""


def _check_signature(path: Path, expected: str) -> None:
    """A file whose name promises one type but whose bytes are another fails with what it is."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    kind = sniff(head)
    if expected == "a PDF":
        wrong = b"%PDF-" not in head  # a PDF may start with junk before its header
        kind = kind or "not a PDF"
    elif expected == "text":
        wrong = kind not in ("", "an HTML page")  # a text file may well quote some HTML
    else:
        wrong = kind not in ("", expected)
    if wrong:
        raise UnsupportedFileError(path, f"the file is named {path.suffix} but is {kind}",
                                   "check the download and rename it with the right extension")


def _open_pdf(path: Path):  # noqa: ANN202 (pdfplumber.PDF)
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        return pdfplumber.open(path)
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        causes = (exc, exc.__cause__, *(exc.args[:1] if exc.args else ()))
        if any(isinstance(cause, PDFPasswordIncorrect) for cause in causes):
            raise EncryptedDocumentError(
                path, "the PDF is password-protected", "ask the publisher for an unprotected copy or remove the password (e.g. `qpdf --decrypt`)"
            ) from exc
        raise CorruptDocumentError(path, f"the PDF cannot be opened ({_describe(exc)})", "the file may be truncated or damaged; download it again") from exc


PDF_ENGINES = ("pdfplumber", "pdfium")


class _ReferenceLoop(Exception):
    pass


def _page_tree_loops(doc) -> bool:  # noqa: ANN001 (pdfminer PDFDocument)
    """Whether the page tree holds a reference that resolves to itself ("6 0 R" -> "7 0 R" -> "6 0 R").

    pdfminer's resolve1 follows such a chain forever, so the document would only be stopped by
    document_timeout; walking the tree first, with a visited set, costs one lookup per node."""
    from pdfminer.pdftypes import PDFObjRef

    def resolve(value: object) -> object:
        seen: set[int] = set()
        while isinstance(value, PDFObjRef):
            if value.objid in seen:
                raise _ReferenceLoop
            seen.add(value.objid)
            value = value.resolve()
        return value

    pending, visited = [doc.catalog.get("Pages")], set()
    try:
        while pending:
            node = pending.pop()
            if isinstance(node, PDFObjRef):
                if node.objid in visited:
                    continue  # a kid listing its parent: pdfminer skips visited nodes itself
                visited.add(node.objid)
            node = resolve(node)
            kids = resolve(node.get("Kids")) if isinstance(node, dict) else None
            pending.extend(kids if isinstance(kids, list) else ())
    except _ReferenceLoop:
        return True
    except Exception:  # noqa: BLE001, S110 (other damage is reported where the pages are read, with its own message)
        pass
    return False


def _page_chars(page) -> tuple[list[dict], bool]:  # noqa: ANN001 (pdfplumber.Page)
    """The page's characters with the keys pdfplumber's word extraction reads, and whether it has
    rules (rects or lines) that may draw a table.

    Read from pdfminer's layout with pdfplumber's coordinates (top from the page top, offset by the
    MediaBox), so words come out exactly as page.extract_words gives them (tests/test_extract.py
    checks), at twice the speed: page.chars resolves every character's colours and a dozen other
    attributes that text extraction never reads.
    """
    from pdfminer.layout import LTChar, LTContainer, LTLine, LTRect
    from pdfplumber.page import fix_fontname_bytes

    mediabox_x0, mediabox_top = float(page.mediabox[0]), float(page.mediabox[1])
    height, initial_doctop = float(page.height), float(page.initial_doctop)
    chars: list[dict] = []
    ruled = False
    pending = [iter(page.layout._objs)]  # depth-first, in content-stream order, into figures (XObjects)
    while pending:
        obj = next(pending[-1], None)
        if obj is None:
            pending.pop()
        elif isinstance(obj, LTChar):
            top = height - obj.y1 + mediabox_top
            fontname = fix_fontname_bytes(obj.fontname) if isinstance(obj.fontname, bytes) else obj.fontname
            chars.append({"text": obj.get_text(), "x0": obj.x0 + mediabox_x0, "x1": obj.x1 + mediabox_x0, "top": top,
                          "bottom": height - obj.y0 + mediabox_top, "doctop": initial_doctop + top, "upright": obj.upright,
                          "size": obj.size, "fontname": fontname})
        elif isinstance(obj, LTContainer):
            pending.append(iter(obj._objs))
        elif isinstance(obj, (LTRect, LTLine)):
            ruled = True
    return chars, ruled


def _pdfplumber_lines(path: Path, max_pages: int) -> tuple[str, int, list[list[_Line]]]:
    """(metadata title, page count, lines of each page read), ruled-table rows found by find_tables."""
    from pdfplumber.utils import extract_words

    pdf = _open_pdf(path)
    if _page_tree_loops(pdf.doc):
        pdf.stream.close()  # pdf.close() would walk the looping tree too
        raise CorruptDocumentError(path, "the PDF's page tree refers to itself in a loop", "download it again or re-save it from a PDF viewer")
    pages: list[list[_Line]] = []
    try:
        total = len(pdf.pages)
        if total == 0:
            raise EmptyDocumentError(path, "the PDF has no pages")
        title = str((pdf.metadata or {}).get("Title") or "").strip()
        for page in pdf.pages[:max_pages]:
            try:
                chars, ruled = _page_chars(page)
                words = extract_words(chars, use_text_flow=True, extra_attrs=["size", "fontname"])
                lines = _words_to_lines(words, page.page_number, float(page.height))
                if ruled:
                    _mark_table_rows(page, lines)
                pages.append(lines)
            finally:
                page.close()  # without this pdfplumber keeps ~5 MiB per page (performance-notes.md)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # damaged content streams fail deep inside pdfminer
        raise CorruptDocumentError(path, f"the PDF is damaged ({_describe(exc)})", "download it again or re-save it from a PDF viewer") from exc
    finally:
        try:
            pdf.close()
        except Exception:  # closing re-walks a broken page tree; the first error is the one to report
            log.debug("closing %s failed", path, exc_info=True)
    return title, total, pages


def _pdfium_lines(path: Path, max_pages: int) -> tuple[str, int, list[list[_Line]]]:
    from pipeline.extract_pdfium import pdfium_lines

    title, total, pages = pdfium_lines(path, max_pages)
    return title, total, [[_Line(**line) for line in lines] for lines in pages]


def extract_pdf(path: Path, max_pages: int, engine: str = "pdfplumber") -> tuple[str, int, list[Block], list[str]]:
    """Return (title, pages, blocks, warnings).

    Engines differ only in how they build lines; the block rules after that are shared.
    "pdfplumber" (the default) also finds ruled tables and makes each row one `table_row` block.
    "pdfium" (pipeline/extract_pdfium.py) builds lines 10-20x faster (the whole of extract_document
    is ~6x faster on tests/benchmarks/bench_extract.py) but has no table detection: a table's cells
    come out as ordinary lines, so its rows become paragraphs.
    """
    if engine not in PDF_ENGINES:
        raise ValueError(f"unknown PDF engine {engine!r}; use one of {', '.join(PDF_ENGINES)}")
    _check_signature(path, "a PDF")
    title, total, page_lines = (_pdfium_lines if engine == "pdfium" else _pdfplumber_lines)(path, max_pages)
    warnings: list[str] = []
    if total > max_pages:
        warnings.append(f"only the first {max_pages} of {total} pages were read (max_pages)")
    pages = len(page_lines)
    all_lines = [line for lines in page_lines for line in lines]
    no_text_pages = [page_no for page_no, lines in enumerate(page_lines, start=1) if not lines]
    if not all_lines:
        raise NoTextLayerError(path, "no page has a text layer (a scanned document?)", "OCR it first, e.g. `ocrmypdf in.pdf out.pdf`")
    if no_text_pages:
        warnings.append(f"{len(no_text_pages)} page(s) have no text layer ({_ranges(no_text_pages)}); OCR them, e.g. with ocrmypdf")
    sizes = [line.size for line in all_lines for _ in range(len(line.text))]
    body_size = statistics.median(sizes) if sizes else 0.0
    running = _repeated_margin_texts(all_lines, pages)
    blocks: list[Block] = []
    for lines in page_lines:
        blocks.extend(_blocks_from_lines(lines, running, body_size, len(blocks)))
    blocks = _join_across_pages(blocks)
    if not title:
        first = [ln for ln in page_lines[0] if not _in_margin(ln)]
        if first:
            largest = max(ln.size for ln in first)
            title = normalise_text(" ".join(ln.text for ln in first if ln.size >= largest - 0.5))
    return title, pages, blocks, warnings


def _join_across_pages(blocks: list[Block]) -> list[Block]:
    """A paragraph cut by a page break ("telecommuni-" | "cations ...", or a sentence without its
    full stop) continues as the first paragraph of the next page: join them on the first page."""
    out = list(blocks)
    dropped: set[int] = set()
    content = [i for i, b in enumerate(blocks) if b.kind not in ("header", "footer")]
    target = None  # index of the block that the current run of page-spanning parts is joined into
    for here, there in zip(content, content[1:]):
        target = target if here in dropped else here
        first, second = out[target], blocks[there]
        if (first.kind == second.kind == "paragraph" and second.page == blocks[here].page + 1
                and not first.text.endswith((".", "!", "?", ":", ";", '"', "'", ")")) and second.text[:1].islower()):
            out[target] = replace(first, text=join_lines([first.text, second.text]))
            dropped.add(there)
    return [replace(b, block_no=n) for n, b in enumerate(b for i, b in enumerate(out) if i not in dropped)]


def _mark_table_rows(page, lines: list[_Line]) -> None:  # noqa: ANN001 (pdfplumber.Page)
    """Replace the lines inside ruled tables by one line per table row, cells joined by ' | '."""
    for index, table in enumerate(page.find_tables()):
        x0, top, x1, bottom = table.bbox
        inside = [ln for ln in lines if ln.top >= top - 1 and ln.bottom <= bottom + 1 and ln.x0 >= x0 - 1 and ln.x1 <= x1 + 1]
        if not inside:
            continue
        rows = []
        for row in table.extract():
            cells = [re.sub(r"\s+", " ", cell or "").strip() for cell in row]
            if any(cells):
                rows.append(" | ".join(c for c in cells if c))
        position = lines.index(inside[0])
        for line in inside:
            lines.remove(line)
        template = inside[0]
        for offset, text in enumerate(rows):
            lines.insert(position + offset, _Line(template.page, text, x0, x1, top, bottom, template.size, False, template.page_height, index))


def _ranges(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


# --------------------------------------------------------------------------------------------
# Other formats yield the same block records; DOCX and HTML have no fixed pages, so all is page 1.


def _blocks_from_items(items: list[tuple[int, str, str]]) -> list[Block]:
    """(page, kind, text) items -> normalised blocks, dropping empty ones."""
    blocks = []
    for page, kind, text in items:
        text = normalise_text(text)
        if text:
            blocks.append(Block(page, len(blocks), kind, text))
    return blocks


MARKUP_KINDS = {"p": "paragraph", "bullet": "list_item", **{f"h{i}": "heading" for i in range(1, 7)}}


def extract_text_file(path: Path) -> tuple[str, list[Block]]:
    """.txt and .md: our Markdown-like format; form feeds and <pagebreak> start a new page."""
    _check_signature(path, "text")
    try:
        with path.open("rb") as handle:
            utf16 = handle.read(2) in (b"\xff\xfe", b"\xfe\xff")
        text = path.read_text(encoding="utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252", errors="replace")
    items: list[tuple[int, str, str]] = []
    page = 1
    for element in parse_source(text).elements:
        if element.kind == "break":
            page += 1
        elif element.kind == "table":
            items.extend((page, "table_row", " | ".join(c for c in row if c)) for row in element.rows)
        else:
            items.append((page, MARKUP_KINDS[element.kind], join_lines(list(element.lines))))
    blocks = _blocks_from_items(items)
    return next((b.text for b in blocks if b.kind == "heading"), ""), blocks


def _describe(exc: BaseException) -> str:
    """A short reason for a parser's error: its type and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}{'...' if len(text) > 160 else ''}" if text else type(exc).__name__


MAX_DOCX_XML_BYTES = 200 * 1024 * 1024  # a real strategy's document.xml is a few MB


def extract_docx(path: Path) -> tuple[str, list[Block]]:
    import zipfile
    import zlib

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_DOCX_XML_BYTES:
            raise CorruptDocumentError(path, f"the Word file would unpack to {unpacked // 2**20} MiB (a zip bomb?)", "check where it came from")
        document = docx.Document(str(path))
        document.element.body  # noqa: B018 (a document whose root is not a Word body fails here, not later)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError, zlib.error, LxmlError) as exc:
        raise CorruptDocumentError(path, f"the Word file cannot be opened ({_describe(exc)})", "re-save it from Word as .docx") from exc
    items: list[tuple[int, str, str]] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        kind = "heading" if style.startswith(("heading", "title")) else "list_item" if "list" in style else "paragraph"
        items.append((1, kind, paragraph.text))
    for table in document.tables:
        for row in table.rows:
            items.append((1, "table_row", " | ".join(c.text.strip() for c in row.cells if c.text.strip())))
    title = (document.core_properties.title or "").strip()
    blocks = _blocks_from_items(items)
    return title or next((b.text for b in blocks if b.kind == "heading"), ""), blocks


class _HTMLBlocks(HTMLParser):
    BLOCK_TAGS = {"p": "paragraph", "li": "list_item", "tr": "table_row", "div": "paragraph", "blockquote": "paragraph",
                  **{f"h{i}": "heading" for i in range(1, 7)}}
    SKIP = {"script", "style", "nav", "footer", "header", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str]] = []
        self.stack: list[tuple[str, list[str]]] = []
        self.skipping = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self.BLOCK_TAGS:
            self._close_open_text()
            self.stack.append((self.BLOCK_TAGS[tag], []))
        elif tag in ("td", "th") and self.stack:
            self.stack[-1][1].append(" | ")
        elif tag == "br" and self.stack:
            self.stack[-1][1].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self.BLOCK_TAGS and self.stack:
            kind, parts = self.stack.pop()
            text = "".join(parts).strip(" |")
            self.items.append((kind, re.sub(r"(\s*\|\s*)+", " | ", text) if kind == "table_row" else text))

    def _close_open_text(self) -> None:
        if self.stack and "".join(self.stack[-1][1]).strip():
            kind, parts = self.stack[-1]
            self.items.append((kind, "".join(parts).strip(" |")))
            parts.clear()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self.skipping and self.stack:
            self.stack[-1][1].append(data)


def extract_html(path: Path) -> tuple[str, list[Block]]:
    _check_signature(path, "an HTML page")
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    blocks = _blocks_from_items([(1, kind, text) for kind, text in parser.items])
    return normalise_text(parser.title) or next((b.text for b in blocks if b.kind == "heading"), ""), blocks


# --------------------------------------------------------------------------------------------


def doc_id_for(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-").lower() or "document"


def extract_document(path: Path, max_pages: int = 400, sha256: str | None = None, engine: str = "pdfplumber") -> Document:
    """Read one file into blocks; raise a DocumentError naming the problem and its fix.

    engine picks the PDF reader (PDF_ENGINES; see extract_pdf); other formats ignore it."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path, f"{suffix or 'no extension'} files are not supported", f"convert it to one of {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorruptDocumentError(path, f"the file cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise EmptyDocumentError(path, "the file is empty (0 bytes)", "download it again")
    digest = sha256 or sha256_of(path)
    warnings: list[str] = []
    if suffix == ".pdf":
        title, pages, blocks, warnings = extract_pdf(path, max_pages, engine)
    else:
        reader = {".docx": extract_docx, ".html": extract_html, ".htm": extract_html}.get(suffix, extract_text_file)
        title, blocks = reader(path)
        pages = max((b.page for b in blocks), default=1)
    if not any(b.kind not in ("header", "footer") for b in blocks):
        raise EmptyDocumentError(path, "no text was found in the file", "check that it is the strategy itself, not a cover page")
    return tag_languages(Document(doc_id_for(path), str(path), digest, title, pages, tuple(blocks), tuple(warnings)))


def ocr_pdf(path: Path, target: Path) -> Path:
    """Add a text layer to the pages that lack one, with ocrmypdf when it is installed."""
    import shutil
    import subprocess

    if shutil.which("ocrmypdf") is None:
        raise NoTextLayerError(path, "pages have no text layer and ocrmypdf is not installed", "install it (apt-get install ocrmypdf) or OCR the file yourself")
    result = subprocess.run(["ocrmypdf", "--skip-text", "--quiet", str(path), str(target)], capture_output=True, text=True)
    if result.returncode != 0 or not target.is_file():
        raise NoTextLayerError(path, f"ocrmypdf failed ({result.stderr.strip()[:200] or result.returncode})", "OCR the file yourself")
    return target


def find_documents(folder: Path) -> tuple[list[Path], list[Path]]:
    """Supported files under folder (recursively, sorted) and the other files that were skipped."""
    documents, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts) or path.name == "metadata.csv":
            continue
        (documents if path.suffix.lower() in SUPPORTED_SUFFIXES else skipped).append(path)
    return documents, skipped
