"""The setup checklist: what a partnership still lacks before it can work as Partnerbot means
it to (organisations, a voice for each, a goal, reflection, trust), each gap with the command
that closes it.

Read in one session, scoped to the partnership; no permission is checked here (the caller has
passed the gate). An archived partnership has no checklist: nothing can be added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Exists, bindparam, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import ANSWERING_PARTNERS
from bot.services.goals.lookup import PUBLIC, visible_clause
from bot.services.reflection.kind import SCHEDULE_KIND as PROMPT_KIND
from bot.services.trust.kind import SCHEDULE_KIND as TRUST_KIND
from bot.services.vocab import SPEAKS_FOR_ORGANISATION
from db import ahead, queries
from db.models import (
    LIVE_STATES,
    Goal,
    Partnership,
    Schedule,
    TrustRound,
)

if TYPE_CHECKING:
    from bot.services.register.views import MemberView, PartnerView


class Gap(StrEnum):
    """One thing setup still lacks, in the order a convener would fix them."""

    organisations = "organisations"  # no partner organisation at all
    representative = "representative"  # a core or associate partner nobody speaks for
    goal = "goal"  # no goal proposed yet
    reflection = "reflection"  # no prompt schedule (active or paused)
    trust = "trust"  # no check-in round ever opened, and no check-in schedule


@dataclass(frozen=True)
class Missing:
    gap: Gap
    organisation: str | None = None  # for `Gap.representative`: the organisation's name


@dataclass(frozen=True)
class Checklist:
    """What is missing, in order; empty once setup is complete."""

    missing: tuple[Missing, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def gaps(self) -> list[Gap]:
        return [m.gap for m in self.missing]


def present_read(partnership: Partnership) -> list[tuple[Any, dict[str, Any]]]:
    """The statements `setup_checklist` runs when given what it `known`s, with their values
    (for `db.ahead.read_ahead`): none for an archived partnership."""
    return [] if partnership.is_archived else [(_PRESENT, {"partnership_id": partnership.id})]


async def setup_checklist(
    session: AsyncSession,
    partnership: Partnership,
    *,
    known: tuple[list[PartnerView], list[MemberView]] | None = None,
) -> Checklist:
    """The partnership's setup gaps now (none for an archived partnership).

    An organisation needs a voice when it is a core or associate partner (the partners whose
    representatives take stances and answer check-ins) and no current member is its
    representative or substitute. A paused prompt or check-in schedule still counts as one: it
    was set up, and pausing it was a choice. `known`: the current partners and members when
    the caller has read them already (`/partnership info` shows them too)."""
    if partnership.is_archived:
        return Checklist(())
    pid = partnership.id
    assert pid is not None
    missing: list[Missing] = []
    speaks = {str(c) for c in SPEAKS_FOR_ORGANISATION}
    if known is None:
        links = await queries.partners(session, partnership_id=pid)
        partners = [(link.status, org.id, org.name) for link, org in links]
        people = await queries.active_members(session, partnership_id=pid)
        voiced = {m.organisation_id for m, _org in people if m.capacity in speaks}
    else:
        partners = [(p.status, p.organisation_id, p.name) for p in known[0]]
        voiced = {m.organisation_id for m in known[1] if m.capacity in speaks}
    if not partners:
        missing.append(Missing(Gap.organisations))
    missing += [
        Missing(Gap.representative, name)
        for status, org_id, name in partners
        if status in ANSWERING_PARTNERS and org_id not in voiced
    ]
    [(goal, prompts, rounds, trust_schedule)] = await ahead.rows(
        session, _PRESENT, {"partnership_id": pid}
    )
    if not goal:
        missing.append(Missing(Gap.goal))
    if not prompts:
        missing.append(Missing(Gap.reflection))
    if not (rounds or trust_schedule):
        missing.append(Missing(Gap.trust))
    return Checklist(tuple(missing))


def _live_schedule(kind: str) -> Exists:
    return (
        select(Schedule.id)
        .where(
            col(Schedule.partnership_id) == bindparam("partnership_id"),
            Schedule.kind == kind,
            # Equalities, not IN: a list's values expand as the statement runs, so
            # `read_ahead` would have to run it through SQLAlchemy twice (`_PRESENT`).
            or_(*(col(Schedule.state) == str(s) for s in LIVE_STATES)),
        )
        .exists()
    )


# Whether there is a goal, a prompt schedule, a round, a check-in schedule: one statement,
# built once.
_PRESENT = select(
    select(Goal.id)
    .where(col(Goal.partnership_id) == bindparam("partnership_id"), visible_clause(PUBLIC))
    .exists(),
    _live_schedule(PROMPT_KIND),
    select(TrustRound.id)
    .where(col(TrustRound.partnership_id) == bindparam("partnership_id"))
    .exists(),
    _live_schedule(TRUST_KIND),
)
