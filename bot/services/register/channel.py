"""Who should see a partnership's channel, read from the register (the database is the truth).

Active members view and send; in an archived partnership they view only; people who left see
nothing. The Discord side applies this state after every change and repairs the channel from it
(`bot/channels.py`); nothing here talks to Discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from bot.errors import NotFound
from bot.services.access import Actor, PartnershipRef, authorize_by_id, resolve
from bot.services.register import events
from bot.services.register.base import RegisterBase
from db.engine import transaction
from db.models import Membership, Partnership


@dataclass(frozen=True)
class ChannelState:
    partnership_id: int
    name: str
    guild_id: int
    channel_id: int | None
    archived: bool
    members: frozenset[int]  # may view, and send unless archived
    former: frozenset[int]  # left: no access


class ChannelCommands(RegisterBase):
    async def channel_state(self, partnership_id: int) -> ChannelState | None:
        """The channel access the register calls for now, or None for no such partnership."""
        async with self.sessions() as session:
            partnership = await session.get(Partnership, partnership_id)
            if partnership is None:
                return None
            rows = (
                await session.exec(
                    select(Membership.user_id, Membership.left_at).where(
                        Membership.partnership_id == partnership_id
                    )
                )
            ).all()
        members = frozenset(user for user, left in rows if left is None)
        return ChannelState(
            partnership_id=partnership_id,
            name=partnership.name,
            guild_id=partnership.guild_id,
            channel_id=partnership.channel_id,
            archived=partnership.is_archived,
            members=members,
            former=frozenset(user for user, left in rows if left is not None) - members,
        )

    async def repair_target(self, actor: Actor, ref: PartnershipRef) -> ChannelState:
        """For `/partnership repair`: the state to bring the channel to (conveners only)."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref, convener=True)
            partnership_id = access.partnership_id
        state = await self.channel_state(partnership_id)
        assert state is not None
        return state

    async def give_channel(
        self, actor: Actor, partnership_id: int, channel_id: int, *, replacing: int | None
    ) -> bool:
        """Record a new channel for a partnership that has none here (an imported one has none;
        a deleted one is `replacing`): conveners only, not when archived. False when the
        register changed meanwhile (the new channel is then not wanted)."""
        async with transaction(self.sessions) as session:
            access = await authorize_by_id(
                session, actor, partnership_id, convener=True, writable=True
            )
            if access is None:
                raise NotFound("I can't find that partnership among the ones you belong to.")
            partnership = access.partnership
            if partnership.channel_id != replacing:
                return False
            partnership.channel_id = channel_id
            session.add(partnership)
            await events.channel_made(session, partnership, actor, channel_id, at=self.clock.now())
        await self._changed(partnership)
        return True

    async def partnerships_with_channels(self, guild_ids: Sequence[int]) -> list[int]:
        """The partnerships of these servers that have a channel, to repair at start."""
        if not guild_ids:
            return []
        async with self.sessions() as session:
            rows = await session.exec(
                select(Partnership.id).where(
                    col(Partnership.guild_id).in_(list(guild_ids)),
                    col(Partnership.channel_id).is_not(None),
                )
            )
            return [pid for pid in rows.all() if pid is not None]
