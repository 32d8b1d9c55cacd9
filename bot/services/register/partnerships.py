"""Partnerships themselves: create (in two steps, around the channel), read, configure,
archive."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.errors import UserFacingError
from bot.services.access import (
    Actor,
    PartnershipRef,
    may_create_partnerships,
    resolve,
    visible_partnerships,
)
from bot.services.register import events, lookup, rules
from bot.services.register.base import RegisterBase
from bot.services.register.views import CreateDraft, PartnershipInfo
from bot.services.text import choice, clean_text
from bot.services.timeutil import zone
from bot.services.vocab import NAME_MAX, PURPOSE_MAX, Capacity, Relationship
from db.engine import transaction
from db.models import Membership, Partnership, name_key


class PartnershipCommands(RegisterBase):
    async def prepare_create(
        self,
        actor: Actor,
        name: str,
        purpose: str,
        relationship: str | None = None,
        timezone: str | None = None,
    ) -> CreateDraft:
        """Check everything before any channel is made, so bad input leaves nothing behind."""
        if not may_create_partnerships(actor, self.admin_role_name):
            raise UserFacingError(
                "Creating a partnership needs the Manage Channels permission "
                f"or the “{self.admin_role_name}” role."
            )
        draft = CreateDraft(
            name=clean_text(name, what="name", limit=NAME_MAX),
            purpose=clean_text(purpose, what="purpose", limit=PURPOSE_MAX, multiline=True),
            relationship=choice(relationship, Relationship, what="relationship")
            or Relationship.unclear.value,
            timezone=(timezone or self.default_timezone).strip(),
        )
        zone(draft.timezone)
        async with self.sessions() as session:
            await rules.ensure_name_free(session, actor.guild_id, draft.name)
        return draft

    async def create(self, actor: Actor, draft: CreateDraft, channel_id: int | None) -> Partnership:
        """Save a prepared partnership with its channel; the creator is its first convener."""
        now = self.clock.now()
        try:
            async with transaction(self.sessions) as session:
                await rules.ensure_name_free(session, actor.guild_id, draft.name)
                partnership = Partnership(
                    guild_id=actor.guild_id,
                    name=draft.name,
                    name_key=name_key(draft.name),
                    purpose=draft.purpose,
                    relationship=draft.relationship,
                    timezone=draft.timezone,
                    channel_id=channel_id,
                    created_by=actor.user_id,
                    created_at=now,
                )
                session.add(partnership)
                await session.flush()
                await events.partnership_created(
                    session, partnership, actor, draft, channel_id, at=now
                )
                member = Membership(
                    partnership_id=partnership.id,  # type: ignore[arg-type]
                    user_id=actor.user_id,
                    display_name=actor.display_name,
                    capacity=Capacity.individual,
                    is_convener=True,
                    joined_at=now,
                )
                session.add(member)
                await session.flush()
                await events.member_changed(
                    session, partnership, actor, member, None, "member.joined", at=now
                )
        except IntegrityError:
            raise UserFacingError(
                f"There is already a partnership called “{draft.name}” in this server."
            ) from None
        return partnership

    async def info(self, actor: Actor, ref: PartnershipRef) -> PartnershipInfo:
        """A partnership with its current partners and members, for anyone in it."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            return PartnershipInfo(
                access.partnership,
                await lookup.partners(session, access.partnership),
                await lookup.members(session, access.partnership),
            )

    async def list_visible(self, actor: Actor) -> list[Partnership]:
        """The partnerships this person belongs to (all of the server's, for its managers)."""
        async with self.sessions() as session:
            return await visible_partnerships(session, actor)

    async def autocomplete(self, actor: Actor, current: str, *, limit: int = 25) -> list[str]:
        """Names of visible partnerships: those starting with `current` first, then the rest
        containing it."""
        key = name_key(current)
        names = [p.name for p in await self.list_visible(actor)]
        starts = [n for n in names if name_key(n).startswith(key)]
        within = [n for n in names if key in name_key(n) and n not in starts]
        return (starts + within)[:limit]

    async def configure(
        self,
        actor: Actor,
        ref: PartnershipRef,
        *,
        agreement_rule: str | None = None,
        anonymity_threshold: int | None = None,
        timezone: str | None = None,
        relationship: str | None = None,
        count_individuals: bool | None = None,
        purpose: str | None = None,
        retention_months: int | None = None,
        research_consent: bool | None = None,
        announcements: bool | None = None,
        digest: str | None = None,
    ) -> tuple[Partnership, events.Changes]:
        """Change settings; returns the partnership and {setting: (old, new)} for what changed
        (nothing is logged or announced when every setting already had its value).

        `retention_months` 0 keeps everything (stored as none); `research_consent` allows the
        command line's pseudonymised research export. Both are logged like any setting.
        `announcements` (a goal agreed, a status or progress changed: one line in the channel)
        and `digest` (weekly or off) too; the digest's schedule follows the setting through
        `DigestService.follow_setting`, called once this has committed."""
        wanted = rules.wanted_settings(
            agreement_rule=agreement_rule,
            anonymity_threshold=anonymity_threshold,
            timezone=timezone,
            relationship=relationship,
            count_individuals=count_individuals,
            purpose=purpose,
            retention_months=retention_months,
            research_consent=research_consent,
            announcements=announcements,
            digest=digest,
        )
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            changes: events.Changes = {
                key: (_setting(partnership, key), value)
                for key, value in wanted.items()
                if _setting(partnership, key) != value
            }
            if not changes:
                return partnership, {}
            if "anonymity_threshold" in changes:
                await rules.ensure_threshold_may_change(
                    session, partnership, changes["anonymity_threshold"][1]
                )
            for key, (_old, new) in changes.items():
                # No retention is stored as none, and read as 0.
                setattr(partnership, key, None if key == "retention_months" and not new else new)
            session.add(partnership)
            await events.partnership_configured(
                session, partnership, actor, changes, at=self.clock.now()
            )
        await self._changed(partnership)
        return partnership, changes

    async def archive(self, actor: Actor, ref: PartnershipRef) -> Partnership:
        """Archive: read-only from now on, history kept. Its channel follows (`channel_state`)."""
        now = self.clock.now()
        async with transaction(self.sessions) as session:
            access = await resolve(session, actor, ref, convener=True, writable=True)
            partnership = access.partnership
            partnership.archived_at = now
            session.add(partnership)
            await events.partnership_archived(session, partnership, actor, at=now)
        await self._changed(partnership)
        return partnership


def _setting(partnership: Partnership, key: str) -> object:
    """A setting as `configure` compares it: no retention reads as 0 months."""
    value = getattr(partnership, key)
    return (value or 0) if key == "retention_months" else value
