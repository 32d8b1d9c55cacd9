"""What the goal service hands to cogs: plain, frozen views of goals and of what a change did.

A `GoalCard` is everything shown about one goal (its agreement matrix, tally, progress and
links), built by `GoalWeb.card`. Write results carry the cards whose posted messages the change
affects (`redraw`), so the cog redraws them without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.services.access import PartnershipRef, Voice
from bot.services.goals.readings import Readings
from bot.services.goals.vocab import CLOSED, RELATION_WORDS
from db.models import Goal, Partnership

if TYPE_CHECKING:
    from bot.services.goals.announce import Announcement


@dataclass(frozen=True)
class StanceView:
    stance: str
    comment: str | None
    user_id: int
    display_name: str
    recorded_at: datetime


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


@dataclass(frozen=True)
class PersonLine:
    """A person in their own capacity (individual or citizen)."""

    user_id: int
    display_name: str
    capacity: str
    latest: StanceView | None
    counts: bool
    since_agreement: bool


@dataclass(frozen=True)
class Tally:
    rule: str
    count_individuals: bool
    core: int  # active core organisations
    voices: int  # voices that count: core organisations, plus people when the setting is on
    supportive: int  # counted voices that agree or have reservations
    objecting: int  # counted voices that object
    organisations: int  # active organisations, all statuses
    organisations_with_stance: int
    breakdown: dict[str, int]  # latest stances of the active organisations: congruence
    met: bool

    @property
    def needed(self) -> int:
        """Supportive voices the rule needs."""
        if self.rule == "majority":
            return self.voices // 2 + 1
        return self.voices


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


@dataclass(frozen=True)
class GoalCard:
    """Everything shown about one goal: the goal, its matrix, tally, progress and links."""

    goal: Goal
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
    # How the partner organisations themselves read it (`/goal perceive`): counts only.
    readings: Readings = field(default_factory=Readings)

    @property
    def id(self) -> int:
        assert self.goal.id is not None
        return self.goal.id

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

    @property
    def redraw(self) -> list[GoalCard]:
        """A stance changes its own goal's matrix and nothing else."""
        return [self.card]


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
)


@dataclass(frozen=True)
class ReviewItem:
    goal_id: int
    title: str
    status: str
    reasons: list[ReviewReason]
