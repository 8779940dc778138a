"""Extraction benchmark with known ground truth: generate strategy-like PDFs, extract them, score the blocks.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_extract.py [--engine pdfplumber|pdfium] [--quick] [--keep DIR]
                                                        [--show CASE] [--rss-pages 300 | --no-rss]

Without --engine, every engine runs on the same generated set and a side-by-side summary follows
their reports. pdfium has no ruled-table detection: its table cells count as paragraph words.

The test set is our own invented text about fictional councils, rendered by pipeline.pdfwrite, so
every word, heading, running header, contents entry and Welsh paragraph is known. Each case
exercises one layout that real strategies use: one and two columns, running headers and footers
with page numbers, words hyphenated at line ends, bullets whose glyph pdfplumber reports as
`(cid:127)`, a ruled table, a contents page with dot leaders, English/Welsh paragraph pairs.

Figures (stdout), per case and overall:
  precision/recall  word multiset of the content blocks (every kind but header, footer, toc) against
                    the truth words; words are whitespace tokens with leading/trailing punctuation
                    stripped, case-sensitive; a word hyphenated at a line end counts once, unhyphenated
  hf-leaks          content blocks holding a running header/footer string or "Page N"
  cid               blocks of any kind containing "(cid:"
  toc-as-content    content blocks holding a contents entry (text + leader/page number)
  welsh             content blocks whose truth is Welsh / blocks with language == "cy" / both
  pages/s           pages extracted per second (generation excluded)
and the peak RSS of extracting a generated 300-page document in a fresh subprocess.

Generation is deterministic (fixed text, no randomness, reportlab's invariant mode), so a rerun
builds byte-identical PDFs. tests/test_bench_extract.py runs a reduced set as regression tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pipeline.markup import parse_source
from pipeline.pdfwrite import write_pdf
from pipeline.records import Block, Document

# Engine name -> (extraction function as "module:attribute", keyword arguments); the memory probe
# imports and calls it the same way in a fresh interpreter.
ENGINES: dict[str, tuple[str, dict[str, str]]] = {
    "pdfplumber": ("pipeline.extract:extract_document", {"engine": "pdfplumber"}),
    "pdfium": ("pipeline.extract:extract_document", {"engine": "pdfium"}),
}
NON_CONTENT_KINDS = frozenset({"header", "footer", "toc"})
TARGETS = {"precision": 0.99, "recall": 0.99, "hf_leaks": 0, "cid": 0, "rss_mib": 500.0}
PAGE_FOOTER_RE = re.compile(r"\bPage \d+\b")
LEADER_RE = re.compile(r"\.{4,}\s*\d+\b")
EDGE_PUNCTUATION_RE = re.compile(r"^\W+|\W+$")

# --------------------------------------------------------------------------------------------
# Our own text. Sentences use {council} and {place}; nothing here may contain a running header
# string or "Page <number>", which the scorer treats as leaks.

PROSE = (
    "{council} will put residents at the centre of every service it redesigns.",
    "We will make it simpler to report a missed bin collection, a broken streetlight or a pothole online.",
    "Our contact centre will stay open for residents who prefer to speak to someone by telephone.",
    "Around one in eight adults in {place} has never used the internet, and many more lack the confidence to do so safely.",
    "Digital champions in libraries and community centres will offer free, friendly help with devices and online accounts.",
    "We will lend refurbished laptops and data-enabled tablets to households that cannot afford them.",
    "Working with housing associations, we will install free Wi-Fi in the communal areas of sheltered housing schemes.",
    "Gigabit-capable broadband now reaches most homes in {place}, but several rural villages still depend on slow copper lines.",
    "We will use our own buildings, lampposts and ducts to help network operators extend full fibre coverage.",
    "Mobile coverage along the main roads remains patchy, so we will share mapping data with operators to target investment.",
    "Our data will be treated as a shared asset, described in a single catalogue and owned by a named officer.",
    "A new data platform will bring together information on housing, benefits and social care so that staff can see the whole picture.",
    "Every dashboard we publish will explain where its figures come from and when they were last updated.",
    "We will publish open data on planning applications, spending and air quality under the Open Government Licence.",
    "Residents must be able to trust that their personal information is handled lawfully, securely and transparently.",
    "Cyber attacks on councils have become more frequent, and a single incident can stop essential services for weeks.",
    "We will test our backup and recovery arrangements twice a year and rehearse our response with partners.",
    "All staff will complete annual training on phishing, passwords and the safe handling of information.",
    "Multi-factor authentication will be switched on for every account that can reach sensitive systems.",
    "We will replace the ageing housing management system, which is no longer supported by its supplier.",
    "New systems will be chosen for their ability to share information through open, documented interfaces.",
    "Where a cloud service meets our security and accessibility standards, we will prefer it to hosting software ourselves.",
    "Procurement rules will require suppliers to meet the Web Content Accessibility Guidelines before a contract is signed.",
    "Our website will be rebuilt around the tasks residents most often complete, starting with council tax, parking and waste.",
    "Forms will save progress automatically, so that nobody has to start again after an interruption.",
    "We will test new services with residents, including disabled people, older people and people with low literacy.",
    "Managers will be supported to lead change, with coaching and a simple guide to agile ways of working.",
    "Every team will have a digital lead who helps colleagues to make the most of the tools they already have.",
    "We will recruit apprentices in data analysis and software development and offer them a route into permanent roles.",
    "The digital board, chaired by the chief executive, will meet every quarter to review progress and risks.",
    "Elected members will receive briefings on artificial intelligence, cyber security and the use of data in decisions.",
    "Each project will set out the benefits it expects and report whether they were achieved one year after launch.",
    "We will work with the health service, the police and the voluntary sector so that residents tell their story only once.",
    "Shared care records will help social workers and nurses to coordinate support for people leaving hospital.",
    "Sensors in council housing will warn us early about damp and mould, so that repairs can be made before families fall ill.",
    "Smart parking signs in {place} will show drivers where spaces are free and reduce congestion.",
    "We will collect air quality readings near schools and publish them in real time.",
    "Automation will take on repetitive tasks such as checking documents, freeing staff to spend more time with residents.",
    "Any use of artificial intelligence will be recorded in a public register and reviewed by a person before it affects a decision.",
    "Savings from digital change will be reinvested in frontline services and in support for residents who need it most.",
    "The strategy runs until 2028 and will be refreshed after two years in the light of what we have learned.",
    "Progress will be reported to the cabinet each year, together with feedback from residents and staff.",
    "Town and parish councils will be invited to use our booking and payment tools at no extra cost.",
    "We will measure success by how many residents complete their task online first time, not by how many visit the website.",
    "Local businesses will be offered workshops on online marketing, cyber security and selling overseas.",
    "Our environmental commitments mean that old equipment will be repaired, reused or recycled responsibly.",
)

# Long words, for the hyphenation cases: auto-hyphenation breaks these at line ends.
LONG_PROSE = (
    "Interoperability between neighbouring authorities depends on shared standards, documented interfaces and a common "
    "understanding of responsibilities.",
    "Accessibility, sustainability and affordability are the three considerations that will shape every commissioning decision.",
    "Organisational transformation requires leadership, partnership working and an understanding of residents' circumstances.",
    "Comprehensive telecommunications infrastructure underpins economic competitiveness and community resilience across {place}.",
    "Safeguarding information will be embedded in every transformation programme, with accountability clearly established.",
    "We will strengthen our relationships with neighbourhood organisations, philanthropic foundations and environmental charities.",
    "Commissioning managers will evaluate the effectiveness, responsiveness and proportionality of automated decision-making.",
    "Personalisation of information, advice and guidance will be complemented by straightforward self-service transactions.",
    "Digitalisation of administrative correspondence will substantially reduce printing, postage and environmental consequences.",
    "Our procurement documentation will emphasise interoperability, portability and the accessibility of user interfaces.",
)

BULLETS = (
    "Close the digital divide by 2027.",
    "Lend a device to every resident who needs one.",
    "Publish a data catalogue covering every service area.",
    "Replace the housing management system before support ends.",
    "Train every member of staff in cyber security each year, with refresher sessions for those who handle sensitive information.",
    "Bring full fibre to the twelve villages that are still waiting for it, using council land and buildings where that helps.",
    "Offer every online form in plain English and test it with residents before launch.",
    "Measure the carbon footprint of our technology and report it alongside our financial accounts.",
    "Create a single customer account so that residents can track every request in one place.",
    "Work with neighbouring councils on shared platforms for planning, licensing and building control.",
    "Switch off paper forms once the online route has been shown to work for everyone who used the paper version.",
    "Review the strategy with residents after two years.",
)

TABLE = (
    ("Action", "Owner", "By when"),
    ("Launch a single customer account for all online services", "Head of Customer Services", "March 2026"),
    ("Complete the move of the data centre to a cloud provider, including the backup service", "Chief Digital Officer", "September 2026"),
    ("Open digital help points in six libraries", "Libraries Manager", "June 2025"),
    ("Publish the open data catalogue and the first three datasets", "Data Protection Officer", "December 2025"),
    ("Run a cyber incident exercise with the fire and police services", "Head of ICT", "Every October"),
    ("Replace paper timesheets with a mobile app for care workers", "Director of Adult Social Care", "April 2026"),
    ("Install sensors in two hundred council homes at risk of damp", "Housing Repairs Manager", "January 2027"),
)

# English/Welsh pairs, written by us. Welsh uses only letters in the standard PDF fonts' encoding:
# w and y with circumflex are not in WinAnsiEncoding and come out as other letters, so none appear here.
WELSH_PAIRS = (
    ("The council wants every resident to be able to use digital services with confidence. We will offer free help in our "
     "libraries for people who are not yet online.",
     "Mae'r cyngor am i bob preswylydd allu defnyddio gwasanaethau digidol yn hyderus. Byddwn yn cynnig help am ddim yn ein "
     "llyfrgelloedd i bobl nad ydynt ar-lein eto."),
    ("You can pay your council tax, report a problem and book a collection on our website at any time. Every online form "
     "will be available in Welsh and in English, and you may choose either language.",
     "Gallwch dalu eich treth gyngor, rhoi gwybod am broblem a threfnu casgliad ar ein gwefan unrhyw bryd. Bydd pob ffurflen "
     "ar-lein ar gael yn Gymraeg ac yn Saesneg, a gallwch ddewis y naill iaith neu'r llall."),
    ("We will bring better broadband to rural communities by working with the Welsh Government and local businesses.",
     "Byddwn yn dod â band eang gwell i gymunedau gwledig drwy weithio gyda Llywodraeth Cymru a busnesau lleol."),
    ("We will protect your personal information and explain clearly how we use it. Our staff will receive training so "
     "that they can support residents who find technology difficult.",
     "Byddwn yn diogelu eich gwybodaeth bersonol ac yn esbonio'n glir sut rydym yn ei defnyddio. Bydd ein staff yn cael "
     "hyfforddiant er mwyn iddynt allu cefnogi preswylwyr sy'n cael technoleg yn anodd."),
    ("Schools, health boards and voluntary groups will help us to reach people in every part of the county borough.",
     "Bydd ysgolion, byrddau iechyd a grwpiau gwirfoddol yn ein helpu i gyrraedd pobl ym mhob rhan o'r fwrdeistref sirol."),
    ("We will publish a progress report every year and ask residents what they think of our services. The cabinet will "
     "review the strategy in the spring of 2027.",
     "Byddwn yn cyhoeddi adroddiad cynnydd bob blwyddyn ac yn gofyn i breswylwyr beth yw eu barn am ein gwasanaethau. Bydd "
     "y cabinet yn adolygu'r strategaeth yng ngwanwyn 2027."),
    ("Residents who do not use the internet will always be able to contact us by telephone or in person.",
     "Bydd preswylwyr nad ydynt yn defnyddio'r rhyngrwyd bob amser yn gallu cysylltu â ni dros y ffôn neu wyneb yn wyneb."),
    ("We will work with other councils in Wales to share systems and reduce costs.",
     "Byddwn yn gweithio gyda chynghorau eraill yng Nghymru i rannu systemau a lleihau costau."),
)
WELSH_HEADINGS = (("Our vision", "Ein gweledigaeth"), ("Digital inclusion", "Cynhwysiant digidol"),
                  ("Online services", "Gwasanaethau ar-lein"), ("Next steps", "Y camau nesaf"))
WELSH_BULLETS = (
    ("Free help with devices in every library.", "Help am ddim gyda dyfeisiau ym mhob llyfrgell."),
    ("Online forms in Welsh and English.", "Ffurflenni ar-lein yn Gymraeg ac yn Saesneg."),
    ("Better broadband for rural areas.", "Band eang gwell i ardaloedd gwledig."),
)


# --------------------------------------------------------------------------------------------
# Cases: a source in our Markdown-like format plus the truth that goes with it.


@dataclass(frozen=True)
class Unit:
    """One piece of content the PDF shows: what a perfect extractor returns as one block."""

    kind: str  # heading | paragraph | list_item | table_row
    text: str
    language: str = "en"


@dataclass
class Case:
    name: str
    exercises: str
    meta: dict[str, str]
    lines: list[str] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)

    @property
    def source_text(self) -> str:
        front = "\n".join(f"{key}: {value}" for key, value in self.meta.items())
        return f"---\n{front}\n---\n" + "\n".join(self.lines) + "\n"

    @property
    def running(self) -> tuple[str, ...]:
        """Running header and footer strings drawn on every page (pipeline.pdfwrite.write_pdf)."""
        return self.meta["header"], f"{self.meta['council']} | {self.meta['header']}"

    @property
    def contents_entries(self) -> list[str]:
        if self.meta.get("contents") != "true":
            return []
        return [line.split(" ", 1)[1] for line in self.lines if line.startswith(("# ", "## "))]

    @property
    def truth_words(self) -> Counter[str]:
        return Counter(w for unit in self.units for w in words(unit.text))

    # Builders: each adds the markup and the truth unit(s) it renders as.
    def h1(self, text: str, language: str = "en") -> Case:
        return self._add(f"# {text}", Unit("heading", text, language))

    def h2(self, text: str, language: str = "en") -> Case:
        return self._add(f"## {text}", Unit("heading", text, language))

    def p(self, text: str, language: str = "en") -> Case:
        return self._add(text, Unit("paragraph", text, language), "")

    def bullets(self, items: tuple[str, ...] | list[str], language: str = "en") -> Case:
        for item in items:
            self._add(f"- {item}", Unit("list_item", item, language))
        self.lines.append("")
        return self

    def table(self, rows: tuple[tuple[str, ...], ...]) -> Case:
        for row in rows:
            self._add("| " + " | ".join(row) + " |", Unit("table_row", " | ".join(row)))
        self.lines.append("")
        return self

    def pagebreak(self) -> Case:
        self.lines.append("<pagebreak>")
        return self

    def _add(self, line: str, unit: Unit, *after: str) -> Case:
        self.lines.extend([line, *after])
        self.units.append(unit)
        return self


def new_case(name: str, exercises: str, council: str, header: str, **meta: str) -> Case:
    title = f"{council} Digital Strategy 2025-2028"
    case = Case(name, exercises, {"doc_id": name, "title": title, "council": council, "header": header, **meta})
    # write_pdf sets the title and council on page 1, and "Contents" above a contents list.
    case.units += [Unit("heading", title), Unit("heading", council)]
    if meta.get("contents") == "true":
        case.units.append(Unit("heading", "Contents"))
    return case


class Prose:
    """Deterministic sentences: walk a pool with a stride, so paragraphs differ without randomness."""

    def __init__(self, pool: tuple[str, ...], start: int, council: str, stride: int = 7) -> None:
        self.pool, self.index, self.stride = pool, start, stride
        self.place = council.split(" ")[0]
        self.council = council

    def sentences(self, n: int) -> str:
        out = []
        for _ in range(n):
            out.append(self.pool[self.index % len(self.pool)].format(council=self.council, place=self.place))
            self.index += self.stride
        return " ".join(out)


def _sections(case: Case, prose: Prose, sections: int, paragraphs: int, sentences: int = 4) -> Case:
    names = ("Our vision", "Digital inclusion", "Data and insight", "Connectivity", "Cyber security", "Our workforce")
    for s in range(sections):
        case.h1(names[s % len(names)])
        for k in range(paragraphs):
            if k == paragraphs // 2:
                case.h2(f"What we will do about {names[s % len(names)].lower()}")
            case.p(prose.sentences(sentences))
    return case


def case_single_column(quick: bool) -> Case:
    case = new_case("single-column", "one column of headings and paragraphs", "Ashcombe District Council", "Digital Plan 2025-28")
    return _sections(case, Prose(PROSE, 0, "Ashcombe District Council"), 2 if quick else 3, 4 if quick else 6)


def case_two_column(quick: bool) -> Case:
    case = new_case("two-column", "two columns; paragraphs run on across columns and pages", "Briarton Borough Council",
                    "Connected Briarton", layout="two-column")
    return _sections(case, Prose(PROSE, 3, "Briarton Borough Council"), 1 if quick else 2, 8 if quick else 12, sentences=5)


def case_running_headers(quick: bool) -> Case:
    case = new_case("running-headers-footers", "short pages: running header, footer and page number on each",
                    "Dunmere City Council", "Dunmere Digital 2025 Edition 2")
    prose = Prose(PROSE, 5, "Dunmere City Council")
    for s, name in enumerate(("Foreword", "Where we are now", "How we will get there")[: 2 if quick else 3]):
        case.h1(name).p(prose.sentences(2))
        if s < 2:
            case.pagebreak().p(prose.sentences(3))
        if s % 2:
            case.bullets(BULLETS[s: s + 2])
    return case


def case_hyphenation(quick: bool) -> Case:
    case = new_case("hyphenation", "words hyphenated at line ends (truth: the unhyphenated word)", "Elmsworth District Council",
                    "Elmsworth Digital Plan", hyphenate="true")
    long, short = Prose(LONG_PROSE, 0, "Elmsworth District Council", stride=3), Prose(PROSE, 11, "Elmsworth District Council")
    for name in ("Transformation", "Commissioning", "Infrastructure")[: 2 if quick else 3]:
        case.h1(name)
        for _ in range(2 if quick else 4):
            case.p(long.sentences(2) + " " + short.sentences(1))
        case.bullets([long.sentences(1)])
    return case


def case_hyphenation_two_column(quick: bool) -> Case:
    case = new_case("hyphenation-two-column", "narrow columns: many line-end hyphens, also at column and page ends",
                    "Ferncastle Borough Council", "Ferncastle Digital", hyphenate="true", layout="two-column")
    long, short = Prose(LONG_PROSE, 0, "Ferncastle Borough Council", stride=3), Prose(PROSE, 11, "Ferncastle Borough Council")
    # Lengths chosen so that pages 2 (and 3) end inside a hyphenated word ("telecommuni-/cations").
    case.h1("Transformation").p(short.sentences(1))
    for _ in range(12 if quick else 24):
        case.p(long.sentences(2) + " " + short.sentences(1))
    return case


def case_bullets(quick: bool) -> Case:
    case = new_case("bullets", "bullet lists (pdfplumber reports the glyph as (cid:127)), some items wrapping",
                    "Greywater County Council", "Greywater Digital Strategy")
    prose = Prose(PROSE, 9, "Greywater County Council")
    for s, name in enumerate(("Our priorities", "Our commitments", "Our promises")[: 2 if quick else 3]):
        case.h1(name).p(prose.sentences(3)).bullets(BULLETS[s * 4: s * 4 + 4]).p(prose.sentences(2))
        case.h2("In the first year").bullets(BULLETS[(s * 4 + 5) % 12: (s * 4 + 5) % 12 + 3]).p(prose.sentences(3))
    return case


def case_ruled_table(quick: bool) -> Case:
    case = new_case("ruled-table", "a ruled table with a header row and wrapped cells", "Hollinsby Borough Council",
                    "Hollinsby Digital Strategy")
    prose = Prose(PROSE, 13, "Hollinsby Borough Council")
    case.h1("Action plan").p(prose.sentences(3)).table(TABLE[:5] if quick else TABLE).p(prose.sentences(3))
    if not quick:
        case.h1("Measures of success").p(prose.sentences(2)).table(
            (("Measure", "Baseline", "Target"), ("Residents who use online services first", "54%", "75%"),
             ("Staff who completed cyber training", "61%", "100%"), ("Homes with gigabit broadband", "48%", "85%"))
        ).p(prose.sentences(2))
    return case


def case_contents_page(quick: bool) -> Case:
    case = new_case("contents-page", "a contents page with dot leaders and page numbers", "Larkhaven Town Council",
                    "Larkhaven Digital Strategy", contents="true")
    return _sections(case, Prose(PROSE, 21, "Larkhaven Town Council"), 3 if quick else 4, 3 if quick else 5)


def case_bilingual(quick: bool) -> Case:
    case = new_case("bilingual-en-cy", "English/Welsh paragraph pairs (truth marks the Welsh blocks)",
                    "Cwm Tawel County Borough Council", "Cwm Tawel Digital Strategy")
    pairs = iter(WELSH_PAIRS)
    for s, (english, welsh) in enumerate(WELSH_HEADINGS[: 2 if quick else 4]):
        case.h1(english).h2(welsh, "cy")
        for _ in range(1 if quick else 2):
            english_text, welsh_text = next(pairs)
            case.p(english_text).p(welsh_text, "cy")
        if s == 1:
            case.bullets([en for en, _ in WELSH_BULLETS]).bullets([cy for _, cy in WELSH_BULLETS], "cy")
    return case


def case_contents_short(quick: bool) -> Case:  # noqa: ARG001 (same in both sets)
    case = new_case("contents-short", "a contents page with only three entries", "Oakenshaw Parish Council",
                    "Oakenshaw Digital Plan", contents="true")
    prose = Prose(PROSE, 37, "Oakenshaw Parish Council")
    return case.h1("Introduction").p(prose.sentences(4)).h2("Our ambition").p(prose.sentences(3)).h1("Actions").p(prose.sentences(4))


def case_full_strategy(quick: bool) -> Case:
    case = new_case("full-strategy", "everything at once: contents, hyphenation, bullets, a table", "Mistlecombe District Council",
                    "Mistlecombe Digital Strategy", contents="true", hyphenate="true")
    prose, long = Prose(PROSE, 29, "Mistlecombe District Council"), Prose(LONG_PROSE, 7, "Mistlecombe District Council", stride=3)
    case.h1("Foreword").p(prose.sentences(4)).p(long.sentences(2) + " " + prose.sentences(2))
    case.h1("Priorities").p(prose.sentences(3)).bullets(BULLETS[6:10]).h2("Delivery").p(long.sentences(1) + " " + prose.sentences(3))
    if not quick:
        case.h1("Action plan").p(prose.sentences(2)).table(TABLE[:6]).p(long.sentences(2))
    case.h1("Governance").p(prose.sentences(4)).h2("Review").p(prose.sentences(3)).bullets(BULLETS[:3])
    return case


CASES: tuple[Callable[[bool], Case], ...] = (
    case_single_column, case_two_column, case_running_headers, case_hyphenation, case_hyphenation_two_column,
    case_bullets, case_ruled_table, case_contents_page, case_contents_short, case_bilingual, case_full_strategy,
)


def build_cases(quick: bool = False) -> list[Case]:
    cases = [make(quick) for make in CASES]
    for case in cases:
        _check_truth(case)
    return cases


def _check_truth(case: Case) -> None:
    """The truth must describe what write_pdf renders: same words as the parsed source, no running strings."""
    source = parse_source(case.source_text)
    rendered = [case.meta["title"], case.meta["council"], *(["Contents"] if case.contents_entries else [])]
    for element in source.elements:
        rendered += [" ".join(element.lines)] if element.lines else [" ".join(cell) for cell in element.rows]
    if Counter(w for text in rendered for w in words(text)) != case.truth_words:
        raise AssertionError(f"{case.name}: truth units do not match the parsed source")
    for unit in case.units:
        if any(s in unit.text for s in case.running) or PAGE_FOOTER_RE.search(unit.text):
            raise AssertionError(f"{case.name}: content {unit.text!r} contains a running header/footer string")


def write_case(case: Case, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{case.name}.md").write_text(case.source_text, encoding="utf-8")
    path = folder / f"{case.name}.pdf"
    write_pdf(parse_source(case.source_text), path)
    return path


def generate(folder: Path, quick: bool = False) -> list[tuple[Case, Path]]:
    """Write every case's source (.md) and PDF into folder; deterministic, so reruns give identical bytes."""
    return [(case, write_case(case, folder)) for case in build_cases(quick)]


