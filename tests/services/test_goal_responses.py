"""Organisations' and people's goals: responses instead of stances, no agreed state, the fit on
the card; individual-level goals private until shared; the web line of collaboration goals."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.access import PartnershipRef
from bot.services.goals import GoalTarget
from bot.services.goals.lookup import PUBLIC, may_see
from db.engine import SessionFactory
from db.models import Event, Goal, GoalStance
from tests.services.test_goals import (
    HERE,
    Setup,
    citizen,
    convener,
    council,
    council_sub,
    foodbank,
    forum,
    goal,
    world,
)

__all__ = ["world"]  # the fixture, shared with test_goals


async def entries(sessions: SessionFactory, kind: str) -> list[Event]:
    async with sessions() as s:
        return list(
            (await s.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id)))).all()
        )


async def test_organisation_goal_takes_responses_and_is_never_agreed(world: Setup):
    card = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    assert card.takes_responses and card.fit is not None
    assert card.fit.asked == 2 and card.fit.waiting == ("Food Bank", "Parents' Forum")
    assert [o.name for o in card.organisations] == ["Food Bank", "Parents' Forum"]
    first = await world.goals.respond(foodbank, goal(card), "compatible", "Fits our plans")
    assert first.voice.organisation == "Food Bank" and first.previous is None
    second = await world.goals.respond(forum, goal(card), "in_tension")
    fit = second.card.fit
    assert fit is not None
    assert fit.counts == {"compatible": 1, "in_tension": 1, "no_effect": 0, "didnt_know": 0}
    assert fit.waiting == () and fit.responded == 2 and fit.in_tension == 1
    # The latest response per organisation counts; the history is kept.
    again = await world.goals.respond(forum, goal(card), "didnt_know")
    assert again.previous == "in_tension"
    assert again.card.fit is not None and again.card.fit.counts["didnt_know"] == 1
    assert again.card.fit.in_tension == 0
    assert again.card.goal.agreed_at is None and again.card.goal.status == "proposed"
    assert not again.card.tally.met
    # No agreement: stances are refused politely, and a convener can't mark it agreed.
    with pytest.raises(UserFacingError, match="/goal respond"):
        await world.goals.take_stance(foodbank, goal(card), "agree")
    with pytest.raises(UserFacingError, match="/goal respond"):
        await world.goals.standing(foodbank, card.id)
    with pytest.raises(UserFacingError, match="isn't agreed by the partnership"):
        await world.goals.update(convener, goal(card), status="agreed")
    moved = await world.goals.update(convener, goal(card), status="in_progress")
    assert moved.card.goal.status == "in_progress" and moved.card.goal.agreed_at is None
    assert await entries(world.sessions, "goal.agreed") == []
    logged = await entries(world.sessions, "goal.stance")
    assert [e.payload["response"] for e in logged] == ["compatible", "in_tension", "didnt_know"]
    assert logged[0].summary.startswith("Food Bank finds goal #")
    assert "compatible with its own aims, recorded by Cy" in logged[0].summary
    # Review: who hasn't responded, who finds it in tension; never stale or "rule met".
    other = await world.goals.propose(
        foodbank, HERE, title="More volunteers", organisation="Food Bank"
    )
    await world.goals.respond(council, goal(other), "in_tension")
    _p, items = await world.goals.review(convener, HERE)
    [item] = [i for i in items if i.goal_id == other.id]
    kinds = {r.kind: r.names for r in item.reasons}
    assert kinds == {"in_tension": ("Riverside Council",), "awaiting_response": ("Parents' Forum",)}


async def test_owner_does_not_respond_and_only_organisations_do(world: Setup):
    card = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    for owner in (council, council_sub):
        with pytest.raises(UserFacingError, match="Riverside Council's own goal"):
            await world.goals.respond(owner, goal(card), "compatible")
        with pytest.raises(UserFacingError, match="own goal"):
            await world.goals.response_standing(owner, card.id)
    with pytest.raises(UserFacingError, match="come from the partner organisations"):
        await world.goals.respond(citizen, goal(card), "compatible")
    with pytest.raises(UserFacingError, match=r"isn.t a response I know"):
        await world.goals.respond(foodbank, goal(card), "love_it")
    shared = await world.goals.propose(council, HERE, title="Shared data")
    with pytest.raises(UserFacingError, match="/goal endorse"):
        await world.goals.respond(foodbank, goal(shared), "compatible")
    async with world.sessions() as s:
        assert (await s.exec(select(GoalStance))).all() == []


async def test_individual_goal_is_private_until_its_owner_shares_it(world: Setup):
    mine = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    assert not mine.shared and mine.takes_responses
    # Its owner sees it; nobody else does, conveners included, and the log says nothing.
    assert (await world.goals.show(citizen, goal(mine))).id == mine.id
    for other in (convener, council, foodbank):
        with pytest.raises(UserFacingError) as hidden:
            await world.goals.show(other, GoalTarget(str(mine.id)))
        with pytest.raises(UserFacingError) as missing:
            await world.goals.show(other, GoalTarget("999999"))
        assert str(hidden.value) == str(missing.value)
        with pytest.raises(UserFacingError, match=r"can.t find (a|that) goal"):
            await world.goals.show(other, GoalTarget("Be heard", HERE))
        for summary in (False, True):  # /goal list reads plain rows (`load_summary`)
            _p, cards = await world.goals.list_goals(other, HERE, summary=summary)
            assert mine.id not in {c.id for c in cards}
        assert await world.goals.autocomplete(other, HERE, "heard") == []
        with pytest.raises(UserFacingError, match=r"can.t find (a|that) goal"):
            await world.goals.respond(other, GoalTarget(str(mine.id)), "compatible")
        with pytest.raises(UserFacingError, match=r"can.t find (a|that) goal"):
            await world.goals.share(other, GoalTarget(str(mine.id)))
    assert [v for _n, v in await world.goals.autocomplete(citizen, HERE, "heard")] == [str(mine.id)]
    _p, own = await world.goals.list_goals(citizen, HERE, summary=True)
    assert [c.shared for c in own if c.id == mine.id] == [False]  # "only you see it"
    await world.goals.update(citizen, goal(mine), progress=10)
    assert await entries(world.sessions, "goal.proposed") == []
    assert await entries(world.sessions, "goal.updated") == []
    async with world.sessions() as s:
        stored = await s.get(Goal, mine.id)
        assert stored is not None and not may_see(PUBLIC, stored)
    # Shared: everyone sees it, the log records it, and the organisations respond.
    shared = await world.goals.share(citizen, goal(mine))
    assert shared.shared and shared.goal.shared_at is not None
    [event] = await entries(world.sessions, "goal.shared")
    assert event.payload["goal_id"] == mine.id and event.payload["level"] == "individual"
    assert (await world.goals.show(convener, GoalTarget(str(mine.id)))).id == mine.id
    for summary in (False, True):
        _p, cards = await world.goals.list_goals(council, HERE, summary=summary)
        assert mine.id in {c.id for c in cards}
    _p, own = await world.goals.list_goals(citizen, HERE, summary=True)
    assert [c.shared for c in own if c.id == mine.id] == [True]
    with pytest.raises(UserFacingError, match="shared with the partnership already"):
        await world.goals.share(citizen, goal(mine))
    with pytest.raises(UserFacingError, match="your own goal"):
        await world.goals.respond(citizen, goal(mine), "compatible")
    answered = await world.goals.respond(council, goal(mine), "no_effect")
    assert answered.card.fit is not None and answered.card.fit.counts["no_effect"] == 1
    assert answered.card.fit.asked == 3  # no owner organisation: all three respond
    org_goal = await world.goals.propose(council, HERE, title="Ours", level="organisation")
    with pytest.raises(UserFacingError, match="sees it already"):
        await world.goals.share(council, goal(org_goal))


async def test_only_the_owner_shares_and_a_private_goal_is_not_linked(world: Setup):
    mine = await world.goals.propose(convener, HERE, title="Chair well", level="individual")
    other = await world.goals.propose(council, HERE, title="Shared data")
    with pytest.raises(UserFacingError, match="share it with the partnership"):
        await world.goals.link(convener, goal(mine), str(other.id), "contributes_to")
    with pytest.raises(UserFacingError, match="share it with the partnership"):
        await world.goals.link(convener, goal(other), str(mine.id), "contributes_to")
    await world.goals.share(convener, goal(mine))
    linked = await world.goals.link(convener, goal(mine), str(other.id), "contributes_to")
    assert linked.other.id == other.id


async def test_web_line_counts_linked_organisation_goals_and_tension(world: Setup):
    shared = await world.goals.propose(council, HERE, title="Every family knows where to go")
    assert shared.web is not None and shared.web.linked == () and shared.fit is None
    a = await world.goals.propose(council, HERE, title="Cut our waiting list", level="organisation")
    b = await world.goals.propose(foodbank, HERE, title="More volunteers", level="organisation")
    c = await world.goals.propose(forum, HERE, title="Parents heard", level="organisation")
    d = await world.goals.propose(forum, HERE, title="Old aim", level="organisation")
    person = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    await world.goals.share(citizen, goal(person))
    await world.goals.link(convener, goal(a), str(shared.id), "in_tension_with")
    await world.goals.link(convener, goal(b), str(shared.id), "contributes_to")
    await world.goals.link(convener, goal(shared), str(c.id), "contributes_to")  # either way
    await world.goals.link(convener, goal(d), str(shared.id), "part_of")
    await world.goals.link(convener, goal(person), str(shared.id), "contributes_to")
    await world.goals.update(convener, goal(d), status="dropped")  # left out
    card = await world.goals.show(forum, goal(shared))
    assert card.web is not None
    assert card.web.linked == (a.id, b.id, c.id) and card.web.tension == (a.id,)
    # A partner organisation's response in tension puts the linked goal in tension too, and the
    # response redraws the collaboration goal it is linked to.
    result = await world.goals.respond(council, goal(b), "in_tension")
    assert [x.id for x in result.redraw] == [b.id, shared.id]
    assert result.redraw[1].web is not None and result.redraw[1].web.tension == (a.id, b.id)
    # A stance on the collaboration goal reads only its own and its linked goals' stances,
    # and returns the web line a full read draws.
    taken = await world.goals.take_stance(forum, goal(shared), "agree")
    assert taken.card.web == (await world.goals.show(forum, goal(shared))).web
    assert taken.card.web is not None and taken.card.web.tension == (a.id, b.id)
    await world.goals.respond(council, goal(b), "compatible")
    after = await world.goals.show(forum, goal(shared))
    assert after.web is not None and after.web.tension == (a.id,)
    # Organisation goals have the fit, not the web line.
    assert (await world.goals.show(forum, goal(a))).web is None


async def test_stances_recorded_before_responses_stay_in_history_uncounted(world: Setup):
    card = await world.goals.propose(
        council, HERE, title="Cut our waiting list", level="organisation"
    )
    async with world.sessions() as s:
        s.add(
            GoalStance(
                goal_id=card.id,
                organisation_id=card.organisations[0].organisation_id,
                user_id=foodbank.user_id,
                display_name="Cy",
                capacity="representative",
                stance="agree",
            )
        )
        await s.commit()
    before = await world.goals.show(council, goal(card))
    assert before.fit is not None and before.fit.responded == 0
    assert before.fit.waiting == ("Food Bank", "Parents' Forum")
    result = await world.goals.respond(foodbank, goal(card), "compatible")
    assert result.previous == "agree" and result.card.fit is not None
    assert result.card.fit.responded == 1
    async with world.sessions() as s:
        rows = (await s.exec(select(GoalStance).order_by(col(GoalStance.id)))).all()
    assert [r.stance for r in rows] == ["agree", "compatible"]


async def test_autocomplete_partnership_scope_keeps_private_goals_out(world: Setup):
    mine = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    everywhere = await world.goals.autocomplete(convener, PartnershipRef(), "")
    assert str(mine.id) not in {v for _n, v in everywhere}


async def test_respond_by_is_for_collaboration_goals(world: Setup):
    with pytest.raises(UserFacingError, match="leave `respond_by` out"):
        await world.goals.propose(
            council, HERE, title="Ours", level="organisation", respond_by="2099-01-01"
        )
    with pytest.raises(UserFacingError, match="leave `respond_by` out"):
        await world.goals.propose(
            citizen, HERE, title="Mine", level="individual", respond_by="2099-01-01"
        )
    async with world.sessions() as s:
        assert (await s.exec(select(Goal))).all() == []


async def test_a_private_goal_announces_nothing(world: Setup):
    mine = await world.goals.propose(citizen, HERE, title="Be heard", level="individual")
    quiet = await world.goals.update(citizen, goal(mine), progress=30)
    assert quiet.announcement is None
    await world.goals.share(citizen, goal(mine))
    told = await world.goals.update(citizen, goal(mine), progress=50)
    assert told.announcement is not None and told.announcement.progress == (30, 50)
