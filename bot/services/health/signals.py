"""The health checks: from the facts (`facts`) and the trust summary to signals worth discussing.

Collaborative inertia, slow or painful progress (Huxham & Vangen 2005), shows in ordinary
records before anyone names it: goals nobody agrees, objections left standing, promises not
kept, organisations falling silent or left without a voice, people leaving, no small wins.
Each check below raises at most one signal (trust raises one per trust signal), with a level,
a finding in plain words and a suggested next step. Every threshold is in `vocab`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.services.goals import Level
from bot.services.health.facts import Facts, local_start, month_starts
from bot.services.health.views import HealthSignal, Participation, Subject
from bot.services.health.vocab import (
    CHART_MAX_ORGANISATIONS,
    CHURN_ATTENTION_SHARE,
    CHURN_MIN_LEFT,
    CHURN_WATCH_SHARE,
    CHURN_WINDOW_DAYS,
    MAX_SUBJECTS,
    OVERDUE_ATTENTION_DAYS,
    PARTICIPATION_FALL,
    PARTICIPATION_MIN_BEFORE,
    PARTICIPATION_WINDOW_DAYS,
    REFER_BACK_SHARE,
    REPRESENTED_STATUSES,
    SMALL_WIN_DAYS,
    THEME,
    TRUST_ATTENTION,
    UNAGREED_ATTENTION_DAYS,
    UNAGREED_DAYS,
    UNREPRESENTED_ATTENTION,
    VIEWS_ATTENTION,
    SignalKey,
    Urgency,
)
from bot.services.trust.views import Signal, TrustSummary
from bot.services.vocab import PartnerStatus, label, status_label

# What to do about each trust signal, as an action worth logging (the trust module's own
# wording of the step is used for any signal not named here).
TRUST_ACTIONS = {
    "follow_through_drop": "Review open commitments together: who promised what, and what "
    "got in the way.",
    "reliance_drop": "Review open commitments together: who promised what, and what got in "
    "the way.",
    "fair_say_spread": "Talk about how decisions are made and who shapes them.",
    "no_small_win": "Name one low-risk step to take together before the next check-in.",
    "asymmetric_pairs": "Make room for partners to say what each expects of the other.",
}

_FIRST_SENTENCE = re.compile(r"^(.+?[.)])\s+(?=[A-Z])(.*)$", re.DOTALL)


def signals(facts: Facts, trust: TrustSummary) -> list[HealthSignal]:
    """Every signal raised, attention first, then watch, each in the order of the checks."""
    found: list[HealthSignal] = []
    for check in (goals_unagreed(facts), objections(facts)):
        if check is not None:
            found.append(check)
    found += trust_signals(trust)
    for check in (
        actions_overdue(facts),
        unrepresented(facts),
        refer_back(facts),
        membership_views(facts),
        participation_falling(facts),
        churn(facts),
        no_small_wins(facts, trust),
    ):
        if check is not None:
            found.append(check)
    return sorted(found, key=lambda s: s.level != Urgency.attention)


# ---- goals


def goals_unagreed(facts: Facts) -> HealthSignal | None:
    """Collaboration-level goals, open, proposed at least `UNAGREED_DAYS` ago, not agreed."""
    cutoff = facts.now - timedelta(days=UNAGREED_DAYS)
    stale = sorted(
        (
            g
            for g in facts.goals
            if g.level == Level.collaboration
            and not g.closed
            and not g.agreed
            and g.proposed_at <= cutoff
        ),
        key=lambda g: (g.proposed_at, g.id),
    )
    if not stale:
        return None
    oldest = (facts.now - stale[0].proposed_at).days
    level = Urgency.attention if oldest >= UNAGREED_ATTENTION_DAYS else Urgency.watch
    subjects = [
        Subject(name=g.title, number=g.id, detail=f"proposed {_days(facts, g.proposed_at)}")
        for g in stale
    ]
    return _signal(
        SignalKey.goals_unagreed,
        level,
        f"{_count(len(stale), 'collaboration goal')} {_was(len(stale))} proposed "
        f"{UNAGREED_DAYS} or more days ago and {_is(len(stale))} still not agreed.",
        subjects,
        action="Bring these goals to the next meeting to agree, reword or drop each one "
        "(`/goal review` shows what each still needs).",
    )


def objections(facts: Facts) -> HealthSignal | None:
    """Open goals where a voice's latest stance is an objection."""
    objected = [g for g in facts.goals if not g.closed and (g.objecting or g.objecting_people)]
    if not objected:
        return None
    subjects = []
    for g in objected:
        people = _count(g.objecting_people, "person", "people") + " in their own capacity"
        if not g.objecting_people:
            detail = "objecting"
        elif g.objecting:
            detail = f"objecting, as {_does(g.objecting_people)} {people}"
        else:
            detail = f"{people} objecting"
        subjects.append(Subject(name=g.title, number=g.id, names=g.objecting, detail=detail))
    return _signal(
        SignalKey.objections,
        Urgency.attention,
        f"{_count(len(objected), 'open goal')} {_has(len(objected))} an objection as a "
        "partner's latest stance.",
        subjects,
        action="Ask the objecting partners what would change their stance, and record what "
        "you decide (`/log note kind:decision`).",
    )


