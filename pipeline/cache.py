"""A content-addressed cache of extracted documents: the same bytes are never extracted twice."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from pipeline.records import Block, Document

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
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(asdict(document), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
