"""Co-production in the register (domain notes §1): the relationships a partnership holds
between co-production and its collaboration (Sancino & Jacklin-Jarvis 2016), with their
history, and the phases and levels at which citizens take part (Nabatchi, Sancino & Sicilia
2017).

- A partnership may hold several relationships at once ("may occur"). Each is a row of
  `PartnershipRelationship`, from when it was added until it was removed; nothing is deleted,
  so the history stays, and each change is logged (`partnership.relationship_added`,
  `partnership.relationship_removed`) in the same transaction.
- `Partnership.relationship`, the one value stored before, is kept for older exports and
  readers: it is the relationship added last among those held now, or `unclear`.
- Phases and levels are settings of `/partnership configure`, given as words separated by
  commas (`design, delivery`); `none` clears them. They are checked here (`parse_words`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services import log
from bot.services.access import Actor, PartnershipRef, resolve
from bot.services.register.base import RegisterBase
from bot.services.register.views import HeldRelationship
from bot.services.text import choice, name_of
from bot.services.vocab import RELATIONSHIP_HELP, Relationship, label
from db.engine import transaction
from db.models import Partnership, PartnershipRelationship

RELATIONSHIP_ADDED = "partnership.relationship_added"
RELATIONSHIP_REMOVED = "partnership.relationship_removed"
RELATIONSHIP_EVENTS = (RELATIONSHIP_ADDED, RELATIONSHIP_REMOVED)


@dataclass(frozen=True)
class RelationshipChange:
    partnership: Partnership
    relationship: str
    added: bool
    held: list[HeldRelationship]


_CURRENT = (
    select(PartnershipRelationship)
    .where(
        col(PartnershipRelationship.partnership_id) == bindparam("partnership_id"),
        col(PartnershipRelationship.removed_at).is_(None),
    )
    .order_by(col(PartnershipRelationship.added_at), col(PartnershipRelationship.id))
)


def current_read(partnership_id: int) -> tuple[Any, dict[str, Any]]:
    """The statement and values `current_rows` runs (for `db.ahead.read_ahead`)."""
    return _CURRENT, {"partnership_id": partnership_id}


async def current_rows(session: AsyncSession, partnership_id: int) -> list[PartnershipRelationship]:
    """The relationships a partnership holds now, in the order they were added."""
    return list((await session.exec(_CURRENT, params={"partnership_id": partnership_id})).all())


async def held(session: AsyncSession, partnership: Partnership) -> list[HeldRelationship]:
    assert partnership.id is not None
    return [
        HeldRelationship(r.relationship, r.added_at, r.added_by)
        for r in await current_rows(session, partnership.id)
    ]


async def add(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    relationship: str,
    *,
    at: datetime,
    logged: bool = True,
) -> None:
    """Add a relationship the partnership does not hold, with its log entry (caller's
    transaction; the partnership is locked by the access gate). A new partnership's is said
    by its `partnership.created` entry instead (`logged=False`)."""
    assert partnership.id is not None
    session.add(
        PartnershipRelationship(
            partnership_id=partnership.id,
            relationship=relationship,
            added_by=actor.user_id,
            added_at=at,
        )
    )
    await session.flush()
    now_held = [r.relationship for r in await current_rows(session, partnership.id)]
    _mirror(session, partnership, now_held)
    if not logged:
        return
    await log.record(
        session,
        partnership,
        RELATIONSHIP_ADDED,
        f"{name_of(actor.display_name, 'A convener')} added a relationship between co-production "
        f"and {partnership.name}: {label(relationship)} "
        f"({RELATIONSHIP_HELP[Relationship(relationship)]}).",
        actor_id=actor.user_id,
        payload={"relationship": relationship, "held": now_held},
        at=at,
    )


def _mirror(session: AsyncSession, partnership: Partnership, now_held: list[str]) -> None:
    """Keep the old single value: the relationship added last, or unclear."""
    partnership.relationship = now_held[-1] if now_held else Relationship.unclear.value
    session.add(partnership)


class CoproductionCommands(RegisterBase):
    """`/partnership relationship add|remove`: conveners."""

    async def add_relationship(
        self, actor: Actor, ref: PartnershipRef, relationship: str
    ) -> RelationshipChange:
        value = _named(relationship)
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            p = access.partnership
            assert p.id is not None
            if any(r.relationship == value for r in await current_rows(session, p.id)):
                raise UserFacingError(
                    f"{p.name} already holds the relationship {label(value)}. "
                    "`/partnership info` shows those it holds."
                )
            await add(session, p, actor, value, at=self.clock.now())
            now = await held(session, p)
        await self._changed(p)
        return RelationshipChange(p, value, True, now)

    async def remove_relationship(
        self, actor: Actor, ref: PartnershipRef, relationship: str
    ) -> RelationshipChange:
        value = _named(relationship)
        now_at = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            p = access.partnership
            assert p.id is not None
            rows = await current_rows(session, p.id)
            row = next((r for r in rows if r.relationship == value), None)
            if row is None:
                holding = ", ".join(label(r.relationship) for r in rows) or "none yet"
                raise UserFacingError(
                    f"{p.name} doesn't hold the relationship {label(value)}, so there is "
                    f"nothing to remove. It holds: {holding}."
                )
            row.removed_at = now_at
            row.removed_by = actor.user_id
            session.add(row)
            await session.flush()
            now_held = [r.relationship for r in rows if r is not row]
            _mirror(session, p, now_held)
            await log.record(
                session,
                p,
                RELATIONSHIP_REMOVED,
                f"{name_of(actor.display_name, 'A convener')} removed the relationship "
                f"{label(value)} between co-production and {p.name}.",
                actor_id=actor.user_id,
                payload={"relationship": value, "held": now_held},
                at=now_at,
            )
            now = await held(session, p)
        await self._changed(p)
        return RelationshipChange(p, value, False, now)

    async def relationship_history(
        self, actor: Actor, ref: PartnershipRef
    ) -> tuple[Partnership, list[PartnershipRelationship]]:
        """Every relationship the partnership ever held, current or removed, oldest first:
        for anyone in it."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            rows = (
                await session.exec(
                    select(PartnershipRelationship)
                    .where(PartnershipRelationship.partnership_id == access.partnership_id)
                    .order_by(
                        col(PartnershipRelationship.added_at), col(PartnershipRelationship.id)
                    )
                )
            ).all()
            return access.partnership, list(rows)


def _named(relationship: str) -> str:
    value = choice(relationship, Relationship, what="relationship")
    assert value is not None
    if value == Relationship.unclear:
        raise UserFacingError(
            "Unclear means no relationship is held yet: there is nothing to add or remove. "
            "Choose antecedent, enabler, complementary or alternative."
        )
    return value
