"""Content-addressed caches: the same bytes are never extracted, nor analysed, twice."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Generic, TypeVar

from pipeline.records import Block, Document, DocumentResult, Evidence, ReportBundle, ThemeVerdict

log = logging.getLogger(__name__)
Record = TypeVar("Record")


def document_from_dict(data: dict) -> Document:
    blocks = tuple(Block(**{**b, "bbox": tuple(b["bbox"]) if b["bbox"] else None}) for b in data["blocks"])
    return Document(**{**data, "blocks": blocks, "warnings": tuple(data["warnings"])})


def _evidence(data: dict) -> Evidence:
    return Evidence(**{**data, "matched_terms": tuple(data["matched_terms"])})


def result_from_dict(data: dict) -> DocumentResult:
    verdicts = tuple(ThemeVerdict(**{**v, "top": tuple(_evidence(e) for e in v["top"])}) for v in data["verdicts"])
    return DocumentResult(**{**data, "evidence": tuple(_evidence(e) for e in data["evidence"]), "verdicts": verdicts})


class JsonCache(Generic[Record]):
    """Records stored as JSON files under folder/kind, one per key; folder None disables it.
    A damaged entry is a miss (and is rewritten), never an error."""

    def __init__(self, folder: Path | None, kind: str, decode: Callable[[dict], Record]) -> None:
        self.folder, self.kind, self.decode = folder, kind, decode

    def _path(self, key: str) -> Path | None:
        return self.folder / self.kind / key[:2] / f"{key}.json" if self.folder else None

    def get(self, key: str) -> Record | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            return self.decode(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("ignoring damaged cache entry %s (%s)", path, exc)
            return None

    def put(self, key: str, record: Record) -> None:
        path = self._path(key)
        if path is not None:
            _store(path, json.dumps(asdict(record), ensure_ascii=False).encode("utf-8"))  # type: ignore[call-overload]


def report_cache(folder: Path | None) -> JsonCache[ReportBundle]:
    """Whole runs' CSV reports, keyed by every input's result key, the file names, metadata.csv and the
    frameworks: a rerun of an unchanged folder copies them instead of reading each document's result."""
    return JsonCache(folder, "reports", lambda data: ReportBundle(**data))


class BlobCache:
    """Bytes stored under folder/kind, one file per key; folder None disables it. For report.html and
    heatmap.png, which cost more to draw than all the rest of a fully cached rerun."""

    def __init__(self, folder: Path | None, kind: str, suffix: str) -> None:
        self.folder, self.kind, self.suffix = folder, kind, suffix

    def _path(self, key: str) -> Path | None:
        return self.folder / self.kind / f"{key}{self.suffix}" if self.folder else None

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes() if path else None
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path is not None:
            _store(path, data)


def source_sha256(*module_files: str) -> str:
    """The sha256 of some modules' source, for keys of derived files: a fix to the code that makes
    them is never hidden behind the cache."""
    import hashlib

    digest = hashlib.sha256()
    for module_file in module_files:
        digest.update(Path(module_file).read_bytes())
    return digest.hexdigest()


def _store(path: Path, data: bytes) -> None:
    """Write under a per-process temporary name, then rename: readers and other workers never see half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def document_cache(folder: Path | None) -> JsonCache[Document]:
    """Extracted documents, keyed by content hash, extractor version and extraction settings."""
    return JsonCache(folder, "extract", document_from_dict)


def result_cache(folder: Path | None) -> JsonCache[DocumentResult]:
    """Per-document analysis results, so a rerun (or a resumed, interrupted run) only analyses the
    documents that are new or changed. The key covers the file's bytes, the extractor, the model,
    the taxonomy and the settings that change results."""
    return JsonCache(folder, "results", result_from_dict)
