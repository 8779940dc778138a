from __future__ import annotations

import pytest

from pipeline.errors import LabelError
from pipeline.labels import load_labels, read_sentences
from pipeline.taxonomy import THEME_IDS


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_and_jsonl_load_with_provenance(tmp_path):
    write(tmp_path, "a.csv", "text,themes,doc_id\nWe lend laptops.,digital_inclusion,d1\nBins on Monday.,,d1\n")
    write(tmp_path, "b.jsonl", '{"text": "5G masts", "themes": ["connectivity_infrastructure"]}\n')
    rows = load_labels(tmp_path, THEME_IDS)
    assert [(r.text, r.themes) for r in rows] == [
        ("We lend laptops.", ("digital_inclusion",)), ("Bins on Monday.", ()), ("5G masts", ("connectivity_infrastructure",)),
    ]
    assert rows[1].line == 3 and rows[1].file.endswith("a.csv")


def test_context_columns_are_read_from_csv_and_jsonl(tmp_path):
    write(tmp_path, "a.csv", "text,themes,previous,next\nWe lend laptops.,digital_inclusion,Too few are online.,\nBins.,,,\n")
    write(tmp_path, "b.jsonl", '{"text": "5G masts", "themes": [], "previous": "", "next": "Fibre too."}\n{"text": "Parks"}\n')
    assert [r.context for r in load_labels(tmp_path, THEME_IDS)] == ["Too few are online.", None, "Fibre too.", None]


def test_sentences_to_classify_keep_input_order_document_and_context():
    rows = read_sentences("\ufeffText,doc_id,next\nWe lend laptops.,d1,Bins.\n,d1,\nBins.,d2,\n", "in.csv")
    assert [(r.text, r.doc_id, r.context, r.line) for r in rows] == [
        ("We lend laptops.", "d1", "Bins.", 2), ("", "d1", None, 3), ("Bins.", "d2", None, 4),  # blank rows keep their place
    ]
    lines = read_sentences("We lend laptops.\n\n  Bins.  \n")
    assert [(r.text, r.line, r.context, r.file) for r in lines] == [("We lend laptops.", 1, None, "<stdin>"), ("Bins.", 3, None, "<stdin>")]


def test_spreadsheet_quirks_bom_and_semicolons(tmp_path):
    write(tmp_path, "excel.csv", "\ufefftext;themes\nWe lend laptops.;digital_inclusion\n")
    assert load_labels(tmp_path, THEME_IDS)[0].themes == ("digital_inclusion",)


def test_unknown_theme_suggests_the_right_id(tmp_path):
    write(tmp_path, "a.csv", "text,themes\nx,digital_inclusion\ny,smart_place\n")
    with pytest.raises(LabelError, match=r"a.csv:3: unknown theme id 'smart_place'; did you mean 'smart_places'"):
        load_labels(tmp_path, THEME_IDS)


def test_conflicting_duplicates_name_both_lines(tmp_path):
    write(tmp_path, "a.csv", "text,themes\nWe lend laptops.,digital_inclusion\nwe lend  laptops.,smart_places\n")
    with pytest.raises(LabelError, match=r"a.csv:3: the same sentence .* at .*a.csv:2"):
        load_labels(tmp_path, THEME_IDS)


def test_exact_duplicates_are_dropped(tmp_path):
    write(tmp_path, "a.csv", "text,themes\nWe lend laptops.,digital_inclusion\nWe lend laptops.,digital_inclusion\n")
    assert len(load_labels(tmp_path, THEME_IDS)) == 1


def test_wrong_encoding_names_file_and_line(tmp_path):
    write(tmp_path, "a.csv", "text,themes\nCaf\u00e9 wifi,\n", encoding="latin-1")
    with pytest.raises(LabelError, match=r"a.csv:2: not UTF-8"):
        load_labels(tmp_path, THEME_IDS)


def test_missing_columns(tmp_path):
    write(tmp_path, "a.csv", "sentence,label\nx,y\n")
    with pytest.raises(LabelError, match="header must include 'text' and 'themes'"):
        load_labels(tmp_path, THEME_IDS)
