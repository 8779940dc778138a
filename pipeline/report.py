"""Write the reports: CSV files a researcher opens in a spreadsheet, and run.json (no ML here).

Every file is written to a temporary name and renamed, so an interrupted run never leaves a
half-written report over a good one. CSVs are UTF-8 with a BOM (Excel then shows £ and curly
quotes), have fixed columns and sorted rows, and neutralise spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.aggregate import DEPTH_ORDER, STATUS_ORDER, item_verdict
from pipeline.records import METADATA_COLUMNS, DocumentResult, ThemeVerdict
from pipeline.taxonomy import Framework, Taxonomy

DOCUMENT_COLUMNS = ("doc_id", "file", "sha256", "title", "pages", "words", "status", "message", *METADATA_COLUMNS,
                    "welsh_blocks", "other_language_blocks")
GAP_COLUMNS = ("doc_id", "framework", "item_id", "item", "themes", "status", "score", "evidence_count",
               "best_evidence", "best_page", "question", *METADATA_COLUMNS, "depth", "mentions", "commitments", "targets",
               "quote_2", "page_2", "quote_3", "page_3")
EVIDENCE_COLUMNS = ("doc_id", "page", "sentence_no", "theme", "source", "score", "matched_terms", "sentence", "depth")
SUMMARY_COLUMNS = ("framework", "level", "id", "title", "group_by", "group", "documents", "covered", "thin", "missing",
                   "not_assessable", "share_covered", "leading_documents")
GROUP_BY = ("council_type", "region", "year")  # metadata columns worth a breakdown
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_atomic(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return buffer.getvalue()


def document_rows(results: Sequence[DocumentResult]) -> list[tuple]:
    return [(r.doc_id, r.file, r.sha256, r.title, r.pages, r.words, r.status, r.message, *_metadata(r),
             r.welsh_blocks, r.other_language_blocks) for r in results]


def _metadata(result: DocumentResult) -> tuple[str, ...]:
    return tuple(getattr(result, column) for column in METADATA_COLUMNS)


def item_verdicts(result: DocumentResult, framework: Framework) -> list[ThemeVerdict]:
    verdicts = {v.theme: v for v in result.verdicts}
    return [item_verdict(item, verdicts) for item in framework.items]


def gap_rows(results: Sequence[DocumentResult], framework: Framework, taxonomy: Taxonomy) -> list[tuple]:
    rows = []
    for result in results:
        for item, verdict in zip(framework.items, item_verdicts(result, framework)):
            question = " ".join(taxonomy.theme(t).question for t in item.themes) if verdict.status != "covered" else ""
            more = [cell for e in verdict.top[1:] for cell in (e.sentence, e.page)]
            more += [""] * (4 - len(more))
            rows.append((result.doc_id, framework.id, item.id, item.title, ";".join(item.themes), verdict.status,
                         f"{verdict.score:.3f}", verdict.evidence_count, verdict.best_evidence, verdict.best_page, question,
                         *_metadata(result), verdict.depth, verdict.mentions, verdict.commitments, verdict.targets, *more))
    return rows


def _summary_row(framework: str, level: str, key: str, title: str, group_by: str, group: str,
                 verdicts: Sequence[ThemeVerdict]) -> tuple:
    counts = Counter(v.status for v in verdicts)
    assessable = len(verdicts) - counts["not_assessable"]
    leaders = sorted((v for v in verdicts if v.status in ("covered", "thin")),
                     key=lambda v: (-STATUS_ORDER[v.status], -DEPTH_ORDER[v.depth], -(v.targets + v.commitments), -v.score, v.doc_id))
    return (framework, level, key, title, group_by, group, len(verdicts), counts["covered"], counts["thin"], counts["missing"],
            counts["not_assessable"], f"{counts['covered'] / assessable:.3f}" if assessable else "",
            ";".join(v.doc_id for v in leaders[:3]))


def summary_rows(results: Sequence[DocumentResult], framework: Framework, taxonomy: Taxonomy) -> list[tuple]:
    """Per framework item and per theme: how many documents cover it, and who does it best;
    then the same broken down by council type, region and year where metadata gives them."""
    per_item = [item_verdicts(r, framework) for r in results]
    per_theme = [{v.theme: v for v in r.verdicts} for r in results]
    groupings: list[tuple[str, str, list[int]]] = [("all", "", list(range(len(results))))]
    for column in GROUP_BY:
        values = [getattr(r, column) for r in results]
        if any(values):
            for value in sorted(set(values)):
                groupings.append((column, value or "(unknown)", [i for i, v in enumerate(values) if v == value]))
    rows = []
    for group_by, group, members in groupings:
        for index, item in enumerate(framework.items):
            rows.append(_summary_row(framework.id, "item", item.id, item.title, group_by, group, [per_item[i][index] for i in members]))
        for theme in taxonomy.themes:
            rows.append(_summary_row(framework.id, "theme", theme.id, theme.title, group_by, group, [per_theme[i][theme.id] for i in members]))
    return rows


def evidence_rows(results: Sequence[DocumentResult]) -> list[tuple]:
    rows = [(e.doc_id, e.page, e.sentence_no, e.theme, e.source, f"{e.score:.3f}", ";".join(e.matched_terms), e.sentence, e.depth)
            for r in results for e in r.evidence]
    return sorted(rows, key=lambda row: (row[0], row[2], row[3]))


def coverage_rows(results: Sequence[DocumentResult], taxonomy: Taxonomy) -> list[tuple]:
    rows = []
    for result in results:
        status = {v.theme: v.status for v in result.verdicts}
        rows.append((result.doc_id, *(status.get(theme, "not_assessable") for theme in taxonomy.ids), *_metadata(result)))
    return rows


def report_files(results: Sequence[DocumentResult], frameworks: Sequence[Framework], taxonomy: Taxonomy) -> dict[str, str]:
    """Every CSV report's name and text; results must already be sorted by doc_id. The first framework's
    reports are gap_report.csv and summary.csv; any others get gap_report-<id>.csv and summary-<id>.csv."""
    files = {"documents.csv": csv_text(DOCUMENT_COLUMNS, document_rows(results))}
    for index, framework in enumerate(frameworks):
        suffix = "" if index == 0 else f"-{framework.id}"
        files[f"gap_report{suffix}.csv"] = csv_text(GAP_COLUMNS, gap_rows(results, framework, taxonomy))
        files[f"summary{suffix}.csv"] = csv_text(SUMMARY_COLUMNS, summary_rows(results, framework, taxonomy))
    files |= {
        "coverage_matrix.csv": csv_text(("doc_id", *taxonomy.ids, *METADATA_COLUMNS), coverage_rows(results, taxonomy)),
        "evidence.csv": csv_text(EVIDENCE_COLUMNS, evidence_rows(results)),
    }
    return files


def write_csv_files(out: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        write_atomic(out / name, text)
