"""Who sees a reflection answer (issue 12 §7), on a real database (SQLite and PostgreSQL): each
visibility, the anonymity threshold counted by distinct organisations (people in their own
capacity as one group), replacing and withdrawing an answer, what the log keeps, `/reflect
mine`, and the timers that show anonymous answers Discord did not take at once."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import col, select

from bot.errors import NotFound, UserFacingError
from bot.prompts import prompts_for
from bot.services import redaction
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.reflection import (
    PROMPT_SCHEDULES,
    SCHEDULE_KIND,
    ReflectionService,
    ScheduledPost,
    Visibility,
)
from bot.services.reflection.late_shows import SHOW_TIMER
from bot.services.reflection.late_shows import seed_timers as seed_show_timers
from bot.services.reflection.views import Shown
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.timers import Fire
from db.engine import SessionFactory, transaction
from db.models import Event, Occurrence, Partnership, PromptAnswer, PromptPost, Timer
from tests.services.timer_runs import TimerRuns

GUILD = 1000
CHANNEL = 5555
THREAD = 7777
HUBS = PartnershipRef(name="Family Hubs")
NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)

ada = Actor(GUILD, 1, "Ada", manage_channels=True)  # the convener, in her own capacity
bea = Actor(GUILD, 2, "Bea")  # Riverside Council
cy = Actor(GUILD, 3, "Cy")  # Food Bank
dee = Actor(GUILD, 4, "Dee")  # Food Bank too
eve = Actor(GUILD, 5, "Eve")  # a citizen, in her own capacity
fay = Actor(GUILD, 6, "Fay")  # Parents' Forum
outsider = Actor(GUILD, 9, "Gus")
_messages = itertools.count(900_000)


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at

    def tick(self, seconds: float = 60) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sessions: SessionFactory, clock: Clock) -> ReflectionService:
    return ReflectionService(sessions, clock=clock)


@pytest.fixture
async def partnership(sessions: SessionFactory, clock: Clock) -> Partnership:
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    draft = await register.prepare_create(ada, "Family Hubs", "Joined-up early help")
    p = await register.create(ada, draft, CHANNEL)
    for org in ("Riverside Council", "Food Bank", "Parents' Forum"):
        await register.add_partner(ada, HUBS, org, "voluntary")
    for actor, org in ((bea, "Riverside Council"), (cy, "Food Bank"), (dee, "Food Bank")):
        await register.add_member(
            ada, HUBS, user_id=actor.user_id, display_name=actor.display_name, organisation=org
        )
    await register.add_member(
        ada, HUBS, user_id=fay.user_id, display_name="Fay", organisation="Parents' Forum"
    )
    await register.add_member(
        ada, HUBS, user_id=eve.user_id, display_name="Eve", capacity="citizen"
    )
    return p


async def post(
    service: ReflectionService,
    theme: str | None = None,
    visibility: str | None = None,
    *,
    thread: bool = True,
):
    """What `/reflect now` does, Discord answering with a message (and a thread on it)."""
    draft = await service.prepare_now(ada, HUBS, theme, visibility)
    posted = await service.mark_posted(
        draft.post_id, channel_id=CHANNEL, message_id=next(_messages), actor_name="Ada"
    )
    if thread:
        await service.mark_thread(draft.post_id, THREAD)
    return await service.answer_target(ada, posted.post_id)


async def shown(service: ReflectionService, result: Any) -> list[int]:
    """Discord took each message to post: record it as `show` would; the answers' ids."""
    ids = []
    for item in result.shows:
        if item.message_id is None:
            fix = await service.mark_shown(
                item.answer_id, channel_id=item.channel_id, message_id=next(_messages)
            )
            assert fix is None
        ids.append(item.answer_id)
    return ids


