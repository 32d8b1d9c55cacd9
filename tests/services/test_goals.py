"""Goals on a real database: proposing, stances, agreement rules, links, roll-up, review."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

import bot.services.goals.web as goal_web
from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.goals import GoalService, GoalTarget
from bot.services.register import RegisterService
from cogs._goal_embeds import list_line
from db.engine import SessionFactory
from db.models import Event, Goal, GoalStance, utcnow

GUILD = 1000
OTHER_GUILD = 2000
CHANNEL = 5555

admin = Actor(GUILD, 1, "Olu", manage_guild=True, manage_channels=True)
convener = Actor(GUILD, 2, "Ada", manage_channels=True)
council = Actor(GUILD, 10, "Bea")
foodbank = Actor(GUILD, 11, "Cy")
forum = Actor(GUILD, 12, "Dev")
council_sub = Actor(GUILD, 13, "Eli")
citizen = Actor(GUILD, 14, "Fay")
observer = Actor(GUILD, 15, "Gil")
outsider = Actor(GUILD, 16, "Hal")
stranger = Actor(OTHER_GUILD, 17, "Ivy", manage_guild=True)

ORGS = ("Riverside Council", "Food Bank", "Parents' Forum")
HERE = PartnershipRef(name="Family Hubs")


@dataclass
class Setup:
    register: RegisterService
    goals: GoalService
    sessions: SessionFactory


@pytest.fixture
async def world(sessions: SessionFactory) -> Setup:
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
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
    await register.add_member(
        convener, HERE, user_id=citizen.user_id, display_name="Fay", capacity="citizen"
    )
    await register.add_member(
        convener, HERE, user_id=observer.user_id, display_name="Gil", capacity="observer"
    )
    return Setup(register, GoalService(sessions), sessions)


class Later:
    """A clock running `ahead` of the wall clock."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return utcnow() + self.ahead


def goal(card_or_id) -> GoalTarget:
    goal_id = card_or_id if isinstance(card_or_id, int) else card_or_id.id
    return GoalTarget(str(goal_id), HERE)


async def kinds(sessions: SessionFactory) -> list[str]:
    async with sessions() as s:
        rows = await s.exec(
            select(Event).where(col(Event.kind).startswith("goal.")).order_by(col(Event.id))
        )
        return [e.kind for e in rows.all()]


async def events(sessions: SessionFactory, kind: str) -> list[Event]:
    async with sessions() as s:
        rows = await s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id)))
        return list(rows.all())


def matrix(card) -> dict[str, str]:
    return {
        o.name: ("not yet asked" if o.not_yet_asked else o.latest.stance if o.latest else "not yet")
        for o in card.organisations
    }


# --------------------------------------------------------------------------- proposing


async def test_propose_records_a_proposed_goal_with_an_empty_matrix(world: Setup):
    card = await world.goals.propose(
        council,
        PartnershipRef(where=Where(channel_id=CHANNEL)),
        title="  Every family   knows where to go ",
        description="One front door.\nNo wrong door.",
        content="substantive",
        review_on="2027-01-31",
    )
    g = card.goal
    assert (g.title, g.status, g.level, g.origin, g.progress) == (
        "Every family knows where to go",
        "proposed",
        "collaboration",
        "members",
        None,
    )
    assert g.description == "One front door.\nNo wrong door."
    assert (g.authenticity, g.relevance, g.overtness) == ("unassessed", "unassessed", "explicit")
    assert matrix(card) == {o: "not yet" for o in ORGS}
    assert card.progress is None and card.tally.core == 3 and not card.tally.met
    [event] = await events(world.sessions, "goal.proposed")
    assert event.payload["goal_id"] == g.id and event.payload["review_on"] == "2027-01-31"
    assert "proposed collaboration-level goal #" in event.summary


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"title": "x" * 201}, "limit is 200"),
        ({"title": "   "}, "can't be empty"),
        ({"title": "ok", "description": "d" * 2001}, "limit is 2000"),
        ({"title": "ok", "review_on": "31/01/2027"}, "YYYY-MM-DD"),
        ({"title": "ok", "level": "galactic"}, "isn't a level"),
        ({"title": "ok", "level": "collaboration", "organisation": "Food Bank"}, "Only an"),
        ({"title": "ok", "level": "organisation"}, "needs its organisation"),
        ({"title": "ok", "organisation": "Nobody Ltd"}, "isn't a current partner"),
    ],
)
async def test_bad_proposals_are_refused_and_nothing_changes(world: Setup, options, message):
    with pytest.raises(UserFacingError, match=message):
        await world.goals.propose(convener, HERE, **options)
    async with world.sessions() as s:
        assert (await s.exec(select(Goal))).all() == []
    assert await kinds(world.sessions) == []


