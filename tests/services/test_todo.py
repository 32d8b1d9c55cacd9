"""`/todo` on a real database (SQLite and PostgreSQL): each kind of item appears when something
waits for the person and disappears once it is settled; the scope follows where it is asked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import NotFound
from bot.services.access import PartnershipRef, Where
from bot.services.goals import GoalTarget
from bot.services.todo import TodoKind, TodoList
from bot.services.trust import CheckinAnswers
from tests.services.daily_world import (
    CHANNEL,
    ELSEWHERE,
    GUILD,
    HUBS,
    IN_CHANNEL,
    OTHER_CHANNEL,
    World,
    ada,
    bea,
    cy,
    dev,
    eli,
    fay,
    hal,
    lia,
    mo,
    obi,
    world,
)

__all__ = ["world"]  # the fixture


def numbers(todo: TodoList, kind: str) -> list[int]:
    return [item.number for item in todo.of(kind)]


async def test_a_goal_waits_for_each_counted_voice_until_it_takes_a_stance(world: World):
    card = await world.propose(respond_by="2026-03-20")
    own_goal = await world.propose("Food Bank's own aim", organisation="Food Bank")
    for person in (bea, eli, cy, dev):
        assert numbers(await world.todo.todo(person, HUBS), TodoKind.stance) == [card.id]
    [item] = (await world.todo.todo(bea, HUBS)).of(TodoKind.stance)
    assert item.organisation == "Food Bank" and item.title == card.goal.title
    assert item.due is not None and item.due.isoformat() == "2026-03-20"
    assert own_goal.id not in numbers(await world.todo.todo(bea, HUBS), TodoKind.stance)
    # Associates, citizens (while individuals don't count), observers and the convener in her
    # own capacity are shown, not counted: nothing waits for them.
    for person in (lia, fay, obi, ada):
        assert (await world.todo.todo(person, HUBS)).of(TodoKind.stance) == []

    # The substitute settles it for the whole organisation.
    await world.stance(eli, card, "reservations")
    for person in (bea, eli):
        assert (await world.todo.todo(person, HUBS)).of(TodoKind.stance) == []
    assert numbers(await world.todo.todo(cy, HUBS), TodoKind.stance) == [card.id]

    # Counting individuals makes the citizen (and the convener) a voice.
    await world.register.configure(ada, HUBS, count_individuals=True)
    assert numbers(await world.todo.todo(fay, HUBS), TodoKind.stance) == [card.id]
    await world.stance(fay, card)
    assert (await world.todo.todo(fay, HUBS)).of(TodoKind.stance) == []

    # Once agreed, nothing waits any more, for anyone.
    await world.register.configure(ada, HUBS, agreement_rule="majority")
    await world.stance(cy, card)
    assert (await world.todo.todo(dev, HUBS)).of(TodoKind.stance) == []


async def test_an_organisations_goal_waits_for_each_other_organisations_response(world: World):
    own = await world.propose("Food Bank's own aim", organisation="Food Bank")
    for person in (cy, dev):
        assert numbers(await world.todo.todo(person, HUBS), TodoKind.response) == [own.id]
    [item] = (await world.todo.todo(dev, HUBS)).of(TodoKind.response)
    assert item.organisation == "Council" and item.title == "Food Bank's own aim"
    # The owner never responds to its own goal; people speaking for no organisation, and
    # observers, give no response; none of it is a stance.
    for person in (bea, eli, fay, obi, ada):
        assert (await world.todo.todo(person, HUBS)).of(TodoKind.response) == []
    assert own.id not in numbers(await world.todo.todo(cy, HUBS), TodoKind.stance)

    # Forum's response settles it for Forum; the Council still owes one.
    await world.goals.respond(cy, GoalTarget(str(own.id), HUBS), "compatible")
    assert (await world.todo.todo(cy, HUBS)).of(TodoKind.response) == []
    assert numbers(await world.todo.todo(dev, HUBS), TodoKind.response) == [own.id]

    # Once closed, nothing waits any more.
    await world.goals.update(ada, GoalTarget(str(own.id), HUBS), status="dropped")
    assert (await world.todo.todo(dev, HUBS)).of(TodoKind.response) == []


async def test_a_persons_goal_waits_for_responses_only_once_shared(world: World):
    await world.register.configure(ada, HUBS, count_individuals=True)
    mine = await world.goals.propose(fay, HUBS, title="Fay's own aim", level="individual")
    assert (await world.todo.todo(dev, HUBS)).of(TodoKind.response) == []  # not shared yet
    await world.goals.share(fay, GoalTarget(str(mine.id), HUBS))
    for person in (bea, cy, dev):
        assert numbers(await world.todo.todo(person, HUBS), TodoKind.response) == [mine.id]
    assert (await world.todo.todo(fay, HUBS)).of(TodoKind.response) == []  # her own


async def test_a_closed_goal_waits_for_nobody(world: World):
    card = await world.propose()
    await world.goals.update(ada, GoalTarget(str(card.id), HUBS), status="dropped")
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.stance) == []


async def test_a_prompt_waits_for_fourteen_days_until_answered(world: World):
    post_id = await world.post_prompt()
    for person in (bea, fay, obi, ada):
        [item] = (await world.todo.todo(person, HUBS)).of(TodoKind.prompt)
        assert item.number == post_id
        assert item.link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/900"
    await world.reflection.answer(bea, post_id, "More joint visits")
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.prompt) == []
    await world.reflection.answer(bea, post_id, "More joint visits, monthly")  # replaced
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.prompt) == []
    await world.reflection.withdraw(bea, post_id)  # waiting again
    assert numbers(await world.todo.todo(bea, HUBS), TodoKind.prompt) == [post_id]
    assert numbers(await world.todo.todo(fay, HUBS), TodoKind.prompt) == [post_id]
    world.clock.tick(days=14, seconds=1)
    assert (await world.todo.todo(fay, HUBS)).of(TodoKind.prompt) == []


async def test_a_prompt_not_yet_delivered_waits_for_nobody(world: World):
    await world.reflection.prepare_now(ada, HUBS)
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.prompt) == []


async def test_the_open_check_in_waits_for_those_it_asked(world: World):
    opened = await world.trust.open_round(ada, HUBS, window="2d")
    [item] = (await world.todo.todo(bea, HUBS)).of(TodoKind.trust)
    assert item.number == opened.round_id and item.closes_at == opened.closes_at
    assert (await world.todo.todo(obi, HUBS)).of(TodoKind.trust) == []  # observers don't answer
    await world.trust.checkin(bea, HUBS, CheckinAnswers(expectations=4))
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.trust) == []
    assert len((await world.todo.todo(cy, HUBS)).of(TodoKind.trust)) == 1
    # Someone who joins after it opened answers from the next round.
    await world.register.add_member(
        ada, HUBS, user_id=hal.user_id, display_name="Hal", organisation="Council"
    )
    assert (await world.todo.todo(hal, HUBS)).of(TodoKind.trust) == []
    # Past its window (even before the close job ran) or closed, nothing waits.
    world.clock.tick(days=2, seconds=1)
    assert (await world.todo.todo(cy, HUBS)).of(TodoKind.trust) == []


async def test_a_closed_round_waits_for_nobody(world: World):
    await world.trust.open_round(ada, HUBS)
    await world.trust.close_round(ada, HUBS)
    assert (await world.todo.todo(cy, HUBS)).of(TodoKind.trust) == []


async def test_an_owned_action_waits_open_then_overdue_until_closed(world: World):
    first = await world.action(bea, "2026-03-12", "Book the room **now**")
    later = await world.action(bea, "2026-03-11", "Send the minutes")
    await world.action(cy, "2026-03-11")
    todo = await world.todo.todo(bea, HUBS)
    assert numbers(todo, TodoKind.action) == [later, first]  # soonest due first
    [_, item] = todo.of(TodoKind.action)
    assert item.title == "Book the room **now**" and not item.overdue
    assert item.link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/4242"
    world.clock.at += timedelta(days=2)  # 2026-03-12 noon: the first is due today
    overdue = {i.number: i.overdue for i in (await world.todo.todo(bea, HUBS)).of("action")}
    assert overdue == {later: True, first: False}
    await world.notes.close_action(bea, HUBS, str(later))
    assert numbers(await world.todo.todo(bea, HUBS), TodoKind.action) == [first]
    # A convener closing it settles it too.
    await world.notes.close_action(ada, HUBS, str(first))
    assert (await world.todo.todo(bea, HUBS)).of(TodoKind.action) == []


async def test_a_removed_action_text_shows_its_marker(world: World):
    action = await world.action(bea, "2026-03-12", "Call Mrs Smith about her debts")
    await world.notes.redact(ada, HUBS, str(action))
    [item] = (await world.todo.todo(bea, HUBS)).of(TodoKind.action)
    assert "Mrs Smith" not in item.title and "removed" in item.title


async def test_the_scope_follows_where_it_is_asked(world: World):
    draft = await world.register.prepare_create(ada, "Youth Hub", "After-school clubs")
    await world.register.create(ada, draft, OTHER_CHANNEL)
    youth = PartnershipRef(name="Youth Hub")
    await world.register.add_partner(ada, youth, "Food Bank", "voluntary")
    await world.register.add_member(
        ada, youth, user_id=bea.user_id, display_name="Bea", organisation="Food Bank"
    )
    here = await world.propose()
    world.clock.tick()
    there = await world.goals.propose(bea, youth, title="Clubs every day")

    everywhere = await world.todo.todo(bea, ELSEWHERE)
    assert everywhere.partnership is None and everywhere.partnerships == 2
    assert {(i.partnership, i.number) for i in everywhere.of(TodoKind.stance)} == {
        ("Family Hubs", here.id),
        ("Youth Hub", there.id),
    }
    in_channel = await world.todo.todo(bea, IN_CHANNEL)
    assert in_channel.partnership == "Family Hubs"
    assert numbers(in_channel, TodoKind.stance) == [here.id]
    in_thread = await world.todo.todo(
        bea, PartnershipRef(where=Where(channel_id=777, parent_id=OTHER_CHANNEL))
    )
    assert numbers(in_thread, TodoKind.stance) == [there.id]
    named = await world.todo.todo(bea, PartnershipRef(name="youth hub", where=Where(CHANNEL)))
    assert named.partnership == "Youth Hub"

    # An archived partnership holds nothing to do.
    await world.register.archive(ada, youth)
    everywhere = await world.todo.todo(bea, ELSEWHERE)
    assert everywhere.partnerships == 1
    assert {i.partnership for i in everywhere.items} == {"Family Hubs"}
    archived = await world.todo.todo(bea, youth)
    assert archived.archived and archived.items == []


async def test_outsiders_learn_nothing_and_managers_have_nothing_waiting(world: World):
    await world.propose()
    with pytest.raises(NotFound):
        await world.todo.todo(hal, IN_CHANNEL)
    with pytest.raises(NotFound):
        await world.todo.todo(hal, HUBS)
    nothing = await world.todo.todo(hal, ELSEWHERE)
    assert nothing.partnerships == 0 and nothing.items == []
    # A server manager who is not a member may look, but nothing there is theirs.
    managed = await world.todo.todo(mo, HUBS)
    assert not managed.member and managed.items == []
    assert (await world.todo.todo(mo, ELSEWHERE)).partnerships == 0
