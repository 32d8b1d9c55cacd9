"""What /trust says: the invitation, reminders, results, the summary and the replies.

Only what the trust service hands over is shown, and it has already applied the privacy rules
(`bot.services.trust.privacy`): no individual answer, no aggregate over fewer than *k*
organisations, no pair named except to a facilitator. Members' words (organisation names, shared
comments) are escaped. Times are Discord timestamps, so each reader sees their own zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord.app_commands import Choice

from bot.charts import TrendRound
from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT, EMBED_TITLE_LIMIT, clip, escape
from bot.services.reflection import theme_label
from bot.services.schedules import ScheduleSummary, ScheduleView
from bot.services.timeutil import discord_timestamp
from bot.services.trust import (
    ITEMS,
    OWN_ITEM,
    RATING_DIMENSIONS,
    SCALE,
    SCALE_WORDS,
    CheckinResult,
    NetworkFigures,
    PairLine,
    RateResult,
    Reminder,
    RoundFigures,
    RoundResults,
    RoundStatus,
    RoundView,
    Signal,
    TrustSummary,
)
from bot.services.trust.vocab import RATING_LABELS, describe_window, parse_window
from cogs import _schedule_text

DONT_KNOW_CHOICE = "dk"
ANSWER_CHOICES = [
    *(Choice(name=f"{n} {SCALE_WORDS[n]}", value=str(n)) for n in SCALE),
    Choice(name="Don't know", value=DONT_KNOW_CHOICE),
]
SMALL_WIN_CHOICES = [
    Choice(name="Yes", value="yes"),
    Choice(name="No", value="no"),
    Choice(name="Not sure", value="not_sure"),
]
RATING_WORDS = {1: "1 low", 2: "2", 3: "3", 4: "4 high"}
MAX_COMMENTS_SHOWN = 10
MAX_MENTIONS = 90  # user mentions in one reminder message (Discord allows 100)


def answer_value(choice: Choice[str] | None) -> int | None:
    """An item as given in the one-command form: a missing item is "don't know"."""
    if choice is None or choice.value == DONT_KNOW_CHOICE:
        return None
    return int(choice.value)


def small_win_value(choice: Choice[str] | None) -> bool | None:
    if choice is None:
        return None
    return {"yes": True, "no": False}.get(choice.value)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def mean_text(value: float | None) -> str:
    return "not enough answers" if value is None else f"{value:.1f}"


# ---------------------------------------------------------------------------- opening


def invitation(view: RoundView) -> str:
    """The channel post that opens a round. It mentions nobody: members see it in their channel."""
    lines = [
        f"**Trust check-in for {escape(view.partnership_name)}** (round #{view.round_id})",
        "Two minutes, in private: how is trust between the partners going? Four short questions "
        "on the trust-building loop (clear expectations, follow-through, willingness to rely on "
        "each other) and on having a fair say, plus any small win since last time.",
        "Answer with `/trust checkin`. Only you see your answers; the partnership sees totals "
        f"after the round closes {discord_timestamp(view.closes_at, 'R')} "
        f"({discord_timestamp(view.closes_at, 'F')}), and only when at least {view.k} "
        "organisations have answered.",
    ]
    if view.pairwise:
        lines.append(
            "This round also asks representatives to rate each other organisation on "
            f"{', '.join(RATING_LABELS[d].lower() for d in RATING_DIMENSIONS)}: "
            "`/trust rate`. Nobody in the partnership sees which organisation rated which."
        )
    if view.named_pairs:
        lines.append(
            "**Named ratings:** in this round, the partnership's facilitator will see how each "
            "organisation rated each other one, by name. Nobody else will."
        )
    if view.below_threshold:
        lines.append(below_threshold(view))
    return "\n\n".join(lines)


def below_threshold(view: RoundView) -> str:
    return (
        f"-# This partnership has fewer than {view.k} organisations that can answer, so the "
        "results of this round cannot be shown; answers are still kept private."
    )


def open_reply(view: RoundView, link: str | None) -> str:
    where = f" Invitation posted: {link}" if link else ""
    text = (
        f"Opened trust check-in round #{view.round_id} of **{escape(view.partnership_name)}** "
        f"for {people(view.answerers)} from "
        f"{plural(len(view.organisations), 'organisation')}. It closes "
        f"{discord_timestamp(view.closes_at, 'F')}; a reminder goes to those who haven't "
        f"answered {discord_timestamp(view.remind_at, 'R')}.{where}"
    )
    if view.below_threshold:
        text += (
            f"\n**Results cannot be shown:** fewer than {view.k} organisations can answer "
            f"({len(view.organisations)} in this round). Add partners, or lower the threshold "
            "with `/partnership configure` while no round has answers."
        )
    return text


def checkin_thanks(result: CheckinResult) -> str:
    again = "replaced your earlier answer" if result.replaced else "kept your answer"
    return (
        f"Thank you: I {again} in round #{result.round_id} of "
        f"**{escape(result.partnership_name)}**. Only you can see it; you can change it with "
        "`/trust checkin` until the round closes."
    )


def rate_thanks(result: RateResult) -> str:
    again = "replaced your rating" if result.replaced else "kept your rating"
    return (
        f"Thank you: I {again} of **{escape(result.organisation)}** in round "
        f"#{result.round_id}. Nobody in the partnership sees which organisation rated which."
    )


def status_text(status: RoundStatus) -> str:
    answered = ", ".join(f"<@{u}>" for u in status.answered) or "nobody yet"
    waiting = ", ".join(f"<@{u}>" for u in status.waiting) or "nobody"
    name = f" of **{escape(status.partnership_name)}**" if status.partnership_name else ""
    return (
        f"Trust check-in round #{status.round_id}{name} closes "
        f"{discord_timestamp(status.closes_at, 'F')}.\n"
        f"**Answered ({len(status.answered)}):** {answered}\n"
        f"**Not yet ({len(status.waiting)}):** {waiting}\n"
        "-# Who has answered, never what."
    )


# ---------------------------------------------------------------------------- reminders


def reminder_dm(reminder: Reminder) -> str:
    return (
        f"A reminder: the trust check-in of **{escape(reminder.partnership_name)}** closes "
        f"{discord_timestamp(reminder.closes_at, 'R')}. Two minutes with `/trust checkin` in the "
        "partnership's channel; only you see your answers."
    )


def reminder_channel(reminder: Reminder, user_ids: Sequence[int]) -> str:
    mentions = " ".join(f"<@{u}>" for u in user_ids)
    return (
        f"{mentions} I couldn't send you a direct message: the trust check-in closes "
        f"{discord_timestamp(reminder.closes_at, 'R')}. Answer privately with `/trust checkin`."
    )


# ---------------------------------------------------------------------------- results


def figure_lines(figures: RoundFigures, k: int) -> list[str]:
    """A round's results as lines, or why they are not shown."""
    if not figures.shown:
        return [
            f"Not enough answers to show results: at least {k} organisations are needed "
            f"({figures.organisations_answered} answered)."
        ]
    lines = [
        f"{plural(figures.organisations_answered, 'organisation')} answered; each "
        "organisation weighs the same. Means on 1 (strongly disagree) to 5 (strongly agree):"
    ]
    for item in ITEMS:
        lines.append(f"• {item.label} ({item.arc}): **{mean_text(figures.means.get(item.key))}**")
    if figures.listened is not None:
        lines.append(
            f"• {OWN_ITEM.label} (people in their own capacity): **{figures.listened:.1f}**"
        )
    if figures.small_wins is not None:
        lines.append(f"Small wins: {people(figures.small_wins)} said yes.")
    return lines


