"""Trust check-ins (domain notes §3, issue 10): rounds, answers, pairwise ratings, reminders,
closing, and the summary with its signals.

The rules of who may do what are in `bot.services.access` (`round_answerers`,
`check_may_answer`, `check_may_rate`, `may_read_named_pairs`); what may be shown is
`privacy`; the figures are `figures` and `network`; the signals `signals`. Every write passes the
gate, which locks the partnership row, so one partnership's rounds change one at a time; closing
and reminding are claimed with conditional updates, so each happens exactly once even with two
processes. Opening and closing are logged; answers never are.
"""

from __future__ import annotations

from bot.services.trust.answering import AnswerCommands
from bot.services.trust.closing import ClosingCommands
from bot.services.trust.opening import OpeningCommands
from bot.services.trust.reading import ReadingCommands


class TrustService(OpeningCommands, AnswerCommands, ClosingCommands, ReadingCommands):
    """Trust check-ins: `TrustService(sessions, *, clock)`."""
