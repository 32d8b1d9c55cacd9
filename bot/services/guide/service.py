"""`GuideService`: what `/guide` needs to know about the person asking, and the setup checklist.

Inside a partnership's channel (or a thread under it) the guide speaks of the person's role
there; elsewhere, of the partnerships they belong to. Someone in the channel of a partnership
they are not in learns nothing about it, as everywhere (`bot.services.access`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.errors import NotFound
from bot.services.access import (
    Actor,
    PartnershipRef,
    Where,
    authorize,
    find,
    may_create_partnerships,
    resolve,
    visible_partnerships,
)
from bot.services.clock import Clock, SystemClock
from bot.services.guide.checklist import Checklist, setup_checklist
from bot.services.guide.roles import ROLE_ORDER, Role, Standing, standing
from db.engine import SessionFactory


@dataclass(frozen=True)
class GuideContext:
    """Who is asking, and where.

    - `here`: their standing in the partnership whose channel (or thread) this is, when they
      may see it (a member, or a server manager);
    - `outsider_here`: the channel belongs to a partnership they are not in (not named);
    - `partnerships`: elsewhere, the partnerships they belong to, by name.
    """

    here: Standing | None
    outsider_here: bool
    partnerships: tuple[Standing, ...]
    manage_guild: bool
    may_create: bool
    admin_role_name: str

    @property
    def focus(self) -> Standing | None:
        """The standing the first steps are for: here, else their strongest role in an open
        partnership (a convener's before a representative's), else in an archived one."""
        if self.here is not None:
            return self.here
        if not self.partnerships:
            return None
        return min(
            self.partnerships, key=lambda s: (s.archived, ROLE_ORDER.index(s.role), s.partnership)
        )

    @property
    def role(self) -> Role:
        focus = self.focus
        if focus is not None:
            return focus.role
        return Role.manager if self.manage_guild else Role.newcomer


class GuideService:
    """`GuideService(sessions, *, admin_role_name, clock)`: reads only."""

    def __init__(
        self, sessions: SessionFactory, *, admin_role_name: str, clock: Clock = SystemClock()
    ) -> None:
        self.sessions = sessions
        self.admin_role_name = admin_role_name
        self.clock = clock

    async def context(self, actor: Actor, where: Where) -> GuideContext:
        """Where the person stands, for the guide."""
        here: Standing | None = None
        outsider_here = False
        mine: list[Standing] = []
        async with self.sessions() as session:
            partnership = await find(session, actor.guild_id, PartnershipRef(where=where))
            if partnership is not None:
                try:
                    here = await standing(session, await authorize(session, actor, partnership))
                except NotFound:
                    outsider_here = True
            if here is None:
                # Their own partnerships, not every one a server manager may see.
                as_member = replace(actor, manage_guild=False)
                for p in await visible_partnerships(session, as_member):
                    mine.append(await standing(session, await authorize(session, actor, p)))
        return GuideContext(
            here=here,
            outsider_here=outsider_here,
            partnerships=tuple(mine),
            manage_guild=actor.manage_guild,
            may_create=may_create_partnerships(actor, self.admin_role_name),
            admin_role_name=self.admin_role_name,
        )

    async def checklist(self, actor: Actor, ref: PartnershipRef) -> tuple[str, Checklist]:
        """A partnership's setup checklist (its name, and what is missing), for its members."""
        async with self.sessions() as session:
            access = await resolve(session, actor, ref)
            return access.partnership.name, await setup_checklist(session, access.partnership)
