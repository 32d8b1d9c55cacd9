"""Trust check-ins on a real database: rounds, answers, the threshold, closing, reminders and
the link between people and their answers (issue 10)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.errors import Forbidden, UserFacingError
from bot.services.trust import CheckinAnswers
from bot.services.trust.rounds import REMIND_TIMER
from bot.services.trust.views import Reminder
from bot.timers import Fire
from db.models import Event, TrustAnswer, TrustRating, TrustRespondent, TrustRound
from tests.services.test_trust_world import HUBS, IN_CHANNEL, World, admin, clock, convener, world
from tests.services.timer_runs import TimerRuns

__all__ = ["clock", "world"]  # fixtures


async def test_a_round_fixes_who_answers_and_warns_below_the_threshold(world: World):
    view = await world.trust.open_round(convener, IN_CHANNEL, window="2d")
    assert view.partnership_name == "Family Hubs" and view.k == 3 and not view.below_threshold
    assert view.organisations == ["Charity", "Council", "Health", "Housing"]
    # Four organisations' people, three citizens or individuals and the convener (an
    # individual); never the observer or the facilitator.
    assert view.answerers == 10
    assert view.closes_at - view.opened_at == timedelta(days=2)
    assert view.remind_at - view.opened_at == timedelta(days=2) * 0.8
    respondents = {r.user_id for r in await world.rows(TrustRespondent)}
    assert world["watcher"].user_id not in respondents
    assert world["facilitator"].user_id not in respondents

    with pytest.raises(UserFacingError, match="already open"):
        await world.trust.open_round(convener, HUBS)
    assert len(await world.rows(TrustRound)) == 1


async def test_fewer_than_k_organisations_is_said_when_opening(world: World):
    await world.register.configure(convener, HUBS, anonymity_threshold=6)
    view = await world.trust.open_round(convener, HUBS)
    assert view.k == 6 and view.below_threshold


async def test_both_ways_of_answering_are_one_call_and_an_answer_replaces_the_last(world: World):
    await world.trust.open_round(convener, HUBS)
    form = await world.trust.checkin_form(world["charity"], HUBS)
    assert form.speaks_for == "Charity" and not form.own_item and form.previous is None
    # The interactive form: every item chosen.
    full = CheckinAnswers(expectations=4, follow_through=3, reliance=2, fair_say=5, small_win=True)
    first = await world.trust.checkin(world["charity"], HUBS, full)
    assert not first.replaced and first.partnership_name == "Family Hubs"
    # The one-command form: only some options; the rest are "don't know".
    second = await world.trust.checkin(
        world["charity"], HUBS, CheckinAnswers(expectations=2, comment="Less clear now")
    )
    assert second.replaced and second.round_id == first.round_id
    rows = await world.rows(TrustAnswer)
    assert len(rows) == 1
    assert (rows[0].expectations, rows[0].follow_through, rows[0].small_win) == (2, None, None)
    form = await world.trust.checkin_form(world["charity"], HUBS)
    assert form.previous == CheckinAnswers(expectations=2, comment="Less clear now")
    # Answer times are kept to the day only.
    assert rows[0].answered_on == world.clock.now().date()


async def test_people_in_their_own_capacity_get_their_own_item(world: World):
    await world.trust.open_round(convener, HUBS)
    form = await world.trust.checkin_form(world["citizen1"], HUBS)
    assert form.own_item and form.speaks_for is None
    await world.answer("citizen1", listened=2)
    with pytest.raises(UserFacingError, match="own capacity"):
        await world.answer("council1", listened=2)


async def test_threshold_hides_k_minus_1_organisations_and_shows_k(world: World):
    """k = 3. Three Council people and Charity are two organisations: nothing is shown. With
    Health, three organisations: means are per organisation first, so Council weighs as one."""
    await world.trust.open_round(convener, HUBS)
    for name, fair in (("council1", 5), ("council2", 5), ("council3", 2), ("charity", 1)):
        await world.answer(
            name, fair_say=fair, small_win=True, comment="Shared", share_comment=True
        )
    results = await world.trust.close_round(convener, HUBS)
    assert not results.shown and results.k == 3
    figures = results.figures
    assert figures.organisations_answered == 2
    assert set(figures.means.values()) == {None}
    assert figures.small_wins is None and figures.shared_comments == []

    await world.trust.open_round(convener, HUBS)
    for name, fair in (("council1", 5), ("council2", 5), ("council3", 2), ("charity", 1)):
        await world.answer(name, fair_say=fair, small_win=name == "charity")
    await world.answer("health", fair_say=4, expectations=3, small_win=False)
    results = await world.trust.close_round(convener, HUBS)
    assert results.shown and results.figures.organisations_answered == 3
    # Council (5+5+2)/3 = 4, Charity 1, Health 4: (4+1+4)/3 = 3.0 (per person it would be 3.4).
    assert results.figures.means["fair_say"] == 3.0
    # Expectations: only Health answered it, one organisation is fewer than k.
    assert results.figures.means["expectations"] is None
    assert results.figures.small_wins == 1


async def test_people_without_an_organisation_count_together_as_one(world: World):
    await world.trust.open_round(convener, HUBS)
    for name in ("citizen1", "citizen2", "person"):
        await world.answer(name, reliance=4, listened=3)
    await world.answer("council1", reliance=2)
    results = await world.trust.close_round(convener, HUBS)
    assert not results.shown and results.figures.organisations_answered == 2
    # The own-capacity item counts persons: three of them reach k = 3.
    assert results.figures.listened == 3.0


async def test_results_stay_hidden_until_close(world: World):
    await world.trust.open_round(convener, HUBS)
    for name in ("council1", "charity", "health"):
        await world.answer(name, follow_through=4)
    summary = await world.trust.summary(world["charity"], HUBS)
    assert summary.rounds == [] and summary.open_round_id is not None
    await world.trust.close_round(convener, HUBS)
    summary = await world.trust.summary(world["charity"], HUBS)
    assert [r.means["follow_through"] for r in summary.rounds] == [4.0]
    assert summary.open_round_id is None


async def test_answers_and_ratings_after_close_are_refused(world: World):
    await world.trust.open_round(convener, HUBS, pairwise=True)
    await world.answer("charity", expectations=3)
    await world.trust.close_round(convener, HUBS)
    with pytest.raises(UserFacingError, match="no longer takes answers"):
        await world.answer("charity", expectations=5)
    with pytest.raises(UserFacingError, match="no longer takes answers"):
        await world.trust.rate(world["charity"], HUBS, "Health", 4, 4, 4)
    with pytest.raises(UserFacingError, match="no longer takes answers"):
        await world.trust.checkin_form(world["charity"], HUBS)
    assert len(await world.rows(TrustRating)) == 0
    [answer] = await world.rows(TrustAnswer)
    assert answer.expectations == 3


async def test_the_link_between_people_and_answers_is_gone_after_close(world: World):
    await world.trust.open_round(convener, HUBS, pairwise=True)
    await world.answer("council1", fair_say=4, comment="Private words")
    await world.answer("charity", fair_say=2, comment="Shared words", share_comment=True)
    await world.answer("health", small_win=True, small_win_text="A joint bid")
    await world.trust.rate(world["council1"], HUBS, "Charity", 3, 3, 3)
    before = await world.rows(TrustAnswer)
    assert {a.user_id for a in before} == {
        world[n].user_id for n in ("council1", "charity", "health")
    }
    assert {r.user_id for r in await world.rows(TrustRating)} == {world["council1"].user_id}

    results = await world.trust.close_round(convener, HUBS)
    after = await world.rows(TrustAnswer)
    assert len(after) == 3 and {a.user_id for a in after} == {None}
    assert {r.user_id for r in await world.rows(TrustRating)} == {None}
    # Texts nobody may read any more are gone; shared ones stay, without a name.
    assert {a.comment for a in after} == {None, "Shared words"}
    assert {a.small_win_text for a in after} == {None}
    assert results.figures.shared_comments == ["Shared words"]
    # Only who answered is kept.
    answered = {r.user_id for r in await world.rows(TrustRespondent) if r.answered}
    assert answered == {world[n].user_id for n in ("council1", "charity", "health")}


async def test_status_shows_conveners_who_answered_never_what(world: World):
    await world.trust.open_round(convener, HUBS)
    await world.answer("health", fair_say=1)
    status = await world.trust.status(convener, HUBS)
    assert status.answered == [world["health"].user_id]
    assert world["charity"].user_id in status.waiting
    assert world["health"].user_id not in status.waiting
    assert not hasattr(status, "answers")
    with pytest.raises(Forbidden):
        await world.trust.status(world["health"], HUBS)


def reminder_timers(world: World, engines: int = 2) -> TimerRuns[Reminder]:
    """The rounds' reminder timers, handled as the trust cog does, in `engines` processes."""

    async def remind(fire: Fire) -> Reminder | None:
        return await world.trust.remind_round(fire.subject_id)

    return TimerRuns(world.sessions, world.clock, REMIND_TIMER, remind, engines=engines)


