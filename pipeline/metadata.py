"""Who published each document and when: guessed from its text and file name, overridden by an
optional metadata.csv in the input folder (columns file, council, council_type, region, year, title)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pipeline.errors import InputError
from pipeline.records import METADATA_COLUMNS, Document

METADATA_FILE = "metadata.csv"
COUNCIL_RE = re.compile(
    r"\b((?:London Borough of|Royal Borough of|City of) [A-Z][\w'-]*(?: [A-Z][\w'-]*)*(?: Council)?"
    r"|[A-Z][\w'-]*(?: (?:and )?[A-Z][\w'-]*){0,3} (?:Metropolitan Borough|County Borough|Borough|County|District|City|Town|Unitary)? ?Council"
    r"|[A-Z][\w'-]*(?: [A-Z][\w'-]*){0,2} Combined Authority)\b"
)
COUNCIL_TYPES = (  # most specific first
    ("Combined Authority", "combined_authority"),
    ("London Borough", "london_borough"),
    ("Metropolitan Borough", "metropolitan_borough"),
    ("County Borough", "unitary"),
    ("County Council", "county"),
    ("District Council", "district"),
    ("Borough Council", "borough"),
    ("City Council", "city"),
    ("Town Council", "town"),
)
YEAR_RE = re.compile(r"\b(20[0-4]\d)\b")


def guess_metadata(document: Document, path: Path) -> dict[str, str]:
    """Council, council type and year from the title, first pages and file name."""
    early = " ".join([document.title] + [b.text for b in document.blocks if b.page <= 2 and b.kind != "toc"][:40])
    council_match = COUNCIL_RE.search(early)
    council = council_match.group(1).strip() if council_match else ""
    council_type = next((kind for marker, kind in COUNCIL_TYPES if marker in council), "")
    year_match = YEAR_RE.search(document.title) or YEAR_RE.search(path.stem) or YEAR_RE.search(early)
    return {"council": council, "council_type": council_type, "region": "", "year": year_match.group(1) if year_match else ""}


def read_metadata(folder: Path) -> dict[str, dict[str, str]]:
    """Rows of folder/metadata.csv keyed by the `file` column (a name or a path relative to folder)."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text; save it as 'CSV UTF-8' from your spreadsheet") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "file" not in columns:
        raise InputError(f"{path}:1: needs a 'file' column naming each document (found: {', '.join(columns) or 'nothing'})")
    known = {"file", "title", *METADATA_COLUMNS}
    unknown = sorted(set(columns) - known)
    if unknown:
        raise InputError(f"{path}:1: unknown column(s) {', '.join(unknown)}; use {', '.join(sorted(known))}")
    reader.fieldnames = columns
    rows: dict[str, dict[str, str]] = {}
    for record in reader:
        file = (record.get("file") or "").strip()
        if not file:
            raise InputError(f"{path}:{reader.line_num}: the 'file' cell is empty")
        if file in rows:
            raise InputError(f"{path}:{reader.line_num}: {file} is listed twice")
        rows[file] = {k: (v or "").strip() for k, v in record.items() if k != "file" and (v or "").strip()}
    return rows


def metadata_for(path: Path, folder: Path, overrides: dict[str, dict[str, str]]) -> dict[str, str]:
    return overrides.get(path.relative_to(folder).as_posix()) or overrides.get(path.name) or {}
