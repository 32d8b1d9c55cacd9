"""The health view on a real database: a partnership built through the real services with a
clock the test moves; each signal raised, and not raised, at the edge of its threshold; trust
signals only over enough organisations; non-members refused."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.errors import NotFound
from bot.prompts import THEMES
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.goals import GoalService, GoalTarget
from bot.services.health import HealthService, HealthSignal, HealthView, Subject
from bot.services.health import vocab as v
from bot.services.notes import NoteService
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory

GUILD = 1000
CHANNEL = 5555
HUBS = PartnershipRef(name="Family Hubs")
# Winter in Europe/London (UTC+0): local dates are UTC dates, through every window below.
START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

convener = Actor(GUILD, 2, "Ada", manage_channels=True)  # created it: individual, convener
council = Actor(GUILD, 10, "Bea")
foodbank = Actor(GUILD, 11, "Cy")
forum = Actor(GUILD, 12, "Dev")
outsider = Actor(GUILD, 99, "Hal")
manager = Actor(GUILD, 98, "Mo", manage_guild=True)  # Manage Server, not a member
REPS = {council: "Council", foodbank: "Food Bank", forum: "Parents' Forum"}
_messages = itertools.count(9000)


def midnight(day: date) -> datetime:
    """The start of a local day (Europe/London is UTC+0 in these months)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class World:
    clock: Clock
    register: RegisterService
    goals: GoalService
    notes: NoteService
    reflection: ReflectionService
    trust: TrustService
    health_service: HealthService
    people: dict[str, Actor] = field(default_factory=dict)

    async def health(self, actor: Actor = council) -> HealthView:
        return await self.health_service.health(actor, HUBS)

    async def signals(self, actor: Actor = council) -> dict[str, HealthSignal]:
        return {s.key: s for s in (await self.health(actor)).signals}

    def at(self, moment: datetime) -> None:
        self.clock.at = moment

    async def person(self, name: str, organisation: str | None = None, **options) -> Actor:
        actor = Actor(GUILD, 200 + len(self.people), name)
        await self.register.add_member(
            convener,
            HUBS,
            user_id=actor.user_id,
            display_name=name,
            organisation=organisation,
            **options,
        )
        self.people[name] = actor
        return actor

    async def propose(self, title: str, actor: Actor = convener, **options) -> int:
        return (await self.goals.propose(actor, HUBS, title=title, **options)).id

    async def stance(self, actor: Actor, goal_id: int, stance: str) -> None:
        await self.goals.take_stance(actor, GoalTarget.by_id(goal_id), stance)

    async def note(self, actor: Actor = council, **options) -> int:
        draft = await self.notes.prepare(actor, HUBS, **options)
        result = await self.notes.record(
            actor, draft, channel_id=CHANNEL, message_id=next(_messages)
        )
        return result.event_id

    async def answer(self, actor: Actor, text: str = "We kept our word.") -> None:
        draft = await self.reflection.prepare_now(convener, HUBS, visibility="named")
        posted = await self.reflection.mark_posted(
            draft.post_id, channel_id=CHANNEL, message_id=next(_messages), actor_name="Ada"
        )
        await self.reflection.answer(actor, posted.post_id, text)

    async def trust_round(self, answers: dict[Actor, CheckinAnswers]) -> None:
        await self.trust.open_round(convener, HUBS)
        for actor, answer in answers.items():
            await self.trust.checkin(actor, HUBS, answer)
        await self.trust.close_round(convener, HUBS)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    clock = Clock(START)
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    await register.create(convener, draft, CHANNEL)
    for org in REPS.values():
        await register.add_partner(convener, HUBS, org, "voluntary")
    for actor, org in REPS.items():
        await register.add_member(
            convener, HUBS, user_id=actor.user_id, display_name=actor.display_name, organisation=org
        )
    return World(
        clock,
        register,
        GoalService(sessions, clock=clock),
        NoteService(sessions, clock=clock),
        ReflectionService(sessions, clock=clock),
        TrustService(sessions, clock=clock),
        HealthService(sessions, clock=clock),
    )