async def test_one_reminder_at_80_percent_only_to_those_who_have_not_answered(world: World):
    await world.trust.open_round(convener, HUBS, window="10d")
    await world.answer("council1", fair_say=3)
    await world.answer("citizen1", fair_say=3)
    timers = reminder_timers(world)
    world.clock.moment += timedelta(days=7, hours=23)
    assert await timers.due() == []
    world.clock.moment += timedelta(hours=1)
    reminders = await timers.due()
    assert len(reminders) == 1
    waiting = set(reminders[0].user_ids)
    assert world["council1"].user_id not in waiting and world["citizen1"].user_id not in waiting
    assert {world[n].user_id for n in ("council2", "charity", "person")} <= waiting
    assert world["watcher"].user_id not in waiting
    assert reminders[0].channel_id is not None and reminders[0].partnership_name == "Family Hubs"
    world.clock.moment += timedelta(hours=12)
    assert await timers.due() == []
    # Asked again (a timer added twice), the round is still reminded once.
    [trust_round] = await world.rows(TrustRound)
    assert await world.trust.remind_round(trust_round.id or 0) is None


async def test_no_reminder_in_an_archived_partnership(world: World):
    await world.trust.open_round(convener, HUBS, window="10d")
    await world.register.archive(convener, HUBS)
    timers = reminder_timers(world)
    world.clock.moment += timedelta(days=8)
    assert await timers.due() == []
    [trust_round] = await world.rows(TrustRound)
    assert trust_round.reminded_at is not None  # marked: an archived partnership takes no answers


