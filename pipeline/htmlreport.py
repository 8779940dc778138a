"""Write the visual reports: report.html to explore gaps and their evidence, heatmap.png for papers.

Both are built from the CSVs report.py already wrote, so they can be redrawn from any output folder
without re-analysing. report.html is one self-contained file (inline CSS, JS and data; no network),
so it can be emailed to a councillor or opened from a shared drive. This is the only module
importing matplotlib, and only when the reports are not already cached.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path

from pipeline.cache import BlobCache, source_sha256
from pipeline.config import STATUSES
from pipeline.report import FORMULA_STARTS, write_atomic

# documents.csv columns that describe the file rather than the council: every other column
# (council_type, region, year...) becomes a filter.
STANDARD_DOCUMENT_COLUMNS = ("doc_id", "file", "sha256", "title", "pages", "words", "status", "message", "welsh_blocks",
                             "other_language_blocks")
# Okabe-Ito colours (distinguishable with every common colour-vision deficiency), each with the
# letter colour that contrasts best with it; the letter alone also tells the statuses apart.
COLOURS = {"covered": "#0072B2", "thin": "#F0E442", "missing": "#D55E00", "not_assessable": "#BBBBBB"}
INK = {"covered": "#FFFFFF", "thin": "#000000", "missing": "#000000", "not_assessable": "#000000"}
LETTERS = {"covered": "C", "thin": "T", "missing": "M", "not_assessable": "N"}
LABELS = {"covered": "covered", "thin": "thin", "missing": "missing", "not_assessable": "not assessable"}


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Reports:
    """The CSV reports of one run, as the visual reports need them."""

    framework: str
    documents: list[dict[str, str]]  # sorted by doc_id
    filters: dict[str, list[str]]  # extra documents.csv column -> its sorted distinct values
    items: list[Item]  # in framework order
    gaps: dict[tuple[str, str], dict[str, str]]  # (doc_id, item_id) -> gap_report.csv row
    evidence: dict[str, list[dict[str, str]]]  # doc_id -> evidence.csv rows in document order

    def cell(self, doc_id: str, item_id: str) -> dict[str, str]:
        return self.gaps[doc_id, item_id]


SOURCES = ("documents.csv", "gap_report.csv", "evidence.csv")  # all the visual reports are drawn from


def write_visual_reports(out: Path, cache_dir: Path | None = None) -> list[Path]:
    """Write report.html and heatmap.png into out from the CSV reports already there.

    With a cache_dir, the same CSVs give the cached files back without drawing: drawing costs more
    than all the rest of a rerun whose documents all come from the cache.
    """
    digest = hashlib.sha256(source_sha256(__file__).encode())
    for name in SOURCES:
        digest.update((out / name).read_bytes())
    key = digest.hexdigest()
    html_cache, png_cache = BlobCache(cache_dir, "visual", ".html"), BlobCache(cache_dir, "visual", ".png")
    html, png = html_cache.get(key), png_cache.get(key)
    if html is None or png is None:
        reports = read_reports(out)
        html, png = render_html(reports).encode("utf-8"), draw_heatmap(reports)
        html_cache.put(key, html)
        png_cache.put(key, png)
    write_atomic(out / "report.html", html)
    write_atomic(out / "heatmap.png", png)
    return [out / "report.html", out / "heatmap.png"]


def read_reports(out: Path) -> Reports:
    """Read the CSVs back; their rows are already sorted by document (report.py guarantees it)."""
    documents = _read_csv(out / "documents.csv")
    extra = [c for c in (documents[0] if documents else {}) if c not in STANDARD_DOCUMENT_COLUMNS]
    # A column with a single value (e.g. region left blank everywhere) would filter nothing.
    values = {column: sorted({row[column] for row in documents}) for column in extra}
    filters = {column: found for column, found in values.items() if len(found) > 1}
    items: dict[str, Item] = {}
    gaps = {}
    framework = ""
    for row in _read_csv(out / "gap_report.csv"):
        framework = row["framework"]
        items.setdefault(row["item_id"], Item(row["item_id"], row["item"], tuple(row["themes"].split(";"))))
        gaps[row["doc_id"], row["item_id"]] = row
    evidence = defaultdict(list)
    for row in _read_csv(out / "evidence.csv"):
        evidence[row["doc_id"]].append(row)
    return Reports(framework, documents, filters, list(items.values()), gaps, dict(evidence))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{key: _unprefix(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def _unprefix(value: str) -> str:
    """Undo report.safe_cell: the ' it adds against spreadsheet formulas means nothing in a browser."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def cell_evidence(reports: Reports, doc_id: str, item: Item) -> list[dict[str, object]]:
    """The item's evidence sentences in document order, one entry per sentence even when it has several of the item's themes."""
    sentences: dict[str, dict[str, object]] = {}
    for row in reports.evidence.get(doc_id, []):
        if row["theme"] in item.themes:
            entry = sentences.setdefault(row["sentence_no"], {"page": row["page"], "sentence": row["sentence"], "found": []})
            entry["found"].append(f"{row['theme']}: {row['source']}, score {row['score']}")
    return list(sentences.values())


