"""What must hold before a register change: names free, roles consistent, a convener left,
settings valid. Each raises a `UserFacingError` that says what to do instead.

Who may make a change is not decided here: that is `bot.services.access`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import UserFacingError
from bot.services.text import choice, clean_text
from bot.services.timeutil import zone
from bot.services.vocab import (
    MAX_ANONYMITY_THRESHOLD,
    MIN_ANONYMITY_THRESHOLD,
    NEEDS_ORGANISATION,
    NO_ORGANISATION,
    OWN_CAPACITY,
    PURPOSE_MAX,
    AgreementRule,
    Capacity,
    CoproductionLevel,
    Digest,
    Mandate,
    Phase,
    Relationship,
    label,
)
from db import queries
from db.models import Membership, Organisation, Partnership

# Retention of free text, in months: 0 keeps everything; ten years at most.
RETENTION_MONTHS_MAX = 120
# The word that clears a list of phases or levels.
NONE_WORD = "none"


async def ensure_name_free(session: AsyncSession, guild_id: int, name: str) -> None:
    """Partnership names are unique in a server, regardless of case."""
    if await queries.partnership_named(session, guild_id=guild_id, name=name) is not None:
        raise UserFacingError(
            f"There is already a partnership called “{name}” in this server. "
            "Names are unique regardless of case; choose another."
        )


async def ensure_other_convener(
    session: AsyncSession, partnership: Partnership, member: Membership
) -> None:
    """A partnership always keeps at least one convener."""
    assert partnership.id is not None
    others = await queries.count_other_conveners(
        session, partnership_id=partnership.id, excluding_membership_id=member.id
    )
    if not others:
        raise UserFacingError(
            f"{member.display_name or 'This person'} is the last convener of "
            f"{partnership.name}. Make someone else a convener first."
        )


async def ensure_threshold_may_change(
    session: AsyncSession, partnership: Partnership, new_threshold: int
) -> None:
    """The anonymity threshold can be raised at any time (older rounds are hidden too, since
    *k* applies when results are shown), but lowered only while no check-in round of the
    partnership has answers: lowering it later would reveal what people answered under a
    promise of a higher one."""
    assert partnership.id is not None
    if new_threshold >= partnership.anonymity_threshold:
        return
    if await queries.trust_rounds_have_answers(session, partnership_id=partnership.id):
        raise UserFacingError(
            f"The anonymity threshold of {partnership.name} can't be lowered any more: people "
            f"have answered check-ins expecting results from at least "
            f"{partnership.anonymity_threshold} organisations. It can still be raised."
        )


def check_role(
    capacity: str | None, mandate: str | None, org: Organisation | None
) -> tuple[str, str | None]:
    """Defaults and consistency: representative with an organisation, individual without."""
    cap = capacity or (Capacity.representative if org else Capacity.individual)
    if org is None and cap in NEEDS_ORGANISATION:
        raise UserFacingError(f"A {label(cap)} speaks for an organisation: choose one.")
    if org is not None and cap in OWN_CAPACITY:
        raise UserFacingError(
            f"{label(cap).capitalize()} means taking part in one's own capacity; "
            "leave out the organisation, or choose representative or substitute."
        )
    if org is not None and cap == Capacity.facilitator:
        raise UserFacingError(
            "A facilitator represents no organisation; leave out the organisation, "
            "or choose representative or substitute."
        )
    if mandate and org is None:
        raise UserFacingError(
            "A mandate says what a person may commit their organisation to; "
            "it needs an organisation."
        )
    return str(cap), mandate


def changed_role(
    member: Membership, org: Organisation | None, capacity: str | None, mandate: str | None
) -> tuple[str, str | None]:
    """A member's capacity and mandate after a change to `org` (None: their own capacity).

    What is not given is kept, unless the change of organisation makes it impossible: speaking
    for an organisation makes an individual its representative, and leaving it makes a
    representative an individual. A mandate is kept only while there is an organisation.
    """
    new_capacity = choice(capacity, Capacity, what="capacity")
    if new_capacity is None:
        new_capacity = member.capacity
        if org is not None and new_capacity in NO_ORGANISATION:
            new_capacity = Capacity.representative
        if org is None and new_capacity in NEEDS_ORGANISATION:
            new_capacity = Capacity.individual
    new_mandate = choice(mandate, Mandate, what="mandate")
    if new_mandate is None and org is not None:
        new_mandate = member.mandate
    return check_role(new_capacity, new_mandate, org)


def parse_words(text: str, enum: type[StrEnum], *, what: str) -> list[str]:
    """`"Design, delivery"` → `["design", "delivery"]`, in the vocabulary's order, each once;
    `none` (or nothing) → `[]`. A word not in the vocabulary is a polite error naming them."""
    words = [w for w in re.split(r"[,;\s]+", text.strip().lower()) if w]
    if not words or words == [NONE_WORD]:
        return []
    known = {v.value for v in enum}
    unknown = [w for w in words if w not in known]
    if unknown:
        raise UserFacingError(
            f"“{unknown[0]}” isn't one of the {what}s I know. Give any of "
            f"{', '.join(v.value for v in enum)}, separated by commas, or `{NONE_WORD}` to clear "
            "them."
        )
    return [v.value for v in enum if v.value in words]


def wanted_settings(
    *,
    agreement_rule: str | None,
    anonymity_threshold: int | None,
    timezone: str | None,
    relationship: str | None,
    count_individuals: bool | None,
    purpose: str | None,
    retention_months: int | None = None,
    research_consent: bool | None = None,
    announcements: bool | None = None,
    digest: str | None = None,
    phases: str | None = None,
    levels: str | None = None,
) -> dict[str, Any]:
    """The settings a `configure` asks for, checked and cleaned; only those given."""
    rule = choice(agreement_rule, AgreementRule, what="agreement rule")
    rel = choice(relationship, Relationship, what="relationship")
    digest_value = choice(digest, Digest, what="digest setting")
    if timezone is not None:
        timezone = timezone.strip()
        zone(timezone)
    if anonymity_threshold is not None and not (
        MIN_ANONYMITY_THRESHOLD <= anonymity_threshold <= MAX_ANONYMITY_THRESHOLD
    ):
        raise UserFacingError(
            f"The anonymity threshold counts distinct organisations and must be between "
            f"{MIN_ANONYMITY_THRESHOLD} and {MAX_ANONYMITY_THRESHOLD}."
        )
    if retention_months is not None and not 0 <= retention_months <= RETENTION_MONTHS_MAX:
        raise UserFacingError(
            f"Retention is a number of months from 0 to {RETENTION_MONTHS_MAX}: free text older "
            "than that reads as removed. 0 keeps everything."
        )
    new_purpose = (
        clean_text(purpose, what="purpose", limit=PURPOSE_MAX, multiline=True)
        if purpose is not None
        else None
    )
    wanted: dict[str, Any] = {
        "agreement_rule": rule,
        "anonymity_threshold": anonymity_threshold,
        "timezone": timezone,
        "relationship": rel,
        "count_individuals": count_individuals,
        "purpose": new_purpose,
        "retention_months": retention_months,
        "research_consent": research_consent,
        "announcements": announcements,
        "digest": digest_value,
        "citizen_phases": parse_words(phases, Phase, what="phase") if phases is not None else None,
        "coproduction_levels": (
            parse_words(levels, CoproductionLevel, what="level") if levels is not None else None
        ),
    }
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if not wanted:
        raise UserFacingError("Nothing to change: give at least one setting.")
    return wanted
