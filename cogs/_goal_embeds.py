"""What goals look like on Discord: the goal embed with its agreement matrix, the list and
review embeds (the replies to the person acting are in `_goal_replies`).

Everything here is drawn from the service's cards; nothing here reads or changes state.
"""

from __future__ import annotations

import discord

from bot.replies import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_LIMIT,
    EMBED_TITLE_LIMIT,
    clip,
    escape,
)
from bot.services.goals import (
    RESPONSE_LABELS,
    VISIBILITY_WORDS,
    GoalCard,
    GoalStatus,
    OrgLine,
    PersonLine,
    Referral,
    Response,
    ReviewItem,
    ReviewReason,
    Stance,
    StanceView,
    Tally,
    describe_value,
    response_text,
)
from bot.services.text import message_link, name_of
from bot.services.timeutil import discord_timestamp
from bot.services.vocab import capacity_label, label, status_label
from cogs._goal_replies import readings_lines, shared

EMBED_TOTAL_LIMIT = 6000
EMBED_FIELDS_MAX = 25

MARKS: dict[str | None, str] = {
    Stance.agree: "✅",
    Stance.reservations: "🟡",
    Stance.unsure: "❔",
    Stance.object: "⛔",
    Response.compatible: "🟢",
    Response.in_tension: "⚡",
    Response.no_effect: "➖",
    Response.didnt_know: "💡",
    None: "▫️",
}
PENDING_MARK = "⏳"  # agreement or reservations subject to referral, awaiting confirmation
COLOURS = {
    GoalStatus.proposed: discord.Colour.blurple(),
    GoalStatus.agreed: discord.Colour.green(),
    GoalStatus.in_progress: discord.Colour.teal(),
    GoalStatus.achieved: discord.Colour.dark_green(),
    GoalStatus.dropped: discord.Colour.dark_grey(),
    GoalStatus.superseded: discord.Colour.light_grey(),
}


# --------------------------------------------------------------------------- embeds


def fit(embed: discord.Embed, limit: int = EMBED_TOTAL_LIMIT) -> discord.Embed:
    """Keep within Discord's 6000-character total: shorten the description, then drop fields."""
    excess = len(embed) - limit
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(200, len(embed.description) - excess))
    while len(embed) > limit and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed


