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
