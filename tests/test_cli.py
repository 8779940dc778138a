"""End-to-end: the real CLI on real files, checked against the sample corpus's truth file."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, make_pdf
from pipeline.cli import cli
from pipeline.records import METADATA_COLUMNS
from pipeline.report import DOCUMENT_COLUMNS, EVIDENCE_COLUMNS, GAP_COLUMNS
from pipeline.taxonomy import THEME_IDS

SAMPLES = ROOT / "corpus/samples"
COMMANDS = ("analyse", "train", "evaluate", "classify", "extract", "samples", "label")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT)


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def lexicon_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lexicon")
    result = run("analyse", str(SAMPLES), "--out", str(out), "--lexicon-only")
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_readme_docs(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"councilscan {command}" in (ROOT / "README.md").read_text()


def agreement_with_truth(out: Path) -> float:
    """Share of sample document x theme pairs where 'found' (covered or thin) matches the truth file."""
    coverage = {row["doc_id"]: row for row in read(out / "coverage_matrix.csv")}
    truth = read(ROOT / "corpus/sample-truth.csv")
    assert len(truth) >= 8
    agree = total = 0
    for row in truth:
        present = set(filter(None, row["themes_present"].split(";")))
        for theme in THEME_IDS:
            found = coverage[row["doc_id"]][theme] in ("covered", "thin")
            agree += found == (theme in present)
            total += 1
    assert total == 17 * len(truth)
    return agree / total


def test_lexicon_agrees_with_sample_truth(lexicon_run):
    assert agreement_with_truth(lexicon_run) >= 0.9


def test_lexicon_and_classifier_together_agree_with_sample_truth(tmp_path):
    result = run("analyse", str(SAMPLES), "--out", str(tmp_path), "-q")
    assert result.returncode == 0, result.stderr
    assert "theme-classifier-" in result.stderr
    assert agreement_with_truth(tmp_path) >= 0.9


def test_reports_have_the_documented_columns(lexicon_run):
    for name, columns in (("documents.csv", DOCUMENT_COLUMNS), ("gap_report.csv", GAP_COLUMNS),
                          ("evidence.csv", EVIDENCE_COLUMNS), ("coverage_matrix.csv", ("doc_id", *THEME_IDS, *METADATA_COLUMNS))):
        text = (lexicon_run / name).read_bytes().decode("utf-8")
        assert text.startswith("\ufeff" + ",".join(columns) + "\r\n"), name
    gaps = read(lexicon_run / "gap_report.csv")
    assert len(gaps) == 8 * 15
    carrowby = [g for g in gaps if g["doc_id"] == "carrowby-comprehensive-2024"]
    assert all(g["status"] == "covered" and g["best_evidence"] and int(g["best_page"]) > 1 for g in carrowby)
    missing = [g for g in gaps if g["status"] == "missing"]
    assert missing and all(g["question"].endswith("?") for g in missing)
    assert (lexicon_run / "run.json").is_file()


def test_rerun_is_byte_identical(lexicon_run, tmp_path):
    result = run("analyse", str(SAMPLES), "--out", str(tmp_path), "--lexicon-only", "-q")
    assert result.returncode == 0, result.stderr
    for name in ("documents.csv", "gap_report.csv", "coverage_matrix.csv", "evidence.csv"):
        assert (tmp_path / name).read_bytes() == (lexicon_run / name).read_bytes(), name


def test_shipped_model_is_used_with_the_lexicon(tmp_path):
    pytest.importorskip("skops")
    if not (ROOT / "models/theme-classifier/meta.json").is_file():
        pytest.fail("the trained model must ship in models/theme-classifier (run make train)")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "plan.md").write_text(
        "# Helping everyone online\nNobody in Testshire should be shut out because they cannot use the internet.\n\n"
        "We will work with libraries to lend laptops and run free Wi-Fi sessions for older residents.\n"
    )
    result = run("analyse", str(folder), "--out", str(tmp_path / "out"), "--model", str(ROOT / "models/theme-classifier"))
    assert result.returncode == 0, result.stderr
    evidence = read(tmp_path / "out/evidence.csv")
    sources = {row["source"] for row in evidence if row["theme"] == "digital_inclusion"}
    assert sources & {"classifier", "both"}
    assert "theme-classifier-" in (tmp_path / "out/run.json").read_text()


def test_bad_documents_are_reported_and_the_batch_goes_on(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "good.pdf", "# Connectivity\nWe will bring gigabit broadband and 5G to every village.\n")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "fake.pdf").write_text("<html>login page</html>")
    (folder / "formula.txt").write_text("=HYPERLINK(\"http://evil\") We will roll out full fibre broadband.\n")
    out = tmp_path / "out"
    result = run("analyse", str(folder), "--out", str(out), "--lexicon-only")
    assert result.returncode == 0, result.stderr
    documents = {row["file"]: row for row in read(out / "documents.csv")}
    assert documents["good.pdf"]["status"] == "ok"
    assert documents["empty.pdf"]["status"] == "failed" and "empty" in documents["empty.pdf"]["message"]
    assert documents["fake.pdf"]["status"] == "failed" and "HTML" in documents["fake.pdf"]["message"]
    assert "failed" in result.stderr
    gaps = read(out / "gap_report.csv")
    assert {g["status"] for g in gaps if g["doc_id"] == "empty"} == {"not_assessable"}
    evidence_text = (out / "evidence.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in evidence_text and not re.search(r"(^|,)=HYPERLINK", evidence_text, re.M)


def test_exit_codes(tmp_path):
    assert run("analyse", str(tmp_path / "nope")).returncode == 2  # usage: no such folder
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("analyse", str(empty), "--out", str(tmp_path / "o"))
    assert result.returncode == 3 and "no documents found" in result.stderr
    (empty / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    result = run("analyse", str(empty), "--out", str(tmp_path / "o"), "--lexicon-only")
    assert result.returncode == 5 and "every document failed" in result.stderr
    assert read(tmp_path / "o/documents.csv")[0]["status"] == "failed"
    bad_config = tmp_path / "c.toml"
    bad_config.write_text("covered_min_evidnce = 2\n")
    result = run("--config", str(bad_config), "analyse", str(SAMPLES))
    assert result.returncode == 3 and "unknown setting" in result.stderr
    bad_config.write_text('classifier_features = "bert"\n')
    result = run("--config", str(bad_config), "analyse", str(SAMPLES))
    assert result.returncode == 3 and "unknown value 'bert'" in result.stderr and "ngrams, embeddings" in result.stderr
    bad_config.write_text("neighbour_dropout = 1.5\n")
    result = run("--config", str(bad_config), "train")
    assert result.returncode == 3 and "c.toml: neighbour_dropout: 1.5 is not a share. write a number from 0 to 1" in result.stderr


def test_extract_command_writes_jsonl(tmp_path):
    result = CliRunner().invoke(cli, ["extract", str(SAMPLES), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert len(files) == 8
    first = (tmp_path / files[0]).read_text().splitlines()[0]
    assert '"kind"' in first and '"page"' in first


def test_metadata_csv_flows_into_reports_and_cache_is_reused(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "plan.pdf", "# Connectivity\nWe will bring gigabit broadband and 5G to every village.\n")
    (folder / "metadata.csv").write_text("file,council,council_type,region,year,title\nplan.pdf,Aber Council,unitary,Wales,2022,Aber Digital Plan\n")
    config = tmp_path / "settings.toml"
    config.write_text(f'cache_dir = "{tmp_path / "cache"}"\n')
    result = run("--config", str(config), "analyse", str(folder), "--out", str(tmp_path / "out"), "--lexicon-only")
    assert result.returncode == 0, result.stderr
    document = read(tmp_path / "out/documents.csv")[0]
    assert (document["title"], document["council"], document["region"], document["year"]) == ("Aber Digital Plan", "Aber Council", "Wales", "2022")
    assert {row["council"] for row in read(tmp_path / "out/gap_report.csv")} == {"Aber Council"}
    assert read(tmp_path / "out/coverage_matrix.csv")[0]["council_type"] == "unitary"
    assert len(list((tmp_path / "cache/extract").rglob("*.json"))) == 1
    cached = list((tmp_path / "cache/results").rglob("*.json"))
    assert len(cached) == 1
    cached[0].write_text(cached[0].read_text().replace("gigabit broadband", "gigabit CACHED broadband"))
    bundles = list((tmp_path / "cache/reports").rglob("*.json"))
    assert len(bundles) == 1
    run("--config", str(config), "analyse", str(folder), "--out", str(tmp_path / "same"), "--lexicon-only")
    # Nothing changed: the last run's reports are reused whole, without reading the results.
    for name in ("documents.csv", "gap_report.csv", "coverage_matrix.csv", "evidence.csv", "summary.csv", "report.html"):
        assert (tmp_path / "same" / name).read_bytes() == (tmp_path / "out" / name).read_bytes(), name
    assert json.loads((tmp_path / "same/run.json").read_text())["inputs"] == json.loads((tmp_path / "out/run.json").read_text())["inputs"]
    bundles[0].unlink()
    run("--config", str(config), "analyse", str(folder), "--out", str(tmp_path / "again"), "--lexicon-only")
    assert "CACHED" in (tmp_path / "again/evidence.csv").read_text(encoding="utf-8-sig")  # the result cache was used
    (folder / "metadata.csv").write_text("file,council\nplan.pdf,Aber County Council\n")
    run("--config", str(config), "analyse", str(folder), "--out", str(tmp_path / "renamed"), "--lexicon-only")
    assert read(tmp_path / "renamed/documents.csv")[0]["council"] == "Aber County Council"  # new metadata, new reports
    run("--config", str(config), "analyse", str(folder), "--out", str(tmp_path / "fresh"), "--lexicon-only", "--no-cache")
    assert "CACHED" not in (tmp_path / "fresh/evidence.csv").read_text(encoding="utf-8-sig")


def test_ocr_adds_a_text_layer_when_asked(tmp_path):
    from pipeline.pdfwrite import write_image_only_pdf

    folder, tools = tmp_path / "docs", tmp_path / "bin"
    folder.mkdir()
    tools.mkdir()
    write_image_only_pdf(folder / "scanned.pdf")
    text_pdf = make_pdf(tmp_path / "ocred.pdf", "# Cyber\nWe hold Cyber Essentials Plus and test our backups.\n")
    out = tmp_path / "out"
    result = run("analyse", str(folder), "--out", str(out), "--lexicon-only", "--no-cache")
    assert result.returncode == 5 and "ocrmypdf" in read(out / "documents.csv")[0]["message"]
    # A stand-in for ocrmypdf on PATH: writes the text PDF where the real one would write its output.
    fake = tools / "ocrmypdf"
    fake.write_text(f'#!/bin/sh\ncp "{text_pdf}" "$4"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-m", "pipeline", "analyse", str(folder), "--out", str(out), "--lexicon-only",
                             "--no-cache", "--ocr"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    document = read(out / "documents.csv")[0]
    assert document["status"] == "warning" and "OCR" in document["message"]
    assert any(row["theme"] == "cyber_security_resilience" for row in read(out / "evidence.csv"))


def test_formula_from_a_pdf_is_inert_and_all_frameworks_get_reports(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "hostile.pdf", '# Connectivity\n=HYPERLINK("http://evil.example") We will roll out full fibre broadband by 2026.\n\n'
             "@SUM(A1) We will roll out full fibre broadband to schools.\n")
    out = tmp_path / "out"
    result = run("analyse", str(folder), "--out", str(out), "--lexicon-only", "--all-frameworks", "--no-cache")
    assert result.returncode == 0, result.stderr
    sentences = [row["sentence"] for row in read(out / "evidence.csv")]
    assert any(s.startswith("'=HYPERLINK") for s in sentences) and any(s.startswith("'@SUM") for s in sentences)
    assert not any(s.startswith(("=", "@")) for s in sentences)
    assert {row["framework"] for row in read(out / "gap_report-local-digital-declaration.csv")} == {"local-digital-declaration"}
    assert (out / "summary.csv").is_file() and (out / "summary-local-digital-declaration.csv").is_file()
    connectivity = next(row for row in read(out / "gap_report.csv") if row["item_id"] == "connectivity")
    assert (connectivity["status"], connectivity["depth"], connectivity["targets"]) == ("thin", "target", "1")


def test_pdfium_engine_finds_the_same_themes(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "plan.pdf", "# Connectivity\nWe will bring gigabit broadband and 5G to every village by 2026.\n\n"
             "# Inclusion\nWe will lend laptops through libraries to residents who are not online.\n")
    themes = {}
    for engine in ("pdfplumber", "pdfium"):
        result = run("analyse", str(folder), "--out", str(tmp_path / engine), "--lexicon-only", "--no-cache", "--engine", engine)
        assert result.returncode == 0, result.stderr
        themes[engine] = {(row["theme"], row["sentence"]) for row in read(tmp_path / engine / "evidence.csv")}
    assert themes["pdfium"] == themes["pdfplumber"] and themes["pdfium"]
