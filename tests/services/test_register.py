"""The partnership register, on a real database: rules, permissions, history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.register import RegisterService
from db.engine import SessionFactory
from db.models import Event, Membership, Partnership
from db.postgres_driver import is_combined
from tests.statements import statements_run

GUILD = 1000
OTHER_GUILD = 2000
CHANNEL = 5555

admin = Actor(GUILD, 1, "Ada", manage_guild=True, manage_channels=True)
creator = Actor(GUILD, 2, "Bea", manage_channels=True)
rep = Actor(GUILD, 3, "Cy")
outsider = Actor(GUILD, 4, "Dee")
stranger = Actor(OTHER_GUILD, 5, "Eve", manage_guild=True, manage_channels=True)


@pytest.fixture
def service(sessions: SessionFactory) -> RegisterService:
    return RegisterService(sessions, default_timezone="Europe/London", admin_role_name="PB Admin")


def named(name: str = "Family Hubs") -> PartnershipRef:
    return PartnershipRef(name=name)


async def make(service: RegisterService, actor: Actor = creator, name: str = "Family Hubs"):
    draft = await service.prepare_create(actor, name, "Joined-up early help", "enabler")
    return await service.create(actor, draft, CHANNEL if name == "Family Hubs" else None)


async def test_create_makes_the_creator_convener_and_logs_it(service, sessions):
    p = await make(service)
    assert p.relationship == "enabler" and p.timezone == "Europe/London"
    async with sessions() as s:
        members = (await s.exec(select(Membership))).all()
        kinds = [e.kind for e in (await s.exec(select(Event).order_by(Event.id))).all()]
    assert [(m.user_id, m.is_convener, m.capacity) for m in members] == [(2, True, "individual")]
    assert kinds == ["partnership.created", "member.joined"]


async def test_names_are_unique_per_server_case_insensitively(service):
    await make(service, name="Straße Forum")
    with pytest.raises(UserFacingError, match="already a partnership"):
        await service.prepare_create(creator, "STRASSE forum", "x")
    # Another server may use the same name.
    draft = await service.prepare_create(stranger, "Straße Forum", "x")
    assert (await service.create(stranger, draft, None)).guild_id == OTHER_GUILD


async def test_create_needs_manage_channels_or_the_admin_role(service):
    with pytest.raises(UserFacingError, match="Manage Channels"):
        await service.prepare_create(outsider, "X", "y")
    with_role = Actor(GUILD, 9, "Role", role_names=frozenset({"pb admin"}))
    assert (await service.prepare_create(with_role, "X", "y")).name == "X"


@pytest.mark.parametrize(
    ("name", "purpose", "tz", "message"),
    [
        ("x" * 101, "p", None, "limit is 100"),
        ("   ", "p", None, "can't be empty"),
        ("X", "p" * 1001, None, "limit is 1000"),
        ("X", "p", "Mars/Olympus", "isn't a time zone"),
        ("X", "p", "europe/london ", "isn't a time zone"),
    ],
)
async def test_bad_input_is_refused_before_anything_is_made(
    service, sessions, name, purpose, tz, message
):
    with pytest.raises(UserFacingError, match=message):
        await service.prepare_create(creator, name, purpose, None, tz)
    async with sessions() as s:
        assert (await s.exec(select(Partnership))).all() == []


async def test_non_members_learn_nothing(service):
    await make(service)
    for actor in (outsider, stranger):
        with pytest.raises(UserFacingError, match="can't find a partnership called"):
            await service.info(actor, named())
        assert await service.list_visible(actor) == []
        assert await service.autocomplete(actor, "") == []
    # The same words as for a partnership that doesn't exist.
    with pytest.raises(UserFacingError) as missing:
        await service.info(outsider, named("No Such Thing"))
    with pytest.raises(UserFacingError) as hidden:
        await service.info(outsider, named("Family Hubs"))
    assert str(missing.value).replace("No Such Thing", "Family Hubs") == str(hidden.value)


async def test_server_managers_act_as_conveners(service):
    await make(service)
    assert [p.name for p in await service.list_visible(admin)] == ["Family Hubs"]
    _, changes = await service.configure(admin, named(), agreement_rule="majority")
    assert changes == {"agreement_rule": ("consensus", "majority")}


async def test_partnership_is_implied_by_its_channel_and_threads(service):
    await make(service)
    in_channel = PartnershipRef(where=Where(channel_id=CHANNEL))
    in_thread = PartnershipRef(where=Where(channel_id=777, parent_id=CHANNEL))
    assert (await service.info(creator, in_channel)).partnership.name == "Family Hubs"
    assert (await service.info(creator, in_thread)).partnership.name == "Family Hubs"
    with pytest.raises(UserFacingError, match="Which partnership"):
        await service.info(creator, PartnershipRef(where=Where(channel_id=999)))
    with pytest.raises(UserFacingError, match="not a member"):
        await service.info(outsider, in_channel)


async def test_configure_is_for_conveners_and_validates(service):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    await service.add_member(creator, named(), user_id=3, display_name="Cy", organisation="Council")
    with pytest.raises(UserFacingError, match="Only the conveners"):
        await service.configure(rep, named(), agreement_rule="majority")
    with pytest.raises(UserFacingError, match="between 2 and 50"):
        await service.configure(creator, named(), anonymity_threshold=1)
    with pytest.raises(UserFacingError, match="time zone"):
        await service.configure(creator, named(), timezone="Nowhere/Land")
    with pytest.raises(UserFacingError, match="Nothing to change"):
        await service.configure(creator, named())
    p, changes = await service.configure(
        creator, named(), timezone="America/New_York", anonymity_threshold=4
    )
    assert p.timezone == "America/New_York" and set(changes) == {"timezone", "anonymity_threshold"}


async def test_archive_keeps_everything_and_refuses_changes(service):
    await make(service)
    p = await service.archive(creator, named())
    assert p.is_archived and p.id is not None
    state = await service.channel_state(p.id)
    assert state is not None and state.archived and state.members == {2}
    with pytest.raises(UserFacingError, match="archived"):
        await service.add_partner(creator, named(), "Council", "public")
    with pytest.raises(UserFacingError, match="archived"):
        await service.archive(creator, named())
    info = await service.info(creator, named())  # still readable
    assert info.partnership.is_archived


async def test_partners_are_reused_across_partnerships(service):
    await make(service)
    await make(service, name="Housing Board")
    view, note = await service.add_partner(creator, named(), "Riverside Council", "public")
    assert (view.status, note) == ("core", None)
    view2, note2 = await service.add_partner(
        creator, named("Housing Board"), "riverside council", "health", "associate"
    )
    assert view2.organisation_id == view.organisation_id
    assert view2.sector == "public" and "kept that sector" in (note2 or "")
    with pytest.raises(UserFacingError, match="already a partner"):
        await service.add_partner(creator, named(), "RIVERSIDE COUNCIL", "public")
    with pytest.raises(UserFacingError, match="sector I know"):
        await service.add_partner(creator, named(), "Other", "made-up")


async def test_partner_leaves_and_rejoins(service):
    await make(service)
    await service.add_partner(creator, named(), "Food Bank", "voluntary")
    await service.add_member(
        creator, named(), user_id=3, display_name="Cy", organisation="Food Bank"
    )
    left, still = await service.remove_partner(creator, named(), "food bank")
    assert left.status == "former" and [m.user_id for m in still] == [3]
    _, active = await service.list_partners(creator, named())
    _, everyone = await service.list_partners(creator, named(), include_former=True)
    assert active == [] and [o.name for o in everyone] == ["Food Bank"]
    with pytest.raises(UserFacingError, match="isn't a current partner"):
        await service.remove_partner(creator, named(), "Food Bank")
    back, _ = await service.add_partner(creator, named(), "Food Bank", "voluntary", "observer")
    assert back.status == "observer" and back.left_at is None


async def test_member_defaults_and_consistency(service):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    _, with_org = await service.add_member(
        creator, named(), user_id=3, display_name="Cy", organisation="council"
    )
    _, alone = await service.add_member(creator, named(), user_id=6, display_name="Fin")
    assert (with_org.capacity, with_org.organisation) == ("representative", "Council")
    assert (alone.capacity, alone.organisation) == ("individual", None)
    bad = [
        dict(user_id=7, display_name="G", capacity="representative"),
        dict(user_id=7, display_name="G", organisation="Council", capacity="citizen"),
        dict(user_id=7, display_name="G", mandate="can_commit"),
        dict(user_id=7, display_name="G", organisation="Nobody Inc"),
        dict(user_id=7, display_name="G", capacity="boss"),
        dict(user_id=3, display_name="Cy"),
        dict(user_id=8, display_name="Robo", is_bot=True),
    ]
    for kwargs in bad:
        with pytest.raises(UserFacingError):
            await service.add_member(creator, named(), **kwargs)
    members = (await service.list_members(creator, named())).members
    assert {m.user_id for m in members} == {2, 3, 6}


async def test_only_conveners_manage_members(service):
    await make(service)
    await service.add_member(creator, named(), user_id=3, display_name="Cy")
    with pytest.raises(UserFacingError, match="Only the conveners"):
        await service.add_member(rep, named(), user_id=9, display_name="Z")
    with pytest.raises(UserFacingError, match="can't find"):
        await service.add_member(outsider, named(), user_id=9, display_name="Z")


async def test_the_last_convener_cannot_leave_or_step_down(service):
    await make(service)
    with pytest.raises(UserFacingError, match="last convener"):
        await service.remove_member(creator, named(), user_id=2)
    with pytest.raises(UserFacingError, match="last convener"):
        await service.update_member(creator, named(), user_id=2, convener=False)
    await service.add_member(creator, named(), user_id=3, display_name="Cy", convener=True)
    await service.update_member(creator, named(), user_id=2, convener=False)
    await service.remove_member(rep, named(), user_id=2)
    members = (await service.list_members(rep, named())).members
    assert [(m.user_id, m.is_convener) for m in members] == [(3, True)]


async def test_update_member_changes_organisation_and_capacity(service):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    await service.add_partner(creator, named(), "Parents' Forum", "community_group")
    await service.add_member(
        creator,
        named(),
        user_id=3,
        display_name="Cy",
        organisation="Council",
        mandate="must_refer_back",
    )
    _, view = await service.update_member(
        creator, named(), user_id=3, organisation="Parents' Forum", capacity="substitute"
    )
    assert (view.organisation, view.capacity, view.mandate) == (
        "Parents' Forum",
        "substitute",
        "must_refer_back",
    )
    _, view = await service.update_member(creator, named(), user_id=3, own_capacity=True)
    assert (view.organisation, view.capacity, view.mandate) == (None, "individual", None)
    with pytest.raises(UserFacingError, match="already has that role"):
        await service.update_member(creator, named(), user_id=3, capacity="individual")
    with pytest.raises(UserFacingError, match="isn't a member"):
        await service.update_member(creator, named(), user_id=99, capacity="citizen")


async def test_rejoining_reuses_the_membership_and_keeps_history(service):
    await make(service)
    await service.add_member(creator, named(), user_id=3, display_name="Cy")
    await service.remove_member(creator, named(), user_id=3, display_name="Cy")
    with pytest.raises(UserFacingError, match="isn't a member"):
        await service.remove_member(creator, named(), user_id=3, display_name="Cy")
    await service.add_member(creator, named(), user_id=3, display_name="Cy", capacity="citizen")
    _, history = await service.history(creator, named())
    assert [e.kind for e in history][:3] == ["member.joined", "member.left", "member.joined"]
    assert history[0].summary == "Cy joined as citizen."


class Clock:
    """A clock the test moves, so history lands on known days (the log is append-only)."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


