"""`/goal list`, `/partnership info`, a stance on a goal given by number and a check-in send the
reads they made last time with the gate's (`AheadPlans`): one trip fewer once they know the
partnership, and never anything but what they would have shown without the guess, whoever asks
and whatever changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bot.errors import UserFacingError
from bot.services.access import Actor, AheadPlans, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.register import RegisterService
from bot.services.trust import TrustService, answering
from bot.services.trust.answers import CheckinAnswers
from db.engine import SessionFactory, transaction
from db.postgres_driver import is_combined
from tests.statements import count_trips, statements_run

GUILD = 3000
convener = Actor(GUILD, 2, "Ada", manage_guild=True)
rep = Actor(GUILD, 10, "Rep")
outsider = Actor(GUILD, 99, "Olu")
HERE = PartnershipRef(name="Family Hubs")


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions sent to aiosqlite's thread, by name."""
    return count_trips(monkeypatch)


async def _partnership(
    register: RegisterService, name: str, goals: GoalService, *titles: str
) -> None:
    ref = PartnershipRef(name=name)
    draft = await register.prepare_create(convener, name, "Joined-up early help")
    await register.create(convener, draft, abs(hash(name)) % 10_000)
    await register.add_partner(convener, ref, "Riverside Council", "public", status="core")
    await register.add_member(
        convener, ref, user_id=rep.user_id, display_name="Rep", organisation="Riverside Council"
    )
    for title in titles:
        await goals.propose(rep, ref, title=title)


def _titles(listed: tuple[Any, list[Any]]) -> list[str]:
    return [card.goal.title for card in listed[1]]


@pytest.fixture
async def world(sessions: SessionFactory) -> tuple[RegisterService, GoalService]:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    goals = GoalService(sessions)
    await _partnership(register, "Family Hubs", goals, "Early help", "One front door")
    return register, goals


def _is_sqlite(sessions: SessionFactory) -> bool:
    return sessions.kw["bind"].dialect.name == "sqlite"


async def test_a_list_once_known_is_one_trip_and_the_same_list(
    world: tuple[RegisterService, GoalService], sessions: SessionFactory, trips: list[str]
) -> None:
    _register, goals = world
    first = await goals.list_goals(rep, HERE, summary=True)
    trips.clear()
    again = await goals.list_goals(rep, HERE, summary=True)
    assert again[1] == first[1] and _titles(again) == ["Early help", "One front door"]
    if _is_sqlite(sessions):
        assert trips == ["_run_ahead"]  # the gate, the goals, partners, stances and the end


async def test_a_guess_that_no_longer_holds_shows_what_is_there_now(
    world: tuple[RegisterService, GoalService], sessions: SessionFactory, trips: list[str]
) -> None:
    register, goals = world
    await goals.list_goals(rep, HERE, summary=True)  # the plan: Family Hubs's reads
    # A setting that changes what a list reads (people in their own capacity counted).
    await register.configure(convener, HERE, count_individuals=True)
    trips.clear()
    assert _titles(await goals.list_goals(rep, HERE, summary=True)) == [
        "Early help",
        "One front door",
    ]
    if _is_sqlite(sessions):
        assert trips == ["_run_ahead", "_run_ahead"]  # the guess, then the reads it lacked
    # Another partnership under the name the plan was made for.
    async with transaction(sessions) as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE partnership SET name = 'Old Hubs', name_key = 'old hubs'")
        )
    await _partnership(register, "Family Hubs", goals, "A new start")
    assert _titles(await goals.list_goals(rep, HERE, summary=True)) == ["A new start"]
    old = PartnershipRef(name="Old Hubs")
    assert _titles(await goals.list_goals(rep, old, summary=True)) == [
        "Early help",
        "One front door",
    ]


async def test_someone_outside_learns_nothing_however_often_members_list(
    world: tuple[RegisterService, GoalService],
) -> None:
    _register, goals = world
    missing = PartnershipRef(name="No Such Hubs")
    with pytest.raises(UserFacingError) as unknown:
        await goals.list_goals(outsider, missing, summary=True)
    await goals.list_goals(rep, HERE, summary=True)  # a plan for Family Hubs
    with pytest.raises(UserFacingError) as refused:
        await goals.list_goals(outsider, HERE, summary=True)
    assert str(refused.value) == str(unknown.value).replace("No Such Hubs", "Family Hubs")


