"""End-to-end speed and memory of `councilscan analyse`, against raw pdfplumber on the same generated corpus.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench.py [--docs 20] [--pages 30] [--workers 2] [--rss-pages 300]
                                               [--keep DIR] [--model DIR] [--profile]

The corpus is strategy-like text about fictional councils (headings, paragraphs, bullets, an
action table every ten pages, running headers and footers), rendered with pipeline.pdfwrite from
our Markdown-like format; generation is deterministic, so a rerun builds byte-identical PDFs.

Figures (stdout), all wall-clock:
  raw pdfplumber   `page.extract_text()` on every page, each page closed, documents spread over
                   --workers forked processes (pdfplumber imported before forking): the baseline
  analyse cold     the real CLI in a subprocess (`--config` with a fresh cache_dir, `--workers N`):
                   interpreter start, imports, model loading and report writing included
  ratio            analyse cold pages/s / raw pages/s                              target >= 0.8
  analyse warm     the same command again: every result comes from the cache      target >= 50x faster
  classification   `ThemeClassifier.probabilities` on the lemmatised sentences of corpus/labels, one
                   pass, one core (each sentence distinct and seen once, so the embedder's cache of
                   sentence vectors cannot flatter an embeddings model)
  peak RSS         `analyse` of one --rss-pages document (ru_maxrss of the CLI and its worker,
                   read by a small wrapper process so this process's size cannot leak in)  target < 500 MiB
  analyse pdfium   the cold figure with `--engine pdfium`, once the CLI has that option
--profile adds a cProfile of analysing one document in this process (no cache), and the
import time of pipeline.run, which every command pays before any work.

Benchmarks print figures; they are not timed tests (STYLE.md). Figures are noisy on a busy
machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_extract import BULLETS, LONG_PROSE, PROSE, TABLE, Case, Prose, new_case

from pipeline.markup import parse_source
from pipeline.pdfwrite import write_pdf

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "theme-classifier"
TARGETS = {"ratio": 0.8, "warm_speedup": 50.0, "rss_mib": 500.0}
COUNCILS = (
    "Abbotsley", "Barrowden", "Caldermoor", "Dunholme", "Eastwick", "Fallowfield", "Glenmarsh", "Hartsmere",
    "Ivybridge Vale", "Kingsholt", "Langmoor", "Millbrook", "Northcott", "Oakhampstead", "Pellingford",
    "Queensmere", "Rookwood", "Saltcombe", "Thornbury Vale", "Upperwick",
)
KINDS = ("District Council", "Borough Council", "County Council", "City Council")
SUMMARY_RE = re.compile(r"(\d+) documents \((\d+) failed")

# --------------------------------------------------------------------------------------------
# Corpus


def strategy(index: int, pages: int) -> Case:
    """A title page then pages - 1 one-page sections (each H1 starts a page), an action table every tenth."""
    name = COUNCILS[index % len(COUNCILS)] + ("" if index < len(COUNCILS) else f" {index // len(COUNCILS) + 1}")
    council = f"{name} {KINDS[index % len(KINDS)]}"
    case = new_case(f"{index + 1:02d}-{name.lower().replace(' ', '-')}", "speed", council,
                    f"{name} Digital Strategy 2025-28", hyphenate="true" if index % 3 == 0 else "false")
    prose = Prose(PROSE, index * 3, council, stride=5)
    long = Prose(LONG_PROSE, index, council, stride=3)
    for section in range(pages - 1):
        case.h1(f"Priority {section + 1}").p(prose.sentences(4)).p(long.sentences(1) + " " + prose.sentences(3))
        case.bullets(BULLETS[(section + index) % 9: (section + index) % 9 + 3])
        if section % 10 == 9:
            case.table(TABLE[:4])
        else:
            case.p(prose.sentences(4))
    return case


def _write(job: tuple[str, Path]) -> Path:
    source, path = job
    write_pdf(parse_source(source), path)
    return path


def generate(folder: Path, docs: int, pages: int, workers: int, first: int = 0) -> list[Path]:
    """Write docs strategies of pages pages into folder; files already there (same bytes by design) are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = [strategy(first + i, pages) for i in range(docs)]
    jobs = [(case.source_text, folder / f"{case.name}.pdf") for case in cases]
    todo = [job for job in jobs if not job[1].is_file()]
    if todo:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_write, todo, chunksize=1)
    return [path for _, path in jobs]


