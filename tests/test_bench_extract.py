"""Extraction quality on the benchmark's reduced set (tests/benchmarks/bench_extract.py): generated PDFs, known truth.

Every case extraction handles today must meet the targets: word precision and recall >= 0.99, no
running header/footer inside content, no `(cid:` glyphs, no contents entry read as content.
Each case that used to be a known gap has its own test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_extract import (
    TARGETS,
    Case,
    Score,
    build_cases,
    format_table,
    format_targets,
    generate,
    raw_lines,
    run_case,
    write_case,
)
from pipeline.extract import extract_document

KNOWN_GAPS = {"contents-short"}  # see test_a_short_contents_page_is_flagged_as_contents below
CASE_NAMES = [case.name for case in build_cases(quick=True)]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, tuple[Case, Path]]:
    return {case.name: (case, path) for case, path in generate(tmp_path_factory.mktemp("bench"), quick=True)}


@pytest.fixture(scope="module")
def scores(generated) -> dict[str, Score]:
    return {name: run_case(case, path, extract_document)[0] for name, (case, path) in generated.items()}


def test_the_set_covers_every_layout_in_two_to_six_pages(scores):
    assert sorted(scores) == sorted(CASE_NAMES) and len(CASE_NAMES) >= 10
    assert all(2 <= s.pages <= 6 for s in scores.values()), {n: s.pages for n, s in scores.items()}


@pytest.mark.parametrize("name", [n for n in CASE_NAMES if n not in KNOWN_GAPS])
def test_quality_targets_hold(scores, name):
    s = scores[name]
    assert s.precision >= TARGETS["precision"], (s.precision, s.extra.most_common(8))
    assert s.recall >= TARGETS["recall"], (s.recall, s.missing.most_common(8))
    assert [b.text for b in s.hf_leaks] == []
    assert [b.text for b in s.cid] == []
    assert [b.text for b in s.toc_as_content] == []


def test_cases_really_exercise_their_layout(generated, scores):
    """Guards against a vacuous pass: the hard parts are present in the PDFs."""
    assert any("(cid:127)" in line for line in raw_lines(generated["bullets"][1]))
    soft, compound = scores["hyphenation-two-column"].hyphens
    assert soft >= 10 and scores["hyphenation"].hyphens[0] >= 3 and compound + scores["hyphenation"].hyphens[1] >= 1
    contents = scores["contents-page"]
    assert contents.toc_entries >= 4 and contents.toc_flagged == contents.toc_entries
    assert scores["bilingual-en-cy"].welsh_truth >= 5
    assert scores["running-headers-footers"].pages >= 4


def test_generation_is_deterministic(tmp_path):
    case = next(c for c in build_cases(quick=True) if c.name == "full-strategy")  # contents + hyphenation + table
    first, second = write_case(case, tmp_path / "a"), write_case(case, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_report_lists_every_case_and_the_targets(scores):
    table = "\n".join(format_table(list(scores.values())))
    assert all(name in table for name in CASE_NAMES) and "overall" in table
    assert "word precision" in "\n".join(format_targets(list(scores.values()), None))


# Cases that were once gaps. Reproduce with
#   .venv/bin/python tests/benchmarks/bench_extract.py --quick --no-rss --show <case>


def test_a_short_contents_page_is_flagged_as_contents(scores):
    s = scores["contents-short"]
    assert s.toc_flagged == s.toc_entries == 3
    assert [b.text for b in s.toc_as_content] == []


def test_a_word_hyphenated_across_a_page_break_is_rejoined(scores):
    s = scores["hyphenation-two-column"]
    assert s.missing["telecommunications"] == 0 and s.extra["telecommuni"] == 0


def test_a_soft_break_after_a_prefix_like_syllable_is_rejoined(tmp_path):
    case = next(c for c in build_cases(quick=False) if c.name == "hyphenation")
    s, _ = run_case(case, write_case(case, tmp_path), extract_document)
    assert s.hyphens[0] > 0 and s.extra["under-standing"] == 0


def test_welsh_blocks_are_detected(scores):
    s = scores["bilingual-en-cy"]
    assert s.welsh_correct == s.welsh_truth and s.welsh_detected == s.welsh_truth