# --------------------------------------------------------------------------- the whole view


async def test_a_healthy_partnership_has_nothing_to_discuss_and_says_what_was_checked(
    world: World,
):
    view = await world.health()
    assert view.healthy and view.signals == [] and view.attention == 0
    assert view.partnership_name == "Family Hubs" and view.today == START.date()
    checked = "\n".join(view.checked)
    for words in (
        "not agreed",
        "objections",
        "trust check-in signals (no round has closed yet)",
        "actions past their due date (0 open)",
        "3 core or associate partners",
        "the last 60 days against the 60 before",
        "people who left in the last 90 days (0), against the 4 members now",
        "small wins logged in the last 60 days (from when the partnership is 60 days old)",
    ):
        assert words in checked, words
    # The chart's data: six months, one series a partner, nothing yet.
    months = view.participation.months
    assert len(months) == 6 and months[-1] == START.date().replace(day=1)
    assert months[0].isoformat() == "2026-06-01"
    assert set(view.participation.counts) == set(REPS.values())
    assert view.participation.total == 0


async def test_members_and_server_managers_may_read_it_and_nobody_else(world: World):
    await world.health(forum)
    assert (await world.health_service.health(manager, HUBS)).partnership_name == "Family Hubs"
    with pytest.raises(NotFound) as refused:
        await world.health(outsider)
    with pytest.raises(NotFound) as missing:
        await world.health_service.health(outsider, PartnershipRef(name="No Such Thing"))
    assert str(refused.value).replace("Family Hubs", "X") == str(missing.value).replace(
        "No Such Thing", "X"
    )
    in_channel = PartnershipRef(where=Where(channel_id=CHANNEL))
    assert (await world.health_service.health(council, in_channel)).partnership_name
    with pytest.raises(NotFound, match="not a member"):
        await world.health_service.health(outsider, in_channel)


# --------------------------------------------------------------------------- goals


async def test_collaboration_goals_long_unagreed_from_30_days_and_attention_from_90(
    world: World,
):
    stale = await world.propose("Every family knows where to go")
    await world.propose("Council's own target", council, organisation="Council")
    agreed = await world.propose("One front door")
    for actor in REPS:
        await world.stance(actor, agreed, "agree")
    dropped = await world.propose("Dropped idea")
    await world.goals.update(convener, GoalTarget.by_id(dropped), status="dropped")

    world.at(START + 30 * DAY - SECOND)
    assert "goals_unagreed" not in await world.signals()
    world.at(START + 30 * DAY)
    signal = (await world.signals())["goals_unagreed"]
    assert signal.level == "watch" and signal.theme == "goals"
    assert signal.finding == (
        "1 collaboration goal was proposed 30 or more days ago and is still not agreed."
    )
    assert signal.subjects == (
        Subject(name="Every family knows where to go", number=stale, detail="proposed 30 days ago"),
    )
    world.at(START + 90 * DAY - SECOND)
    assert (await world.signals())["goals_unagreed"].level == "watch"
    world.at(START + 90 * DAY)
    assert (await world.signals())["goals_unagreed"].level == "attention"


async def test_an_objection_is_attention_until_the_latest_stance_changes(world: World):
    goal = await world.propose("Share case notes")
    await world.stance(foodbank, goal, "object")
    signal = (await world.signals())["objections"]
    assert signal.level == "attention" and signal.theme == "goals"
    assert signal.finding == "1 open goal has an objection as a partner's latest stance."
    assert signal.subjects == (
        Subject(name="Share case notes", number=goal, names=("Food Bank",), detail="objecting"),
    )
    citizen = await world.person("Fay", capacity="citizen")
    await world.stance(citizen, goal, "object")
    [subject] = (await world.signals())["objections"].subjects
    assert subject.detail == "objecting, as does 1 person in their own capacity"
    await world.stance(foodbank, goal, "reservations")
    [subject] = (await world.signals())["objections"].subjects
    assert subject.names == () and subject.detail == "1 person in their own capacity objecting"
    await world.stance(citizen, goal, "unsure")
    assert "objections" not in await world.signals()
    # A closed goal's objection is no longer a signal.
    await world.stance(forum, goal, "object")
    assert "objections" in await world.signals()
    await world.goals.update(convener, GoalTarget.by_id(goal), status="dropped")
    assert "objections" not in await world.signals()


