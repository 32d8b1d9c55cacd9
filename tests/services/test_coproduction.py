"""Co-production in the register: several relationships with their history and log entries,
and the phases and levels citizens take part in (Sancino & Jacklin-Jarvis 2016; Nabatchi,
Sancino & Sicilia 2017)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.register import RegisterService, show_value
from db.engine import SessionFactory
from db.models import Event, Partnership, PartnershipRelationship

GUILD = 1000
creator = Actor(GUILD, 2, "Bea", manage_channels=True)
rep = Actor(GUILD, 3, "Cy")
HUBS = PartnershipRef(name="Family Hubs")
START = datetime(2026, 3, 10, 12, tzinfo=UTC)


class StepClock:
    """An hour later at each reading, so the order of changes shows in their times."""

    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        self.at += timedelta(hours=1)
        return self.at


@pytest.fixture
def service(sessions: SessionFactory) -> RegisterService:
    return RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="PB", clock=StepClock()
    )


async def make(service: RegisterService, relationship: str | None = "enabler") -> None:
    draft = await service.prepare_create(creator, "Family Hubs", "Early help", relationship)
    await service.create(creator, draft, None)
    await service.add_member(creator, HUBS, user_id=rep.user_id, display_name="Cy")


async def rows(sessions: SessionFactory) -> list[tuple[str, bool]]:
    async with sessions() as s:
        found = (
            await s.exec(select(PartnershipRelationship).order_by(col(PartnershipRelationship.id)))
        ).all()
    return [(r.relationship, r.removed_at is None) for r in found]


async def events(sessions: SessionFactory, prefix: str) -> list[Event]:
    async with sessions() as s:
        found = (await s.exec(select(Event).order_by(col(Event.id)))).all()
    return [e for e in found if e.kind.startswith(prefix)]


async def test_several_relationships_are_held_with_their_history(service, sessions):
    await make(service)  # created as an enabler: its first row, said by partnership.created
    assert await rows(sessions) == [("enabler", True)]
    added = await service.add_relationship(creator, HUBS, "complementary")
    assert [h.relationship for h in added.held] == ["enabler", "complementary"]
    removed = await service.remove_relationship(creator, HUBS, "enabler")
    assert [h.relationship for h in removed.held] == ["complementary"]
    again = await service.add_relationship(creator, HUBS, "enabler")
    assert [h.relationship for h in again.held] == ["complementary", "enabler"]
    # Nothing is deleted: the removed row stays, and the relationship came back as a new one.
    assert await rows(sessions) == [
        ("enabler", False),
        ("complementary", True),
        ("enabler", True),
    ]
    logged = await events(sessions, "partnership.relationship_")
    assert [(e.kind, e.payload["relationship"], e.payload["held"]) for e in logged] == [
        ("partnership.relationship_added", "complementary", ["enabler", "complementary"]),
        ("partnership.relationship_removed", "enabler", ["complementary"]),
        ("partnership.relationship_added", "enabler", ["complementary", "enabler"]),
    ]
    assert "complementary" in logged[0].summary and logged[0].actor_id == creator.user_id
    _p, history = await service.relationship_history(rep, HUBS)  # members may read it
    assert [(h.relationship, h.removed_by) for h in history] == [
        ("enabler", creator.user_id),
        ("complementary", None),
        ("enabler", None),
    ]
    info = await service.info(rep, HUBS)
    assert [h.relationship for h in info.relationships] == ["complementary", "enabler"]
    # The old single value follows: the one added last among those held.
    assert info.partnership.relationship == "enabler"


async def test_adding_one_held_or_removing_one_not_held_is_refused_politely(service, sessions):
    await make(service, relationship=None)
    assert await rows(sessions) == []
    with pytest.raises(UserFacingError, match="doesn't hold the relationship alternative"):
        await service.remove_relationship(creator, HUBS, "alternative")
    await service.add_relationship(creator, HUBS, "alternative")
    with pytest.raises(UserFacingError, match="already holds the relationship alternative"):
        await service.add_relationship(creator, HUBS, "Alternative")
    with pytest.raises(UserFacingError, match="Unclear means no relationship"):
        await service.add_relationship(creator, HUBS, "unclear")
    with pytest.raises(UserFacingError, match="isn't a relationship I know"):
        await service.add_relationship(creator, HUBS, "friendship")
    with pytest.raises(UserFacingError, match="conveners"):
        await service.add_relationship(rep, HUBS, "enabler")
    assert await rows(sessions) == [("alternative", True)]
    assert len(await events(sessions, "partnership.relationship_")) == 1


async def test_configure_relationship_adds_to_those_held(service, sessions):
    await make(service)
    _p, changes = await service.configure(creator, HUBS, relationship="antecedent")
    assert changes == {"relationships": (["enabler"], ["enabler", "antecedent"])}
    assert show_value(changes["relationships"][1]) == "enabler, antecedent"
    _p, changes = await service.configure(creator, HUBS, relationship="enabler")
    assert changes == {}  # held already: nothing changes
    with pytest.raises(UserFacingError, match="relationship remove"):
        await service.configure(creator, HUBS, relationship="unclear")
    assert await rows(sessions) == [("enabler", True), ("antecedent", True)]
    assert [e.kind for e in await events(sessions, "partnership.")] == [
        "partnership.created",
        "partnership.relationship_added",
    ]


async def test_phases_and_levels_are_set_shown_and_cleared(service, sessions):
    await make(service)
    p, changes = await service.configure(
        creator, HUBS, phases="Delivery, design", levels="collective"
    )
    # Kept in the vocabulary's order, whatever order they were typed in.
    assert p.citizen_phases == ["design", "delivery"]
    assert p.coproduction_levels == ["collective"]
    assert changes == {
        "citizen_phases": ([], ["design", "delivery"]),
        "coproduction_levels": ([], ["collective"]),
    }
    info = await service.info(rep, HUBS)
    assert info.partnership.citizen_phases == ["design", "delivery"]
    [logged] = await events(sessions, "partnership.configured")
    assert logged.payload["citizen_phases"] == {"from": [], "to": ["design", "delivery"]}
    assert "citizen phases from none to design, delivery" in logged.summary
    p, _ = await service.configure(creator, HUBS, phases="none")
    assert p.citizen_phases == [] and p.coproduction_levels == ["collective"]
    with pytest.raises(UserFacingError, match="commissioning, design, delivery, assessment"):
        await service.configure(creator, HUBS, phases="design, evaluation")
    with pytest.raises(UserFacingError, match="individual, group, collective"):
        await service.configure(creator, HUBS, levels="national")
    async with sessions() as s:
        stored = (await s.exec(select(Partnership))).one()
    assert stored.citizen_phases == [] and stored.coproduction_levels == ["collective"]
