"""The demo's moving parts: a clock the story moves forward, the bot's own services on that
clock, and short verbs for what partners do in Discord (each one the service calls a command,
button or form makes, with made-up message ids where Discord would have posted something)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.demo.cast import DEMO_CHANNEL, FIRST_MESSAGE, HUBS, SECTORS, START, TIMEZONE
from bot.services.access import Actor
from bot.services.goals import GoalService
from bot.services.goals.cards import GoalTarget
from bot.services.meetings import MeetingService
from bot.services.notes import NoteService
from bot.services.reflection import PROMPT_SCHEDULES, ReflectionService
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.services.trust import CheckinAnswers, TrustService
from db.engine import SessionFactory


class DemoClock:
    """A clock the demo moves forward; it never goes back, so the log reads in order."""

    def __init__(self, at: datetime = START) -> None:
        if at.tzinfo is None:
            raise ValueError("The demo clock needs an aware time.")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        at = at.astimezone(UTC)
        if at < self._at:
            raise ValueError(f"The demo clock cannot go back from {self._at} to {at}.")
        self._at = at


@dataclass
class Tally:
    """What the story did, counted as it happened, for the line the command prints."""

    organisations: set[str] = field(default_factory=set)
    organisations_left: list[str] = field(default_factory=list)
    people: set[int] = field(default_factory=set)
    goals: int = 0
    agreed: set[int] = field(default_factory=set)
    stances: dict[tuple[int, str], str] = field(default_factory=dict)  # latest, per voice
    prompts: int = 0
    answers: int = 0
    rounds: int = 0
    withheld_rounds: int = 0
    meetings: int = 0
    actions: dict[int, date] = field(default_factory=dict)  # action number -> due date
    done: set[int] = field(default_factory=set)

    @property
    def objected(self) -> set[int]:
        """Goals whose latest stance from someone is an objection."""
        return {goal for (goal, _voice), stance in self.stances.items() if stance == "object"}


async def _nobody_listens(_schedule_id: int) -> None:
    """The demo runs no schedule engine: a schedule it makes is kept, and fires nowhere."""


class Year:
    """The services the bot uses, on the demo's clock, and the verbs of the story."""

    def __init__(self, sessions: SessionFactory, clock: DemoClock) -> None:
        self.clock = clock
        self.zone = ZoneInfo(TIMEZONE)
        self.register = RegisterService(
            sessions, default_timezone=TIMEZONE, admin_role_name="Partnerbot Admin", clock=clock
        )
        self.goals = GoalService(sessions, clock=clock)
        self.notes = NoteService(sessions, clock=clock)
        self.meetings = MeetingService(sessions, clock=clock)
        self.reflection = ReflectionService(sessions, clock=clock)
        self.trust = TrustService(sessions, clock=clock)
        self.schedules = ScheduleService(sessions, clock=clock, on_change=_nobody_listens)
        self.schedules.register(PROMPT_SCHEDULES)
        self.tally = Tally()
        self.partnership_id = 0
        self._message = FIRST_MESSAGE

    # ---- time and Discord's ids

    def at(self, day: str, clock_time: str = "10:00") -> None:
        """Move the clock to a local date and time in the partnership's zone."""
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock_time))
        self.clock.set(local.replace(tzinfo=self.zone))

    def message(self) -> int:
        """The id Discord would have given the next message the bot posts."""
        self._message += 1
        return self._message

    # ---- register

    async def partner(self, name: str, *, by: Actor, status: str | None = None) -> None:
        await self.register.add_partner(by, HUBS, name, SECTORS[name], status)
        self.tally.organisations.add(name)

    async def partner_leaves(self, name: str, *, by: Actor) -> None:
        await self.register.remove_partner(by, HUBS, name)
        self.tally.organisations_left.append(name)

    async def join(
        self,
        person: Actor,
        organisation: str | None = None,
        *,
        by: Actor,
        capacity: str | None = None,
        mandate: str | None = None,
        convener: bool = False,
    ) -> None:
        await self.register.add_member(
            by,
            HUBS,
            user_id=person.user_id,
            display_name=person.display_name,
            organisation=organisation,
            capacity=capacity,
            mandate=mandate,
            convener=convener,
        )
        self.tally.people.add(person.user_id)

    async def leave(self, person: Actor, *, by: Actor) -> None:
        await self.register.remove_member(by, HUBS, user_id=person.user_id)

    # ---- goals

    async def propose(self, by: Actor, title: str, **options: str) -> int:
        card = await self.goals.propose(by, HUBS, title=title, **options)
        if card.shared:  # a person's own goal is posted once they share it (`share`)
            await self.goals.attach_message(card.id, DEMO_CHANNEL, self.message())
        self.tally.goals += 1
        return card.id

    async def share(self, by: Actor, goal: int) -> None:
        await self.goals.share(by, self.goal(goal))
        await self.goals.attach_message(goal, DEMO_CHANNEL, self.message())

    async def respond(
        self, by: Actor, goal: int, response: str, comment: str | None = None
    ) -> None:
        await self.goals.respond(by, self.goal(goal), response, comment)

    async def stance(self, by: Actor, goal: int, stance: str, comment: str | None = None) -> None:
        result = await self.goals.take_stance(by, self.goal(goal), stance, comment)
        if result.agreed_now:
            self.tally.agreed.add(goal)
        voice = result.voice.organisation or by.display_name
        self.tally.stances[(goal, voice)] = stance

    async def confirm(self, by: Actor, goal: int, comment: str | None = None) -> None:
        """Confirm the organisation's stance given subject to referral."""
        result = await self.goals.take_stance(by, self.goal(goal), None, comment, confirm=True)
        if result.agreed_now:
            self.tally.agreed.add(goal)
        voice = result.voice.organisation or by.display_name
        self.tally.stances[(goal, voice)] = result.stance

    async def link(self, by: Actor, goal: int, relation: str, other: int) -> None:
        await self.goals.link(by, self.goal(goal), str(other), relation)

    def goal(self, goal: int) -> GoalTarget:
        return GoalTarget(str(goal), HUBS)

    # ---- the log

    async def note(
        self,
        by: Actor,
        text: str,
        kind: str = "note",
        *,
        owner: Actor | None = None,
        due: str | None = None,
        goal: int | None = None,
        review_on: str | None = None,
    ) -> int:
        draft = await self.notes.prepare(
            by,
            HUBS,
            text=text,
            kind=kind,
            owner_id=owner.user_id if owner is not None else None,
            due=due,
            goal=str(goal) if goal is not None else None,
            review_on=review_on,
        )
        result = await self.notes.record(
            by, draft, channel_id=DEMO_CHANNEL, message_id=self.message()
        )
        if kind == "action" and draft.due is not None:
            self.tally.actions[result.event_id] = draft.due
        return result.event_id

    async def done(self, by: Actor, action: int) -> None:
        await self.notes.close_action(by, HUBS, str(action))
        self.tally.done.add(action)

    # ---- meetings

    async def meeting(self, by: Actor, title: str, present: list[Actor]) -> None:
        draft = await self.meetings.prepare_start(by, HUBS, title=title)
        message_id = self.message()
        started = await self.meetings.record_start(
            by, draft, channel_id=DEMO_CHANNEL, message_id=message_id
        )
        for person in present:
            await self.meetings.attend(person, started.draft.partnership_id, message_id)
        self.tally.meetings += 1

    async def end_meeting(self, by: Actor) -> None:
        await self.meetings.end(by, HUBS)

    # ---- reflection

    async def reflect_now(self, by: Actor, theme: str) -> int:
        """`/reflect now theme:…`: the next prompt of the theme, posted in the channel."""
        draft = await self.reflection.prepare_now(by, HUBS, theme)
        await self.reflection.mark_posted(
            draft.post_id,
            channel_id=DEMO_CHANNEL,
            message_id=self.message(),
            actor_name=by.display_name,
        )
        self.tally.prompts += 1
        return draft.post_id

    async def answer(self, by: Actor, post: int, text: str) -> None:
        await self.reflection.answer(by, post, text)
        self.tally.answers += 1

    # ---- trust check-ins

    async def open_round(self, by: Actor, window: str, *, pairwise: bool = False) -> None:
        await self.trust.open_round(by, HUBS, window=window, pairwise=pairwise)
        self.tally.rounds += 1

    async def checkin(self, by: Actor, **answers: object) -> None:
        await self.trust.checkin(by, HUBS, CheckinAnswers(**answers))  # type: ignore[arg-type]

    async def rate(self, by: Actor, organisation: str, scores: tuple[int, int, int]) -> None:
        await self.trust.rate(by, HUBS, organisation, *scores)

    async def close_round(self, by: Actor | None) -> None:
        """Closed early by a convener, or (`by=None`) once its window has ended, the way the
        bot closes rounds in the background."""
        if by is not None:
            results = [await self.trust.close_round(by, HUBS)]
        else:
            results = await self.trust.close_due()
        for result in results:
            if not result.shown:
                self.tally.withheld_rounds += 1
