"""Which language is each block in? English is the common case and is decided cheaply from
function words; only blocks that do not look English go to langdetect (the only module importing
it), which is slow (1-30 ms a call) and unreliable on short English text."""

from __future__ import annotations

import dataclasses
import re

from pipeline.records import Document

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
ENGLISH = frozenset(
    "the and of to in is for we will be our a an on with by this that are as it at from or have has not all "
    "can more their they which who how its us you your these into new also help make was were been".split()
)
# Welsh function words and words common in council documents; mutations ("gyngor", "ddigidol") included.
WELSH = frozenset(
    "y yr a ac i o yn ar ei eu mae bydd byddwn ein gyda am fel neu hefyd wedi sy sydd nid ni chi hwn hon "
    "hyn rhai pob gan dros drwy trwy at er ond na nad oes bod cyngor gyngor chyngor strategaeth digidol "
    "ddigidol gwasanaethau wasanaethau cymru cymraeg trigolion preswylwyr cymunedau cymuned ysgolion "
    "llyfrgelloedd ar-lein cynhwysiant data sir bwrdeistref dinas blaenoriaethau gweledigaeth rhagair "
    "cynllun gweithredu arweinydd cabinet aelod swyddog prif diogelwch seiber band eang".split()
)
MIN_WORDS = 4  # below this, only our Welsh word list can say a block is not English
MIN_WORDS_STATISTICAL = 8  # langdetect mistakes short English fragments for Afrikaans or Dutch


def _looks(words: list[str], vocabulary: frozenset[str]) -> float:
    return sum(word in vocabulary for word in words) / len(words)


def detect_language(text: str) -> str:
    """ISO 639-1 code of the block's language ('en', 'cy', ...)."""
    words = [w.lower() for w in WORD_RE.findall(text)]
    if not words:
        return "en"
    english, welsh = _looks(words, ENGLISH), _looks(words, WELSH)
    if len(words) < MIN_WORDS:  # headings and table cells: too short for a statistical guess
        return "cy" if welsh > english and welsh >= 0.5 else "en"
    if english >= 0.15 and english >= welsh:
        return "en"
    if welsh >= 0.15:
        return "cy"
    if len(words) < MIN_WORDS_STATISTICAL:
        return "en"
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "en"
    return best.lang if best.prob >= 0.9 else "en"


def tag_languages(document: Document) -> Document:
    blocks = tuple(dataclasses.replace(b, language=detect_language(b.text)) for b in document.blocks)
    return dataclasses.replace(document, blocks=blocks)
