"""Load and validate the theme taxonomy and the frameworks that map recommendations to themes."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

THEME_IDS = (
    "digital_leadership",
    "member_leadership",
    "digital_culture_workforce",
    "service_transformation_efficiency",
    "user_centred_services",
    "procurement_market_engagement",
    "collaboration_partnerships",
    "economic_growth_platforms",
    "data_insight",
    "open_data_transparency",
    "data_sharing_governance",
    "smart_places",
    "digital_inclusion",
    "connectivity_infrastructure",
    "local_democracy_engagement",
    "cyber_security_resilience",
    "technology_foundations",
)


@dataclass(frozen=True)
class Theme:
    id: str
    code: str
    origin: str
    title: str
    definition: str
    question: str
    terms: tuple[str, ...]
    acronyms: tuple[str, ...]
    ambiguous: tuple[str, ...]
    exclude: tuple[str, ...]
    context: tuple[str, ...] = ()  # words that make an ambiguous term count (default: digital co-terms)


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    co_terms: tuple[str, ...]
    co_acronyms: tuple[str, ...]
    sha256: str
    source: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme:
        return next(theme for theme in self.themes if theme.id == theme_id)


@dataclass(frozen=True)
class FrameworkItem:
    id: str
    title: str
    themes: tuple[str, ...]
    rule: str  # all | any


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    source: str
    items: tuple[FrameworkItem, ...]


def _read_toml(path: Path | str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "file", f"is not valid TOML ({exc})", "fix the syntax at the line shown") from exc


def _strings(path: str, entry: str, data: dict[str, Any], key: str, required: bool = False) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(path, f"{entry}.{key}", "must be a list of non-empty strings")
    if required and not value:
        raise ConfigError(path, f"{entry}.{key}", "is empty", "give at least one term")
    return tuple(v.strip() for v in value)


def _text(path: str, entry: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"{entry}.{key}", "is missing or empty", f'add {key} = "..."')
    return value.strip()


def parse_taxonomy(text: str, source: str = "themes.toml") -> Taxonomy:
    data = _read_toml(source, text)
    raw_themes = data.get("theme")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise ConfigError(source, "theme", "no [[theme]] tables found", "define the 17 themes")
    themes: list[Theme] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_themes):
        theme_id = raw.get("id") if isinstance(raw, dict) else None
        entry = f"theme {theme_id or f'#{index + 1}'}"
        if theme_id not in THEME_IDS:
            raise ConfigError(
                source, entry, f"unknown theme id {theme_id!r}", f"use one of: {', '.join(THEME_IDS)}"
            )
        if theme_id in seen:
            raise ConfigError(source, entry, "duplicate theme id", "keep one [[theme]] table per id")
        seen.add(theme_id)
        terms = _strings(source, entry, raw, "terms")
        acronyms = _strings(source, entry, raw, "acronyms")
        ambiguous = _strings(source, entry, raw, "ambiguous")
        exclude = _strings(source, entry, raw, "exclude")
        if not (terms or acronyms or ambiguous):
            raise ConfigError(source, f"{entry}.terms", "the lexicon is empty", "give at least one term")
        include = {t.lower() for t in terms + ambiguous}
        clash = sorted(include & {t.lower() for t in exclude})
        if clash:
            raise ConfigError(
                source, f"{entry}.exclude", f"{clash[0]!r} is both included and excluded", "remove it from one list"
            )
        themes.append(
            Theme(
                id=theme_id,
                code=_text(source, entry, raw, "code"),
                origin=str(raw.get("origin", "")),
                title=_text(source, entry, raw, "title"),
                definition=_text(source, entry, raw, "definition"),
                question=_text(source, entry, raw, "question"),
                terms=terms,
                acronyms=acronyms,
                ambiguous=ambiguous,
                exclude=exclude,
                context=_strings(source, entry, raw, "context"),
            )
        )
    missing = [t for t in THEME_IDS if t not in seen]
    if missing:
        raise ConfigError(source, "theme", f"missing theme(s) {', '.join(missing)}", "every one of the 17 ids needs a table")
    co = data.get("digital_co_terms", {})
    order = {theme_id: i for i, theme_id in enumerate(THEME_IDS)}
    return Taxonomy(
        themes=tuple(sorted(themes, key=lambda t: order[t.id])),
        co_terms=_strings(source, "digital_co_terms", co, "terms", required=True),
        co_acronyms=_strings(source, "digital_co_terms", co, "acronyms"),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
    )


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load the packaged taxonomy, or the file at path."""
    if path:
        path = Path(path)
        try:
            return parse_taxonomy(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise ConfigError(path, "file", f"cannot be read ({exc.strerror})") from exc
    text = resources.files("pipeline.data").joinpath("themes.toml").read_text(encoding="utf-8")
    return parse_taxonomy(text, "pipeline/data/themes.toml")


def packaged_frameworks() -> tuple[str, ...]:
    folder = resources.files("pipeline.data").joinpath("frameworks")
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def parse_framework(text: str, source: str, taxonomy: Taxonomy) -> Framework:
    data = _read_toml(source, text)
    framework_id = _text(source, "framework", data, "id")
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise ConfigError(source, "item", "no [[item]] tables found", "list the framework's recommendations")
    items: list[FrameworkItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        item_id = raw.get("id") if isinstance(raw, dict) else None
        entry = f"item {item_id or f'#{index + 1}'}"
        if not isinstance(item_id, str) or not item_id:
            raise ConfigError(source, entry, "has no id", 'add id = "..."')
        if item_id in seen:
            raise ConfigError(source, entry, "duplicate item id", "give each item its own id")
        seen.add(item_id)
        themes = _strings(source, entry, raw, "themes", required=True)
        for theme_id in themes:
            if theme_id not in taxonomy.ids:
                raise ConfigError(
                    source, f"{entry}.themes", f"unknown theme id {theme_id!r}", f"use one of: {', '.join(taxonomy.ids)}"
                )
        rule = raw.get("rule", "all")
        if rule not in ("all", "any"):
            raise ConfigError(source, f"{entry}.rule", f"unknown rule {rule!r}", 'use "all" or "any"')
        items.append(FrameworkItem(item_id, _text(source, entry, raw, "title"), themes, rule))
    return Framework(framework_id, _text(source, "framework", data, "title"), str(data.get("source", "")), tuple(items))


def load_framework(name_or_path: str, taxonomy: Taxonomy) -> Framework:
    """Load a packaged framework by id, or a user's framework TOML file by path."""
    if name_or_path in packaged_frameworks():
        resource = resources.files("pipeline.data").joinpath("frameworks", f"{name_or_path}.toml")
        return parse_framework(resource.read_text(encoding="utf-8"), f"frameworks/{name_or_path}.toml", taxonomy)
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            name_or_path, "framework", "is neither a packaged framework nor a file",
            f"use one of {', '.join(packaged_frameworks())} or a path to a framework TOML",
        )
    return parse_framework(path.read_text(encoding="utf-8"), str(path), taxonomy)
