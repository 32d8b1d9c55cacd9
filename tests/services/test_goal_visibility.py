"""Who sees a goal (a real database, SQLite and PostgreSQL): a goal kept to its organisation,
or to the conveners, is found, listed, offered, reviewed, linked, logged and digested only for
those who may see it, with the same answer as a missing goal for everyone else; sharing it
later posts it; narrowing it takes its message back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import not_
from sqlmodel import col, select

from bot.errors import Forbidden, UserFacingError
from bot.services.access import Actor, PartnershipRef, authorize_by_id
from bot.services.goals import GoalTarget
from bot.services.goals.lookup import Viewer, may_see, viewer_of, visible_clause
from db.models import Goal, Partnership
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
    lia,
    mo,
    obi,
    world,
)

__all__ = ["world"]  # the fixture

SECRET = "Keep our own building open"
CONVENING = "Settle the funding dispute"
# Everyone in Family Hubs who is not Food Bank's: Forum, Council, the Library, a citizen, an
# observer, the convener (in her own capacity) and a Manage Server holder.
OTHERS = (cy, dev, lia, fay, obi, ada, mo)


async def food_banks_own(world: World):
    """Food Bank's goal, seen by Food Bank's people only."""
    world.clock.tick()
    return await world.goals.propose(
        bea, HUBS, title=SECRET, organisation="Food Bank", visibility="organisation"
    )


async def conveners_only(world: World):
    world.clock.tick()
    return await world.goals.propose(ada, HUBS, title=CONVENING, visibility="conveners")


async def refusal(call) -> str:
    with pytest.raises(UserFacingError) as caught:
        await call
    return str(caught.value)


async def listed(world: World, actor: Actor) -> list[str]:
    _p, cards = await world.goals.list_goals(actor, HUBS)
    # `/goal list` reads its goals as plain rows (`load_summary`): the same goals are hidden.
    _p, summary = await world.goals.list_goals(actor, HUBS, summary=True)
    assert [c.id for c in summary] == [c.id for c in cards]
    return [c.goal.title for c in cards]


async def offered(world: World, actor: Actor, typed: str = "") -> list[str]:
    here = await world.goals.autocomplete(actor, HUBS, typed)
    everywhere = await world.goals.autocomplete(actor, PartnershipRef(), typed)
    return [name for name, _value in here + everywhere]


async def reviewed(world: World, actor: Actor) -> list[int]:
    _p, items = await world.goals.review(actor, HUBS, days=1)
    return [item.goal_id for item in items]


# --------------------------------------------------------------------------- organisation only


async def test_an_organisations_own_goal_is_seen_by_its_people_only(world: World):
    card = await food_banks_own(world)
    assert card.goal.visibility == "organisation" and card.owner_organisation == "Food Bank"
    world.clock.tick(days=2)
    for actor in (bea, eli):  # its representative and its substitute
        shown = await world.goals.show(actor, GoalTarget(str(card.id), HUBS))
        assert shown.goal.title == SECRET
        assert SECRET in await listed(world, actor)
        assert any(SECRET in name for name in await offered(world, actor, "keep"))
        assert card.id in await reviewed(world, actor)
    for actor in OTHERS:
        assert SECRET not in await listed(world, actor), actor.display_name
        assert not [n for n in await offered(world, actor) if SECRET in n], actor.display_name
        assert card.id not in await reviewed(world, actor), actor.display_name


async def test_a_goal_you_may_not_see_gets_the_answer_of_a_missing_goal(world: World):
    card = await food_banks_own(world)
    missing_number = 99999
    for actor in OTHERS:
        for ref in (HUBS, PartnershipRef()):
            hidden = await refusal(world.goals.show(actor, GoalTarget(str(card.id), ref)))
            missing = await refusal(world.goals.show(actor, GoalTarget(str(missing_number), ref)))
            assert hidden.replace(str(card.id), "N") == missing.replace(str(missing_number), "N")
        hidden = await refusal(world.goals.show(actor, GoalTarget(SECRET, HUBS)))
        missing = await refusal(world.goals.show(actor, GoalTarget("No such goal", HUBS)))
        assert hidden.replace(SECRET, "T") == missing.replace("No such goal", "T")
        # Nor can they take a stance on it: the answer a missing goal gets.
        for ref in (HUBS, PartnershipRef()):
            hidden = await refusal(
                world.goals.take_stance(actor, GoalTarget(str(card.id), ref), "agree")
            )
            missing = await refusal(
                world.goals.take_stance(actor, GoalTarget(str(missing_number), ref), "agree")
            )
            assert hidden.replace(str(card.id), "N") == missing.replace(str(missing_number), "N")


async def test_only_an_organisations_goal_can_be_kept_to_an_organisation(world: World):
    text = await refusal(
        world.goals.propose(ada, HUBS, title="Everyone's goal", visibility="organisation")
    )
    assert "Only an organisation's goal" in text
    assert await world.rows(Goal) == []


# --------------------------------------------------------------------------- conveners


async def test_a_goal_for_the_conveners_is_seen_by_them_its_owners_and_its_proposer(
    world: World,
):
    card = await conveners_only(world)
    await world.goals.propose(
        dev, HUBS, title="Council's quiet worry", organisation="Council", visibility="conveners"
    )
    for actor in (ada, mo):
        assert {CONVENING, "Council's quiet worry"} <= set(await listed(world, actor))
    assert "Council's quiet worry" in await listed(world, dev)  # its owner and proposer
    assert CONVENING not in await listed(world, dev)
    for actor in (bea, eli, cy, lia, fay, obi):
        assert not {CONVENING, "Council's quiet worry"} & set(await listed(world, actor))
    # Not put to the organisations yet: no nudge, no stance waiting in anyone's /todo.
    text = await refusal(world.nudges.nudge(ada, GoalTarget(str(card.id), HUBS)))
    assert "isn't shared with the whole partnership" in text
    for actor in (bea, cy, dev):
        todo = await world.todo.todo(actor, HUBS)
        assert card.id not in [item.number for item in todo.items if item.kind == "stance"]


async def test_links_and_roll_up_name_no_goal_the_viewer_may_not_see(world: World):
    world.clock.tick()
    whole = await world.goals.propose(ada, HUBS, title="Every family knows where to go")
    part = await conveners_only(world)
    world.clock.tick()
    result = await world.goals.link(ada, GoalTarget(str(part.id), HUBS), str(whole.id), "part_of")
    await world.goals.update(ada, GoalTarget(str(part.id), HUBS), progress=80)
    # The message in the channel (what the whole partnership sees) names no hidden part.
    assert [c.id for c in result.redraw] == [whole.id]
    assert result.redraw[0].links == [] and result.redraw[0].progress is None
    mine = await world.goals.show(ada, GoalTarget(str(whole.id), HUBS))
    assert [link.other_id for link in mine.links] == [part.id] and mine.progress == 80
    theirs = await world.goals.show(cy, GoalTarget(str(whole.id), HUBS))
    assert theirs.links == [] and theirs.progress is None and theirs.parts == 0
    assert await world.goals.posted_cards(whole.goal.partnership_id) == []  # nothing posted


# --------------------------------------------------------------------------- log and digest


async def test_the_log_and_decisions_name_no_goal_the_reader_may_not_see(world: World):
    card = await food_banks_own(world)
    world.clock.tick()
    await world.goals.update(bea, GoalTarget(str(card.id), HUBS), progress=10)
    own = await world.notes.page(bea, HUBS)
    assert any(SECRET in line.summary for line in own.lines)
    for actor in (cy, ada):
        page = await world.notes.page(actor, HUBS)
        assert page.lines and not any(SECRET in line.summary for line in page.lines)
        # Nor can they record a decision about it.
        await refusal(
            world.notes.prepare(actor, HUBS, text="We agree", kind="decision", goal=SECRET)
        )
    # A decision is posted for everyone: it names only a goal the whole partnership sees.
    text = await refusal(
        world.notes.prepare(bea, HUBS, text="We agree", kind="decision", goal=SECRET)
    )
    assert "isn't shared with the whole partnership" in text


async def test_the_digest_leaves_out_goals_the_partnership_does_not_see(world: World):
    await world.register.configure(ada, HUBS, digest="weekly")
    world.clock.tick()
    shared = await world.goals.propose(bea, HUBS, title="Every family knows where to go")
    secret = await food_banks_own(world)
    convening = await conveners_only(world)
    [p] = await world.rows(Partnership)
    digest = await world.digest.digest(p.id, world.clock.now() + timedelta(hours=1))
    assert digest is not None
    assert [g.id for g in digest.new_goals] == [shared.id]
    assert SECRET not in repr(digest) and CONVENING not in repr(digest)
    assert secret.id != convening.id


# --------------------------------------------------------------------------- changing it


async def test_sharing_a_goal_later_posts_it_and_logs_it(world: World):
    card = await food_banks_own(world)
    target = GoalTarget(str(card.id), HUBS)
    # Others can't reach it; conveners can't open up an organisation's own goal.
    await refusal(world.goals.set_visibility(ada, target, "partnership"))
    await refusal(world.goals.set_visibility(cy, target, "partnership"))
    world.clock.tick()
    result = await world.goals.set_visibility(eli, target, "partnership")
    assert (result.before, result.after, result.post, result.unpost) == (
        "organisation",
        "partnership",
        True,
        None,
    )
    assert (await world.goals.show(cy, target)).goal.title == SECRET
    page = await world.notes.page(cy, HUBS)
    assert any("visibility from organisation to partnership" in line.summary for line in page.lines)
    again = await refusal(world.goals.set_visibility(bea, target, "partnership"))
    assert "already seen by the whole partnership" in again


async def test_narrowing_takes_the_posted_message_back(world: World):
    world.clock.tick()
    card = await world.goals.propose(bea, HUBS, title=SECRET, organisation="Food Bank")
    await world.goals.attach_message(card.id, CHANNEL, 777)
    target = GoalTarget(str(card.id), HUBS)
    with pytest.raises(Forbidden):
        await world.goals.set_visibility(cy, target, "conveners")  # not Food Bank's
    with pytest.raises(Forbidden):
        await world.goals.set_visibility(ada, target, "organisation")  # conveners: not so far
    world.clock.tick()
    result = await world.goals.set_visibility(bea, target, "organisation")
    assert result.unpost == (CHANNEL, 777) and not result.post
    [goal] = await world.rows(Goal)
    assert (goal.channel_id, goal.message_id, goal.visibility) == (None, None, "organisation")
    await refusal(world.goals.show(cy, target))
    # A convener moves a goal of the whole collaboration between the partnership and conveners.
    world.clock.tick()
    shared = await world.goals.propose(cy, HUBS, title="Open meetings")
    narrowed = await world.goals.set_visibility(ada, GoalTarget(str(shared.id), HUBS), "conveners")
    assert narrowed.after == "conveners"
    await refusal(world.goals.show(bea, GoalTarget(str(shared.id), HUBS)))
    # Its proposer still sees it, by number and by title.
    assert (await world.goals.show(cy, GoalTarget("Open meetings", HUBS))).id == shared.id


# --------------------------------------------------------------------------- one rule


async def test_the_rule_in_python_and_in_sql_agree(world: World):
    await food_banks_own(world)
    await conveners_only(world)
    await world.goals.propose(dev, HUBS, title="Council's", organisation="Council")
    await world.goals.propose(fay, HUBS, title="Fay's own", level="individual")
    viewers = [Viewer()]
    async with world.sessions() as session:
        [p] = (await session.exec(select(Partnership))).all()
        for actor in (bea, eli, cy, dev, lia, fay, obi, ada, mo):
            access = await authorize_by_id(session, actor, p.id)
            assert access is not None
            viewers.append(viewer_of(access))
        goals = (await session.exec(select(Goal).order_by(col(Goal.id)))).all()
        for viewer in viewers:
            rows = await session.exec(select(Goal.id).where(visible_clause(viewer)))
            assert set(rows.all()) == {g.id for g in goals if may_see(viewer, g)}, viewer
            rows = await session.exec(select(Goal.id).where(not_(visible_clause(viewer))))
            assert set(rows.all()) == {g.id for g in goals if not may_see(viewer, g)}, viewer
