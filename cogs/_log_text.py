"""What /log posts and replies: the note's message in the channel, and the log's pages."""

from __future__ import annotations

import discord

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, MESSAGE_LIMIT, escape
from bot.services.notes import DONE, OVERDUE, LogLine, LogPage, NoteDraft, NoteKind, kind_label
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
    kind = NoteKind(draft.kind)
    head = f"{ICONS[kind]} **{kind_label(kind).capitalize()}** from {escape(name_of(author))}"
    if kind == NoteKind.action and draft.owner_id is not None and draft.due is not None:
        head += f" · owner <@{draft.owner_id}>, due {draft.due.isoformat()}"
    if draft.goal_id is not None:
        head += f" · goal #{draft.goal_id} {escape(draft.goal_title or '')}"
    if draft.review_on is not None:
        head += f" · review on {draft.review_on.isoformat()}"
    return clip(f"{head}\n{escape(draft.text)}", MESSAGE_LIMIT)


def note_mentions(draft: NoteDraft) -> discord.AllowedMentions:
    """Nobody is pinged, except an action's owner."""
    if draft.kind == NoteKind.action and draft.owner_id is not None:
        return discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(id=draft.owner_id)]
        )
    return discord.AllowedMentions.none()


def _kind_word(kind: str) -> str:
    return kind_label(kind.split(".", 1)[-1] if kind.startswith("note.") else kind)


def page_line(line: LogLine) -> str:
    link = f" [↗]({line.message_link})" if line.message_link else ""
    if line.state is not None:
        owner = f"<@{line.owner_id}>" if line.owner_id else "no owner"
        due = line.due.isoformat() if line.due else "no date"
        text = (
            f"{STATE_ICONS.get(line.state, '')} **#{line.id}** {line.state} · {owner} · due {due}"
        )
        return clip(f"{text} — {escape(line.summary)}", LINE_LIMIT - len(link)) + link
    when = discord_timestamp(line.occurred_at, "d")
    text = f"**#{line.id}** {when} · {_kind_word(line.kind)} — {escape(line.summary)}"
    return clip(text, LINE_LIMIT - len(link)) + link


def page_embed(page: LogPage) -> discord.Embed:
    what = f"{kind_label(page.kind)}s" if page.kind else "log"
    title = clip(f"{escape(page.partnership)}: {what}", EMBED_TITLE_LIMIT)
    if page.lines:
        body = "\n".join(page_line(line) for line in page.lines)
    elif page.page:
        body = "No older entries."
    else:
        body = "Nothing in the log yet" + (" of that kind." if page.kind else ".")
    embed = discord.Embed(title=title, description=clip(body, EMBED_DESCRIPTION_LIMIT))
    since = f" · since {page.since.isoformat()}" if page.since else ""
    embed.set_footer(text=f"Page {page.page + 1}{since} · newest first")
    return embed
