"""Routing-test fixtures: the real bot, logged in to the in-process Discord double."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import PartnerBot
from bot.config import Settings
from db.engine import create_engine, create_session_factory
from tests.helpers import ADMINISTRATOR, MANAGE_GUILD, DiscordDouble, Person, snowflake, start_bot


@dataclass
class World:
    """A server with a convener, three representatives, an outsider, and a second server."""

    bot: PartnerBot
    discord: DiscordDouble
    guild: int
    other_guild: int
    convener: Person
    reps: list[Person]
    outsider: Person
    stranger: Person
    owner: Person

    async def run(self, person: Person, path: str, *, channel_id: int | None = None, **options):
        return await self.discord.invoke(
            person, path, guild_id=self.guild, channel_id=channel_id, **options
        )


@pytest.fixture
async def world(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    path = tmp_path / "routing.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    settings = Settings(
        discord_token="test-token",  # type: ignore[arg-type]
        database_url=f"sqlite+aiosqlite:///{path}",
        data_dir=tmp_path,
        default_timezone="Europe/London",
        _env_file=None,  # type: ignore[call-arg]
    )
    bot, double = await start_bot(settings, create_session_factory(engine), monkeypatch)
    convener = Person(snowflake(), "Ada", permissions=MANAGE_GUILD)
    owner = Person(snowflake(), "Olu", permissions=ADMINISTRATOR)
    reps = [Person(snowflake(), name) for name in ("Bea", "Cy", "Dev")]
    try:
        yield World(
            bot=bot,
            discord=double,
            guild=double.add_guild("Riverside"),
            other_guild=double.add_guild("Elsewhere"),
            convener=convener,
            reps=reps,
            outsider=Person(snowflake(), "Fay"),
            stranger=Person(snowflake(), "Gus", permissions=MANAGE_GUILD),
            owner=owner,
        )
    finally:
        await bot.close()
        await engine.dispose()
