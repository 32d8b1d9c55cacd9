"""`RegisterService`: the partnership register's commands, each one transaction.

Every change checks the actor through `bot.services.access`, applies the rules in `rules`,
writes the row and its log event (`events`) together, and, once committed, tells the
`on_change` listener which partnership changed (the bot turns that into its
`partnership_changed` event, so goal cards and prompt schedules follow). A refused change
tells nobody. Creating a partnership tells nobody either: nothing hangs off it yet.

The commands are written in three parts, one per kind of record, plus the channel access the
register calls for (`channel`) and a partnership's relationships to co-production
(`coproduction`); they share only `RegisterBase`.
"""

from __future__ import annotations

from bot.services.register.channel import ChannelCommands
from bot.services.register.coproduction import CoproductionCommands
from bot.services.register.members import MemberCommands
from bot.services.register.partners import PartnerCommands
from bot.services.register.partnerships import PartnershipCommands


class RegisterService(
    PartnershipCommands, PartnerCommands, MemberCommands, ChannelCommands, CoproductionCommands
):
    """Partnerships, their partner organisations and their members (domain notes §1).

    `RegisterService(sessions, *, default_timezone, admin_role_name, clock, on_change)`.
    """
