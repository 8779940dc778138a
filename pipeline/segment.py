"""Blocks -> sentences with lower-case lemmas (spaCy, built from installed packages only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.errors import ConfigError
from pipeline.records import EVIDENCE_KINDS, Block, Document, Sentence


@dataclass
class Segmenter:
    """A spaCy pipeline plus the lemma table: load once with load_segmenter() and pass it down."""

    nlp: object  # spacy.language.Language
    lemma_table: Mapping[str, str] | None  # None when a trained pipeline supplies its own lemmas
    name: str

    def lemma(self, token) -> str:  # noqa: ANN001 (spacy Token)
        lower = token.lower_
        if self.lemma_table is None:
            return (token.lemma_ or lower).lower()
        return self.lemma_table.get(lower, lower)

    def tokens_and_lemmas(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Tokenise a phrase the same way sentences are, for building matcher patterns."""
        doc = self.nlp.make_doc(text)  # type: ignore[attr-defined]
        return tuple(t.text for t in doc), tuple(self.lemma(t) for t in doc)


def load_segmenter(spacy_model: str = "") -> Segmenter:
    """Blank English + sentencizer + lookup lemmas (no download), or a named installed pipeline."""
    import spacy

    if spacy_model:
        try:
            nlp = spacy.load(spacy_model, exclude=["ner", "textcat"])
        except OSError as exc:
            raise ConfigError(
                "settings", "spacy_model", f"{spacy_model!r} is not installed",
                "install it as a package (pip install ...) or set spacy_model = \"\" for the built-in pipeline",
            ) from exc
        if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        return Segmenter(nlp, None, spacy_model)
    from spacy.lookups import load_lookups

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # spaCy's 1M-character guard protects the parser and NER, which this pipeline does not have;
    # one unbroken block of a long text or web page can exceed it.
    nlp.max_length = 50_000_000
    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    return Segmenter(nlp, table, "blank:en+sentencizer+lookup-lemmas")  # a spaCy Table: keys are hashed strings


def segment(document: Document, segmenter: Segmenter, min_chars: int = 3) -> list[Sentence]:
    """Split each evidence block into sentences; a sentence never crosses a block or heading."""
    blocks = [b for b in document.blocks if b.kind in EVIDENCE_KINDS and b.language == "en"]
    return list(_sentences(document.doc_id, blocks, segmenter, min_chars))


def _sentences(doc_id: str, blocks: Sequence[Block], segmenter: Segmenter, min_chars: int) -> Iterable[Sentence]:
    heading = ""
    number = 0
    nlp = segmenter.nlp
    for block, doc in zip(blocks, nlp.pipe((b.text for b in blocks), batch_size=256)):  # type: ignore[attr-defined]
        if block.kind == "heading":
            heading = block.text
        spans = [doc[:]] if block.kind in ("heading", "table_row") else list(doc.sents)
        for span in spans:
            text = span.text.strip()
            if len(text) < min_chars or not any(ch.isalpha() for ch in text):
                continue
            yield Sentence(
                doc_id=doc_id,
                page=block.page,
                sentence_no=number,
                block_no=block.block_no,
                block_kind=block.kind,
                text=text,
                tokens=tuple(t.text for t in span),
                lemmas=tuple(segmenter.lemma(t) for t in span),
                heading="" if block.kind == "heading" else heading,
            )
            number += 1


def lemmatise(texts: Sequence[str], segmenter: Segmenter) -> list[str]:
    """Lower-case lemma strings for free text (labelled sentences, `classify` input)."""
    return [" ".join(segmenter.lemma(t) for t in doc) for doc in segmenter.nlp.pipe(texts, batch_size=256)]  # type: ignore[attr-defined]
