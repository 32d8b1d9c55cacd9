"""What needs attention about a goal (`/goal review`): review dates passed, objections, stances
since agreement, partners not yet asked, stale proposals, the rule met, referrals pending (overdue
first), and, on organisations' and people's goals, tension and who has not responded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.services.goals.cards import GoalCard, OrgLine, PersonLine, ReviewItem, ReviewReason
from bot.services.goals.vocab import Response, Stance
from bot.services.vocab import label
from db.models import name_key


def review_reasons(card: GoalCard, today: date, now: datetime, days: int) -> list[ReviewReason]:
    """What about this goal needs attention, if anything."""
    goal = card.goal
    reasons: list[ReviewReason] = []
    if goal.review_on is not None and goal.review_on < today:
        reasons.append(ReviewReason("review_due", day=goal.review_on))
    if card.fit is not None:  # no agreement: who finds it in tension, who hasn't responded
        tense = tuple(
            o.name
            for o in card.organisations
            if o.latest is not None and o.latest.stance == Response.in_tension
        )
        if tense:
            reasons.append(ReviewReason("in_tension", names=tense))
        if card.fit.waiting:
            reasons.append(ReviewReason("awaiting_response", names=card.fit.waiting))
        return reasons
    voices: list[OrgLine | PersonLine] = [*card.organisations, *card.people]
    objecting = tuple(
        _line_name(v) for v in voices if v.latest is not None and v.latest.stance == Stance.object
    )
    if objecting:
        reasons.append(ReviewReason("objection", names=objecting))
    if card.agreed:
        later = tuple(
            f"{_line_name(v)} ({label(v.latest.stance)})"
            for v in voices
            if v.since_agreement and v.latest is not None and v.latest.stance != Stance.agree
        )
        if later:
            reasons.append(ReviewReason("since_agreement", names=later))
        unasked = tuple(o.name for o in card.organisations if o.not_yet_asked)
        if unasked:
            reasons.append(ReviewReason("not_yet_asked", names=unasked))
    waiting = tuple(o.name for o in card.organisations if o.latest is None and not o.not_yet_asked)
    if waiting:
        reasons.append(ReviewReason("awaiting", names=waiting))
    referred = pending_referrals(card, today)
    if referred:
        dates = [o.latest.refer_by for o in card.organisations if o.latest and o.latest.pending]
        earliest = min((d for d in dates if d is not None), default=None)
        reasons.append(ReviewReason("referral_pending", names=referred, day=earliest))
    if not card.agreed:
        if goal.proposed_at <= now - timedelta(days=days):
            reasons.append(ReviewReason("stale", moment=goal.proposed_at))
        if card.tally.met:
            reasons.append(ReviewReason("rule_met"))
    return reasons


def pending_referrals(card: GoalCard, today: date) -> tuple[str, ...]:
    """Organisations whose agreement or reservations await confirmation after referral, each
    with its expected date: overdue first, then by date, those without a date last."""
    found = []
    for line in card.organisations:
        latest = line.latest
        if latest is None or not latest.pending:
            continue
        due = latest.refer_by
        if due is None:
            words, key = f"{line.name} ({label(latest.stance)}, no date given)", (2, date.max)
        elif due < today:
            words, key = f"{line.name} ({label(latest.stance)}, overdue: by {due})", (0, due)
        else:
            words, key = f"{line.name} ({label(latest.stance)}, by {due})", (1, due)
        found.append((key, name_key(line.name), words))
    return tuple(words for *_key, words in sorted(found))


def referral_overdue(item: ReviewItem, today: date) -> bool:
    return any(
        r.kind == "referral_pending" and r.day is not None and r.day < today for r in item.reasons
    )


def _line_name(line: OrgLine | PersonLine) -> str:
    return line.name if isinstance(line, OrgLine) else line.display_name
