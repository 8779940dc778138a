from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.taxonomy import THEME_IDS, load_framework, load_taxonomy, packaged_frameworks, parse_framework, parse_taxonomy

MINIMAL_THEME = """
[[theme]]
id = "{id}"
code = "T"
title = "t"
definition = "d"
question = "q"
terms = [{terms}]
exclude = [{exclude}]
"""


def taxonomy_text(**overrides: tuple[str, str]) -> str:
    parts = ['[digital_co_terms]\nterms = ["digital"]\n']
    for theme_id in THEME_IDS:
        terms, exclude = overrides.get(theme_id, ('"x"', ""))
        parts.append(MINIMAL_THEME.format(id=theme_id, terms=terms, exclude=exclude))
    return "\n".join(parts)


def test_packaged_taxonomy_has_the_17_public_ids_in_order(taxonomy):
    assert taxonomy.ids == THEME_IDS
    assert all(theme.question.endswith("?") for theme in taxonomy.themes)


def test_packaged_frameworks_load_and_techuk_covers_t1_to_t15(taxonomy):
    assert packaged_frameworks() == ("local-digital-declaration", "techuk-council-of-the-future")
    techuk = load_framework("techuk-council-of-the-future", taxonomy)
    covered = {theme for item in techuk.items for theme in item.themes}
    assert covered == set(THEME_IDS[:15])
    ldd = load_framework("local-digital-declaration", taxonomy)
    assert len(ldd.items) == 5


def test_minimal_valid_taxonomy_parses():
    assert len(parse_taxonomy(taxonomy_text(), "t.toml").themes) == 17


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (taxonomy_text().replace('id = "smart_places"', 'id = "smart_cities"'), "unknown theme id 'smart_cities'"),
        (taxonomy_text().replace('id = "smart_places"', 'id = "digital_inclusion"'), "duplicate theme id"),
        (taxonomy_text(smart_places=('"smart city"', '"smart city"')), "'smart city' is both included and excluded"),
        (taxonomy_text(smart_places=("", "")), "the lexicon is empty"),
        ("[[theme]\n", "is not valid TOML"),
    ],
)
def test_taxonomy_errors_name_file_entry_and_problem(text, message):
    with pytest.raises(ConfigError) as error:
        parse_taxonomy(text, "my-themes.toml")
    assert "my-themes.toml" in str(error.value)
    assert message in str(error.value)


def test_framework_with_unknown_theme_is_rejected(taxonomy):
    text = 'id = "f"\ntitle = "F"\n[[item]]\nid = "a"\ntitle = "A"\nthemes = ["smart_citys"]\n'
    with pytest.raises(ConfigError, match="my-framework.toml: item a.themes: unknown theme id 'smart_citys'"):
        parse_framework(text, "my-framework.toml", taxonomy)


def test_unknown_framework_name_suggests_packaged_ones(taxonomy):
    with pytest.raises(ConfigError, match="techuk-council-of-the-future"):
        load_framework("no-such-framework", taxonomy)


def test_taxonomy_file_path_is_used(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(taxonomy_text(), encoding="utf-8")
    assert load_taxonomy(path).source == str(path)
