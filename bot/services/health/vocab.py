"""The words and every threshold of the health view, in one place.

Each constant here is listed in the README's "Partnership health" table; change one there too.
A signal's level is *attention* (talk about it soon) or *watch* (keep an eye on it).
"""

from __future__ import annotations

from enum import StrEnum

from bot.services.vocab import PartnerStatus


class Urgency(StrEnum):
    """How soon a signal is worth discussing."""

    attention = "attention"
    watch = "watch"


class SignalKey(StrEnum):
    """The health checks, in the order the view lists them (within a level)."""

    goals_unagreed = "goals_unagreed"
    objections = "objections"
    trust = "trust"  # one signal per trust check-in signal, keyed `trust.<its key>`
    actions_overdue = "actions_overdue"
    unrepresented = "unrepresented"
    refer_back = "refer_back"
    membership_views = "membership_views"
    participation_falling = "participation_falling"
    churn = "churn"
    no_small_wins = "no_small_wins"


# ---- goals long unagreed (Vangen & Huxham 2012): collaboration-level goals, open, not agreed
UNAGREED_DAYS = 30  # proposed at least this long ago: watch (the default of `/goal review`)
UNAGREED_ATTENTION_DAYS = 90  # at least this long ago: attention

# ---- objections: an open goal where a voice's latest stance is an objection: attention

# ---- trust check-ins (Vangen & Huxham 2003): `/trust summary`'s signals, as it shows them
TRUST_ROUNDS = 6  # the last closed rounds read, as `/trust summary` reads them by default
# Trust signals that are attention; the others (no small win, asymmetric pairs) are watch.
TRUST_ATTENTION = frozenset({"follow_through_drop", "reliance_drop", "fair_say_spread"})

# ---- overdue actions: open actions past their due date (in the partnership's time zone)
OVERDUE_ATTENTION_DAYS = 14  # overdue by at least this many days: attention (else watch)

# ---- organisations without an active representative or substitute (Huxham & Vangen 2000)
REPRESENTED_STATUSES = (PartnerStatus.core, PartnerStatus.associate)
UNREPRESENTED_ATTENTION = PartnerStatus.core  # a core partner without one: attention

# ---- representatives who must refer back (Huxham & Vangen 2000): active core partners whose
# representatives and substitutes all have the mandate "must refer back", over the active core
# partners that have any: their agreement waits on a referral every time.
REFER_BACK_SHARE = 0.5  # at least this share: watch
# ---- partners who see their membership differently from the conveners' record (Huxham &
# Vangen 2000): an organisation's own view (`/partner self-view`) differs from its status.
# Attention when one side says core and the other does not (it decides whose stance counts).
VIEWS_ATTENTION = PartnerStatus.core

# ---- falling participation per organisation: goal stances + reflection answers
PARTICIPATION_WINDOW_DAYS = 60  # the last 60 days, against the 60 before
PARTICIPATION_MIN_BEFORE = 3  # an organisation needs at least this many in the earlier window
PARTICIPATION_FALL = 0.5  # falls when the recent count is at most half the earlier one
# Falling to none at all is attention; any other fall is watch.

# ---- membership churn (Huxham & Vangen 2000): people who left, over current members
CHURN_WINDOW_DAYS = 90
CHURN_MIN_LEFT = 2  # fewer departures than this never count as churn
CHURN_WATCH_SHARE = 0.25  # left ÷ current members at least this: watch
CHURN_ATTENTION_SHARE = 0.5  # at least this: attention

# ---- no small wins (Vangen & Huxham 2003; Huxham & Vangen 2005)
SMALL_WIN_DAYS = 60  # no `note.small_win` this recent (and none shown in the last trust round)
# Checked only once the partnership is this old, so a new one isn't told it has no wins yet.

# ---- the chart
CHART_MONTHS = 6  # calendar months in the partnership's time zone, this one included
CHART_MAX_ORGANISATIONS = 8  # the most active ones get a line; the rest are added up as one

# ---- showing a signal
MAX_SUBJECTS = 5  # goals, actions or organisations named under one signal; the rest counted

# The prompt theme (a key of `bot.prompts.THEMES`) each check suggests.
THEME = {
    SignalKey.goals_unagreed: "goals",
    SignalKey.objections: "goals",
    SignalKey.actions_overdue: "trust",
    SignalKey.unrepresented: "membership",
    SignalKey.refer_back: "membership",
    SignalKey.membership_views: "membership",
    SignalKey.participation_falling: "inertia",
    SignalKey.churn: "membership",
    SignalKey.no_small_wins: "small_wins",
}

# Where each check comes from, for the README and the "what was checked" list.
SOURCE = {
    SignalKey.goals_unagreed: "Vangen & Huxham 2012, the tangled web of goals",
    SignalKey.objections: "Vangen & Huxham 2012, goals agreed organisation by organisation",
    SignalKey.trust: "Vangen & Huxham 2003, the trust-building loop",
    SignalKey.actions_overdue: "Vangen & Huxham 2003, expectations met",
    SignalKey.unrepresented: "Huxham & Vangen 2000, ambiguity in membership",
    SignalKey.refer_back: "Huxham & Vangen 2000, representation and mandates",
    SignalKey.membership_views: "Huxham & Vangen 2000, partners disagree about membership",
    SignalKey.participation_falling: "Huxham & Vangen 2005, collaborative inertia",
    SignalKey.churn: "Huxham & Vangen 2000, dynamics of membership",
    SignalKey.no_small_wins: "Vangen & Huxham 2003 and Huxham & Vangen 2005, small wins",
}