async def test_a_round_closes_once_when_its_window_ends(world: World):
    await world.trust.open_round(convener, HUBS, window="30m")
    for name in ("council1", "charity", "health"):
        await world.answer(name, reliance=3)
    world.clock.moment += timedelta(minutes=29)
    assert await world.trust.close_due() == []
    world.clock.moment += timedelta(minutes=1)
    first, second = await asyncio.gather(world.trust.close_due(), world.trust.close_due())
    closed = first + second
    assert len(closed) == 1 and closed[0].shown and not closed[0].early
    assert closed[0].figures.means["reliance"] == 3.0
    assert await world.trust.close_due() == []
    kinds = [e.kind for e in await world.rows(Event) if e.kind.startswith("trust.")]
    assert kinds == ["trust.round_opened", "trust.round_closed"]


async def test_opening_and_closing_are_logged_and_answers_never(world: World):
    await world.trust.open_round(convener, HUBS, window="1h")
    for name in ("council1", "charity", "health"):
        await world.answer(name, fair_say=4, comment="Secret marmalade", share_comment=True)
    await world.trust.close_round(convener, HUBS)
    events = [e for e in await world.rows(Event) if e.kind.startswith("trust.")]
    assert [e.kind for e in events] == ["trust.round_opened", "trust.round_closed"]
    closed = events[1]
    assert closed.payload["means"]["fair_say"] == 4.0 and closed.payload["shown"]
    assert "marmalade" not in str([(e.summary, e.payload) for e in await world.rows(Event)])


async def test_a_late_joiner_answers_from_the_next_round(world: World):
    await world.trust.open_round(convener, HUBS)
    await world.add("newcomer", "Council")  # an organisation already in the round
    with pytest.raises(Forbidden, match="next round"):
        await world.answer("newcomer", fair_say=3)
    await world.trust.close_round(convener, HUBS)
    await world.trust.open_round(convener, HUBS)
    await world.answer("newcomer", fair_say=3)


async def test_observers_and_facilitators_do_not_answer(world: World):
    await world.trust.open_round(convener, HUBS)
    with pytest.raises(Forbidden, match="Observers"):
        await world.answer("watcher", fair_say=3)
    with pytest.raises(Forbidden, match="facilitator"):
        await world.trust.checkin_form(world["facilitator"], HUBS)
    with pytest.raises(Forbidden, match="aren't a member"):
        await world.trust.checkin(admin, HUBS, CheckinAnswers(fair_say=3))
    assert await world.rows(TrustAnswer) == []


async def test_a_changed_role_answers_from_the_next_round(world: World):
    await world.trust.open_round(convener, HUBS)
    await world.register.update_member(
        admin, HUBS, user_id=world["charity"].user_id, organisation="Health"
    )
    with pytest.raises(Forbidden, match="changed"):
        await world.answer("charity", fair_say=3)


@pytest.mark.parametrize("window", ["0m", "abc", "5x", "-3d", "91d", "1.5h"])
async def test_a_bad_window_is_refused_and_opens_nothing(world: World, window: str):
    with pytest.raises(UserFacingError):
        await world.trust.open_round(convener, HUBS, window=window)
    assert await world.rows(TrustRound) == []