def big_document(pages: int = 300) -> Case:
    """A long strategy of one-page sections (title page + pages - 1 sections) for the memory measurement."""
    case = new_case(f"long-{pages}-pages", "memory", "Northwold Borough Council", "Northwold Digital Strategy", hyphenate="true")
    prose = Prose(PROSE, 0, "Northwold Borough Council", stride=5)
    for s in range(pages - 1):
        case.h1(f"Section {s + 1}").p(prose.sentences(4)).p(prose.sentences(4)).bullets(BULLETS[s % 9: s % 9 + 3])
        if s % 10 == 9:
            case.table(TABLE[:4])
        else:
            case.p(prose.sentences(4))
    return case


# --------------------------------------------------------------------------------------------
# Scoring


def words(text: str) -> list[str]:
    """Whitespace tokens with leading and trailing punctuation removed; case kept; empty tokens dropped."""
    return [w for w in (EDGE_PUNCTUATION_RE.sub("", token) for token in text.split()) if w]


def raw_lines(path: Path) -> list[str]:
    """The PDF's text lines as plain pdfplumber shows them, without pipeline.extract's repairs."""
    import pdfplumber

    lines: list[str] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            lines += (page.extract_text(use_text_flow=True) or "").splitlines()
            page.close()
    return lines


def hyphen_breaks(case: Case, path: Path) -> tuple[int, int]:
    """Line-end hyphens in the PDF, page ends included: (inside a word, at a compound's own hyphen).

    Shows that a case really exercises hyphenation, independently of pipeline.extract.
    """
    truth = case.truth_words
    lines = [ln for ln in raw_lines(path) if ln.split() and not any(s in ln for s in case.running)]
    soft = compound = 0
    for line, following in zip(lines, lines[1:]):
        if head := re.search(r"(\S+)-$", line):
            left, right = EDGE_PUNCTUATION_RE.sub("", head.group(1)), EDGE_PUNCTUATION_RE.sub("", following.split()[0])
            soft += bool(truth[left + right])
            compound += bool(truth[f"{left}-{right}"])
    return soft, compound


