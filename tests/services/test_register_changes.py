"""The register announces each committed change once, through its `on_change` listener, and
takes its time from the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Event, Membership, Partnership

GUILD = 1000
creator = Actor(GUILD, 2, "Bea", manage_channels=True)
rep = Actor(GUILD, 3, "Cy")
HUBS = PartnershipRef(name="Family Hubs")
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOON


class Listener:
    """Records each announcement with the newest log event a fresh session can see then."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.calls: list[tuple[int, str]] = []

    async def __call__(self, partnership_id: int) -> None:
        async with self.sessions() as session:
            newest = (
                await session.exec(
                    select(Event.kind)
                    .where(Event.partnership_id == partnership_id)
                    .order_by(col(Event.id).desc())
                )
            ).first()
        self.calls.append((partnership_id, str(newest)))


@pytest.fixture
def listener(sessions: SessionFactory) -> Listener:
    return Listener(sessions)


@pytest.fixture
def service(sessions: SessionFactory, listener: Listener) -> RegisterService:
    return RegisterService(
        sessions,
        default_timezone="Europe/London",
        admin_role_name="PB Admin",
        clock=FixedClock(),
        on_change=listener,
    )


async def test_each_change_is_announced_once_after_commit(service, listener):
    draft = await service.prepare_create(creator, "Family Hubs", "Joined-up early help")
    p = await service.create(creator, draft, None)
    assert listener.calls == []  # nothing hangs off a new partnership yet
    changes = [
        (service.configure(creator, HUBS, agreement_rule="majority"), "partnership.configured"),
        (service.add_partner(creator, HUBS, "Council", "public"), "partner.joined"),
        (
            service.set_partner_status(creator, HUBS, "Council", "associate"),
            "partner.status_changed",
        ),
        (
            service.add_member(creator, HUBS, user_id=3, display_name="Cy", organisation="Council"),
            "member.joined",
        ),
        (service.update_member(creator, HUBS, user_id=3, convener=True), "member.updated"),
        (service.remove_member(creator, HUBS, user_id=3, display_name="Cy"), "member.left"),
        (service.remove_partner(creator, HUBS, "Council"), "partner.left"),
        (service.archive(creator, HUBS), "partnership.archived"),
    ]
    for change, kind in changes:
        before = len(listener.calls)
        await change
        # One announcement, made when the change's event was already committed and visible.
        assert listener.calls[before:] == [(p.id, kind)]


async def test_refused_or_empty_changes_announce_nothing(service, listener):
    draft = await service.prepare_create(creator, "Family Hubs", "Joined-up early help")
    await service.create(creator, draft, None)
    await service.add_partner(creator, HUBS, "Council", "public")
    listener.calls.clear()
    refused = [
        service.configure(rep, HUBS, agreement_rule="majority"),  # not a convener
        service.add_partner(creator, HUBS, "council", "public"),  # already a partner
        service.set_partner_status(creator, HUBS, "Council", "core"),  # already core
        service.remove_member(creator, HUBS, user_id=2),  # the last convener
        service.update_member(creator, HUBS, user_id=2, convener=True),  # already that role
        service.remove_partner(creator, HUBS, "Nobody Inc"),  # not a partner
    ]
    for change in refused:
        with pytest.raises(UserFacingError):
            await change
    # Settings that already have their values change nothing, so nothing is announced.
    _, changed = await service.configure(creator, HUBS, agreement_rule="consensus")
    assert changed == {}
    assert listener.calls == []


async def test_times_come_from_the_injected_clock(service, sessions):
    draft = await service.prepare_create(creator, "Family Hubs", "Joined-up early help")
    await service.create(creator, draft, None)
    await service.add_member(creator, HUBS, user_id=3, display_name="Cy")
    await service.archive(creator, HUBS)
    async with sessions() as s:
        partnership = (await s.exec(select(Partnership))).one()
        members = (await s.exec(select(Membership))).all()
        events = (await s.exec(select(Event))).all()
    assert partnership.created_at == NOON and partnership.archived_at == NOON
    assert {m.joined_at for m in members} == {NOON}
    assert {e.occurred_at for e in events} == {NOON}
