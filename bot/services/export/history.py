"""The register as it was, rebuilt from the log: organisations' stays and people's membership
spells.

Membership events (`member.joined`, `member.updated`, `member.left`) carry a snapshot of the
membership after the change, and partner events the partner after it
(`bot.services.register.events`), so replaying them up to a moment gives the register at that
moment. A spell is one continuous stretch of a person in one organisation, capacity and mandate:
a change of any of them ends the spell and starts the next; a change of the convener flag alone
does not (the spell shows the flag as it last was).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.services.register import MEMBER_EVENTS, PARTNER_EVENTS
from bot.services.timeutil import as_utc
from bot.services.vocab import SPEAKS_FOR_ORGANISATION
from db.models import Event

SELF_VIEW = "partner.self_view"  # an organisation's own view of its membership
REGISTER_EVENTS = (*MEMBER_EVENTS, *PARTNER_EVENTS, SELF_VIEW)


@dataclass(frozen=True)
class Spell:
    user_id: int
    display_name: str
    organisation_id: int | None
    organisation: str | None
    capacity: str
    mandate: str | None
    convener: bool
    start: datetime
    end: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    @property
    def speaks_for(self) -> int | None:
        """The organisation this person spoke for (representatives and substitutes)."""
        return self.organisation_id if self.capacity in SPEAKS_FOR_ORGANISATION else None


@dataclass(frozen=True)
class Stay:
    """An organisation's latest stay in the partnership, as of the moment replayed to."""

    organisation_id: int
    name: str
    sector: str
    status: str
    joined_at: datetime
    left_at: datetime | None
    self_status: str | None = None  # its own view, until it leaves or rejoins
    self_commitment: str | None = None


def overlaps(
    start: datetime, end: datetime | None, since: datetime | None, until: datetime
) -> bool:
    return start <= until and (since is None or end is None or end >= since)


@dataclass
class History:
    spells: list[Spell]
    stays: dict[int, Stay]

    def spell_at(self, user_id: int | None, moment: datetime) -> Spell | None:
        """The person's spell at `moment` (the latest one that began by then)."""
        if user_id is None:
            return None
        moment = as_utc(moment)
        found = None
        for spell in self.spells:
            if spell.user_id == user_id and spell.start <= moment:
                found = spell
        return found if found is not None and found.covers(moment) else None

    def status_at_end(self, organisation_id: int) -> str | None:
        stay = self.stays.get(organisation_id)
        return None if stay is None or stay.left_at is not None else stay.status


def replay(events: list[Event]) -> History:
    """Spells and stays from the register's events, oldest first."""
    spells: list[Spell] = []
    current: dict[int, int] = {}  # user id → index of their open spell in `spells`
    stays: dict[int, Stay] = {}
    for event in events:
        at = as_utc(event.occurred_at)
        p: dict[str, Any] = event.payload or {}
        if event.kind in MEMBER_EVENTS:
            _member(spells, current, event.kind, p, at)
        elif event.kind in PARTNER_EVENTS:
            _partner(stays, event.kind, p, at)
        elif event.kind == SELF_VIEW and p.get("organisation_id") in stays:
            org_id = int(p["organisation_id"])
            stays[org_id] = replace(
                stays[org_id],
                self_status=p.get("self_status"),
                self_commitment=p.get("self_commitment"),
            )
    return History(spells, stays)


def _member(
    spells: list[Spell], current: dict[int, int], kind: str, p: dict[str, Any], at: datetime
) -> None:
    if p.get("user_id") is None:
        return
    user_id = int(p["user_id"])
    fresh = Spell(
        user_id=user_id,
        display_name=str(p.get("display_name") or ""),
        organisation_id=p.get("organisation_id"),
        organisation=p.get("organisation"),
        capacity=str(p.get("capacity") or "individual"),
        mandate=p.get("mandate"),
        convener=bool(p.get("convener")),
        start=at,
    )
    index = current.get(user_id)
    if index is not None:
        open_spell = spells[index]
        same = (open_spell.organisation_id, open_spell.capacity, open_spell.mandate) == (
            fresh.organisation_id,
            fresh.capacity,
            fresh.mandate,
        )
        if kind == "member.updated" and same:
            spells[index] = replace(open_spell, convener=fresh.convener)
            return
        spells[index] = replace(open_spell, end=at)
        del current[user_id]
    if kind != "member.left" and p.get("active", True):
        current[user_id] = len(spells)
        spells.append(fresh)


def _partner(stays: dict[int, Stay], kind: str, p: dict[str, Any], at: datetime) -> None:
    if p.get("organisation_id") is None:
        return
    org_id = int(p["organisation_id"])
    before = stays.get(org_id)
    name = str(p.get("organisation") or (before.name if before else ""))
    sector = str(p.get("sector") or (before.sector if before else "other"))
    status = str(p.get("status") or "core")
    if kind == "partner.joined" or before is None:
        stays[org_id] = Stay(org_id, name, sector, status, at, None)
    elif kind == "partner.left":
        stays[org_id] = replace(
            before, status=status, left_at=at, self_status=None, self_commitment=None
        )
    else:
        stays[org_id] = replace(before, status=status)
