"""What the goal service hands to cogs: plain, frozen views of goals and of what a change did.

A `GoalCard` is everything shown about one goal (its agreement matrix, tally, progress and
links), built by `GoalWeb.card`. Write results carry the cards whose posted messages the change
affects (`redraw`), so the cog redraws them without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic

from bot.services.access import PartnershipRef, Voice
from bot.services.frozen import quick_init
from bot.services.goals.readings import Readings
from bot.services.goals.rows import G
from bot.services.goals.vocab import CLOSED, RELATION_WORDS, Response
from db.models import Partnership

if TYPE_CHECKING:
    from bot.services.goals.announce import Announcement


@quick_init
@dataclass(frozen=True)
class StanceView:
    stance: str
    comment: str | None
    user_id: int
    display_name: str
    recorded_at: datetime
    referral: str = "none"  # none, pending (subject to referral) or confirmed
    refer_by: date | None = None  # when a pending referral is expected back
    mandate: str | None = None  # the recorder's mandate when they took it

    @property
    def pending(self) -> bool:
        """Given subject to referral and not yet confirmed: shown, not counted."""
        return self.referral == "pending"

    @property
    def in_principle(self) -> bool:
        """Given by someone who may agree in principle: counted, shown as in principle."""
        return self.mandate == "agree_in_principle" and self.referral == "none"


@quick_init
@dataclass(frozen=True)
class OrgLine:
    """One active partner organisation in a goal's agreement matrix."""

    organisation_id: int
    name: str
    status: str  # its status in the partnership: core, associate …
    latest: StanceView | None
    counts: bool  # core organisations count toward agreement
    not_yet_asked: bool  # joined after the goal was agreed, and has no stance
    since_agreement: bool  # its latest stance came after the goal was agreed


@quick_init
@dataclass(frozen=True)
class PersonLine:
    """A person in their own capacity (individual or citizen)."""

    user_id: int
    display_name: str
    capacity: str
    latest: StanceView | None
    counts: bool
    since_agreement: bool


@quick_init
@dataclass(frozen=True)
class Tally:
    rule: str
    count_individuals: bool
    core: int  # active core organisations
    voices: int  # voices that count: core organisations, plus people when the setting is on
    supportive: int  # counted voices that agree or have reservations (not subject to referral)
    objecting: int  # counted voices that object
    organisations: int  # active organisations, all statuses
    organisations_with_stance: int
    breakdown: dict[str, int]  # latest stances of the active organisations: congruence
    met: bool
    pending: int = 0  # counted voices whose agreement or reservations await confirmation

    @property
    def needed(self) -> int:
        """Supportive voices the rule needs."""
        if self.rule == "majority":
            return self.voices // 2 + 1
        return self.voices


@quick_init
@dataclass(frozen=True)
class Fit:
    """How an organisation's or a person's goal sits with the other organisations: the latest
    response of each active partner organisation other than the owner."""

    counts: dict[str, int]  # by response, every `Response` value present
    waiting: tuple[str, ...]  # the other organisations with no response yet
    asked: int  # the other active organisations

    @property
    def responded(self) -> int:
        return sum(self.counts.values())

    @property
    def in_tension(self) -> int:
        return self.counts.get(Response.in_tension, 0)


@quick_init
@dataclass(frozen=True)
class WebLine:
    """The web around a collaboration goal: the organisation-level goals linked to it (either
    way, any relation; dropped and superseded ones left out), and those of them in tension:
    linked to it by `in_tension_with`, or with at least one partner organisation's latest
    response `in_tension`."""

    linked: tuple[int, ...]
    tension: tuple[int, ...]


@quick_init
@dataclass(frozen=True)
class LinkView:
    relation: str
    outgoing: bool  # this goal is the one that links (contributes to / is part of …)
    other_id: int
    other_title: str
    other_status: str

    @property
    def words(self) -> str:
        forward, backward = RELATION_WORDS[self.relation]
        return forward if self.outgoing else backward


