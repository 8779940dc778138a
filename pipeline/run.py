"""Public API for analysis: analyse(folder, out, settings) wires the stages and writes the reports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__, aggregate, report
from pipeline.aggregate import theme_verdicts, unassessable_verdicts
from pipeline.batch import TRANSIENT_FAILURES, run_dask, run_local
from pipeline.cache import JsonCache, document_cache, report_cache, result_cache, source_sha256
from pipeline.classify import ThemeClassifier, document_input, library_versions, load_model, read_meta, sentence_inputs
from pipeline.config import Settings, as_dict
from pipeline.ensemble import combine
from pipeline.errors import DocumentError, InputError, NoTextLayerError
from pipeline.extract import EXTRACTOR_VERSION, doc_id_for, extract_document, find_documents, ocr_pdf, sha256_of
from pipeline.metadata import guess_metadata, metadata_for, read_metadata
from pipeline.records import METADATA_COLUMNS, Document, DocumentResult, Evidence, ReportBundle
from pipeline.report import report_files, write_atomic, write_csv_files
from pipeline.segment import Segmenter, segment
from pipeline.taxonomy import Framework, Taxonomy, load_framework, load_taxonomy, packaged_frameworks

if TYPE_CHECKING:  # spaCy and matplotlib load only when a document needs analysing or a report drawing
    from pipeline.depth import DepthTagger
    from pipeline.labels import LabelledSentence
    from pipeline.lexicon import LexiconTagger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    out: Path
    documents: int
    failed: int
    warnings: int
    skipped: int
    cached: int
    model_id: str
    seconds: float


# Settings that change what a document's analysis says; the others (framework, caching, workers...)
# only change how reports are written or how the work is scheduled.
RESULT_SETTINGS = ("spacy_model", "taxonomy", "use_classifier", "covered_min_evidence", "lexicon_confidence",
                   "classifier_veto", "classifier_only_min_evidence", "classifier_sure", "engine", "max_pages", "ocr")


@dataclass(frozen=True)
class RunPlan:
    """What is known before any document is read: cheap to load, enough to consult the caches."""

    settings: Settings
    taxonomy: Taxonomy
    frameworks: tuple[Framework, ...]  # the chosen one first
    model_id: str
    notes: tuple[str, ...]

    @classmethod
    def load(cls, settings: Settings) -> RunPlan:
        taxonomy = load_taxonomy(settings.taxonomy or None)
        frameworks = [load_framework(settings.framework, taxonomy)]
        if settings.all_frameworks:
            frameworks += [load_framework(name, taxonomy) for name in packaged_frameworks() if name != frameworks[0].id]
        model_id, notes = "lexicon-only", []
        if settings.use_classifier and settings.model_dir:
            model_dir = Path(settings.model_dir)
            if (model_dir / "meta.json").is_file():
                model_id = str(read_meta(model_dir).get("model_id", ""))
            else:
                notes.append(f"no trained model in {model_dir}: themes found by the lexicon only (run `make train`)")
        return cls(settings, taxonomy, tuple(frameworks), model_id, tuple(notes))

    @property
    def uses_model(self) -> bool:
        return self.model_id != "lexicon-only"

    def result_key(self, sha256: str) -> str:
        relevant = {name: getattr(self.settings, name) for name in RESULT_SETTINGS}
        parts = json.dumps([sha256, EXTRACTOR_VERSION, __version__, self.model_id, self.taxonomy.sha256, relevant], sort_keys=True)
        return hashlib.sha256(parts.encode()).hexdigest()


@dataclass
class Analyser:
    """The heavy tools (language pipeline, lexicon, model), loaded once per process."""

    settings: Settings
    taxonomy: Taxonomy
    segmenter: Segmenter
    lexicon: LexiconTagger
    classifier: ThemeClassifier | None
    cache: JsonCache[Document]
    depth: DepthTagger

    @classmethod
    def load(cls, plan: RunPlan) -> Analyser:
        import pdfplumber  # noqa: F401 (imported here, before workers fork, so each need not import it)

        from pipeline.depth import DepthTagger
        from pipeline.tools import load_tools

        settings = plan.settings
        tools = load_tools(settings)
        classifier = load_model(Path(settings.model_dir), tools.taxonomy.ids) if plan.uses_model else None
        cache = document_cache(Path(settings.cache_dir) if settings.cache_dir else None)
        return cls(settings, tools.taxonomy, tools.segmenter, tools.lexicon, classifier, cache, DepthTagger(tools.segmenter.nlp.vocab))

    def read_document(self, path: Path, digest: str) -> Document:
        """Extract (or fetch from the cache), OCR if asked and needed, and tag block languages."""
        key = f"{digest}-x{EXTRACTOR_VERSION}-{self.settings.engine}-p{self.settings.max_pages}" + ("-ocr" if self.settings.ocr else "")
        cached = self.cache.get(key)
        if cached is not None:
            return replace(cached, doc_id=doc_id_for(path), path=str(path))
        try:
            document = extract_document(path, self.settings.max_pages, digest, self.settings.engine)
            needs_ocr = any("no text layer" in warning for warning in document.warnings)
        except NoTextLayerError:
            if not self.settings.ocr:
                raise
            needs_ocr = True
        if self.settings.ocr and needs_ocr:
            with tempfile.TemporaryDirectory() as folder:
                ocred = ocr_pdf(path, Path(folder) / path.name)
                document = replace(extract_document(ocred, self.settings.max_pages, digest, self.settings.engine), doc_id=doc_id_for(path), path=str(path))
            document = replace(document, warnings=(*document.warnings, "text layer added by OCR (ocrmypdf): check quotes against the page"))
        self.cache.put(key, document)
        return document

    def analyse_document(self, path: Path, digest: str) -> DocumentResult:
        """Everything about one document, with metadata guessed from its own text."""
        started = time.perf_counter()
        document = self.read_document(path, digest)
        guessed = guess_metadata(document, path)
        sentences = segment(document, self.segmenter)
        probabilities = self.classifier.probabilities(document_input([s.lemma_text for s in sentences])) if self.classifier else None
        if self.classifier:
            thresholds, vetoes = self.classifier.ensemble_rule(self.settings.classifier_veto)
        else:
            thresholds, vetoes = {t: 1.0 for t in self.taxonomy.ids}, None
        evidence = []
        for index, sentence in enumerate(sentences):
            row = dict(zip(self.taxonomy.ids, probabilities[index])) if probabilities is not None else None
            findings = combine(self.lexicon.tag(sentence), row, thresholds, self.settings.lexicon_confidence, vetoes)
            if not findings:
                continue
            depth = self.depth.depth(sentence.tokens, sentence.lemmas, sentence.block_kind)
            evidence.extend(
                Evidence(document.doc_id, sentence.page, sentence.sentence_no, finding.theme, finding.source,
                         finding.score, finding.matched_terms, sentence.text, depth)
                for finding in findings
            )
        reliable = self.classifier.reliable if self.classifier else None
        content = [b for b in document.blocks if b.kind not in ("header", "footer")]
        return DocumentResult(
            doc_id=document.doc_id, file=path.name, sha256=digest, title=document.title, pages=document.pages,
            words=sum(len(b.text.split()) for b in content), status="warning" if document.warnings else "ok",
            message="; ".join(document.warnings), evidence=tuple(evidence),
            verdicts=tuple(theme_verdicts(document.doc_id, evidence, self.taxonomy.ids, reliable, self.settings)),
            seconds=time.perf_counter() - started, **guessed,
            welsh_blocks=sum(b.language == "cy" for b in content),
            other_language_blocks=sum(b.language not in ("en", "cy") for b in content),
        )


@dataclass(frozen=True)
class Job:
    path: Path
    sha256: str
    taxonomy_ids: tuple[str, ...]


def failed_result(job: Job, message: str) -> DocumentResult:
    doc_id = doc_id_for(job.path)
    return DocumentResult(doc_id, job.path.name, job.sha256, "", 0, 0, "failed", message,
                          verdicts=tuple(unassessable_verdicts(doc_id, job.taxonomy_ids)))


# One Analyser per process. The parent loads it before forking local workers, so they share it;
# a Dask worker loads its own on first use.
_analyser: Analyser | None = None


def _use_analyser(plan: RunPlan) -> Analyser:
    global _analyser
    if _analyser is None or _analyser.settings != plan.settings:
        _analyser = Analyser.load(plan)
    return _analyser


def analyse_job(job: Job, plan: RunPlan) -> DocumentResult:
    """The unit of work sent to a worker: one document, failures included."""
    try:
        return _use_analyser(plan).analyse_document(job.path, job.sha256)
    except DocumentError as error:
        return failed_result(job, str(error))
    except MemoryError:
        raise  # reported by the batch runner
    except Exception as error:  # a bug met on one document must not sink the batch: report it loudly
        log.exception("unexpected error analysing %s", job.path)
        return failed_result(job, f"unexpected error ({type(error).__name__}: {error}); this is a councilscan bug, "
                                  "please report it with the file")


def _unique_ids(results: list[DocumentResult]) -> list[DocumentResult]:
    """Two files with one stem (report.pdf, report.docx) get distinct doc_ids."""
    seen: dict[str, int] = {}
    unique = []
    for result in results:
        count = seen.get(result.doc_id, 0)
        seen[result.doc_id] = count + 1
        if count:
            new_id = f"{result.doc_id}-{count + 1}"
            result = replace(result, doc_id=new_id,
                             evidence=tuple(replace(e, doc_id=new_id) for e in result.evidence),
                             verdicts=tuple(replace(v, doc_id=new_id) for v in result.verdicts))
        unique.append(result)
    return unique


def _with_metadata(result: DocumentResult, job: Job, overrides: dict[str, str]) -> DocumentResult:
    """A cached result may come from the same bytes under another name: name it after this file,
    then let metadata.csv override what was guessed."""
    doc_id = doc_id_for(job.path)
    if doc_id != result.doc_id:
        result = replace(result, doc_id=doc_id, evidence=tuple(replace(e, doc_id=doc_id) for e in result.evidence),
                         verdicts=tuple(replace(v, doc_id=doc_id) for v in result.verdicts))
    known = {key: value for key, value in overrides.items() if key in (*METADATA_COLUMNS, "title")}
    return replace(result, file=job.path.name, **known)


def _schedule(jobs: list[Job], plan: RunPlan) -> Iterator[tuple[Job, DocumentResult]]:
    settings = plan.settings
    work = partial(analyse_job, plan=plan)
    if settings.scheduler:
        return run_dask(work, jobs, settings.scheduler, failed_result)
    _use_analyser(plan)  # load once in the parent; forked workers inherit it
    workers = settings.workers or os.cpu_count() or 1
    return run_local(work, jobs, min(workers, len(jobs)), settings.document_timeout, settings.max_memory_mb, failed_result)


def _results(jobs: list[Job], keys: dict[Path, str], plan: RunPlan, cache: JsonCache[DocumentResult],
             on_result: Callable[[DocumentResult, int, int], None] | None) -> tuple[dict[Path, DocumentResult], int, bool]:
    """Each job's result, from the cache or analysed (and cached at once); how many were analysed;
    and whether every result was cacheable (a timeout or memory failure may not happen next time)."""
    found: dict[Path, DocumentResult] = {}
    todo = []
    for job in jobs:
        cached = cache.get(keys[job.path])
        if cached is None:
            todo.append(job)
        else:
            found[job.path] = cached
            if on_result:
                on_result(cached, len(found), len(jobs))
    complete = True
    for job, result in _schedule(todo, plan) if todo else ():
        if result.message.startswith(TRANSIENT_FAILURES):
            complete = False
        else:
            cache.put(keys[job.path], result)
        found[job.path] = result
        log.info("%s %s: %d pages in %.1f s%s", result.status, job.path, result.pages, result.seconds,
                 f" ({result.message})" if result.message else "")
        if on_result:
            on_result(result, len(found), len(jobs))
    return found, len(todo), complete


def analyse(folder: Path, out: Path, settings: Settings,
            on_result: Callable[[DocumentResult, int, int], None] | None = None) -> Summary:
    """Tag every document under folder and write the gap reports to out.

    Each finished document is cached at once, so an interrupted run loses nothing: rerunning
    analyses only what is missing. Reports are written at the end, each under a temporary name
    then renamed, so the previous reports stay intact until the new ones are complete."""
    started = time.perf_counter()
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give a folder of strategy documents")
    paths, skipped = find_documents(folder)
    if not paths:
        raise InputError(f"{folder}: no documents found (looked for .pdf, .docx, .html, .htm, .txt, .md)")
    overrides = read_metadata(folder)
    plan = RunPlan.load(settings)
    cache_dir = Path(settings.cache_dir) if settings.cache_dir else None
    results_cache, reports_cache = result_cache(cache_dir), report_cache(cache_dir)
    jobs = [Job(path, sha256_of(path), plan.taxonomy.ids) for path in paths]
    keys = {job.path: plan.result_key(job.sha256) for job in jobs}
    # The reports are a function of the results, the file names, metadata.csv, the frameworks and the
    # report code: when none of those changed, the last run's CSVs are reused without reading a result.
    reports_key = hashlib.sha256(json.dumps(
        [__version__, source_sha256(report.__file__, aggregate.__file__), [[job.path.relative_to(folder).as_posix(), keys[job.path]] for job in jobs], overrides,
         [dataclasses.asdict(framework) for framework in plan.frameworks]], sort_keys=True).encode()).hexdigest()
    bundle = reports_cache.get(reports_key)
    if bundle is not None:
        write_csv_files(out, bundle.files)
        inputs, seconds, analysed = bundle.inputs, bundle.seconds, 0
    else:
        results, analysed, complete = _results(jobs, keys, plan, results_cache, on_result)
        results = [_with_metadata(results[job.path], job, metadata_for(job.path, folder, overrides)) for job in jobs]
        results = sorted(_unique_ids(results), key=lambda r: r.doc_id)
        files = report_files(results, plan.frameworks, plan.taxonomy)
        write_csv_files(out, files)
        inputs = [{"file": r.file, "doc_id": r.doc_id, "sha256": r.sha256, "status": r.status} for r in results]
        seconds = {r.doc_id: round(r.seconds, 2) for r in results}
        if complete:
            reports_cache.put(reports_key, ReportBundle(files, inputs, seconds))
    run_info = {
        "councilscan": __version__,
        "versions": library_versions(),
        "settings": as_dict(settings),
        "frameworks": [framework.id for framework in plan.frameworks],
        "taxonomy_sha256": plan.taxonomy.sha256,
        "model_id": plan.model_id,
        "spacy_pipeline": settings.spacy_model or "blank:en+sentencizer+lookup-lemmas",
        "extractor_version": EXTRACTOR_VERSION,
        "inputs": inputs,
        "skipped_files": [str(p.relative_to(folder)) for p in skipped],
        "notes": list(plan.notes),
        "timings": {"total_seconds": round(time.perf_counter() - started, 2), "analysed": analysed,
                    "from_cache": len(jobs) - analysed, "documents": seconds},
        "input_set_sha256": hashlib.sha256("".join(i["sha256"] for i in inputs).encode()).hexdigest(),
    }
    write_atomic(out / "run.json", json.dumps(run_info, indent=2, sort_keys=True) + "\n")
    from pipeline.htmlreport import write_visual_reports

    write_visual_reports(out, cache_dir)
    for note in plan.notes:
        log.warning(note)
    statuses = [i["status"] for i in inputs]
    return Summary(out, len(inputs), statuses.count("failed"), statuses.count("warning"), len(skipped),
                   len(jobs) - analysed, plan.model_id, time.perf_counter() - started)


@dataclass(frozen=True)
class Classified:
    labels: tuple[str, ...]
    texts: list[str]
    themes: list[tuple[str, ...]]
    probabilities: object  # numpy array, one row per text


def classify_texts(rows: list[LabelledSentence], settings: Settings, independent: bool = False) -> Classified:
    """Run the trained classifier alone over free sentences (the `classify` command).

    Rows are read as running text (see sentence_inputs) unless independent: then each sentence alone."""
    from pipeline.tools import load_tools

    tools = load_tools(settings)
    classifier = load_model(Path(settings.model_dir), tools.taxonomy.ids)
    probabilities = classifier.probabilities(sentence_inputs(rows, tools.segmenter, independent))
    return Classified(classifier.labels, [r.text for r in rows], classifier.themes(probabilities), probabilities)


def extract_folder(folder: Path, out: Path, settings: Settings, progress: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Write each document's blocks as JSONL; return (documents, failed)."""
    paths, _ = find_documents(folder)
    failed = 0
    for path in paths:
        try:
            document = extract_document(path, settings.max_pages)
        except DocumentError as error:
            failed += 1
            if progress:
                progress(f"failed  {path}: {error}")
            continue
        lines = [json.dumps({"doc_id": document.doc_id, **dataclasses.asdict(block)}, ensure_ascii=False) for block in document.blocks]
        write_atomic(out / f"{document.doc_id}.jsonl", "\n".join(lines) + "\n")
        if progress:
            progress(f"ok      {path}: {len(document.blocks)} blocks, {document.pages} pages")
    return len(paths), failed
