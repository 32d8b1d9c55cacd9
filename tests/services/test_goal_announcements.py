"""What changes to a goal announce (a real database, SQLite and PostgreSQL): agreement by a
stance or by a convener, a new status, new progress; nothing else, and nothing at all when the
partnership turned announcements off or has no channel."""

from __future__ import annotations

from sqlmodel import select

from bot.services.goals import GoalTarget
from db.models import Event
from tests.services.daily_world import (
    CHANNEL,
    GUILD,
    HUBS,
    World,
    ada,
    bea,
    cy,
    dev,
    world,
)

__all__ = ["world"]  # the fixture


async def test_the_stance_that_agrees_a_goal_announces_it_and_no_other_does(world: World):
    card = await world.propose()
    await world.goals.attach_message(card.id, CHANNEL, 321)
    first = await world.stance(bea, card)
    second = await world.stance(dev, card, "reservations")
    assert first.announcement is None and second.announcement is None
    third = await world.stance(cy, card)
    a = third.announcement
    assert a is not None and third.agreed_now
    assert a.agreed and a.rule == "consensus" and (a.supportive, a.voices) == (3, 3)
    assert a.by_organisation == "Forum" and a.status is None and a.progress is None
    assert a.channel_id == CHANNEL and a.guild_id == GUILD and a.goal_id == card.id
    assert a.card_link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/321"
    # A later stance on an agreed goal announces nothing.
    again = await world.stance(bea, card, "reservations")
    assert again.announcement is None


async def test_status_and_progress_changes_are_announced_other_changes_are_not(world: World):
    card = await world.propose()
    target = GoalTarget(str(card.id), HUBS)
    both = await world.goals.update(ada, target, status="in_progress", progress=40)
    a = both.announcement
    assert a is not None and not a.agreed
    assert a.status == ("proposed", "in_progress") and a.progress == (None, 40)
    assert a.card_link is None  # never posted: the line goes without a link
    progress = await world.goals.update(ada, target, progress=60)
    assert progress.announcement is not None and progress.announcement.progress == (40, 60)
    assert progress.announcement.status is None
    quiet = await world.goals.update(ada, target, review_on="2026-06-01", note="Looked at it")
    assert quiet.announcement is None
    reworded = await world.goals.update(ada, target, title="Every family knows")
    assert reworded.announcement is None


async def test_a_convener_marking_a_goal_agreed_announces_the_agreement(world: World):
    card = await world.propose()
    await world.stance(bea, card)
    await world.stance(dev, card)
    objection = await world.stance(cy, card, "object")
    assert objection.announcement is None and not objection.agreed_now
    # Under the majority rule two of three voices meet it, but nobody has taken a stance
    # since: a convener marks the goal agreed.
    await world.register.configure(ada, HUBS, agreement_rule="majority")
    result = await world.goals.update(ada, GoalTarget(str(card.id), HUBS), status="agreed")
    a = result.announcement
    assert a is not None and a.agreed and a.rule == "majority"
    assert a.status is None  # "agreed" says it: no separate status change
    assert (a.supportive, a.voices) == (2, 3) and a.by_organisation is None


async def test_no_announcement_when_turned_off_or_without_a_channel(world: World):
    partnership, changes = await world.register.configure(ada, HUBS, announcements=False)
    assert changes == {"announcements": (True, False)} and not partnership.announcements
    card = await world.propose()
    target = GoalTarget(str(card.id), HUBS)
    assert (await world.goals.update(ada, target, progress=10)).announcement is None
    for person in (bea, dev):
        await world.stance(person, card)
    agreed = await world.stance(cy, card)
    assert agreed.agreed_now and agreed.announcement is None
    await world.register.configure(ada, HUBS, announcements=True)
    assert (await world.goals.update(ada, target, progress=20)).announcement is not None
    async with world.sessions() as session:
        logged = [
            e.payload
            for e in (await session.exec(select(Event))).all()
            if e.kind == "partnership.configured"
        ]
    assert {"announcements": {"from": True, "to": False}} in logged