async def test_organisation_goals_belong_to_their_organisation(world: Setup):
    own = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    assert own.owner_organisation == "Riverside Council" and own.goal.level == "organisation"
    # Naming the organisation implies the level.
    by_name = await world.goals.propose(
        foodbank, HERE, title="More volunteers", organisation="food bank"
    )
    assert by_name.owner_organisation == "Food Bank"
    with pytest.raises(UserFacingError, match="Only Food Bank's own representatives"):
        await world.goals.propose(council, HERE, title="Theirs", organisation="Food Bank")
    by_convener = await world.goals.propose(
        convener, HERE, title="Minuted for them", organisation="Food Bank"
    )
    assert by_convener.owner_organisation == "Food Bank"
    mine = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    assert mine.goal.owner_user_id == citizen.user_id and mine.owner_organisation is None


async def test_non_members_learn_nothing_and_archived_partnerships_refuse(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared data")
    for actor in (outsider, stranger):
        with pytest.raises(UserFacingError, match="can't find a partnership called"):
            await world.goals.propose(actor, HERE, title="x")
        with pytest.raises(UserFacingError) as hidden:
            await world.goals.show(actor, GoalTarget(str(card.id)))
        with pytest.raises(UserFacingError) as missing:
            await world.goals.show(actor, GoalTarget("999999"))
        assert str(hidden.value) == str(missing.value)
        assert await world.goals.autocomplete(actor, PartnershipRef(), "") == []
    await world.register.archive(convener, HERE)
    with pytest.raises(UserFacingError, match="archived"):
        await world.goals.propose(convener, HERE, title="Late")
    with pytest.raises(UserFacingError, match="archived"):
        await world.goals.take_stance(council, goal(card), "agree")
    # Reading still works.
    assert (await world.goals.show(council, goal(card))).goal.title == "Shared data"


# --------------------------------------------------------------------------- stances and agreement


async def test_a_stance_on_a_title_that_reads_as_a_number_finds_the_goal_of_that_title(
    world: Setup,
):
    await world.goals.propose(council, HERE, title="Shared data")
    card = await world.goals.propose(council, HERE, title="2030")
    assert card.id != 2030
    result = await world.goals.take_stance(foodbank, GoalTarget("2030", HERE), "agree")
    assert result.card.goal.id == card.id
    assert matrix(result.card)["Food Bank"] == "agree"
    with pytest.raises(UserFacingError, match="can't find a goal “2031”"):
        await world.goals.take_stance(foodbank, GoalTarget("2031", HERE), "agree")


async def test_consensus_is_met_by_the_last_core_organisation(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared data")
    first = await world.goals.take_stance(
        council, goal(card), "agree", "Yes, with a data agreement"
    )
    assert first.voice.organisation == "Riverside Council" and first.previous is None
    assert not first.agreed_now and first.card.goal.status == "proposed"
    second = await world.goals.take_stance(foodbank, goal(card), "reservations")
    assert not second.agreed_now and second.card.tally.supportive == 2
    third = await world.goals.take_stance(forum, goal(card), "agree")
    assert third.agreed_now and third.card.goal.status == "agreed"
    assert third.card.goal.agreed_rule == "consensus" and third.card.tally.met
    assert matrix(third.card) == {
        "Riverside Council": "agree",
        "Food Bank": "reservations",
        "Parents' Forum": "agree",
    }
    [agreed] = await events(world.sessions, "goal.agreed")
    assert agreed.payload["by"] == "stance" and agreed.payload["organisation"] == "Parents' Forum"
    assert agreed.payload["supportive"] == 3 and agreed.payload["voices"] == 3
    assert "on Parents' Forum's stance (agree)" in agreed.summary
    assert await kinds(world.sessions) == [
        "goal.proposed",
        "goal.stance",
        "goal.stance",
        "goal.stance",
        "goal.agreed",
    ]
    stances = await events(world.sessions, "goal.stance")
    assert stances[0].summary.startswith("Riverside Council agrees with goal #")
    assert stances[0].payload["comment"] == "Yes, with a data agreement"


async def test_an_objection_blocks_consensus_until_it_changes(world: Setup):
    card = await world.goals.propose(council, HERE, title="Single referral form")
    await world.goals.take_stance(council, goal(card), "agree")
    await world.goals.take_stance(foodbank, goal(card), "object", "Our clients won't use it")
    blocked = await world.goals.take_stance(forum, goal(card), "agree")
    assert not blocked.agreed_now and blocked.card.goal.status == "proposed"
    assert blocked.card.tally.objecting == 1 and blocked.card.tally.supportive == 2
    changed = await world.goals.take_stance(foodbank, goal(card), "reservations")
    assert changed.previous == "object" and changed.agreed_now
    async with world.sessions() as s:
        history = (await s.exec(select(GoalStance).order_by(col(GoalStance.id)))).all()
    assert [h.stance for h in history] == ["agree", "object", "agree", "reservations"]


async def test_majority_needs_more_than_half_of_the_core(world: Setup):
    await world.register.configure(convener, HERE, agreement_rule="majority")
    card = await world.goals.propose(council, HERE, title="Joint training")
    one = await world.goals.take_stance(forum, goal(card), "object")
    assert not one.agreed_now
    two = await world.goals.take_stance(council, goal(card), "agree")
    assert not two.agreed_now and two.card.tally.needed == 2
    three = await world.goals.take_stance(foodbank, goal(card), "reservations")
    assert three.agreed_now and three.card.goal.agreed_rule == "majority"
    assert three.card.tally.objecting == 1


async def test_agreement_is_an_event_and_late_joiners_are_not_yet_asked(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared data")
    for actor in (council, foodbank, forum):
        await world.goals.take_stance(actor, goal(card), "agree")
    later = await world.goals.take_stance(forum, goal(card), "object", "Changed our minds")
    assert later.card.goal.status == "agreed" and not later.agreed_now
    [line] = [o for o in later.card.organisations if o.name == "Parents' Forum"]
    assert line.since_agreement and line.latest and line.latest.stance == "object"
    await world.register.add_partner(convener, HERE, "NHS Trust", "health")
    shown = await world.goals.show(convener, goal(card))
    assert matrix(shown)["NHS Trust"] == "not yet asked"
    assert shown.goal.status == "agreed" and len(await events(world.sessions, "goal.agreed")) == 1
    _p, items = await world.goals.review(convener, HERE)
    [item] = items
    reasons = {r.kind: r for r in item.reasons}
    assert reasons["objection"].names == ("Parents' Forum",)
    assert reasons["since_agreement"].names == ("Parents' Forum (object)",)
    assert reasons["not_yet_asked"].names == ("NHS Trust",)
    assert "stale" not in reasons and "awaiting" not in reasons


async def test_representative_and_substitute_share_one_voice(world: Setup):
    card = await world.goals.propose(council, HERE, title="Co-located staff")
    await world.goals.take_stance(council, goal(card), "object")
    result = await world.goals.take_stance(council_sub, goal(card), "agree")
    assert result.previous == "object" and result.voice.organisation == "Riverside Council"
    assert matrix(result.card)["Riverside Council"] == "agree"
    assert result.card.tally.organisations_with_stance == 1


async def test_people_in_their_own_capacity_count_only_when_the_setting_is_on(world: Setup):
    card = await world.goals.propose(council, HERE, title="Parents shape the hubs")
    heard = await world.goals.take_stance(citizen, goal(card), "object", "Not without us")
    assert not heard.voice.counted and heard.voice.who == "yourself"
    assert [(p.display_name, p.counts) for p in heard.card.people] == [("Fay", False)]
    assert heard.card.tally.objecting == 0  # shown, not counted
    [event] = await events(world.sessions, "goal.stance")
    assert "in their own capacity" in event.summary and "not counted" in event.summary
    for actor in (council, foodbank):
        await world.goals.take_stance(actor, goal(card), "agree")
    await world.register.configure(convener, HERE, count_individuals=True)
    counted = await world.goals.take_stance(forum, goal(card), "agree")
    # Fay objects and Ada (the convener, in her own capacity) hasn't spoken: no consensus.
    assert not counted.agreed_now
    assert counted.card.tally.voices == 5 and counted.card.tally.objecting == 1
    await world.goals.take_stance(citizen, goal(card), "reservations")
    done = await world.goals.take_stance(convener, goal(card), "agree")
    assert done.agreed_now and done.card.tally.supportive == 5


async def test_who_may_take_a_stance(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared data")
    with pytest.raises(UserFacingError, match="Observers"):
        await world.goals.take_stance(observer, goal(card), "agree")
    with pytest.raises(UserFacingError, match="Observers"):
        await world.goals.standing(observer, card.id)
    with pytest.raises(UserFacingError, match="aren't a member"):
        await world.goals.take_stance(admin, goal(card), "agree")
    with pytest.raises(UserFacingError, match="can't find"):
        await world.goals.take_stance(outsider, GoalTarget(str(card.id)), "agree")
    with pytest.raises(UserFacingError, match="isn't a stance"):
        await world.goals.take_stance(council, goal(card), "maybe")
    with pytest.raises(UserFacingError, match="limit is 1000"):
        await world.goals.take_stance(council, goal(card), "agree", "c" * 1001)
    standing = await world.goals.standing(council_sub, card.id)
    assert standing.voice.organisation == "Riverside Council" and standing.title == "Shared data"
    await world.register.remove_partner(convener, HERE, "Food Bank")
    with pytest.raises(UserFacingError, match="no longer a partner"):
        await world.goals.take_stance(foodbank, goal(card), "agree")
    await world.goals.update(convener, goal(card), status="dropped")
    with pytest.raises(UserFacingError, match="dropped, so stances on it are closed"):
        await world.goals.take_stance(council, goal(card), "agree")
    assert await kinds(world.sessions) == ["goal.proposed", "goal.updated"]


async def test_goals_are_found_by_number_or_exact_title(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared Data")
    assert (await world.goals.show(forum, GoalTarget("shared data", HERE))).id == card.id
    assert (await world.goals.show(forum, GoalTarget(f"#{card.id}"))).id == card.id
    in_channel = PartnershipRef(where=Where(channel_id=CHANNEL))
    assert (await world.goals.show(forum, GoalTarget("SHARED DATA", in_channel))).id == card.id
    with pytest.raises(UserFacingError, match="I can't find a goal “Nope” in Family Hubs"):
        await world.goals.show(forum, GoalTarget("Nope", HERE))
    await world.goals.propose(foodbank, HERE, title="shared data")
    with pytest.raises(UserFacingError, match="Several goals"):
        await world.goals.show(forum, GoalTarget("Shared data", HERE))
    with pytest.raises(UserFacingError, match="Which partnership"):
        await world.goals.show(forum, GoalTarget("Shared data"))
    # A goal of another partnership isn't found through this one.
    draft = await world.register.prepare_create(convener, "Housing Board", "Homes")
    await world.register.create(convener, draft, None)
    other = await world.goals.propose(convener, PartnershipRef(name="Housing Board"), title="Homes")
    with pytest.raises(UserFacingError, match="can't find a goal"):
        await world.goals.show(convener, GoalTarget(str(other.id), HERE))


# --------------------------------------------------------------------------- updates and labels


async def test_update_checks_permissions_and_values(world: Setup):
    card = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    with pytest.raises(UserFacingError, match="0 to 100"):
        await world.goals.update(convener, goal(card), progress=101)
    with pytest.raises(UserFacingError, match="0 to 100"):
        await world.goals.update(convener, goal(card), progress=-1)
    with pytest.raises(UserFacingError, match="YYYY-MM-DD"):
        await world.goals.update(convener, goal(card), review_on="next week")
    with pytest.raises(UserFacingError, match="Nothing to change"):
        await world.goals.update(convener, goal(card))
    with pytest.raises(UserFacingError, match="Only the conveners"):
        await world.goals.update(council, goal(card), status="in_progress")
    with pytest.raises(UserFacingError, match="kept by the conveners"):
        await world.goals.update(foodbank, goal(card), progress=10)
    assert await kinds(world.sessions) == ["goal.proposed"]
    # The owner organisation's representatives keep their own goal's progress.
    result = await world.goals.update(
        council, goal(card), progress=40, review_on="2027-03-01", note="Two posts filled"
    )
    assert result.changes["progress"] == (None, 40) and result.note == "Two posts filled"
    [event] = await events(world.sessions, "goal.updated")
    assert event.payload["changes"]["progress"] == {"from": None, "to": 40}
    assert event.payload["changes"]["review_on"] == {"from": None, "to": "2027-03-01"}
    assert event.payload["note"] == "Two posts filled"
    cleared = await world.goals.update(convener, goal(card), review_on="none")
    assert cleared.card.goal.review_on is None
    with pytest.raises(UserFacingError, match="already has those values"):
        await world.goals.update(convener, goal(card), progress=40)
    with pytest.raises(UserFacingError, match="kept by the conveners"):
        await world.goals.update(forum, goal(card), note="A note from elsewhere")
    noted = await world.goals.update(council, goal(card), note="Recruiting a third")
    assert noted.changes == {} and noted.note == "Recruiting a third"
    [*_, note_event] = await events(world.sessions, "goal.updated")
    assert note_event.summary.startswith("Bea added a note to goal #")


async def test_status_agreed_needs_the_rule_and_agreement_is_not_undone(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared data")
    await world.goals.take_stance(council, goal(card), "agree")
    await world.goals.take_stance(foodbank, goal(card), "agree")
    await world.goals.take_stance(forum, goal(card), "object")
    with pytest.raises(UserFacingError, match="isn't agreed yet"):
        await world.goals.update(convener, goal(card), status="agreed")
    # The objecting organisation leaves: the rule is met, and the review list says so.
    await world.register.remove_partner(convener, HERE, "Parents' Forum")
    _p, items = await world.goals.review(convener, HERE)
    assert "rule_met" in {r.kind for r in items[0].reasons}
    result = await world.goals.update(convener, goal(card), status="agreed")
    assert result.card.goal.agreed_at is not None
    [agreed] = await events(world.sessions, "goal.agreed")
    assert agreed.payload["by"] == "convener"
    with pytest.raises(UserFacingError, match="isn't undone"):
        await world.goals.update(convener, goal(card), status="proposed")
    with pytest.raises(UserFacingError, match="agreed as it is worded"):
        await world.goals.update(convener, goal(card), title="Different")
    progressing = await world.goals.update(convener, goal(card), status="in_progress")
    assert progressing.card.goal.status == "in_progress"


async def test_rewording_before_agreement(world: Setup):
    card = await world.goals.propose(council, HERE, title="Shared dta")
    with pytest.raises(UserFacingError, match="reword"):
        await world.goals.update(foodbank, goal(card), title="Shared data")
    result = await world.goals.update(council, goal(card), title="Shared data", description="Why")
    assert result.card.goal.title == "Shared data" and result.card.goal.description == "Why"
    assert (await world.goals.show(forum, GoalTarget("shared data", HERE))).id == card.id


async def test_only_owners_label_their_goal_pseudo_or_hidden(world: Setup):
    theirs = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    for actor in (foodbank, convener, admin):
        with pytest.raises(UserFacingError, match="Nobody labels another organisation's goal"):
            await world.goals.classify(actor, goal(theirs), authenticity="pseudo")
        with pytest.raises(UserFacingError, match="Nobody labels"):
            await world.goals.classify(actor, goal(theirs), overtness="hidden")
    with pytest.raises(UserFacingError, match="dimensions are set by"):
        await world.goals.classify(foodbank, goal(theirs), relevance="achievable_alone")
    neutral = await world.goals.classify(convener, goal(theirs), relevance="achievable_alone")
    assert neutral.changes == {"relevance": ("unassessed", "achievable_alone")}
    own = await world.goals.classify(council_sub, goal(theirs), authenticity="pseudo")
    assert own.card.goal.authenticity == "pseudo"
    shared = await world.goals.propose(council, HERE, title="Better outcomes")
    labelled = await world.goals.classify(convener, goal(shared), overtness="unstated")
    assert labelled.card.goal.overtness == "unstated"
    with pytest.raises(UserFacingError, match="dimensions are set by"):
        await world.goals.classify(council, goal(shared), overtness="hidden")
    personal = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    await world.goals.share(citizen, goal(personal))
    with pytest.raises(UserFacingError, match="the person whose goal it is"):
        await world.goals.classify(convener, goal(personal), authenticity="pseudo")
    assert (await world.goals.classify(citizen, goal(personal), overtness="hidden")).changes
    updated = await events(world.sessions, "goal.updated")
    assert updated[0].payload["changes"] == {
        "relevance": {"from": "unassessed", "to": "achievable_alone"}
    }


# --------------------------------------------------------------------------- links and roll-up


async def test_links_refuse_self_duplicates_and_cycles(world: Setup):
    a = await world.goals.propose(council, HERE, title="Fewer families in crisis")
    b = await world.goals.propose(council, HERE, title="Early help in every hub")
    c = await world.goals.propose(council, HERE, title="Trained hub staff")
    with pytest.raises(UserFacingError, match="Only the conveners"):
        await world.goals.link(council, goal(b), str(a.id), "part_of")
    with pytest.raises(UserFacingError, match="linked to itself"):
        await world.goals.link(convener, goal(a), str(a.id), "part_of")
    linked = await world.goals.link(convener, goal(b), str(a.id), "part_of")
    assert [(lv.words, lv.other_id) for lv in linked.card.links] == [("is part of", a.id)]
    assert [(lv.words, lv.other_id) for lv in linked.other.links] == [("has part", b.id)]
    await world.goals.link(convener, goal(c), "early help in every hub", "contributes_to")
    with pytest.raises(UserFacingError, match="already is part of"):
        await world.goals.link(convener, goal(b), str(a.id), "part_of")
    with pytest.raises(UserFacingError, match="loop"):
        await world.goals.link(convener, goal(a), str(b.id), "part_of")
    with pytest.raises(UserFacingError, match="loop"):  # through c → b → a, mixed relations
        await world.goals.link(convener, goal(a), str(c.id), "contributes_to")
    await world.goals.link(convener, goal(a), str(c.id), "in_tension_with")
    with pytest.raises(UserFacingError, match="already is in tension with"):
        await world.goals.link(convener, goal(c), str(a.id), "in_tension_with")
    with pytest.raises(UserFacingError, match="can't find a goal"):
        await world.goals.link(convener, goal(a), "No such goal", "part_of")
    removed = await world.goals.unlink(convener, goal(c), str(a.id), "in_tension_with")
    assert removed.card.links == [
        lv for lv in removed.card.links if lv.relation != "in_tension_with"
    ]
    with pytest.raises(UserFacingError, match="isn't linked"):
        await world.goals.unlink(convener, goal(c), str(a.id), "in_tension_with")
    assert await kinds(world.sessions) == [
        *["goal.proposed"] * 3,
        "goal.linked",
        "goal.linked",
        "goal.linked",
        "goal.unlinked",
    ]
    [first, *_] = await events(world.sessions, "goal.linked")
    assert first.payload == {
        "goal_id": b.id,
        "title": "Early help in every hub",
        "relation": "part_of",
        "other_id": a.id,
        "other_title": "Fewer families in crisis",
    }


async def test_progress_rolls_up_from_parts(world: Setup):
    whole = await world.goals.propose(council, HERE, title="Family hubs open")
    parts = [await world.goals.propose(council, HERE, title=f"Hub {n}") for n in range(1, 5)]
    for part in parts:
        await world.goals.link(convener, goal(part), str(whole.id), "part_of")
    assert (await world.goals.show(council, goal(whole))).progress is None
    await world.goals.update(convener, goal(parts[0]), progress=20)
    result = await world.goals.update(convener, goal(parts[1]), progress=60)
    assert set(result.touched) == {parts[1].id, whole.id}
    card = await world.goals.show(council, goal(whole))
    assert (card.progress, card.rolled_up, card.parts) == (40, True, 4)
    # Dropped parts leave the mean; parts of parts roll up too.
    await world.goals.update(convener, goal(parts[1]), status="dropped")
    sub = await world.goals.propose(council, HERE, title="Hub 3 staff")
    await world.goals.link(convener, goal(sub), str(parts[2].id), "part_of")
    await world.goals.update(convener, goal(sub), progress=80)
    card = await world.goals.show(council, goal(whole))
    assert card.progress == 50  # mean of 20 and 80
    # Its own progress wins over its parts'.
    await world.goals.update(convener, goal(whole), progress=10)
    card = await world.goals.show(council, goal(whole))
    assert (card.progress, card.rolled_up) == (10, False)


# --------------------------------------------------------------------------- lists and review


async def test_list_filters_and_autocomplete(world: Setup):
    a = await world.goals.propose(council, HERE, title="Shared data")
    b = await world.goals.propose(council, HERE, title="Cut our waiting list", level="organisation")
    await world.goals.update(convener, goal(b), status="dropped")
    _p, every = await world.goals.list_goals(forum, HERE)
    assert [c.id for c in every] == [a.id, b.id]
    _p, dropped = await world.goals.list_goals(forum, HERE, status="dropped")
    assert [c.id for c in dropped] == [b.id]
    _p, orgs = await world.goals.list_goals(forum, HERE, level="organisation")
    assert [c.id for c in orgs] == [b.id]
    # The list's own reading (no readings, comments or log mark) draws the same lines.
    await world.goals.take_stance(council, goal(a), "reservations", "Only with consent")
    _p, full = await world.goals.list_goals(forum, HERE)
    _p, summary = await world.goals.list_goals(forum, HERE, summary=True)
    assert [list_line(c) for c in summary] == [list_line(c) for c in full]
    assert "1/3 in favour" in list_line(summary[0])
    choices = await world.goals.autocomplete(forum, HERE, "")
    assert choices == [
        (f"#{a.id} Shared data", str(a.id)),
        (f"#{b.id} Cut our waiting list (dropped)", str(b.id)),
    ]
    assert await world.goals.autocomplete(forum, HERE, "wait") == [choices[1]]
    # Outside any partnership channel: goals of every partnership the person belongs to.
    anywhere = await world.goals.autocomplete(forum, PartnershipRef(), "shared")
    assert anywhere == [(f"#{a.id} Shared data · Family Hubs", str(a.id))]
    # By the co-production phase a goal concerns, in the full reading and the list's own.
    c = await world.goals.propose(council, HERE, title="Co-design the hub", phase="design")
    for summary in (False, True):
        _p, design = await world.goals.list_goals(forum, HERE, phase="Design", summary=summary)
        assert [card.id for card in design] == [c.id]
        _p, none = await world.goals.list_goals(forum, HERE, phase="delivery", summary=summary)
        assert none == []
    with pytest.raises(UserFacingError, match="co-production phase"):
        await world.goals.list_goals(forum, HERE, phase="someday")
    await world.goals.update(convener, goal(c), status="dropped")
    _p, both = await world.goals.list_goals(forum, HERE, status="dropped", phase="design")
    assert [card.id for card in both] == [c.id]


async def test_review_lists_what_needs_attention(world: Setup):
    quiet = await world.goals.propose(council, HERE, title="Quiet goal")
    due = await world.goals.propose(council, HERE, title="Due goal", review_on="2020-01-01")
    done = await world.goals.propose(council, HERE, title="Done goal")
    await world.goals.update(convener, goal(done), status="achieved")
    await world.goals.take_stance(council, goal(quiet), "agree")
    await world.goals.take_stance(foodbank, goal(quiet), "object")
    _p, items = await world.goals.review(forum, HERE)
    by_goal = {i.goal_id: {r.kind: r for r in i.reasons} for i in items}
    assert set(by_goal) == {quiet.id, due.id}  # achieved goals need no attention
    assert by_goal[quiet.id]["awaiting"].names == ("Parents' Forum",)
    assert by_goal[quiet.id]["objection"].names == ("Food Bank",)
    assert by_goal[due.id]["review_due"].day.isoformat() == "2020-01-01"
    assert "stale" not in by_goal[quiet.id]
    month_later = GoalService(world.sessions, clock=Later(timedelta(days=31)))
    _p, later = await month_later.review(forum, HERE, days=30)
    assert all("stale" in {r.kind for r in i.reasons} for i in later)
    _p, sooner = await month_later.review(forum, HERE, days=60)
    assert not any("stale" in {r.kind for r in i.reasons} for i in sooner)
    with pytest.raises(UserFacingError, match="can't find a partnership"):
        await world.goals.review(outsider, HERE)


async def test_simultaneous_last_stances_agree_the_goal_once(world: Setup, monkeypatch):
    card = await world.goals.propose(council, HERE, title="Shared data")
    await world.goals.attach_message(card.id, CHANNEL, 4242)
    await world.goals.take_stance(council, goal(card), "agree")
    load_web = goal_web.load_web
    arrived: list[int] = []
    both = asyncio.Event()

    async def slow_load_web(*args, **kwargs):
        # Both would read the stances before either commits: without the partnership's lock
        # (PostgreSQL; SQLite's writers queue) each would miss the other's stance, and the
        # goal would never be agreed.
        web = await load_web(*args, **kwargs)
        arrived.append(1)
        if len(arrived) >= 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), 0.5)
        return web

    monkeypatch.setattr(goal_web, "load_web", slow_load_web)
    results = await asyncio.gather(
        world.goals.take_stance(foodbank, goal(card), "agree"),
        world.goals.take_stance(forum, goal(card), "agree"),
    )
    assert sorted(r.agreed_now for r in results) == [False, True]
    [agreed] = await events(world.sessions, "goal.agreed")
    assert agreed.message_link == f"https://discord.com/channels/{GUILD}/{CHANNEL}/4242"
    assert all(e.message_link for e in await events(world.sessions, "goal.stance"))


async def test_a_posted_message_is_attached_only_once_a_stance_under_way_is_done(
    world: Setup, monkeypatch
):
    """A stance locks only its partnership, not its goal: `attach_message`, the one write to
    a goal that does not pass the gate, takes the partnership's lock too, and waits."""
    card = await world.goals.propose(council, HERE, title="Shared data")
    load_web = goal_web.load_web
    inside, release = asyncio.Event(), asyncio.Event()

    async def paused_load_web(*args, **kwargs):
        web = await load_web(*args, **kwargs)
        inside.set()
        await release.wait()
        return web

    monkeypatch.setattr(goal_web, "load_web", paused_load_web)
    stance = asyncio.create_task(world.goals.take_stance(foodbank, goal(card), "agree"))
    await asyncio.wait_for(inside.wait(), 10)
    attach = asyncio.create_task(world.goals.attach_message(card.id, CHANNEL, 4242))
    await asyncio.sleep(0.3)
    assert not attach.done()  # waiting for the stance's transaction
    release.set()
    result = await stance
    await attach
    assert result.stance == "agree"
    async with world.sessions() as session:
        stored = await session.get(Goal, card.id)
        assert stored is not None and stored.message_id == 4242
