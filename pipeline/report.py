"""Write the reports: CSV files a researcher opens in a spreadsheet, and run.json (no ML here).

Every file is written to a temporary name and renamed, so an interrupted run never leaves a
half-written report over a good one. CSVs are UTF-8 with a BOM (Excel then shows £ and curly
quotes), have fixed columns and sorted rows, and neutralise spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.aggregate import item_verdict
from pipeline.records import METADATA_COLUMNS, DocumentResult
from pipeline.taxonomy import Framework, Taxonomy

DOCUMENT_COLUMNS = ("doc_id", "file", "sha256", "title", "pages", "words", "status", "message", *METADATA_COLUMNS,
                    "welsh_blocks", "other_language_blocks")
GAP_COLUMNS = ("doc_id", "framework", "item_id", "item", "themes", "status", "score", "evidence_count",
               "best_evidence", "best_page", "question", *METADATA_COLUMNS)
EVIDENCE_COLUMNS = ("doc_id", "page", "sentence_no", "theme", "source", "score", "matched_terms", "sentence")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
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


def gap_rows(results: Sequence[DocumentResult], framework: Framework, taxonomy: Taxonomy) -> list[tuple]:
    rows = []
    for result in results:
        verdicts = {v.theme: v for v in result.verdicts}
        for item in framework.items:
            verdict = item_verdict(item, verdicts)
            question = " ".join(taxonomy.theme(t).question for t in item.themes) if verdict.status != "covered" else ""
            rows.append((result.doc_id, framework.id, item.id, item.title, ";".join(item.themes), verdict.status,
                         f"{verdict.score:.3f}", verdict.evidence_count, verdict.best_evidence, verdict.best_page, question,
                         *_metadata(result)))
    return rows


def evidence_rows(results: Sequence[DocumentResult]) -> list[tuple]:
    rows = [(e.doc_id, e.page, e.sentence_no, e.theme, e.source, f"{e.score:.3f}", ";".join(e.matched_terms), e.sentence)
            for r in results for e in r.evidence]
    return sorted(rows, key=lambda row: (row[0], row[2], row[3]))


def coverage_rows(results: Sequence[DocumentResult], taxonomy: Taxonomy) -> list[tuple]:
    rows = []
    for result in results:
        status = {v.theme: v.status for v in result.verdicts}
        rows.append((result.doc_id, *(status.get(theme, "not_assessable") for theme in taxonomy.ids), *_metadata(result)))
    return rows


def write_reports(out: Path, results: Sequence[DocumentResult], framework: Framework, taxonomy: Taxonomy, run_info: dict) -> list[Path]:
    """Write all reports; results must already be sorted by doc_id."""
    files = {
        "documents.csv": csv_text(DOCUMENT_COLUMNS, document_rows(results)),
        "gap_report.csv": csv_text(GAP_COLUMNS, gap_rows(results, framework, taxonomy)),
        "coverage_matrix.csv": csv_text(("doc_id", *taxonomy.ids, *METADATA_COLUMNS), coverage_rows(results, taxonomy)),
        "evidence.csv": csv_text(EVIDENCE_COLUMNS, evidence_rows(results)),
        "run.json": json.dumps(run_info, indent=2, sort_keys=True) + "\n",
    }
    written = []
    for name, text in files.items():
        write_atomic(out / name, text)
        written.append(out / name)
    return written
