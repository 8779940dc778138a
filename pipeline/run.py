"""Public API for analysis: analyse(folder, out, settings) wires the stages and writes the reports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline import __version__
from pipeline.aggregate import theme_verdicts, unassessable_verdicts
from pipeline.classify import ThemeClassifier, library_versions, load_model
from pipeline.config import Settings, as_dict
from pipeline.depth import DepthTagger
from pipeline.ensemble import combine
from pipeline.cache import DocumentCache
from pipeline.errors import DocumentError, InputError, NoTextLayerError
from pipeline.extract import EXTRACTOR_VERSION, doc_id_for, extract_document, find_documents, ocr_pdf, sha256_of
from pipeline.language import tag_languages
from pipeline.lexicon import LexiconTagger
from pipeline.metadata import guess_metadata, metadata_for, read_metadata
from pipeline.records import METADATA_COLUMNS, Document, DocumentResult, Evidence
from pipeline.report import write_atomic, write_reports
from pipeline.segment import Segmenter, lemmatise, segment
from pipeline.taxonomy import Framework, Taxonomy, load_framework, packaged_frameworks
from pipeline.tools import load_tools

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    out: Path
    documents: int
    failed: int
    warnings: int
    skipped: int
    model_id: str
    seconds: float


@dataclass
class Analyser:
    """Everything loaded once per run and reused for every document."""

    settings: Settings
    taxonomy: Taxonomy
    frameworks: tuple[Framework, ...]  # the chosen one first
    segmenter: Segmenter
    lexicon: LexiconTagger
    classifier: ThemeClassifier | None
    notes: list[str]
    cache: DocumentCache
    depth: DepthTagger

    @classmethod
    def load(cls, settings: Settings) -> Analyser:
        tools = load_tools(settings)
        frameworks = [load_framework(settings.framework, tools.taxonomy)]
        if settings.all_frameworks:
            frameworks += [load_framework(name, tools.taxonomy) for name in packaged_frameworks() if name != frameworks[0].id]
        notes: list[str] = []
        classifier = None
        if settings.use_classifier and settings.model_dir:
            model_dir = Path(settings.model_dir)
            if (model_dir / "meta.json").is_file():
                classifier = load_model(model_dir, tools.taxonomy.ids)
            else:
                notes.append(f"no trained model in {model_dir}: themes found by the lexicon only (run `make train`)")
        cache = DocumentCache(Path(settings.cache_dir) if settings.cache_dir else None)
        return cls(settings, tools.taxonomy, tuple(frameworks), tools.segmenter, tools.lexicon, classifier, notes, cache,
                   DepthTagger(tools.segmenter.nlp.vocab))

    def read_document(self, path: Path, digest: str) -> Document:
        """Extract (or fetch from the cache), OCR if asked and needed, and tag block languages."""
        key = f"{digest}-x{EXTRACTOR_VERSION}-p{self.settings.max_pages}" + ("-ocr" if self.settings.ocr else "")
        cached = self.cache.get(key)
        if cached is not None:
            return replace(cached, doc_id=doc_id_for(path), path=str(path))
        try:
            document = extract_document(path, self.settings.max_pages, digest)
            needs_ocr = any("no text layer" in warning for warning in document.warnings)
        except NoTextLayerError:
            if not self.settings.ocr:
                raise
            needs_ocr = True
        if self.settings.ocr and needs_ocr:
            with tempfile.TemporaryDirectory() as folder:
                ocred = ocr_pdf(path, Path(folder) / path.name)
                document = replace(extract_document(ocred, self.settings.max_pages, digest), doc_id=doc_id_for(path), path=str(path))
            document = replace(document, warnings=(*document.warnings, "text layer added by OCR (ocrmypdf): check quotes against the page"))
        document = tag_languages(document)
        self.cache.put(key, document)
        return document

    def analyse_document(self, path: Path, metadata: dict[str, str]) -> DocumentResult:
        started = time.perf_counter()
        digest = sha256_of(path)
        document = self.read_document(path, digest)
        guessed = {**guess_metadata(document, path), **metadata}
        sentences = segment(document, self.segmenter)
        probabilities = self.classifier.probabilities([s.lemma_text for s in sentences]) if self.classifier else None
        thresholds = self.classifier.thresholds if self.classifier else {t: 1.0 for t in self.taxonomy.ids}
        evidence = []
        for index, sentence in enumerate(sentences):
            row = dict(zip(self.taxonomy.ids, probabilities[index])) if probabilities is not None else None
            findings = combine(self.lexicon.tag(sentence), row, thresholds, self.settings.lexicon_confidence,
                               self.settings.classifier_veto)
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
        words = sum(len(b.text.split()) for b in content)
        return DocumentResult(
            doc_id=document.doc_id, file=path.name, sha256=document.sha256, title=guessed.get("title") or document.title,
            pages=document.pages,
            words=words, status="warning" if document.warnings else "ok", message="; ".join(document.warnings),
            evidence=tuple(evidence),
            verdicts=tuple(theme_verdicts(document.doc_id, evidence, self.taxonomy.ids, reliable, self.settings)),
            seconds=time.perf_counter() - started,
            **{column: guessed.get(column, "") for column in METADATA_COLUMNS},
            welsh_blocks=sum(b.language == "cy" for b in content),
            other_language_blocks=sum(b.language not in ("en", "cy") for b in content),
        )

    def failed_result(self, path: Path, error: DocumentError, metadata: dict[str, str]) -> DocumentResult:
        try:
            digest = sha256_of(path)
        except OSError:
            digest = ""
        return DocumentResult(doc_id_for(path), path.name, digest, metadata.get("title", ""), 0, 0, "failed", str(error),
                              verdicts=tuple(unassessable_verdicts(doc_id_for(path), self.taxonomy.ids)),
                              **{column: metadata.get(column, "") for column in METADATA_COLUMNS})


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


def analyse(folder: Path, out: Path, settings: Settings, progress: Callable[[str], None] | None = None) -> Summary:
    """Tag every document under folder and write the gap reports to out."""
    started = time.perf_counter()
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give a folder of strategy documents")
    paths, skipped = find_documents(folder)
    if not paths:
        raise InputError(f"{folder}: no documents found (looked for .pdf, .docx, .html, .htm, .txt, .md)")
    overrides = read_metadata(folder)
    analyser = Analyser.load(settings)
    results: list[DocumentResult] = []
    for path in paths:
        metadata = metadata_for(path, folder, overrides)
        try:
            result = analyser.analyse_document(path, metadata)
        except DocumentError as error:
            result = analyser.failed_result(path, error, metadata)
        results.append(result)
        if progress:
            progress(f"{result.status:7} {path.relative_to(folder)} ({result.pages} pages, {result.seconds:.1f}s)"
                     + (f": {result.message}" if result.message else ""))
    results = _unique_ids(results)
    results.sort(key=lambda r: r.doc_id)
    model_id = analyser.classifier.model_id if analyser.classifier else "lexicon-only"
    run_info = {
        "councilscan": __version__,
        "versions": library_versions(),
        "settings": as_dict(settings),
        "frameworks": [framework.id for framework in analyser.frameworks],
        "taxonomy_sha256": analyser.taxonomy.sha256,
        "model_id": model_id,
        "spacy_pipeline": analyser.segmenter.name,
        "extractor_version": EXTRACTOR_VERSION,
        "inputs": [{"file": r.file, "doc_id": r.doc_id, "sha256": r.sha256, "status": r.status} for r in results],
        "skipped_files": [str(p.relative_to(folder)) for p in skipped],
        "notes": analyser.notes,
        "timings": {"total_seconds": round(time.perf_counter() - started, 2),
                    "documents": {r.doc_id: round(r.seconds, 2) for r in results}},
        "input_set_sha256": hashlib.sha256("".join(r.sha256 for r in results).encode()).hexdigest(),
    }
    write_reports(out, results, analyser.frameworks, analyser.taxonomy, run_info)
    for note in analyser.notes:
        log.warning(note)
    return Summary(out, len(results), sum(r.status == "failed" for r in results),
                   sum(r.status == "warning" for r in results), len(skipped), model_id, time.perf_counter() - started)


@dataclass(frozen=True)
class Classified:
    labels: tuple[str, ...]
    texts: list[str]
    themes: list[tuple[str, ...]]
    probabilities: object  # numpy array, one row per text


def classify_texts(texts: list[str], settings: Settings) -> Classified:
    """Run the trained classifier alone over free sentences (the `classify` command)."""
    tools = load_tools(settings)
    classifier = load_model(Path(settings.model_dir), tools.taxonomy.ids)
    lemma_texts = lemmatise(texts, tools.segmenter)
    return Classified(classifier.labels, texts, classifier.predict(lemma_texts), classifier.probabilities(lemma_texts))


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
