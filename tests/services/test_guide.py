"""The first day, on a real database: creating a partnership for your organisation, the setup
checklist as it shrinks, and the guide's reading of where a person stands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.goals import GoalService
from bot.services.guide import Gap, GuideService, Missing, Role
from bot.services.reflection import PROMPT_SCHEDULES
from bot.services.reflection import SCHEDULE_KIND as PROMPTS
from bot.services.register import RegisterService
from bot.services.schedules import ScheduleService
from bot.services.trust import TrustService
from bot.services.trust.kind import SCHEDULE_KIND as TRUST
from bot.services.trust.kind import TRUST_ROUNDS
from db.engine import SessionFactory
from db.models import Event, Membership, Organisation, PartnerOrganisation, Partnership

GUILD = 1000
CHANNEL = 5555
OTHER_CHANNEL = 6666
THREAD = 7777
ada = Actor(GUILD, 1, "Ada", manage_channels=True)  # the council officer who sets it up
bea = Actor(GUILD, 2, "Bea")  # Food Bank's representative
cy = Actor(GUILD, 3, "Cy")  # a parent, a citizen
dee = Actor(GUILD, 4, "Dee")  # an observer
eve = Actor(GUILD, 5, "Eve")  # the facilitator
fay = Actor(GUILD, 6, "Fay")  # nobody in particular
mo = Actor(GUILD, 7, "Mo", manage_guild=True)  # Manage Server, a member of nothing
HUBS = PartnershipRef(name="Family Hubs")
HERE = Where(channel_id=CHANNEL)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def ignore(_schedule_ids: object) -> None:
    """No schedule engine runs here."""


@dataclass
class World:
    register: RegisterService
    guide: GuideService
    goals: GoalService
    schedules: ScheduleService
    trust: TrustService
    sessions: SessionFactory


@pytest.fixture
def world(sessions: SessionFactory) -> World:
    clock = Clock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    schedules = ScheduleService(sessions, clock=clock, on_change=ignore)
    schedules.register(PROMPT_SCHEDULES)
    schedules.register(TRUST_ROUNDS)
    return World(
        RegisterService(
            sessions, default_timezone="Europe/London", admin_role_name="PB Admin", clock=clock
        ),
        GuideService(sessions, admin_role_name="PB Admin", clock=clock),
        GoalService(sessions, clock=clock),
        schedules,
        TrustService(sessions, clock=clock),
        sessions,
    )


async def create(world: World, name: str = "Family Hubs", channel: int = CHANNEL, **options):
    draft = await world.register.prepare_create(ada, name, "Joined-up early help", **options)
    return await world.register.create(ada, draft, channel)


async def log_of(world: World) -> list[Event]:
    async with world.sessions() as session:
        return list((await session.exec(select(Event).order_by(col(Event.id)))).all())


# ---- creating with your organisation


async def test_the_creator_speaks_for_their_organisation_from_the_start(world: World):
    p = await create(world, organisation="Riverside Council", sector="public")
    async with world.sessions() as session:
        [org] = (await session.exec(select(Organisation))).all()
        [link] = (await session.exec(select(PartnerOrganisation))).all()
        [member] = (await session.exec(select(Membership))).all()
    assert (org.name, org.sector, org.guild_id) == ("Riverside Council", "public", GUILD)
    assert (link.partnership_id, link.organisation_id, link.status) == (p.id, org.id, "core")
    assert (member.user_id, member.organisation_id) == (ada.user_id, org.id)
    assert (member.capacity, member.is_convener, member.mandate) == ("representative", True, None)
    entries = await log_of(world)
    assert [e.kind for e in entries] == ["partnership.created", "partner.joined", "member.joined"]
    assert entries[1].summary == "Riverside Council (public) joined as a core partner."
    assert entries[2].summary == "Ada joined as representative for Riverside Council · convener."
    assert entries[2].payload["organisation"] == "Riverside Council"
    assert all(e.actor_id == ada.user_id for e in entries)
    # The register reads it back the same way.
    info = await world.register.info(ada, HUBS)
    assert [o.name for o in info.partners] == ["Riverside Council"]
    assert [m.describe() for m in info.members] == [
        "representative for Riverside Council · convener"
    ]


async def test_a_known_organisation_keeps_its_name_and_sector_and_may_send_a_substitute(
    world: World,
):
    await create(
        world, "Housing Board", OTHER_CHANNEL, organisation="Food Bank", sector="voluntary"
    )
    draft = await world.register.prepare_create(
        ada,
        "Family Hubs",
        "Joined-up early help",
        organisation="  food BANK ",
        sector="health",
        capacity="substitute",
    )
    assert (draft.organisation, draft.sector, draft.capacity) == (
        "Food Bank",
        "voluntary",
        "substitute",
    )
    assert draft.note == (
        "Food Bank is already registered in this server as voluntary; I kept that sector."
    )
    p = await world.register.create(ada, draft, CHANNEL)
    async with world.sessions() as session:
        orgs = (await session.exec(select(Organisation))).all()
        member = (
            await session.exec(select(Membership).where(Membership.partnership_id == p.id))
        ).one()
    assert [o.name for o in orgs] == ["Food Bank"]
    assert (member.capacity, member.organisation_id) == ("substitute", orgs[0].id)
    # Without a sector, a known organisation needs none, and nothing is noted.
    again = await world.register.prepare_create(ada, "Youth", "p", organisation="Food Bank")
    assert (again.sector, again.note, again.capacity) == ("voluntary", None, "representative")


async def test_an_organisation_registered_meanwhile_is_used_as_the_server_has_it(world: World):
    draft = await world.register.prepare_create(
        ada, "Family Hubs", "p", organisation="Parents' Forum", sector="community_group"
    )
    # Someone else registers it first, with another sector, before the channel is made.
    await create(
        world, "Housing Board", OTHER_CHANNEL, organisation="PARENTS' FORUM", sector="other"
    )
    p = await world.register.create(ada, draft, CHANNEL)
    async with world.sessions() as session:
        orgs = (await session.exec(select(Organisation))).all()
        links = (
            await session.exec(
                select(PartnerOrganisation).where(PartnerOrganisation.partnership_id == p.id)
            )
        ).all()
    assert [(o.name, o.sector) for o in orgs] == [("PARENTS' FORUM", "other")]
    assert [link.organisation_id for link in links] == [orgs[0].id]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"organisation": "Riverside Council"}, "is new in this server, so give its `sector`"),
        ({"sector": "public"}, "give `organisation` too"),
        ({"capacity": "substitute"}, "give `organisation` too"),
        (
            {"organisation": "Riverside Council", "sector": "public", "capacity": "citizen"},
            "representative or substitute",
        ),
        ({"organisation": "Riverside Council", "sector": "space"}, "sector"),
        ({"organisation": "   ", "sector": "public"}, "organisation name can't be empty"),
        ({"organisation": "x" * 101, "sector": "public"}, "limit is 100"),
    ],
)
async def test_create_with_an_organisation_refuses_what_does_not_fit(world: World, options, words):
    with pytest.raises(UserFacingError, match=re.escape(words)):
        await world.register.prepare_create(ada, "Family Hubs", "p", **options)
    async with world.sessions() as session:
        assert (await session.exec(select(Partnership))).all() == []
        assert (await session.exec(select(Organisation))).all() == []


# ---- the setup checklist


async def gaps(world: World, actor: Actor = ada) -> list[Missing]:
    name, checklist = await world.guide.checklist(actor, HUBS)
    assert name == "Family Hubs"
    # `/partnership info` shows the same checklist.
    assert (await world.register.info(actor, HUBS)).checklist == checklist
    return list(checklist.missing)


async def test_the_checklist_shrinks_as_setup_goes_on(world: World):
    await create(world)
    assert await gaps(world) == [
        Missing(Gap.organisations),
        Missing(Gap.goal),
        Missing(Gap.reflection),
        Missing(Gap.trust),
    ]
    for org, status in (("Food Bank", None), ("Youth Club", "associate"), ("NHS", "observer")):
        await world.register.add_partner(ada, HUBS, org, "voluntary", status)
    # Core and associate partners need a voice; an observer organisation does not.
    assert (await gaps(world))[:2] == [
        Missing(Gap.representative, "Food Bank"),
        Missing(Gap.representative, "Youth Club"),
    ]
    await world.register.add_member(
        ada, HUBS, user_id=bea.user_id, display_name="Bea", organisation="Food Bank"
    )
    await world.register.add_member(
        ada, HUBS, user_id=cy.user_id, display_name="Cy", capacity="citizen"
    )
    await world.register.add_member(
        ada,
        HUBS,
        user_id=dee.user_id,
        display_name="Dee",
        organisation="Youth Club",
        capacity="observer",
    )
    # An observer for the Youth Club doesn't speak for it; a substitute does.
    assert Missing(Gap.representative, "Youth Club") in await gaps(world, bea)
    await world.register.update_member(ada, HUBS, user_id=dee.user_id, capacity="substitute")
    assert await gaps(world, bea) == [
        Missing(Gap.goal),
        Missing(Gap.reflection),
        Missing(Gap.trust),
    ]
    await world.goals.propose(bea, HUBS, title="Shared data")
    view = await world.schedules.create_schedule(PROMPTS, ada, HUBS, cadence="weekly")
    assert await gaps(world) == [Missing(Gap.trust)]
    # A paused schedule still counts; a cancelled one does not.
    await world.schedules.pause(PROMPTS, ada, str(view.id))
    assert await gaps(world) == [Missing(Gap.trust)]
    await world.schedules.cancel(PROMPTS, ada, str(view.id))
    assert await gaps(world) == [Missing(Gap.reflection), Missing(Gap.trust)]
    await world.schedules.create_schedule(PROMPTS, ada, HUBS, cadence="monthly")
    await world.trust.open_round(ada, HUBS)
    assert await gaps(world) == []
    # Someone leaving opens a gap again.
    await world.register.remove_member(ada, HUBS, user_id=bea.user_id)
    assert await gaps(world) == [Missing(Gap.representative, "Food Bank")]
    # An archived partnership has nothing left to set up.
    await world.register.archive(ada, HUBS)
    assert await gaps(world) == []


async def test_a_trust_schedule_counts_as_a_trust_round_and_others_learn_nothing(world: World):
    await create(world, organisation="Riverside Council", sector="public")
    assert await gaps(world) == [Missing(Gap.goal), Missing(Gap.reflection), Missing(Gap.trust)]
    await world.schedules.create_schedule(TRUST, ada, HUBS, cadence="monthly")
    assert Missing(Gap.trust) not in await gaps(world)
    with pytest.raises(UserFacingError, match="I can't find a partnership called"):
        await world.guide.checklist(fay, HUBS)


# ---- where a person stands


async def populate(world: World) -> None:
    await create(world, organisation="Riverside Council", sector="public")
    await world.register.add_partner(ada, HUBS, "Food Bank", "voluntary")
    for actor, options in (
        (bea, {"organisation": "Food Bank", "mandate": "must_refer_back"}),
        (cy, {"capacity": "citizen"}),
        (dee, {"capacity": "observer"}),
        (eve, {"capacity": "facilitator"}),
    ):
        await world.register.add_member(
            ada, HUBS, user_id=actor.user_id, display_name=actor.display_name, **options
        )


async def test_in_a_partnerships_channel_the_guide_knows_each_role(world: World):
    await populate(world)
    expected = {
        ada: (Role.convener, "representative", "Riverside Council", None),
        bea: (Role.representative, "representative", "Food Bank", "must_refer_back"),
        cy: (Role.own_capacity, "citizen", None, None),
        dee: (Role.observer, "observer", None, None),
        eve: (Role.facilitator, "facilitator", None, None),
        mo: (Role.manager, None, None, None),
    }
    for actor, (role, capacity, organisation, mandate) in expected.items():
        context = await world.guide.context(actor, HERE)
        here = context.here
        assert here is not None, actor
        assert (here.role, here.capacity, here.organisation, here.mandate) == (
            role,
            capacity,
            organisation,
            mandate,
        ), actor
        assert context.role is role and context.focus is here
        assert here.partnership == "Family Hubs" and here.channel_id == CHANNEL
        assert not context.outsider_here and context.partnerships == ()
        # Only those who may act as conveners are given the setup checklist.
        assert here.checklist.complete is (role not in (Role.convener, Role.manager)), actor
    convener = (await world.guide.context(ada, HERE)).here
    assert convener is not None and convener.is_convener
    assert convener.checklist.gaps() == [Gap.goal, Gap.reflection, Gap.trust]
    # A thread under the channel is the partnership's too.
    in_thread = await world.guide.context(bea, Where(channel_id=THREAD, parent_id=CHANNEL))
    assert in_thread.here is not None and in_thread.here.role is Role.representative


async def test_a_citizens_voice_is_counted_only_when_the_partnership_says_so(world: World):
    await populate(world)
    here = (await world.guide.context(cy, HERE)).here
    assert here is not None and not here.counted
    await world.register.configure(ada, HUBS, count_individuals=True)
    here = (await world.guide.context(cy, HERE)).here
    assert here is not None and here.counted
    rep = (await world.guide.context(bea, HERE)).here
    assert rep is not None and not rep.counted  # an organisation's voice, not their own


async def test_a_stranger_in_the_channel_learns_nothing_about_it(world: World):
    await populate(world)
    context = await world.guide.context(fay, HERE)
    assert context.here is None and context.outsider_here
    assert context.partnerships == () and context.focus is None
    assert context.role is Role.newcomer and not context.may_create


async def test_elsewhere_the_guide_speaks_of_your_partnerships(world: World):
    await populate(world)
    await create(world, "Housing Board", OTHER_CHANNEL)
    await world.register.add_member(
        ada, PartnershipRef(name="Housing Board"), user_id=bea.user_id, display_name="Bea"
    )
    await world.register.update_member(
        ada, PartnershipRef(name="Housing Board"), user_id=bea.user_id, convener=True
    )
    general = Where(channel_id=1)
    context = await world.guide.context(bea, general)
    assert context.here is None and not context.outsider_here
    assert [(s.partnership, s.role) for s in context.partnerships] == [
        ("Family Hubs", Role.representative),
        ("Housing Board", Role.convener),
    ]
    # The steps are for the strongest role: convening comes before representing.
    assert context.focus is not None and context.focus.partnership == "Housing Board"
    # ... in an open partnership, before an archived one.
    await world.register.archive(ada, PartnershipRef(name="Housing Board"))
    context = await world.guide.context(bea, general)
    assert context.focus is not None and context.focus.partnership == "Family Hubs"
    assert [s.archived for s in context.partnerships] == [False, True]


async def test_someone_in_no_partnership_is_told_how_to_start(world: World):
    await populate(world)
    nobody = await world.guide.context(fay, Where(channel_id=1))
    assert nobody.partnerships == () and nobody.role is Role.newcomer and not nobody.may_create
    with_role = Actor(GUILD, 9, "Gil", role_names=frozenset({"pb admin"}))
    assert (await world.guide.context(with_role, Where(channel_id=1))).may_create
    # A server manager sees every partnership elsewhere, but the guide lists only their own.
    manager = await world.guide.context(mo, Where(channel_id=1))
    assert manager.partnerships == () and manager.role is Role.manager and manager.may_create
    # Another server's partnerships are nobody's business here.
    elsewhere = Actor(GUILD + 1, ada.user_id, "Ada", manage_channels=True)
    assert (await world.guide.context(elsewhere, HERE)).here is None
    assert (await world.guide.context(elsewhere, HERE)).partnerships == ()


async def test_the_guide_reads_without_writing(world: World):
    await populate(world)
    before = len(await log_of(world))
    for actor in (ada, bea, cy, fay, mo):
        await world.guide.context(actor, HERE)
        await world.guide.context(actor, Where(channel_id=1))
        await world.guide.checklist(mo, HUBS)
    assert len(await log_of(world)) == before
