"""Trust check-ins on the trust-building loop (domain notes §3, issue 10).

What people answer (`vocab`, `answers`), what may be shown of it (`privacy`, decided once), the
figures of a closed round (`figures`) and its trust network (`network`, with networkx), the
signals they raise (`signals`), rounds in the database (`rounds`), the log sentences (`events`),
rounds as a kind of schedule (`kind`), and the commands (`TrustService`, in `opening`,
`answering`, `closing` and `reading`). Who may answer, rate or read named pairs is decided in
`bot.services.access`.
"""

from bot.services.trust.answers import CheckinAnswers, check_rating, clean_answers
from bot.services.trust.privacy import OWN_GROUP, not_enough_words, threshold
from bot.services.trust.service import TrustService
from bot.services.trust.views import (
    CheckinForm,
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
    Turnover,
)
from bot.services.trust.vocab import (
    COMMENT_MAX,
    COMMENT_WARNING,
    DEFAULT_WINDOW,
    DONT_KNOW,
    ITEMS,
    OWN_ITEM,
    RATING_DIMENSIONS,
    RATING_LABELS,
    RATING_SCALE,
    SCALE,
    SCALE_WORDS,
    SMALL_WIN_MAX,
    SMALL_WIN_QUESTION,
    Item,
    describe_window,
    parse_window,
)

__all__ = [
    "COMMENT_MAX",
    "COMMENT_WARNING",
    "DEFAULT_WINDOW",
    "DONT_KNOW",
    "ITEMS",
    "OWN_GROUP",
    "OWN_ITEM",
    "RATING_DIMENSIONS",
    "RATING_LABELS",
    "RATING_SCALE",
    "SCALE",
    "SCALE_WORDS",
    "SMALL_WIN_MAX",
    "SMALL_WIN_QUESTION",
    "CheckinAnswers",
    "CheckinForm",
    "CheckinResult",
    "Item",
    "NetworkFigures",
    "PairLine",
    "RateResult",
    "Reminder",
    "RoundFigures",
    "RoundResults",
    "RoundStatus",
    "RoundView",
    "Signal",
    "TrustService",
    "TrustSummary",
    "Turnover",
    "check_rating",
    "clean_answers",
    "describe_window",
    "not_enough_words",
    "parse_window",
    "threshold",
]
