"""A meeting with minutes, an action closed, and every export format attached privately,
against the real bot process.

Riverside Family Hub has two partner organisations. The convener starts a meeting; Alice (the
Council's representative) presses "I'm here"; a decision and an action for Alice are logged in
the meeting; the meeting ends; Alice closes her action. Then the convener exports the
meeting's minutes as Markdown and the whole period as HTML, CSV and JSON, and Bob exports for
an external audience: each reply is private, carries one attachment, and the attachment parses.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from typing import Any

import pytest

from .conftest import World, partnership_of
from .fake_discord import FakeDiscord, Reply
from .harness import BotProcess

pytestmark = [pytest.mark.e2e]

JSON = dict[str, Any]


def name_of(member: JSON) -> str:
    return str(
        member.get("nick") or member["user"].get("global_name") or member["user"]["username"]
    )


async def family_hub(fake: FakeDiscord, world: World) -> JSON:
    partners = [("Council", world.alice), ("Food Bank", world.bob)]
    return await partnership_of(
        fake, world, "Riverside Family Hub", "Joined-up early help for families.", partners
    )


def attachment(fake: FakeDiscord, reply: Reply) -> tuple[str, bytes]:
    assert reply.ephemeral, reply
    files = reply.attachments
    assert len(files) == 1, reply
    return str(files[0]["filename"]), fake.attachment_data(files[0]["id"])


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


async def test_a_meeting_its_minutes_and_every_export(
    fake: FakeDiscord, world: World, bot: BotProcess
) -> None:
    channel = await family_hub(fake, world)

    started = await fake.run(world.convener, world.guild, channel, "meeting start", title="March")
    assert started.ephemeral, started
    posted = [m for m in fake.messages(channel) if m.get("components")]
    meeting_post = posted[-1]
    here = meeting_post["components"][0]["components"][0]["custom_id"]
    pressed = await fake.click(world.alice, meeting_post["id"], here)
    assert "Council" in (await pressed.response()).content

    decided = await fake.run(
        world.convener,
        world.guild,
        channel,
        "log note",
        text="We meet monthly from April.",
        kind="decision",
    )
    assert "#" in decided.content, decided
    action = await fake.run(
        world.convener,
        world.guild,
        channel,
        "log note",
        text="Draft the leaflet.",
        kind="action",
        owner=world.alice,
        due="2099-01-31",
    )
    action_id = re.search(r"#(\d+)", action.content)
    assert action_id, action
    ended = await fake.run(world.convener, world.guild, channel, "meeting end")
    assert ended.ephemeral, ended
    meeting_id = (
        await fake.autocomplete_choices(
            world.convener, world.guild, channel, "export", "meeting", format="markdown"
        )
    )[0]["value"]

    done = await fake.run(world.alice, world.guild, channel, "log done", action=action_id[1])
    assert f"Action #{action_id[1]} of Riverside Family Hub is done" in done.content, done

    minutes = await fake.run(
        world.convener, world.guild, channel, "export", format="markdown", meeting=meeting_id
    )
    filename, data = attachment(fake, minutes)
    assert filename.endswith(".md"), filename
    text = data.decode("utf-8")
    assert "March" in text and "Council" in text
    assert "monthly from April" in text and "Draft the leaflet" in text
    assert "2099-01-31" in text

    report = await fake.run(world.convener, world.guild, channel, "export", format="html")
    filename, data = attachment(fake, report)
    assert filename.endswith(".html"), filename
    parser = Elements()
    parser.feed(data.decode("utf-8"))
    assert "script" not in parser.tags and "h1" in parser.tags

    table = await fake.run(world.convener, world.guild, channel, "export", format="csv")
    filename, data = attachment(fake, table)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert any(n.startswith("codebook") for n in names), names
        actions = archive.read(next(n for n in names if n.startswith("actions"))).decode()
        assert "Draft the leaflet" in actions and "done" in actions

    document = await fake.run(world.convener, world.guild, channel, "export", format="json")
    filename, data = attachment(fake, document)
    parsed = json.loads(data)
    assert parsed["importable"] is True
    assert parsed["header"]["partnership"] == "Riverside Family Hub"

    external = await fake.run(
        world.bob, world.guild, channel, "export", format="markdown", audience="external"
    )
    _, data = attachment(fake, external)
    text = data.decode("utf-8")
    assert "Food Bank" in text
    for person in (world.alice, world.bob, world.convener):
        assert name_of(person) not in text

    outsider = await fake.run(
        world.outsider,
        world.guild,
        world.general,
        "export",
        format="json",
        partnership="Riverside Family Hub",
    )
    assert outsider.ephemeral and not outsider.attachments
    assert "can't find a partnership" in outsider.content
