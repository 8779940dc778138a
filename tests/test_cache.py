from __future__ import annotations

from pipeline.cache import document_cache
from pipeline.records import Block, Document

DOCUMENT = Document("d", "d.pdf", "a" * 64, "Title", 2,
                    (Block(1, 0, "heading", "Data", (1.0, 2.0, 3.0, 4.0)), Block(2, 1, "paragraph", "Text", None, "cy")), ("a warning",))


def test_round_trip(tmp_path):
    cache = document_cache(tmp_path)
    assert cache.get("k" * 10) is None
    cache.put("k" * 10, DOCUMENT)
    assert cache.get("k" * 10) == DOCUMENT


def test_damaged_entry_is_a_miss(tmp_path):
    cache = document_cache(tmp_path)
    cache.put("key", DOCUMENT)
    next(tmp_path.rglob("key.json")).write_text("{not json")
    assert cache.get("key") is None


def test_disabled_cache_stores_nothing(tmp_path):
    cache = document_cache(None)
    cache.put("key", DOCUMENT)
    assert cache.get("key") is None