# ---- trust


def trust_signals(summary: TrustSummary) -> list[HealthSignal]:
    """`/trust summary`'s signals as it shows them: only figures over at least *k*
    organisations ever raise one, and none names an organisation."""
    return [_trust_signal(s) for s in summary.signals]


def _trust_signal(signal: Signal) -> HealthSignal:
    match = _FIRST_SENTENCE.match(signal.message)
    finding, step = (match[1], match[2]) if match else (signal.message, "")
    return HealthSignal(
        key=f"{SignalKey.trust}.{signal.key}",
        level=Urgency.attention if signal.key in TRUST_ATTENTION else Urgency.watch,
        finding=f"Trust check-ins: {finding[:1].lower()}{finding[1:]}",
        theme=signal.suggested_theme,
        action=TRUST_ACTIONS.get(signal.key, step) or None,
    )


# ---- actions


def actions_overdue(facts: Facts) -> HealthSignal | None:
    """Open actions whose due date has passed in the partnership's time zone."""
    late = sorted(
        (a for a in facts.actions if not a.done and a.due is not None and a.due < facts.today),
        key=lambda a: (a.due, a.id),
    )
    if not late:
        return None
    assert late[0].due is not None
    longest = (facts.today - late[0].due).days
    level = Urgency.attention if longest >= OVERDUE_ATTENTION_DAYS else Urgency.watch
    subjects = []
    for a in late:
        assert a.due is not None
        days = (facts.today - a.due).days
        subjects.append(
            Subject(
                number=a.id,
                owner_id=a.owner_id,
                detail=f"due {a.due.isoformat()}, {_count(days, 'day')} overdue",
            )
        )
    return _signal(
        SignalKey.actions_overdue,
        level,
        f"{_count(len(late), 'action')} {_is(len(late))} past {_their(len(late))} due date "
        "and not done.",
        subjects,
        action="Ask each owner for a new date, or close what is done with `/log done`; a "
        "promise kept is what builds trust.",
    )


# ---- membership


def unrepresented(facts: Facts) -> HealthSignal | None:
    """Core and associate partners with no active representative or substitute."""
    silent = [p for p in facts.partners if p.status in REPRESENTED_STATUSES and p.speakers == 0]
    if not silent:
        return None
    level = (
        Urgency.attention
        if any(p.status == UNREPRESENTED_ATTENTION for p in silent)
        else Urgency.watch
    )
    silent.sort(key=lambda p: (p.status != UNREPRESENTED_ATTENTION, p.name.casefold()))
    subjects = [Subject(name=p.name, detail=f"{label(p.status)} partner") for p in silent]
    return _signal(
        SignalKey.unrepresented,
        level,
        f"{_count(len(silent), 'partner organisation')} {_has(len(silent))} no active "
        "representative or substitute, so nobody can speak for "
        f"{'it' if len(silent) == 1 else 'them'}.",
        subjects,
        action="Ask each organisation to name a representative or substitute, and add them "
        "with `/member add`.",
    )


def refer_back(facts: Facts) -> HealthSignal | None:
    """Core partners whose representatives and substitutes all must refer back, when they are
    at least `REFER_BACK_SHARE` of the core partners that have any: each of their agreements
    is given subject to referral, so the partnership's decisions wait on them."""
    voiced = [p for p in facts.partners if p.status == PartnerStatus.core and p.speakers > 0]
    referring = sorted((p for p in voiced if p.refer_back), key=lambda p: p.name.casefold())
    if not referring or len(referring) < REFER_BACK_SHARE * len(voiced):
        return None
    share = len(referring) / len(voiced)
    subjects = [
        Subject(
            name=p.name,
            detail="its representative must refer back"
            if p.speakers == 1
            else f"all {p.speakers} of its representatives must refer back",
        )
        for p in referring
    ]
    return _signal(
        SignalKey.refer_back,
        Urgency.watch,
        f"{len(referring)} of {_count(len(voiced), 'core partner')} ({share:.0%}) can agree "
        "to goals only subject to referral: everyone who speaks for "
        f"{'it' if len(referring) == 1 else 'them'} must refer back first.",
        subjects,
        action="Ask each organisation whether one of its representatives can be given a "
        "mandate to commit it, and plan decisions around when each expects its answer "
        "(`refer_by` on `/goal endorse`; `/goal review` lists what awaits confirmation).",
    )