def join_lines(lines: list[str], limit: int, more: str = "… and {n} more") -> str:
    """As many whole lines as fit in `limit`, then a count of the rest."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        line = clip(line, limit)
        remaining = len(lines) - index
        tail = len(more.format(n=remaining)) + 1 if remaining > 1 else 0
        if used + len(line) + 1 + tail > limit:
            out.append(more.format(n=remaining))
            break
        out.append(line)
        used += len(line) + 1
    return clip("\n".join(out), limit)


def goal_title(card: GoalCard) -> str:
    return clip(f"Goal #{card.id}: {escape(card.goal.title)}", EMBED_TITLE_LIMIT)


def progress_text(card: GoalCard) -> str:
    if card.progress is None:
        return "not set" + (
            f" (none of its {card.parts} parts has progress yet)" if card.parts else ""
        )
    if card.rolled_up:
        return f"{card.progress}% (mean of its parts)"
    return f"{card.progress}%"


def _comment(comment: str | None, limit: int) -> str:
    return f" — “{escape(clip(' '.join(comment.split()), limit))}”" if comment else ""


def stance_words(latest: StanceView) -> str:
    """`agree`, `agree, subject to referral (by 2026-12-10)`, `agree, in principle` …"""
    words = response_text(latest.stance)
    if latest.pending:
        by = f"by {latest.refer_by.isoformat()}" if latest.refer_by else "awaiting confirmation"
        return f"{words}, subject to referral ({by})"
    if latest.in_principle:
        return f"{words}, in principle"
    if latest.referral == Referral.confirmed:
        return f"{words}, confirmed after referral"
    return words


def stance_mark(latest: StanceView) -> str:
    return PENDING_MARK if latest.pending else MARKS.get(latest.stance, MARKS[None])


def org_line(line: OrgLine, comment_limit: int = 80) -> str:
    tag = "" if line.counts else f" ({status_label(line.status)})"
    if line.latest is None:
        state = "not yet asked" if line.not_yet_asked else "not yet"
        return f"{MARKS[None]} **{escape(line.name)}**{tag}: {state}"
    latest = line.latest
    since = " (since agreement)" if line.since_agreement else ""
    return (
        f"{stance_mark(latest)} **{escape(line.name)}**{tag}: {stance_words(latest)}{since}"
        f"{_comment(latest.comment, comment_limit)}"
    )


def person_line(line: PersonLine, comment_limit: int = 80) -> str:
    who = f"{escape(name_of(line.display_name))} ({capacity_label(line.capacity)})"
    if line.latest is None:
        return f"{MARKS[None]} {who}: not yet"
    return (
        f"{MARKS[line.latest.stance]} {who}: {label(line.latest.stance)}"
        f"{_comment(line.latest.comment, comment_limit)}"
    )


def fit_text(card: GoalCard) -> str:
    """An organisation's or a person's goal: how it sits across the partnership."""
    fit = card.fit
    assert fit is not None
    if fit.asked == 0:
        return "No other partner organisations yet to respond."
    counts = ", ".join(f"{fit.counts[r.value]} {RESPONSE_LABELS[r]}" for r in Response)
    lines = [
        f"Fit: {counts}.",
        f"Responses: {fit.responded} of the {fit.asked} other organisations.",
    ]
    if fit.waiting:
        lines.append(f"Not yet responded: {', '.join(escape(n) for n in fit.waiting)}.")
    lines.append("No agreement is needed: it is its owner's own goal.")
    return "\n".join(lines)


def web_text(card: GoalCard) -> str | None:
    """A collaboration goal: the organisation-level goals linked to it, and those in tension."""
    web = card.web
    if web is None:
        return None
    linked = len(web.linked)
    return (
        f"Web: {linked} organisation goal{'' if linked == 1 else 's'} linked, "
        f"{len(web.tension)} in tension."
    )


def agreement_text(card: GoalCard) -> str:
    if card.fit is not None:
        return fit_text(card)
    t: Tally = card.tally
    breakdown = " · ".join(f"{t.breakdown[s.value]} {label(s.value)}" for s in Stance)
    pending = (
        f"; {t.pending} subject to referral, awaiting confirmation (not counted yet)"
        if t.pending
        else ""
    )
    lines = [
        f"Coverage: {t.organisations_with_stance} of {t.organisations} organisations have a "
        "stance.",
        f"Stances: {breakdown}{pending}.",
    ]
    goal = card.goal
    voices = "core organisations" + (
        " and people in their own capacity" if t.count_individuals else ""
    )
    if goal.agreed_at is not None:
        lines.append(
            f"Agreed {discord_timestamp(goal.agreed_at, 'f')} under the "
            f"{goal.agreed_rule or t.rule} rule."
        )
    elif t.core == 0:
        lines.append("No core organisations yet, so the goal can't be agreed.")
    elif t.rule == "majority":
        lines.append(
            f"Majority: more than half of the {t.voices} {voices} agree or have reservations. "
            f"{t.supportive} so far; {t.needed} needed."
            + (f" {t.pending} awaiting confirmation." if t.pending else "")
        )
    else:
        lines.append(
            f"Consensus: all {t.voices} {voices} agree or have reservations, none objecting. "
            f"{t.supportive} so far"
            + (f"; {t.objecting} objecting" if t.objecting else "")
            + (f"; {t.pending} awaiting confirmation" if t.pending else "")
            + "."
        )
    web = web_text(card)
    if web:
        lines.append(web)
    return "\n".join(lines)


def goal_embed(card: GoalCard, *, detailed: bool = False) -> discord.Embed:
    goal = card.goal
    embed = discord.Embed(
        title=goal_title(card),
        description=clip(escape(goal.description), EMBED_DESCRIPTION_LIMIT)
        if goal.description
        else None,
        colour=COLOURS.get(GoalStatus(goal.status), discord.Colour.blurple()),
    )
    owner = ""
    if card.owner_organisation:
        owner = f" ({escape(card.owner_organisation)})"
    elif goal.owner_user_id:
        owner = f" (<@{goal.owner_user_id}>)"
    kind = [
        f"Level: {label(goal.level)}{owner} · Content: {describe_value(goal.content)}",
        f"Origin: {describe_value(goal.origin)}",
    ]
    if detailed or goal.authenticity != "unassessed" or goal.relevance != "unassessed":
        kind.append(
            f"Authenticity: {describe_value(goal.authenticity)} · "
            f"Relevance: {describe_value(goal.relevance)}"
        )
    if detailed or goal.overtness != "explicit":
        kind.append(f"Overtness: {describe_value(goal.overtness)}")
    if not shared(card):
        kind.append(f"Seen by: {VISIBILITY_WORDS[goal.visibility]} only")
    if goal.phase:
        kind.append(f"Co-production phase: {goal.phase}")
    embed.add_field(
        name="Kind of goal", value=clip("\n".join(kind), EMBED_FIELD_LIMIT), inline=False
    )
    if card.readings:
        embed.add_field(
            name=f"Readings: how {card.readings.organisations} organisation"
            + ("" if card.readings.organisations == 1 else "s")
            + " read it",
            value=join_lines(readings_lines(card), EMBED_FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(name="Status", value=label(goal.status))
    embed.add_field(name="Progress", value=progress_text(card))
    if goal.review_on:
        embed.add_field(name="Review on", value=goal.review_on.isoformat())
    comment_limit = 300 if detailed else 80
    orgs = [org_line(o, comment_limit) for o in card.organisations] or [
        "No other partner organisations yet."
        if card.takes_responses
        else "No partner organisations yet: a convener adds them with `/partner add`."
    ]
    embed.add_field(
        name="Responses by organisation" if card.takes_responses else "Agreement by organisation",
        value=join_lines(orgs, EMBED_FIELD_LIMIT),
        inline=False,
    )
    if card.people:
        counted = "counted" if card.tally.count_individuals else "heard, not counted"
        embed.add_field(
            name=f"People in their own capacity ({counted})",
            value=join_lines(
                [person_line(p, comment_limit) for p in card.people], EMBED_FIELD_LIMIT
            ),
            inline=False,
        )
    embed.add_field(
        name="Fit across the partnership" if card.takes_responses else "Coverage and congruence",
        value=clip(agreement_text(card), EMBED_FIELD_LIMIT),
        inline=False,
    )
    if detailed:
        links = [
            f"{link.words} #{link.other_id} {escape(link.other_title)} ({label(link.other_status)})"
            for link in card.links
        ]
        embed.add_field(
            name="Links",
            value=join_lines(links, EMBED_FIELD_LIMIT) if links else "None yet.",
            inline=False,
        )
        embed.add_field(
            name="Proposed",
            value=f"{discord_timestamp(goal.proposed_at, 'D')} by <@{goal.proposed_by}>",
        )
        if goal.channel_id and goal.message_id:
            embed.add_field(
                name="Message",
                value=message_link(card.partnership.guild_id, goal.channel_id, goal.message_id),
            )
    if not card.shared:
        embed.set_footer(text="Only you see this goal until you share it: /goal share.")
    elif card.open and card.takes_responses:
        embed.set_footer(
            text="Compatible, In tension, Doesn't affect us or Didn't know records how it sits "
            "with the organisation you represent. /goal respond does the same."
        )
    elif card.open:
        confirm = (
            " Confirm confirms a stance given subject to referral (its giver, or a "
            "representative who can commit)."
            if any_pending(card)
            else ""
        )
        embed.set_footer(
            text="Agree, Reservations, Unsure or Object records the stance of the organisation "
            f"you represent, or your own. /goal endorse does the same.{confirm}"
        )
    elif card.partnership.is_archived:
        embed.set_footer(text="The partnership is archived: stances are closed.")
    else:
        embed.set_footer(text=f"This goal is {label(goal.status)}: stances are closed.")
    return fit(embed)


def any_pending(card: GoalCard) -> bool:
    """Some organisation's agreement or reservations await confirmation after referral."""
    return any(o.latest is not None and o.latest.pending for o in card.organisations)