def network_lines(network: NetworkFigures) -> list[str]:
    lines = [
        f"{plural(network.raters, 'organisation')} rated each other. Density "
        f"{network.density:.0%} (ratings of 3 or 4); reciprocity "
        + ("n/a" if network.reciprocity is None else f"{network.reciprocity:.0%}")
        + f"; strongly asymmetric pairs: {network.asymmetric_pairs}."
    ]
    if network.received:
        received = ", ".join(f"{escape(n)} {v:.1f}" for n, v in network.received.items())
        lines.append(f"Trust received (mean of 1–4): {received}")
    change = network.change
    if change:
        parts = [f"density {change.get('density', 0):+.0%}"]
        if change.get("reciprocity") is not None:
            parts.append(f"reciprocity {change['reciprocity']:+.0%}")
        if change.get("mean_rating") is not None:
            parts.append(f"mean rating {change['mean_rating']:+.1f}")
        lines.append(
            f"Since the last pairwise round (over {change.get('organisations', '?')} "
            f"organisations in both): {', '.join(parts)}."
        )
    if network.turnover is not None:
        t = network.turnover
        lines.append(f"Turnover: {t.joined} joined, {t.left} left, {t.stayed} stayed.")
    return lines


def comment_lines(comments: Sequence[str]) -> list[str]:
    shown = [f"> {escape(' '.join(c.split()))}" for c in comments[:MAX_COMMENTS_SHOWN]]
    if len(comments) > MAX_COMMENTS_SHOWN:
        shown.append(f"…and {len(comments) - MAX_COMMENTS_SHOWN} more.")
    return shown


def results_embed(results: RoundResults) -> discord.Embed:
    figures = results.figures
    early = " (closed early)" if results.early else ""
    embed = discord.Embed(
        title=clip(
            f"Trust check-in results: {results.partnership_name}, round #{results.round_id}",
            EMBED_TITLE_LIMIT,
        ),
        description=clip(
            "\n".join(figure_lines(figures, results.k)) + early, EMBED_DESCRIPTION_LIMIT
        ),
        colour=discord.Colour.teal() if results.shown else discord.Colour.light_grey(),
    )
    if results.shown and figures.shared_comments:
        embed.add_field(
            name="Shared comments (anonymous, in random order)",
            value=clip("\n".join(comment_lines(figures.shared_comments)), EMBED_FIELD_LIMIT),
            inline=False,
        )
    if results.shown and figures.network is not None:
        embed.add_field(
            name="Trust network",
            value=clip("\n".join(network_lines(figures.network)), EMBED_FIELD_LIMIT),
            inline=False,
        )
    embed.set_footer(text="See the trend with /trust summary. Individual answers are never shown.")
    return embed