@dataclass
class Score:
    case: str
    pages: int
    seconds: float
    truth: Counter[str]
    extracted: Counter[str]
    hf_leaks: list[Block]
    cid: list[Block]
    toc_as_content: list[Block]
    toc_flagged: int
    toc_entries: int
    welsh_truth: int
    welsh_detected: int
    welsh_correct: int
    hyphens: tuple[int, int] | None = None  # (soft, compound) line-end hyphens in the PDF; hyphenated cases only

    @property
    def matched(self) -> int:
        return sum((self.truth & self.extracted).values())

    @property
    def precision(self) -> float:
        return self.matched / max(1, sum(self.extracted.values()))

    @property
    def recall(self) -> float:
        return self.matched / max(1, sum(self.truth.values()))

    @property
    def missing(self) -> Counter[str]:
        return self.truth - self.extracted

    @property
    def extra(self) -> Counter[str]:
        return self.extracted - self.truth

    @property
    def meets_targets(self) -> bool:
        return (self.precision >= TARGETS["precision"] and self.recall >= TARGETS["recall"]
                and len(self.hf_leaks) == TARGETS["hf_leaks"] and len(self.cid) == TARGETS["cid"] and not self.toc_as_content)


def score(case: Case, document: Document, seconds: float) -> Score:
    content = [b for b in document.blocks if b.kind not in NON_CONTENT_KINDS]
    leaks = [b for b in content if any(s in b.text for s in case.running) or PAGE_FOOTER_RE.search(b.text)]
    entries = case.contents_entries
    toc_as_content = [
        b for b in content
        if LEADER_RE.search(b.text) or any(re.search(re.escape(e) + r"[\s.\u2026]*\d+\b", b.text) for e in entries)
    ]
    unit_words = [(unit, Counter(words(unit.text))) for unit in case.units]
    welsh_truth = welsh_detected = welsh_correct = 0
    for block in content:
        found = Counter(words(block.text))
        best = max(unit_words, key=lambda pair: sum((pair[1] & found).values()))[0]
        is_welsh, said_welsh = best.language == "cy", block.language == "cy"
        welsh_truth += is_welsh
        welsh_detected += said_welsh
        welsh_correct += is_welsh and said_welsh
    return Score(
        case=case.name,
        pages=document.pages,
        seconds=seconds,
        truth=case.truth_words,
        extracted=Counter(w for b in content for w in words(b.text)),
        hf_leaks=leaks,
        cid=[b for b in document.blocks if "(cid:" in b.text],
        toc_as_content=toc_as_content,
        toc_flagged=sum(b.kind == "toc" for b in document.blocks),
        toc_entries=len(entries),
        welsh_truth=welsh_truth,
        welsh_detected=welsh_detected,
        welsh_correct=welsh_correct,
    )


