from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from pipeline.report import csv_text, safe_cell, write_atomic


def test_formula_like_cells_are_inert():
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_cell("+44 1234") == "'+44 1234"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("We will help residents.") == "We will help residents."
    assert safe_cell(3) == 3


def test_csv_has_bom_and_fixed_columns():
    text = csv_text(("a", "b"), [("£5", "“quoted”")])
    assert text.startswith("\ufeffa,b\r\n")
    assert "£5" in text


@given(st.lists(st.tuples(st.text(), st.text()), max_size=5))
def test_csv_round_trips_except_formula_prefix(rows):
    text = csv_text(("a", "b"), rows)
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert parsed[0] == ["a", "b"]
    assert parsed[1:] == [[str(safe_cell(v)) for v in row] for row in rows]


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "out" / "r.csv", "x")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r.csv"]


def test_summary_counts_statuses_leaders_and_metadata_breakdowns(taxonomy):
    from pipeline.records import DocumentResult, ThemeVerdict
    from pipeline.report import summary_rows
    from pipeline.taxonomy import load_framework

    framework = load_framework("local-digital-declaration", taxonomy)

    def result(doc_id: str, council_type: str, status: str, depth: str) -> DocumentResult:
        verdicts = tuple(ThemeVerdict(doc_id, t, status if t == "user_centred_services" else "missing", 0.5, 1, depth=depth)
                         for t in taxonomy.ids)
        return DocumentResult(doc_id, f"{doc_id}.pdf", "", "", 1, 1, "ok", "", verdicts=verdicts, council_type=council_type)

    results = [result("a", "county", "covered", "commitment"), result("b", "county", "covered", "target"),
               result("c", "district", "thin", "mention"), result("d", "", "missing", "")]
    rows = {(r[1], r[2], r[4], r[5]): r for r in summary_rows(results, framework, taxonomy)}
    overall = rows[("item", "ldd-1-redesign-services", "all", "")]
    assert overall[6:] == (4, 2, 1, 1, 0, "0.500", "b;a;c")
    assert rows[("item", "ldd-1-redesign-services", "council_type", "county")][6:8] == (2, 2)
    assert rows[("item", "ldd-1-redesign-services", "council_type", "(unknown)")][9] == 1
    assert rows[("theme", "smart_places", "all", "")][9] == 4
    assert not any(r[4] == "region" for r in rows.values())  # no region metadata, no region breakdown
