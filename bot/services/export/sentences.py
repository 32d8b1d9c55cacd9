"""Person-free sentences for the log's entries, for the exports whose readers may not learn who
did what: the external audience and the pseudonymised research export.

Each stored entry's summary names people ("Ada recorded an action for Bea"), so those exports
write a sentence of their own from the entry's kind and payload, naming organisations only (as
pseudonyms when pseudonymised) and quoting free text only as the export's `Lens` allows.

`sentence` returns None for an entry the external audience does not get at all: a reflection
answer or its withdrawal (answers are internal only) and anything about an individual-level
goal. Entries about a
person's membership stay, as sentences about a member's role ("A member joined as
representative for Council."), because who speaks for which organisation is what an external
reader needs to know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.services.export.lens import Lens
from bot.services.goals import RELATION_WORDS, RESPONSE_WORDS, STANCE_WORDS, describe_value
from bot.services.reflection.parsing import theme_label
from bot.services.register import show_value
from bot.services.vocab import label

# Entries the external audience never gets.
EXTERNAL_LEFT_OUT = frozenset({"prompt.answered", "prompt.withdrawn"})
# Goal dimensions shown in sentences about classification (sensitive values are left out for
# the external audience by `Lens.payload`; here they are left out of the sentence too).
DIMENSION_KEYS = ("level", "origin", "authenticity", "relevance", "content", "overtness")


@dataclass(frozen=True)
class Context:
    """What a sentence needs beyond the entry itself."""

    lens: Lens
    partnership: str
    # The organisation a person spoke for at the entry's time (an action's owner), by id.
    speaks_for: Callable[[int | None], str | None]
    # Whether a goal may be named to this audience (individual-level goals are not external).
    goal_shown: Callable[[int | None], bool]


def sentence(kind: str, payload: dict[str, Any], ctx: Context) -> str | None:
    """The entry as a sentence naming no person, or None when it is left out."""
    lens = ctx.lens
    if not lens.internal and kind in EXTERNAL_LEFT_OUT:
        return None
    goal_ids = [payload.get("goal_id"), payload.get("other_id")]
    if kind.startswith("goal.") and not all(ctx.goal_shown(g) for g in goal_ids if g):
        return None
    family = kind.split(".", 1)[0]
    writer = _FAMILIES.get(family)
    found = writer(kind, payload, ctx) if writer is not None else None
    return found or f"An entry of kind {kind} was recorded."


# ---- helpers


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _quote(ctx: Context, value: Any, lead: str = ": ") -> str:
    text = ctx.lens.text(value if isinstance(value, str) else None)
    return f"{lead}“{text}”" if text else ""


def _goal(ctx: Context, goal_id: Any, title: Any) -> str:
    number = _int(goal_id)
    name = f"goal #{number}" if number is not None else "a goal"
    return name + _quote(ctx, title, " ")


def _org(ctx: Context, payload: dict[str, Any], key: str = "organisation") -> str | None:
    return ctx.lens.organisation(_int(payload.get(f"{key}_id")), payload.get(key))


def _role(ctx: Context, payload: dict[str, Any]) -> str:
    parts = [label(str(payload.get("capacity") or "member"))]
    org = _org(ctx, payload)
    if org:
        parts.append(f"for {org}")
    if payload.get("mandate"):
        parts.append(f"({label(str(payload['mandate']))})")
    if payload.get("convener"):
        parts.append("· convener")
    return " ".join(parts)


# ---- one writer per family of kinds


def _partnership(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    if kind == "partnership.created":
        return f"The partnership {ctx.partnership} was created."
    if kind == "partnership.archived":
        return "The partnership was archived."
    if kind in ("partnership.relationship_added", "partnership.relationship_removed"):
        verb = "added" if kind.endswith("added") else "removed"
        return (
            f"A relationship between co-production and the collaboration was {verb}: "
            f"{label(str(p.get('relationship') or ''))}."
        )
    if kind == "partnership.configured":
        changes = []
        for key, change in p.items():
            if not isinstance(change, dict):
                continue
            if key == "purpose":
                changes.append("the purpose")
            else:
                old, new = change.get("from"), change.get("to")
                changes.append(
                    f"{label(key)} from {show_value(old, key)} to {show_value(new, key)}"
                )
        return f"The settings changed: {', '.join(changes)}." if changes else None
    return None


def _partner(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    org = _org(ctx, p) or "An organisation"
    if kind == "partner.joined":
        sector = label(str(p.get("sector") or "other"))
        return f"{org} ({sector}) joined as a {label(str(p.get('status') or 'core'))} partner."
    if kind == "partner.left":
        return f"{org} left the partnership."
    if kind == "partner.status_changed":
        return (
            f"{org} changed from {label(str(p.get('from') or ''))} to "
            f"{label(str(p.get('status') or ''))}."
        )
    return None


def _member(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    role = _role(ctx, p)
    if kind == "member.joined":
        return f"A member joined as {role}."
    if kind == "member.updated":
        return f"A member is now {role}."
    if kind == "member.left":
        return f"A member ({role}) left the partnership."
    return None


def _goal_entry(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    goal = _goal(ctx, p.get("goal_id"), p.get("title"))
    if kind == "goal.proposed":
        owner = _org(ctx, p, "owner_organisation")
        whose = f" for {owner}" if owner else ""
        level = label(str(p.get("level") or "collaboration")).capitalize()
        return f"{level}-level {goal}{whose} was proposed."
    if kind == "goal.shared":
        return f"An individual-level {goal} was shared with the partnership."
    if kind == "goal.stance" and str(p.get("response")) in RESPONSE_WORDS:
        who = _org(ctx, p) or "An organisation"
        return f"{who} {RESPONSE_WORDS[str(p.get('response'))].format(goal=goal)}."
    if kind == "goal.stance":
        stance = STANCE_WORDS.get(str(p.get("stance")), "took a stance on")
        who = _org(ctx, p) or "A member in their own capacity"
        counted = "" if p.get("counted", True) else " (shown, not counted toward agreement)"
        if p.get("referral") == "confirmed":
            return f"{who} confirmed after referral that it {stance} {goal}{counted}."
        if p.get("referral") == "pending":
            by = f", expected by {p['refer_by']}" if p.get("refer_by") else ""
            counted = f", subject to referral (not counted until confirmed{by})"
        return f"{who} {stance} {goal}{counted}."
    if kind == "goal.agreed":
        return (
            f"{goal[0].upper()}{goal[1:]} was agreed under the {p.get('rule')} rule "
            f"({p.get('supportive')} of {p.get('voices')})."
        )
    if kind in ("goal.linked", "goal.unlinked"):
        words = RELATION_WORDS.get(str(p.get("relation")), ("is linked to", ""))[0]
        other = _goal(ctx, p.get("other_id"), p.get("other_title"))
        link = f"{goal} {words} {other}"
        if kind == "goal.linked":
            return f"Recorded: {link}."
        return f"The link was removed: {link}."
    if kind == "goal.updated":
        return _goal_updated(goal, p, ctx)
    if kind == "goal.nudged":
        return _goal_nudged(goal, p)
    return None


def _goal_nudged(goal: str, p: dict[str, Any]) -> str:
    """A nudge, counted: how many organisations and people were asked, never who."""
    organisations = len(p.get("organisations") or [])
    people = _int(p.get("people")) or 0
    parts = []
    if organisations:
        parts.append(f"{organisations} organisation{'s' * (organisations != 1)}")
    if people:
        parts.append(f"{people} {'person' if people == 1 else 'people'} in their own capacity")
    who = " and ".join(parts) or "Nobody"
    how = " automatically" if p.get("automatic") else ""
    verb = "was" if organisations + people == 1 else "were"
    return f"{who} {verb} reminded{how} to take a stance on {goal}."


def _goal_updated(goal: str, p: dict[str, Any], ctx: Context) -> str:
    described = []
    changes = p.get("changes") if isinstance(p.get("changes"), dict) else {}
    for key, change in (changes or {}).items():
        if not isinstance(change, dict):
            continue
        if key in ("title", "description"):
            described.append(f"the {key}")
            continue
        cleaned = ctx.lens.payload({key: change})
        if key not in cleaned:  # a sensitive label, for an audience that may not see it
            continue
        old, new = change.get("from"), change.get("to")
        if key in DIMENSION_KEYS:
            described.append(f"{key} from {describe_value(old)} to {describe_value(new)}")
        elif key == "progress":
            described.append(
                f"progress from {_percent(old)} to {_percent(new)}",
            )
        else:
            described.append(f"{label(key)} from {_word(old)} to {_word(new)}")
    note = _quote(ctx, p.get("note"), ", with a note: ")
    head = f"{goal[0].upper()}{goal[1:]}"
    if described:
        return f"{head} changed: {', '.join(described)}{note}."
    if p.get("note"):
        return f"{head} was given a note{_quote(ctx, p.get('note'))}."
    return f"{head} was changed."


def _percent(value: Any) -> str:
    return "unset" if value is None else f"{value}%"


def _word(value: Any) -> str:
    return "unset" if value is None else label(str(value))


def _note(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    text = _quote(ctx, p.get("text"))
    if kind == "note.action_done":
        number = _int(p.get("action_id"))
        return f"Action #{number} was closed{text}." if number else f"An action was closed{text}."
    if kind == "note.action":
        owner = ctx.speaks_for(_int(p.get("owner_id"))) or "a member"
        due = p.get("due") or "no date"
        return f"An action was recorded for {owner}, due {due}{text}."
    if kind == "note.decision":
        sentence = f"A decision was recorded{text}."
        goal_id = _int(p.get("goal_id"))
        if goal_id is not None and ctx.goal_shown(goal_id):
            sentence += f" It concerns {_goal(ctx, goal_id, p.get('goal_title'))}."
        if p.get("review_on"):
            sentence += f" It is to be reviewed on {p['review_on']}."
        return sentence
    what = {"note.note": "A note", "note.small_win": "A small win", "note.risk": "A risk"}
    if kind in what:
        return f"{what[kind]} was recorded{text}."
    return None


def _meeting(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    title = _quote(ctx, p.get("title"), " ")
    if kind == "meeting.started":
        return f"The meeting{title} started."
    if kind == "meeting.ended":
        return f"The meeting{title} ended."
    if kind == "meeting.attended":
        org_id = _int(p.get("organisation_id"))
        org = ctx.lens.organisation(org_id, p.get("organisation")) if org_id else None
        who = f"A member for {org}" if org else "A member in their own capacity"
        return f"{who} attended the meeting."
    return None


def _prompt(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    theme = theme_label(str(p.get("theme") or ""))
    if kind == "prompt.added":
        return f"A reflective prompt was added on {theme}{_quote(ctx, p.get('text'))}."
    if kind == "prompt.posted":
        return f"A reflective prompt on {theme} was posted{_quote(ctx, p.get('text'))}."
    if kind == "prompt.answered":
        how = {"anonymous": " anonymously", "private": " privately"}.get(str(p.get("visibility")))
        return f"A reflective prompt on {theme} was answered{how or ''}" + (
            f"{_quote(ctx, p.get('answer'))}."
        )
    if kind == "prompt.withdrawn":
        return f"An answer to a reflective prompt on {theme} was withdrawn by its author."
    if kind == "prompt.released":
        return (
            f"Anonymous answers to a reflective prompt on {theme} began to be shown, without "
            f"names, once {p.get('organisations')} organisations had answered."
        )
    return None


def _schedule(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    number = _int(p.get("schedule_id"))
    which = f"Schedule #{number}" if number is not None else "A schedule"
    what = f" ({label(str(p['kind']))})" if p.get("kind") else ""
    verb = kind.split(".", 1)[1]
    if verb == "created":
        description = f": {p['description']}" if p.get("description") else ""
        return f"{which}{what} was created{description}."
    if verb == "skipped":
        return f"{which}{what} skips {p.get('date')}."
    if verb == "missed":
        return f"{which}{what}: {p.get('count')} occurrences passed while the bot was offline."
    if verb == "failed":
        return f"{which}{what}: an occurrence could not be sent."
    return f"{which}{what} was {label(verb)}."


def _trust(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    if kind == "trust.round_opened":
        pairwise = " with pairwise ratings" if p.get("pairwise") else ""
        number = _int(p.get("round_id"))
        return f"Trust check-in round #{number} opened{pairwise} for {p.get('answerers')} people."
    return None  # closed rounds: `bot.services.export.trust`, for every audience


def _log(kind: str, p: dict[str, Any], ctx: Context) -> str | None:
    if kind == "log.redacted":
        number = next(
            (_int(p[k]) for k in ("event_id", "entry_id", "entry") if _int(p.get(k)) is not None),
            None,
        )
        which = f"Entry #{number}" if number is not None else "An entry"
        return f"{which} was removed from view at its author's request or by a convener."
    return None


_FAMILIES: dict[str, Callable[[str, dict[str, Any], Context], str | None]] = {
    "partnership": _partnership,
    "partner": _partner,
    "member": _member,
    "goal": _goal_entry,
    "note": _note,
    "meeting": _meeting,
    "prompt": _prompt,
    "schedule": _schedule,
    "trust": _trust,
    "log": _log,
}