async def test_info_once_known_is_one_trip_and_the_same_info(
    world: tuple[RegisterService, GoalService], sessions: SessionFactory, trips: list[str]
) -> None:
    register, _goals = world
    first = await register.info(rep, HERE)
    trips.clear()
    again = await register.info(rep, HERE)
    assert (again.partners, again.members, again.checklist) == (
        first.partners,
        first.members,
        first.checklist,
    )
    if _is_sqlite(sessions):
        assert trips == ["_run_ahead"]
    with pytest.raises(UserFacingError):
        await register.info(outsider, HERE)


async def test_a_stance_by_number_once_known_makes_two_trips_fewer(
    world: tuple[RegisterService, GoalService], sessions: SessionFactory, trips: list[str]
) -> None:
    register, goals = world
    _p, cards = await goals.list_goals(rep, HERE, summary=True)
    target = GoalTarget(str(cards[0].goal.id), HERE)
    await register.add_partner(convener, HERE, "Food Bank", "voluntary", status="core")
    trips.clear()
    await goals.take_stance(rep, target, "reservations")  # no plan yet
    first = list(trips)
    trips.clear()
    result = await goals.take_stance(rep, target, "agree")
    assert result.previous == "reservations" and not result.agreed_now
    if _is_sqlite(sessions):
        # The gate's read, the web's first reads and those of the goals near this one: one trip.
        assert trips[0] == "_run_ahead" and len(trips) == len(first) - 2, (first, trips)
    # A setting that changes what the web reads: the stance is taken all the same.
    await register.configure(convener, HERE, count_individuals=True)
    result = await goals.take_stance(rep, target, "reservations")
    assert result.previous == "agree"
    with pytest.raises(UserFacingError):
        await goals.take_stance(outsider, target, "agree")


async def test_a_stance_planned_before_a_new_link_reads_the_linked_goal_too(
    world: tuple[RegisterService, GoalService], sessions: SessionFactory
) -> None:
    """The plan holds the reads of the goals near the goal as they were (itself alone); once
    it is linked to another, the web reads both, and the card shows the link."""
    _register, goals = world
    _p, cards = await goals.list_goals(rep, HERE, summary=True)
    first, second = (card.goal for card in cards)
    target = GoalTarget(str(first.id), HERE)
    await goals.take_stance(rep, target, "reservations")  # planned: this goal alone
    await goals.link(convener, GoalTarget(str(first.id), HERE), str(second.id), "contributes_to")
    result = await goals.take_stance(rep, target, "agree")
    assert result.previous == "reservations"
    assert [(link.other_id, link.other_title) for link in result.card.links] == [
        (second.id, second.title)
    ]
    again = await goals.take_stance(rep, target, "reservations")  # planned with the link
    assert again.previous == "agree" and len(again.card.links) == 1


async def test_a_checkin_once_known_reads_the_open_round_with_the_gate(
    world: tuple[RegisterService, GoalService],
    sessions: SessionFactory,
    trips: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trust = TrustService(sessions)
    first_round = await trust.open_round(convener, HERE)
    answers = CheckinAnswers(expectations=4, follow_through=3)
    await trust.checkin(rep, HERE, answers)
    monkeypatch.setattr(answering, "_CHECKIN_PLANS", AheadPlans())  # forgotten
    trips.clear()
    await trust.checkin(rep, HERE, answers)  # no plan: the same answer replaced
    first = list(trips)
    trips.clear()
    with statements_run(sessions) as seen:
        again = await trust.checkin(rep, HERE, answers)
    assert (again.round_id, again.replaced) == (first_round.round_id, True)
    if _is_sqlite(sessions):
        # The gate's read and the open round's in one trip.
        assert trips[0] == "_run_ahead" and len(trips) == len(first) - 1
    else:
        # Under the partnership's lock, the membership and the open round in one statement.
        together = [s for s in seen if is_combined(s)]
        assert len(together) == 1 and "FROM membership" in together[0], seen
        assert "FROM trust_round" in together[0]
    # A guess that no longer holds: the round closed and another opened.
    await trust.close_round(convener, HERE)
    second_round = await trust.open_round(convener, HERE)
    answered = await trust.checkin(rep, HERE, answers)
    assert (answered.round_id, answered.replaced) == (second_round.round_id, False)
    with pytest.raises(UserFacingError) as refused:
        await trust.checkin(outsider, HERE, answers)
    with pytest.raises(UserFacingError) as unknown:
        await trust.checkin(outsider, PartnershipRef(name="No Such Hubs"), answers)
    assert str(refused.value) == str(unknown.value).replace("No Such Hubs", "Family Hubs")
