"""Reflective prompts (domain notes §4): schedules, the choice of prompt, posts and answers.

The rules live here; the cog posts on Discord and the schedule engine (`bot.scheduling`) decides
when. Every change writes an event to the partnership log in the same transaction.

Decisions:

- **Rotation** goes through the themes in the library's order (`bot.prompts.THEMES`), one theme
  per post, continuing from the theme of the partnership's last rotated post (a fixed-theme
  schedule or a `/reflect now` with a theme does not move the rotation on).
- **Within a theme**, the prompt chosen is the one this partnership has been asked least often,
  ties broken by the library's order and then the partnership's own prompts in the order they
  were added. So no prompt repeats until every prompt of the theme has been used, a newly added
  prompt comes up before any prompt of its theme repeats, and the choice is deterministic. Only
  delivered posts count.
- **A scheduled post belongs to its occurrence** (one post per occurrence): a retried or
  recovered occurrence reuses the same post, so it shows the same prompt, its Reflect button
  carries the same id, and a post already delivered is never sent again.
- **Start**: `start` is the first local day a schedule may run on (and the reference date for
  fortnightly weeks). Without it, a fortnightly schedule's first "on" week is the week of its
  soonest occurrence.
- **Resume** does not catch up on what passed while paused: a pause is a decision, not downtime.
- **Skip** adds a holiday to the partnership's active and paused prompt schedules (or to one).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound, UserFacingError
from bot.prompts import MAX_TEXT_LENGTH, THEMES, prompts_for
from bot.scheduling import spec_of
from bot.services import log
from bot.services.access import (
    Actor,
    PartnershipRef,
    Where,
    resolve,
    visible_partnerships,
)
from bot.services.recurrence import (
    DAY_NAMES,
    Cadence,
    RecurrenceSpec,
    describe,
    next_occurrences,
    occurrences_between,
    parse_time,
)
from bot.services.timeutil import as_utc, parse_date, zone
from db.engine import SessionFactory, transaction
from db.models import (
    Membership,
    Occurrence,
    Partnership,
    PromptAnswer,
    PromptPost,
    ReflectionPrompt,
    Schedule,
    utcnow,
)

SCHEDULE_KIND = "prompt"
ROTATION = "rotation"
DEFAULT_TIME = "09:30"
ANSWER_MAX = 2000
PROMPT_MAX = MAX_TEXT_LENGTH  # the library's own limit: 300 characters
MAX_SCHEDULES = 20  # active or paused prompt schedules per partnership
MAX_HOLIDAYS = 100
UPCOMING = 3
CRON_TIME = "00:00"  # stored for cron schedules, whose expression carries its own times
LIVE_STATES = ("active", "paused")

_DAY_SPLIT = re.compile(r"[,\s/&+]+|\band\b")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
_SCHEDULE_REF = re.compile(r"#?\s*(\d{1,9})")

CADENCE_LABELS = {
    Cadence.daily: "daily",
    Cadence.weekdays: "weekdays (Monday to Friday)",
    Cadence.weekly: "weekly",
    Cadence.fortnightly: "fortnightly (every other week)",
    Cadence.monthly: "monthly",
    Cadence.cron: "cron expression",
}


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ChosenPrompt:
    theme: str
    text: str
    concept: str
    library_id: str | None = None
    custom_id: int | None = None
    rotation: bool = True

    @property
    def ref(self) -> str:
        """`goals-01` for the library, `own-7` for the partnership's own prompt 7."""
        return self.library_id or f"own-{self.custom_id}"


@dataclass(frozen=True)
class PostDraft:
    """Everything the cog needs to deliver (or re-deliver) one post."""

    post_id: int
    guild_id: int
    partnership_id: int
    partnership_name: str
    timezone: str
    channel_id: int | None
    theme: str
    concept: str
    text: str
    prompt_ref: str
    own_prompt: bool
    late: bool
    due_at: datetime | None
    message_id: int | None
    thread_id: int | None
    schedule_id: int | None
    occurrence_id: int | None
    posted_by: int | None
    actor_name: str = ""
    # Made by an earlier attempt that never recorded its message: it may have reached Discord.
    resumed: bool = False

    @property
    def theme_label(self) -> str:
        return theme_label(self.theme)


@dataclass(frozen=True)
class ScheduleView:
    id: int
    partnership_id: int
    partnership_name: str
    channel_id: int | None
    description: str
    theme: str | None
    state: str
    paused_reason: str | None
    upcoming: list[datetime]


@dataclass(frozen=True)
class OccurrenceView:
    due_at: datetime
    state: str
    late: bool
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class ScheduleSummary:
    schedule: ScheduleView
    last: OccurrenceView | None
    last_problem: OccurrenceView | None  # the latest retrying or failed one, if not the last


@dataclass(frozen=True)
class SkipResult:
    partnership_name: str
    day: date
    timezone: str
    skipped: list[tuple[ScheduleView, list[datetime]]]  # schedule, occurrences it skips
    already: list[ScheduleView]


@dataclass(frozen=True)
class AnswerResult:
    answer_id: int
    post: PostDraft
    author_id: int
    author_name: str
    text: str


