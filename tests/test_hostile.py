"""Hostile inputs (issue 7): the real CLI over 200 damaged, lying and booby-trapped files.

One bad document never sinks the batch: every file ends up in documents.csv as ok, warning or
failed with a message a person can act on, within bounded time and memory. The corpus is built
by tests/hostile.py; each file is named after the recipe that made it.
"""

from __future__ import annotations

import csv
import hashlib
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from hostile import build_hostile_corpus

SETTINGS = """\
document_timeout = 20
max_memory_mb = 1500
cache_dir = ""
use_classifier = false
"""
STATUSES = {"ok", "warning", "failed"}
MAX_SECONDS = 600  # 200 files, 2 workers; each document is stopped after 20 s (document_timeout)
MAX_CHILD_RSS = 3 * 1024**3  # the workers' cap is 1500 MiB beyond their start; 3 GiB leaves room for the parent
TRACEBACK_RE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|^\s*\^+\s*$", re.MULTILINE)


@dataclass(frozen=True)
class HostileRun:
    corpus: list[Path]
    out: Path
    process: subprocess.CompletedProcess
    seconds: float
    child_rss: int  # bytes: the largest resident set of any process this test session has waited for

    def stderr_tail(self) -> str:
        """The end of stderr without the library warnings (pdfminer logs hundreds of them)."""
        lines = [line for line in self.process.stderr.splitlines() if not line.startswith("WARNING")]
        return "\n".join(lines[-40:])

    def rows(self) -> list[dict[str, str]]:
        report = self.out / "documents.csv"
        if not report.is_file():
            pytest.fail(f"no documents.csv: the CLI exited {self.process.returncode}\n{self.stderr_tail()}")
        with report.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    base = tmp_path_factory.mktemp("hostile")
    corpus = build_hostile_corpus(base / "in")
    config = base / "settings.toml"
    config.write_text(SETTINGS, encoding="utf-8")
    out = base / "out"
    command = [sys.executable, "-m", "pipeline", "--config", str(config), "analyse", str(base / "in"),
               "--out", str(out), "--workers", "2", "-q"]
    started = time.monotonic()
    process = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=2 * MAX_SECONDS)
    seconds = time.monotonic() - started
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    print(f"\nhostile corpus: {len(corpus)} files in {seconds:.0f} s, largest child RSS {child_rss / 1024**2:.0f} MiB")
    return HostileRun(corpus, out, process, seconds, child_rss)


def test_corpus_is_deterministic_small_and_large_enough(tmp_path: Path) -> None:
    first, second = build_hostile_corpus(tmp_path / "a"), build_hostile_corpus(tmp_path / "b")
    assert len(first) >= 200
    assert [p.name for p in first] == [p.name for p in second]
    assert all(hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest() for a, b in zip(first, second))
    assert sum(p.stat().st_size for p in first) < 32 * 1024**2


def test_batch_survives(hostile_run: HostileRun) -> None:
    process = hostile_run.process
    assert process.returncode in (0, 5), hostile_run.stderr_tail()
    assert not TRACEBACK_RE.search(process.stderr), hostile_run.stderr_tail()
    rows = hostile_run.rows()
    if process.returncode == 5:
        assert all(row["status"] == "failed" for row in rows)


def test_every_file_is_reported_once(hostile_run: HostileRun) -> None:
    files = [row["file"] for row in hostile_run.rows()]
    assert sorted(files) == sorted(path.name for path in hostile_run.corpus)


def test_statuses_and_messages_are_clear(hostile_run: HostileRun) -> None:
    rows = hostile_run.rows()
    assert {row["status"] for row in rows} <= STATUSES
    unexplained = [row["file"] for row in rows if row["status"] == "failed" and not row["message"].strip()]
    assert not unexplained
    tracebacks = [(row["file"], row["message"]) for row in rows if TRACEBACK_RE.search(row["message"])]
    assert not tracebacks


# What README ("What extraction handles") promises for inputs whose nature is certain.
PROMISES = {
    "empty-zero-bytes-": ("failed", "empty"),
    "wrong-type-png": ("failed", "is named .pdf but is a PNG image"),
    "wrong-type-gzip": ("failed", "is named .pdf but is a gzip archive"),
    "wrong-type-zip": ("failed", "is named .pdf but is a ZIP"),
    "wrong-type-html.pdf": ("failed", "is named .pdf but is an HTML page"),
    "wrong-type-plain-text": ("failed", "is named .pdf but is"),
    "encrypted-user-password-": ("failed", "password-protected"),
    "deep-reference-cycle-as-pages": ("failed", "page tree refers to itself in a loop"),
    "text-random-bytes": ("failed", "is named .txt but is a binary file"),
    "text-is-a-pdf": ("failed", "is named .txt but is a PDF"),
    "text-utf16-with-bom": ("ok", ""),
}


@pytest.mark.parametrize("prefix", sorted(PROMISES))
def test_documented_failures_say_what_is_wrong(hostile_run: HostileRun, prefix: str) -> None:
    status, words = PROMISES[prefix]
    rows = [row for row in hostile_run.rows() if row["file"].startswith(prefix) and "truncated" not in row["file"]]
    assert rows
    for row in rows:
        assert row["status"] == status and words in row["message"], row


def test_time_and_memory_are_bounded(hostile_run: HostileRun) -> None:
    assert hostile_run.seconds < MAX_SECONDS
    assert hostile_run.child_rss < MAX_CHILD_RSS