async def test_bad_answers_are_refused_politely_and_change_nothing(world: World):
    with pytest.raises(UserFacingError, match="named_pairs"):
        await world.trust.open_round(convener, HUBS, named_pairs=True)
    await world.trust.open_round(convener, HUBS, pairwise=True)
    for bad in (
        CheckinAnswers(expectations=6),
        CheckinAnswers(fair_say=0),
        CheckinAnswers(small_win=False, small_win_text="We met"),
        CheckinAnswers(comment="x" * 1001),
    ):
        with pytest.raises(UserFacingError):
            await world.trust.checkin(world["charity"], HUBS, bad)
    with pytest.raises(UserFacingError, match="1 \\(low\\) to 4"):
        await world.trust.rate(world["charity"], HUBS, "Health", 5, 3, 3)
    with pytest.raises(UserFacingError, match="1 \\(low\\) to 4"):
        await world.trust.rate(world["charity"], HUBS, "Health", 3, 0, 3)
    with pytest.raises(UserFacingError, match="your own organisation"):
        await world.trust.rate(world["charity"], HUBS, "charity", 3, 3, 3)
    with pytest.raises(UserFacingError, match="isn't one of the organisations"):
        await world.trust.rate(world["charity"], HUBS, "Nowhere", 3, 3, 3)
    with pytest.raises(Forbidden, match="representatives"):
        await world.trust.rate(world["citizen1"], HUBS, "Health", 3, 3, 3)
    with pytest.raises(UserFacingError, match="1 to 24"):
        await world.trust.summary(world["charity"], HUBS, rounds=0)
    assert await world.rows(TrustAnswer) == [] and await world.rows(TrustRating) == []


async def test_ratings_need_a_pairwise_round_and_replace_the_last(world: World):
    await world.trust.open_round(convener, HUBS)
    with pytest.raises(UserFacingError, match="no pairwise"):
        await world.trust.rate(world["charity"], HUBS, "Health", 3, 3, 3)
    await world.trust.close_round(convener, HUBS)
    await world.trust.open_round(convener, HUBS, pairwise=True)
    form = await world.trust.checkin_form(world["charity"], HUBS)
    assert form.rate_organisations == ["Council", "Health", "Housing"]
    first = await world.trust.rate(world["charity"], HUBS, "health", 2, 2, 2)
    second = await world.trust.rate(world["charity"], HUBS, "Health", 4, 3, 4)
    assert not first.replaced and second.replaced and second.organisation == "Health"
    [rating] = await world.rows(TrustRating)
    assert (rating.reliability, rating.openness, rating.mission) == (4, 3, 4)


async def test_only_conveners_open_and_close(world: World):
    with pytest.raises(Forbidden):
        await world.trust.open_round(world["charity"], HUBS)
    await world.trust.open_round(convener, HUBS)
    with pytest.raises(Forbidden):
        await world.trust.close_round(world["charity"], HUBS)


async def test_the_threshold_is_raised_any_time_and_lowered_only_before_answers(world: World):
    await world.register.configure(convener, HUBS, anonymity_threshold=4)
    await world.trust.open_round(convener, HUBS)
    # A round without answers: lowering is still allowed.
    await world.register.configure(convener, HUBS, anonymity_threshold=3)
    for name in ("council1", "charity", "health"):
        await world.answer(name, fair_say=4)
    with pytest.raises(UserFacingError, match="can't be lowered"):
        await world.register.configure(convener, HUBS, anonymity_threshold=2)
    await world.trust.close_round(convener, HUBS)
    summary = await world.trust.summary(world["health"], HUBS)
    assert summary.rounds[0].shown
    # Raising it applies when results are shown, so the older round is hidden too.
    await world.register.configure(convener, HUBS, anonymity_threshold=4)
    summary = await world.trust.summary(world["health"], HUBS)
    assert summary.k == 4 and not summary.rounds[0].shown
    assert summary.rounds[0].means["fair_say"] is None


async def test_scheduled_rounds_open_only_when_none_is_open_and_not_when_archived(world: World):
    pid = world.partnership.id
    assert pid is not None
    view = await world.trust.open_scheduled(pid, None, "1d")
    assert view is not None and view.closes_at - view.opened_at == timedelta(days=1)
    assert await world.trust.open_scheduled(pid, None, "1d") is None
    await world.trust.close_round(convener, HUBS)
    await world.register.archive(convener, HUBS)
    assert await world.trust.open_scheduled(pid, None, None) is None
    with pytest.raises(UserFacingError, match="archived"):
        await world.trust.open_round(convener, HUBS)


async def test_a_facilitator_represents_no_organisation(world: World):
    with pytest.raises(UserFacingError, match="facilitator represents no organisation"):
        await world.add("wrong", "Council", "facilitator")
