"""The setup checklist: what a partnership still lacks before it can work as Partnerbot means
it to (organisations, a voice for each, a goal, reflection, trust), each gap with the command
that closes it.

Read in one session, scoped to the partnership; no permission is checked here (the caller has
passed the gate). An archived partnership has no checklist: nothing can be added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.services.access import ANSWERING_PARTNERS
from bot.services.goals.lookup import PUBLIC, visible_clause
from bot.services.reflection.kind import SCHEDULE_KIND as PROMPT_KIND
from bot.services.trust.kind import SCHEDULE_KIND as TRUST_KIND
from bot.services.vocab import SPEAKS_FOR_ORGANISATION
from db.models import (
    LIVE_STATES,
    Goal,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    Schedule,
    TrustRound,
)


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


async def setup_checklist(session: AsyncSession, partnership: Partnership) -> Checklist:
    """The partnership's setup gaps now (none for an archived partnership).

    An organisation needs a voice when it is a core or associate partner (the partners whose
    representatives take stances and answer check-ins) and no current member is its
    representative or substitute. A paused prompt or check-in schedule still counts as one: it
    was set up, and pausing it was a choice."""
    if partnership.is_archived:
        return Checklist(())
    pid = partnership.id
    assert pid is not None
    missing: list[Missing] = []
    partners = (
        await session.exec(
            select(PartnerOrganisation.status, Organisation.id, Organisation.name)
            .join(Organisation, col(Organisation.id) == col(PartnerOrganisation.organisation_id))
            .where(
                PartnerOrganisation.partnership_id == pid,
                col(PartnerOrganisation.left_at).is_(None),
            )
            .order_by(col(Organisation.name_key))
        )
    ).all()
    if not partners:
        missing.append(Missing(Gap.organisations))
    voiced = set(
        (
            await session.exec(
                select(Membership.organisation_id).where(
                    Membership.partnership_id == pid,
                    col(Membership.left_at).is_(None),
                    col(Membership.capacity).in_([str(c) for c in SPEAKS_FOR_ORGANISATION]),
                )
            )
        ).all()
    )
    missing += [
        Missing(Gap.representative, name)
        for status, org_id, name in partners
        if status in ANSWERING_PARTNERS and org_id not in voiced
    ]
    if not await _exists(
        session, select(Goal.id).where(Goal.partnership_id == pid, visible_clause(PUBLIC))
    ):
        missing.append(Missing(Gap.goal))
    if not await _live_schedule(session, pid, PROMPT_KIND):
        missing.append(Missing(Gap.reflection))
    if not (
        await _exists(session, select(TrustRound.id).where(TrustRound.partnership_id == pid))
        or await _live_schedule(session, pid, TRUST_KIND)
    ):
        missing.append(Missing(Gap.trust))
    return Checklist(tuple(missing))


async def _live_schedule(session: AsyncSession, partnership_id: int, kind: str) -> bool:
    return await _exists(
        session,
        select(Schedule.id).where(
            Schedule.partnership_id == partnership_id,
            Schedule.kind == kind,
            col(Schedule.state).in_([str(s) for s in LIVE_STATES]),
        ),
    )


async def _exists(session: AsyncSession, query: SelectOfScalar[Any]) -> bool:
    return (await session.exec(query.limit(1))).first() is not None