@dataclass(frozen=True)
class GoneNotice:
    partnership_name: str
    schedule_id: int
    convener_ids: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- parsing


def theme_label(key: str) -> str:
    theme = THEMES.get(key)
    return theme.label if theme else key.replace("_", " ").capitalize()


def parse_theme(value: str | None, *, allow_rotation: bool = True) -> str | None:
    """A theme key, or None for rotation."""
    if value is None or not value.strip():
        return None
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if allow_rotation and key == ROTATION:
        return None
    if key in THEMES:
        return key
    for theme in THEMES.values():
        if theme.label.casefold() == value.strip().casefold():
            return theme.key
    options = ", ".join(t.key for t in THEMES.values())
    extra = " or rotation" if allow_rotation else ""
    raise UserFacingError(f"“{value}” isn't a theme I know. Choose one of: {options}{extra}.")


def parse_cadence(value: str) -> Cadence:
    try:
        return Cadence(value.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Cadence)
        raise UserFacingError(
            f"“{value}” isn't a schedule I know. Choose one of: {names}."
        ) from None


def parse_weekdays(text: str) -> tuple[int, ...]:
    """`monday`, `mon,thu`, `Tue Thu`, `tuesdays` → weekday numbers (0 = Monday)."""
    days: set[int] = set()
    tokens = [t for t in _DAY_SPLIT.split(text.strip().lower()) if t]
    if not tokens:
        raise UserFacingError("Give the days as names, such as monday or mon,thu.")
    for token in tokens:
        word = token.rstrip(".")
        matches = [
            i
            for i, name in enumerate(DAY_NAMES)
            if len(word) >= 2 and (name.lower().startswith(word) or word == f"{name.lower()}s")
        ]
        if len(matches) != 1:
            raise UserFacingError(
                f"“{token}” isn't a day of the week I can read. Use names such as monday, "
                "or a list such as mon,thu."
            )
        days.add(matches[0])
    return tuple(sorted(days))


def parse_day_of_month(text: str) -> int:
    """`15`, `15th`, `last` → 1–31 (31 means the last day of every month)."""
    word = text.strip().lower()
    if word in ("last", "last day"):
        return 31
    match = _ORDINAL.fullmatch(word)
    if match and 1 <= int(match[1]) <= 31:
        return int(match[1])
    raise UserFacingError(
        f"“{text}” isn't a day of the month: use a number from 1 to 31 (or last). A day a month "
        "doesn't have, such as the 31st, moves to that month's last day."
    )


def parse_holidays(text: str | None) -> list[str]:
    """Comma-separated local dates → sorted ISO dates."""
    if text is None or not text.strip():
        return []
    days = {
        parse_date(part, option="holidays").isoformat()
        for part in re.split(r"[,\s;]+", text.strip())
        if part
    }
    if len(days) > MAX_HOLIDAYS:
        raise UserFacingError(f"That is {len(days)} holidays; the most is {MAX_HOLIDAYS}.")
    return sorted(days)


def parse_schedule_ref(text: str) -> int:
    match = _SCHEDULE_REF.fullmatch(text.strip())
    if not match:
        raise UserFacingError(
            f"“{text}” isn't a schedule number. Choose one from the list, or type its number "
            "(see `/reflect list`)."
        )
    return int(match[1])


def parse_post_ref(text: str) -> int:
    match = _SCHEDULE_REF.fullmatch(text.strip())
    if not match:
        raise UserFacingError(
            f"“{text}” isn't a prompt number. Choose one of the recent prompts from the list."
        )
    return int(match[1])