# --------------------------------------------------------------------------- trust


def checkin(follow_through: int, small_win: bool | None = None) -> CheckinAnswers:
    return CheckinAnswers(
        expectations=4, follow_through=follow_through, reliance=4, fair_say=4, small_win=small_win
    )


async def test_trust_signals_are_the_summarys_over_enough_organisations(world: World):
    await world.trust_round({actor: checkin(4, True) for actor in REPS})
    assert not [k for k in await world.signals() if k.startswith("trust.")]
    await world.trust_round({actor: checkin(3, True) for actor in REPS})
    summary = await world.trust.summary(council, HUBS)
    assert [s.key for s in summary.signals] == ["follow_through_drop"]
    signal = (await world.signals())["trust.follow_through_drop"]
    assert signal.level == "attention" and signal.theme == "trust"
    assert signal.finding.startswith("Trust check-ins: ") and "fell by 1.0 points" in signal.finding
    assert signal.finding.endswith("since the round before.")
    assert signal.action and "commitments" in signal.action
    assert signal.subjects == ()
    assert not any(name in signal.finding for name in REPS.values())


async def test_below_the_threshold_a_drop_raises_no_trust_signal(world: World):
    two = [council, foodbank]  # k is 3 organisations
    await world.trust_round({actor: checkin(5, False) for actor in two})
    await world.trust_round({actor: checkin(1, False) for actor in two})
    await world.trust_round({actor: checkin(1, False) for actor in two})
    assert (await world.trust.summary(council, HUBS)).signals == []
    view = await world.health()
    assert not [s for s in view.signals if s.key.startswith("trust.")]
    assert "over the last 3 closed rounds (0 with enough answers to show)" in "\n".join(
        view.checked
    )


# --------------------------------------------------------------------------- actions


async def test_an_overdue_action_is_watch_then_attention_after_14_days(world: World):
    due = START.date()
    action = await world.note(
        council, text="Book the room", kind="action", owner_id=foodbank.user_id, due=due.isoformat()
    )
    await world.note(
        council,
        text="Later",
        kind="action",
        owner_id=forum.user_id,
        due=(due + 30 * DAY).isoformat(),
    )
    world.at(midnight(due + DAY) - SECOND)
    assert "actions_overdue" not in await world.signals()  # due today is not overdue
    world.at(midnight(due + DAY))
    signal = (await world.signals())["actions_overdue"]
    assert signal.level == "watch" and signal.theme == "trust"
    assert signal.finding == "1 action is past its due date and not done."
    assert signal.subjects == (
        Subject(
            number=action, owner_id=foodbank.user_id, detail=f"due {due.isoformat()}, 1 day overdue"
        ),
    )
    world.at(midnight(due + 14 * DAY) - SECOND)
    assert (await world.signals())["actions_overdue"].level == "watch"
    world.at(midnight(due + 14 * DAY))
    signal = (await world.signals())["actions_overdue"]
    assert signal.level == "attention" and "14 days overdue" in signal.subjects[0].detail
    await world.notes.close_action(foodbank, HUBS, str(action))
    assert "actions_overdue" not in await world.signals()


# --------------------------------------------------------------------------- membership