# --------------------------------------------------------------------------------------------
# Raw pdfplumber baseline


def _raw_extract(path: str) -> int:
    import pdfplumber

    pages = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()  # as pipeline.extract does: without it pdfplumber keeps ~5 MiB per page
            pages += 1
    return pages


def raw_pdfplumber(paths: list[Path], workers: int) -> tuple[int, float]:
    """(pages, seconds) of plain extract_text over every page, one document per task."""
    import pdfplumber  # noqa: F401 (imported before forking, so no worker pays for it)

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        start = time.perf_counter()
        pages = sum(pool.imap_unordered(_raw_extract, [str(p) for p in paths], chunksize=1))
        return pages, time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# The CLI


def councilscan() -> list[str]:
    script = Path(sys.executable).with_name("councilscan")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pipeline"]


def write_config(path: Path, cache_dir: Path) -> Path:
    path.write_text(f"cache_dir = {json.dumps(str(cache_dir))}\nmodel_dir = {json.dumps(str(MODEL_DIR))}\n", encoding="utf-8")
    return path


def has_engine_option() -> bool:
    result = subprocess.run([*councilscan(), "analyse", "--help"], capture_output=True, text=True, cwd=ROOT, check=False)
    return "--engine" in result.stdout


@dataclass(frozen=True)
class CliRun:
    seconds: float  # wall clock of the subprocess
    in_process: float  # run.json timings.total_seconds: analyse() itself, without start-up and imports
    analysed: int
    from_cache: int
    failed: int
    summary: str


def analyse_cli(folder: Path, out: Path, config: Path, workers: int, *extra: str) -> CliRun:
    command = [*councilscan(), "--config", str(config), "analyse", str(folder), "--out", str(out),
               "--workers", str(workers), "-q", *extra]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stderr}")
    timings = json.loads((out / "run.json").read_text(encoding="utf-8"))["timings"]
    summary = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    match = SUMMARY_RE.search(summary)
    return CliRun(seconds, float(timings["total_seconds"]), int(timings["analysed"]), int(timings["from_cache"]),
                  int(match.group(2)) if match else -1, summary)


RSS_WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
if result.returncode:
    sys.exit(result.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, seconds)  # KiB on Linux
"""


def peak_rss(folder: Path, out: Path, config: Path) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of a cold `analyse --workers 1` of folder.

    A fresh wrapper interpreter runs the CLI: RUSAGE_CHILDREN's ru_maxrss is the largest of the CLI
    and its worker (Linux folds waited-for grandchildren in), and since Linux carries a parent's
    RSS over fork/exec into ru_maxrss, a small wrapper keeps this (bigger) process out of the figure.
    """
    command = [*councilscan(), "--config", str(config), "analyse", str(folder), "--out", str(out), "--workers", "1", "-q"]
    result = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *command], capture_output=True, text=True, cwd=ROOT, check=True)
    kib, seconds = result.stdout.split()
    return int(kib) / 1024, float(seconds)


# --------------------------------------------------------------------------------------------
# Classification on one core, in a fresh interpreter pinned to one CPU

CLASSIFY_PROBE = """
import json, os, sys, time
from pathlib import Path
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from pipeline.classify import document_input, load_model
from pipeline.segment import lemmatise, load_segmenter
from pipeline.taxonomy import load_taxonomy

sentences = json.loads(sys.stdin.read())
segmenter = load_segmenter()
classifier = load_model(Path(sys.argv[1]), load_taxonomy().ids)
start = time.perf_counter()
lemmas = lemmatise(sentences, segmenter)
lemmatise_seconds = time.perf_counter() - start
classifier.probabilities(document_input(lemmatise(["We will put residents at the heart of everything we do."] * 50, segmenter)))  # warm-up
start = time.perf_counter()
classifier.probabilities(document_input(lemmas))  # read as one running text, each sentence beside its neighbours
print(len(lemmas), time.perf_counter() - start, lemmatise_seconds)
"""


