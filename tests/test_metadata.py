from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.metadata import guess_metadata, metadata_for, read_metadata
from pipeline.records import Block, Document


def document(title: str, *texts: str) -> Document:
    return Document("d", "d.pdf", "0" * 64, title, 3, tuple(Block(1, i, "paragraph", t) for i, t in enumerate(texts)))


@pytest.mark.parametrize(
    ("title", "text", "council", "council_type", "year"),
    [
        ("Carrowby County Council Digital Strategy 2024-2028", "", "Carrowby County Council", "county", "2024"),
        ("Digital Borough Plan", "Welcome from the London Borough of Hollowfield.", "London Borough of Hollowfield", "london_borough", ""),
        ("Digital Futures 2025", "Greyhaven Combined Authority will lead.", "Greyhaven Combined Authority", "combined_authority", "2025"),
        ("Our plan", "Pennock Metropolitan Borough Council", "Pennock Metropolitan Borough Council", "metropolitan_borough", ""),
    ],
)
def test_guesses_council_type_and_year(title, text, council, council_type, year):
    guessed = guess_metadata(document(title, text), Path("plan.pdf"))
    assert (guessed["council"], guessed["council_type"], guessed["year"]) == (council, council_type, year)


def test_year_from_file_name_when_title_has_none():
    assert guess_metadata(document("Our plan"), Path("x-digital-2023.pdf"))["year"] == "2023"


def test_metadata_csv_overrides_by_name_or_relative_path(tmp_path):
    (tmp_path / "wales").mkdir()
    (tmp_path / "metadata.csv").write_text(
        "\ufefffile,council,council_type,region,year\na.pdf,Aber Council,unitary,Wales,2022\nwales/b.pdf,Bont,,Wales,\n",
        encoding="utf-8",
    )
    rows = read_metadata(tmp_path)
    assert metadata_for(tmp_path / "a.pdf", tmp_path, rows) == {"council": "Aber Council", "council_type": "unitary", "region": "Wales", "year": "2022"}
    assert metadata_for(tmp_path / "wales/b.pdf", tmp_path, rows) == {"council": "Bont", "region": "Wales"}
    assert metadata_for(tmp_path / "c.pdf", tmp_path, rows) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("council,year\nA,2022\n", "needs a 'file' column"), ("file,county\na.pdf,x\n", "unknown column"),
     ("file,year\na.pdf,1\na.pdf,2\n", "listed twice")],
)
def test_malformed_metadata_names_file_and_problem(tmp_path, text, message):
    (tmp_path / "metadata.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_metadata(tmp_path)
