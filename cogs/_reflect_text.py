"""What /reflect says about schedules: the reply to a new or resumed schedule, and each
schedule's block in `/reflect list`. Times are Discord timestamps, so each reader sees their
own zone."""

from __future__ import annotations

from bot.services.reflection import short_words, theme_label
from bot.services.schedules import ScheduleSummary, ScheduleView
from cogs import _schedule_text
from cogs._schedule_text import occurrence_line


def theme_words(theme: str | None) -> str:
    return theme_label(theme) if theme else "each theme in turn"


def answers_words(view: ScheduleView) -> str:
    """Who sees the answers to a schedule's prompts."""
    visibility = view.options.get("visibility")
    if isinstance(visibility, str):
        return short_words(visibility)
    return "each prompt's own (named; anonymous for sensitive ones)"


def summary_block(s: ScheduleSummary) -> str:
    lines = _schedule_text.schedule_lines(
        s, f"Theme: {theme_words(s.schedule.theme)} · Answers: {answers_words(s.schedule)}"
    )
    if s.last_problem:
        lines.append(f"Earlier: {occurrence_line(s.last_problem)}")
    return "\n".join(lines)


def schedule_reply(view: ScheduleView, headline: str) -> str:
    return _schedule_text.schedule_reply(
        view,
        headline,
        f"Theme: {theme_words(view.theme)}. Answers: {answers_words(view)}.",
    )