async def test_partners_without_a_representative_or_substitute(world: World):
    await world.register.add_partner(convener, HUBS, "Library", "public", "associate")
    signal = (await world.signals())["unrepresented"]
    assert signal.level == "watch" and signal.theme == "membership"
    assert signal.subjects == (Subject(name="Library", detail="associate partner"),)
    await world.register.add_partner(convener, HUBS, "Housing", "public")
    await world.register.add_partner(convener, HUBS, "Watchers", "other", "observer")
    await world.person("Obi", "Library", capacity="observer")  # an observer speaks for nobody
    signal = (await world.signals())["unrepresented"]
    assert signal.level == "attention"
    assert [s.name for s in signal.subjects] == ["Housing", "Library"]
    assert signal.finding.startswith("2 partner organisations have no active representative")
    await world.person("Sam", "Housing", capacity="substitute")
    signal = (await world.signals())["unrepresented"]
    assert signal.level == "watch" and [s.name for s in signal.subjects] == ["Library"]
    await world.person("Lu", "Library")
    assert "unrepresented" not in await world.signals()
    await world.register.remove_member(convener, HUBS, user_id=forum.user_id)
    assert [s.name for s in (await world.signals())["unrepresented"].subjects] == ["Parents' Forum"]


async def test_representatives_who_must_refer_back_from_half_the_core_partners(world: World):
    """The share of core partners whose every representative and substitute must refer back,
    over the core partners that have any: watch from `REFER_BACK_SHARE`."""
    assert v.REFER_BACK_SHARE == 0.5
    await world.register.update_member(
        convener, HUBS, user_id=council.user_id, mandate="must_refer_back"
    )
    assert "refer_back" not in await world.signals()  # 1 of 3: below half
    await world.person("Sam", "Food Bank", mandate="must_refer_back", capacity="substitute")
    await world.register.update_member(
        convener, HUBS, user_id=foodbank.user_id, mandate="must_refer_back"
    )
    signal = (await world.signals())["refer_back"]  # 2 of 3
    assert signal.level == "watch" and signal.theme == "membership" and signal.action
    assert "refer_by" in signal.action and "/goal review" in signal.action
    assert signal.finding.startswith("2 of 3 core partners (67%) can agree to goals only")
    assert signal.subjects == (
        Subject(name="Council", detail="its representative must refer back"),
        Subject(name="Food Bank", detail="all 2 of its representatives must refer back"),
    )
    # A colleague who can commit means the food bank's agreement needn't wait on a referral.
    await world.person("Lu", "Food Bank", mandate="can_commit")
    assert "refer_back" not in await world.signals()  # 1 of 3
    # Parents' Forum, with nobody left to speak for it, is left out of the share: 1 of 2.
    await world.register.remove_member(convener, HUBS, user_id=forum.user_id)
    signal = (await world.signals())["refer_back"]
    assert signal.finding.startswith("1 of 2 core partners (50%)")
    assert [s.name for s in signal.subjects] == ["Council"]
    await world.register.update_member(
        convener, HUBS, user_id=council.user_id, mandate="can_commit"
    )
    assert "refer_back" not in await world.signals()


async def test_churn_from_a_quarter_of_the_members_within_90_days(world: World):
    extra = [await world.person(f"P{n}") for n in range(6)]  # 10 members
    world.at(START + DAY)
    for person in extra[:2]:
        await world.register.remove_member(convener, HUBS, user_id=person.user_id)
    signal = (await world.signals())["churn"]  # 2 left, 8 now: 25 %
    assert signal.level == "watch" and signal.theme == "membership" and signal.subjects == ()
    assert signal.finding == "2 people left in the last 90 days, against 8 members now (25%)."
    newcomer = await world.person("New")
    assert "churn" not in await world.signals()  # 2 of 9: 22 %
    for person in (*extra[2:5], newcomer):
        await world.register.remove_member(convener, HUBS, user_id=person.user_id)
    assert (await world.signals())["churn"].level == "attention"  # 6 left, 5 now
    for person in extra[:3]:  # coming back is not churn
        await world.register.add_member(
            convener, HUBS, user_id=person.user_id, display_name=person.display_name
        )
    signal = (await world.signals())["churn"]  # 3 left, 8 now
    assert signal.level == "watch" and signal.finding.startswith("3 people left")
    world.at(START + DAY + 90 * DAY)
    assert "churn" in await world.signals()
    world.at(START + DAY + 90 * DAY + SECOND)
    assert "churn" not in await world.signals()


