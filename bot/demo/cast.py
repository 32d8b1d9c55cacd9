"""Who and where the demo partnership is: a fictional town, its organisations and its people.

Every name is invented; the Discord ids are made-up constants that no real server, channel,
person or message has (they sit far above the ids Discord hands out today).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.access import Actor, PartnershipRef

DEMO_GUILD = 900_000_000_000_000_001
DEMO_CHANNEL = 900_000_000_000_000_002
FIRST_MESSAGE = 900_000_000_000_100_000  # messages are numbered on from here

NAME = "Brookfield Family Hubs"
PURPOSE = (
    "Joined-up early help for families with children under five in Brookfield: one front door "
    "shared by the council, the health trust, local charities and parents."
)
TIMEZONE = "Europe/London"
RELATIONSHIP = "enabler"  # the collaboration makes co-production with parents possible
HUBS = PartnershipRef(name=NAME)

# A financial year, as the partners' boards count it; "now" is its last afternoon.
START = datetime(2025, 4, 1, 8, 30, tzinfo=UTC)
END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)

# The organisations, with their sector, as `/partner add` takes them.
COUNCIL = "Brookfield Council Children's Services"
HEALTH = "Brookfield Community Health Trust"
LITTLE_STEPS = "Little Steps Family Support"
FOOD = "Brookfield Food Network"
FORUM = "Brookfield Parents' Forum"
SECTORS = {
    COUNCIL: "public",
    HEALTH: "health",
    LITTLE_STEPS: "voluntary",
    FOOD: "voluntary",
    FORUM: "community_group",
}


def _person(number: int, name: str, *, manage_channels: bool = False) -> Actor:
    return Actor(
        DEMO_GUILD, 900_000_000_000_001_000 + number, name, manage_channels=manage_channels
    )


# The council's early-help lead creates the partnership (so she may make channels).
HELEN = _person(1, "Helen Marsh", manage_channels=True)  # Council, convener
TOM = _person(2, "Tom Reid")  # Council, substitute
ANIL = _person(3, "Anil Mehta")  # Health trust, until October
GRACE = _person(4, "Grace Obi")  # Health trust, from October
ROSA = _person(5, "Rosa Lind")  # Little Steps, co-convener
KIERAN = _person(6, "Kieran Doyle")  # Food Network, until it leaves in November
JOY = _person(7, "Joy Adeyemi")  # Parents' Forum
MAYA = _person(8, "Maya Ellis")  # a parent, in her own capacity
LEON = _person(9, "Leon Hart")  # a parent, in his own capacity
PEOPLE = (HELEN, TOM, ANIL, GRACE, ROSA, KIERAN, JOY, MAYA, LEON)
