"""Nudges about goals on a real database (SQLite and PostgreSQL): whom they go to, at most one
per goal per day (a convener's or the automatic one, two callers at once included), the
automatic nudge's timing in the partnership's time zone, and what the log keeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services.export.document import Audience
from bot.services.export.lens import Lens
from bot.services.export.sentences import Context, sentence
from bot.services.goals import GoalTarget, Nudge
from bot.services.goals.nudges import NUDGE_TIMER
from bot.timers import Fire
from db.models import Event, Goal, GoalNudgeClaim
from tests.services.daily_world import (
    CHANNEL,
    HUBS,
    World,
    ada,
    bea,
    cy,
    dev,
    eli,
    fay,
    hal,
    world,
)
from tests.services.timer_runs import TimerRuns

__all__ = ["world"]  # the fixture


def target(goal_id: int) -> GoalTarget:
    return GoalTarget(str(goal_id), HUBS)


def to(nudge: Nudge) -> set[tuple[int, str | None]]:
    return {(r.user_id, r.organisation) for r in nudge.recipients}


async def due(world: World, engines: int = 1) -> list[Nudge]:
    """The automatic nudges their timers hand out now, handled as the goal cog does, in
    `engines` processes at once."""

    async def nudge(fire: Fire) -> Nudge | None:
        return await world.nudges.nudge_goal(fire.subject_id)

    return await TimerRuns(world.sessions, world.clock, NUDGE_TIMER, nudge, engines=engines).due()


async def nudged(world: World) -> list[Event]:
    return [e for e in await world.rows(Event) if e.kind == "goal.nudged"]


async def test_a_nudge_goes_to_the_voices_without_a_stance_and_says_whom(world: World):
    await world.register.add_partner(ada, HUBS, "Housing", "public")  # nobody represents it
    card = await world.propose()
    await world.goals.attach_message(card.id, CHANNEL, 321)
    await world.stance(bea, card)
    nudge = await world.nudges.nudge(ada, target(card.id))
    # Council and Forum's representatives; Food Bank has a stance; the Library is an associate
    # (shown, not counted); the citizen doesn't count here.
    assert to(nudge) == {(dev.user_id, "Council"), (cy.user_id, "Forum")}
    assert nudge.organisations == ("Council", "Forum") and nudge.unreachable == ("Housing",)
    assert nudge.people == 0 and not nudge.automatic and nudge.channel_id == CHANNEL
    assert nudge.card_link is not None and nudge.card_link.endswith(f"/{CHANNEL}/321")
    [event] = await nudged(world)
    assert event.actor_id == ada.user_id
    assert event.summary == (
        f"Ada reminded Council and Forum to take a stance on goal #{card.id} "
        "“Every family knows where to go”."
    )
    assert event.payload["organisations"] == ["Council", "Forum"]
    assert event.payload["unreachable"] == ["Housing"] and event.payload["recipients"] == 2
    assert str(dev.user_id) not in str(event.payload)  # people are counted, never named
    # An external export names nobody: organisations and people are counted.
    lens = Lens(Audience.external, None, True, {dev.user_id: "Dev"}, {})
    context = Context(lens, "Family Hubs", lambda _id: None, lambda _id: True)
    assert sentence("goal.nudged", event.payload, context) == (
        f"2 organisations were reminded to take a stance on goal #{card.id} "
        "“Every family knows where to go”."
    )


async def test_substitutes_and_counted_individuals_are_nudged_too(world: World):
    await world.register.configure(ada, HUBS, count_individuals=True)
    card = await world.propose()
    await world.stance(dev, card)
    await world.stance(cy, card)
    nudge = await world.nudges.nudge(ada, target(card.id))
    assert to(nudge) == {
        (bea.user_id, "Food Bank"),
        (eli.user_id, "Food Bank"),
        (fay.user_id, None),
        (ada.user_id, None),  # the convener, in her own capacity, is a voice too
    }
    assert nudge.people == 2 and nudge.organisations == ("Food Bank",)


async def test_only_conveners_nudge_and_outsiders_learn_nothing(world: World):
    card = await world.propose()
    with pytest.raises(Forbidden, match="Only the conveners"):
        await world.nudges.nudge(bea, target(card.id))
    with pytest.raises(NotFound):
        await world.nudges.nudge(hal, target(card.id))
    assert await world.rows(GoalNudgeClaim) == [] and await nudged(world) == []


async def test_goals_not_waiting_for_agreement_are_not_nudged(world: World):
    own = await world.propose("Food Bank's aim", organisation="Food Bank")
    with pytest.raises(UserFacingError, match="“Food Bank's aim” is an organisation-level goal"):
        await world.nudges.nudge(ada, target(own.id))
    dropped = await world.propose("Dropped")
    await world.goals.update(ada, target(dropped.id), status="dropped")
    with pytest.raises(UserFacingError, match="takes no more stances"):
        await world.nudges.nudge(ada, target(dropped.id))
    agreed = await world.propose("Agreed")
    for person in (bea, dev, cy):
        await world.stance(person, agreed)
    with pytest.raises(UserFacingError, match="agreed already"):
        await world.nudges.nudge(ada, target(agreed.id))
    objected = await world.propose("Everyone has a stance")
    for person in (bea, dev):
        await world.stance(person, objected)
    await world.stance(cy, objected, "object")
    with pytest.raises(UserFacingError, match="nobody to nudge"):
        await world.nudges.nudge(ada, target(objected.id))
    await world.register.add_partner(ada, HUBS, "Housing", "public")
    with pytest.raises(UserFacingError, match="nobody represents them"):
        await world.nudges.nudge(ada, target(objected.id))
    assert await world.rows(GoalNudgeClaim) == []


async def test_one_nudge_per_goal_per_day_of_the_partnerships_time_zone(world: World):
    await world.register.configure(ada, HUBS, timezone="Asia/Tokyo")
    card = await world.propose()
    world.clock.at = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 08:30 on the 11th in Tokyo
    await world.nudges.nudge(ada, target(card.id))
    world.clock.at = datetime(2026, 3, 11, 14, 59, tzinfo=UTC)  # 23:59 on the 11th in Tokyo
    with pytest.raises(UserFacingError, match="already nudged today"):
        await world.nudges.nudge(ada, target(card.id))
    world.clock.at = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)  # midnight: the 12th in Tokyo
    await world.nudges.nudge(ada, target(card.id))
    days = sorted(c.day.isoformat() for c in await world.rows(GoalNudgeClaim))
    assert days == ["2026-03-11", "2026-03-12"]
    assert len(await nudged(world)) == 2


async def test_two_conveners_at_once_send_one_nudge(world: World):
    await world.register.add_member(
        ada, HUBS, user_id=hal.user_id, display_name="Hal", convener=True
    )
    card = await world.propose()
    results = await asyncio.gather(
        world.nudges.nudge(ada, target(card.id)),
        world.nudges.nudge(hal, target(card.id)),
        return_exceptions=True,
    )
    sent = [r for r in results if isinstance(r, Nudge)]
    refused = [r for r in results if isinstance(r, UserFacingError)]
    assert len(sent) == 1 and len(refused) == 1, results
    assert "already nudged" in str(refused[0])
    assert len(await world.rows(GoalNudgeClaim)) == 1 and len(await nudged(world)) == 1


# ---- respond_by and the automatic nudge


async def test_respond_by_is_a_date_after_today_kept_on_the_goal(world: World):
    for bad, words in (
        ("2026-03-10", "after today"),
        ("2026-03-01", "after today"),
        ("next week", "YYYY-MM-DD"),
    ):
        with pytest.raises(UserFacingError, match=words):
            await world.propose(respond_by=bad)
    card = await world.propose(respond_by="2026-03-11")
    assert card.goal.respond_by is not None and card.goal.respond_by.isoformat() == "2026-03-11"
    [proposed] = [e for e in await world.rows(Event) if e.kind == "goal.proposed"]
    assert proposed.payload["respond_by"] == "2026-03-11"
    assert [g.respond_by for g in await world.rows(Goal)] == [card.goal.respond_by]


async def test_the_automatic_nudge_goes_once_from_0900_two_days_before(world: World):
    card = await world.propose(respond_by="2026-03-20")
    await world.stance(bea, card)
    world.clock.at = datetime(2026, 3, 18, 8, 59, tzinfo=UTC)  # London is on GMT
    assert await due(world) == []
    world.clock.at = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    [nudge] = await due(world)
    assert nudge.automatic and nudge.goal_id == card.id
    assert to(nudge) == {(dev.user_id, "Council"), (cy.user_id, "Forum")}
    assert nudge.respond_by is not None and nudge.respond_by.isoformat() == "2026-03-20"
    world.clock.tick(minutes=1)
    assert await due(world) == []
    world.clock.at = datetime(2026, 3, 19, 9, 0, tzinfo=UTC)
    assert await due(world) == []  # once, not once a day
    [event] = await nudged(world)
    assert event.actor_id is None and event.payload["automatic"] is True
    assert "reminded automatically" in event.summary and "2026-03-20" in event.summary
    # The convener may still nudge on another day; the automatic one doesn't come back.
    await world.nudges.nudge(ada, target(card.id))
    with pytest.raises(UserFacingError, match="already nudged today"):
        await world.nudges.nudge(ada, target(card.id))


async def test_a_conveners_nudge_that_day_stands_in_for_the_automatic_one(world: World):
    card = await world.propose(respond_by="2026-03-20")
    world.clock.at = datetime(2026, 3, 18, 8, 0, tzinfo=UTC)
    await world.nudges.nudge(ada, target(card.id))
    world.clock.at = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    assert await due(world) == []
    world.clock.at = datetime(2026, 3, 19, 9, 0, tzinfo=UTC)
    assert await due(world) == []
    assert len(await world.rows(GoalNudgeClaim)) == 1


async def test_a_manual_nudge_the_same_day_after_the_automatic_one_is_refused(world: World):
    card = await world.propose(respond_by="2026-03-20")
    world.clock.at = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
    assert len(await due(world)) == 1
    with pytest.raises(UserFacingError, match="already nudged automatically today"):
        await world.nudges.nudge(ada, target(card.id))


async def test_after_downtime_the_automatic_nudge_goes_late_while_its_window_is_open(
    world: World,
):
    late = await world.propose(respond_by="2026-03-20")
    missed = await world.propose("Missed", respond_by="2026-03-19")
    world.clock.at = datetime(2026, 3, 19, 15, 0, tzinfo=UTC)  # the bot was down until now
    nudges = await due(world)
    assert [n.goal_id for n in nudges] == [late.id]  # the other's window ended at midnight
    world.clock.at = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
    assert await due(world) == []
    assert missed.id not in {c.goal_id for c in await world.rows(GoalNudgeClaim)}


async def test_the_automatic_nudge_follows_the_clock_change(world: World):
    card = await world.propose(respond_by="2026-03-31")  # British Summer Time from the 29th
    world.clock.at = datetime(2026, 3, 29, 7, 59, tzinfo=UTC)  # 08:59 BST
    assert await due(world) == []
    world.clock.at = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert [n.goal_id for n in await due(world)] == [card.id]


async def test_two_processes_at_once_send_one_automatic_nudge(world: World):
    card = await world.propose(respond_by="2026-03-20")
    world.clock.at = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    assert [n.goal_id for n in await due(world, engines=2)] == [card.id]
    # Asked again (a timer added twice), the goal is still nudged once.
    assert await world.nudges.nudge_goal(card.id) is None
    assert len(await world.rows(GoalNudgeClaim)) == 1 and len(await nudged(world)) == 1


async def test_no_automatic_nudge_once_agreed_archived_or_nobody_waits(world: World):
    agreed = await world.propose("Agreed", respond_by="2026-03-20")
    for person in (bea, dev, cy):
        await world.stance(person, agreed)
    settled = await world.propose("All have a stance", respond_by="2026-03-20")
    for person in (bea, dev):
        await world.stance(person, settled)
    await world.stance(cy, settled, "object")
    world.clock.at = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    assert await due(world) == []
    waiting = await world.propose("Waiting", respond_by="2026-03-21")
    await world.register.archive(ada, HUBS)
    world.clock.at = datetime(2026, 3, 19, 9, 0, tzinfo=UTC)
    assert await due(world) == []
    assert waiting.id and await world.rows(GoalNudgeClaim) == []
