"""What every kind of schedule says about itself: the reply to a new or resumed schedule, and
its block in a list. Each kind adds one line of its own (a prompt's theme, a round's window).
Times are Discord timestamps, so each reader sees their own zone."""

from __future__ import annotations

from datetime import datetime

from bot.replies import clip, escape
from bot.services.schedules import OccurrenceView, ScheduleSummary, ScheduleView
from bot.services.timeutil import discord_timestamp
from db.models import OccurrenceState, ScheduleState

OCCURRENCE_WORDS: dict[str, str] = {
    OccurrenceState.claimed: "being sent",
    OccurrenceState.done: "posted",
    OccurrenceState.missed: "missed while the bot was offline",
}


def timestamps(moments: list[datetime]) -> str:
    return "\n".join(f"• {discord_timestamp(m, 'F')}" for m in moments)


def occurrence_line(o: OccurrenceView) -> str:
    when = discord_timestamp(o.due_at, "f")
    error = f": {clip(escape(o.last_error), 200)}" if o.last_error else ""
    if o.state == OccurrenceState.retrying:
        nxt = f", next try {discord_timestamp(o.next_attempt_at, 'R')}" if o.next_attempt_at else ""
        return f"{when}: retrying after {o.attempts} failed attempt(s){error}{nxt}"
    if o.state == OccurrenceState.failed:
        return f"{when}: **failed**{error}"
    late = " (late)" if o.late and o.state == OccurrenceState.done else ""
    return f"{when}: {OCCURRENCE_WORDS.get(o.state, o.state)}{late}"


def schedule_reply(view: ScheduleView, headline: str, detail: str) -> str:
    """`headline`, the schedule's description and channel, the kind's `detail` line, and the
    next times."""
    where = f" in <#{view.channel_id}>" if view.channel_id else ""
    text = f"{headline}\n{escape(view.description)}{where}.\n{detail}"
    if view.upcoming:
        text += f"\nNext {len(view.upcoming)}:\n{timestamps(view.upcoming)}"
    return text


def schedule_lines(s: ScheduleSummary, detail: str) -> list[str]:
    """A schedule's block in a list: description, the kind's `detail`, state, last occurrence."""
    v = s.schedule
    lines = [f"**#{v.id}** {escape(v.description)}", detail]
    if v.state == ScheduleState.active:
        nxt = f" · next {discord_timestamp(v.upcoming[0], 'F')}" if v.upcoming else ""
        lines.append(f"State: active{nxt}")
    else:
        reason = f" ({escape(v.paused_reason)})" if v.paused_reason else ""
        lines.append(f"State: **{v.state}**{reason}")
    lines.append(f"Last: {occurrence_line(s.last)}" if s.last else "Last: nothing yet")
    return lines
