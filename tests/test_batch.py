"""The batch runner on real documents: workers, limits, interruption and Dask."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, make_pdf
from pipeline.config import Settings
from pipeline.run import analyse

REPORTS = ("documents.csv", "gap_report.csv", "coverage_matrix.csv", "evidence.csv", "summary.csv")
LONG_BODY = "".join(
    f"# Section {n}\nWe will bring gigabit broadband to {n} villages and lend laptops through libraries. " * 3 + "\n\n"
    for n in range(1, 201)
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for sample in sorted((ROOT / "corpus/samples").glob("*.pdf"))[:4]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "empty.pdf").write_bytes(b"")
    return folder


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_worker_and_two_workers_give_identical_reports(corpus, tmp_path):
    for workers in (1, 2):
        analyse(corpus, tmp_path / f"w{workers}", Settings(use_classifier=False, cache_dir="", workers=workers))
    for name in REPORTS:
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name


def test_a_document_over_the_time_limit_fails_alone(corpus, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "long.pdf", LONG_BODY)  # 200+ pages: many seconds of extraction
    make_pdf(folder / "short.txt.pdf", "# Cyber\nWe hold Cyber Essentials Plus.\n")
    summary = analyse(folder, tmp_path / "out", Settings(use_classifier=False, cache_dir="", workers=2, document_timeout=0.5))
    documents = {row["file"]: row for row in read(tmp_path / "out/documents.csv")}
    assert documents["long.pdf"]["status"] == "failed"
    assert "took longer than 0.5 s" in documents["long.pdf"]["message"]
    assert documents["short.txt.pdf"]["status"] == "ok"
    assert summary.failed == 1


def test_a_document_over_the_memory_cap_is_stopped_and_the_batch_completes(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "long.pdf", LONG_BODY)
    (folder / "small.md").write_text("# Cyber\nWe hold Cyber Essentials Plus.\n")
    analyse(folder, tmp_path / "out", Settings(use_classifier=False, cache_dir="", workers=1, max_memory_mb=1))
    documents = {row["file"]: row for row in read(tmp_path / "out/documents.csv")}
    assert set(documents) == {"long.pdf", "small.md"}
    assert documents["long.pdf"]["status"] == "failed"
    assert "needed more than 1 MiB (max_memory_mb)" in documents["long.pdf"]["message"]


def test_kill_minus_nine_keeps_old_reports_and_rerun_resumes(corpus, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    config = tmp_path / "settings.toml"
    config.write_text(f'cache_dir = "{cache}"\nuse_classifier = false\nworkers = 1\n')
    out.mkdir()
    for name in REPORTS:
        (out / name).write_text(f"previous {name}\n")
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--config", str(config), "analyse", str(corpus), "--out", str(out), "-q"],
                               cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((cache / "results").rglob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list((cache / "results").rglob("*.json")))
    assert 1 <= done < 5, "the run should be stopped part-way"
    for name in REPORTS:
        assert (out / name).read_text() == f"previous {name}\n"  # untouched, not half-written
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    result = subprocess.run([sys.executable, "-m", "pipeline", "--config", str(config), "analyse", str(corpus), "--out", str(out), "-q"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"{done} from cache" in result.stderr
    assert len(read(out / "documents.csv")) == 5


def test_dask_cluster_gives_the_same_reports(corpus, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = tmp_path / "local"
    analyse(corpus, local, Settings(use_classifier=False, cache_dir=""))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        analyse(corpus, tmp_path / "dask", Settings(use_classifier=False, cache_dir="", scheduler=cluster.scheduler_address))
    for name in REPORTS:
        assert (tmp_path / "dask" / name).read_bytes() == (local / name).read_bytes(), name


def _thread_pools(job: str) -> list[tuple[str, int]]:
    import numpy as np  # noqa: F401 (loads the BLAS library whose pool is checked)
    from threadpoolctl import threadpool_info

    return [(pool["internal_api"], pool["num_threads"]) for pool in threadpool_info()]


def test_each_worker_computes_on_one_thread():
    """Workers are one per core; a BLAS or OpenMP pool of several threads in each would oversubscribe
    the cores (and an OpenMP team inherited across the fork can hang the worker)."""
    from pipeline.batch import run_local

    results = dict(run_local(_thread_pools, ["a", "b"], workers=2, timeout=60, max_memory_mb=0, failure=lambda job, why: why))
    assert set(results) == {"a", "b"}
    for pools in results.values():
        assert pools and all(threads == 1 for _, threads in pools), pools