async def test_membership_on_a_past_date_is_rebuilt_from_the_log(sessions):
    clock = Clock()
    service = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="PB Admin", clock=clock
    )
    # Known days (London time): the creator on 1 March, Fin joined 5 March and left
    # 20 March, Cy joined 10 March.
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    clock.moment = datetime(2026, 3, 5, 12, tzinfo=UTC)
    await service.add_member(creator, named(), user_id=6, display_name="Fin")
    clock.moment = datetime(2026, 3, 10, 12, tzinfo=UTC)
    await service.add_member(creator, named(), user_id=3, display_name="Cy", organisation="Council")
    clock.moment = datetime(2026, 3, 20, 12, tzinfo=UTC)
    await service.remove_member(creator, named(), user_id=6, display_name="Fin")

    async def ids(day: date) -> list[int]:
        listing = await service.list_members(rep, named(), day)
        members, moment = listing.members, listing.moment
        assert moment is not None and moment.tzinfo is not None
        return sorted(m.user_id for m in members)

    assert await ids(date(2026, 2, 28)) == []
    assert await ids(date(2026, 3, 6)) == [2, 6]
    assert await ids(date(2026, 3, 10)) == [2, 3, 6]  # the end of the day counts
    assert await ids(date(2026, 3, 21)) == [2, 3]
    members = (await service.list_members(rep, named(), date(2026, 3, 12))).members
    cy = next(m for m in members if m.user_id == 3)
    assert (cy.organisation, cy.capacity) == ("Council", "representative")


