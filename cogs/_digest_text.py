"""The words of the weekly digest: one embed in the partnership's channel, within Discord's
limits. Goal titles and organisation names are escaped; owners are mentions that ping nobody
(the message allows no mentions). It counts and names, never quotes: no answer, note, comment
or check-in text is ever in it."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT, EMBED_TITLE_LIMIT, escape
from bot.services.digest import Digest, DigestGoal, DigestSetting
from bot.services.text import clip
from bot.services.timeutil import discord_timestamp
from bot.services.vocab import label
from cogs._goal_embeds import fit, join_lines
from cogs._health_text import signal_name, subject_line

TITLE_ROOM = 150
DIGEST_CHOICES = [
    discord.app_commands.Choice(name="weekly: every Monday at 09:00", value="weekly"),
    discord.app_commands.Choice(name="off", value="off"),
]
SUBJECTS_SHOWN = 3  # subjects named under one signal of what needs attention


def _goal_line(goal: DigestGoal, *, level: bool = False) -> str:
    parts = [f"#{goal.id} “{escape(clip(goal.title, TITLE_ROOM))}”"]
    if level:
        parts.append(label(goal.level))
    if goal.link:
        parts.append(f"[card]({goal.link})")
    return "• " + " · ".join(parts)


def _reflection_value(digest: Digest) -> str:
    posted = digest.prompts_posted
    head = f"{posted} prompt{'' if posted == 1 else 's'} posted."
    if not digest.reflections:
        return f"{head} No answers this week."
    total = sum(c.answers for c in digest.reflections)
    counts = " · ".join(
        f"{escape(c.organisation) if c.organisation else 'in their own capacity'}: {c.answers}"
        for c in digest.reflections
    )
    return f"{head} {total} answer{'' if total == 1 else 's'}: {counts}"


def digest_embed(digest: Digest) -> discord.Embed:
    title = clip(f"Weekly digest: {escape(digest.partnership)}", EMBED_TITLE_LIMIT)
    description = (
        f"The week of {digest.first_day.isoformat()} to {digest.last_day.isoformat()} "
        f"({digest.timezone})."
    )
    if digest.quiet:
        description += " A quiet week: nothing new, nothing due, nothing to flag."
    embed = discord.Embed(
        title=title,
        description=clip(description, EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.blurple(),
    )
    if digest.new_goals:
        embed.add_field(
            name=f"New goals ({len(digest.new_goals)})",
            value=join_lines(
                [_goal_line(g, level=True) for g in digest.new_goals], EMBED_FIELD_LIMIT
            ),
            inline=False,
        )
    if digest.agreed:
        embed.add_field(
            name=f"Agreed ({len(digest.agreed)})",
            value=join_lines([_goal_line(g) for g in digest.agreed], EMBED_FIELD_LIMIT),
            inline=False,
        )
    if digest.attention:
        lines = []
        for signal in digest.attention:
            line = f"• **{signal_name(signal)}**: {signal.finding}"
            subjects = [subject_line(s) for s in signal.subjects[:SUBJECTS_SHOWN]]
            if subjects:
                line += f" ({'; '.join(subjects)})"
            lines.append(line)
        embed.add_field(
            name=f"Needs attention ({len(digest.attention)})",
            value=join_lines(lines, EMBED_FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(
        name="Reflections", value=clip(_reflection_value(digest), EMBED_FIELD_LIMIT), inline=False
    )
    if digest.actions_due:
        lines = []
        for action in digest.actions_due:
            parts = [f"#{action.id}"]
            if action.owner_id is not None:
                parts.append(f"<@{action.owner_id}>")
            parts.append(f"due {action.due.isoformat()}")
            if action.link:
                parts.append(f"[note]({action.link})")
            lines.append("• " + " · ".join(parts))
        embed.add_field(
            name=f"Actions due in the coming week ({len(digest.actions_due)})",
            value=join_lines(lines, EMBED_FIELD_LIMIT),
            inline=False,
        )
    embed.set_footer(
        text="Posted every Monday at 09:00. `/todo` shows what waits for you; "
        "conveners turn this off with /partnership configure digest:off."
    )
    return fit(embed)


def _next(upcoming: list[datetime]) -> str:
    return f" The next one: {discord_timestamp(upcoming[0], 'F')}." if upcoming else ""


def digest_setting_text(setting: DigestSetting) -> str:
    """What turning the digest on or off did, for the convener's reply."""
    if setting.created is not None:
        return (
            "The weekly digest is scheduled: every Monday at 09:00 in the partnership's time "
            "zone, in its channel." + _next(setting.created.upcoming)
        )
    if setting.resumed is not None:
        return "The weekly digest runs again." + _next(setting.resumed.upcoming)
    if setting.running is not None:
        return "The weekly digest is scheduled." + _next(setting.running.upcoming)
    if setting.cancelled:
        return "The weekly digest is cancelled: no more digests are posted."
    if setting.on:
        return "The weekly digest is on."
    return "The weekly digest is off."


def announcements_note(changes: dict[str, tuple[object, object]]) -> str:
    """What turning announcements on or off means, said once when it changes."""
    if "announcements" not in changes:
        return ""
    if changes["announcements"][1]:
        return (
            "\nA goal agreed, a new status or new progress is now announced by one line in the "
            "partnership's channel, linking to the goal's card and mentioning nobody."
        )
    return "\nGoal news is no longer announced in the channel; goal cards still update in place."
