"""The partnership register: partnerships, partner organisations, memberships (domain notes §1).

Every change writes an event to the partnership log in the same transaction. Membership events
carry a full snapshot of the membership after the change, so membership on any past date is
rebuilt by replaying them.

Modules: `views` (what is handed back), `events` (what the log says), `rules` (what must hold),
`lookup` (the rows a change works on), `base`, `partnerships`, `partners` and `members` (the
commands), `channel` (the channel access the register calls for), `service` (`RegisterService`,
all of them together).
"""

from bot.services.register.base import ChangeListener
from bot.services.register.channel import ChannelState
from bot.services.register.coproduction import RELATIONSHIP_EVENTS, RelationshipChange
from bot.services.register.events import MEMBER_EVENTS, PARTNER_EVENTS, show_value
from bot.services.register.rules import RETENTION_MONTHS_MAX
from bot.services.register.service import RegisterService
from bot.services.register.views import (
    CreateDraft,
    HeldRelationship,
    HistoryEntry,
    MemberList,
    MemberView,
    PartnershipInfo,
    PartnerView,
)

__all__ = [
    "MEMBER_EVENTS",
    "PARTNER_EVENTS",
    "RELATIONSHIP_EVENTS",
    "RETENTION_MONTHS_MAX",
    "ChangeListener",
    "ChannelState",
    "CreateDraft",
    "HeldRelationship",
    "HistoryEntry",
    "MemberList",
    "MemberView",
    "PartnerView",
    "PartnershipInfo",
    "RegisterService",
    "RelationshipChange",
    "show_value",
]
