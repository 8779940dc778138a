"""Content-addressed caches: the same bytes are never extracted, nor analysed, twice."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from pipeline.records import Block, Document, DocumentResult, Evidence, ThemeVerdict

log = logging.getLogger(__name__)


class DocumentCache:
    """Extracted documents stored as JSON under folder, keyed by content hash and extractor version."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path | None:
        return self.folder / "extract" / key[:2] / f"{key}.json" if self.folder else None

    def get(self, key: str) -> Document | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            blocks = tuple(Block(**{**b, "bbox": tuple(b["bbox"]) if b["bbox"] else None}) for b in data.pop("blocks"))
            return Document(**{**data, "blocks": blocks, "warnings": tuple(data["warnings"])})
        except (OSError, ValueError, TypeError, KeyError) as exc:  # a damaged entry is re-extracted, not fatal
            log.warning("ignoring damaged cache entry %s (%s)", path, exc)
            return None

    def put(self, key: str, document: Document) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(document), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)


def _evidence(data: dict) -> Evidence:
    return Evidence(**{**data, "matched_terms": tuple(data["matched_terms"])})


def result_from_dict(data: dict) -> DocumentResult:
    verdicts = tuple(ThemeVerdict(**{**v, "top": tuple(_evidence(e) for e in v["top"])}) for v in data["verdicts"])
    return DocumentResult(**{**data, "evidence": tuple(_evidence(e) for e in data["evidence"]), "verdicts": verdicts})


class ResultCache:
    """Per-document analysis results, so a rerun (or a resumed, interrupted run) only analyses the
    documents that are new or changed. The key covers the file's bytes, the extractor, the model,
    the taxonomy and the settings that change results."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path | None:
        return self.folder / "results" / key[:2] / f"{key}.json" if self.folder else None

    def get(self, key: str) -> DocumentResult | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            return result_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("ignoring damaged cache entry %s (%s)", path, exc)
            return None

    def put(self, key: str, result: DocumentResult) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
