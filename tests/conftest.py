from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.lexicon import LexiconTagger
from pipeline.markup import parse_source
from pipeline.pdfwrite import write_pdf
from pipeline.segment import Segmenter, load_segmenter
from pipeline.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return load_segmenter()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def lexicon(taxonomy: Taxonomy, segmenter: Segmenter) -> LexiconTagger:
    return LexiconTagger(taxonomy, segmenter)


def make_pdf(path: Path, body: str, **meta: str) -> Path:
    """Write a strategy-like PDF from Markdown-like body text (format: corpus/sample-sources/README.md)."""
    front = {"title": "Testshire Council Digital Strategy 2024-2027", "council": "Testshire Council",
             "header": "Digital Strategy 2024-27", **meta}
    text = "---\n" + "\n".join(f"{k}: {v}" for k, v in front.items()) + "\n---\n" + body
    write_pdf(parse_source(text), path, user_password=meta.get("password"))
    return path
