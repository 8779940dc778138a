"""Write strategy-like PDFs from our Markdown-like sources (the only module importing reportlab).

Used to build the sample corpus (`make samples`), test fixtures and benchmark corpora. The
source format is described in corpus/sample-sources/README.md.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
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


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14, spaceAfter=6)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=24, leading=30),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontName="Helvetica-Bold", fontSize=17, leading=21),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13.5, leading=17),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=12, leading=15),
        "p": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=3, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11, spaceAfter=0),
    }


def _flowables(doc: SourceDocument, width: float) -> list[Flowable]:
    styles = _styles()
    title = str(doc.meta.get("title", "Digital Strategy"))
    story: list[Flowable] = [Spacer(1, 40 * mm), Paragraph(escape(title), styles["title"])]
    if doc.meta.get("council"):
        story.append(Paragraph(escape(str(doc.meta["council"])), styles["h2"]))
    for element in doc.elements:
        kind = element.kind
        if kind == "break":
            story.append(PageBreak())
        elif kind == "h1":
            story.extend([PageBreak(), Paragraph(escape(element.lines[0]), styles["h1"])])
        elif kind in ("h2", "h3", "h4", "h5", "h6"):
            story.append(Paragraph(escape(element.lines[0]), styles[kind if kind in styles else "h3"]))
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

    if two_column:
        gap = 8 * mm
        column = (width - gap) / 2
        frames = [
            Frame(margin, margin, column, height, id="left"),
            Frame(margin + column + gap, margin, column, height, id="right"),
        ]
        story_width = column
    else:
        frames = [Frame(margin, margin, width, height, id="body")]
        story_width = width
    document = BaseDocTemplate(
        str(path),
        pagesize=A4,
        title=str(source.meta.get("title", "")),
        author=council,
        invariant=True,  # byte-identical output for identical input
        encrypt=user_password,
    )
    document.addPageTemplates([PageTemplate(id="page", frames=frames, onPage=decorate)])
    document.build(_flowables(source, story_width - 12))


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
