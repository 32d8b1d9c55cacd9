"""The Markdown export: the header every export opens with, minutes for a meeting, sections for
a period, both audiences, and user text rendered inert (no links, formatting or mentions)."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.services.export.document import Audience, Document, LogRow
from bot.services.export.layout import SECTIONS
from bot.services.export.writers import markdown
from bot.services.export.writers.markdown import METACHARACTERS, ZERO_WIDTH_SPACE, inert
from tests.export_sample import (
    FORMULA_ATTACK,
    HTML_ATTACK,
    MARKDOWN_ATTACK,
    MENTION_ATTACK,
    meeting_sample,
    sample,
)

ZW = ZERO_WIDTH_SPACE
AUDIENCES = [Audience.internal, Audience.external]
# What a renderer would turn into something other than text, unless escaped.
UNESCAPED = re.compile(r"(?<!\\)([*_`~|]|\[|<(?!\u200b))")


async def render(document: Document) -> str:
    out = io.BytesIO()
    await markdown.write(document, out)
    return out.getvalue().decode("utf-8")


def shown(text: str) -> str:
    """What a CommonMark renderer shows for `inert` text: escapes and zero-width spaces gone."""
    return re.sub(r"\\(.)", r"\1", text).replace(ZW, "")


def user_lines(text: str) -> list[str]:
    """Lines holding user text: everything but the table rulers, and without the links to
    Discord messages the writer makes itself."""
    return [
        re.sub(r"\[message\]\(<https://discord\.com/channels/[0-9/]+>\)", "", line)
        for line in text.splitlines()
        if not re.fullmatch(r"\|(---\|)+", line)
    ]


# ---------------------------------------------------------------------------- inert


@pytest.mark.parametrize("attack", [HTML_ATTACK, MARKDOWN_ATTACK, MENTION_ATTACK, FORMULA_ATTACK])
def test_inert_text_shows_the_words_typed_and_nothing_else(attack: str):
    text = inert(attack)
    # Shown as typed, except that addresses are written so they can't be followed.
    assert shown(text) == attack.replace("://", "[:]//")
    assert not UNESCAPED.search(text)
    assert "https://" not in text and "<script" not in text
    for mention in ("@everyone", "@here", "<@123>", "<@&456>"):
        assert mention not in text


def test_inert_escapes_every_metacharacter_and_flattens_lines():
    typed = "".join(sorted(METACHARACTERS))
    text = inert(typed)
    assert shown(text) == typed
    bare = text.replace(ZW, "")
    assert bare == "".join("\\" + c for c in typed)
    assert inert("a\n# Heading\r\n| x | y |\u2028- item") == (r"a \# Heading \| x \| y \| \- item")


def test_inert_breaks_every_kind_of_link_and_mention():
    text = inert(
        "see http://a.example, HTTPS://b.example, www.c.example, WWW.d.example, "
        "<https://e.example>, <mailto:f@g.example> ada@h.example <#12> <@&3> <t:1:F>"
    )
    for live in ("http://", "HTTPS://", "www.", "WWW.", "<http", "<mailto", "@h", "<#", "<@", "<t"):
        assert live not in text
    assert r"www\[\.\]c\.example" in text and r"http\[:\]//a\.example" in text
    assert inert(None) == "" and inert("") == ""


# ---------------------------------------------------------------------------- the header


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_every_export_opens_with_the_header(audience: Audience):
    text = await render(sample(audience))
    lines = text.splitlines()
    assert lines[0].startswith("# Family Hubs ") and lines[0].endswith(": partnership record")
    head = lines[: lines.index("## Membership")]
    assert f"- Partnership: Family Hubs {inert(HTML_ATTACK)}" in head
    assert "- Period: 2026-03-01 to 2026-03-31" in head
    assert f"- Audience: {audience.value} " in "\n".join(head) + " "
    assert "- Anonymity threshold: 3 organisations" in head
    assert "- Withheld: 1 aggregate (each drew on fewer than 3 organisations)" in head
    assert "- Time zone: Europe/London (every time in this export)" in head
    assert not any(line.startswith("- Pseudonymised") for line in head)
    assert ("- Exported by: Ada" in head) == (audience == Audience.internal)


async def test_the_header_says_when_nothing_was_withheld_and_when_pseudonymised():
    document = sample(withheld=0)
    document.header = replace(document.header, pseudonymised=True, keep_text=False)
    text = await render(document)
    assert "- Withheld: none" in text
    assert "- Pseudonymised: yes: people and organisations by pseudonym, free text left out" in (
        text
    )


async def test_times_are_shown_in_the_partnerships_zone_with_the_zone_named():
    document = sample()
    document.header = replace(document.header, timezone="America/New_York")
    text = await render(document)
    # 18:00 UTC on 10 March 2026 is 14:00 daylight time in New York (clocks went forward on 8).
    assert "2026-03-10 14:00 EDT" in text
    assert "- Generated: 2026-03-20 05:00 EDT" in text
    assert "- Time zone: America/New_York (every time in this export)" in text
    assert "GMT" not in text


# ---------------------------------------------------------------------------- a period


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_a_period_export_has_every_section_in_order(audience: Audience):
    text = await render(sample(audience))
    positions = [text.index(f"\n## {heading}\n") for _, heading in SECTIONS]
    assert positions == sorted(positions)
    assert "## Minutes" not in text
    # Membership: organisations with sector, status, joined and left; spells.
    assert "| Parents' Forum | community | associate | 2026-03-03 | 2026-03-15 |" in text
    # Goals with their agreement matrix, links between them.
    assert f"### Goal \\#1: Fewer families in crisis {inert(HTML_ATTACK)}" in text
    assert "| Voice | Stance | Counted | Recorded |" in text
    # The organisations' own readings, in counts.
    assert (
        "- Organisations' own readings: origin: 2 from an external stakeholder \\(funder, "
        "statutory duty\\), 1 from the members; relevance: 1 needing the collaboration"
    ) in text
    assert "- \\#2 One front door contributes \\#1 Fewer families in crisis" in text
    # Decisions, actions with owner and due date, small wins, risks.
    assert f"We agree {inert(MARKDOWN_ATTACK)}" in text
    assert "| 2026-03-20 | overdue |" in text
    assert "First shared referral" in text
    assert "removed at the author's request" in text
    # Meetings, reflections, the log (with the link to its message, which is ours).
    assert "### Meeting \\#40: March meeting" in text
    assert "### Prompt \\#50 (power)" in text and "2 answers" in text
    assert "- \\#1 2026-03-01 09:00 GMT · partnership\\.created" in text
    assert "[message](<https://discord.com/channels/1/2/3>)" in text


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_trust_shows_only_the_figures_that_may_be_shown(audience: Audience):
    text = await render(sample(audience))
    (shown_round,) = [line for line in text.splitlines() if line.startswith("| \\#30 |")]
    assert shown_round.startswith("| \\#30 | 2026-03-09 | 3 | 3.7 | 4.0 | 3.3 | 3.0 | — | 2 |")
    (withheld,) = [line for line in text.splitlines() if line.startswith("| \\#31 |")]
    assert "withheld: fewer than 3 organisations" in withheld
    assert not re.search(r"\d\.\d", withheld)


async def test_the_internal_audience_names_people_and_shows_stance_comments():
    text = await render(sample(Audience.internal))
    assert "| Voice | Stance | Counted | Recorded | By | Comment |" in text
    assert inert(f"{HTML_ATTACK} {MENTION_ATTACK}") in text  # Bea's stance comment
    assert f"| {inert(f'Bea {HTML_ATTACK} (Food Bank')}" in text  # the action's owner
    assert "· by Ada" in text
    assert inert(FORMULA_ATTACK) in text  # a reflection's answer


async def test_the_external_audience_names_no_person():
    text = await render(sample(Audience.external))
    assert "Bea" not in text and "Exported by" not in text and "· by " not in text
    assert "Comment" not in text
    assert "| Person |" not in text
    # The action's owner is their organisation.
    assert f"| Food Bank {inert(HTML_ATTACK)} | 2026-03-20 |" in text
    # Attendance is counted per organisation.
    assert "- Riverside Council: 1 attending" in text


# ---------------------------------------------------------------------------- minutes


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_a_meeting_export_is_its_minutes(audience: Audience):
    text = await render(meeting_sample(audience))
    assert text.startswith(f"# Minutes: March meeting {inert(MARKDOWN_ATTACK)}\n")
    assert "- Period: 2026-03-01 to 2026-03-31" in text  # the header, as in every export
    assert "- Date: 2026-03-10" in text
    assert "- Started: 2026-03-10 18:00 GMT" in text
    attendance = text[text.index("### Attendance") : text.index("### Decisions")]
    if audience == Audience.internal:
        assert "- Riverside Council: Ada" in attendance
        assert f"- Food Bank {inert(HTML_ATTACK)}: Bea {inert(HTML_ATTACK)}" in attendance
    else:
        assert "- Riverside Council: 1 attending" in attendance
        assert "Ada" not in attendance and "Bea" not in attendance
    decisions = text[text.index("### Decisions") : text.index("### Actions")]
    assert "\\#41" in decisions and "review on 2026-05-01" in decisions
    actions = text[text.index("### Actions") : text.index("### Small wins")]
    owner = inert(f"Bea {HTML_ATTACK} (Food Bank" if audience == Audience.internal else "Food")
    assert "| \\#42 |" in actions and f"| {owner}" in actions and "| 2026-03-20 |" in actions
    # Only what was logged during the meeting, and no period sections.
    assert "First shared referral" not in text
    assert "## Membership" not in text and "## The log" not in text


# ---------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_no_user_text_becomes_markdown(audience: Audience):
    for document in (sample(audience), meeting_sample(audience)):
        text = await render(document)
        assert "<script" not in text and "https://evil" not in text and "www." not in text
        for mention in ("@everyone", "@here", "<@123>", "<@&456>"):
            assert mention not in text
        assert f"@{ZW}everyone" in text
        assert "**" not in text.replace("\\*\\*", "")
        # Every link is one the writer made: a Discord message.
        for target in re.findall(r"(?<!\\)\]\((\S*)\)", text):
            assert target.startswith("<https://discord.com/channels/")
        for line in user_lines(text):
            for match in UNESCAPED.finditer(line):
                assert match[0] == "|" and line.startswith("|"), line


async def test_line_breaks_in_user_text_break_no_heading_list_or_table():
    document = sample()
    hostile = "Line one\n# Not a heading\n\n| not | a row |\n- not an item"
    document.goals[0] = replace(document.goals[0], title=hostile, description=hostile)
    document.organisations[0] = replace(document.organisations[0], name=hostile)
    text = await render(document)
    assert not any(line.startswith(("# Not", "| not", "- not")) for line in text.splitlines())
    rows = [line for line in text.splitlines() if line.startswith("| Line one")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 6 for row in rows)


# ---------------------------------------------------------------------------- streaming


async def test_the_log_is_written_as_it_is_read():
    document = sample()
    out = io.BytesIO()
    written_while_reading: list[int] = []

    async def long_log() -> AsyncIterator[LogRow]:
        for n in range(1, 2001):
            written_while_reading.append(len(out.getvalue()))
            yield LogRow(
                n, datetime(2026, 3, 1, tzinfo=UTC), "note.note", None, f"Entry {n}", {}, None
            )

    document.log = long_log
    await markdown.write(document, out)
    text = out.getvalue().decode()
    assert "Entry 2000" in text
    # Each row was in the file before the next one was read.
    assert written_while_reading == sorted(written_while_reading)
    assert written_while_reading[-1] > written_while_reading[0] + 2000 * 20