@quick_init
@dataclass(frozen=True)
class GoalCard(Generic[G]):
    """Everything shown about one goal: the goal, its matrix, tally, progress and links."""

    goal: G  # a `GoalRow` in a list's cards (`load_summary`); `GoalCard` alone: either
    partnership: Partnership
    owner_organisation: str | None
    organisations: list[OrgLine]
    people: list[PersonLine]
    tally: Tally
    progress: int | None  # its own, or the mean of its parts'
    rolled_up: bool  # progress is the mean of its parts
    parts: int  # goals that are part of it
    links: list[LinkView]
    # The partnership log's latest event when the card was drawn: of two cards of one goal, the
    # one with the higher mark shows the later state (changes to a goal are serialised).
    as_of: int = 0
    # An organisation's or a person's goal: the responses (no agreement); else None.
    fit: Fit | None = None
    # A collaboration goal: the organisation-level goals around it; else None.
    web: WebLine | None = None
    # How the partner organisations themselves read it (`/goal perceive`): counts only.
    readings: Readings = field(default_factory=Readings)

    @property
    def id(self) -> int:
        assert self.goal.id is not None
        return self.goal.id

    @property
    def takes_responses(self) -> bool:
        """The other organisations respond to it (compatible, in tension …); nobody agrees."""
        return self.fit is not None

    @property
    def shared(self) -> bool:
        """Seen by the partnership: every goal but an individual one not yet shared."""
        return self.goal.level != "individual" or self.goal.shared_at is not None

    @property
    def open(self) -> bool:
        """Stances can still be taken: the goal is not closed, the partnership not archived."""
        return self.goal.status not in CLOSED and not self.partnership.is_archived

    @property
    def agreed(self) -> bool:
        return self.goal.agreed_at is not None

    @property
    def posted(self) -> bool:
        """The goal has a message in its partnership's channel, kept up to date."""
        return self.goal.channel_id is not None and self.goal.message_id is not None


@dataclass(frozen=True)
class GoalTarget:
    """A goal as a command names it: its id (`12`, `#12`) or exact title, in a partnership."""

    goal: str
    partnership: PartnershipRef = field(default_factory=PartnershipRef)

    @classmethod
    def by_id(cls, goal_id: int) -> GoalTarget:
        return cls(str(goal_id))


@dataclass(frozen=True)
class Standing:
    goal_id: int
    title: str
    voice: Voice


@dataclass(frozen=True)
class StanceResult:
    card: GoalCard
    voice: Voice
    stance: str
    previous: str | None
    agreed_now: bool
    comment: str | None = None  # as recorded, for the reply
    # The line for the partnership's channel when the stance made the goal agreed.
    announcement: Announcement | None = None
    referral: str = "none"  # pending: subject to referral; confirmed: this confirmed it
    refer_by: date | None = None

    @property
    def redraw(self) -> list[GoalCard]:
        """A stance changes its own goal's matrix and nothing else."""
        return [self.card]


@dataclass(frozen=True)
class ResponseResult:
    card: GoalCard
    voice: Voice
    response: str
    previous: str | None
    comment: str | None = None
    linked: tuple[GoalCard, ...] = ()  # collaboration goals whose web line it may change

    @property
    def redraw(self) -> list[GoalCard]:
        """A response changes its own goal's card, and the web line of the collaboration goals
        it is linked to."""
        return [self.card, *self.linked]


@dataclass(frozen=True)
class PerceptionResult:
    """An organisation's reading of a goal, as recorded, and the goal's spread after it."""

    card: GoalCard
    organisation: str
    recorded: dict[str, str]  # dimension → value, the dimensions given this time
    origin_detail: str | None

    @property
    def redraw(self) -> list[GoalCard]:
        """A reading changes its own goal's card and nothing else."""
        return [self.card]


@dataclass(frozen=True)
class ChangeResult:
    card: GoalCard
    changes: dict[str, tuple[Any, Any]]
    note: str | None
    redraw: list[GoalCard]  # the goal, and the goals its progress rolls up into
    # The line for the partnership's channel: agreed, a new status or new progress.
    announcement: Announcement | None = None

    @property
    def touched(self) -> list[int]:
        return [c.id for c in self.redraw]


@dataclass(frozen=True)
class LinkResult:
    card: GoalCard
    other: GoalCard
    relation: str
    redraw: list[GoalCard]  # both goals, and the goals their progress rolls up into

    @property
    def touched(self) -> list[int]:
        return [c.id for c in self.redraw]


@dataclass(frozen=True)
class VisibilityResult:
    """A goal's visibility changed (`sharing`)."""

    card: GoalCard  # as the person acting sees it
    before: str
    after: str
    # Widened to the whole partnership with no message yet: post the card in the channel.
    post: bool
    # Narrowed from the whole partnership: the message to take back, (channel id, message id).
    unpost: tuple[int, int] | None


@dataclass(frozen=True)
class ReviewReason:
    """One thing that needs attention. `kind` is one of REVIEW_KINDS."""

    kind: str
    names: tuple[str, ...] = ()
    day: date | None = None
    moment: datetime | None = None


REVIEW_KINDS = (
    "review_due",
    "objection",
    "since_agreement",
    "awaiting",
    "not_yet_asked",
    "stale",
    "rule_met",
    "referral_pending",
    "awaiting_response",
    "in_tension",
)


@dataclass(frozen=True)
class ReviewItem:
    goal_id: int
    title: str
    status: str
    reasons: list[ReviewReason]