def clean_answer(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise UserFacingError("Your reflection is empty: write a few words, then send it.")
    if len(value) > ANSWER_MAX:
        raise UserFacingError(
            f"Your reflection is {len(value)} characters; the most is {ANSWER_MAX}. "
            "Shorten it, or split it over two answers."
        )
    return value


def clean_prompt(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise UserFacingError("The prompt can't be empty.")
    if len(value) > PROMPT_MAX:
        raise UserFacingError(f"The prompt is {len(value)} characters; the limit is {PROMPT_MAX}.")
    return value


def prompt_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _local_midnight_utc(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz_name)).astimezone(UTC)


def build_spec(
    *,
    cadence: str,
    timezone: str,
    now: datetime,
    time_text: str | None = None,
    day: str | None = None,
    cron: str | None = None,
    holidays: Sequence[str] = (),
    start: date | None = None,
) -> RecurrenceSpec:
    """The recurrence a `/reflect schedule` describes, with its defaults filled in.

    Defaults come from `start` if given, else from today in the partnership's zone: weekly and
    fortnightly run on that weekday, monthly on that day of the month.
    """
    kind = parse_cadence(cadence)
    tz = zone(timezone)
    local_now = as_utc(now).astimezone(tz)
    today = local_now.date()
    base = start or today
    has_time = time_text is not None and time_text.strip() != ""
    has_day = day is not None and day.strip() != ""
    has_cron = cron is not None and cron.strip() != ""
    if kind is Cadence.cron:
        if has_time:
            raise UserFacingError(
                "A cron schedule takes its times from the expression: leave `time` out."
            )
        if has_day:
            raise UserFacingError(
                "A cron schedule takes its days from the expression: leave `day` out."
            )
        if not has_cron:
            raise UserFacingError(
                "A cron schedule needs its expression in the `cron` option: for example, "
                "`30 9 * * 1` means 09:30 every Monday."
            )
        at = parse_time(CRON_TIME)
    else:
        if has_cron:
            raise UserFacingError(
                "A cron expression only goes with the cron cadence: leave `cron` out, "
                "or choose cron."
            )
        at = parse_time(time_text if has_time else DEFAULT_TIME)  # type: ignore[arg-type]

    weekdays: tuple[int, ...] = ()
    day_of_month: int | None = None
    anchor: date | None = start
    if kind in (Cadence.weekly, Cadence.fortnightly):
        weekdays = parse_weekdays(day) if has_day else (base.weekday(),)  # type: ignore[arg-type]
        if kind is Cadence.fortnightly:
            anchor = _first_on_day(weekdays, at, base, local_now, start)
    elif kind is Cadence.monthly:
        day_of_month = parse_day_of_month(day) if has_day else base.day  # type: ignore[arg-type]
    elif has_day:
        raise UserFacingError(
            f"`day` only goes with weekly, fortnightly or monthly schedules; a {kind.value} "
            "schedule already says which days it runs."
        )
    return RecurrenceSpec(
        cadence=kind,
        local_time=at,
        timezone=timezone,
        weekdays=weekdays,
        day_of_month=day_of_month,
        cron=" ".join(cron.split()) if has_cron else None,  # type: ignore[union-attr]
        anchor=anchor,
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
    )


def _first_on_day(
    weekdays: tuple[int, ...], at: time, base: date, local_now: datetime, start: date | None
) -> date:
    """The reference date of a fortnightly schedule: its first day on or after `base`.

    A past `start` only sets which weeks are on; otherwise the first occurrence still to come
    makes its week an "on" week.
    """
    naive_now = local_now.replace(tzinfo=None)
    for offset in range(15):
        day = base + timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        if (start is not None and start < local_now.date()) or datetime.combine(
            day, at
        ) > naive_now:
            return day
    return base  # unreachable: some chosen weekday comes within a fortnight


def describe_schedule(schedule: Schedule, timezone: str) -> str:
    try:
        return describe(spec_of(schedule, timezone))
    except UserFacingError:
        return f"A {schedule.cadence} schedule ({timezone})"


# --------------------------------------------------------------------------- the service


class ReflectionService:
    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    # ---- schedules

    async def create_schedule(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        cadence: str,
        local_time: str | None = None,
        day: str | None = None,
        cron: str | None = None,
        theme: str | None = None,
        holidays: str | None = None,
        start: str | None = None,
    ) -> ScheduleView:
        theme_key = parse_theme(theme)
        holiday_list = parse_holidays(holidays)
        start_day = parse_date(start, option="start") if start and start.strip() else None
        now = self.clock()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            spec = build_spec(
                cadence=cadence,
                timezone=partnership.timezone,
                now=now,
                time_text=local_time,
                day=day,
                cron=cron,
                holidays=holiday_list,
                start=start_day,
            )
            count = (
                await session.exec(
                    select(func.count())
                    .select_from(Schedule)
                    .where(
                        Schedule.partnership_id == partnership.id,
                        Schedule.kind == SCHEDULE_KIND,
                        col(Schedule.state).in_(LIVE_STATES),
                    )
                )
            ).one()
            if count >= MAX_SCHEDULES:
                raise UserFacingError(
                    f"{partnership.name} already has {count} prompt schedules, the most it can "
                    "have. Cancel one with `/reflect cancel` first."
                )
            handled_until = now
            if start_day is not None:
                handled_until = max(now, _local_midnight_utc(start_day, partnership.timezone))
            upcoming = next_occurrences(spec, handled_until, UPCOMING)
            if not upcoming:
                raise UserFacingError(
                    "That schedule would never post anything: check its days and holidays."
                )
            schedule = Schedule(
                guild_id=partnership.guild_id,
                partnership_id=partnership.id,  # type: ignore[arg-type]
                kind=SCHEDULE_KIND,
                cadence=spec.cadence,
                local_time=f"{spec.local_time:%H:%M}",
                weekdays=list(spec.weekdays),
                day_of_month=spec.day_of_month,
                cron=spec.cron,
                anchor=spec.anchor,
                holidays=holiday_list,
                options={"theme": theme_key},
                state="active",
                created_by=actor.user_id,
                created_at=now,
                handled_until=handled_until,
            )
            session.add(schedule)
            await session.flush()
            description = describe(spec)
            theme_words = theme_label(theme_key) if theme_key else "rotating through the themes"
            await log.record(
                session,
                partnership,
                "schedule.created",
                f"{_name(actor)} scheduled reflective prompts (#{schedule.id}): {description}; "
                f"theme: {theme_words}.",
                actor_id=actor.user_id,
                payload={
                    "schedule_id": schedule.id,
                    "kind": SCHEDULE_KIND,
                    "description": description,
                    "cadence": str(spec.cadence),
                    "local_time": schedule.local_time,
                    "weekdays": schedule.weekdays,
                    "day_of_month": schedule.day_of_month,
                    "cron": schedule.cron,
                    "anchor": schedule.anchor.isoformat() if schedule.anchor else None,
                    "holidays": holiday_list,
                    "theme": theme_key,
                    "timezone": partnership.timezone,
                },
                at=now,
            )
            return self._view(schedule, partnership, upcoming=upcoming)

    async def list_schedules(
        self, actor: Actor, ref: PartnershipRef
    ) -> tuple[Partnership, list[ScheduleSummary]]:
        now = self.clock()
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            partnership = access.partnership
            schedules = await _live_schedules(session, partnership.id)
            summaries = []
            for schedule in schedules:
                recent = (
                    await session.exec(
                        select(Occurrence)
                        .where(Occurrence.schedule_id == schedule.id)
                        .order_by(col(Occurrence.due_at).desc())
                        .limit(5)
                    )
                ).all()
                last = _occurrence_view(recent[0]) if recent else None
                problem = next(
                    (
                        _occurrence_view(o)
                        for o in recent[1:]
                        if o.state in ("retrying", "failed", "claimed")
                    ),
                    None,
                )
                upcoming = []
                if schedule.state == "active" and not partnership.is_archived:
                    upcoming = self._upcoming(schedule, partnership, now, 1)
                summaries.append(
                    ScheduleSummary(self._view(schedule, partnership, upcoming), last, problem)
                )
            return partnership, summaries

    async def pause(self, actor: Actor, schedule_ref: str) -> ScheduleView:
        now = self.clock()
        async with transaction(self.sessions) as session:
            schedule, partnership = await self._schedule_for(session, actor, schedule_ref)
            if schedule.state == "paused":
                raise UserFacingError(f"Schedule #{schedule.id} is already paused.")
            schedule.state = "paused"
            schedule.paused_reason = f"Paused by {_name(actor)}."
            session.add(schedule)
            view = self._view(schedule, partnership)
            await self._log_change(session, actor, partnership, view, "paused", now)
            return view

    async def resume(self, actor: Actor, schedule_ref: str) -> ScheduleView:
        now = self.clock()
        async with transaction(self.sessions) as session:
            schedule, partnership = await self._schedule_for(session, actor, schedule_ref)
            if schedule.state == "active":
                raise UserFacingError(f"Schedule #{schedule.id} is already running.")
            schedule.state = "active"
            schedule.paused_reason = None
            # What passed while paused is neither posted nor reported missed.
            schedule.handled_until = max(schedule.handled_until, now)
            session.add(schedule)
            view = self._view(
                schedule, partnership, self._upcoming(schedule, partnership, now, UPCOMING)
            )
            await self._log_change(session, actor, partnership, view, "resumed", now)
            return view

    async def cancel(self, actor: Actor, schedule_ref: str) -> ScheduleView:
        now = self.clock()
        async with transaction(self.sessions) as session:
            schedule, partnership = await self._schedule_for(session, actor, schedule_ref)
            schedule.state = "cancelled"
            session.add(schedule)
            view = self._view(schedule, partnership)
            await self._log_change(session, actor, partnership, view, "cancelled", now)
            return view

    async def _log_change(
        self,
        session: AsyncSession,
        actor: Actor,
        partnership: Partnership,
        view: ScheduleView,
        verb: str,
        now: datetime,
    ) -> None:
        """Log a convener's pause, resume or cancel of a schedule (`schedule.<verb>`)."""
        await log.record(
            session,
            partnership,
            f"schedule.{verb}",
            f"{_name(actor)} {verb} reflective prompt schedule #{view.id} ({view.description}).",
            actor_id=actor.user_id,
            payload={"schedule_id": view.id, "kind": SCHEDULE_KIND},
            at=now,
        )

    async def skip(
        self,
        actor: Actor,
        ref: PartnershipRef,
        day_text: str,
        schedule_ref: str | None = None,
    ) -> SkipResult:
        day = parse_date(day_text, option="date")
        now = self.clock()
        async with transaction(self.sessions) as session:
            if schedule_ref and schedule_ref.strip():
                schedule, partnership = await self._schedule_for(session, actor, schedule_ref)
                schedules = [schedule]
            else:
                access = await resolve(session, actor, ref, convener=True, writable=True)
                partnership = access.partnership
                schedules = await _live_schedules(session, partnership.id)
                if not schedules:
                    raise UserFacingError(
                        f"{partnership.name} has no prompt schedules, so there is nothing to skip."
                    )
            today = as_utc(now).astimezone(zone(partnership.timezone)).date()
            if day < today:
                raise UserFacingError(
                    f"{day.isoformat()} has already passed in {partnership.timezone}."
                )
            start = _local_midnight_utc(day, partnership.timezone)
            end = _local_midnight_utc(day + timedelta(days=1), partnership.timezone)
            skipped: list[tuple[ScheduleView, list[datetime]]] = []
            already: list[ScheduleView] = []
            iso = day.isoformat()
            for schedule in schedules:
                if iso in (schedule.holidays or []):
                    already.append(self._view(schedule, partnership))
                    continue
                if len(schedule.holidays or []) >= MAX_HOLIDAYS:
                    raise UserFacingError(
                        f"Schedule #{schedule.id} already skips {MAX_HOLIDAYS} dates, the most "
                        "it can."
                    )
                try:
                    lost = occurrences_between(
                        spec_of(schedule, partnership.timezone),
                        start - timedelta(microseconds=1),
                        end - timedelta(microseconds=1),
                        limit=2000,
                    )
                except ValueError:
                    lost = []
                schedule.holidays = sorted([*(schedule.holidays or []), iso])
                session.add(schedule)
                view = self._view(schedule, partnership)
                skipped.append((view, [t for t in lost if t > now]))
                await log.record(
                    session,
                    partnership,
                    "schedule.skipped",
                    f"{_name(actor)} skipped {iso} for reflective prompt schedule "
                    f"#{schedule.id} ({view.description}).",
                    actor_id=actor.user_id,
                    payload={"schedule_id": schedule.id, "date": iso, "kind": SCHEDULE_KIND},
                    at=now,
                )
            return SkipResult(partnership.name, day, partnership.timezone, skipped, already)

    async def live_schedule_ids(self, partnership_id: int) -> list[int]:
        """The partnership's schedules that are not cancelled (to re-time after a change)."""
        async with self.sessions() as session:
            return [s.id for s in await _live_schedules(session, partnership_id) if s.id]

    async def schedule_choices(
        self, actor: Actor, current: str, *, states: Iterable[str] = LIVE_STATES, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for the `schedule` option: schedules this person may manage."""
        wanted = tuple(states)
        text = current.strip().lstrip("#").casefold()
        async with self.sessions() as session:
            partnerships = {
                p.id: p for p in await visible_partnerships(session, actor, include_archived=False)
            }
            if not partnerships:
                return []
            if not actor.manage_guild:
                convening = set(
                    (
                        await session.exec(
                            select(Membership.partnership_id).where(
                                Membership.user_id == actor.user_id,
                                col(Membership.left_at).is_(None),
                                col(Membership.is_convener).is_(True),
                                col(Membership.partnership_id).in_(list(partnerships)),
                            )
                        )
                    ).all()
                )
                partnerships = {k: v for k, v in partnerships.items() if k in convening}
            if not partnerships:
                return []
            schedules = (
                await session.exec(
                    select(Schedule)
                    .where(
                        Schedule.guild_id == actor.guild_id,
                        Schedule.kind == SCHEDULE_KIND,
                        col(Schedule.state).in_(wanted),
                        col(Schedule.partnership_id).in_(list(partnerships)),
                    )
                    .order_by(col(Schedule.id))
                )
            ).all()
        found = []
        for schedule in schedules:
            partnership = partnerships[schedule.partnership_id]
            state = "" if schedule.state == "active" else f" ({schedule.state})"
            name = (
                f"#{schedule.id} {partnership.name}: "
                f"{describe_schedule(schedule, partnership.timezone)}{state}"
            )
            if text and text not in name.casefold():
                continue
            found.append((_clip(name, 100), str(schedule.id)))
        return found[:limit]

    # ---- prompts

    async def add_prompt(
        self, actor: Actor, ref: PartnershipRef, theme: str, text: str
    ) -> ReflectionPrompt:
        theme_key = parse_theme(theme, allow_rotation=False)
        assert theme_key is not None
        value = clean_prompt(text)
        key = prompt_key(value)
        if any(prompt_key(p.text) == key for t in THEMES for p in prompts_for(t)):
            raise UserFacingError("That prompt is already in the built-in library.")
        try:
            async with transaction(self.sessions) as session:
                access = await resolve(session, actor, ref, convener=True, writable=True)
                partnership = access.partnership
                taken = (
                    await session.exec(
                        select(ReflectionPrompt.id).where(
                            ReflectionPrompt.partnership_id == partnership.id,
                            ReflectionPrompt.text_key == key,
                        )
                    )
                ).first()
                if taken is not None:
                    raise UserFacingError(f"{partnership.name} already has that prompt.")
                prompt = ReflectionPrompt(
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    theme=theme_key,
                    text=value,
                    text_key=key,
                    created_by=actor.user_id,
                    created_at=self.clock(),
                )
                session.add(prompt)
                await session.flush()
                await log.record(
                    session,
                    partnership,
                    "prompt.added",
                    f"{_name(actor)} added a reflective prompt on {theme_label(theme_key)}: "
                    f"“{value}”",
                    actor_id=actor.user_id,
                    payload={"prompt_id": prompt.id, "theme": theme_key, "text": value},
                    at=prompt.created_at,
                )
                return prompt
        except IntegrityError:
            raise UserFacingError("The partnership already has that prompt.") from None

    async def choose_prompt(self, partnership_id: int, theme: str | None = None) -> ChosenPrompt:
        """The prompt the partnership would be asked next (see the module notes)."""
        async with self.sessions() as session:
            return await self._choose(session, partnership_id, theme)

    async def _choose(
        self, session: AsyncSession, partnership_id: int, theme: str | None
    ) -> ChosenPrompt:
        rotation = theme is None or theme not in THEMES
        if rotation:
            last = (
                await session.exec(
                    select(PromptPost.theme)
                    .where(
                        PromptPost.partnership_id == partnership_id,
                        col(PromptPost.message_id).is_not(None),
                        col(PromptPost.rotation).is_(True),
                    )
                    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
                    .limit(1)
                )
            ).first()
            keys = list(THEMES)
            theme = keys[(keys.index(last) + 1) % len(keys)] if last in keys else keys[0]
        assert theme is not None
        own = (
            await session.exec(
                select(ReflectionPrompt)
                .where(
                    ReflectionPrompt.partnership_id == partnership_id,
                    ReflectionPrompt.theme == theme,
                )
                .order_by(col(ReflectionPrompt.id))
            )
        ).all()
        candidates = [
            ChosenPrompt(p.theme, p.text, p.concept, library_id=p.id, rotation=rotation)
            for p in prompts_for(theme)
        ] + [ChosenPrompt(p.theme, p.text, "", custom_id=p.id, rotation=rotation) for p in own]
        rows = (
            await session.exec(
                select(PromptPost.library_prompt_id, PromptPost.custom_prompt_id, func.count())
                .where(
                    PromptPost.partnership_id == partnership_id,
                    PromptPost.theme == theme,
                    col(PromptPost.message_id).is_not(None),
                )
                .group_by(col(PromptPost.library_prompt_id), col(PromptPost.custom_prompt_id))
            )
        ).all()
        used: Counter[str] = Counter()
        for library_id, custom_id, n in rows:
            used[library_id or f"own-{custom_id}"] += n
        return min(candidates, key=lambda c: used[c.ref])

    # ---- posts

    async def prepare_now(
        self, actor: Actor, ref: PartnershipRef, theme: str | None = None
    ) -> PostDraft:
        """Choose a prompt for `/reflect now` and record it, not yet delivered."""
        theme_key = parse_theme(theme)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            if partnership.channel_id is None:
                raise UserFacingError(
                    f"{partnership.name} has no channel, so there is nowhere to post a prompt."
                )
            chosen = await self._choose(session, partnership.id, theme_key)  # type: ignore[arg-type]
            post = self._new_post(partnership, chosen, posted_by=actor.user_id)
            session.add(post)
            await session.flush()
            return _draft(post, partnership, actor_name=_name(actor))

    async def prepare_scheduled(
        self,
        *,
        occurrence_id: int,
        schedule_id: int,
        partnership_id: int,
        theme: str | None,
        late: bool,
        due_at: datetime,
    ) -> PostDraft:
        """The post for one occurrence: the one already made for it, or a new one."""
        for _ in range(2):
            try:
                async with transaction(self.sessions) as session:
                    partnership = await session.get(Partnership, partnership_id)
                    if partnership is None:
                        raise NotFound("The partnership no longer exists.")
                    existing = (
                        await session.exec(
                            select(PromptPost).where(PromptPost.occurrence_id == occurrence_id)
                        )
                    ).first()
                    if existing is not None:
                        return _draft(existing, partnership, resumed=True)
                    chosen = await self._choose(session, partnership_id, theme)
                    post = self._new_post(
                        partnership,
                        chosen,
                        schedule_id=schedule_id,
                        occurrence_id=occurrence_id,
                        late=late,
                        due_at=due_at,
                    )
                    session.add(post)
                    await session.flush()
                    return _draft(post, partnership)
            except IntegrityError:
                continue  # another attempt made it first: read that one
        raise RuntimeError(f"Could not prepare the post for occurrence {occurrence_id}")

    def _new_post(
        self, partnership: Partnership, chosen: ChosenPrompt, **fields: Any
    ) -> PromptPost:
        return PromptPost(
            guild_id=partnership.guild_id,
            partnership_id=partnership.id,  # type: ignore[arg-type]
            library_prompt_id=chosen.library_id,
            custom_prompt_id=chosen.custom_id,
            theme=chosen.theme,
            concept=chosen.concept,
            text=chosen.text,
            rotation=chosen.rotation,
            created_at=self.clock(),
            **fields,
        )

    async def mark_posted(
        self, post_id: int, *, channel_id: int, message_id: int, actor_name: str = ""
    ) -> PostDraft:
        """Record delivery and log it, once: a second call returns what was recorded."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id, with_for_update=True)
            if post is None:
                raise NotFound("That prompt no longer exists.")
            partnership = await session.get(Partnership, post.partnership_id)
            assert partnership is not None
            if post.message_id is not None:
                return _draft(post, partnership)
            post.channel_id = channel_id
            post.message_id = message_id
            post.posted_at = now
            session.add(post)
            draft = _draft(post, partnership, actor_name=actor_name)
            if post.posted_by is not None:
                summary = (
                    f"{actor_name or 'A convener'} posted a reflective prompt on "
                    f"{draft.theme_label}: “{post.text}”"
                )
            else:
                summary = (
                    f"A scheduled reflective prompt on {draft.theme_label} was posted: "
                    f"“{post.text}”"
                )
                if post.late and post.due_at is not None:
                    due = as_utc(post.due_at).astimezone(zone(partnership.timezone))
                    summary += (
                        f" It was posted late; it was due at {due:%Y-%m-%d %H:%M} "
                        f"({partnership.timezone})."
                    )
            await log.record(
                session,
                partnership,
                "prompt.posted",
                summary,
                actor_id=post.posted_by,
                payload={
                    "post_id": post.id,
                    "prompt": draft.prompt_ref,
                    "theme": post.theme,
                    "text": post.text,
                    "schedule_id": post.schedule_id,
                    "occurrence_id": post.occurrence_id,
                    "late": post.late,
                    "due_at": post.due_at.isoformat() if post.due_at else None,
                    "channel_id": channel_id,
                    "message_id": message_id,
                },
                message_link=message_link(partnership.guild_id, channel_id, message_id),
                at=now,
            )
            return draft

    async def mark_thread(self, post_id: int, thread_id: int) -> None:
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id)
            if post is not None and post.thread_id is None:
                post.thread_id = thread_id
                session.add(post)

    async def discard(self, post_id: int) -> None:
        """Forget a chosen prompt that could not be delivered (never one that was)."""
        async with transaction(self.sessions) as session:
            post = await session.get(PromptPost, post_id)
            if post is not None and post.message_id is None:
                await session.delete(post)

    async def gone_notice(self, partnership_id: int, schedule_id: int) -> GoneNotice:
        async with self.sessions() as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return GoneNotice("", schedule_id)
            ids = (
                await session.exec(
                    select(Membership.user_id)
                    .where(
                        Membership.partnership_id == partnership_id,
                        col(Membership.left_at).is_(None),
                        col(Membership.is_convener).is_(True),
                    )
                    .order_by(col(Membership.id))
                )
            ).all()
            return GoneNotice(partnership.name, schedule_id, list(ids))

    # ---- answers

    async def answer_target(self, actor: Actor, post_ref: int | str) -> PostDraft:
        """The post a person wants to answer, if they may (checked before the form opens)."""
        async with self.sessions() as session:
            post, partnership = await self._post_for(session, actor, post_ref)
            return _draft(post, partnership)

    async def answer(self, actor: Actor, post_ref: int | str, text: str) -> AnswerResult:
        value = clean_answer(text)
        now = self.clock()
        async with transaction(self.sessions) as session:
            post, partnership = await self._post_for(session, actor, post_ref)
            answer = PromptAnswer(
                post_id=post.id,  # type: ignore[arg-type]
                partnership_id=partnership.id,  # type: ignore[arg-type]
                user_id=actor.user_id,
                display_name=actor.display_name[:100],
                text=value,
                created_at=now,
            )
            session.add(answer)
            await session.flush()
            await log.record(
                session,
                partnership,
                "prompt.answered",
                f"{_name(actor)} answered the reflective prompt “{post.text}”: {value}",
                actor_id=actor.user_id,
                payload={
                    "post_id": post.id,
                    "answer_id": answer.id,
                    "theme": post.theme,
                    "prompt": post.text,
                    "answer": value,
                },
                message_link=(
                    message_link(partnership.guild_id, post.channel_id, post.message_id)
                    if post.channel_id and post.message_id
                    else None
                ),
                at=now,
            )
            return AnswerResult(
                answer.id,  # type: ignore[arg-type]
                _draft(post, partnership),
                actor.user_id,
                _name(actor),
                value,
            )

    async def answers(self, post_id: int) -> list[PromptAnswer]:
        async with self.sessions() as session:
            return list(
                (
                    await session.exec(
                        select(PromptAnswer)
                        .where(PromptAnswer.post_id == post_id)
                        .order_by(col(PromptAnswer.id))
                    )
                ).all()
            )

    async def post_choices(
        self, actor: Actor, where: Where, current: str, *, limit: int = 25
    ) -> list[tuple[str, str]]:
        """(name, value) pairs for `/reflect respond prompt`: recent prompts this person may answer.

        The prompt whose thread the command is used in comes first, then the prompts of the
        partnership whose channel it is used in, then the rest, newest first.
        """
        text = current.strip().lstrip("#").casefold()
        async with self.sessions() as session:
            partnerships = {
                p.id: p for p in await visible_partnerships(session, actor, include_archived=False)
            }
            if not partnerships:
                return []
            posts = (
                await session.exec(
                    select(PromptPost)
                    .where(
                        PromptPost.guild_id == actor.guild_id,
                        col(PromptPost.partnership_id).in_(list(partnerships)),
                        col(PromptPost.message_id).is_not(None),
                    )
                    .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
                    .limit(200)
                )
            ).all()
        here = set(where.channel_ids)

        def rank(post: PromptPost) -> int:
            if post.thread_id in here:
                return 0
            if partnerships[post.partnership_id].channel_id in here:
                return 1
            return 2

        found = []
        for post in sorted(posts, key=rank):  # stable: newest first within each rank
            posted = post.posted_at.date().isoformat() if post.posted_at else ""
            name = f"#{post.id} {posted} {theme_label(post.theme)}: {post.text}"
            if text and text not in name.casefold():
                continue
            found.append((_clip(name, 100), str(post.id)))
        return found[:limit]

    # ---- helpers

    async def _schedule_for(
        self, session: AsyncSession, actor: Actor, schedule_ref: str
    ) -> tuple[Schedule, Partnership]:
        """A prompt schedule by number, for a convener of its partnership; others learn nothing."""
        schedule_id = parse_schedule_ref(schedule_ref)
        missing = NotFound(f"I can't find prompt schedule #{schedule_id}.")
        schedule = (
            await session.exec(
                select(Schedule).where(
                    Schedule.id == schedule_id,
                    Schedule.guild_id == actor.guild_id,
                    Schedule.kind == SCHEDULE_KIND,
                )
            )
        ).first()
        if schedule is None:
            raise missing
        partnership = await session.get(Partnership, schedule.partnership_id)
        if partnership is None:
            raise missing
        try:
            await resolve(
                session, actor, PartnershipRef(name=partnership.name), convener=True, writable=True
            )
        except NotFound:
            raise missing from None
        if schedule.state == "cancelled":
            raise UserFacingError(
                f"Schedule #{schedule.id} was cancelled. Make a new one with `/reflect schedule`."
            )
        return schedule, partnership

    async def _post_for(
        self, session: AsyncSession, actor: Actor, post_ref: int | str
    ) -> tuple[PromptPost, Partnership]:
        """A delivered post, for a member of its partnership; others learn nothing."""
        post_id = post_ref if isinstance(post_ref, int) else parse_post_ref(post_ref)
        missing = NotFound(f"I can't find prompt #{post_id} among your partnerships' prompts.")
        post = (
            await session.exec(
                select(PromptPost).where(
                    PromptPost.id == post_id,
                    PromptPost.guild_id == actor.guild_id,
                    col(PromptPost.message_id).is_not(None),
                )
            )
        ).first()
        if post is None:
            raise missing
        partnership = await session.get(Partnership, post.partnership_id)
        if partnership is None:
            raise missing
        try:
            await resolve(session, actor, PartnershipRef(name=partnership.name), writable=True)
        except NotFound:
            raise missing from None
        return post, partnership

    def _upcoming(
        self, schedule: Schedule, partnership: Partnership, now: datetime, count: int
    ) -> list[datetime]:
        try:
            spec = spec_of(schedule, partnership.timezone)
            return next_occurrences(spec, max(as_utc(now), schedule.handled_until), count)
        except UserFacingError:
            return []

    def _view(
        self,
        schedule: Schedule,
        partnership: Partnership,
        upcoming: list[datetime] | None = None,
    ) -> ScheduleView:
        state = schedule.state
        reason = schedule.paused_reason
        if partnership.is_archived and state == "active":
            state, reason = "paused", "The partnership is archived."
        return ScheduleView(
            id=schedule.id,  # type: ignore[arg-type]
            partnership_id=partnership.id,  # type: ignore[arg-type]
            partnership_name=partnership.name,
            channel_id=partnership.channel_id,
            description=describe_schedule(schedule, partnership.timezone),
            theme=(schedule.options or {}).get("theme"),
            state=state,
            paused_reason=reason,
            upcoming=upcoming or [],
        )


# --------------------------------------------------------------------------- small helpers


def message_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _name(actor: Actor) -> str:
    return actor.display_name or "Someone"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _occurrence_view(o: Occurrence) -> OccurrenceView:
    return OccurrenceView(o.due_at, o.state, o.late, o.attempts, o.last_error, o.next_attempt_at)


def _draft(
    post: PromptPost, partnership: Partnership, *, actor_name: str = "", resumed: bool = False
) -> PostDraft:
    return PostDraft(
        post_id=post.id,  # type: ignore[arg-type]
        guild_id=partnership.guild_id,
        partnership_id=partnership.id,  # type: ignore[arg-type]
        partnership_name=partnership.name,
        timezone=partnership.timezone,
        # A delivered post stays where it went; one still to deliver goes to today's channel.
        channel_id=post.channel_id if post.message_id is not None else partnership.channel_id,
        theme=post.theme,
        concept=post.concept,
        text=post.text,
        prompt_ref=post.library_prompt_id or f"own-{post.custom_prompt_id}",
        own_prompt=post.library_prompt_id is None,
        late=post.late,
        due_at=post.due_at,
        message_id=post.message_id,
        thread_id=post.thread_id,
        schedule_id=post.schedule_id,
        occurrence_id=post.occurrence_id,
        posted_by=post.posted_by,
        actor_name=actor_name,
        resumed=resumed and post.message_id is None,
    )


async def _live_schedules(session: AsyncSession, partnership_id: int | None) -> list[Schedule]:
    """A partnership's prompt schedules that are active or paused, oldest first."""
    rows = await session.exec(
        select(Schedule)
        .where(
            Schedule.partnership_id == partnership_id,
            Schedule.kind == SCHEDULE_KIND,
            col(Schedule.state).in_(LIVE_STATES),
        )
        .order_by(col(Schedule.id))
    )
    return list(rows.all())