def label_sentences() -> list[str]:
    """The distinct sentences of corpus/labels (train and test): real variety, and no repeats."""
    from pipeline.labels import load_labels
    from pipeline.taxonomy import THEME_IDS

    return sorted({row.text for row in load_labels(ROOT / "corpus" / "labels", THEME_IDS)})


def classification(model_dir: Path) -> tuple[int, float, float]:
    """(sentences, seconds of probabilities, seconds of lemmatisation) on one core."""
    single = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", CLASSIFY_PROBE, str(model_dir)], input=json.dumps(label_sentences()),
                            capture_output=True, text=True, cwd=ROOT, check=True, env={**os.environ, **single})
    sentences, seconds, lemmatise_seconds = result.stdout.split()
    return int(sentences), float(seconds), float(lemmatise_seconds)


# --------------------------------------------------------------------------------------------
# Where the time goes (--profile)


def import_seconds() -> float:
    """Wall time of `import pipeline.run` in a fresh interpreter: what every analyse pays first."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pipeline.run"], check=True, cwd=ROOT)
    return time.perf_counter() - start


def profile_one(path: Path, top: int = 25) -> str:
    """cProfile of analysing one document in this process, tools loaded beforehand, no cache."""
    from pipeline.config import load_settings
    from pipeline.extract import sha256_of
    from pipeline.run import Analyser, RunPlan

    settings = load_settings(None, cache_dir="", workers=1, model_dir=str(MODEL_DIR))
    analyser = Analyser.load(RunPlan.load(settings))
    digest = sha256_of(path)
    analyser.analyse_document(path, digest)  # warm-up: first-use caches (lemma table, langdetect profiles)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    result = analyser.analyse_document(path, digest)
    profiler.disable()
    seconds = time.perf_counter() - start
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return (f"one document, {result.pages} pages, analysed in {seconds:.2f}s under the profiler "
            f"({result.pages / seconds:.1f} pages/s)\n" + stream.getvalue())


# --------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20, help="documents in the corpus")
    parser.add_argument("--pages", type=int, default=30, help="pages per document")
    parser.add_argument("--workers", type=int, default=2, help="worker processes, for the baseline and analyse alike")
    parser.add_argument("--rss-pages", type=int, default=300, help="pages of the document whose peak RSS is measured")
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help="the model whose classification speed is measured")
    parser.add_argument("--keep", type=Path, help="generate the corpus here (reused if present) instead of a temporary folder")
    parser.add_argument("--profile", action="store_true", help="also profile analysing one document, and time the imports")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        base = args.keep or work / "corpus"
        log(f"generating {args.docs} x {args.pages}-page documents in {base / 'corpus'} ...")
        start = time.perf_counter()
        paths = generate(base / "corpus", args.docs, args.pages, args.workers)
        big = generate(base / f"long-{args.rss_pages}", 1, args.rss_pages, 1, first=args.docs)
        log(f"  done in {time.perf_counter() - start:.1f}s")

        log(f"raw pdfplumber extract_text, {args.workers} workers ...")
        raw_pages, raw_seconds = raw_pdfplumber(paths, args.workers)
        raw_rate = raw_pages / raw_seconds

        log("councilscan analyse, cold ...")
        config = write_config(work / "cold.toml", work / "cache-cold")
        cold = analyse_cli(base / "corpus", work / "out-cold", config, args.workers)
        log("councilscan analyse, warm rerun ...")
        warm = analyse_cli(base / "corpus", work / "out-warm", config, args.workers)

        pdfium: CliRun | None = None
        if has_engine_option():
            log("councilscan analyse --engine pdfium, cold ...")
            pdfium = analyse_cli(base / "corpus", work / "out-pdfium", write_config(work / "pdfium.toml", work / "cache-pdfium"),
                                 args.workers, "--engine", "pdfium")

        log("classification on one core ...")
        sentences, classify_seconds, lemmatise_seconds = classification(args.model)

        log(f"peak RSS of analysing one {args.rss_pages}-page document ...")
        rss_mib, rss_seconds = peak_rss(big[0].parent, work / "out-rss", write_config(work / "rss.toml", work / "cache-rss"))

        profile = imports = None
        if args.profile:
            log("profiling one document ...")
            imports = import_seconds()
            profile = profile_one(paths[0])

    cold_rate = raw_pages / cold.seconds
    ratio = cold_rate / raw_rate
    speedup = cold.seconds / warm.seconds
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"corpus: {args.docs} documents x {args.pages} pages = {raw_pages} pages; {args.workers} workers; "
          f"{os.cpu_count()} CPUs, load average {load} (figures are noisy on a busy machine)")
    print()
    print(f"raw pdfplumber extract_text ({args.workers} workers)   {raw_rate:8.1f} pages/s   ({raw_seconds:.1f}s)")
    print(f"councilscan analyse, cold ({args.workers} workers)     {cold_rate:8.1f} pages/s   ({cold.seconds:.1f}s wall; "
          f"analyse() itself {cold.in_process:.1f}s = {raw_pages / cold.in_process:.1f} pages/s, "
          f"so start-up, imports and report writing {cold.seconds - cold.in_process:.1f}s; {cold.analysed} analysed, {cold.failed} failed)")
    print(f"  ratio analyse / raw                        {ratio:8.2f}           (target >= {TARGETS['ratio']})")
    print(f"councilscan analyse, warm rerun             {warm.seconds:8.2f} s         ({warm.from_cache} from cache, "
          f"{warm.analysed} analysed; analyse() itself {warm.in_process:.2f}s)")
    print(f"  speed-up cold / warm                       {speedup:8.1f}x          (target >= {TARGETS['warm_speedup']:.0f}x)")
    print(f"classification, one core                    {sentences / classify_seconds:8.0f} sentences/s "
          f"({sentences} sentences in {classify_seconds:.2f}s; lemmatising them: {sentences / lemmatise_seconds:.0f} sentences/s)")
    print(f"peak RSS, analyse of one {args.rss_pages}-page document  {rss_mib:8.1f} MiB       "
          f"(ru_maxrss, CLI and worker; {rss_seconds:.1f}s = {args.rss_pages / rss_seconds:.1f} pages/s; target < {TARGETS['rss_mib']:.0f})")
    if pdfium:
        pdfium_rate = raw_pages / pdfium.seconds
        print(f"councilscan analyse --engine pdfium, cold   {pdfium_rate:8.1f} pages/s   ({pdfium.seconds:.1f}s wall; "
              f"analyse() itself {pdfium.in_process:.1f}s = {raw_pages / pdfium.in_process:.1f} pages/s; "
              f"{pdfium_rate / raw_rate:.2f}x raw pdfplumber, {cold.seconds / pdfium.seconds:.1f}x analyse with pdfplumber; "
              f"{pdfium.failed} failed)")
    else:
        print("councilscan analyse --engine pdfium, cold   n/a (no --engine option yet)")
    if imports is not None:
        print(f"\nimport pipeline.run in a fresh interpreter: {imports:.1f}s (paid by every command, warm reruns included)")
    if profile:
        print("\n" + profile)
    print("\ntargets:")
    print(f"  analyse cold / raw pdfplumber pages/s   {ratio:8.2f}   >= {TARGETS['ratio']:<5}  {verdict(ratio >= TARGETS['ratio'])}")
    print(f"  warm rerun speed-up                     {speedup:8.1f}x  >= {TARGETS['warm_speedup']:<5.0f}  "
          f"{verdict(speedup >= TARGETS['warm_speedup'])}")
    print(f"  peak RSS, {args.rss_pages}-page document (MiB)     {rss_mib:8.1f}   <  {TARGETS['rss_mib']:<5.0f}  "
          f"{verdict(rss_mib < TARGETS['rss_mib'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