def membership_views(facts: Facts) -> HealthSignal | None:
    """Current partners whose own view of their status (`/partner self-view`) differs from the
    conveners' record. Attention when one of the two says core and the other does not: that
    decides whether its stance counts toward agreement."""
    differ = [p for p in facts.partners if p.self_status and p.self_status != p.status]
    if not differ:
        return None
    weighty = [p for p in differ if VIEWS_ATTENTION in (p.status, p.self_status)]
    level = Urgency.attention if weighty else Urgency.watch
    differ.sort(key=lambda p: (p not in weighty, p.name.casefold()))
    subjects = [
        Subject(
            name=p.name,
            detail=f"conveners' record: {status_label(p.status)}; its own view: "
            f"{status_label(p.self_status or '')}",
        )
        for p in differ
    ]
    return _signal(
        SignalKey.membership_views,
        level,
        f"Partners see their membership differently: {_count(len(differ), 'organisation')} "
        f"{_sees(len(differ))} {'its' if len(differ) == 1 else 'their'} status otherwise than "
        "the conveners' record.",
        subjects,
        action="Talk with each organisation about what its membership means to it and to the "
        "partnership; then a convener updates `/partner status`, or the organisation its "
        "`/partner self-view`.",
    )


def participation_falling(facts: Facts) -> HealthSignal | None:
    """Organisations whose stances and reflection answers in the last window are at most
    `PARTICIPATION_FALL` of those in the window before, from at least
    `PARTICIPATION_MIN_BEFORE`."""
    window = timedelta(days=PARTICIPATION_WINDOW_DAYS)
    recent_from, before_from = facts.now - window, facts.now - 2 * window
    falls = []
    for partner in facts.partners:
        if partner.status not in REPRESENTED_STATUSES:
            continue
        times = facts.contributions.get(partner.organisation_id, [])
        recent = sum(1 for t in times if recent_from < t <= facts.now)
        before = sum(1 for t in times if before_from < t <= recent_from)
        if before >= PARTICIPATION_MIN_BEFORE and recent <= before * (1 - PARTICIPATION_FALL):
            falls.append((partner.name, before, recent))
    if not falls:
        return None
    falls.sort(key=lambda f: (f[2] / f[1], f[0].casefold()))
    level = Urgency.attention if any(recent == 0 for _, _, recent in falls) else Urgency.watch
    subjects = [Subject(name=name, detail=f"{before} → {recent}") for name, before, recent in falls]
    return _signal(
        SignalKey.participation_falling,
        level,
        f"Participation fell in {_count(len(falls), 'organisation')}: goal stances and "
        f"reflection answers in the last {PARTICIPATION_WINDOW_DAYS} days against the "
        f"{PARTICIPATION_WINDOW_DAYS} before.",
        subjects,
        action="Check in with each organisation: is the partnership still worth their time, "
        "and what would make taking part easier?",
    )


def churn(facts: Facts) -> HealthSignal | None:
    """People who left in the last `CHURN_WINDOW_DAYS` (and have not come back), against the
    members now."""
    left = facts.left
    if left < CHURN_MIN_LEFT:
        return None
    share = left / facts.members if facts.members else 1.0
    if share < CHURN_WATCH_SHARE:
        return None
    level = Urgency.attention if share >= CHURN_ATTENTION_SHARE else Urgency.watch
    return _signal(
        SignalKey.churn,
        level,
        f"{_count(left, 'person', 'people')} left in the last {CHURN_WINDOW_DAYS} days, "
        f"against {_count(facts.members, 'member')} now ({share:.0%}).",
        [],
        action="Make sure newcomers know the goals and commitments so far, and ask those who "
        "left what would have kept them.",
    )


