"""The guide's words laid out for Discord: the `/guide` embed, the setup checklist's lines, the
greeting of a new member, and the message a server gets when the bot joins it.

The words themselves are in `bot/services/guide/guide.toml`; where a person stands comes from
`GuideService`. Names people typed (partnerships, organisations) are made inert here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT, EMBED_TITLE_LIMIT, clip, escape
from bot.services.access import convener_only
from bot.services.guide import (
    Checklist,
    GuideContext,
    GuideText,
    Missing,
    Role,
    Standing,
    load_guide,
)
from bot.services.register import MemberView
from bot.services.vocab import OWN_CAPACITY, label, with_article

EMBED_TOTAL_LIMIT = 6000
FIRST_STEPS = 3
# Roles that may use every command (conveners, and server managers acting as conveners).
CONVENING = frozenset({Role.convener, Role.manager})
# Roles of people in no partnership (here, or anywhere): the commands they can use already.
OUTSIDE = frozenset({"creator", "newcomer", "outsider"})


# ---- the setup checklist


def gap_line(missing: Missing, guide: GuideText | None = None) -> str:
    """One gap of the checklist, with the command that closes it."""
    words = (guide or load_guide()).gaps[missing.gap]
    return words.format(organisation=f"**{escape(missing.organisation or '')}**")


def checklist_lines(checklist: Checklist, *, limit: int | None = None) -> list[str]:
    """The gaps as lines, at most `limit` of them (the last line then says how many more)."""
    guide = load_guide()
    lines = [gap_line(m, guide) for m in checklist.missing]
    if limit is not None and len(lines) > limit:
        rest = len(lines) - limit + 1
        lines = [*lines[: limit - 1], f"… and {rest} more: see `/partnership info`."]
    return lines


def checklist_text(checklist: Checklist, *, limit: int = 8) -> str:
    return "\n".join(f"• {line}" for line in checklist_lines(checklist, limit=limit))


# ---- where a person stands


def role_key(ctx: GuideContext) -> str:
    """Which of the guide's roles speaks to this person."""
    if ctx.here is not None:
        return ctx.here.role.value
    if ctx.outsider_here:
        return "outsider"
    if ctx.focus is not None:
        return ctx.focus.role.value
    return "creator" if ctx.may_create else "newcomer"


def describe_standing(s: Standing) -> str:
    """`convener · representative of Riverside Council`, for the list of a person's own
    partnerships."""
    parts = []
    if s.is_convener:
        parts.append("convener")
    if s.capacity:
        role = label(s.capacity)
        if s.organisation:
            role += f" of {escape(s.organisation)}"
        elif s.capacity in OWN_CAPACITY:
            role += ", own capacity"
        parts.append(role)
    if s.archived:
        parts.append("archived")
    return " · ".join(parts)


def _fill(text: str, ctx: GuideContext, s: Standing | None, guide: GuideText) -> str:
    organisation = escape(s.organisation) if s and s.organisation else ""
    capacity = label(s.capacity) if s and s.capacity else ""
    as_member = ""
    if s is not None and s.is_convener and s.capacity:
        if organisation:
            as_member = f" and the {capacity} of **{organisation}**"
        elif s.capacity in OWN_CAPACITY:
            as_member = ", taking part in your own capacity"
        else:
            as_member = f" ({capacity})"
    extra = guide.roles["own_capacity"].extra
    return text.format(
        partnership=escape(s.partnership) if s else "",
        organisation=organisation or "your organisation",
        capacity=capacity,
        mandate=f" (mandate: {label(s.mandate)})" if s and s.mandate else "",
        counted=extra["counted_yes"] if s and s.counted else extra["counted_no"],
        admin_role=escape(ctx.admin_role_name),
        as_member=as_member,
        for_organisation=f" for **{organisation}**" if organisation else "",
    )


def first_steps(ctx: GuideContext, guide: GuideText) -> list[str]:
    """The first three steps for this person's role; a convener's come from the setup
    checklist until setup is complete."""
    key = role_key(ctx)
    focus = ctx.focus
    if key == Role.convener and focus is not None and not focus.checklist.complete:
        return checklist_lines(focus.checklist, limit=FIRST_STEPS)
    return [_fill(step, ctx, focus, guide) for step in guide.roles[key].steps]


def who_line(ctx: GuideContext, guide: GuideText) -> str:
    key = role_key(ctx)
    focus = ctx.focus if key not in OUTSIDE else None
    line = f"You are {_fill(guide.roles[key].who, ctx, focus, guide)}."
    if focus is not None and focus.archived:
        line += " It is archived: read-only, nothing deleted."
    if ctx.here is None and focus is not None and len(ctx.partnerships) > 1:
        line += " (Use `/guide` in a partnership's channel for your steps there.)"
    return line


# ---- the commands a person can use


def usable(command: str, key: str, *, may_create: bool) -> bool:
    """Whether a person in role `key` can use `command` (a qualified name)."""
    if command == "partnership create":
        return may_create
    if key in OUTSIDE:
        return command in {"guide", "partnership list"}
    if key in CONVENING:
        return True
    return not convener_only(command)


def command_overview(commands: Iterable[str], key: str, *, may_create: bool) -> str:
    """`/goal` propose · endorse · … , one line per command group, for what this role can use."""
    groups: dict[str, list[str]] = {}
    for command in commands:
        if not usable(command, key, may_create=may_create):
            continue
        top, _, rest = command.partition(" ")
        groups.setdefault(top, [])
        if rest:
            groups[top].append(rest)
    return "\n".join(
        f"`/{top}` " + " · ".join(subs) if subs else f"`/{top}`" for top, subs in groups.items()
    )


