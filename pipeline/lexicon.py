"""Tag sentences with themes from the taxonomy's lexicon (spaCy PhraseMatcher on words and lemmas).

Rules, in order, per theme and sentence:
1. a `terms` phrase matches case-insensitively on the words or on their lemmas; an `acronyms`
   entry matches case-sensitively;
2. an `ambiguous` phrase counts only when one of the theme's `context` words (or, for a theme
   without them, a digital co-term) occurs elsewhere in the sentence;
3. any hit that overlaps one of the theme's `exclude` phrases (its false friends) is dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from pipeline.records import LexiconHit, Sentence
from pipeline.segment import Segmenter
from pipeline.taxonomy import Taxonomy

CO_TERM = "__co__"


def _variants(term: str) -> set[str]:
    """Spellings treated as one term: hyphens and spaces are interchangeable."""
    variants = {term, term.replace("-", " ")}
    if term.count(" ") == 1:
        variants.add(term.replace(" ", "-"))
    return variants


class LexiconTagger:
    def __init__(self, taxonomy: Taxonomy, segmenter: Segmenter) -> None:
        self.taxonomy = taxonomy
        self._has_context = {theme.id for theme in taxonomy.themes if theme.context}
        vocab = segmenter.nlp.vocab  # type: ignore[attr-defined]
        self._vocab = vocab
        self._lower = PhraseMatcher(vocab, attr="LOWER")
        self._lemma = PhraseMatcher(vocab, attr="LEMMA")
        self._orth = PhraseMatcher(vocab, attr="ORTH")
        # match key -> (theme id or CO_TERM, role, canonical term)
        self._keys: dict[int, tuple[str, str, str]] = {}

        def add(owner: str, role: str, phrases: Iterable[str], case_sensitive: bool = False) -> None:
            for phrase in phrases:
                key = f"{owner}|{role}|{phrase}"
                self._keys[vocab.strings.add(key)] = (owner, role, phrase)
                docs = []
                for variant in sorted(_variants(phrase)):
                    words, lemmas = segmenter.tokens_and_lemmas(variant)
                    if words:
                        docs.append(Doc(vocab, words=list(words), lemmas=list(lemmas)))
                if case_sensitive:
                    self._orth.add(key, docs)
                else:
                    self._lower.add(key, docs)
                    self._lemma.add(key, docs)

        for theme in taxonomy.themes:
            add(theme.id, "term", theme.terms)
            add(theme.id, "term", theme.acronyms, case_sensitive=True)
            add(theme.id, "ambiguous", theme.ambiguous)
            add(theme.id, "exclude", theme.exclude)
            add(theme.id, "context", theme.context)
        add(CO_TERM, "co", taxonomy.co_terms)
        add(CO_TERM, "co", taxonomy.co_acronyms, case_sensitive=True)

    def tag(self, sentence: Sentence) -> list[LexiconHit]:
        return self.tag_tokens(sentence.tokens, sentence.lemmas)

    def tag_tokens(self, tokens: tuple[str, ...], lemmas: tuple[str, ...]) -> list[LexiconHit]:
        if not tokens:
            return []
        doc = Doc(self._vocab, words=list(tokens), lemmas=list(lemmas))
        spans: dict[str, dict[str, set[tuple[int, int, str]]]] = defaultdict(lambda: defaultdict(set))
        for matcher in (self._lower, self._lemma, self._orth):
            for key, start, end in matcher(doc):
                owner, role, phrase = self._keys[key]
                spans[owner][role].add((start, end, phrase))
        co_spans = spans.pop(CO_TERM, {}).get("co", set())
        hits = []
        for theme_id in self.taxonomy.ids:
            roles = spans.get(theme_id)
            if not roles:
                continue
            excluded = roles.get("exclude", set())
            context = roles.get("context", set()) if theme_id in self._has_context else co_spans
            found = set()
            for start, end, phrase in roles.get("term", set()) | roles.get("ambiguous", set()):
                if any(start < e_end and e_start < end for e_start, e_end, _ in excluded):
                    continue
                if (start, end, phrase) in roles.get("ambiguous", set()) and not any(
                    c_end <= start or c_start >= end for c_start, c_end, _ in context
                ):
                    continue
                found.add(phrase)
            if found:
                hits.append(LexiconHit(theme_id, tuple(sorted(found))))
        return hits
