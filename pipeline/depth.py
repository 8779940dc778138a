"""How deep does a sentence go: a `mention`, a `commitment` ("we will...") or a `target` (a
commitment with a measurable quantity or deadline)? Rules, each tested in tests/test_depth.py:

- commitment: the council commits itself ("we will", "we'll", "we are committed to", "we aim
  to", "we intend to", "we plan to", "we pledge", "our aim / ambition / goal / commitment is to",
  "the council will", "we're going to"), or an action-plan row or bullet that starts with an action verb ("Roll out
  Wi-Fi in all libraries") or names a deadline;
- target: a commitment that also carries a measure: a percentage ("80%", "80 per cent"), a count
  of something ("2,000 residents"), or a deadline ("by March 2025", "by 2026", "Q3 2025", "in
  2025/26");
- mention: anything else.
"""

from __future__ import annotations

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

DEPTHS = ("mention", "commitment", "target")  # weakest first
ACTION_ROW_KINDS = frozenset({"table_row", "list_item"})
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
YEAR = {"TEXT": {"REGEX": r"^(?:19|20)\d\d(?:[/-]\d\d(?:\d\d)?)?$"}}
ACTION_VERBS = [
    "roll", "deliver", "appoint", "implement", "launch", "introduce", "create", "develop", "complete", "publish",
    "replace", "review", "establish", "build", "provide", "extend", "expand", "train", "move", "migrate", "adopt",
    "set", "run", "recruit", "upgrade", "install", "deploy", "procure", "pilot", "achieve", "reduce", "increase",
    "open", "offer", "agree", "embed", "test", "decommission", "connect", "support", "design", "refresh", "lend",
]

COMMITMENT_PATTERNS = [
    [{"LOWER": {"IN": ["we", "council", "authority", "partnership"]}}, {"LOWER": {"IN": ["will", "shall", "'ll"]}}],
    [{"LOWER": "we"}, {"LOWER": {"IN": ["are", "'re", "remain"]}}, {"LOWER": {"IN": ["committed", "determined", "going"]}}],
    [{"LOWER": "we"}, {"LOWER": {"IN": ["aim", "intend", "plan", "pledge", "commit", "undertake", "expect"]}}],
    [{"LOWER": "our"}, {"LOWER": {"IN": ["aim", "ambition", "goal", "commitment", "target", "objective", "plan"]}},
     {"LOWER": {"IN": ["is", "are"]}}],
    [{"LOWER": "we"}, {"LOWER": "have"}, {"LOWER": "committed"}],
]
MEASURE_PATTERNS = [
    [{"LIKE_NUM": True}, {"TEXT": {"IN": ["%", "percent"]}}],
    [{"TEXT": {"REGEX": r"^\d+(?:\.\d+)?%$"}}],
    [{"LIKE_NUM": True}, {"LOWER": "per"}, {"LOWER": "cent"}],
    [{"TEXT": {"REGEX": r"^\d[\d,]*$"}}, {"IS_ALPHA": True, "LOWER": {"NOT_IN": MONTHS + ["to", "and", "or", "of", "by"]}}],
    [{"TEXT": {"REGEX": r"^£\d"}}],
    [{"TEXT": "£"}, {"LIKE_NUM": True}],
]
DEADLINE_PATTERNS = [
    [{"LOWER": {"IN": ["by", "before", "until", "within", "from", "in", "during", "end"]}}, {"LOWER": {"IN": MONTHS}, "OP": "?"}, YEAR],
    [{"LOWER": {"IN": ["by", "before"]}}, {"LOWER": "the"}, {"LOWER": "end"}, {"LOWER": "of"}, {"LOWER": {"IN": MONTHS}, "OP": "?"}, YEAR],
    [{"LOWER": {"IN": MONTHS}}, YEAR],
    [{"TEXT": {"REGEX": r"^Q[1-4]$"}}, YEAR],
]


class DepthTagger:
    def __init__(self, vocab: Vocab) -> None:
        self._vocab = vocab
        self._matcher = Matcher(vocab)
        self._matcher.add("commitment", COMMITMENT_PATTERNS)
        self._matcher.add("measure", MEASURE_PATTERNS)
        self._matcher.add("deadline", DEADLINE_PATTERNS)
        self._action_start = Matcher(vocab)
        self._action_start.add("action", [[{"LEMMA": {"IN": ACTION_VERBS}}], [{"LOWER": {"IN": ACTION_VERBS}}]])

    def depth(self, tokens: tuple[str, ...], lemmas: tuple[str, ...], block_kind: str) -> str:
        if not tokens:
            return "mention"
        doc = Doc(self._vocab, words=list(tokens), lemmas=list(lemmas))
        found = {self._vocab.strings[key] for key, _, _ in self._matcher(doc)}
        committed = "commitment" in found
        if block_kind in ACTION_ROW_KINDS and not committed:
            starts_with_action = any(start == 0 for _, start, _ in self._action_start(doc[:1]))
            committed = starts_with_action or "deadline" in found
        if not committed:
            return "mention"
        return "target" if found & {"measure", "deadline"} else "commitment"