def load_engine(name: str) -> Callable[[Path], Document]:
    target, kwargs = ENGINES[name]
    module, function = target.split(":")
    return partial(getattr(importlib.import_module(module), function), **kwargs)


def run_case(case: Case, path: Path, extract: Callable[[Path], Document]) -> tuple[Score, Document]:
    start = time.perf_counter()
    document = extract(path)
    result = score(case, document, time.perf_counter() - start)
    if case.meta.get("hyphenate") == "true":
        result.hyphens = hyphen_breaks(case, path)
    return result, document


# --------------------------------------------------------------------------------------------
# Peak memory of one long document, extracted in a fresh interpreter.

RSS_PROBE = """
import importlib, json, resource, sys, time
from pathlib import Path


def own_kib(field):  # this process's own figures; Linux only (None elsewhere)
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None


module, function = sys.argv[1].split(":")
extract = getattr(importlib.import_module(module), function)
unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
rss_before = own_kib("VmRSS")
start = time.perf_counter()
document = extract(Path(sys.argv[2]), **json.loads(sys.argv[3]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
hwm = own_kib("VmHWM")
print(document.pages, len(document.blocks), peak, (hwm or 0) * 1024, (rss_before or 0) * 1024, seconds)
"""


@dataclass(frozen=True)
class Memory:
    pages: int
    blocks: int
    peak_mib: float  # ru_maxrss, the figure the target is checked against
    own_peak_mib: float  # VmHWM: this process's own high-water mark (0 where /proc is missing)
    before_mib: float  # VmRSS just before extracting (0 where /proc is missing)
    seconds: float
    generate_seconds: float


