"""What the person acting is told about goals: the replies to a stance, a response, a reading,
a change, a link and a change of visibility, and the words they share with the goal embed.

Everything here is drawn from the service's results; nothing here reads or changes state.
"""

from __future__ import annotations

from bot.replies import (
    MESSAGE_LIMIT,
    clip,
    escape,
)
from bot.services.goals import (
    RELATION_WORDS,
    RESPONSE_WORDS,
    STANCE_WORDS,
    VISIBILITY_WORDS,
    ChangeResult,
    GoalCard,
    GoalVisibility,
    LinkResult,
    PerceptionResult,
    Referral,
    ResponseResult,
    Stance,
    StanceResult,
    VisibilityResult,
    describe_value,
    response_text,
)
from bot.services.goals.readings import READING_WORDS
from bot.services.vocab import label


def goal_words(card: GoalCard) -> str:
    return f"goal #{card.id} **{escape(card.goal.title)}**"


def shared(card: GoalCard) -> bool:
    """The whole partnership sees the goal: its card goes in the channel."""
    return card.goal.visibility == GoalVisibility.partnership


def kept_to(card: GoalCard) -> str:
    """What a reply says instead of where the card was posted, for a goal kept to a few."""
    return (
        f" It is seen by {VISIBILITY_WORDS[card.goal.visibility]} only, so it isn't posted in "
        "the channel. Share it with the partnership later with `/goal visibility`."
    )


def visibility_reply(result: VisibilityResult) -> str:
    words = VISIBILITY_WORDS[result.after]
    if result.after == GoalVisibility.partnership:
        return f"Shared {goal_words(result.card)} with {words}."
    taken = " Its message in the channel is taken back." if result.unpost else ""
    return f"Now {goal_words(result.card)} is seen by {words} only.{taken}"


def stance_reply(result: StanceResult) -> str:
    card = result.card
    voice = result.voice
    if result.referral == Referral.confirmed and voice.organisation:
        text = (
            f"Confirmed after referral: **{escape(voice.organisation)}** "
            f"{STANCE_WORDS[result.stance]} {goal_words(card)}, and it now counts toward "
            "agreement."
        )
        if result.agreed_now:
            text += f" That meets the {card.goal.agreed_rule} rule: the goal is now **agreed**."
        return text
    if result.referral == Referral.pending and voice.organisation:
        org = escape(voice.organisation)
        by = f" (expected by {result.refer_by.isoformat()})" if result.refer_by else ""
        return (
            f"Recorded, subject to referral{by}: **{org}** {STANCE_WORDS[result.stance]} "
            f"{goal_words(card)}. Your mandate is to refer back to {org} first, so this is "
            "shown on the goal but doesn't count toward agreement until it is confirmed: by "
            f"you once {org} has agreed, or by one of its representatives who can commit it "
            "(the Confirm button on the goal, or `/goal endorse` with `confirm:true`)."
        )
    if voice.organisation:
        text = f"Recorded: **{escape(voice.organisation)}** {STANCE_WORDS[result.stance]} "
    else:
        text = f"Recorded your own stance: you {_second_person(result.stance)} "
    text += f"{goal_words(card)}."
    if result.previous and result.previous != result.stance:
        text += f" (It was {label(result.previous)}.)"
    if result.agreed_now:
        text += f" That meets the {card.goal.agreed_rule} rule: the goal is now **agreed**."
    if not voice.counted:
        text += " Your stance is shown with the goal but doesn't count toward agreement" + (
            ": only core organisations count."
            if voice.organisation
            else " in this partnership (people in their own capacity are heard, not counted)."
        )
    if result.comment:
        text += (
            " Your comment is shown with the goal and appears in the partnership's internal "
            "exports; `/log redact` removes it."
        )
    return text


def response_reply(result: ResponseResult) -> str:
    card = result.card
    words = RESPONSE_WORDS[result.response].format(goal=goal_words(card))
    text = f"Recorded: **{escape(result.voice.organisation or '')}** {words}."
    if result.previous and result.previous != result.response:
        text += f" (It was {response_text(result.previous)}.)"
    if result.comment:
        text += (
            " Your comment is shown with the goal and appears in the partnership's internal "
            "exports; `/log redact` removes it."
        )
    return text


def _second_person(stance: str) -> str:
    return {
        Stance.agree: "agree with",
        Stance.reservations: "have reservations about",
        Stance.unsure: "are unsure about",
        Stance.object: "object to",
    }[Stance(stance)]


def perception_reply(result: PerceptionResult) -> str:
    """What was recorded, then the spread of every organisation's reading, in counts."""
    recorded = ", ".join(
        f"{name} {reading_words(name, value)}"
        + (
            f" (“{escape(result.origin_detail)}”)"
            if name == "origin" and result.origin_detail
            else ""
        )
        for name, value in result.recorded.items()
    )
    lines = [
        f"Recorded **{escape(result.organisation)}**'s own reading of "
        f"{goal_words(result.card)}: {recorded}. The conveners' classification stays the "
        "partnership's working view.",
        "**How the organisations read it** (counts, not names):",
        *readings_lines(result.card),
    ]
    if result.origin_detail:
        lines[0] += (
            " Your origin detail is shown with the goal and appears in the partnership's "
            "internal exports; `/log redact` removes it."
        )
    return clip("\n".join(lines), MESSAGE_LIMIT)


def reading_words(name: str, value: str) -> str:
    return READING_WORDS.get(name, {}).get(value, label(value))


def readings_lines(card: GoalCard) -> list[str]:
    return card.readings.lines(lambda text: escape(" ".join(text.split())))


def change_reply(result: ChangeResult) -> str:
    def show(key: str, value: object) -> str:
        if value is None:
            return "unset"
        if key == "progress":
            return f"{value}%"
        if key == "review_on":
            return str(value)
        if key in ("title", "description"):
            return f"“{escape(str(value))}”" if key == "title" else "(new text)"
        return describe_value(str(value))

    lines = [
        f"• {label(key)}: {show(key, old)} → {show(key, new)}"
        for key, (old, new) in result.changes.items()
    ]
    if result.note:
        lines.append(f"• note: {escape(result.note)}")
    return f"Updated {goal_words(result.card)}:\n" + "\n".join(lines)


def link_reply(result: LinkResult) -> str:
    return (
        f"Linked: {goal_words(result.card)} {RELATION_WORDS[result.relation][0]} "
        f"{goal_words(result.other)}."
    )


def unlink_reply(result: LinkResult) -> str:
    return (
        f"Removed the link: {goal_words(result.card)} no longer "
        f"{_bare(RELATION_WORDS[result.relation][0])} {goal_words(result.other)}."
    )


def _bare(words: str) -> str:
    """`is part of` → `part of`, for “no longer …”."""
    return words.removeprefix("is ")
