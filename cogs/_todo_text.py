"""The words of `/todo`: one private embed within Discord's limits.

Each item names the command that settles it and links to its card, post or note where there is
one. Titles and texts are user text: escaped and clipped. In one partnership the lines stand on
their own; across several, each line names its partnership.
"""

from __future__ import annotations

import discord

from bot.replies import EMBED_FIELD_LIMIT, EMBED_TITLE_LIMIT, escape
from bot.services.text import clip
from bot.services.timeutil import discord_timestamp
from bot.services.todo import PROMPT_DAYS, TodoItem, TodoKind, TodoList
from cogs._goal_embeds import fit, join_lines

TEXT_ROOM = 120  # of a title, a prompt or an action's text, in one line

HEADINGS = {
    TodoKind.stance: "Goals waiting for your stance",
    TodoKind.response: "Goals waiting for your organisation's response",
    TodoKind.prompt: f"Reflective prompts to answer (last {PROMPT_DAYS} days)",
    TodoKind.trust: "Trust check-in to answer",
    TodoKind.action: "Your actions",
}


def _quoted(text: str) -> str:
    return f"“{escape(clip(' '.join(text.split()), TEXT_ROOM))}”" if text.strip() else ""


def _link(word: str, link: str | None) -> str:
    return f"[{word}]({link})" if link else ""


def command(item: TodoItem, *, name_partnership: bool) -> str:
    """The command that settles an item, as a person would type it."""
    if item.kind == TodoKind.stance:
        return f"`/goal endorse goal:{item.number}`"
    if item.kind == TodoKind.response:
        return f"`/goal respond goal:{item.number}`"
    if item.kind == TodoKind.prompt:
        return f"`/reflect respond prompt:{item.number}`"
    if item.kind == TodoKind.trust:
        where = f" partnership:{item.partnership}" if name_partnership else ""
        return f"`/trust checkin{escape(where)}`"
    return f"`/log done action:{item.number}`"


def item_line(item: TodoItem, *, several: bool) -> str:
    """One item on one line: what, when, where to find it, the command."""
    parts: list[str] = []
    if item.kind in (TodoKind.stance, TodoKind.response):
        whose = f"for **{escape(item.organisation)}**" if item.organisation else "your own"
        parts += [f"#{item.number} {_quoted(item.title)}", whose]
        if item.due:
            parts.append(f"by {item.due.isoformat()}")
        parts.append(_link("card", item.link))
    elif item.kind == TodoKind.prompt:
        parts.append(f"#{item.number} {_quoted(item.title)}")
        if item.posted_at:
            parts.append(f"posted {discord_timestamp(item.posted_at, 'R')}")
        parts.append(_link("post", item.link))
    elif item.kind == TodoKind.trust:
        parts.append(f"round #{item.number}")
        if item.closes_at:
            parts.append(f"closes {discord_timestamp(item.closes_at, 'R')}")
    else:
        mark = "⚠️ overdue " if item.overdue else ""
        parts.append(f"{mark}#{item.number} {_quoted(item.title)}".strip())
        if item.due:
            parts.append(f"due {item.due.isoformat()}")
        parts.append(_link("note", item.link))
    parts.append(command(item, name_partnership=several))
    line = " · ".join(p for p in parts if p)
    if several:
        line = f"**{escape(item.partnership)}** · {line}"
    return f"• {line}"


def empty_text(todo: TodoList) -> str:
    """What the reply says when nothing waits."""
    if todo.partnership is not None:
        name = escape(todo.partnership)
        if not todo.member:
            return f"You aren't a member of **{name}**, so nothing there waits for you."
        if todo.archived:
            return f"**{name}** is archived: nothing in it waits for anyone."
        return f"Nothing waits for you in **{name}**. 🎉"
    if todo.partnerships == 0:
        return "You don't belong to any partnership in this server yet, so nothing waits for you."
    which = (
        "your partnership" if todo.partnerships == 1 else f"your {todo.partnerships} partnerships"
    )
    return f"Nothing waits for you in {which}. 🎉"


def todo_embed(todo: TodoList) -> discord.Embed:
    """What awaits the person, a field per kind, within Discord's limits."""
    several = todo.partnership is None
    where = f" in {escape(todo.partnership)}" if todo.partnership else ""
    embed = discord.Embed(
        title=clip(f"What awaits you{where}", EMBED_TITLE_LIMIT),
        colour=discord.Colour.orange(),
    )
    for kind in TodoKind:
        items = todo.of(kind)
        if not items:
            continue
        lines = [item_line(item, several=several) for item in items]
        embed.add_field(
            name=f"{HEADINGS[kind]} ({len(items)})",
            value=join_lines(lines, EMBED_FIELD_LIMIT),
            inline=False,
        )
    scope = (
        "this partnership"
        if todo.partnership
        else f"all {todo.partnerships} of your partnerships here"
        if todo.partnerships != 1
        else "your partnership here"
    )
    embed.set_footer(text=f"Only you see this. It covers {scope}.")
    return fit(embed)
