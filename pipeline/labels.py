"""Load labelled sentences (CSV `text,themes[,doc_id,source,note]` or JSONL) and validate them."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import LabelError

LABEL_SUFFIXES = (".csv", ".jsonl")


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    themes: tuple[str, ...]
    doc_id: str = ""
    source: str = ""
    note: str = ""
    file: str = ""
    line: int = 0
    # The sentences either side, when the file gives them (`previous`/`next` columns, as `label
    # export` writes them); both None: the rows either side with the same doc_id are the context.
    previous: str | None = None
    next: str | None = None

    @property
    def context(self) -> str | None:
        if self.previous is None and self.next is None:
            return None
        return f"{self.previous or ''} {self.next or ''}".strip()


def _given(record: dict, column: str) -> str | None:
    """A context cell's text; None when the column is missing or the cell empty."""
    return str(record.get(column) or "").strip() or None


def _themes(raw: str | list | None, where: str, known: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None:
        return ()
    parts = raw if isinstance(raw, list) else str(raw).replace(",", ";").split(";")
    themes = []
    for part in parts:
        theme = str(part).strip()
        if not theme:
            continue
        if theme not in known:
            guess = difflib.get_close_matches(theme, known, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else f"; known ids: {', '.join(known)}"
            raise LabelError(f"{where}: unknown theme id {theme!r}{hint}")
        if theme not in themes:
            themes.append(theme)
    return tuple(sorted(themes, key=known.index))


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LabelError(f"{path}:{line}: not UTF-8 text; save the file as 'CSV UTF-8' from your spreadsheet") from exc


def read_label_file(path: Path, known: tuple[str, ...]) -> list[LabelledSentence]:
    text = _decode(path)
    rows: list[LabelledSentence] = []
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or not str(record.get("text", "")).strip():
                raise LabelError(f"{path}:{number}: each line needs a non-empty \"text\"")
            rows.append(LabelledSentence(
                str(record["text"]).strip(), _themes(record.get("themes"), f"{path}:{number}", known),
                str(record.get("doc_id", "")), str(record.get("source", "")), str(record.get("note", "")), str(path), number,
                _given(record, "previous"), _given(record, "next"),
            ))
        return rows
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "text" not in fields or "themes" not in fields:
        raise LabelError(f"{path}:1: the header must include 'text' and 'themes' (found: {', '.join(fields) or 'nothing'})")
    reader.fieldnames = fields
    for record in reader:
        number = reader.line_num
        text_value = (record.get("text") or "").strip()
        if not text_value:
            if any((v or "").strip() for k, v in record.items() if k):
                raise LabelError(f"{path}:{number}: the text is empty")
            continue
        rows.append(LabelledSentence(
            text_value, _themes(record.get("themes"), f"{path}:{number}", known),
            (record.get("doc_id") or "").strip(), (record.get("source") or "").strip(), (record.get("note") or "").strip(),
            str(path), number, _given(record, "previous"), _given(record, "next"),
        ))
    return rows


def label_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise LabelError(f"{path}: no such label file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in LABEL_SUFFIXES and p.is_file())
    if not files:
        raise LabelError(f"{path}: no .csv or .jsonl label files found")
    return files


def load_labels(path: Path, known: tuple[str, ...]) -> list[LabelledSentence]:
    """All labelled sentences under path; exact repeats are dropped, conflicting repeats are errors."""
    seen: dict[str, LabelledSentence] = {}
    rows: list[LabelledSentence] = []
    for file in label_files(path):
        for row in read_label_file(file, known):
            key = " ".join(row.text.lower().split())
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = row
                rows.append(row)
            elif earlier.themes != row.themes:
                raise LabelError(
                    f"{row.file}:{row.line}: the same sentence is labelled {';'.join(row.themes) or '(none)'} here "
                    f"but {';'.join(earlier.themes) or '(none)'} at {earlier.file}:{earlier.line}; keep one label"
                )
    if not rows:
        raise LabelError(f"{path}: no labelled sentences found")
    return rows


def labels_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for file in label_files(path):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def read_sentences(text: str, name: str = "<stdin>") -> list[LabelledSentence]:
    """Sentences to classify: a CSV with a `text` column (and optional doc_id, previous, next), or else one
    sentence per line, read as running text. Rows come back unlabelled, in input order, blank ones kept."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    header = [cell.strip().strip('"').lower() for cell in first_line.split(",")]
    if "text" not in header:
        return [LabelledSentence(line.strip(), (), file=name, line=number)
                for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [field.strip().lower() for field in reader.fieldnames or []]
    return [LabelledSentence((record.get("text") or "").strip(), (), (record.get("doc_id") or "").strip(),
                             file=name, line=reader.line_num, previous=_given(record, "previous"), next=_given(record, "next"))
            for record in reader]