async def answers_of(sessions: SessionFactory, post_id: int) -> list[PromptAnswer]:
    async with sessions() as session:
        rows = await session.exec(
            select(PromptAnswer).where(PromptAnswer.post_id == post_id).order_by(PromptAnswer.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def entries(sessions: SessionFactory, kind: str) -> list[Event]:
    async with sessions() as session:
        rows = await session.exec(select(Event).where(Event.kind == kind).order_by(Event.id))  # type: ignore[arg-type]
        return list(rows.all())


# --------------------------------------------------------------------------- defaults


async def test_sensitive_library_prompts_are_anonymous_unless_chosen_otherwise(
    service, sessions, partnership
):
    goals = await post(service, "goals")
    assert goals.prompt_ref == "goals-01" and goals.visibility is Visibility.named
    power = await post(service, "power")
    assert prompts_for("power")[0].sensitive and power.visibility is Visibility.anonymous
    assert power.k == 3
    named_power = await post(service, "power", "named")
    assert named_power.visibility is Visibility.named
    private = await post(service, "goals", "private")
    assert private.visibility is Visibility.private
    with pytest.raises(UserFacingError, match="isn't a visibility"):
        await service.prepare_now(ada, HUBS, "trust", "secret")
    async with sessions() as session:
        stored = (await session.exec(select(PromptPost.visibility).order_by(PromptPost.id))).all()  # type: ignore[arg-type]
    assert list(stored) == ["named", "anonymous", "named", "private"]
    [posted] = [e for e in await entries(sessions, "prompt.posted") if e.payload["post_id"] == 2]
    assert posted.payload["visibility"] == "anonymous"
    assert "shown without names once 3 organisations have answered" in posted.summary


async def test_own_prompts_and_schedules_carry_a_visibility(service, sessions, clock, partnership):
    own = await service.add_prompt(ada, HUBS, "trust", "Who do we rely on most?", "private")
    assert own.visibility == "private"
    plain = await service.add_prompt(ada, HUBS, "trust", "What did we promise?")
    assert plain.visibility == "named"
    [added, _] = await entries(sessions, "prompt.added")
    assert added.payload["visibility"] == "private" and "(answers: only you)" in added.summary
    trust = [p.id for p in prompts_for("trust")]
    for _ in trust:
        await post(service, "trust")
    chosen = await post(service, "trust")
    assert chosen.prompt_ref == f"own-{own.id}" and chosen.visibility is Visibility.private

    schedules = ScheduleService(sessions, clock=clock, on_change=_ignore)
    schedules.register(PROMPT_SCHEDULES)
    view = await schedules.create_schedule(
        SCHEDULE_KIND, ada, HUBS, cadence="daily", theme="goals", visibility="anonymous"
    )
    assert view.options == {"theme": "goals", "visibility": "anonymous"}
    [created] = await entries(sessions, "schedule.created")
    assert "answers: anonymous" in created.summary
    default = await schedules.create_schedule(SCHEDULE_KIND, ada, HUBS, cadence="daily")
    assert default.options == {"theme": None}
    with pytest.raises(UserFacingError, match="isn't a visibility"):
        await schedules.create_schedule(
            SCHEDULE_KIND, ada, HUBS, cadence="daily", visibility="public"
        )
    async with transaction(sessions) as session:
        occurrence = Occurrence(
            schedule_id=view.id, partnership_id=partnership.id or 0, due_at=clock.now()
        )
        session.add(occurrence)
    draft = await service.prepare_scheduled(
        ScheduledPost(
            occurrence_id=occurrence.id or 0,
            schedule_id=view.id,
            partnership_id=partnership.id or 0,
            theme="goals",
            late=False,
            due_at=clock.now(),
            visibility="anonymous",
        )
    )
    assert draft.prompt_ref.startswith("goals-") and draft.visibility is Visibility.anonymous


async def _ignore(schedule_id: int) -> None:
    pass


# --------------------------------------------------------------------------- named


async def test_a_named_answer_is_shared_replaced_and_withdrawn(service, sessions, partnership):
    target = await post(service, "goals")
    first = await service.answer(bea, target.post_id, "We agree on the aim.")
    assert first.visibility is Visibility.named and not first.replaced
    [share] = first.shows
    assert (share.channel_id, share.message_id, share.author_name) == (THREAD, None, "Bea")
    await shown(service, first)
    again = await service.answer(bea, target.post_id, "We agree on the aim, not the measures.")
    assert again.replaced
    [edit] = again.shows  # the message that showed the first answer now shows this one
    assert edit.message_id is not None and edit.text == "We agree on the aim, not the measures."
    old, new = await answers_of(sessions, target.post_id)
    assert old.replaced_at is not None and old.message_id is None
    assert new.replaced_at is None and new.message_id == edit.message_id
    logged = await entries(sessions, "prompt.answered")
    assert [e.actor_id for e in logged] == [bea.user_id, bea.user_id]
    assert logged[1].payload["replaces_id"] == old.id
    assert "Bea replaced their answer" in logged[1].summary
    async with sessions() as session:
        removed = await redaction.load(session, partnership, NOW)
    # The first entry reads as replaced wherever the log is read; the second as written.
    assert removed.event(logged[0])[1]["answer"] == redaction.REPLACED
    assert removed.event(logged[1])[1]["answer"] == "We agree on the aim, not the measures."
    assert [a.text for a in await service.answers(target.post_id)] == [new.text]

    gone = await service.withdraw(bea, str(target.post_id))
    assert gone.visibility is Visibility.named and gone.edit is not None
    assert (gone.edit.message_id, gone.edit.gone) == (new.message_id, "withdrawn")
    [withdrawn] = await entries(sessions, "prompt.withdrawn")
    assert withdrawn.actor_id == bea.user_id and withdrawn.payload["answer_id"] == new.id
    assert "answer" not in withdrawn.payload and new.text not in withdrawn.summary
    async with sessions() as session:
        removed = await redaction.load(session, partnership, NOW)
    assert removed.event(logged[1])[1]["answer"] == redaction.WITHDRAWN
    assert await service.answers(target.post_id) == []
    with pytest.raises(UserFacingError, match="no answer to prompt"):
        await service.withdraw(bea, target.post_id)
    with pytest.raises(NotFound):
        await service.withdraw(outsider, target.post_id)


async def test_answers_without_a_thread_are_kept_but_not_shared(service, partnership):
    target = await post(service, "goals", thread=False)
    result = await service.answer(bea, target.post_id, "Kept in the log.")
    assert result.shows == ()


# --------------------------------------------------------------------------- anonymous


async def test_anonymous_answers_wait_for_k_organisations_then_show_without_names(
    service, sessions, partnership
):
    target = await post(service, "power")
    assert target.visibility is Visibility.anonymous
    # Two people of Food Bank are one organisation; Ada and Eve (own capacity) one group.
    r1 = await service.answer(cy, target.post_id, "Money talks.")
    r2 = await service.answer(dee, target.post_id, "The council sets the agenda.")
    r3 = await service.answer(ada, target.post_id, "I chair, so I decide too much.")
    r4 = await service.answer(eve, target.post_id, "Parents are asked last.")
    for result in (r1, r2, r3, r4):
        assert result.shows == () and not result.released
    assert [r.organisations for r in (r1, r2, r3, r4)] == [1, 1, 2, 2]
    assert await service.answers(target.post_id) == []
    # Nothing in the log ties an answer to its author, and no answer's words are there.
    logged = await entries(sessions, "prompt.answered")
    assert len(logged) == 4 and all(e.actor_id is None for e in logged)
    for event in logged:
        assert "answer" not in event.payload and "answer_id" not in event.payload
        assert event.payload["visibility"] == "anonymous"
        assert "An anonymous answer" in event.summary
        for text in ("Money", "agenda", "chair", "Parents"):
            assert text not in event.summary

    # The third distinct group releases them all at once, in random order, without names.
    r5 = await service.answer(bea, target.post_id, "Whoever holds the budget.")
    assert r5.released and r5.organisations == 3
    assert {s.text for s in r5.shows} == {
        "Money talks.",
        "The council sets the agenda.",
        "I chair, so I decide too much.",
        "Parents are asked last.",
        "Whoever holds the budget.",
    }
    assert all(s.author_name is None and s.channel_id == THREAD for s in r5.shows)
    await shown(service, r5)
    [released] = await entries(sessions, "prompt.released")
    assert released.actor_id is None and released.payload["organisations"] == 3
    views = await service.answers(target.post_id)
    assert len(views) == 5 and all(v.user_id is None and v.display_name == "" for v in views)

    # After that, each answer is shown as it comes.
    r6 = await service.answer(fay, target.post_id, "The forum has no budget line.")
    [one] = r6.shows
    assert one.text == "The forum has no budget line." and one.author_name is None
    # Replacing a shown answer edits its message; withdrawing one says it was withdrawn.
    r7 = await service.answer(cy, target.post_id, "Money talks, and so does a title.")
    [edit] = r7.shows
    assert edit.message_id is not None and edit.author_name is None and r7.replaced
    gone = await service.withdraw(dee, target.post_id)
    assert gone.edit is not None and gone.edit.author_name is None
    [withdrawn] = await entries(sessions, "prompt.withdrawn")
    assert withdrawn.actor_id is None and "answer_id" not in withdrawn.payload
    texts = [v.text for v in await service.answers(target.post_id)]
    assert "The council sets the agenda." not in texts and "Money talks." not in texts
    assert "Money talks, and so does a title." in texts


async def test_a_withdrawn_answer_no_longer_counts_toward_k(service, sessions, partnership):
    target = await post(service, "power")
    await service.answer(bea, target.post_id, "Council.")
    await service.answer(cy, target.post_id, "Food Bank.")
    await service.withdraw(cy, target.post_id)
    third = await service.answer(fay, target.post_id, "Forum.")
    assert not third.released and third.organisations == 2 and third.shows == ()
    # Replacing one's answer counts once, not twice.
    again = await service.answer(fay, target.post_id, "Forum, again.")
    assert not again.released and again.organisations == 2
    fourth = await service.answer(eve, target.post_id, "Own capacity.")
    assert fourth.released and fourth.organisations == 3
    assert sorted(s.text for s in fourth.shows) == ["Council.", "Forum, again.", "Own capacity."]
    async with sessions() as session:
        post_row = await session.get(PromptPost, target.post_id)
    assert post_row is not None and post_row.released_at == NOW


async def test_a_lower_threshold_releases_sooner(service, sessions, partnership):
    async with transaction(sessions) as session:
        row = await session.get(Partnership, partnership.id)
        assert row is not None
        row.anonymity_threshold = 2
        session.add(row)
    target = await post(service, "power")
    assert target.k == 2
    await service.answer(bea, target.post_id, "One.")
    second = await service.answer(eve, target.post_id, "Two.")
    assert second.released and len(second.shows) == 2


async def test_anonymous_answers_go_to_the_channel_when_there_is_no_thread(service, partnership):
    target = await post(service, "power", thread=False)
    for actor in (bea, cy):
        await service.answer(actor, target.post_id, f"{actor.display_name} says.")
    result = await service.answer(fay, target.post_id, "Fay says.")
    assert result.released and {s.channel_id for s in result.shows} == {CHANNEL}


def late_shows(
    sessions: SessionFactory, clock: Clock, service: ReflectionService, engines: int = 1
) -> TimerRuns[Shown]:
    """The `reflect.show` timers, handled as the reflect cog does, without Discord."""

    async def show_late(fire: Fire) -> Shown | None:
        return await service.show_late(fire.subject_id)

    return TimerRuns(sessions, clock, SHOW_TIMER, show_late, seed=seed_show_timers, engines=engines)


async def timer_states(sessions: SessionFactory) -> list[str]:
    async with sessions() as session:
        return [t.state for t in (await session.exec(select(Timer).order_by(col(Timer.id)))).all()]


async def test_a_show_that_did_not_reach_discord_is_shown_late_once(
    service, sessions, clock, partnership
):
    target = await post(service, "power")
    for actor in (bea, cy):
        await service.answer(actor, target.post_id, f"{actor.display_name} says.")
    released = await service.answer(fay, target.post_id, "Fay says.")
    assert len(released.shows) == 3
    timers = late_shows(sessions, clock, service, engines=2)
    # Discord took none of them: nothing is shown again within a minute.
    clock.tick(59)
    assert await timers.due() == []
    clock.tick(1)
    again = await timers.due()
    assert sorted(s.text for s in again) == ["Bea says.", "Cy says.", "Fay says."]
    assert all(s.message_id is None and s.author_name is None for s in again)
    clock.tick(3600)
    assert await timers.due() == []  # each once
    assert await timer_states(sessions) == ["done"] * 3
    # A later answer Discord took at once: its timer finds nothing to do.
    later = await service.answer(dee, target.post_id, "Dee says.")
    [show] = later.shows
    await service.mark_shown(show.answer_id, channel_id=THREAD, message_id=42)
    clock.tick(60)
    assert await timers.due() == []
    assert (await timer_states(sessions))[-1] == "skipped"


async def test_a_late_show_is_skipped_once_withdrawn_or_after_two_days(
    service, sessions, clock, partnership
):
    target = await post(service, "power")
    for actor in (bea, cy):
        await service.answer(actor, target.post_id, f"{actor.display_name} says.")
    await service.answer(fay, target.post_id, "Fay says.")
    await service.withdraw(bea, target.post_id)
    timers = late_shows(sessions, clock, service)
    clock.tick(60)
    assert sorted(s.text for s in await timers.due()) == ["Cy says.", "Fay says."]
    assert sorted(await timer_states(sessions)) == ["done", "done", "skipped"]
    # Down for two days: the answers of a post released that long ago are left.
    target = await post(service, "power")
    for actor in (bea, cy, fay):
        await service.answer(actor, target.post_id, f"{actor.display_name} again.")
    clock.tick(2 * 24 * 3600 + 1)
    assert await timers.due() == []
    assert sorted(await timer_states(sessions))[-3:] == ["skipped"] * 3


async def test_answers_waiting_to_be_shown_before_timers_existed_get_them_at_start(
    service, sessions, clock, partnership
):
    target = await post(service, "power")
    for actor in (bea, cy, fay):
        await service.answer(actor, target.post_id, f"{actor.display_name} says.")
    async with transaction(sessions) as session:
        await session.exec(delete(Timer).where(col(Timer.id) > 0))  # type: ignore[call-overload]
    timers = late_shows(sessions, clock, service)
    [engine] = timers.engines
    assert await engine.seed() == 3
    assert await engine.seed() == 3  # idempotent: one timer each
    assert len(await timer_states(sessions)) == 3
    async with transaction(sessions) as session:  # another process's servers only: none
        assert await seed_show_timers(session, clock.now(), lambda guild: guild != GUILD) == 0
    clock.tick(60)
    assert len(await timers.due()) == 3


async def test_an_answer_withdrawn_while_it_was_posted_is_marked_so(service, partnership):
    target = await post(service, "power")
    for actor in (bea, cy):
        await service.answer(actor, target.post_id, f"{actor.display_name} says.")
    released = await service.answer(fay, target.post_id, "Fay says.")
    [fays] = [s for s in released.shows if s.text == "Fay says."]
    gone = await service.withdraw(fay, target.post_id)
    assert gone.edit is None  # not posted yet
    fix = await service.mark_shown(fays.answer_id, channel_id=THREAD, message_id=43)
    assert fix is not None and (fix.message_id, fix.gone, fix.text) == (43, "withdrawn", "")


# --------------------------------------------------------------------------- private


async def test_private_answers_are_seen_only_by_their_author(service, sessions, partnership):
    target = await post(service, "power", "private")
    result = await service.answer(bea, target.post_id, "I feel unheard here.")
    assert result.visibility is Visibility.private and result.shows == ()
    await service.answer(cy, target.post_id, "Food Bank's private view.")
    assert await service.answers(target.post_id) == []
    [entry, _] = await entries(sessions, "prompt.answered")
    assert entry.actor_id is None and "answer" not in entry.payload
    assert "unheard" not in entry.summary and "A private answer" in entry.summary
    name, mine = await service.mine(bea, HUBS)
    assert name == "Family Hubs" and [m.text for m in mine] == ["I feel unheard here."]
    assert mine[0].visibility is Visibility.private and mine[0].state == "only you"
    _, theirs = await service.mine(cy, HUBS)
    assert [m.text for m in theirs] == ["Food Bank's private view."]
    gone = await service.withdraw(bea, target.post_id)
    assert gone.edit is None
    assert (await service.mine(bea, HUBS))[1] == []


async def test_mine_lists_current_answers_newest_first_and_where(
    service, sessions, clock, partnership
):
    named = await post(service, "goals")
    anonymous = await post(service, "power")
    await service.answer(bea, named.post_id, "First words.")
    clock.tick()
    await service.answer(bea, anonymous.post_id, "Hidden for now.")
    clock.tick()
    await service.answer(bea, named.post_id, "Second words.")
    name, mine = await service.mine(bea, PartnershipRef(where=Where(channel_id=CHANNEL)))
    assert name == "Family Hubs"
    assert [(m.post_id, m.text, m.state) for m in mine] == [
        (named.post_id, "Second words.", "not shared"),
        (anonymous.post_id, "Hidden for now.", "waiting"),
    ]
    # Elsewhere: all of the person's partnerships (here, one).
    elsewhere = await service.mine(bea, PartnershipRef(where=Where(channel_id=1)))
    assert [m.text for m in elsewhere[1]] == ["Second words.", "Hidden for now."]
    assert (await service.mine(outsider, PartnershipRef()))[1] == []
    with pytest.raises(NotFound):
        await service.mine(outsider, HUBS)
    # Withdrawal choices: the prompts the person has a current answer to.
    choices = await service.answered_choices(bea, Where(), "")
    assert [v for _, v in choices] == [str(anonymous.post_id), str(named.post_id)]
    assert await service.answered_choices(cy, Where(), "") == []


async def test_withdrawing_in_an_archived_partnership_is_allowed_answering_is_not(
    service, sessions, partnership
):
    target = await post(service, "goals")
    await service.answer(bea, target.post_id, "Before the archive.")
    async with transaction(sessions) as session:
        row = await session.get(Partnership, partnership.id)
        assert row is not None
        row.archived_at = NOW
        session.add(row)
    with pytest.raises(UserFacingError, match="archived"):
        await service.answer(bea, target.post_id, "After.")
    gone = await service.withdraw(bea, target.post_id)
    assert gone.answer_id