async def test_as_of_means_the_end_of_that_day_in_the_partnership_zone(sessions):
    clock = Clock()
    service = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="PB Admin", clock=clock
    )
    await make(service)
    await service.configure(creator, named(), timezone="America/New_York")
    # 02:00 UTC on 11 March is still 10 March in New York.
    clock.moment = datetime(2026, 3, 11, 2, tzinfo=UTC)
    await service.add_member(creator, named(), user_id=3, display_name="Cy")
    members = (await service.list_members(creator, named(), date(2026, 3, 10))).members
    assert sorted(m.user_id for m in members) == [2, 3]
    members = (await service.list_members(creator, named(), date(2026, 3, 9))).members
    assert [m.user_id for m in members] == [2]


async def test_events_are_scoped_to_their_server(service, sessions):
    await make(service)
    draft = await service.prepare_create(stranger, "Family Hubs", "elsewhere")
    await service.create(stranger, draft, None)
    _, history = await service.history(creator, named())
    assert all(e.actor_id != stranger.user_id for e in history)
    async with sessions() as s:
        guilds = {e.guild_id for e in (await s.exec(select(Event))).all()}
    assert guilds == {GUILD, OTHER_GUILD}


async def test_recent_history_is_newest_first(service):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    _, history = await service.history(creator, named())
    assert history[0].kind == "partner.joined"
    assert history[0].occurred_at - history[-1].occurred_at >= timedelta(0)


