"""Each organisation's own reading of a goal (Vangen & Huxham 2012) and its own view of its
membership (Huxham & Vangen 2000), on a real database: who may record them, the spread in
counts, the log, and the health signal when a partner sees itself otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import col, select

from bot.errors import Forbidden, NotFound, UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.goals.readings import spread
from bot.services.health import HealthService
from bot.services.register import RegisterService
from bot.services.vocab import (
    STATUS_HELP,
    Capacity,
    PartnerStatus,
    capacity_label,
    status_label,
    status_phrase,
)
from cogs._context import enum_choices
from db.engine import SessionFactory
from db.models import Event, GoalPerception

GUILD = 1000
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
council = Actor(GUILD, 10, "Bea")
foodbank = Actor(GUILD, 11, "Cy")
forum = Actor(GUILD, 12, "Dev")
council_sub = Actor(GUILD, 13, "Eli")
citizen = Actor(GUILD, 14, "Fay")
observer = Actor(GUILD, 15, "Gil")
outsider = Actor(GUILD, 16, "Hal")

ORGS = ("Riverside Council", "Food Bank", "Parents' Forum")
HERE = PartnershipRef(name="Family Hubs")
EXTERNAL = "from an external stakeholder (funder, statutory duty)"


@dataclass
class Setup:
    register: RegisterService
    goals: GoalService
    sessions: SessionFactory
    goal: GoalTarget


@pytest.fixture
async def world(sessions: SessionFactory) -> Setup:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, 5555)
    for org in ORGS:
        await register.add_partner(convener, HERE, org, "voluntary")
    for actor, org in zip((council, foodbank, forum), ORGS, strict=True):
        await register.add_member(
            convener, HERE, user_id=actor.user_id, display_name=actor.display_name, organisation=org
        )
    await register.add_member(
        convener,
        HERE,
        user_id=council_sub.user_id,
        display_name="Eli",
        organisation=ORGS[0],
        capacity="substitute",
    )
    for actor, capacity in ((citizen, "citizen"), (observer, "observer")):
        await register.add_member(
            convener,
            HERE,
            user_id=actor.user_id,
            display_name=actor.display_name,
            capacity=capacity,
        )
    goals = GoalService(sessions)
    card = await goals.propose(convener, HERE, title="Every family knows where to go")
    return Setup(register, goals, sessions, GoalTarget(str(card.id), HERE))


# ---- readings of a goal


async def test_readings_of_two_organisations_and_their_spread(world: Setup):
    first = await world.goals.perceive(
        council, world.goal, origin="external", origin_detail="  a grant condition  "
    )
    assert first.organisation == "Riverside Council"
    assert first.recorded == {"origin": "external"}
    assert first.origin_detail == "a grant condition"
    assert first.card.readings.organisations == 1
    result = await world.goals.perceive(
        foodbank, world.goal, origin="members", relevance="needs_collaboration"
    )
    readings = result.card.readings
    assert readings.organisations == 2
    # Most held first; a tie in the vocabulary's order.
    assert [(r.dimension, r.value, r.organisations) for r in readings.counts()] == [
        ("origin", "members", 1),
        ("origin", "external", 1),
        ("relevance", "needs_collaboration", 1),
    ]
    assert readings.lines() == [
        f"Origin: 1 organisation sees it as from the members, 1 as {EXTERNAL}. "
        "In their words: “a grant condition”.",
        "Relevance: 1 organisation sees it as needing the collaboration.",
    ]
    # The convener's classification is unchanged: it stays the working view.
    shown = await world.goals.show(forum, world.goal)
    assert shown.goal.origin == "members" and shown.readings == readings


async def test_the_latest_reading_of_each_dimension_counts_and_history_is_kept(world: Setup):
    await world.goals.perceive(council, world.goal, origin="members", content="process")
    await world.goals.perceive(council_sub, world.goal, origin="external")
    await world.goals.perceive(foodbank, world.goal, origin="external")
    card = await world.goals.show(forum, world.goal)
    # The substitute spoke for the Council: its origin is now external; its content stays.
    assert [(r.dimension, r.value, r.organisations) for r in card.readings.counts()] == [
        ("origin", "external", 2),
        ("content", "process", 1),
    ]
    assert card.readings.lines()[0] == f"Origin: 2 organisations see it as {EXTERNAL}."
    async with world.sessions() as s:
        rows = (await s.exec(select(GoalPerception).order_by(col(GoalPerception.id)))).all()
        assert [(r.organisation_id is not None, r.origin) for r in rows] == [
            (True, "members"),
            (True, "external"),
            (True, "external"),
        ]
        logged = (await s.exec(select(Event).where(Event.kind == "goal.perceived"))).all()
    assert len(logged) == 3
    assert logged[1].payload["organisation"] == "Riverside Council"
    assert logged[1].payload["origin"] == "external" and logged[1].payload["content"] is None
    assert logged[1].summary.startswith("Riverside Council recorded its own reading of goal #")
    assert "recorded by Eli" in logged[1].summary


async def test_a_former_partners_reading_no_longer_counts(world: Setup):
    await world.goals.perceive(council, world.goal, origin="external")
    await world.goals.perceive(foodbank, world.goal, origin="members")
    await world.register.remove_partner(convener, HERE, "Food Bank")
    card = await world.goals.show(forum, world.goal)
    assert [(r.value, r.organisations) for r in card.readings.counts()] == [("external", 1)]


@pytest.mark.parametrize(
    ("actor", "error", "words"),
    [
        (citizen, Forbidden, "Only an organisation's representative or substitute"),
        (observer, Forbidden, "Only an organisation's representative or substitute"),
        (convener, Forbidden, "Only an organisation's representative or substitute"),
        (outsider, NotFound, "can't find"),
    ],
)
async def test_only_an_organisations_representatives_record_its_reading(
    world: Setup, actor: Actor, error: type[Exception], words: str
):
    with pytest.raises(error, match=words):
        await world.goals.perceive(actor, world.goal, origin="members")
    card = await world.goals.show(council, world.goal)
    assert not card.readings


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({}, "Give at least one of `origin`, `relevance` or `content`"),
        ({"origin_detail": "a funder"}, "give `origin` with it"),
        ({"origin": "aliens"}, "origin"),
        ({"origin": "external", "origin_detail": "x" * 201}, "200"),
    ],
)
async def test_a_reading_needs_a_dimension_and_a_detail_goes_with_an_origin(
    world: Setup, options: dict[str, str], words: str
):
    with pytest.raises(UserFacingError, match=words):
        await world.goals.perceive(council, world.goal, **options)


def test_the_spread_counts_only_current_partners_latest_readings():
    rows = [
        GoalPerception(goal_id=1, organisation_id=1, origin="members", recorded_by=1),
        GoalPerception(goal_id=1, organisation_id=2, origin="members", recorded_by=2),
        GoalPerception(goal_id=1, organisation_id=3, origin="external", recorded_by=3),
        GoalPerception(goal_id=1, organisation_id=9, origin="unknown", recorded_by=9),
    ]
    held = spread(rows, {1, 2, 3})
    assert held.organisations == 3
    assert [(r.value, r.organisations) for r in held.spread["origin"]] == [
        ("members", 2),
        ("external", 1),
    ]
    assert not spread([], {1})


# ---- an organisation's own view of its membership


async def test_self_view_is_recorded_beside_the_record_and_logged(world: Setup):
    view = await world.register.set_self_view(foodbank, HERE, "Food Bank", "associate", "medium")
    assert (view.status, view.self_status, view.self_commitment) == ("core", "associate", "medium")
    assert view.sees_itself_differently
    _, partners = await world.register.list_partners(forum, HERE)
    [food] = [p for p in partners if p.name == "Food Bank"]
    assert (food.status, food.self_status, food.self_commitment) == ("core", "associate", "medium")
    # The substitute speaks for the Council too; the same view twice is refused.
    same = await world.register.set_self_view(council_sub, HERE, "Riverside Council", "core")
    assert not same.sees_itself_differently
    with pytest.raises(UserFacingError, match="already how Riverside Council sees"):
        await world.register.set_self_view(council, HERE, "riverside council", "core")
    async with world.sessions() as s:
        logged = (
            await s.exec(
                select(Event).where(Event.kind == "partner.self_view").order_by(col(Event.id))
            )
        ).all()
    assert [e.payload["self_status"] for e in logged] == ["associate", "core"]
    assert logged[0].summary == (
        "Food Bank sees itself as an associate partner, commitment medium (the conveners' "
        "record says core); recorded by Cy."
    )


@pytest.mark.parametrize(
    ("actor", "organisation", "status", "error", "words"),
    [
        (council, "Food Bank", "core", Forbidden, "Only Food Bank's representative"),
        (convener, "Food Bank", "core", Forbidden, "Only Food Bank's representative"),
        (citizen, "Food Bank", "core", Forbidden, "Only Food Bank's representative"),
        (foodbank, "Food Bank", "former", UserFacingError, "`/partner remove`"),
        (foodbank, "Food Bank", "partner-ish", UserFacingError, "status"),
        (foodbank, "Nowhere Trust", "core", NotFound, "isn't a current partner"),
        (outsider, "Food Bank", "core", NotFound, "can't find"),
    ],
)
async def test_only_an_organisations_representatives_record_its_self_view(
    world: Setup,
    actor: Actor,
    organisation: str,
    status: str,
    error: type[Exception],
    words: str,
):
    with pytest.raises(error, match=words):
        await world.register.set_self_view(actor, HERE, organisation, status)


async def test_a_different_self_view_is_a_health_signal(world: Setup):
    health = HealthService(world.sessions)
    before = await health.health(forum, HERE)
    assert "membership_views" not in {s.key for s in before.signals}
    await world.register.set_self_view(foodbank, HERE, "Food Bank", "core")
    assert "membership_views" not in {s.key for s in (await health.health(forum, HERE)).signals}
    await world.register.set_self_view(forum, HERE, "Parents' Forum", "associate", "low")
    view = await health.health(forum, HERE)
    [signal] = [s for s in view.signals if s.key == "membership_views"]
    assert signal.level == "attention"  # the record says core, the organisation does not
    assert signal.finding.startswith("Partners see their membership differently: 1 organisation")
    assert [(s.name, s.detail) for s in signal.subjects] == [
        ("Parents' Forum", "conveners' record: core; its own view: associate")
    ]
    assert signal.theme == "membership" and "/partner status" in (signal.action or "")
    assert any("own views of their membership" in line for line in view.checked)
    # Associate in the record, observer in its own view: worth watching.
    await world.register.set_partner_status(convener, HERE, "Parents' Forum", "associate")
    await world.register.set_self_view(forum, HERE, "Parents' Forum", "observer")
    [signal] = [
        s for s in (await health.health(forum, HERE)).signals if s.key == "membership_views"
    ]
    assert signal.level == "watch"
    assert signal.subjects[0].detail == (
        "conveners' record: associate; its own view: observing organisation"
    )
    # A partner that leaves and comes back starts without a view of itself.
    await world.register.remove_partner(convener, HERE, "Parents' Forum")
    view_back, _ = await world.register.add_partner(convener, HERE, "Parents' Forum", "voluntary")
    assert view_back.self_status is None


# ---- observer persons and observing organisations


def test_observer_person_and_observing_organisation_read_apart():
    assert capacity_label(Capacity.observer) == "observer (person)"
    assert status_label(PartnerStatus.observer) == "observing organisation"
    assert status_label(PartnerStatus.core) == "core"
    assert status_phrase(PartnerStatus.observer) == "an observing organisation"
    assert status_phrase(PartnerStatus.associate) == "an associate partner"
    assert status_phrase(PartnerStatus.core) == "a core partner"
    statuses = {c.value: c.name for c in enum_choices(PartnerStatus, STATUS_HELP)}
    assert statuses["observer"].startswith("observing organisation: ")
    capacities = {c.value: c.name for c in enum_choices(Capacity)}
    assert capacities["observer"] == "observer (person)"
    assert capacities["representative"] == "representative"
