"""What /meeting posts and replies: the meeting's opening message and its closing summary."""

from __future__ import annotations

from datetime import timedelta

from bot.replies import MESSAGE_LIMIT, escape
from bot.services.meetings import MeetingDraft, MeetingSummary
from bot.services.text import clip, name_of
from bot.services.timeutil import discord_timestamp

SECTIONS = (
    ("decision", "Decisions"),
    ("action", "Actions"),
    ("note", "Notes"),
    ("small_win", "Small wins"),
    ("risk", "Risks"),
)


# The summary's first words, and how much of each item's text it shows.
SUMMARY_HEAD = "🗓️ **Meeting ended: "
ITEM_LIMIT = 300


def item_head(item_id: int) -> str:
    """How an item's line in the summary begins (a redaction finds it by this)."""
    return f"- #{item_id} "


def start_post(draft: MeetingDraft, author: str) -> str:
    """The meeting's opening message in the partnership's channel; member text escaped."""
    return clip(
        f"🗓️ **Meeting: {escape(draft.title)}**, started by {escape(name_of(author))}.\n"
        "Press **I'm here** to record your attendance. Notes, decisions and actions logged with "
        "`/log note` until `/meeting end` belong to this meeting.",
        MESSAGE_LIMIT,
    )


def duration_words(length: timedelta) -> str:
    minutes = max(0, int(length.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def summary_post(summary: MeetingSummary) -> str:
    """The meeting's summary: title, when and how long, attendance by organisation, and what
    was logged during it. Member text escaped; mentions are shown, never pinged."""
    lines = [
        f"{SUMMARY_HEAD}{escape(summary.title)}**",
        f"{discord_timestamp(summary.started_at, 'f')} · {duration_words(summary.duration)}",
        "",
        "**Attendance**",
    ]
    if summary.attendance:
        for organisation, names in summary.attendance.items():
            people = ", ".join(escape(n) for n in names)
            lines.append(f"- {escape(organisation)}: {people}")
    else:
        lines.append("- Nobody recorded their attendance.")
    for kind, heading in SECTIONS:
        items = [i for i in summary.items if i.kind == kind]
        if not items:
            continue
        lines += ["", f"**{heading}**"]
        for item in items:
            extra = ""
            if item.owner_id is not None:
                extra += f" · owner <@{item.owner_id}>"
            if item.due is not None:
                extra += f" · due {item.due.isoformat()}"
            link = f" [↗]({item.message_link})" if item.message_link else ""
            lines.append(f"{item_head(item.id)}{escape(clip(item.text, ITEM_LIMIT))}{extra}{link}")
    if not summary.items:
        lines += ["", "Nothing was logged during the meeting."]
    return clip("\n".join(lines), MESSAGE_LIMIT)
