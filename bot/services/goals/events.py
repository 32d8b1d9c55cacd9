"""What each change to a goal writes in the partnership log: its sentence and its payload.

Each function returns an `Entry`; `write` appends it in the caller's transaction, so the event
lands with the change or not at all. The sentences are what exports and the log show.

An individual-level goal its owner has not shared is not yet the partnership's: nothing about
it is logged until the owner shares it, and sharing logs a `goal.shared` entry carrying what a
`goal.proposed` entry carries. A response (compatible, in tension, …) is logged as a
`goal.stance` entry whose payload names the `response`, so its comment is removed, kept and
exported exactly as a stance comment is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.access import Actor
from bot.services.goals.cards import GoalCard, Voice
from bot.services.goals.lookup import shared
from bot.services.goals.readings import READING_WORDS
from bot.services.goals.rows import AnyGoal
from bot.services.goals.vocab import (
    PERCEIVED,
    RELATION_WORDS,
    RESPONSE_WORDS,
    STANCE_WORDS,
    SUPPORTIVE,
    Referral,
    describe_value,
    goal_name,
)
from bot.services.text import jsonable, message_link, name_of
from bot.services.vocab import label
from db.models import Event, Goal, GoalStance, Partnership


@dataclass(frozen=True)
class Entry:
    """One event for the partnership log, as `log.record` takes it."""

    kind: str
    summary: str
    payload: dict[str, Any]
    message_link: str | None = None
    at: datetime | None = None


async def write(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    entry: Entry,
    *,
    at: datetime,
    goal: Goal | None = None,
) -> Event | None:
    """Append `entry` to the log; it happened at `at` unless it carries its own moment. An
    entry about a `goal` its owner keeps to themselves is not written (None)."""
    if goal is not None and not shared(goal):
        return None
    return await log.record(
        session,
        partnership,
        entry.kind,
        entry.summary,
        actor_id=actor.user_id,
        payload=entry.payload,
        message_link=entry.message_link,
        at=entry.at or at,
    )


def goal_message(partnership: Partnership, goal: AnyGoal) -> str | None:
    """The goal's posted message, for the log (exports link back to it)."""
    return message_link(partnership.guild_id, goal.channel_id, goal.message_id)


def proposed(actor: Actor, goal: Goal, owner: str | None, *, shared: bool = False) -> Entry:
    """A new goal; `shared`: an individual-level goal its owner now shares."""
    whose = f" for {owner}" if owner else ""
    if shared:
        kind = "goal.shared"
        summary = (
            f"{name_of(actor.display_name)} shared their individual-level {goal_name(goal)} "
            "with the partnership."
        )
    else:
        kind = "goal.proposed"
        summary = (
            f"{name_of(actor.display_name)} proposed {label(goal.level)}-level "
            f"{goal_name(goal)}{whose}."
        )
    return Entry(
        kind,
        summary,
        {
            "goal_id": goal.id,
            "title": goal.title,
            "description": goal.description,
            "level": goal.level,
            "origin": goal.origin,
            "content": goal.content,
            "authenticity": goal.authenticity,
            "relevance": goal.relevance,
            "overtness": goal.overtness,
            "phase": goal.phase,
            "owner_organisation_id": goal.owner_organisation_id,
            "owner_organisation": owner,
            "owner_user_id": goal.owner_user_id,
            "status": goal.status,
            "review_on": jsonable(goal.review_on),
            "respond_by": jsonable(goal.respond_by),
            "shared_at": jsonable(goal.shared_at),
        },
    )


def response_given(
    actor: Actor,
    partnership: Partnership,
    goal: Goal,
    voice: Voice,
    response: str,
    *,
    previous: str | None,
    comment: str | None,
    stance_id: int | None,
) -> Entry:
    """An organisation's response to an organisation's or a person's goal."""
    words = RESPONSE_WORDS[response].format(goal=goal_name(goal))
    return Entry(
        "goal.stance",
        f"{voice.organisation} {words}, recorded by {name_of(actor.display_name)}.",
        {
            "goal_id": goal.id,
            "title": goal.title,
            "stance_id": stance_id,
            "stance": response,
            "response": response,
            "previous": previous,
            "comment": comment,
            "voice": "organisation",
            "organisation_id": voice.organisation_id,
            "organisation": voice.organisation,
            "user_id": actor.user_id,
            "display_name": actor.display_name,
            "capacity": voice.capacity,
            "counted": False,
        },
        goal_message(partnership, goal),
    )


