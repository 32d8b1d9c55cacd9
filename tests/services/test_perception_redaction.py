"""Redaction and retention of an organisation's own reading of a goal (`/goal perceive`): its
origin detail is a person's words, removed by its author or a convener like a stance comment,
from the goal's card, the log entry (summary and payload) and the choices; retention expires it;
the reading's choices (origin, relevance, content) stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.errors import Forbidden, UserFacingError
from bot.services.goals import GoalTarget
from bot.services.redaction import EXPIRED, REMOVED
from db.models import GoalPerception, Redaction
from tests.services.test_redaction import (
    HERE,
    SECRET,
    World,
    bea,
    convener,
    cy,
    events_of,
    page_text,
    redactions,
    world,
)

__all__ = ["world"]  # the fixture, shared with test_redaction
EXTERNAL = "from an external stakeholder (funder, statutory duty)"


async def reading_entry(world: World, detail: str | None = SECRET) -> tuple[int, int]:
    """Bea reads a new goal as Food Bank; (goal id, its `goal.perceived` entry)."""
    card = await world.goals.propose(cy, HERE, title="Every family knows where to go")
    await world.goals.perceive(
        bea, GoalTarget(str(card.id), HERE), origin="external", origin_detail=detail
    )
    [entry] = (await events_of(world, "goal.perceived"))[-1:]
    assert entry.id is not None
    return card.id, entry.id


async def origin_line(world: World, goal_id: int) -> str:
    card = await world.goals.show(cy, GoalTarget(str(goal_id), HERE))
    [line] = [line for line in card.readings.lines() if line.startswith("Origin")]
    return line


async def test_the_author_removes_a_readings_detail_from_the_card_and_the_log(world: World):
    goal_id, entry = await reading_entry(world)
    assert f"In their words: “{SECRET}”." in await origin_line(world, goal_id)
    choices = await world.notes.autocomplete_redactable(bea, HERE, "")
    assert choices == [(f"#{entry} origin detail: {SECRET}", str(entry))]
    removed = await world.notes.redact(bea, HERE, str(entry))
    assert (removed.what, removed.goal_id, removed.note) == ("an origin detail", goal_id, None)
    async with world.sessions() as session:
        [reading] = (await session.exec(select(GoalPerception))).all()
        [row] = (await session.exec(select(Redaction))).all()
    assert row.perception_id == reading.id and reading.origin_detail == SECRET  # row kept
    # The reading still counts; only its words are gone.
    line = await origin_line(world, goal_id)
    assert line == f"Origin: 1 organisation sees it as {EXTERNAL}. In their words: “{REMOVED}”."
    shown = await page_text(world)
    assert SECRET not in shown and f"| {REMOVED}" in shown
    page = await world.notes.page(cy, HERE)
    [perceived] = [line for line in page.lines if line.id == entry]
    assert f"(“{REMOVED}”)" in perceived.summary
    [logged] = await events_of(world, "log.redacted")
    assert logged.payload["perception_id"] == reading.id and SECRET not in logged.summary
    assert "(an origin detail)" in logged.summary
    assert await world.notes.autocomplete_redactable(bea, HERE, "") == []
    # A later reading with new words shows them: only the removed detail is removed.
    await world.goals.perceive(
        bea, GoalTarget(str(goal_id), HERE), origin="external", origin_detail="Lottery rules"
    )
    assert "In their words: “Lottery rules”." in await origin_line(world, goal_id)


async def test_only_the_author_or_a_convener_removes_a_detail(world: World):
    _goal, entry = await reading_entry(world)
    assert await world.notes.autocomplete_redactable(cy, HERE, "") == []
    with pytest.raises(Forbidden):
        await world.notes.redact(cy, HERE, str(entry))
    assert await redactions(world) == []
    removed = await world.notes.redact(convener, HERE, str(entry))
    assert removed.reason == "convener"
    assert len(await redactions(world)) == 1


async def test_a_reading_without_a_detail_has_no_text_to_remove(world: World):
    _goal, entry = await reading_entry(world, detail=None)
    assert await world.notes.autocomplete_redactable(convener, HERE, "") == []
    with pytest.raises(UserFacingError, match="reading without an origin detail: no text"):
        await world.notes.redact(bea, HERE, str(entry))
    assert await redactions(world) == []


async def test_retention_expires_a_readings_detail(world: World):
    goal_id, entry = await reading_entry(world)
    await world.register.configure(convener, HERE, retention_months=12)
    assert SECRET in await origin_line(world, goal_id)
    world.clock.at += timedelta(days=370)
    assert f"In their words: “{EXPIRED}”." in await origin_line(world, goal_id)
    [line] = [line for line in (await world.notes.page(cy, HERE)).lines if line.id == entry]
    assert line.removed == EXPIRED and SECRET not in line.summary
    await world.register.configure(convener, HERE, retention_months=0)
    assert SECRET in await origin_line(world, goal_id)  # decided when read
