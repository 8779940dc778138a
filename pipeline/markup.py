"""Parse our Markdown-like text format: front matter, headings, paragraphs, bullets, tables, page breaks.

One parser serves both directions: pdfwrite renders sources in this format to PDF, and extract
reads .md and .txt documents with it. The format is described in corpus/sample-sources/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PAGE_BREAK = "<pagebreak>"
BULLET_RE = re.compile(r"^\s*(?:\(cid:\d+\)|[\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2043\u2219\u00b7\uf0b7\uf0a7*\u2013-])\s*")
HEADING_RE = re.compile(r"(#{1,6})\s+(.*)")
TABLE_RULE_RE = re.compile(r":?-{3,}:?")


@dataclass(frozen=True)
class Element:
    kind: str  # h1..h6 | p | bullet | table | break
    lines: tuple[str, ...] = ()  # p: its wrapped lines; h*/bullet: one line
    rows: tuple[tuple[str, ...], ...] = ()  # table: cells per row, header row first


@dataclass
class SourceDocument:
    meta: dict[str, str | list[str]]
    elements: list[Element] = field(default_factory=list)


def _meta_value(raw: str) -> str | list[str]:
    raw = raw.split(" #", 1)[0].strip()
    if raw.startswith("[") and raw.endswith("]"):
        return [v.strip().strip("'\"") for v in raw[1:-1].split(",") if v.strip()]
    return raw.strip("'\"")


def _split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    meta: dict[str, str | list[str]] = {}
    if not text.startswith("---") or text.count("---") < 2:
        return meta, text
    _, front, body = text.split("---", 2)
    for line in front.strip().splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            key, value = line.split(":", 1)
            meta[key.strip()] = _meta_value(value)
    return meta, body


def parse_source(text: str) -> SourceDocument:
    """Split front matter from body and the body into elements; a form feed is a page break."""
    meta, body = _split_front_matter(text)
    doc = SourceDocument(meta)
    paragraph: list[str] = []
    table: list[tuple[str, ...]] = []

    def flush() -> None:
        if paragraph:
            doc.elements.append(Element("p", lines=tuple(paragraph)))
            paragraph.clear()
        if table:
            doc.elements.append(Element("table", rows=tuple(table)))
            table.clear()

    for line in body.replace("\f", f"\n{PAGE_BREAK}\n").splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped == PAGE_BREAK:
            flush()
            doc.elements.append(Element("break"))
        elif stripped.startswith("|"):
            if paragraph:
                flush()
            cells = tuple(c.strip() for c in stripped.strip("|").split("|"))
            if not all(TABLE_RULE_RE.fullmatch(c) for c in cells):
                table.append(cells)
        elif heading := HEADING_RE.match(stripped):
            flush()
            doc.elements.append(Element(f"h{len(heading.group(1))}", lines=(heading.group(2),)))
        elif BULLET_RE.match(stripped):
            flush()
            doc.elements.append(Element("bullet", lines=(BULLET_RE.sub("", stripped, count=1),)))
        else:
            if table:
                flush()
            paragraph.append(stripped)
    flush()
    return doc
