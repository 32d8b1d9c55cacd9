"""Fixtures for the end-to-end tests: a fake Discord, a small world in it, and the bot process.

- `fake`: a started `FakeDiscord`; at teardown, any request the bot made to a route the fake
  does not know fails the test (Discord would have answered 404 too, so it is a bug either way).
- `world`: two servers and the people in them (see `World`).
- `bot_database`: where the bot keeps its data: "" (an SQLite file in its data folder) or, on
  PostgreSQL (`E2E_DATABASE=postgresql`, the default under CI=true), a fresh empty database on
  TEST_DATABASE_URL's server, dropped after the test.
- `bot`: `partnerbot run` against the fake, ready (commands synced to `world.guild`, gateway
  READY). At teardown it is stopped; ERROR lines in its log fail the test unless the test set
  `bot.allow_errors = True`. When a test fails, the tail of the bot's log is attached to the
  report.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .fake_discord import FakeDiscord, Perm
from .harness import BotProcess, e2e_database, fresh_database, postgres_server

JSON = dict[str, Any]


@dataclass
class World:
    """Two servers. In `guild`: a convener with Manage Server, three representatives and an
    outsider, all plain members. In `other_guild`: `stranger`, who is not in `guild`."""

    guild: JSON
    general: JSON
    convener: JSON
    alice: JSON
    bob: JSON
    carol: JSON
    outsider: JSON
    other_guild: JSON
    other_general: JSON
    stranger: JSON

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])


def build_world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Riverside Council")
    other = fake.add_guild("Hilltop Trust")
    return World(
        guild=guild,
        general=_require(fake.find_channel(guild, "general")),
        convener=fake.add_member(guild, "Connie Convener", permissions=Perm.MANAGE_GUILD),
        alice=fake.add_member(guild, "Alice Council"),
        bob=fake.add_member(guild, "Bob Health"),
        carol=fake.add_member(guild, "Carol Voluntary"),
        outsider=fake.add_member(guild, "Oscar Outsider"),
        other_guild=other,
        other_general=_require(fake.find_channel(other, "general")),
        stranger=fake.add_member(other, "Stella Stranger", permissions=Perm.MANAGE_GUILD),
    )


def user_id(member: JSON) -> int:
    return int(member["user"]["id"])


async def partnership_of(
    fake: FakeDiscord, world: World, name: str, purpose: str, partners: list[tuple[str, JSON]]
) -> JSON:
    """The convener creates `name` and, from its channel, adds each (organisation, its
    representative); the partnership's channel."""
    reply = await fake.run(
        world.convener,
        world.guild,
        world.general,
        "partnership create",
        name=name,
        purpose=purpose,
    )
    match = re.search(r"<#(\d+)>", reply.content)
    assert match, reply
    channel = fake.channel(int(match[1]))
    assert channel is not None
    for organisation, person in partners:
        added = await fake.run(
            world.convener,
            world.guild,
            channel,
            "partner add",
            organisation=organisation,
            sector="public",
        )
        assert added.ephemeral, added
        joined = await fake.run(
            world.convener,
            world.guild,
            channel,
            "member add",
            user=person,
            organisation=organisation,
        )
        assert f"Added <@{user_id(person)}>" in joined.content, joined
    return channel


def _require(value: JSON | None) -> JSON:
    assert value is not None
    return value


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as discord:
        yield discord
    unknown = [f"{r.method} {r.path}" for r in discord.unknown_routes]
    assert not unknown, f"the bot called routes the fake Discord does not know: {unknown}"


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


def require_postgres() -> str:
    """TEST_DATABASE_URL; without it the test skips (under CI=true it fails)."""
    server = postgres_server()
    if server is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run.")
        pytest.skip("set TEST_DATABASE_URL to run the bot on PostgreSQL")
    return server


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test (the bot migrates it at start)."""
    async with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture
def bot_database(request: pytest.FixtureRequest) -> str:
    if e2e_database() == "postgresql":
        return str(request.getfixturevalue("postgres_database"))
    return ""


@pytest.fixture
async def bot(
    fake: FakeDiscord,
    world: World,
    tmp_path: Path,
    bot_database: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[BotProcess]:
    process = BotProcess(
        fake,
        data_dir=tmp_path / "data",
        log_path=tmp_path / "partnerbot.log",
        dev_guild_id=world.guild_id,
        database_url=bot_database,
    )
    request.node.e2e_bots = [process]
    try:
        await process.start()
        yield process
    finally:
        await process.stop()
    errors = process.error_lines()
    if errors and not process.allow_errors:
        pytest.fail("the bot logged errors:\n" + "\n".join(errors[:20]), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed:
        for process in getattr(item, "e2e_bots", []):
            report.sections.append(
                (f"partnerbot log, last lines ({process.log_path})", process.log_tail(120))
            )
