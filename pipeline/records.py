"""Plain records passed between stages: each stage takes and returns these, never dicts."""

from __future__ import annotations

from dataclasses import dataclass

# Who published a document and when: from metadata.csv or guessed; carried into every report.
METADATA_COLUMNS = ("council", "council_type", "region", "year")

# Block kinds: heading, paragraph, list_item, table_row, toc, header, footer. Only these are evidence:
EVIDENCE_KINDS = frozenset({"heading", "paragraph", "list_item", "table_row"})


@dataclass(frozen=True)
class Block:
    """A run of text on one page that no sentence may cross (a paragraph, heading, list item...)."""

    page: int  # 1-based
    block_no: int  # 0-based, within the document
    kind: str
    text: str
    bbox: tuple[float, float, float, float] | None = None
    language: str = "en"


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    sha256: str
    title: str
    pages: int
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    page: int
    sentence_no: int  # 0-based, within the document
    block_no: int
    block_kind: str
    text: str
    tokens: tuple[str, ...]
    lemmas: tuple[str, ...]  # lower-case lemmas, one per token
    heading: str = ""  # the nearest heading above, for context

    @property
    def lemma_text(self) -> str:
        """The classifier's input: lower-case lemmas joined by spaces."""
        return " ".join(self.lemmas)


@dataclass(frozen=True)
class LexiconHit:
    theme: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """One sentence that supports one theme, and who found it."""

    doc_id: str
    page: int
    sentence_no: int
    theme: str
    source: str  # lexicon | classifier | both
    score: float
    matched_terms: tuple[str, ...]
    sentence: str
    depth: str = "mention"  # mention | commitment | target


@dataclass(frozen=True)
class ThemeVerdict:
    doc_id: str
    theme: str  # a theme id, or a framework item id
    status: str  # covered | thin | missing | not_assessable
    score: float
    evidence_count: int
    best_evidence: str = ""
    best_page: int | None = None
    depth: str = ""  # the strongest depth among the evidence ("" without evidence)
    mentions: int = 0
    commitments: int = 0
    targets: int = 0
    top: tuple[Evidence, ...] = ()  # up to three strongest evidence sentences


@dataclass(frozen=True)
class DocumentResult:
    """Everything analyse learns about one input file, including how it failed."""

    doc_id: str
    file: str
    sha256: str
    title: str
    pages: int
    words: int
    status: str  # ok | warning | failed
    message: str
    evidence: tuple[Evidence, ...] = ()
    verdicts: tuple[ThemeVerdict, ...] = ()
    seconds: float = 0.0
    council: str = ""
    council_type: str = ""
    region: str = ""
    year: str = ""
    welsh_blocks: int = 0
    other_language_blocks: int = 0


@dataclass(frozen=True)
class ReportBundle:
    """A run's CSV reports and what run.json says of its inputs, cached to repeat an unchanged run."""

    files: dict[str, str]  # file name -> CSV text
    inputs: list[dict[str, str]]  # run.json's `inputs`: file, doc_id, sha256, status
    seconds: dict[str, float]  # run.json's `timings.documents`: doc_id -> seconds its analysis took