async def test_one_departure_is_never_churn(world: World):
    leaver = await world.person("Solo")
    await world.register.remove_member(convener, HUBS, user_id=leaver.user_id)
    await world.register.remove_member(convener, HUBS, user_id=forum.user_id)
    await world.register.remove_member(convener, HUBS, user_id=foodbank.user_id)
    assert (await world.signals())["churn"].level == "attention"  # 3 left, 2 now
    await world.register.add_member(
        convener, HUBS, user_id=forum.user_id, display_name="Dev", organisation="Parents' Forum"
    )
    await world.register.add_member(
        convener, HUBS, user_id=foodbank.user_id, display_name="Cy", organisation="Food Bank"
    )
    assert "churn" not in await world.signals()  # 1 left, of 4: under the minimum of 2


# --------------------------------------------------------------------------- participation


async def contribute(world: World, actor: Actor, goal: int, stances: int, answers: int) -> None:
    for n in range(stances):
        await world.stance(actor, goal, ("unsure", "reservations")[n % 2])
    for _ in range(answers):
        await world.answer(actor)


async def test_falling_participation_per_organisation(world: World):
    goal = await world.propose("Shared data")
    world.at(START + DAY)
    await contribute(world, foodbank, goal, stances=2, answers=2)  # 4 before
    await contribute(world, forum, goal, stances=3, answers=0)  # 3 before, then none
    await contribute(world, council, goal, stances=1, answers=1)  # 2: too few to fall
    world.at(START + 70 * DAY)
    await contribute(world, foodbank, goal, stances=1, answers=1)  # 2 recent: half of 4

    world.at(START + 100 * DAY)  # recent: after day 40; before: days -20 to 40
    signal = (await world.signals())["participation_falling"]
    assert signal.level == "attention" and signal.theme == "inertia"
    assert signal.subjects == (
        Subject(name="Parents' Forum", detail="3 → 0"),
        Subject(name="Food Bank", detail="4 → 2"),
    )
    assert signal.finding.startswith("Participation fell in 2 organisations")
    world.at(START + 80 * DAY)
    await world.answer(foodbank)  # 3 recent: more than half
    await world.stance(forum, goal, "agree")  # 1 recent: Forum still falls, but not to none
    world.at(START + 100 * DAY)
    signal = (await world.signals())["participation_falling"]
    assert signal.level == "watch"
    assert signal.subjects == (Subject(name="Parents' Forum", detail="3 → 1"),)
    # The windows' edge: the earlier window ends where the recent one starts, 60 days ago,
    # and starts 120 days ago; the first contributions (day 1) leave it at day 121.
    world.at(START + DAY + 120 * DAY - SECOND)
    assert "participation_falling" in await world.signals()
    world.at(START + DAY + 120 * DAY)
    assert "participation_falling" not in await world.signals()


async def test_answers_count_for_the_organisation_spoken_for_at_the_time(world: World):
    goal = await world.propose("Shared data")
    world.at(START + DAY)
    await contribute(world, foodbank, goal, stances=0, answers=3)
    await world.register.update_member(convener, HUBS, user_id=foodbank.user_id, own_capacity=True)
    world.at(START + 70 * DAY)
    await contribute(world, foodbank, goal, stances=0, answers=3)  # in their own capacity now
    world.at(START + 100 * DAY)
    signal = (await world.signals())["participation_falling"]
    assert signal.subjects == (Subject(name="Food Bank", detail="3 → 0"),)
    counts = (await world.health()).participation.counts
    assert sum(counts["Food Bank"]) == 3 and sum(counts["Parents' Forum"]) == 0


