"""Mandate-aware stances on a real database: agreement subject to referral stays pending (and
the goal unagreed) until the organisation confirms it, by the representative who gave it or a
colleague who can commit it; nobody else confirms; in-principle agreement counts and says so;
review lists what awaits confirmation, overdue first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.errors import Forbidden, UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService, GoalTarget
from bot.services.register import RegisterService
from cogs._goal_embeds import agreement_text, goal_embed, org_line, reason_text
from db.engine import SessionFactory
from db.models import Event, Goal, GoalStance

GUILD = 1000
CHANNEL = 5555
HERE = PartnershipRef(name="Family Hubs")
# Winter in Europe/London (UTC+0): local dates are UTC dates.
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

convener = Actor(GUILD, 2, "Ada", manage_channels=True)
bea = Actor(GUILD, 10, "Bea")  # Riverside Council's representative: must refer back
eli = Actor(GUILD, 11, "Eli")  # Riverside Council's substitute: can commit
kim = Actor(GUILD, 12, "Kim")  # Riverside Council's substitute: agree in principle
cy = Actor(GUILD, 13, "Cy")  # Food Bank's representative: agree in principle
dev = Actor(GUILD, 14, "Dev")  # Parents' Forum's representative: no mandate recorded

COUNCIL, FOODBANK, FORUM = "Riverside Council", "Food Bank", "Parents' Forum"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class Setup:
    goals: GoalService
    sessions: SessionFactory
    clock: Clock

    async def propose(self, title: str = "Every family knows where to go") -> int:
        return (await self.goals.propose(dev, HERE, title=title)).id

    async def stance(self, actor: Actor, goal_id: int, stance: str | None, **options):
        return await self.goals.take_stance(
            actor, GoalTarget(str(goal_id), HERE), stance, **options
        )

    async def rows(self, goal_id: int) -> list[GoalStance]:
        async with self.sessions() as s:
            query = (
                select(GoalStance)
                .where(GoalStance.goal_id == goal_id)
                .order_by(col(GoalStance.recorded_at), col(GoalStance.id))
            )
            return list((await s.exec(query)).all())

    async def goal(self, goal_id: int) -> Goal:
        async with self.sessions() as s:
            found = await s.get(Goal, goal_id)
            assert found is not None
            return found


@pytest.fixture
async def world(sessions: SessionFactory) -> Setup:
    clock = Clock(START)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
    for org in (COUNCIL, FOODBANK, FORUM):
        await register.add_partner(convener, HERE, org, "voluntary")
    for actor, org, capacity, mandate in (
        (bea, COUNCIL, "representative", "must_refer_back"),
        (eli, COUNCIL, "substitute", "can_commit"),
        (kim, COUNCIL, "substitute", "agree_in_principle"),
        (cy, FOODBANK, "representative", "agree_in_principle"),
        (dev, FORUM, "representative", None),
    ):
        await register.add_member(
            convener,
            HERE,
            user_id=actor.user_id,
            display_name=actor.display_name,
            organisation=org,
            capacity=capacity,
            mandate=mandate,
        )
    return Setup(GoalService(sessions, clock=clock), sessions, clock)


def line(card, name: str):
    [found] = [o for o in card.organisations if o.name == name]
    return found


# ------------------------------------------------------------------- pending, then confirmed


async def test_agreement_subject_to_referral_is_pending_until_its_giver_confirms(world: Setup):
    goal_id = await world.propose()
    given = await world.stance(
        bea, goal_id, "agree", comment="Cabinet decides", refer_by="2026-12-10"
    )
    assert given.referral == "pending" and given.refer_by.isoformat() == "2026-12-10"
    assert not given.agreed_now
    council = line(given.card, COUNCIL).latest
    assert council.pending and council.stance == "agree"
    assert given.card.tally.supportive == 0 and given.card.tally.pending == 1
    # The other two agree: consensus would be met if the council's agreement counted; it doesn't.
    await world.stance(cy, goal_id, "agree")
    last = await world.stance(dev, goal_id, "agree")
    assert not last.agreed_now and not last.card.agreed and not last.card.tally.met
    assert last.card.tally.supportive == 2 and last.card.tally.voices == 3
    assert (await world.goal(goal_id)).agreed_at is None
    text = org_line(line(last.card, COUNCIL))
    assert "⏳ **Riverside Council**: agree, subject to referral (by 2026-12-10)" in text
    assert "Cabinet decides" in text
    assert "1 subject to referral, awaiting confirmation" in agreement_text(last.card)
    assert "1 awaiting confirmation" in agreement_text(last.card)

    # Bea comes back from cabinet a day later and confirms: that confirmation agrees the goal.
    world.clock.at = START + DAY
    done = await world.stance(bea, goal_id, None, confirm=True)
    assert done.referral == "confirmed" and done.stance == "agree" and done.agreed_now
    assert done.announcement is not None and done.announcement.by_organisation == COUNCIL
    goal = await world.goal(goal_id)
    assert goal.status == "agreed" and goal.agreed_at == START + DAY
    # The history is append-only and readable: the pending row, then the confirmation.
    council_rows = [r for r in await world.rows(goal_id) if r.user_id in (bea.user_id,)]
    assert [(r.referral, r.stance, r.mandate) for r in council_rows] == [
        ("pending", "agree", "must_refer_back"),
        ("confirmed", "agree", "must_refer_back"),
    ]
    confirmed = line(done.card, COUNCIL).latest
    assert not confirmed.pending and confirmed.referral == "confirmed"
    assert confirmed.comment == "Cabinet decides"  # the confirmed stance's comment still shows
    assert "agree, confirmed after referral" in org_line(line(done.card, COUNCIL))
    async with world.sessions() as s:
        entries = list(
            (
                await s.exec(
                    select(Event).where(col(Event.kind).startswith("goal.")).order_by(col(Event.id))
                )
            ).all()
        )
    kinds = [e.kind for e in entries]
    assert kinds == ["goal.proposed", *["goal.stance"] * 4, "goal.agreed"]
    assert entries[1].payload["referral"] == "pending"
    assert entries[1].payload["refer_by"] == "2026-12-10"
    assert "subject to referral" in entries[1].summary
    assert entries[4].payload["referral"] == "confirmed"
    assert entries[4].payload["confirms_stance_id"] == council_rows[0].id
    assert "confirmed after referral" in entries[4].summary
    assert entries[5].payload["stance_id"] == council_rows[1].id
    assert "confirmation after referral" in entries[5].summary


async def test_a_colleague_who_can_commit_confirms_and_the_button_path_confirms_as_given(
    world: Setup,
):
    goal_id = await world.propose()
    await world.stance(bea, goal_id, "reservations", comment="Budget to check")
    await world.stance(cy, goal_id, "agree")
    await world.stance(dev, goal_id, "agree")
    card = await world.goals.show(dev, GoalTarget(str(goal_id), HERE))
    assert "awaiting confirmation" in org_line(line(card, COUNCIL))  # no date given
    done = await world.goals.confirm(eli, goal_id)  # what the Confirm button calls
    assert done.referral == "confirmed" and done.stance == "reservations" and done.agreed_now
    rows = await world.rows(goal_id)
    assert (rows[-1].user_id, rows[-1].referral, rows[-1].mandate) == (
        eli.user_id,
        "confirmed",
        "can_commit",
    )


async def test_others_may_not_confirm_and_there_must_be_something_to_confirm(world: Setup):
    goal_id = await world.propose()
    with pytest.raises(UserFacingError, match="Nothing is awaiting confirmation from Riverside"):
        await world.stance(eli, goal_id, None, confirm=True)
    await world.stance(bea, goal_id, "agree", refer_by="2026-12-01")  # today is allowed
    # A colleague who may only agree in principle can't commit the council.
    with pytest.raises(Forbidden, match="representatives who can commit it"):
        await world.goals.confirm(kim, goal_id)
    # Another organisation's representative has nothing of theirs pending.
    with pytest.raises(UserFacingError, match="Nothing is awaiting confirmation from Parents"):
        await world.goals.confirm(dev, goal_id)
    with pytest.raises(UserFacingError, match="Confirming is for agreement or reservations"):
        await world.stance(eli, goal_id, "object", confirm=True)
    with pytest.raises(UserFacingError, match="leave it out when you confirm"):
        await world.stance(eli, goal_id, None, confirm=True, refer_by="2026-12-20")
    # refer_by only goes with a stance given subject to referral, and not in the past.
    with pytest.raises(UserFacingError, match="leave `refer_by` out"):
        await world.stance(dev, goal_id, "agree", refer_by="2026-12-20")
    with pytest.raises(UserFacingError, match="leave `refer_by` out"):
        await world.stance(bea, goal_id, "object", refer_by="2026-12-20")
    with pytest.raises(UserFacingError, match="can't be before today"):
        await world.stance(bea, goal_id, "agree", refer_by="2026-11-30")
    assert [r.referral for r in await world.rows(goal_id)] == ["pending"]
    # An objection commits nobody: it stands as given, and ends the pending referral.
    objected = await world.stance(bea, goal_id, "object")
    assert objected.referral == "none" and line(objected.card, COUNCIL).latest.stance == "object"
    with pytest.raises(UserFacingError, match="Nothing is awaiting confirmation"):
        await world.goals.confirm(eli, goal_id)


async def test_agreement_in_principle_counts_and_is_labelled(world: Setup):
    goal_id = await world.propose()
    result = await world.stance(cy, goal_id, "agree")
    assert result.referral == "none" and result.card.tally.supportive == 1
    food = line(result.card, FOODBANK).latest
    assert food.in_principle and not food.pending
    assert "✅ **Food Bank**: agree, in principle" in org_line(line(result.card, FOODBANK))
    # Kim, a council substitute who may agree in principle, counts for the council too.
    await world.stance(kim, goal_id, "agree")
    done = await world.stance(dev, goal_id, "agree")
    assert done.agreed_now and done.card.tally.supportive == 3
    assert "Stances: 3 agree · 0 reservations · 0 unsure · 0 object." in agreement_text(done.card)
    embed = goal_embed(done.card).to_dict()
    assert "Congruence" not in str(embed)


async def test_review_lists_pending_referrals_with_dates_overdue_first(world: Setup):
    first = await world.propose("First goal")
    second = await world.propose("Second goal")
    third = await world.propose("Third goal")
    await world.stance(bea, first, "agree", refer_by="2026-12-20")
    await world.stance(bea, second, "agree", refer_by="2026-12-03")
    await world.stance(bea, third, "reservations")
    world.clock.at = START + 5 * DAY  # 2026-12-06: the second goal's referral is overdue
    _p, items = await world.goals.review(dev, HERE)
    assert [i.goal_id for i in items] == [second, first, third]
    reasons = {
        i.goal_id: [reason_text(r) for r in i.reasons if r.kind == "referral_pending"]
        for i in items
    }
    assert reasons[second] == [
        "⏳ Subject to referral, awaiting confirmation: Riverside Council (agree, overdue: by "
        "2026-12-03)"
    ]
    assert reasons[first] == [
        "⏳ Subject to referral, awaiting confirmation: Riverside Council (agree, by 2026-12-20)"
    ]
    assert reasons[third] == [
        "⏳ Subject to referral, awaiting confirmation: Riverside Council (reservations, no "
        "date given)"
    ]
    await world.goals.confirm(bea, second)
    _p, items = await world.goals.review(dev, HERE)
    assert all(
        r.kind != "referral_pending" for i in items if i.goal_id == second for r in i.reasons
    )


# ------------------------------------------------------- the card a stance returns is current


async def test_each_stance_returns_the_card_a_fresh_read_draws(world: Setup):
    """A stance puts itself in the web read before it, instead of reading the web again: the
    card it returns matches the goal read afresh, through changes of mind, a referral and its
    confirmation (with and without a comment of its own)."""
    goal_id = await world.propose()
    steps = [
        (cy, "object", {"comment": "Not yet"}),
        (bea, "agree", {"comment": "Cabinet decides", "refer_by": "2026-12-10"}),
        (cy, "agree", {}),
        (eli, None, {"confirm": True}),
        (dev, "reservations", {}),
        (kim, "agree", {"comment": "Agreed in principle"}),
        (dev, "agree", {}),
    ]
    agreed: list[bool] = []
    for n, (actor, stance, options) in enumerate(steps):
        world.clock.at = START + timedelta(hours=n)
        result = await world.stance(actor, goal_id, stance, **options)
        fresh = await world.goals.show(convener, GoalTarget(str(goal_id), HERE))

        def seen(card):  # type: ignore[no-untyped-def]
            return [
                (o.name, o.latest.stance if o.latest else None, org_line(o))
                for o in card.organisations
            ]

        assert seen(result.card) == seen(fresh), (n, actor.display_name)
        assert result.card.tally == fresh.tally
        assert agreement_text(result.card) == agreement_text(fresh)
        # The card is the stance's: an agreement it brings is logged after it.
        assert result.card.as_of == fresh.as_of - (1 if result.agreed_now else 0)
        agreed.append(result.agreed_now)
    assert agreed.count(True) == 1  # the agreement came on the way, and was checked too
