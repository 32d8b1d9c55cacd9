"""The HTML report: one self-contained, accessible page with the Markdown export's content and
charts, every piece of user text escaped, nothing that runs or loads from elsewhere."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from bot.services.export import charts
from bot.services.export.document import Audience, Document, GoalRow, LinkRow, LogRow
from bot.services.export.layout import SECTIONS, Layout
from bot.services.export.writers import html
from tests.export_sample import HTML_ATTACK, MARKDOWN_ATTACK, at, meeting_sample, sample

AUDIENCES = [Audience.internal, Audience.external]
LEVELS = ["collaboration", "organisation", "individual", "organisation"]
ESCAPED_ATTACK = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
MESSAGE_LINK = re.compile(r"https://discord\.com/channels/\d+/\d+/\d+")
# Hostile goal titles for the charts: markup, a comment's end, CDATA's end, mathtext.
CHART_ATTACKS = [
    '</svg><script>alert(1)</script><svg onload="alert(2)">',
    "--> <!-- ]]> <![CDATA[ x",
    r"$\undefinedcommand{x}$ costs $5$",
    "x" * 400,
]


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]


@dataclass
class Page(HTMLParser):
    """Every element of a page with its attributes, the text inside each heading, and all text."""

    elements: list[Element] = field(default_factory=list)
    headings: dict[str, list[str]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    _heading: str | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._heading = tag
            self.headings.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self.headings[self._heading][-1] += data

    def tags(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.tag == name]


async def render(document: Document) -> str:
    out = io.BytesIO()
    await html.write(document, out)
    return out.getvalue().decode("utf-8")


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def assert_nothing_runs_or_loads(page: Page) -> None:
    for name in ("script", "iframe", "object", "embed", "link", "base", "form", "foreignobject"):
        assert not page.tags(name), name
    for element in page.elements:
        for key, value in element.attrs.items():
            assert not key.startswith("on"), (element.tag, key)
            if key == "src":
                assert value and value.startswith("data:image/png;base64,"), value
            if key in ("href", "xlink:href"):
                assert value and (value.startswith("#") or MESSAGE_LINK.fullmatch(value)), value
            assert "javascript:" not in (value or "").lower()
    (policy,) = [m for m in page.tags("meta") if m.attrs.get("http-equiv")]
    assert policy.attrs["content"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )


# ---------------------------------------------------------------------------- the page


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_the_report_is_one_self_contained_page_with_nothing_that_runs(audience: Audience):
    for document in (sample(audience), meeting_sample(audience)):
        text = await render(document)
        page = parse(text)
        assert_nothing_runs_or_loads(page)
        assert text.startswith("<!DOCTYPE html>")
        assert "<script" not in text
        # The hostile text is there, escaped, and reads as typed.
        assert f"Family Hubs {ESCAPED_ATTACK}" in text
        assert f"Family Hubs {HTML_ATTACK}" in "".join(page.text)


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_the_report_is_accessible(audience: Audience):
    page = parse(await render(sample(audience)))
    (root,) = page.tags("html")
    assert root.attrs["lang"] == "en"
    assert len(page.tags("h1")) == 1 and page.tags("title")
    assert [h for h in page.headings["h2"] if h != "Contents"] == [h for _, h in SECTIONS]
    assert len(page.tags("table")) >= 5
    # Every table has header cells: as many tables as header rows.
    assert len(page.tags("thead")) == len(page.tags("table"))
    images = page.tags("img")
    svgs = page.tags("svg")
    assert len(images) == 1 and len(svgs) == 3
    for image in images:
        assert image.attrs["alt"] and len(image.attrs["alt"] or "") > 20
    for svg in svgs:
        assert svg.attrs["role"] == "img" and len(svg.attrs["aria-label"] or "") > 20


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_the_header_opens_every_report(audience: Audience):
    for document in (sample(audience), meeting_sample(audience)):
        page = parse(await render(document))
        text = "".join(page.text)
        assert "Partnership" in text and f"Family Hubs {HTML_ATTACK}" in text
        assert "2026-03-01 to 2026-03-31" in text
        assert f"{audience.value} (" in text
        assert "3 organisations" in text
        assert "1 aggregate (each drew on fewer than 3 organisations)" in text
        assert ("Exported by" in text) == (audience == Audience.internal)


async def test_the_period_report_holds_the_record():
    text = await render(sample())
    page = parse(text)
    words = "".join(page.text)
    assert f"Goal #1: Fewer families in crisis {HTML_ATTACK}" in page.headings["h3"]
    assert "Parents' Forum" in words and "2026-03-15" in words
    assert "#2 One front door contributes #1 Fewer families in crisis" in words
    assert (
        "Organisations' own readingsorigin: 2 from an external stakeholder (funder, statutory "
        "duty), 1 from the members; relevance: 1 needing the collaboration"
    ) in words
    assert "Draft the leaflet" in words and "2026-03-20" in words and "overdue" in words
    assert "First shared referral" in words and "removed at the author's request" in words
    assert "withheld: fewer than 3 organisations" in words
    assert "3.7" in words
    assert "Who holds power here?" in words and "2 answers" in words
    assert "partnership.created" in words
    assert '<a href="https://discord.com/channels/1/2/3">message</a>' in text
    # Times in the partnership's zone, named.
    assert "2026-03-10 18:00 GMT" in words and "Europe/London" in words


async def test_the_internal_report_names_people_and_stance_comments():
    words = "".join(parse(await render(sample(Audience.internal))).text)
    assert f"Bea {HTML_ATTACK}" in words and "Comment" in words
    assert f"{HTML_ATTACK} @everyone <@123>" in words  # a stance comment, as text


async def test_the_external_report_names_no_person():
    text = await render(sample(Audience.external))
    words = "".join(parse(text).text)
    assert "Bea" not in words and "Exported by" not in words and "Comment" not in words
    assert ">Person<" not in text
    assert "Riverside Council: 1 attending" in words


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_a_meeting_report_is_its_minutes(audience: Audience):
    page = parse(await render(meeting_sample(audience)))
    words = "".join(page.text)
    assert page.headings["h1"] == [f"Minutes: March meeting {MARKDOWN_ATTACK}"]
    assert page.headings["h2"] == [
        "Meeting #40",
        "Decisions",
        "Actions",
        "Small wins",
        "Risks",
        "Notes",
    ]
    assert "2026-03-10" in words and "Attendance" in words
    if audience == Audience.internal:
        assert "Riverside Council: Ada" in words
        assert f"Bea {HTML_ATTACK} (Food Bank {HTML_ATTACK})" in words  # the action's owner
    else:
        assert "Riverside Council: 1 attending" in words and "Bea" not in words
    assert "We agree" in words and "Draft the leaflet" in words and "2026-03-20" in words
    assert "First shared referral" not in words
    assert not page.tags("svg") and not page.tags("img")


# ---------------------------------------------------------------------------- charts


async def test_a_chart_with_no_data_is_left_out_with_a_line_saying_why():
    document = sample()
    document.goals, document.links, document.trust = [], [], []
    page = parse(await render(document))
    words = "".join(page.text)
    assert "The goal web: no picture. No goals in this export, so no goal web." in words
    assert "Goals by status: no picture." in words
    assert "Trust check-ins over time: no picture. No check-in round closed" in words
    assert len(page.tags("svg")) == 1 and not page.tags("img")  # the membership timeline


async def test_a_trend_of_withheld_rounds_only_is_left_out():
    document = sample()
    document.trust = [r for r in document.trust if not r.shown]
    words = "".join(parse(await render(document)).text)
    assert "Every round in this period was withheld (fewer than 3 organisations" in words


def hostile_goals() -> tuple[list[GoalRow], list[LinkRow]]:
    base = sample().goals[0]
    goals = [
        replace(base, id=n, title=title, level=level)
        for n, (title, level) in enumerate(
            zip(CHART_ATTACKS, LEVELS, strict=True),
            start=1,
        )
    ]
    links = [LinkRow(2, 1, "contributes_to"), LinkRow(3, 2, CHART_ATTACKS[0])]
    return goals, links


def test_hostile_text_in_charts_cannot_reach_the_markup():
    goals, links = hostile_goals()
    document = sample()
    orgs = [replace(document.organisations[0], name=title) for title in CHART_ATTACKS]
    layout = Layout(document.header)
    for chart in (
        charts.goal_web(goals, links),
        charts.goal_status([replace(g, status=g.title) for g in goals]),
        charts.membership_timeline(orgs, layout),
    ):
        svg = chart.svg
        assert svg is not None
        # The hostile words are only in the accessible name, escaped; as a browser reads it,
        # the chart has no script, no handler, no comment.
        page = parse(svg)
        assert not page.tags("script") and "<script" not in svg and "<!--" not in svg
        assert all(not k.startswith("on") for e in page.elements for k in e.attrs)
        assert [e.tag for e in page.elements if e.tag == "svg"] == ["svg"]
        root = ET.fromstring(svg)
        names = {e.tag.split("}")[-1] for e in root.iter()}
        assert names <= charts.DRAWING_ELEMENTS | {"title"}
        assert "path" in names and "use" in names  # drawn, text included (as glyphs)
        for element in root.iter():
            for key, value in element.attrib.items():
                assert not key.split("}")[-1].startswith("on")
                if key.endswith("href"):
                    assert value.startswith(f"#{chart.key}-")
                if "url(" in value:
                    assert re.fullmatch(rf".*url\(#{chart.key}-\d+\).*", value)
        ids = [e.attrib["id"] for e in root.iter() if "id" in e.attrib]
        assert len(ids) == len(set(ids)) and all(i.startswith(f"{chart.key}-") for i in ids)


def test_sanitise_svg_keeps_drawing_and_drops_everything_else():
    hostile = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="100pt" onload="alert(1)"><!-- --><script>alert(2)</script>'
        "<style>body{display:none}</style><foreignObject><p>x</p></foreignObject>"
        '<defs><path id="a" d="M 0 0"/></defs>'
        '<use xlink:href="#a"/><use xlink:href="https://evil.example/x.svg#a"/>'
        '<image xlink:href="https://evil.example/x.png"/>'
        '<rect style="fill: url(https://evil.example/p)" onclick="x()" width="1"/>'
        '<rect fill="url(#a)" width="2"/><a href="https://evil.example"><path d="M 1 1"/></a>'
        "</svg>"
    )
    svg = charts.sanitise_svg(hostile, prefix="c", label='Alt "text" <b>')
    assert svg == (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'role="img" aria-label="Alt &quot;text&quot; &lt;b&gt;" style="max-width: 100pt">'
        '<title>Alt "text" &lt;b&gt;</title>'
        '<defs><path id="c-1" d="M 0 0"></path></defs>'
        '<use xlink:href="#c-1"></use><use></use>'
        '<rect width="1"></rect><rect fill="url(#c-1)" width="2"></rect>'
        "</svg>"
    )
    with pytest.raises(ValueError):
        charts.sanitise_svg("<html/>", prefix="c", label="x")


def test_chart_labels_escape_mathtext_and_are_clipped():
    assert charts.chart_text("costs $5 and $6", 40) == r"costs \$5 and \$6"
    assert len(charts.chart_text("word " * 100, 40)) == 40
    assert charts.chart_text("two\nlines", 40) == "two lines"


def test_the_goal_web_is_the_same_picture_every_time():
    goals, links = hostile_goals()
    first = charts.goal_web(goals, links)
    assert first.svg == charts.goal_web(goals, links).svg
    assert "4 goals by level (1 collaboration, 2 organisation, 1 individual)" in first.alt
    assert "2 links" in first.alt


def test_the_membership_timeline_runs_to_the_end_of_the_period():
    document = sample()
    document.header = replace(document.header, generated_at=datetime(2026, 5, 1, tzinfo=UTC))
    chart = charts.membership_timeline(document.organisations, Layout(document.header))
    assert "or to 2026-03-31 (the dashed line); 1 left, drawn hatched" in chart.alt


# ---------------------------------------------------------------------------- streaming


async def test_the_log_is_written_as_it_is_read():
    document = sample()
    out = io.BytesIO()
    written_while_reading: list[int] = []

    async def long_log() -> AsyncIterator[LogRow]:
        for n in range(1, 3001):
            written_while_reading.append(len(out.getvalue()))
            yield LogRow(n, at(1), "note.note", None, f"Entry {n} {HTML_ATTACK}", {}, None)

    document.log = long_log
    await html.write(document, out)
    text = out.getvalue().decode()
    assert f"Entry 3000 {ESCAPED_ATTACK}" in text and text.endswith("</html>\n")
    # The page went out in chunks while the log was read, not all at the end.
    assert written_while_reading[0] > 0
    assert written_while_reading[-1] >= written_while_reading[0] + 3 * html.CHUNK
    assert len(text) - written_while_reading[-1] < 2 * html.CHUNK


def test_the_charts_libraries_load_only_for_a_report():
    """The export service (and so the command line's Markdown, CSV and JSON exports) loads
    without matplotlib; the report's writer loads it when it draws."""
    code = (
        "import sys\n"
        "import bot.services.export.service\n"
        "print('matplotlib' in sys.modules)\n"
        "from bot.services.export import charts\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