def stance_taken(
    actor: Actor,
    partnership: Partnership,
    goal: Goal,
    voice: Voice,
    row: GoalStance,
    *,
    previous: str | None,
    confirmed_from: GoalStance | None = None,
) -> Entry:
    """A stance (`goal.stance`). The confirmation of one given subject to referral is a stance
    too (its own row, so a comment given with it can be redacted like any other): its payload
    says `referral` confirmed and names the pending row it confirms (`confirmed_from`)."""
    who = name_of(actor.display_name)
    stance = row.stance
    counted = "" if voice.counted else " (shown, not counted toward agreement)"
    if confirmed_from is not None:
        summary = (
            f"{voice.organisation} confirmed after referral that it {STANCE_WORDS[stance]} "
            f"{goal_name(goal)}, recorded by {who}{counted}."
        )
    elif voice.organisation:
        pending = ""
        if row.referral == Referral.pending:
            by = f", expected by {row.refer_by.isoformat()}" if row.refer_by else ""
            pending = f", subject to referral (not counted until confirmed{by})"
        summary = (
            f"{voice.organisation} {STANCE_WORDS[stance]} {goal_name(goal)}{pending}, "
            f"recorded by {who}{counted}."
        )
    else:
        summary = (
            f"{who}, in their own capacity, {STANCE_WORDS[stance]} {goal_name(goal)}{counted}."
        )
    return Entry(
        "goal.stance",
        summary,
        {
            "goal_id": goal.id,
            "title": goal.title,
            # The `GoalStance` row this entry recorded (a redaction names it too).
            "stance_id": row.id,
            "stance": stance,
            "previous": previous,
            "comment": row.comment,
            "voice": "organisation" if voice.organisation_id else "person",
            "organisation_id": voice.organisation_id,
            "organisation": voice.organisation,
            "user_id": actor.user_id,
            "display_name": actor.display_name,
            "capacity": voice.capacity,
            "counted": voice.counted,
            "mandate": row.mandate,
            "referral": row.referral,
            "refer_by": jsonable(row.refer_by),
            "confirms_stance_id": confirmed_from.id if confirmed_from is not None else None,
        },
        goal_message(partnership, goal),
    )


def perceived(
    actor: Actor,
    partnership: Partnership,
    goal: Goal,
    organisation_id: int,
    organisation: str,
    readings: dict[str, str],
    detail: str | None,
    perception_id: int | None,
) -> Entry:
    """An organisation's own reading of a goal (`/goal perceive`): whose, what, by whom."""
    described = ", ".join(
        f"{name} {READING_WORDS[name].get(value, value)}"
        + (f" (“{detail}”)" if name == "origin" and detail else "")
        for name, value in readings.items()
    )
    return Entry(
        "goal.perceived",
        f"{organisation} recorded its own reading of {goal_name(goal)}: {described}; "
        f"recorded by {name_of(actor.display_name)}.",
        {
            "goal_id": goal.id,
            "title": goal.title,
            # The `GoalPerception` row this entry recorded.
            "perception_id": perception_id,
            "organisation_id": organisation_id,
            "organisation": organisation,
            **{name: readings.get(name) for name in PERCEIVED},
            "origin_detail": detail,
            "user_id": actor.user_id,
            "display_name": actor.display_name,
        },
        goal_message(partnership, goal),
    )


def updated(
    actor: Actor,
    partnership: Partnership,
    goal: Goal,
    changes: dict[str, tuple[Any, Any]],
    note: str | None,
) -> Entry:
    """Status, progress, review date, wording or a note (`/goal update`)."""
    described = ", ".join(
        f"{label(k)} from {_show(old)} to {_show(new)}"
        for k, (old, new) in changes.items()
        if k != "description"
    )
    if "description" in changes:
        described = ", ".join(filter(None, [described, "the description"]))
    who = name_of(actor.display_name)
    summary = (
        f"{who} changed {described} on {goal_name(goal)}."
        if described
        else f"{who} added a note to {goal_name(goal)}."
    )
    if note and described:
        summary = summary[:-1] + ", with a note."
    return Entry(
        "goal.updated",
        summary,
        {
            "goal_id": goal.id,
            "title": goal.title,
            "changes": {
                k: {"from": jsonable(old), "to": jsonable(new)} for k, (old, new) in changes.items()
            },
            "note": note,
        },
        goal_message(partnership, goal),
    )


