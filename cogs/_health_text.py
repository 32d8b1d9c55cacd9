"""The words of `/partnership health`: one embed within Discord's limits, with the chart.

Goal titles and organisation names are user text and are escaped; an action's owner is a
mention, which the reply never pings (`bot.replies.send` allows no mentions).
"""

from __future__ import annotations

import discord

from bot.prompts import THEMES
from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT, EMBED_TITLE_LIMIT, escape
from bot.services.health import HealthSignal, HealthView, SignalKey, Subject, Urgency
from bot.services.text import clip

CHART_NAME = "partnership-health.png"
EMBED_TOTAL_LIMIT = 6000
FIELD_NAME_LIMIT = 256

LEVEL_WORDS: dict[str, str] = {Urgency.attention: "Attention", Urgency.watch: "Watch"}
TITLES: dict[str, str] = {
    SignalKey.goals_unagreed: "Goals long unagreed",
    SignalKey.objections: "Objections",
    SignalKey.trust: "Trust check-ins",
    SignalKey.actions_overdue: "Overdue actions",
    SignalKey.unrepresented: "Organisations without a voice",
    SignalKey.refer_back: "Representatives must refer back",
    SignalKey.membership_views: "Membership seen differently",
    SignalKey.participation_falling: "Falling participation",
    SignalKey.churn: "Membership churn",
    SignalKey.no_small_wins: "No small wins",
}
FOOTER = (
    "Attention: worth discussing soon. Watch: keep an eye on it. Thresholds and sources: "
    "the README, “Partnership health”."
)


def subject_line(subject: Subject) -> str:
    parts = []
    if subject.number is not None:
        quoted = f" “{escape(subject.name)}”" if subject.name else ""
        parts.append(f"#{subject.number}{quoted}")
    elif subject.name:
        parts.append(f"**{escape(subject.name)}**")
    if subject.owner_id is not None:
        parts.append(f"<@{subject.owner_id}>")
    if subject.names:
        parts.append(", ".join(escape(name) for name in subject.names))
    if subject.detail:
        parts.append(subject.detail)
    return " · ".join(parts)


def signal_name(signal: HealthSignal) -> str:
    """`Attention · Overdue actions`; a trust signal (`trust.<key>`) is a trust check-in's."""
    title = TITLES.get(signal.key.split(".", 1)[0], "Signal")
    return clip(f"{LEVEL_WORDS.get(signal.level, signal.level)} · {title}", FIELD_NAME_LIMIT)


def signal_value(signal: HealthSignal) -> str:
    lines = [signal.finding]
    lines += [f"• {subject_line(s)}" for s in signal.subjects]
    if signal.more:
        lines.append(f"• and {signal.more} more")
    steps = []
    if signal.action:
        steps.append(f"**Next step:** {signal.action}")
    if signal.theme in THEMES:
        assert signal.theme is not None
        steps.append(
            f"**Reflect on it:** `/reflect now theme:{THEMES[signal.theme].label}` (conveners)"
        )
    return "\n".join(lines + steps)


def fit(values: list[str], budget: int) -> list[str]:
    """Clip `values` so that together they take at most `budget` characters, each at most a
    field's limit: the shortest keep all they have, the longest share what is left."""
    limits = [min(len(v), EMBED_FIELD_LIMIT) for v in values]
    if sum(limits) <= budget:
        return [clip(v, EMBED_FIELD_LIMIT) for v in values]
    order = sorted(range(len(values)), key=lambda i: limits[i])
    left, share = budget, [0] * len(values)
    for position, index in enumerate(order):
        fair = left // (len(values) - position)
        share[index] = min(limits[index], fair)
        left -= share[index]
    return [clip(v, max(share[i], 1)) for i, v in enumerate(values)]


def colour(view: HealthView) -> discord.Colour:
    if view.healthy:
        return discord.Colour.teal()
    return discord.Colour.orange() if view.attention else discord.Colour.gold()


def health_embed(view: HealthView, *, chart_name: str | None = CHART_NAME) -> discord.Embed:
    title = clip(f"Partnership health: {view.partnership_name}", EMBED_TITLE_LIMIT)
    if view.healthy:
        description = "**Nothing to discuss right now.** Checked:\n" + "\n".join(
            f"• {line}" for line in view.checked
        )
    else:
        total = len(view.signals)
        watch = total - view.attention
        description = (
            f"{total} signal{'' if total == 1 else 's'} of collaborative inertia to discuss: "
            f"{view.attention} for attention, {watch} to watch. Each has a next step you can "
            "log as an action (`/log note kind:action`) and a theme to reflect on."
        )
    description = clip(description, EMBED_DESCRIPTION_LIMIT)
    footer = f"As of {view.today.isoformat()}, in the partnership's time zone. {FOOTER}"
    embed = discord.Embed(title=title, description=description, colour=colour(view))
    signals = view.signals[:25]
    names = [signal_name(s) for s in signals]
    budget = EMBED_TOTAL_LIMIT - len(title) - len(description) - len(footer) - sum(map(len, names))
    for name, value in zip(names, fit([signal_value(s) for s in signals], budget), strict=True):
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    if chart_name:
        embed.set_image(url=f"attachment://{chart_name}")
    return embed
