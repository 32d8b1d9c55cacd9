"""The prompt library asks about each relationship between co-production and the
collaboration (Sancino & Jacklin-Jarvis 2016): one prompt per relationship at least, asked only
of partnerships that hold it, and first in the rotation after the relationship is set."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.prompts import RELATIONSHIPS, PromptLibraryError, parse_library, relationship_prompts
from bot.services.access import Actor, PartnershipRef
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Partnership

GUILD = 1000
CHANNEL = 5555
convener = Actor(GUILD, 2, "Bea", manage_channels=True)
HUBS = PartnershipRef(name="Family Hubs")
_message_ids = itertools.count(700_000)


class Clock:
    """Each reading a minute after the last: posts and changes are ordered by time."""

    def __init__(self) -> None:
        self.moment = datetime(2027, 3, 15, 12, tzinfo=UTC)

    def now(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sessions: SessionFactory, clock: Clock) -> ReflectionService:
    return ReflectionService(sessions, clock=clock)


@pytest.fixture
def register(sessions: SessionFactory, clock: Clock) -> RegisterService:
    return RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )


@pytest.fixture
async def partnership(register: RegisterService) -> Partnership:
    draft = await register.prepare_create(convener, "Family Hubs", "Joined-up early help")
    return await register.create(convener, draft, CHANNEL)


async def post_now(service: ReflectionService, theme: str | None = None) -> str:
    draft = await service.prepare_now(convener, HUBS, theme)
    await service.mark_posted(
        draft.post_id, channel_id=CHANNEL, message_id=next(_message_ids), actor_name="Bea"
    )
    return draft.prompt_ref


def test_each_relationship_has_a_prompt_of_the_coproduction_theme():
    assert RELATIONSHIPS == ("antecedent", "enabler", "complementary", "alternative")
    for relationship in RELATIONSHIPS:
        prompts = relationship_prompts(relationship)
        assert prompts, relationship
        assert all(p.theme == "coproduction" for p in prompts)
        assert all("Sancino & Jacklin-Jarvis 2016" in p.concept for p in prompts)


def test_a_prompts_relationship_is_checked_when_the_library_is_read():
    entry = '[[prompt]]\nid = "goals-01"\ntheme = "goals"\nconcept = "c (x)"\ntext = "Why?"\n'
    with pytest.raises(PromptLibraryError, match="unknown relationship “unclear”"):
        parse_library(entry + 'relationship = "unclear"\n')
    with pytest.raises(PromptLibraryError, match="relationship should be text"):
        parse_library(entry + "relationship = 3\n")


async def test_relationship_prompts_are_asked_only_where_it_is_held(service, partnership):
    asked = {await post_now(service, "coproduction") for _ in range(8)}
    assert not asked & {p.id for r in RELATIONSHIPS for p in relationship_prompts(r)}
    assert (await service.choose_prompt(partnership.id)).theme == "goals"  # rotation unmoved


async def test_a_relationship_set_is_asked_about_next_then_the_rotation_resumes(
    service, register, partnership
):
    assert await post_now(service) == "goals-01"
    await register.add_relationship(convener, HUBS, "enabler")
    chosen = await service.choose_prompt(partnership.id)
    [enabler] = relationship_prompts("enabler")
    assert (chosen.library_id, chosen.theme, chosen.rotation) == (enabler.id, "coproduction", False)
    assert await post_now(service) == enabler.id
    # Asked once: the themes resume where they were (trust follows goals).
    assert (await service.choose_prompt(partnership.id)).theme == "trust"
    # Set at creation or with configure, and several at once: in the order they were added.
    await register.configure(convener, HUBS, relationship="antecedent")
    await register.add_relationship(convener, HUBS, "alternative")
    assert await post_now(service) == relationship_prompts("antecedent")[0].id
    assert await post_now(service) == relationship_prompts("alternative")[0].id
    assert (await post_now(service)).startswith("trust-")
    # A fixed theme does not take the place of the rotation's turn.
    await register.add_relationship(convener, HUBS, "complementary")
    assert (await post_now(service, "goals")).startswith("goals-")
    assert await post_now(service) == relationship_prompts("complementary")[0].id
    # Removed and added again: asked about again.
    await register.remove_relationship(convener, HUBS, "enabler")
    assert (await post_now(service)).startswith("power-")
    await register.add_relationship(convener, HUBS, "enabler")
    assert await post_now(service) == enabler.id
