"""Write strategy-like PDFs from our Markdown-like sources (the only module importing reportlab).

Used to build the sample corpus (`make samples`), test fixtures and benchmark corpora. The
source format is described in corpus/sample-sources/README.md. Two optional front-matter keys
make layouts that extraction must cope with (both off by default):

* `contents: true` adds a contents page after the title page: one line per H1 and H2 with a
  dot leader and the page number, as word processors lay it out.
* `hyphenate: true` breaks words at line ends with a hyphen, as auto-hyphenation does.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from pipeline.markup import SourceDocument, parse_source

VOWELS = frozenset("aeiouyAEIOUY")
NO_BREAK_PAIRS = frozenset("ch ck gh ng ph qu sh th wh".split())


def _hyphenation_points(word: str) -> Iterator[tuple[str, str]]:
    """Where a word may break at a line end, longest head first: after an existing hyphen, else at
    a rough syllable boundary (VC-CV or V-CV, never inside ch/sh/th...) leaving 3+ letters each side.

    A stand-in for pyphen (not installed) that reportlab calls only for words overflowing a line.
    """
    if "-" in word:
        for i in range(len(word) - 3, 1, -1):
            if word[i] == "-":
                yield word[: i + 1], word[i + 1 :]
        return
    for i in range(len(word) - 3, 2, -1):
        before, after = word[i - 1], word[i]
        if (before + after).lower() in NO_BREAK_PAIRS:
            continue
        consonant_pair = before not in VOWELS and after not in VOWELS
        vowel_then_consonant = before in VOWELS and after not in VOWELS and word[i + 1] in VOWELS
        if (consonant_pair or vowel_then_consonant) and VOWELS & set(word[:i]) and VOWELS & set(word[i:]):
            yield word[:i], word[i:]


def _flag(meta: dict[str, str | list[str]], key: str) -> bool:
    return str(meta.get(key, "")).strip().lower() in ("true", "yes", "1")


def _styles(hyphenate: bool = False) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14, spaceAfter=6)
    styles = {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=24, leading=30),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName="Helvetica-Bold", fontSize=17, leading=21),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13.5, leading=17),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=12, leading=15),
        "p": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=3, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11, spaceAfter=0),
    }
    if hyphenate:  # body text and list items only; headings and table cells never break a word
        for name in ("p", "bullet"):
            styles[name].hyphenationLang = _hyphenation_points
    return styles


class _ContentsLines(Flowable):
    """A contents list: entry text, a run of leader dots, the page number flush right; H2 entries indented."""

    def __init__(self, entries: list[tuple[int, str]], pages: list[int], style: ParagraphStyle) -> None:
        super().__init__()
        self.entries, self.pages, self.style = entries, pages, style

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab API)
        self.width, self.height = availWidth, len(self.entries) * self.style.leading
        return self.width, self.height

    def draw(self) -> None:
        font, size, leading = self.style.fontName, self.style.fontSize, self.style.leading
        dot = stringWidth(".", font, size)
        self.canv.setFont(font, size)
        for row, ((level, text), page) in enumerate(zip(self.entries, self.pages)):
            y = self.height - (row + 1) * leading + (leading - size) / 2
            x = level * 6 * mm
            number = str(page)
            self.canv.drawString(x, y, text)
            leader_start = x + stringWidth(text, font, size) + dot
            leader_end = self.width - stringWidth(number, font, size) - dot
            dots = max(3, int((leader_end - leader_start) / dot))
            self.canv.drawRightString(leader_end, y, "." * dots)
            self.canv.drawRightString(self.width, y, number)


def _heading(text: str, style: ParagraphStyle, listed: bool) -> Paragraph:
    heading = Paragraph(escape(text), style)
    if listed:
        heading.contents_entry = True  # write_pdf's first run notes the page this lands on
    return heading


def _flowables(doc: SourceDocument, width: float, contents_pages: list[int] | None = None) -> list[Flowable]:
    """The story; contents_pages (one page per H1/H2, in order) adds a contents page after the title."""
    styles = _styles(_flag(doc.meta, "hyphenate"))
    title = str(doc.meta.get("title", "Digital Strategy"))
    story: list[Flowable] = [Spacer(1, 40 * mm), Paragraph(escape(title), styles["title"])]
    if doc.meta.get("council"):
        story.append(Paragraph(escape(str(doc.meta["council"])), styles["h2"]))
    if contents_pages is not None:
        entries = [(int(e.kind[1]) - 1, e.lines[0]) for e in doc.elements if e.kind in ("h1", "h2")]
        story.extend([PageBreak(), Paragraph("Contents", styles["h1"]), _ContentsLines(entries, contents_pages, styles["p"])])
    for element in doc.elements:
        kind = element.kind
        if kind == "break":
            story.append(PageBreak())
        elif kind == "h1":
            story.extend([PageBreak(), _heading(element.lines[0], styles["h1"], contents_pages is not None)])
        elif kind in ("h2", "h3", "h4", "h5", "h6"):
            story.append(_heading(element.lines[0], styles[kind if kind in styles else "h3"], contents_pages is not None and kind == "h2"))
        elif kind == "p":
            story.append(Paragraph(escape(" ".join(element.lines)), styles["p"]))
        elif kind == "bullet":
            story.append(Paragraph(escape(element.lines[0]), styles["bullet"], bulletText="\u2022"))
        elif kind == "table":
            columns = max(len(r) for r in element.rows)
            rows = [[Paragraph(escape(cell), styles["cell"]) for cell in row + ("",) * (columns - len(row))]
                    for row in element.rows]
            table = Table(rows, colWidths=[width / columns] * columns, repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.extend([table, Spacer(1, 4 * mm)])
    return story


def write_pdf(source: SourceDocument, path: Path, user_password: str | None = None) -> None:
    """Render one source document: running header and footer with page numbers on every page."""
    header = str(source.meta.get("header", source.meta.get("title", "")))
    council = str(source.meta.get("council", ""))
    two_column = source.meta.get("layout") == "two-column"
    page_width, page_height = A4
    margin = 20 * mm
    width = page_width - 2 * margin
    height = page_height - 2 * margin - 10 * mm

    def decorate(canvas, document) -> None:  # noqa: ANN001 (reportlab callback)
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(margin, page_height - 12 * mm, header)
        canvas.drawRightString(page_width - margin, page_height - 12 * mm, council)
        canvas.drawString(margin, 10 * mm, f"{council} | {header}")
        canvas.drawRightString(page_width - margin, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    gap = 8 * mm
    column = (width - gap) / 2
    story_width = column if two_column else width

    def new_document(target: str | io.BytesIO) -> BaseDocTemplate:
        if two_column:
            frames = [
                Frame(margin, margin, column, height, id="left"),
                Frame(margin + column + gap, margin, column, height, id="right"),
            ]
        else:
            frames = [Frame(margin, margin, width, height, id="body")]
        document = BaseDocTemplate(
            target,
            pagesize=A4,
            title=str(source.meta.get("title", "")),
            author=council,
            invariant=True,  # byte-identical output for identical input
            encrypt=user_password,
        )
        document.addPageTemplates([PageTemplate(id="page", frames=frames, onPage=decorate)])
        return document

    contents_pages = None
    if _flag(source.meta, "contents"):
        # A first run with placeholder numbers finds the page of every H1/H2; the contents page is
        # as tall either way, so the final run puts every heading on the page it lists.
        entries = sum(1 for e in source.elements if e.kind in ("h1", "h2"))
        trial = new_document(io.BytesIO())
        found: list[int] = []
        trial.afterFlowable = lambda flowable: found.append(trial.page) if getattr(flowable, "contents_entry", False) else None
        trial.build(_flowables(source, story_width - 12, [0] * entries))
        contents_pages = found
    new_document(str(path)).build(_flowables(source, story_width - 12, contents_pages))


def build_samples(source_dir: Path, out_dir: Path, truth_file: Path) -> list[Path]:
    """Render every source in source_dir to out_dir and write the truth file from front matter."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    truth_rows = ["doc_id,file,themes_present,themes_absent"]
    for source_path in sorted(source_dir.glob("*.md")):
        if source_path.name.upper() == "README.MD":
            continue
        source = parse_source(source_path.read_text(encoding="utf-8"))
        doc_id = str(source.meta.get("doc_id", source_path.stem))
        target = out_dir / f"{doc_id}.pdf"
        write_pdf(source, target)
        written.append(target)
        present = ";".join(source.meta.get("themes_present", []))  # type: ignore[arg-type]
        absent = ";".join(source.meta.get("themes_absent", []))  # type: ignore[arg-type]
        truth_rows.append(f"{doc_id},{target.name},{present},{absent}")
    truth_file.write_text("\n".join(truth_rows) + "\n", encoding="utf-8")
    return written


def write_image_only_pdf(path: Path, pages: int = 2) -> None:
    """A PDF whose pages carry only drawings, like a scan with no text layer."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, invariant=True)
    for _ in range(pages):
        canvas.setFillColor(colors.lightgrey)
        canvas.rect(50, 50, 400, 600, fill=1)
        canvas.showPage()
    canvas.save()