def measure_rss(folder: Path, engine: str, pages: int = 300) -> Memory:
    """Peak RSS of extracting one generated document in a fresh interpreter.

    Linux keeps ru_maxrss across fork and execve, so the child's figure can never be lower than
    this (parent) process's RSS when it spawned the child: an upper bound. VmHWM is printed
    beside it as the extracting process's own peak. The document is generated once per folder.
    """
    start = time.perf_counter()
    case = big_document(pages)
    path = folder / f"{case.name}.pdf"
    if not path.is_file():  # generation is deterministic: a second engine reuses the same file
        path = write_case(case, folder)
    generate_seconds = time.perf_counter() - start
    target, kwargs = ENGINES[engine]
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, target, str(path), json.dumps(kwargs)],
                         check=True, capture_output=True, text=True).stdout.split()
    mib = [int(v) / 2**20 for v in out[2:5]]
    return Memory(int(out[0]), int(out[1]), mib[0], mib[1], mib[2], float(out[5]), generate_seconds)


# --------------------------------------------------------------------------------------------
# Report


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "n/a"


def overall(scores: list[Score]) -> tuple[float, float]:
    """Word precision and recall over the whole set (multisets pooled across cases)."""
    truth = sum((s.truth for s in scores), Counter())
    extracted = sum((s.extracted for s in scores), Counter())
    matched = sum((truth & extracted).values())
    return matched / max(1, sum(extracted.values())), matched / max(1, sum(truth.values()))


