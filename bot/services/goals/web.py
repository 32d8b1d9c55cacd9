"""The tangled web: a partnership's goals, partners, people, stances and links, loaded once.

`load_web` reads everything one change or one view needs in a handful of queries; `GoalWeb`
then answers from memory: cards, roll-up of progress through part-of links, the goals a change
reaches, loops, and what needs review. A goal with parts and no progress of its own shows the
mean of its parts' progress; dropped and superseded parts are left out. Stance comments removed
at their author's request, or older than the partnership's retention period, read as removed
(`bot.services.redaction`).

An organisation's or a person's goal has no agreement: its card carries the fit (`Fit`, the
latest response of each other partner organisation; stances recorded on it before responses
existed stay in the history and are not counted). A collaboration goal's card carries the web
around it (`WebLine`).
A web is read for a viewer (`lookup.Viewer`; None: every goal, for the rules): its goal lists,
cards, links and roll-up show only the goals that viewer may see (`lookup.may_see`). One load
serves several viewers (`seen_by`): the person acting, and the channel (`public_cards`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Generic

from bot.services import redaction
from bot.services.goals.agreement import tally
from bot.services.goals.cards import (
    Fit,
    GoalCard,
    LinkView,
    OrgLine,
    PersonLine,
    ReviewItem,
    StanceView,
    WebLine,
)
from bot.services.goals.latest import StanceRow
from bot.services.goals.lookup import PUBLIC, Viewer, may_see
from bot.services.goals.readings import Readings, spread
from bot.services.goals.review import referral_overdue, review_reasons
from bot.services.goals.rows import AnyGoal, G, L
from bot.services.goals.vocab import (
    ACYCLIC,
    CLOSED,
    GoalStatus,
    Level,
    Referral,
    Relation,
    Response,
    takes_responses,
)
from bot.services.vocab import PartnerStatus
from db.models import (
    GoalPerception,
    Membership,
    Partnership,
    name_key,
)
from db.queries import PartnerRow

RESPONSES = frozenset(r.value for r in Response)
GONE = frozenset({GoalStatus.dropped, GoalStatus.superseded})


@dataclass
class GoalWeb(Generic[G, L]):
    """A partnership's goals, partners, people, stances and links, loaded once per call."""

    partnership: Partnership
    goals: dict[int, G]
    partners: list[PartnerRow]  # the current partner organisations, by name
    # Active members in their own capacity; read only when a card can show one (`load_web`).
    people: list[Membership]
    stances: dict[int, list[StanceRow]]  # by goal: each voice's latest, in the order recorded
    links: list[L]
    org_names: dict[int, str]
    as_of: int  # the partnership log's latest event when loaded
    # Comments removed at their author's request or by retention: shown as removed.
    redactions: redaction.Redactions = field(default_factory=redaction.Redactions)
    # Whose view the lists, cards and roll-up show; None: every goal.
    viewer: Viewer | None = None
    # Loaded for one goal's card (`load_web(focus=…)`): the goals whose stances and readings
    # were read (it and the goals linked to it); None: every goal's.
    focus: frozenset[int] | None = None
    # Loaded for a list (`load_summary`): cards without links, web line or readings.
    summary: bool = False

    # ---- who sees what

    def seen_by(self, viewer: Viewer | None) -> GoalWeb[G, L]:
        """The same web, as `viewer` sees it (no new load)."""
        return replace(self, viewer=viewer)

    def sees(self, goal_id: int) -> bool:
        goal = self.goals.get(goal_id)
        return goal is not None and (self.viewer is None or may_see(self.viewer, goal))

    def visible_goals(self) -> list[G]:
        """The goals this web's viewer sees, oldest first."""
        return [
            g for g in sorted(self.goals.values(), key=lambda g: g.id or 0) if self.sees(g.id or 0)
        ]

    def public_cards(self, goal_ids: Iterable[int]) -> list[GoalCard[G]]:
        """Cards of the goals among these that the whole partnership sees, as the channel shows
        them: what a posted message may be redrawn with."""
        public = self.seen_by(PUBLIC)
        return public.cards(
            g for g in goal_ids if g in self.goals and may_see(PUBLIC, self.goals[g])
        )

    # Organisations' own readings (`readings`), by goal, in the order recorded.
    perceptions: dict[int, list[GoalPerception]] = field(default_factory=dict)

    # ---- the web's shape

    def parts_of(self, goal_id: int) -> list[int]:
        """The goals part of this one that the viewer sees (roll-up counts only those)."""
        return [
            link.from_goal_id
            for link in self.links
            if link.relation == Relation.part_of
            and link.to_goal_id == goal_id
            and self.sees(link.from_goal_id)
        ]

    def progress(self, goal_id: int, seen: frozenset[int] = frozenset()) -> tuple[int | None, bool]:
        """(progress, rolled up): its own, else the mean of its parts that have progress.

        Dropped and superseded parts are left out of the mean.
        """
        goal = self.goals[goal_id]
        if goal.progress is not None:
            return goal.progress, False
        values = []
        for part in self.parts_of(goal_id):
            if part in seen or self.goals[part].status in (
                GoalStatus.dropped,
                GoalStatus.superseded,
            ):
                continue
            value, _ = self.progress(part, seen | {goal_id})
            if value is not None:
                values.append(value)
        if not values:
            return None, False
        return round(sum(values) / len(values)), True

    def ancestors(self, goal_id: int) -> list[int]:
        """Goals this one is part of, directly or not: their rolled-up progress may change."""
        found: list[int] = []
        stack = [goal_id]
        while stack:
            current = stack.pop()
            for link in self.links:
                if (
                    link.relation == Relation.part_of
                    and link.from_goal_id == current
                    and link.to_goal_id not in found
                    and link.to_goal_id != goal_id
                ):
                    found.append(link.to_goal_id)
                    stack.append(link.to_goal_id)
        return found

    def reaches(self, start: int, target: int) -> bool:
        """Whether `start` leads to `target` along part-of and contributes-to links."""
        edges: dict[int, list[int]] = defaultdict(list)
        for link in self.links:
            if link.relation in ACYCLIC:
                edges[link.from_goal_id].append(link.to_goal_id)
        stack, seen = [start], {start}
        while stack:
            current = stack.pop()
            if current == target:
                return True
            for nxt in edges[current]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def find_link(self, a: int, b: int, relation: str) -> L | None:
        """The link `a → b` of this relation (either way round for tension), if recorded."""
        for link in self.links:
            if link.relation != relation:
                continue
            if (link.from_goal_id, link.to_goal_id) == (a, b):
                return link
            if relation == Relation.in_tension_with and (link.from_goal_id, link.to_goal_id) == (
                b,
                a,
            ):
                return link
        return None

    # ---- cards

    def cards(self, goal_ids: Iterable[int]) -> list[GoalCard[G]]:
        """Cards of these goals, each once, in the order given."""
        return [self.card(self.goals[goal_id]) for goal_id in dict.fromkeys(goal_ids)]

    def posted_cards(self) -> list[GoalCard[G]]:
        """Cards of the open goals that have a posted message to keep up to date."""
        return [
            self.card(goal)
            for goal in self.visible_goals()
            if goal.message_id is not None and goal.status not in CLOSED
        ]

    def review_items(self, today: date, now: datetime, days: int) -> list[ReviewItem]:
        """The open goals that need attention, and why (`review_reasons`)."""
        items = []
        for goal in self.visible_goals():
            if goal.status in CLOSED:
                continue
            reasons = review_reasons(self.card(goal), today, now, days)
            if reasons:
                assert goal.id is not None
                items.append(ReviewItem(goal.id, goal.title, goal.status, reasons))
        # Goals with a referral overdue come first; otherwise in order of their numbers.
        return sorted(items, key=lambda item: not referral_overdue(item, today))

    def _stance_view(
        self, stance: StanceRow | None, commented: StanceRow | None = None
    ) -> StanceView | None:
        """`commented`: the stance whose comment to show instead (one confirmed later)."""
        if stance is None:
            return None
        source = commented or stance
        comment = source.comment
        if comment:
            comment = self.redactions.stance_comment(source.id, source.recorded_at) or comment
        return StanceView(
            stance.stance,
            comment,
            stance.user_id,
            stance.display_name,
            stance.recorded_at,
            referral=stance.referral,
            refer_by=stance.refer_by,
            mandate=stance.mandate,
        )

    def _latest_responses(self, goal: AnyGoal) -> dict[int, StanceRow]:
        """The latest response of each organisation on an organisation's or person's goal."""
        assert goal.id is not None
        latest: dict[int, StanceRow] = {}
        for row in self._stances_of(goal.id):
            if row.organisation_id is not None and row.stance in RESPONSES:
                latest[row.organisation_id] = row
        return latest

    def _stances_of(self, goal_id: int) -> list[StanceRow]:
        assert self.focus is None or goal_id in self.focus, "read for another goal's card"
        return self.stances.get(goal_id, [])

    def responders(self, goal: AnyGoal) -> list[PartnerRow]:
        """The active partner organisations that respond to this goal: all but its owner."""
        return [p for p in self.partners if p.organisation_id != goal.owner_organisation_id]

    def fit(self, goal: AnyGoal) -> Fit:
        latest = self._latest_responses(goal)
        counts = {r.value: 0 for r in Response}
        waiting = []
        responders = self.responders(goal)
        for partner in responders:
            row = latest.get(partner.organisation_id)
            if row is None:
                waiting.append(partner.name)
            else:
                counts[row.stance] += 1
        return Fit(counts, tuple(sorted(waiting, key=name_key)), len(responders))

    def web_line(self, goal: AnyGoal) -> WebLine:
        """The organisation-level goals around a collaboration goal, and those in tension."""
        assert goal.id is not None
        linked: dict[int, bool] = {}
        for link in self.links:
            if goal.id not in (link.from_goal_id, link.to_goal_id):
                continue
            other = self.goals[
                link.to_goal_id if link.from_goal_id == goal.id else link.from_goal_id
            ]
            assert other.id is not None
            if other.level != Level.organisation or other.status in GONE:
                continue
            if not self.sees(other.id):
                continue  # a goal the viewer may not see is not counted
            tense = link.relation == Relation.in_tension_with or self.fit(other).in_tension > 0
            linked[other.id] = linked.get(other.id, False) or tense
        ids = sorted(linked)
        return WebLine(tuple(ids), tuple(i for i in ids if linked[i]))

    @cached_property
    def _matrix(self) -> list[tuple[int, str, str, bool, datetime]]:
        """The partners as every card lists them, core first, then by name: (organisation
        id, name, status, counts, joined). Made once per web, not once per card (a list draws
        twenty)."""
        rows = []
        for partner in self.partners:
            counts = partner.status == PartnerStatus.core
            rows.append(
                (partner.organisation_id, partner.name, partner.status, counts, partner.joined_at)
            )
        rows.sort(key=lambda row: (not row[3], name_key(row[1])))
        return rows

    def card(self, goal: G) -> GoalCard[G]:
        if takes_responses(goal):
            return self._response_card(goal)
        assert goal.id is not None
        p = self.partnership
        latest_org: dict[int, StanceRow] = {}
        latest_person: dict[int, StanceRow] = {}
        # A confirmation without a comment of its own shows the confirmed stance's comment.
        commented: dict[int, StanceRow] = {}
        for stance in self._stances_of(goal.id):
            if stance.organisation_id is not None:
                before = latest_org.get(stance.organisation_id)
                if stance.referral == Referral.confirmed and not stance.comment and before:
                    commented[stance.organisation_id] = commented.get(
                        stance.organisation_id, before
                    )
                else:
                    commented.pop(stance.organisation_id, None)
                latest_org[stance.organisation_id] = stance
            else:
                latest_person[stance.user_id] = stance
        agreed_at = goal.agreed_at

        def after_agreement(stance: StanceRow | None) -> bool:
            return bool(stance and agreed_at and stance.recorded_at > agreed_at)

        organisations = []
        for org_id, name, status, counts, joined_at in self._matrix:
            org_stance = latest_org.get(org_id)
            organisations.append(
                OrgLine(
                    organisation_id=org_id,
                    name=name,
                    status=status,
                    latest=self._stance_view(org_stance, commented.get(org_id)),
                    counts=counts,
                    not_yet_asked=org_stance is None
                    and agreed_at is not None
                    and joined_at > agreed_at,
                    since_agreement=after_agreement(org_stance),
                )
            )
        people = []
        for member in self.people:
            person_stance = latest_person.get(member.user_id)
            if person_stance is None and not p.count_individuals:
                continue  # not counted and silent: nothing to show
            people.append(
                PersonLine(
                    user_id=member.user_id,
                    display_name=member.display_name
                    or (person_stance.display_name if person_stance else ""),
                    capacity=member.capacity,
                    latest=self._stance_view(person_stance),
                    counts=p.count_individuals,
                    since_agreement=after_agreement(person_stance),
                )
            )
        people.sort(key=lambda m: name_key(m.display_name))
        return self._finish(
            goal,
            organisations,
            people,
            web=self.web_line(goal)
            if goal.level == Level.collaboration and not self.summary
            else None,
        )

    def _response_card(self, goal: G) -> GoalCard[G]:
        """An organisation's or a person's goal: each other organisation's latest response."""
        latest = self._latest_responses(goal)
        organisations = [
            OrgLine(
                organisation_id=org_id,
                name=name,
                status=status,
                latest=self._stance_view(latest.get(org_id)),
                counts=counts,
                not_yet_asked=False,
                since_agreement=False,
            )
            for org_id, name, status, counts, _joined in self._matrix
            if org_id != goal.owner_organisation_id
        ]
        return self._finish(goal, organisations, [], fit=self.fit(goal))

    def _finish(
        self,
        goal: G,
        organisations: list[OrgLine],
        people: list[PersonLine],
        *,
        fit: Fit | None = None,
        web: WebLine | None = None,
    ) -> GoalCard[G]:
        assert goal.id is not None
        p = self.partnership
        progress, rolled_up = self.progress(goal.id)
        links = []
        for goal_link in [] if self.summary else self.links:
            if goal.id not in (goal_link.from_goal_id, goal_link.to_goal_id):
                continue
            outgoing = goal_link.from_goal_id == goal.id
            other = self.goals[goal_link.to_goal_id if outgoing else goal_link.from_goal_id]
            if not self.sees(other.id or 0):
                continue  # a goal the viewer may not see is not named
            assert other.id is not None
            links.append(
                LinkView(goal_link.relation, outgoing, other.id, other.title, other.status)
            )
        links.sort(key=lambda link: (link.relation, not link.outgoing, link.other_id))
        return GoalCard(
            goal=goal,
            partnership=p,
            owner_organisation=self.org_names.get(goal.owner_organisation_id or 0),
            organisations=organisations,
            people=people,
            tally=tally(p, organisations, people, agreeable=fit is None),
            progress=progress,
            rolled_up=rolled_up,
            parts=len(self.parts_of(goal.id)),
            links=links,
            as_of=self.as_of,
            fit=fit,
            web=web,
            readings=Readings()
            if self.summary
            else spread(
                self.perceptions.get(goal.id, []),
                {o.organisation_id for o in organisations},
                self.redactions,
            ),
        )


# The loader builds a `GoalWeb`, so it lives beside it and is imported after it.
from bot.services.goals.web_load import (  # noqa: E402
    load_summary,
    load_web,
    summary_reads,
    web_reads,
)

__all__ = [
    "GONE",
    "RESPONSES",
    "GoalWeb",
    "load_summary",
    "load_web",
    "summary_reads",
    "web_reads",
]