async def test_partner_events_say_what_happened(service):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    await service.set_partner_status(creator, named(), "Council", "associate")
    await service.remove_partner(creator, named(), "Council")
    await service.add_partner(creator, named(), "Food Bank", "voluntary", "associate")
    _, history = await service.history(creator, named())
    partner_events = [
        (e.kind, e.summary) for e in reversed(history) if e.kind.startswith("partner")
    ]
    assert partner_events == [
        ("partner.joined", "Council (public) joined as a core partner."),
        ("partner.status_changed", "Council changed from core to associate."),
        ("partner.left", "Council left the partnership."),
        ("partner.joined", "Food Bank (voluntary) joined as an associate partner."),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"organisation": "Council"},
        {"capacity": "citizen"},
        {"mandate": "can_commit"},
        {"own_capacity": True},
    ],
)
async def test_nobody_changes_their_own_standing(service, change):
    await make(service)
    await service.add_partner(creator, named(), "Council", "public")
    await service.add_member(creator, named(), user_id=admin.user_id, display_name="Ada")
    for actor in (creator, admin):  # a convener, and a Manage Server holder who is a member
        with pytest.raises(UserFacingError, match="can't change your own"):
            await service.update_member(actor, named(), user_id=actor.user_id, **change)
    # Someone else may: the server manager makes the creator the Council's representative.
    _, view = await service.update_member(
        admin, named(), user_id=creator.user_id, organisation="Council"
    )
    assert (view.organisation, view.capacity) == ("Council", "representative")


async def test_a_convener_may_still_step_down_themselves(service):
    await make(service)
    await service.add_member(creator, named(), user_id=3, display_name="Cy", convener=True)
    _, view = await service.update_member(creator, named(), user_id=creator.user_id, convener=False)
    assert not view.is_convener


async def test_info_reads_the_same_views_as_the_register_does_for_a_change(service, sessions):
    # `/partnership info` reads its partners, members and relationships as plain rows
    # (`lookup.current_views`); they are the views the ORM reads give.
    from bot.services.register import coproduction, lookup

    await make(service)
    await service.add_partner(creator, named(), "Riverside Council", "public")
    await service.add_partner(creator, named(), "Food Bank", "voluntary", status="associate")
    await service.add_partner(creator, named(), "Gone Ltd", "private")
    await service.remove_partner(creator, named(), "Gone Ltd")
    await service.add_member(
        creator, named(), user_id=rep.user_id, display_name="Cy", organisation="Food Bank"
    )
    await service.add_member(creator, named(), user_id=7, display_name="Fay", capacity="citizen")
    await service.add_member(creator, named(), user_id=8, display_name="Gil", convener=True)
    await service.remove_member(creator, named(), user_id=7)
    await service.add_relationship(creator, named(), "complementary")
    info = await service.info(rep, named())
    async with sessions() as session:
        p = (await session.exec(select(Partnership))).one()
        partners = await lookup.partners(session, p)
        members = await lookup.members(session, p)
        held = await coproduction.held(session, p)
    assert info.partners == partners and [v.name for v in partners] == [
        "Food Bank",
        "Riverside Council",
    ]
    assert info.members == members and [m.user_id for m in members] == [2, 8, 3]
    assert all(isinstance(m.is_convener, bool) for m in info.members)
    assert info.relationships == held and len(held) == 2


async def test_info_runs_five_statements_each_once(service, sessions):
    # The partnership with the person's membership, then partners, members, relationships and
    # what the setup checklist looks for: on SQLite in one trip (`read_ahead`), none of them run
    # through SQLAlchemy a second time to be noted (no list of values that expands as it runs).

    await make(service)
    await service.add_partner(creator, named(), "Food Bank", "voluntary")
    with statements_run(sessions) as seen:
        for _ in range(2):  # the second once `read_ahead` knows the statements
            seen.clear()
            info = await service.info(creator, named())
    assert [p.name for p in info.partners] == ["Food Bank"]
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    together = [s for s in selects if is_combined(s)]
    selects = [s for s in selects if not is_combined(s)]
    assert len(selects) == 5, "\n\n".join(selects)
    # On PostgreSQL, all five go to the server as one statement: one round trip.
    postgres = sessions.kw["bind"].dialect.name == "postgresql"
    assert len(together) == (1 if postgres else 0), together