def format_table(scores: list[Score]) -> Iterator[str]:
    head = (f"{'case':<24} {'pages':>5} {'words':>6} {'prec':>6} {'recall':>6} {'hf-leaks':>8} {'cid':>4} "
            f"{'toc-as-content':>14} {'toc flagged':>11} {'welsh truth/det/ok':>18} {'hyph soft/cmpd':>14} {'pages/s':>8}")
    yield head
    yield "-" * len(head)
    for s in scores:
        yield (f"{s.case:<24} {s.pages:>5} {sum(s.truth.values()):>6} {s.precision:>6.3f} {s.recall:>6.3f} {len(s.hf_leaks):>8} "
               f"{len(s.cid):>4} {len(s.toc_as_content):>14} {f'{s.toc_flagged}/{s.toc_entries}':>11} "
               f"{f'{s.welsh_truth}/{s.welsh_detected}/{s.welsh_correct}':>18} {'/'.join(map(str, s.hyphens)) if s.hyphens else '-':>14} "
               f"{s.pages / s.seconds:>8.1f}")
    precision, recall = overall(scores)
    pages, seconds = sum(s.pages for s in scores), sum(s.seconds for s in scores)
    welsh = [sum(getattr(s, f"welsh_{k}") for s in scores) for k in ("truth", "detected", "correct")]
    yield "-" * len(head)
    yield (f"{'overall':<24} {pages:>5} {sum(sum(s.truth.values()) for s in scores):>6} {precision:>6.3f} "
           f"{recall:>6.3f} {sum(len(s.hf_leaks) for s in scores):>8} "
           f"{sum(len(s.cid) for s in scores):>4} {sum(len(s.toc_as_content) for s in scores):>14} "
           f"{f'{sum(s.toc_flagged for s in scores)}/{sum(s.toc_entries for s in scores)}':>11} "
           f"{'/'.join(map(str, welsh)):>18} {'/'.join(str(sum(s.hyphens[i] for s in scores if s.hyphens)) for i in (0, 1)):>14} "
           f"{pages / seconds:>8.1f}")
    yield (f"welsh: precision {_ratio(welsh[2], welsh[1])}, recall {_ratio(welsh[2], welsh[0])} "
           "(Block.language == 'cy'; 0 detected until language detection exists)")