def list_line(card: GoalCard) -> str:
    t = card.tally
    progress = f" · {card.progress}%" if card.progress is not None else ""
    if card.fit is not None:
        private = "" if card.shared else " · only you see it"
        return (
            f"`#{card.id}` **{escape(clip(card.goal.title, 120))}** · {label(card.goal.status)} · "
            f"{card.fit.counts[Response.compatible]} compatible, {card.fit.in_tension} in tension"
            f" · {card.fit.responded}/{card.fit.asked} responses{progress}{private}"
        )
    agreed = "agreed" if card.agreed else f"{t.supportive}/{t.voices} in favour"
    return (
        f"`#{card.id}` **{escape(clip(card.goal.title, 120))}** · {label(card.goal.status)} · "
        f"{agreed} · {t.organisations_with_stance}/{t.organisations} stances{progress}"
    )


def list_embed(title: str, cards: list[GoalCard]) -> discord.Embed:
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE_LIMIT),
        description=join_lines([list_line(c) for c in cards], EMBED_DESCRIPTION_LIMIT),
    )
    count = f"{len(cards)} goal" + ("" if len(cards) == 1 else "s")
    embed.set_footer(text=f"{count} · /goal show for the details of one")
    return fit(embed)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(escape(n) for n in names)


def reason_text(reason: ReviewReason) -> str:
    kind = reason.kind
    if kind == "review_due" and reason.day:
        return f"📅 Review date passed: {reason.day.isoformat()}"
    if kind == "objection":
        return f"⛔ Objection from {_names(reason.names)}"
    if kind == "since_agreement":
        return f"🟡 Since it was agreed: {_names(reason.names)}"
    if kind == "awaiting":
        return f"▫️ No stance yet from {_names(reason.names)}"
    if kind == "not_yet_asked":
        return f"🆕 Not yet asked (joined after agreement): {_names(reason.names)}"
    if kind == "stale" and reason.moment:
        return f"⏳ Proposed {discord_timestamp(reason.moment, 'R')} and never agreed"
    if kind == "referral_pending":
        return f"{PENDING_MARK} Subject to referral, awaiting confirmation: {_names(reason.names)}"
    if kind == "awaiting_response":
        return f"▫️ No response yet from {_names(reason.names)}"
    if kind == "in_tension":
        return f"⚡ In tension with the aims of {_names(reason.names)}"
    if kind == "rule_met":
        return "☑️ The agreement rule is met now: a convener can mark it agreed"
    return label(kind)


def review_embed(partnership_name: str, items: list[ReviewItem], days: int) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"Goals needing attention in {partnership_name}", EMBED_TITLE_LIMIT),
        colour=discord.Colour.orange(),
    )
    shown = items[:EMBED_FIELDS_MAX]
    for item in shown:
        embed.add_field(
            name=clip(
                f"#{item.goal_id} {escape(item.title)} ({label(item.status)})", EMBED_TITLE_LIMIT
            ),
            value=join_lines([reason_text(r) for r in item.reasons], EMBED_FIELD_LIMIT),
            inline=False,
        )
    fit(embed, EMBED_TOTAL_LIMIT - 300)  # room for the footer
    hidden = len(items) - len(embed.fields)
    footer = f"Stale means proposed more than {days} days ago and never agreed."
    if hidden:
        footer = f"And {hidden} more goals: use /goal show for each. " + footer
    embed.set_footer(text=footer)
    return embed