def no_small_wins(facts: Facts, trust: TrustSummary) -> HealthSignal | None:
    """No small win logged in the last `SMALL_WIN_DAYS` (checked once the partnership is that
    old), and none shown in the last closed trust check-in."""
    window = timedelta(days=SMALL_WIN_DAYS)
    if facts.now - facts.created_at < window:
        return None
    if facts.last_small_win is not None and facts.last_small_win >= facts.now - window:
        return None
    latest = trust.rounds[-1] if trust.rounds else None
    if latest is not None and latest.shown and latest.small_wins:
        return None
    finding = f"No small win has been logged in the last {SMALL_WIN_DAYS} days"
    if latest is not None and latest.shown and latest.small_wins == 0:
        finding += ", and nobody reported one in the last trust check-in"
    return _signal(
        SignalKey.no_small_wins,
        Urgency.watch,
        finding + ".",
        [],
        action="Name one low-risk step to take together, and log it when it is done "
        "(`/log note kind:small_win`).",
    )


# ---- what was checked, and the chart's data


def checked(facts: Facts, trust: TrustSummary) -> list[str]:
    """What the view looked at, in plain words."""
    open_goals = sum(1 for g in facts.goals if not g.closed)
    shown = sum(1 for r in trust.rounds if r.shown)
    if trust.rounds:
        rounds = (
            f"trust check-in signals over the last {_count(len(trust.rounds), 'closed round')} "
            f"({shown} with enough answers to show)"
        )
    else:
        rounds = "trust check-in signals (no round has closed yet)"
    represented = sum(1 for p in facts.partners if p.status in REPRESENTED_STATUSES)
    small_wins = f"small wins logged in the last {SMALL_WIN_DAYS} days"
    if facts.now - facts.created_at < timedelta(days=SMALL_WIN_DAYS):
        small_wins += f" (from when the partnership is {SMALL_WIN_DAYS} days old)"
    open_actions = sum(1 for a in facts.actions if not a.done)
    return [
        f"goals of the whole collaboration proposed {UNAGREED_DAYS} or more days ago and not "
        f"agreed, and objections ({_count(open_goals, 'open goal')})",
        rounds,
        f"actions past their due date ({open_actions} open)",
        "representatives and substitutes of the "
        + _count(represented, "core or associate partner")
        + ", and their mandates",
        f"organisations' own views of their membership against the conveners' record "
        f"({sum(1 for p in facts.partners if p.self_status)} recorded)",
        f"stances and reflection answers per organisation, the last "
        f"{PARTICIPATION_WINDOW_DAYS} days against the {PARTICIPATION_WINDOW_DAYS} before",
        f"people who left in the last {CHURN_WINDOW_DAYS} days ({facts.left}), against the "
        f"{_count(facts.members, 'member')} now",
        small_wins,
    ]


def participation(facts: Facts) -> Participation:
    """Stances plus reflection answers per organisation per calendar month: the busiest
    `CHART_MAX_ORGANISATIONS` organisations by name, the rest added up as one series."""
    months = month_starts(facts.today)
    starts = [local_start(m, facts.tz) for m in months]
    series: dict[str, list[int]] = {}
    for partner in facts.partners:
        if partner.status not in REPRESENTED_STATUSES:
            continue
        counts = [0] * len(months)
        for moment in facts.contributions.get(partner.organisation_id, []):
            for index in range(len(months) - 1, -1, -1):
                if moment >= starts[index]:
                    counts[index] += 1
                    break
        series[partner.name] = counts
    ranked = sorted(series.items(), key=lambda item: (-sum(item[1]), item[0].casefold()))
    if len(ranked) <= CHART_MAX_ORGANISATIONS:
        return Participation(months, dict(sorted(series.items(), key=_by_name)))
    shown = dict(sorted(ranked[: CHART_MAX_ORGANISATIONS - 1], key=_by_name))
    rest = ranked[CHART_MAX_ORGANISATIONS - 1 :]
    total = [sum(counts[i] for _name, counts in rest) for i in range(len(months))]
    return Participation(months, shown, others=len(rest), others_counts=total)


# ---- words


def _signal(
    key: SignalKey,
    level: Urgency,
    finding: str,
    subjects: Sequence[Subject],
    *,
    action: str,
) -> HealthSignal:
    listed = tuple(subjects[:MAX_SUBJECTS])
    return HealthSignal(
        key=str(key),
        level=str(level),
        finding=finding,
        subjects=listed,
        more=len(subjects) - len(listed),
        theme=THEME[key],
        action=action,
    )


def _by_name(item: tuple[str, list[int]]) -> str:
    return item[0].casefold()


def _days(facts: Facts, moment: datetime) -> str:
    days = (facts.now - moment).days
    return f"{_count(days, 'day')} ago"


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def _does(n: int) -> str:
    return "does" if n == 1 else "do"


def _sees(n: int) -> str:
    return "sees" if n == 1 else "see"


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def _their(n: int) -> str:
    return "its" if n == 1 else "their"