def results_text(results: RoundResults) -> str:
    if results.shown:
        return f"The trust check-in of **{escape(results.partnership_name)}** has closed."
    return (
        f"The trust check-in of **{escape(results.partnership_name)}** has closed: not enough "
        "answers to show results."
    )


# ---------------------------------------------------------------------------- summary


def signal_line(signal: Signal) -> str:
    line = f"• {signal.message}"
    if signal.suggested_theme:
        label = theme_label(signal.suggested_theme)
        line += f" Next prompt: `/reflect now theme:{label}`."
    return line


def pair_line(pair: PairLine) -> str:
    def rating(value: float | None) -> str:
        return "not rated" if value is None else f"{value:.1f}"

    flag = " **(strongly asymmetric)**" if pair.asymmetric else ""
    return (
        f"• {escape(pair.first)} → {escape(pair.second)}: {rating(pair.first_to_second)}; "
        f"{escape(pair.second)} → {escape(pair.first)}: {rating(pair.second_to_first)}{flag}"
    )


def trend_line(figures: RoundFigures) -> str:
    when = discord_timestamp(figures.closed_at, "d") if figures.closed_at else "open"
    if not figures.shown:
        return f"#{figures.round_id} ({when}): not enough answers"
    means = " · ".join(f"{item.label} {mean_text(figures.means.get(item.key))}" for item in ITEMS)
    return f"#{figures.round_id} ({when}, {figures.organisations_answered} orgs): {means}"


def summary_embed(summary: TrustSummary, *, chart_name: str | None) -> discord.Embed:
    latest = summary.rounds[-1] if summary.rounds else None
    if latest is None:
        description = "No trust check-in round has closed yet."
    else:
        description = "\n".join(
            [f"**Latest round, #{latest.round_id}:**", *figure_lines(latest, summary.k)]
        )
    if summary.open_round_id is not None and summary.open_closes_at is not None:
        description += (
            f"\n\nRound #{summary.open_round_id} is open until "
            f"{discord_timestamp(summary.open_closes_at, 'F')}; its results stay hidden until "
            "it closes."
        )
    embed = discord.Embed(
        title=clip(f"Trust check-ins: {summary.partnership_name}", EMBED_TITLE_LIMIT),
        description=clip(description, EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.teal(),
    )
    if len(summary.rounds) > 1:
        embed.add_field(
            name="Over the rounds",
            value=clip("\n".join(trend_line(f) for f in summary.rounds), EMBED_FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(
        name="Signals and next steps",
        value=clip(
            "\n".join(signal_line(s) for s in summary.signals) or "Nothing stands out.",
            EMBED_FIELD_LIMIT,
        ),
        inline=False,
    )
    if latest is not None and latest.shown and latest.shared_comments:
        embed.add_field(
            name="Shared comments of the latest round (anonymous, in random order)",
            value=clip("\n".join(comment_lines(latest.shared_comments)), EMBED_FIELD_LIMIT),
            inline=False,
        )
    network = next((f.network for f in reversed(summary.rounds) if f.network is not None), None)
    if network is not None:
        embed.add_field(
            name="Trust network (latest pairwise round)",
            value=clip("\n".join(network_lines(network)), EMBED_FIELD_LIMIT),
            inline=False,
        )
    if summary.named_pairs:
        embed.add_field(
            name="Named pairs (for you as facilitator only)",
            value=clip("\n".join(pair_line(p) for p in summary.named_pairs), EMBED_FIELD_LIMIT),
            inline=False,
        )
    if chart_name:
        embed.set_image(url=f"attachment://{chart_name}")
    embed.set_footer(
        text=f"Results show only when at least {summary.k} organisations answered; "
        "each organisation weighs the same."
    )
    return embed


def trend_rounds(summary: TrustSummary) -> list[TrendRound]:
    """The rounds as the chart draws them (only what may be shown)."""
    found = []
    for figures in summary.rounds:
        turnover = None
        network = figures.network
        if network is not None and network.turnover is not None:
            turnover = f"+{network.turnover.joined} −{network.turnover.left}"
        found.append(
            TrendRound(
                label=f"#{figures.round_id}",
                shown=figures.shown,
                organisations=figures.organisations_answered,
                means=figures.means if figures.shown else {},
                closed_at=figures.closed_at,
                turnover=turnover,
            )
        )
    return found


CHART_LABELS = {item.key: item.label for item in ITEMS}


# ---------------------------------------------------------------------------- schedules


def window_of(view: ScheduleView) -> str:
    window = view.options.get("window")
    return describe_window(parse_window(window if isinstance(window, str) else None))


def schedule_reply(view: ScheduleView, headline: str) -> str:
    return _schedule_text.schedule_reply(
        view,
        headline,
        f"Each round stays open for {window_of(view)}; a reminder goes at 80 % of it to those "
        "who haven't answered.",
    )


def schedule_block(s: ScheduleSummary) -> str:
    return "\n".join(
        _schedule_text.schedule_lines(s, f"Each round open for {window_of(s.schedule)}")
    )
