"""Exports and responses: a partner organisation's response sits in the goal's matrix (the
`stance` column, documented in the codebook), and an individual-level goal its owner has not
shared is in no export at all, not even the JSON records."""

from __future__ import annotations

from bot.services.export import vocabularies as v
from bot.services.export.records import rows, stream
from bot.services.goals import GoalTarget, Response
from bot.services.redaction import Redactions
from tests.services.export.test_gather import export, world
from tests.services.export.world import FOOD_BANK, GUILD, HUBS, World, bea, eve, strings

__all__ = ["world"]  # the fixture, shared with test_gather

PRIVATE = "Learn to say no to new projects"


async def test_responses_in_the_matrix_and_private_goals_nowhere(world: World):
    council = GoalTarget(str(world.goal_ids["council"]), HUBS)
    await world.goals.respond(bea, council, "in_tension", "It moves our drop-in")
    mine = await world.goals.propose(eve, HUBS, title=PRIVATE, level="individual")
    r = await export(world)
    goals = {g.id: g for g in r.document.goals}
    cells = {c.voice: c for c in goals[world.goal_ids["council"]].matrix}
    food_bank = cells[FOOD_BANK]
    assert food_bank.stance == "in_tension" and food_bank.comment == "It moves our drop-in"
    assert mine.id not in goals
    assert not [s for s in strings(r) if PRIVATE in s]
    records = stream(
        world.sessions,
        guild_id=GUILD,
        partnership_id=world.partnership_id,
        redactions=Redactions(),
    )
    goal_rows = [row async for table, row in rows(records()) if table == "goal"]
    assert world.goal_ids["council"] in {row["id"] for row in goal_rows}
    assert mine.id not in {row["id"] for row in goal_rows}
    # Shared, it is exported like any goal.
    await world.goals.share(eve, GoalTarget(str(mine.id), HUBS))
    shared = await export(world)
    assert mine.id in {g.id for g in shared.document.goals}


def test_the_codebook_documents_every_response():
    documented = {value.value for value in v.STANCES}
    assert {r.value for r in Response} <= documented
