"""The language tools every command needs, loaded once per process and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.lexicon import LexiconTagger
from pipeline.segment import Segmenter, load_segmenter
from pipeline.taxonomy import Taxonomy, load_taxonomy


@dataclass(frozen=True)
class Tools:
    taxonomy: Taxonomy
    segmenter: Segmenter
    lexicon: LexiconTagger


def load_tools(settings: Settings) -> Tools:
    taxonomy = load_taxonomy(settings.taxonomy or None)
    segmenter = load_segmenter(settings.spacy_model)
    return Tools(taxonomy, segmenter, LexiconTagger(taxonomy, segmenter))