def topic_commands(rows: Sequence[tuple[str, str]], key: str, *, may_create: bool) -> str:
    lines = []
    for command, what in rows:
        name = command.removeprefix("/")
        if key in OUTSIDE or usable(name, key, may_create=may_create):
            lines.append(f"`{command}` {what}")
    return "\n".join(lines)


# ---- the embed


def guide_embed(ctx: GuideContext, topic_key: str, commands: Sequence[str]) -> discord.Embed:
    """The guide on one topic for this person: `commands` are every command's qualified name,
    in the order the bot has them."""
    guide = load_guide()
    topic = guide.topics[topic_key]
    key = role_key(ctx)
    parts = []
    if topic_key == "start":
        parts.append(guide.about)
    parts.append(who_line(ctx, guide))
    if topic_key == "start":
        steps = first_steps(ctx, guide)
        parts.append(
            "**Your first steps**\n" + "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
        )
    if topic.text:
        parts.append(topic.text)
    embed = discord.Embed(
        title=clip(f"Partnerbot guide: {topic.title}", EMBED_TITLE_LIMIT),
        description=clip("\n\n".join(parts), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.teal(),
    )
    if ctx.here is None and ctx.partnerships:
        embed.add_field(
            name="Your partnerships",
            value=clip(
                "\n".join(
                    f"**{escape(s.partnership)}**"
                    + (f" · <#{s.channel_id}>" if s.channel_id else "")
                    + f" · {describe_standing(s)}"
                    for s in ctx.partnerships
                ),
                EMBED_FIELD_LIMIT,
            ),
            inline=False,
        )
    heading = "Commands members use" if key in OUTSIDE else "Commands you can use"
    listed = (
        command_overview(commands, key, may_create=ctx.may_create)
        if topic_key == "start"
        else topic_commands(topic.commands, key, may_create=ctx.may_create)
    )
    if topic_key == "start" and key in OUTSIDE:
        heading = "Commands you can use now"
    if listed:
        embed.add_field(name=heading, value=clip(listed, EMBED_FIELD_LIMIT), inline=False)
    for concept_key in topic.concepts:
        concept = guide.concepts[concept_key]
        embed.add_field(
            name=clip(concept.name, 256),
            value=clip(f"{concept.plain}\n*{concept.source}*", EMBED_FIELD_LIMIT),
            inline=False,
        )
    others = " · ".join(t for t in guide.topics if t != topic_key)
    embed.set_footer(text=f"More with /guide topic: {others}")
    return embed


# ---- messages in a channel


def member_greeting(view: MemberView, partnership: str) -> str:
    """The one public line that greets a new member: it mentions them (only them), says their
    role, organisation and mandate, and points to `/guide`."""
    capacity = label(view.capacity)
    if view.organisation:
        role = f"the {capacity} of **{escape(view.organisation)}**"
        if view.mandate:
            role += f" (mandate: {label(view.mandate)})"
    elif view.capacity in OWN_CAPACITY:
        role = f"{with_article(capacity)}, in your own capacity"
    else:
        role = f"the {capacity}" if capacity == "facilitator" else f"an {capacity}"
    if view.is_convener:
        role += ", and a convener"
    return clip(
        f"Welcome to **{escape(partnership)}**, <@{view.user_id}>! You join as {role}. "
        "Type `/guide` to see what is yours to do here.",
        2000,
    )


def join_message(guild_name: str) -> str:
    """The message a server gets when Partnerbot joins it."""
    return clip(
        f"Hello, {escape(guild_name)}! Partnerbot helps partnerships of public bodies, charities "
        "and citizens work together here: who takes part and for whom, goals agreed "
        "organisation by organisation, regular reflection and private trust check-ins.\n"
        "Start with `/guide`: it shows what Partnerbot is for and your first steps. "
        "Someone with Manage Channels creates a partnership with `/partnership create` "
        "(give `organisation` and `sector` to take part for your organisation).",
        2000,
    )


def create_reply(
    name: str,
    channel: str,
    *,
    organisation: str | None,
    capacity: str | None,
    note: str | None,
) -> str:
    """What the creator of a partnership is told: their role, and (in their own capacity) how
    that changes."""
    text = f"Created **{escape(name)}** with its private channel {channel}. "
    if organisation:
        text += (
            f"You are its convener and the {label(capacity or 'representative')} of "
            f"**{escape(organisation)}**, which joins as a core partner."
        )
        if note:
            text += f"\n{escape(note)}"
        return text
    return text + (
        "You are its convener, taking part **in your own capacity**: you speak for yourself, "
        "not for an organisation. To speak for your organisation, add it with `/partner add`, "
        "then ask another convener (or someone with Manage Server) to make you its "
        "representative with `/member update`: nobody changes their own standing. "
        "If you are the only convener, first make someone else one with "
        "`/member add … convener:true`."
    )


def welcome_message(name: str, purpose: str, convener_id: int, checklist: Checklist | None) -> str:
    """The message that opens a new partnership's channel, with what setup still lacks."""
    text = (
        f"Welcome to **{escape(name)}**.\n> {escape(purpose)}\n"
        f"Convener: <@{convener_id}>. Everyone: `/guide` shows what Partnerbot is for and "
        "what is yours to do here."
    )
    if checklist is not None and not checklist.complete:
        text += "\n**To finish setting up** (`/partnership info` shows what is left):\n"
        text += checklist_text(checklist)
    return clip(text, 2000)
