"""The visual reports, built from a real analysis of the sample corpus, checked as files and in a real browser."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT
from pipeline.config import Settings
from pipeline import htmlreport
from pipeline.htmlreport import STANDARD_DOCUMENT_COLUMNS, script_json, write_visual_reports
from pipeline.run import analyse

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"
HOSTILE = "<script>alert(1)</script>"
RANK = {"covered": 3, "thin": 2, "missing": 1, "not_assessable": 0}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    analyse(ROOT / "corpus" / "samples", out, Settings(use_classifier=False))
    write_visual_reports(out)
    return out


@pytest.fixture(scope="module")
def hostile(reports: Path, tmp_path_factory) -> Path:
    """The sample reports with a script in a title and an evidence sentence, and an extra metadata column."""
    out = tmp_path_factory.mktemp("hostile")
    for name in ("documents.csv", "gap_report.csv", "evidence.csv"):
        shutil.copy(reports / name, out / name)
    documents = read_csv(out / "documents.csv")
    for index, row in enumerate(documents):
        row["panel"] = "ab"[index % 2]
    documents[0]["title"] = HOSTILE
    write_csv(out / "documents.csv", documents)
    first_item = read_csv(out / "gap_report.csv")[0]
    evidence = read_csv(out / "evidence.csv")
    evidence.insert(0, {**evidence[0], "doc_id": documents[0]["doc_id"], "page": "1", "sentence_no": "0",
                        "theme": first_item["themes"].split(";")[0], "sentence": HOSTILE})
    write_csv(out / "evidence.csv", evidence)
    write_visual_reports(out)
    return out


def test_one_cell_per_document_and_item(reports: Path):
    html = (reports / "report.html").read_text(encoding="utf-8")
    documents, gaps = read_csv(reports / "documents.csv"), read_csv(reports / "gap_report.csv")
    items = list(dict.fromkeys(row["item_id"] for row in gaps))
    cells = re.findall(r'<button type="button" class="cell s-(\w+)" data-d="(\d+)" data-i="(\d+)"', html)
    assert sorted((int(d), int(i)) for _, d, i in cells) == [(d, i) for d in range(len(documents)) for i in range(len(items))]
    assert [status for status, _, _ in cells] == [row["status"] for row in gaps]  # gap_report is sorted like the grid


def test_document_text_is_escaped_in_html_and_json(hostile: Path):
    html = (hostile / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert html.count("<script") == 2  # the data and the code, nothing injected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title, in the heading tooltip and the card
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html  # the sentence, in the embedded data


def test_script_json_cannot_end_its_script_element():
    data = {"sentence": "</script><!-- & £"}
    text = script_json(data)
    assert not set("<>&") & set(text)
    assert json.loads(text) == data


def test_filters_come_from_extra_document_columns(hostile: Path, tmp_path: Path):
    html = (hostile / "report.html").read_text(encoding="utf-8")
    assert '<select data-column="panel">' in html
    plain = tmp_path / "plain"
    shutil.copytree(hostile, plain)
    documents = read_csv(plain / "documents.csv")
    write_csv(plain / "documents.csv", [{c: row[c] for c in STANDARD_DOCUMENT_COLUMNS} for row in documents])
    write_visual_reports(plain)
    assert "<select" not in (plain / "report.html").read_text(encoding="utf-8")


def test_outputs_are_byte_identical_and_written_atomically(reports: Path):
    before = {name: (reports / name).read_bytes() for name in ("report.html", "heatmap.png")}
    assert write_visual_reports(reports) == [reports / "report.html", reports / "heatmap.png"]
    assert {name: (reports / name).read_bytes() for name in before} == before
    assert not list(reports.glob(".*.tmp"))


def test_cached_visual_reports_are_reused_until_a_csv_changes(reports: Path, tmp_path, monkeypatch):
    out, cache = tmp_path / "out", tmp_path / "cache"
    shutil.copytree(reports, out)
    write_visual_reports(out, cache)
    expected = {name: (reports / name).read_bytes() for name in ("report.html", "heatmap.png")}
    assert {name: (out / name).read_bytes() for name in expected} == expected
    assert sorted(p.suffix for p in (cache / "visual").iterdir()) == [".html", ".png"]

    def no_drawing(*args: object) -> bytes:
        raise AssertionError("drawn again although no CSV changed")

    for name in expected:
        (out / name).unlink()
    with monkeypatch.context() as patch:
        patch.setattr(htmlreport, "draw_heatmap", no_drawing)
        patch.setattr(htmlreport, "render_html", no_drawing)
        write_visual_reports(out, cache)
    assert {name: (out / name).read_bytes() for name in expected} == expected

    gaps = read_csv(out / "gap_report.csv")
    gaps[0]["status"] = "covered" if gaps[0]["status"] != "covered" else "missing"
    write_csv(out / "gap_report.csv", gaps)
    write_visual_reports(out, cache)
    assert (out / "heatmap.png").read_bytes() != expected["heatmap.png"]
    assert len(list((cache / "visual").glob("*.png"))) == 2


def test_heatmap_is_a_png_without_timestamp(reports: Path):
    data = (reports / "heatmap.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"tIME" not in data and b"Software" not in data


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        if "CI" in os.environ:
            pytest.fail("CI needs chromium for the browser test: apt-get install -y chromium chromium-driver")
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def severe_messages(driver: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def panel_after_click(driver: webdriver.Chrome, d: int, i: int, expected: str):
    driver.find_element(By.CSS_SELECTOR, f'#heatmap button.cell[data-d="{d}"][data-i="{i}"]').click()
    return WebDriverWait(driver, 5).until(
        lambda b: next((e for e in b.find_elements(By.CSS_SELECTOR, "#panel blockquote, #panel .question") if e.text == expected), None))


def test_browser_shows_the_evidence_of_a_clicked_cell(browser: webdriver.Chrome, reports: Path):
    documents, gaps = read_csv(reports / "documents.csv"), read_csv(reports / "gap_report.csv")
    doc_ids, items = [row["doc_id"] for row in documents], list(dict.fromkeys(row["item_id"] for row in gaps))
    browser.get((reports / "report.html").as_uri())
    assert len(browser.find_elements(By.CSS_SELECTOR, "#heatmap button.cell")) == len(doc_ids) * len(items)

    quoted = next(row for row in gaps if row["status"] == "covered" and row["best_evidence"][:1].isalnum())
    quote = panel_after_click(browser, doc_ids.index(quoted["doc_id"]), items.index(quoted["item_id"]), quoted["best_evidence"])
    assert quote.is_displayed()
    asked = next(row for row in gaps if row["status"] == "missing")
    question = panel_after_click(browser, doc_ids.index(asked["doc_id"]), items.index(asked["item_id"]), asked["question"])
    assert question.is_displayed()

    browser.find_element(By.CSS_SELECTOR, '[data-sort="docs-coverage"]').click()
    coverage = {doc_id: sum(RANK[row["status"]] for row in gaps if row["doc_id"] == doc_id) for doc_id in doc_ids}
    first_row = browser.find_element(By.CSS_SELECTOR, "#heatmap tbody tr")
    assert first_row.find_element(By.CSS_SELECTOR, ".doc-head").text == max(doc_ids, key=lambda d: (coverage[d], -doc_ids.index(d)))
    assert severe_messages(browser) == []


def test_browser_shows_hostile_text_as_text_and_filters(browser: webdriver.Chrome, hostile: Path):
    browser.get((hostile / "report.html").as_uri())
    quote = panel_after_click(browser, 0, 0, HOSTILE)
    assert quote.is_displayed()
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    Select(browser.find_element(By.CSS_SELECTOR, 'select[data-column="panel"]')).select_by_visible_text("a")
    shown = [row for row in browser.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr") if row.is_displayed()]
    assert len(shown) == sum(row["panel"] == "a" for row in read_csv(hostile / "documents.csv"))
    assert severe_messages(browser) == []
