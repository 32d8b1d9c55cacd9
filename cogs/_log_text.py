"""What /log posts and replies: the note's message in the channel (and the same message once its
text is removed), the log's pages, and the record of exports."""

from __future__ import annotations

import discord

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, MESSAGE_LIMIT, escape
from bot.services.notes import (
    DONE,
    OVERDUE,
    ExportLine,
    ExportList,
    LogLine,
    LogPage,
    NoteDraft,
    NoteKind,
    Redacted,
    kind_label,
)
from bot.services.text import clip, name_of
from bot.services.timeutil import discord_timestamp

ICONS = {
    NoteKind.note: "📝",
    NoteKind.decision: "⚖️",
    NoteKind.action: "📌",
    NoteKind.small_win: "🌱",
    NoteKind.risk: "⚠️",
}
STATE_ICONS = {"open": "⬜", OVERDUE: "⏰", DONE: "✅"}
LINE_LIMIT = EMBED_DESCRIPTION_LIMIT // 10 - 10


def note_post(draft: NoteDraft, author: str) -> str:
    """The note as posted in the partnership's channel; member text escaped."""
    return clip(f"{_note_head(draft, author)}\n{escape(draft.text)}", MESSAGE_LIMIT)


def removed_post(removed: Redacted) -> str:
    """A note's post once its text is removed: the same line above, the marker below."""
    assert removed.note is not None
    head = _note_head(removed.note, removed.author)
    return clip(
        f"{head}\n*{escape(removed.marker)}* (log entry #{removed.event_id})", MESSAGE_LIMIT
    )


def _note_head(draft: NoteDraft, author: str) -> str:
    kind = NoteKind(draft.kind)
    head = f"{ICONS[kind]} **{kind_label(kind).capitalize()}** from {escape(name_of(author))}"
    if kind == NoteKind.action and draft.owner_id is not None and draft.due is not None:
        head += f" · owner <@{draft.owner_id}>, due {draft.due.isoformat()}"
    if draft.goal_id is not None:
        head += f" · goal #{draft.goal_id} {escape(draft.goal_title or '')}"
    if draft.review_on is not None:
        head += f" · review on {draft.review_on.isoformat()}"
    if draft.phase is not None:
        head += f" · co-production phase: {draft.phase}"
    return head


def note_mentions(draft: NoteDraft) -> discord.AllowedMentions:
    """Nobody is pinged, except an action's owner."""
    if draft.kind == NoteKind.action and draft.owner_id is not None:
        return discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(id=draft.owner_id)]
        )
    return discord.AllowedMentions.none()


def _kind_word(kind: str) -> str:
    return kind_label(kind.split(".", 1)[-1] if kind.startswith("note.") else kind)


def _shown(line: LogLine) -> str:
    """The entry's words; an entry whose text is removed says so even where its sentence
    never quoted the text (a stance's comment)."""
    if line.removed and line.removed not in line.summary:
        return f"{line.summary} (Its text was {line.removed}.)"
    return line.summary


def page_line(line: LogLine) -> str:
    link = f" [↗]({line.message_link})" if line.message_link else ""
    cut = "✂️ " if line.removed else ""
    if line.state is not None:
        owner = f"<@{line.owner_id}>" if line.owner_id else "no owner"
        due = line.due.isoformat() if line.due else "no date"
        text = (
            f"{STATE_ICONS.get(line.state, '')} **#{line.id}** {line.state} · {owner} · due {due}"
        )
        return clip(f"{text} — {cut}{escape(_shown(line))}", LINE_LIMIT - len(link)) + link
    when = discord_timestamp(line.occurred_at, "d")
    text = f"**#{line.id}** {when} · {_kind_word(line.kind)} — {cut}{escape(_shown(line))}"
    return clip(text, LINE_LIMIT - len(link)) + link


def page_embed(page: LogPage) -> discord.Embed:
    what = f"{kind_label(page.kind)}s" if page.kind else "log"
    if page.phase:
        what += f" ({page.phase} phase)"
    title = clip(f"{escape(page.partnership)}: {what}", EMBED_TITLE_LIMIT)
    if page.lines:
        body = "\n".join(page_line(line) for line in page.lines)
    elif page.page:
        body = "No older entries."
    else:
        if page.phase:
            body = f"No small wins in the {page.phase} phase yet."
        else:
            body = "Nothing in the log yet" + (" of that kind." if page.kind else ".")
    embed = discord.Embed(title=title, description=clip(body, EMBED_DESCRIPTION_LIMIT))
    since = f" · since {page.since.isoformat()}" if page.since else ""
    embed.set_footer(text=f"Page {page.page + 1}{since} · newest first")
    return embed


# ---- the record of exports


def _period(line: ExportLine) -> str:
    if line.meeting_id is not None:
        return f"meeting #{line.meeting_id}"
    if line.since and line.until:
        return f"{line.since.isoformat()} to {line.until.isoformat()}"
    if line.since:
        return f"from {line.since.isoformat()}"
    if line.until:
        return f"until {line.until.isoformat()}"
    return "everything"


def export_line(line: ExportLine) -> str:
    """One export: when (in the partnership's zone), who, what. Mentions render, never ping."""
    who = f"<@{line.user_id}>" if line.user_id is not None else "the command line"
    if line.via == "cli" and line.user_id is not None:
        who += " (command line)"
    extras = []
    if line.pseudonymised:
        extras.append("pseudonymised")
    extras.append(f"{line.withheld} withheld")
    return (
        f"**{line.local_time}** · {who} · {escape(line.format)} · {escape(line.audience)} · "
        f"{_period(line)} · {', '.join(extras)}"
    )


def exports_embed(listing: ExportList) -> discord.Embed:
    """The latest exports, as many as fit in one embed, newest first."""
    title = clip(f"{escape(listing.partnership)}: exports", EMBED_TITLE_LIMIT)
    lines: list[str] = []
    for line in listing.lines:
        text = export_line(line)
        if sum(len(t) + 1 for t in lines) + len(text) > EMBED_DESCRIPTION_LIMIT:
            break
        lines.append(text)
    body = "\n".join(lines) or "Nobody has exported anything from this partnership yet."
    embed = discord.Embed(title=title, description=body)
    shown = len(lines)
    scope = f"The latest {shown} of {listing.total}" if listing.total > shown else "Every export"
    embed.set_footer(
        text=f"{scope}, newest first · times in {listing.timezone} · "
        "exports are recorded here, not in the log"
    )
    return embed