def classified(
    actor: Actor, partnership: Partnership, goal: Goal, changes: dict[str, tuple[Any, Any]]
) -> Entry:
    """Dimensions (`/goal classify`): logged as an update, without a note."""
    described = ", ".join(
        f"{k} from {describe_value(old)} to {describe_value(new)}"
        for k, (old, new) in changes.items()
    )
    return Entry(
        "goal.updated",
        f"{name_of(actor.display_name)} changed {described} on {goal_name(goal)}.",
        {
            "goal_id": goal.id,
            "title": goal.title,
            "changes": {k: {"from": old, "to": new} for k, (old, new) in changes.items()},
            "note": None,
        },
        goal_message(partnership, goal),
    )


def linked(actor: Actor, partnership: Partnership, goal: Goal, other: Goal, relation: str) -> Entry:
    return Entry(
        "goal.linked",
        f"{name_of(actor.display_name, 'A convener')} recorded that {goal_name(goal)} "
        f"{RELATION_WORDS[relation][0]} {goal_name(other)}.",
        _link_payload(goal, other, relation),
        goal_message(partnership, goal),
    )


def unlinked(
    actor: Actor, partnership: Partnership, goal: Goal, other: Goal, relation: str
) -> Entry:
    return Entry(
        "goal.unlinked",
        f"{name_of(actor.display_name, 'A convener')} removed the link: {goal_name(goal)} "
        f"{RELATION_WORDS[relation][0]} {goal_name(other)}.",
        _link_payload(goal, other, relation),
        goal_message(partnership, goal),
    )


def agreed(
    actor: Actor,
    goal: Goal,
    card: GoalCard,
    *,
    by_stance: GoalStance | None,
    voice: Voice | None,
) -> Entry:
    """Agreement, once: the rule, the count, and on whose stance (or by which convener)."""
    p = card.partnership
    tally = card.tally
    agreeing = [
        o.name
        for o in card.organisations
        if o.counts and o.latest and o.latest.stance in SUPPORTIVE
    ] + [
        m.display_name
        for m in card.people
        if m.counts and m.latest and m.latest.stance in SUPPORTIVE
    ]
    if by_stance is not None and voice is not None:
        whose = voice.organisation or name_of(actor.display_name, "someone")
        how = f"on {whose}'s stance ({by_stance.stance})"
        if by_stance.referral == Referral.confirmed:
            how = f"on {whose}'s confirmation after referral ({by_stance.stance})"
    else:
        how = f"marked by {name_of(actor.display_name, 'a convener')} once the rule was met"
    rule_words = (
        "every core organisation agrees or has reservations, none objecting"
        if p.agreement_rule == "consensus"
        else "more than half agree or have reservations"
    )
    return Entry(
        "goal.agreed",
        f"G{goal_name(goal)[1:]} is agreed under the {p.agreement_rule} rule "
        f"({rule_words}: {tally.supportive} of {tally.voices}), {how}.",
        {
            "goal_id": goal.id,
            "title": goal.title,
            "rule": p.agreement_rule,
            "count_individuals": p.count_individuals,
            "supportive": tally.supportive,
            "voices": tally.voices,
            "core": tally.core,
            "agreeing": agreeing,
            "by": "stance" if by_stance is not None else "convener",
            "stance_id": by_stance.id if by_stance is not None else None,
            "stance": by_stance.stance if by_stance is not None else None,
            "organisation_id": voice.organisation_id if voice else None,
            "organisation": voice.organisation if voice else None,
            "user_id": actor.user_id,
        },
        goal_message(p, goal),
        at=goal.agreed_at,
    )


def _link_payload(goal: Goal, other: Goal, relation: str) -> dict[str, Any]:
    return {
        "goal_id": goal.id,
        "title": goal.title,
        "relation": relation,
        "other_id": other.id,
        "other_title": other.title,
    }


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}%"
    if isinstance(value, date):
        return value.isoformat()
    return label(str(value))