def report_data(reports: Reports) -> dict[str, object]:
    """What the page's script needs: filter values per document, and each cell's verdict and evidence."""
    return {
        "letters": LETTERS,
        "labels": LABELS,
        "docs": [{"id": d["doc_id"], "title": d["title"], "meta": {c: d[c] for c in reports.filters}} for d in reports.documents],
        "items": [{"id": item.id, "title": item.title, "themes": list(item.themes)} for item in reports.items],
        "cells": [[{"status": (cell := reports.cell(d["doc_id"], item.id))["status"], "score": cell["score"],
                    "question": cell["question"], "evidence": cell_evidence(reports, d["doc_id"], item)}
                   for item in reports.items] for d in reports.documents],
    }


def script_json(data: object) -> str:
    """JSON that cannot end the <script> element it sits in, whatever the documents say."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(reports: Reports) -> str:
    docs, items = reports.documents, reports.items
    title = f"councilscan gap report: {reports.framework}" if reports.framework else "councilscan gap report"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{CSS}{_status_css()}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p>{len(docs)} documents &times; {len(items)} framework items. Click a cell to read the evidence behind its
verdict; the cards below list each document's gaps with the questions a councillor should ask.</p>
</header>
<section class="controls" aria-label="Sort and filter">
<div class="group"><span>Documents:</span>
<button type="button" data-sort="docs-name" aria-pressed="true">A&ndash;Z</button>
<button type="button" data-sort="docs-coverage" aria-pressed="false">best covered first</button></div>
<div class="group"><span>Items:</span>
<button type="button" data-sort="items-framework" aria-pressed="true">framework order</button>
<button type="button" data-sort="items-coverage" aria-pressed="false">best covered first</button></div>
{_filters_html(reports.filters)}
<p id="order-note" class="note">Click an item heading to sort documents by it, or a document name to sort items by it.</p>
</section>
{_legend_html()}
<main class="layout">
<div class="heatmap-wrap">{_table_html(reports)}</div>
<aside id="panel" aria-live="polite"><p class="hint">Click a cell to see its evidence here.</p></aside>
</main>
<section id="cards" aria-label="Gaps by document">
<h2>Gaps by document</h2>
{"".join(_card_html(reports, d, doc) for d, doc in enumerate(docs))}
</section>
<script type="application/json" id="report-data">{script_json(report_data(reports))}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _filters_html(filters: dict[str, list[str]]) -> str:
    if not filters:
        return ""
    selects = []
    for column, values in filters.items():
        options = "".join(f'<option value="{escape(v)}">{escape(v) or "(blank)"}</option>' for v in values)
        selects.append(f'<label>{escape(column)} <select data-column="{escape(column)}"><option data-all="1">all</option>'
                       f"{options}</select></label>")
    return f'<div class="group filters"><span>Filter:</span>{"".join(selects)}<span id="shown" class="note"></span></div>'


def _status_css() -> str:
    return "".join(f".s-{s} {{ background: {COLOURS[s]}; color: {INK[s]}; }}\n" for s in STATUSES)


def _legend_html() -> str:
    keys = "".join(f'<li><span class="swatch s-{s}">{LETTERS[s]}</span>{LABELS[s]}</li>' for s in STATUSES)
    return f'<ul class="legend" aria-label="Legend">{keys}</ul>'


def _table_html(reports: Reports) -> str:
    head = "".join(f'<th scope="col" data-i="{i}"><button type="button" class="item-head" data-i="{i}" '
                   f'title="{escape(item.title)}"><span>{escape(item.id)}</span></button></th>'
                   for i, item in enumerate(reports.items))
    rows = []
    for d, doc in enumerate(reports.documents):
        cells = []
        for i, item in enumerate(reports.items):
            status = reports.cell(doc["doc_id"], item.id)["status"]
            label = f"{doc['doc_id']}, {item.title}: {LABELS[status]}"
            cells.append(f'<td data-i="{i}"><button type="button" class="cell s-{status}" data-d="{d}" data-i="{i}" '
                         f'aria-label="{escape(label)}" title="{escape(label)}">{LETTERS[status]}</button></td>')
        rows.append(f'<tr data-d="{d}"><th scope="row"><button type="button" class="doc-head" data-d="{d}" '
                    f'title="{escape(doc["title"])}">{escape(doc["doc_id"])}</button></th>{"".join(cells)}</tr>')
    return (f'<table id="heatmap"><thead><tr><th class="corner">document \\ item</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _card_html(reports: Reports, d: int, doc: dict[str, str]) -> str:
    facts = [doc["doc_id"], f"{doc['pages']} pages", f"{doc['words']} words", f"status {doc['status']}"]
    facts += [f"{column}: {doc[column]}" for column in doc if column not in STANDARD_DOCUMENT_COLUMNS and doc[column]]
    cells = [(item, reports.cell(doc["doc_id"], item.id)) for item in reports.items]
    gaps = [(item, cell) for item, cell in cells if cell["status"] in ("thin", "missing")]
    unassessable = [item.title for item, cell in cells if cell["status"] == "not_assessable"]
    covered = sum(cell["status"] == "covered" for _, cell in cells)
    parts = [f'<article class="card" data-d="{d}"><h3>{escape(doc["title"] or doc["doc_id"])}</h3>',
             f'<p class="note">{escape(" · ".join(facts))}</p>']
    if doc["message"]:
        parts.append(f'<p class="message">{escape(doc["message"])}</p>')
    parts.append(f"<p>{covered} of {len(cells)} items covered, {len(gaps)} gaps.</p>")
    if gaps:
        entries = "".join(f'<li><span class="swatch s-{cell["status"]}">{LETTERS[cell["status"]]}</span> '
                          f'<strong>{escape(item.title)}</strong> ({cell["status"]})'
                          f'<p class="question">{escape(cell["question"])}</p></li>' for item, cell in gaps)
        parts.append(f'<ul class="gaps">{entries}</ul>')
    if unassessable:
        parts.append(f'<p class="note">Not assessable: {escape("; ".join(unassessable))}.</p>')
    parts.append("</article>")
    return "\n".join(parts)


def draw_heatmap(reports: Reports) -> bytes:
    """The documents x items grid as PNG bytes, with matplotlib's Agg canvas (no pyplot, no display, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    codes = [[STATUSES.index(reports.cell(doc["doc_id"], item.id)["status"]) for item in reports.items]
             for doc in reports.documents]
    rows, columns, title = [doc["doc_id"] for doc in reports.documents], [item.id for item in reports.items], reports.framework

    figure = Figure(figsize=(3 + 0.4 * len(columns), 3 + 0.4 * len(rows)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(codes, cmap=ListedColormap([COLOURS[s] for s in STATUSES]), vmin=-0.5, vmax=len(STATUSES) - 0.5)
    for row, line in enumerate(codes):
        for column, code in enumerate(line):
            axes.text(column, row, LETTERS[STATUSES[code]], ha="center", va="center", fontsize=8, color=INK[STATUSES[code]])
    axes.set_xticks(range(len(columns)), columns, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
    axes.set_yticks(range(len(rows)), rows, fontsize=8)
    axes.tick_params(length=0)
    axes.set_xticks([x - 0.5 for x in range(1, len(columns))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    axes.grid(which="minor", color="white", linewidth=1.5)
    axes.tick_params(which="minor", length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.legend(handles=[Patch(facecolor=COLOURS[s], label=f"{LETTERS[s]} {LABELS[s]}") for s in STATUSES],
                loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(STATUSES), frameon=False, fontsize=8)
    if title:
        axes.set_title(title, fontsize=9, pad=24)
    buffer = io.BytesIO()
    # No Software (version) metadata, and Agg writes no time: the same reports give a byte-identical file.
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


CSS = """
:root { --line: #d0d4d9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1f24; margin: 0; padding: 16px 24px 40px; background: #fafbfc; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 8px; }
h3 { font-size: 15px; margin: 0 0 4px; }
header p { margin: 0 0 12px; max-width: 75ch; color: #444; }
button { font: inherit; cursor: pointer; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: center; margin-bottom: 8px; }
.group { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.group > span:first-child { font-weight: 600; }
.group button { border: 1px solid var(--line); background: #fff; border-radius: 4px; padding: 3px 9px; }
.group button[aria-pressed="true"] { background: #1b1f24; color: #fff; border-color: #1b1f24; }
.filters label { display: inline-flex; gap: 4px; align-items: center; }
select { font: inherit; padding: 2px 4px; max-width: 16em; }
.note { color: #555; font-size: 13px; margin: 0; }
.controls .note { flex-basis: 100%; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 16px; padding: 0; margin: 4px 0 12px; }
.legend li { display: flex; gap: 6px; align-items: center; }
.swatch { display: inline-block; width: 20px; height: 20px; line-height: 20px; text-align: center; font-weight: 700; font-size: 12px; border-radius: 3px; }
.layout { display: flex; gap: 20px; align-items: flex-start; }
.heatmap-wrap { overflow-x: auto; flex: none; max-width: 100%; }
#heatmap { border-collapse: separate; border-spacing: 2px; }
#heatmap th { font-weight: 500; }
#heatmap thead th { vertical-align: bottom; padding: 0; }
#heatmap .corner { text-align: left; font-size: 12px; color: #666; vertical-align: bottom; padding: 0 6px 4px 0; }
.item-head { border: 0; background: none; padding: 4px 0; width: 30px; display: flex; justify-content: center; }
.item-head span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-size: 12px; text-align: left; }
.doc-head { border: 0; background: none; padding: 0 8px 0 0; text-align: right; width: 100%; font-size: 13px; white-space: nowrap; }
.item-head:hover span, .doc-head:hover, .item-head.active span, .doc-head.active { text-decoration: underline; color: #0b4f8a; }
td { padding: 0; }
.cell { width: 30px; height: 28px; border: 0; border-radius: 3px; font-weight: 700; font-size: 12px; display: block; }
.cell:hover { outline: 2px solid #1b1f24; outline-offset: -2px; }
.cell.selected { outline: 3px solid #1b1f24; outline-offset: 1px; }
.cell:focus-visible, .group button:focus-visible { outline: 3px solid #6b3fa0; outline-offset: 1px; }
#panel { flex: 1 1 360px; min-width: 300px; max-width: 640px; background: #fff; border: 1px solid var(--line); border-radius: 6px;
         padding: 14px 16px; position: sticky; top: 12px; max-height: calc(100vh - 24px); overflow-y: auto; }
#panel .hint { color: #666; margin: 0; }
#panel .verdict { display: flex; gap: 8px; align-items: center; margin: 6px 0; }
.question { background: #fff6e0; border-left: 4px solid #D55E00; padding: 6px 10px; margin: 6px 0 10px; }
.quotes { list-style: none; padding: 0; margin: 8px 0 0; }
.quotes li { border-top: 1px solid #eceef0; padding: 8px 0; }
.quotes blockquote { margin: 0 0 2px; }
.quotes .note { font-size: 12px; }
#cards { margin-top: 28px; display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; align-items: start; }
#cards h2 { grid-column: 1 / -1; margin: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.card p { margin: 4px 0; }
.card .message { color: #8a1c00; }
.gaps { list-style: none; padding: 0; margin: 8px 0 0; }
.gaps li { margin: 0 0 8px; }
.gaps .question { font-size: 13px; margin: 4px 0 0; }
[hidden] { display: none !important; }
@media (max-width: 1000px) { .layout { flex-direction: column; } #panel { flex: none; position: static; max-height: none; width: 100%; max-width: none; } }
"""

SCRIPT = """
"use strict";
const DATA = JSON.parse(document.getElementById("report-data").textContent);
const RANK = {covered: 3, thin: 2, missing: 1, not_assessable: 0};
const table = document.getElementById("heatmap");
const panel = document.getElementById("panel");
const note = document.getElementById("order-note");
const filters = Array.from(document.querySelectorAll("select[data-column]"));
const docIndices = DATA.docs.map((_, d) => d);
const itemIndices = DATA.items.map((_, i) => i);
let docOrder = docIndices;
let itemOrder = itemIndices;

function rank(d, i) { return RANK[DATA.cells[d][i].status]; }
function sum(values) { return values.reduce((a, b) => a + b, 0); }
// Highest key first; ties keep the original (alphabetical or framework) order.
function byKey(indices, key) { return indices.slice().sort((a, b) => key(b) - key(a) || a - b); }

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Reorder rows and columns; `group` ("docs" or "items") is the axis just sorted, `pressed` its button (if any).
function applyOrder(message, group, pressed) {
  const body = table.tBodies[0];
  for (const d of docOrder) body.appendChild(body.querySelector(`tr[data-d="${d}"]`));
  for (const row of table.rows) {
    for (const i of itemOrder) row.appendChild(row.querySelector(`:scope > [data-i="${i}"]`));
  }
  note.textContent = message;
  for (const button of document.querySelectorAll(`[data-sort^="${group}-"]`)) {
    button.setAttribute("aria-pressed", String(button.dataset.sort === pressed));
  }
  for (const head of document.querySelectorAll(".item-head.active, .doc-head.active")) head.classList.remove("active");
}

const SORTS = {
  "docs-name": () => { docOrder = docIndices; return "Documents in alphabetical order."; },
  "docs-coverage": () => { docOrder = byKey(docIndices, d => sum(itemIndices.map(i => rank(d, i)))); return "Best covered documents first."; },
  "items-framework": () => { itemOrder = itemIndices; return "Items in framework order."; },
  "items-coverage": () => { itemOrder = byKey(itemIndices, i => sum(docIndices.map(d => rank(d, i)))); return "Best covered items first."; },
};

for (const button of document.querySelectorAll("[data-sort]")) {
  const sort = button.dataset.sort;
  button.addEventListener("click", () => applyOrder(SORTS[sort](), sort.split("-")[0], sort));
}

table.addEventListener("click", event => {
  const target = event.target.closest("button");
  if (!target) return;
  const d = Number(target.dataset.d), i = Number(target.dataset.i);
  if (target.classList.contains("cell")) showCell(target, d, i);
  else if (target.classList.contains("item-head")) {
    docOrder = byKey(docIndices, k => rank(k, i));
    applyOrder(`Documents sorted by "${DATA.items[i].title}": covered first.`, "docs", null);
    target.classList.add("active");
  } else if (target.classList.contains("doc-head")) {
    itemOrder = byKey(itemIndices, k => rank(d, k));
    applyOrder(`Items sorted by ${DATA.docs[d].id}: covered first.`, "items", null);
    target.classList.add("active");
  }
});

function showCell(button, d, i) {
  const cell = DATA.cells[d][i], doc = DATA.docs[d], item = DATA.items[i];
  for (const selected of table.querySelectorAll(".cell.selected")) selected.classList.remove("selected");
  button.classList.add("selected");
  panel.replaceChildren();
  panel.append(el("h2", "", item.title));
  panel.append(el("p", "note", `${doc.title ? doc.title + " (" + doc.id + ")" : doc.id} · themes: ${item.themes.join(", ")}`));
  const verdict = el("p", "verdict");
  verdict.append(el("span", `swatch s-${cell.status}`, DATA.letters[cell.status]));
  verdict.append(el("strong", "", DATA.labels[cell.status]));
  const count = cell.evidence.length;
  verdict.append(el("span", "note", `score ${cell.score} · ${count} evidence sentence${count === 1 ? "" : "s"}`));
  panel.append(verdict);
  if (cell.status !== "covered" && cell.question) {
    panel.append(el("p", "", "Question to ask:"));
    panel.append(el("p", "question", cell.question));
  }
  if (!count) { panel.append(el("p", "hint", "No evidence sentence was found for this item.")); return; }
  panel.append(el("p", "", "Evidence:"));
  const list = el("ul", "quotes");
  for (const quote of cell.evidence) {
    const entry = el("li");
    entry.append(el("blockquote", "", quote.sentence));
    entry.append(el("p", "note", `page ${quote.page} · ${quote.found.join(" · ")}`));
    list.append(entry);
  }
  panel.append(list);
}

function applyFilters() {
  let shown = 0;
  DATA.docs.forEach((doc, d) => {
    const visible = filters.every(f => f.selectedOptions[0].dataset.all || doc.meta[f.dataset.column] === f.value);
    table.querySelector(`tr[data-d="${d}"]`).hidden = !visible;
    document.querySelector(`.card[data-d="${d}"]`).hidden = !visible;
    shown += visible;
  });
  document.getElementById("shown").textContent = `${shown} of ${DATA.docs.length} documents shown`;
}

for (const select of filters) select.addEventListener("change", applyFilters);
if (filters.length) applyFilters();
"""
