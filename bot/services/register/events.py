"""What the partnership log says about each register change: the sentence and the payload.

Every change records one event in the caller's transaction. Membership events carry a full
snapshot of the membership after the change (`MemberView.snapshot`), so membership on any past
date is rebuilt by replaying them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import log
from bot.services.access import Actor
from bot.services.register.views import CreateDraft, MemberView, PartnerView, member_view
from bot.services.text import name_of
from bot.services.vocab import label, status_label, status_phrase
from db.models import Membership, Organisation, Partnership

MEMBER_EVENTS = ("member.joined", "member.updated", "member.left")
PARTNER_EVENTS = ("partner.joined", "partner.left", "partner.status_changed")

# Settings whose values are vocabulary words (`social_enterprise` → "social enterprise");
# anything else (a time zone, a purpose) is shown exactly as stored.
LABELLED_SETTINGS = frozenset({"agreement_rule", "relationship"})

Changes = dict[str, tuple[Any, Any]]


def show_value(value: Any, key: str | None = None) -> str:
    """A setting's value as people read it: on/off, a vocabulary word, or as written."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):  # phases, levels, relationships held
        return ", ".join(label(str(v)) for v in value) or "none"
    if key == "retention_months":
        return f"{value} (everything kept)" if not value else str(value)
    if key in LABELLED_SETTINGS:
        return label(str(value))
    return str(value)


# ---- partnerships


async def partnership_created(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    draft: CreateDraft,
    channel_id: int | None,
    *,
    at: datetime,
) -> None:
    await log.record(
        session,
        partnership,
        "partnership.created",
        f"{name_of(actor.display_name)} created the partnership {draft.name}.",
        actor_id=actor.user_id,
        payload={
            "name": draft.name,
            "purpose": draft.purpose,
            "relationship": draft.relationship,
            "timezone": draft.timezone,
            "channel_id": channel_id,
        },
        at=at,
    )


async def partnership_configured(
    session: AsyncSession, partnership: Partnership, actor: Actor, changes: Changes, *, at: datetime
) -> None:
    described = ", ".join(
        f"{label(k)} from {show_value(old, k)} to {show_value(new, k)}"
        for k, (old, new) in changes.items()
    )
    await log.record(
        session,
        partnership,
        "partnership.configured",
        f"{name_of(actor.display_name, 'A convener')} changed {described}.",
        actor_id=actor.user_id,
        payload={k: {"from": old, "to": new} for k, (old, new) in changes.items()},
        at=at,
    )


async def partnership_archived(
    session: AsyncSession, partnership: Partnership, actor: Actor, *, at: datetime
) -> None:
    await log.record(
        session,
        partnership,
        "partnership.archived",
        f"{name_of(actor.display_name, 'A convener')} archived {partnership.name}.",
        actor_id=actor.user_id,
        at=at,
    )


async def channel_made(
    session: AsyncSession, partnership: Partnership, actor: Actor, channel_id: int, *, at: datetime
) -> None:
    await log.record(
        session,
        partnership,
        "partnership.channel_made",
        f"{name_of(actor.display_name, 'A convener')} gave {partnership.name} a new channel, "
        "as it had none in this server.",
        actor_id=actor.user_id,
        payload={"channel_id": channel_id},
        at=at,
    )


# ---- partner organisations


def partner_snapshot(view: PartnerView) -> dict[str, Any]:
    return {
        "organisation_id": view.organisation_id,
        "organisation": view.name,
        "sector": view.sector,
        "status": view.status,
        "active": view.active,
    }


async def partner_changed(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    view: PartnerView,
    kind: str,
    *,
    at: datetime,
    old_status: str | None = None,
) -> None:
    """Record `partner.joined`, `partner.left` or `partner.status_changed` (from `old_status`)
    with the partner as it now is."""
    summary = {
        "partner.joined": f"{view.name} ({label(view.sector)}) joined as "
        f"{status_phrase(view.status)}.",
        "partner.left": f"{view.name} left the partnership.",
        "partner.status_changed": f"{view.name} changed from {status_label(old_status or '')} "
        f"to {status_label(view.status)}.",
    }[kind]
    payload = partner_snapshot(view)
    if kind == "partner.status_changed":
        payload["from"] = old_status
    await log.record(
        session, partnership, kind, summary, actor_id=actor.user_id, payload=payload, at=at
    )


async def self_viewed(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    view: PartnerView,
    *,
    before: tuple[str | None, str | None],
    at: datetime,
) -> None:
    """Record `partner.self_view`: how the organisation sees its own membership, beside the
    conveners' record, and what it said before (`before`: status, commitment)."""
    commitment = f", commitment {view.self_commitment}" if view.self_commitment else ""
    record = (
        "the same as the conveners' record"
        if view.self_status == view.status
        else f"the conveners' record says {status_label(view.status)}"
    )
    payload = partner_snapshot(view)
    payload.update(
        self_status=view.self_status,
        self_commitment=view.self_commitment,
        previous_self_status=before[0],
        previous_self_commitment=before[1],
        user_id=actor.user_id,
    )
    await log.record(
        session,
        partnership,
        "partner.self_view",
        f"{view.name} sees itself as {status_phrase(view.self_status or '')}{commitment} "
        f"({record}); recorded by {name_of(actor.display_name)}.",
        actor_id=actor.user_id,
        payload=payload,
        at=at,
    )


# ---- members


async def member_changed(
    session: AsyncSession,
    partnership: Partnership,
    actor: Actor,
    member: Membership,
    org: Organisation | None,
    kind: str,
    *,
    at: datetime,
) -> MemberView:
    """Record `member.joined`, `member.updated` or `member.left` with the membership as it now
    is; returns that view."""
    view = member_view(member, org)
    who = name_of(view.display_name, f"User {view.user_id}")
    summary = {
        "member.joined": f"{who} joined as {view.describe()}.",
        "member.updated": f"{who} is now {view.describe()}.",
        "member.left": f"{who} left the partnership.",
    }[kind]
    await log.record(
        session,
        partnership,
        kind,
        summary,
        actor_id=actor.user_id,
        payload=view.snapshot(active=kind != "member.left"),
        at=at,
    )
    return view