def format_details(scores: list[Score]) -> Iterator[str]:
    for s in scores:
        if not (s.missing or s.extra or s.hf_leaks or s.cid or s.toc_as_content):
            continue
        yield f"{s.case}: {'misses a target' if not s.meets_targets else 'meets the targets, but not perfect'}"
        if s.missing:
            yield "  missing words (truth, not extracted): " + ", ".join(f"{w!r}x{n}" for w, n in s.missing.most_common(12))
        if s.extra:
            yield "  extra words (extracted, not truth):   " + ", ".join(f"{w!r}x{n}" for w, n in s.extra.most_common(12))
        for label, blocks in (("header/footer leak", s.hf_leaks), ("cid artefact", s.cid), ("contents entry as content", s.toc_as_content)):
            for block in blocks[:5]:
                yield f"  {label}: page {block.page} {block.kind}: {block.text[:110]!r}"


def format_targets(scores: list[Score], memory: Memory | None) -> Iterator[str]:
    precision, recall = overall(scores)
    rows = [
        ("word precision", precision, f">= {TARGETS['precision']}", precision >= TARGETS["precision"]),
        ("word recall", recall, f">= {TARGETS['recall']}", recall >= TARGETS["recall"]),
        ("header/footer leaks", sum(len(s.hf_leaks) for s in scores), "== 0", not any(s.hf_leaks for s in scores)),
        ("cid artefacts", sum(len(s.cid) for s in scores), "== 0", not any(s.cid for s in scores)),
    ]
    if memory:
        rows.append((f"peak RSS, {memory.pages} pages (MiB)", memory.peak_mib, f"< {TARGETS['rss_mib']:.0f}",
                     memory.peak_mib < TARGETS["rss_mib"]))
    for name, value, target, ok in rows:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        yield f"  {name:<32} {shown:>10}  target {target:<8} {'PASS' if ok else 'FAIL'}"
    failing = [s.case for s in scores if not s.meets_targets]
    yield f"  cases missing a target: {', '.join(failing) if failing else 'none'}"


@dataclass
class EngineRun:
    """One engine's pass over the set: scores, the blocks (for --show) and the memory figure."""

    engine: str
    scores: list[Score]
    documents: dict[str, Document]
    memory: Memory | None = None

    @property
    def table_rows(self) -> int:
        return sum(b.kind == "table_row" for d in self.documents.values() for b in d.blocks)


def warm_up(extract: Callable[[Path], Document], generated: list[tuple[Case, Path]]) -> None:
    """Extract the first case, a hyphenated one and a Welsh one untimed, so that imports and first-use
    caches (the engine; spaCy's lemma table behind hyphen repair, ~10 s to import with torch
    installed; langdetect's profiles) do not count towards pages/s."""
    chosen = {generated[0][1]}
    chosen |= {next((p for c, p in generated if c.meta.get("hyphenate") == "true"), generated[0][1])}
    chosen |= {next((p for c, p in generated if any(u.language != "en" for u in c.units)), generated[0][1])}
    for path in sorted(chosen):
        extract(path)


def run_engine(engine: str, generated: list[tuple[Case, Path]]) -> EngineRun:
    extract = load_engine(engine)
    warm_up(extract, generated)
    run = EngineRun(engine, [], {})
    for case, path in generated:
        result, document = run_case(case, path, extract)
        run.scores.append(result)
        run.documents[case.name] = document
    return run