async def test_the_chart_counts_stances_and_answers_per_month(world: World):
    goal = await world.propose("Shared data")
    await contribute(world, council, goal, stances=2, answers=1)  # November
    world.at(START + 40 * DAY)  # 12 December
    await contribute(world, forum, goal, stances=1, answers=0)
    view = await world.health()
    assert [m.isoformat() for m in view.participation.months] == [
        "2026-07-01",
        "2026-08-01",
        "2026-09-01",
        "2026-10-01",
        "2026-11-01",
        "2026-12-01",
    ]
    assert view.participation.counts == {
        "Council": [0, 0, 0, 0, 3, 0],
        "Food Bank": [0, 0, 0, 0, 0, 0],
        "Parents' Forum": [0, 0, 0, 0, 0, 1],
    }


# --------------------------------------------------------------------------- small wins


async def test_no_small_win_in_60_days_once_the_partnership_is_60_days_old(world: World):
    world.at(START + 60 * DAY - SECOND)
    assert "no_small_wins" not in await world.signals()  # too young to tell
    world.at(START + 60 * DAY)
    signal = (await world.signals())["no_small_wins"]
    assert signal.level == "watch" and signal.theme == "small_wins"
    assert signal.finding == "No small win has been logged in the last 60 days."
    await world.note(foodbank, text="The first joint session happened", kind="small_win")
    assert "no_small_wins" not in await world.signals()
    world.at(START + 120 * DAY)
    assert "no_small_wins" not in await world.signals()  # exactly 60 days ago
    world.at(START + 120 * DAY + SECOND)
    assert "no_small_wins" in await world.signals()


async def test_a_small_win_shown_in_the_last_check_in_counts_too(world: World):
    await world.trust_round({actor: checkin(4, small_win=False) for actor in REPS})
    world.at(START + 60 * DAY)
    signal = (await world.signals())["no_small_wins"]
    assert signal.finding == (
        "No small win has been logged in the last 60 days, and nobody reported one in the "
        "last trust check-in."
    )
    await world.trust_round(
        {council: checkin(4, True), foodbank: checkin(4, False), forum: checkin(4, False)}
    )
    assert "no_small_wins" not in await world.signals()
    # Fewer than k organisations answered: the last round shows nothing, so it says nothing.
    await world.trust_round({council: checkin(4, True), foodbank: checkin(4, True)})
    signal = (await world.signals())["no_small_wins"]
    assert signal.finding == "No small win has been logged in the last 60 days."


# --------------------------------------------------------------------------- together


async def test_attention_comes_first_and_every_step_names_a_library_theme(world: World):
    world.at(START + 100 * DAY)
    await world.register.add_partner(convener, HUBS, "Library", "public", "associate")
    goal = await world.propose("Share case notes")
    await world.stance(foodbank, goal, "object")
    view = await world.health()
    assert [s.key for s in view.signals] == ["objections", "unrepresented", "no_small_wins"]
    assert [s.level for s in view.signals] == ["attention", "watch", "watch"]
    assert view.attention == 1 and not view.healthy
    assert all(s.theme in THEMES and s.action for s in view.signals)
    assert set(v.THEME.values()) <= set(THEMES)


async def test_a_long_list_is_cut_and_counted(world: World):
    for n in range(v.MAX_SUBJECTS + 2):
        await world.register.add_partner(convener, HUBS, f"Org {n}", "public")
    signal = (await world.signals())["unrepresented"]
    assert len(signal.subjects) == v.MAX_SUBJECTS and signal.more == 2


async def test_the_busiest_organisations_get_a_line_each_and_the_rest_one_together(
    world: World,
):
    for n in range(6):  # nine partners, for at most eight lines
        await world.register.add_partner(convener, HUBS, f"Org {n}", "public")
    await world.register.add_partner(convener, HUBS, "Watchers", "other", "observer")
    goal = await world.propose("Shared data")
    await contribute(world, forum, goal, stances=2, answers=0)
    participation = (await world.health()).participation
    assert list(participation.counts) == [
        "Council",
        "Food Bank",
        "Org 0",
        "Org 1",
        "Org 2",
        "Org 3",
        "Parents' Forum",
    ]
    assert participation.counts["Parents' Forum"][-1] == 2
    assert participation.others == 2 and participation.others_counts == [0] * 6
    assert participation.total == 2