def format_side_by_side(runs: list[EngineRun]) -> Iterator[str]:
    """The headline figures of every engine on the same set, one column each, then per case."""
    names = [run.engine for run in runs]
    yield f"{'':<34}" + "".join(f"{name:>12}" for name in names)

    def row(label: str, values: list[str]) -> str:
        return f"  {label:<32}" + "".join(f"{value:>12}" for value in values)

    totals = [overall(run.scores) for run in runs]
    pages = [sum(s.pages for s in run.scores) for run in runs]
    seconds = [sum(s.seconds for s in run.scores) for run in runs]
    yield row("word precision", [f"{p:.3f}" for p, _ in totals])
    yield row("word recall", [f"{r:.3f}" for _, r in totals])
    yield row("header/footer leaks", [str(sum(len(s.hf_leaks) for s in run.scores)) for run in runs])
    yield row("cid artefacts", [str(sum(len(s.cid) for s in run.scores)) for run in runs])
    yield row("contents entries as content", [str(sum(len(s.toc_as_content) for s in run.scores)) for run in runs])
    yield row("contents flagged / entries", [f"{sum(s.toc_flagged for s in run.scores)}/{sum(s.toc_entries for s in run.scores)}"
                                             for run in runs])
    yield row("welsh truth/detected/correct", ["/".join(str(sum(getattr(s, f"welsh_{k}") for s in run.scores))
                                                        for k in ("truth", "detected", "correct")) for run in runs])
    yield row("table_row blocks", [str(run.table_rows) for run in runs])
    yield row("cases meeting every target", [f"{sum(s.meets_targets for s in run.scores)}/{len(run.scores)}" for run in runs])
    yield row("pages/s (whole set)", [f"{p / t:.1f}" for p, t in zip(pages, seconds)])
    if all(run.memory for run in runs):
        yield row(f"peak RSS, {runs[0].memory.pages} pages (MiB)", [f"{run.memory.peak_mib:.1f}" for run in runs])  # type: ignore[union-attr]
        yield row(f"pages/s, {runs[0].memory.pages}-page document", [f"{run.memory.pages / run.memory.seconds:.1f}"  # type: ignore[union-attr]
                                                                     for run in runs])
    if len(runs) > 1:
        yield row(f"speed-up over {names[0]} (whole set)", [f"{seconds[0] / t:.1f}x" for t in seconds])
    yield ""
    yield (f"  {'case':<24} " + " ".join(f"{name + ' P/R':>18}" for name in names) + " "
           + " ".join(f"{name + ' pages/s':>18}" for name in names))
    for index, case in enumerate(s.case for s in runs[0].scores):
        scores = [run.scores[index] for run in runs]
        yield (f"  {case:<24} " + " ".join(f"{f'{s.precision:.3f}/{s.recall:.3f}':>18}" for s in scores) + " "
               + " ".join(f"{s.pages / s.seconds:>18.1f}" for s in scores))


def print_report(run: EngineRun, generated: list[tuple[Case, Path]], quick: bool, show: list[str]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"engine: {run.engine}; set: {'quick' if quick else 'full'}; {len(run.scores)} cases; "
          f"{os.cpu_count()} CPUs, load average {load} (pages/s is noisy on a busy machine)")
    for case, _ in generated:
        print(f"  {case.name:<24} {case.exercises}")
        if case.name in show:
            print(f"\n=== {case.name}: source ===\n{case.source_text}\n=== {case.name}: blocks ({run.engine}) ===")
            for block in run.documents[case.name].blocks:
                print(f"p{block.page} #{block.block_no} {block.kind} [{block.language}]: {block.text}")
    print()
    for line in format_table(run.scores):
        print(line)
    print()
    for line in format_details(run.scores):
        print(line)
    memory = run.memory
    if memory:
        print(f"\n{memory.pages}-page document ({memory.blocks} blocks), fresh subprocess: peak RSS (ru_maxrss) "
              f"{memory.peak_mib:.1f} MiB; own high-water mark (VmHWM) {memory.own_peak_mib:.1f} MiB, "
              f"RSS before extracting {memory.before_mib:.1f} MiB.\n"
              f"  ru_maxrss is an upper bound: Linux carries the spawning process's RSS over fork/execve.\n"
              f"  Extracted in {memory.seconds:.1f}s = {memory.pages / memory.seconds:.1f} pages/s "
              f"(generated in {memory.generate_seconds:.1f}s).")
    print(f"\ntargets ({run.engine}):")
    for line in format_targets(run.scores, memory):
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), help="one engine only [default: all, side by side]")
    parser.add_argument("--quick", action="store_true", help="the reduced set the tests use")
    parser.add_argument("--keep", type=Path, help="write the test set here instead of a temporary folder")
    parser.add_argument("--show", metavar="CASE", action="append", default=[], help="print the source and blocks of CASE")
    parser.add_argument("--rss-pages", type=int, default=300, help="pages in the memory test document")
    parser.add_argument("--no-rss", action="store_true", help="skip the memory measurement")
    args = parser.parse_args(argv)
    engines = [args.engine] if args.engine else list(ENGINES)

    runs: list[EngineRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        folder = args.keep or Path(tmp)
        start = time.perf_counter()
        generated = generate(folder, quick=args.quick)
        print(f"generated {len(generated)} cases in {time.perf_counter() - start:.1f}s -> {folder}", file=sys.stderr)
        for engine in engines:
            print(f"extracting with {engine}...", file=sys.stderr)
            run = run_engine(engine, generated)
            if not args.no_rss:
                print(f"measuring peak RSS on a {args.rss_pages}-page document with {engine}...", file=sys.stderr)
                run.memory = measure_rss(folder, engine, args.rss_pages)
            runs.append(run)

    for index, run in enumerate(runs):
        if index:
            print("\n" + "=" * 100 + "\n")
        print_report(run, generated, args.quick, args.show)
    if len(runs) > 1:
        print("\n" + "=" * 100 + f"\n\nside by side, same {len(generated)} cases ({sum(s.pages for s in runs[0].scores)} pages):")
        for line in format_side_by_side(runs):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
