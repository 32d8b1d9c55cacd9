"""The large database the command benchmark runs on, built once per size and kept.

Two twin partnerships, Bench Hub and Busy Hub, live in the fake Discord's server, built through
the services as the bot would (the same three core partners, a representative each, twenty
goals, an open check-in round), with the same bulk-inserted stances but on one goal, "Measured":
ten stances in Bench Hub, thousands in Busy Hub. Around them, the other partnerships of other
servers are bulk-inserted with SQLAlchemy core (three organisations, four members, five goals
with ten stances each), and the log events are spread over all of them (each hub holds a
tenth).

The fake Discord's ids are made the same on every run (`World.build` starts its snowflakes at a
fixed point), so a database built for one run serves the next: it is kept as
`data/benchmarks/commands-<size>-<key>.db`, the key covering those ids and this file. The bot
upgrades its copy at start, so a kept database also serves after a new migration.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.access import Actor, PartnershipRef
from bot.services.goals import GoalService
from bot.services.register import RegisterService
from bot.services.trust import TrustService
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade
from db.models import (
    Event,
    Goal,
    GoalStance,
    Membership,
    Organisation,
    PartnerOrganisation,
    Partnership,
    TrustRound,
    name_key,
)
from tests.e2e.fake_discord import FakeDiscord, Perm
from tests.e2e.harness import REPO_ROOT

HUB = "Bench Hub"
BUSY_HUB = "Busy Hub"
ORGS = ("Council", "Health Trust", "Food Bank")
CACHE = REPO_ROOT / "data" / "benchmarks"
#: Snowflakes of the benchmark's server start here (2030-01-01), the same on every run.
FIRST_SNOWFLAKE = (1_893_456_000_000 - 1_420_070_400_000) << 22
KINDS = ("note.note", "note.decision", "note.action", "note.small_win", "note.risk")


@dataclass(frozen=True)
class Size:
    partnerships: int
    events: int
    many: int  # stances on the busy goal


SIZES = {
    "smoke": Size(partnerships=20, events=5_000, many=300),
    "full": Size(partnerships=1_000, events=320_000, many=3_000),
}


@dataclass
class World:
    """The benchmark's server in the fake Discord: a convener and three representatives."""

    guild: dict[str, Any]
    general: dict[str, Any]
    hub_channel: dict[str, Any]
    busy_channel: dict[str, Any]
    convener: dict[str, Any]
    reps: list[dict[str, Any]]
    few_goal: int = 0
    many_goal: int = 0
    many: int = 0

    @classmethod
    def build(cls, fake: FakeDiscord) -> World:
        fake.snowflake._last = FIRST_SNOWFLAKE
        guild = fake.add_guild("Bench Council")
        general = fake.find_channel(guild, "general")
        assert general is not None
        return cls(
            guild=guild,
            general=general,
            convener=fake.add_member(guild, "Connie Convener", permissions=Perm.MANAGE_GUILD),
            reps=[fake.add_member(guild, f"Rep {org}") for org in ORGS],
            hub_channel=fake.add_channel(guild, "bench-hub"),
            busy_channel=fake.add_channel(guild, "busy-hub"),
        )

    def ids(self) -> str:
        people = [self.convener, *self.reps]
        return ",".join(
            [
                self.guild["id"],
                self.hub_channel["id"],
                self.busy_channel["id"],
                *(m["user"]["id"] for m in people),
            ]
        )


def _key(world: World) -> str:
    digest = hashlib.sha256(world.ids().encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]


async def built(size: str, world: World) -> Path:
    """The database file for this size (built now if not kept yet); fills in the world's
    goal ids."""
    spec = SIZES[size]
    path = CACHE / f"commands-{size}-{_key(world)}.db"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"commands-{size}-*.db"):
            old.unlink()
        work = path.with_suffix(".building")
        work.unlink(missing_ok=True)
        print(f"   building the {size} database (kept in {CACHE})", flush=True)
        await _build(f"sqlite+aiosqlite:///{work}", spec, world)
        shutil.move(work, path)
    await _measured_goals(f"sqlite+aiosqlite:///{path}", spec, world)
    return path


async def built_at(url: str, size: str, world: World) -> None:
    """Build this size's database afresh at `url` (an empty PostgreSQL database, say; not
    kept); fills in the world's goal ids."""
    spec = SIZES[size]
    print(f"   building the {size} database at {make_url(url).database}", flush=True)
    await _build(url, spec, world)
    await _analyzed(url)
    await _measured_goals(url, spec, world)


async def _analyzed(url: str) -> None:
    """Vacuum the tables just filled and gather the planner's statistics, as the server's
    autovacuum does on a database in use. Without the statistics, PostgreSQL plans for the
    empty tables it last saw (a bitmap scan of the heap where an index-only scan serves);
    without the vacuum, no page is yet marked all-visible, and an index-only scan still reads
    the table for every row (autovacuum may be off on the server the benchmark runs on)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            # VACUUM can't run inside a transaction.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


async def _measured_goals(url: str, spec: Size, world: World) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            goals = (
                await conn.execute(
                    select(Partnership.name, Goal.id)
                    .join(Partnership)
                    .where(Goal.title == MEASURED, Partnership.guild_id == int(world.guild["id"]))
                )
            ).all()
    finally:
        await engine.dispose()
    by_hub = dict(goals)
    world.few_goal, world.many_goal, world.many = by_hub[HUB], by_hub[BUSY_HUB], spec.many


async def reopen_round(path: Path) -> None:
    """The kept database's check-in round may have closed since it was built: open it for
    another week, so the bot's round timer finds nothing due."""
    now = datetime.now(UTC)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(TrustRound).values(
                    closes_at=now + timedelta(days=7),
                    remind_at=now + timedelta(days=6),
                    reminded_at=None,
                    closed_at=None,
                )
            )
    finally:
        await engine.dispose()


async def _build(url: str, spec: Size, world: World) -> None:
    await upgrade(url)
    engine = create_engine(url)
    try:
        hubs = [
            await _hub(engine, world, HUB, world.hub_channel, 10),
            await _hub(engine, world, BUSY_HUB, world.busy_channel, spec.many),
        ]
        await _others(engine, spec)
        await _events(engine, spec, hubs)
    finally:
        await engine.dispose()


MEASURED = "Measured"


async def _hub(
    engine: AsyncEngine, world: World, name: str, channel: dict[str, Any], measured: int
) -> int:
    """A hub partnership; its goal "Measured" gets `measured` stances, the others the same few
    in every hub."""
    sessions = create_session_factory(engine)
    guild_id = int(world.guild["id"])
    convener = Actor(guild_id, int(world.convener["user"]["id"]), "Connie", manage_guild=True)
    register = RegisterService(sessions, default_timezone="Europe/London", admin_role_name="x")
    draft = await register.prepare_create(convener, name, "Benchmarks of every command")
    hub = await register.create(convener, draft, int(channel["id"]))
    assert hub.id is not None
    ref = PartnershipRef(name=name)
    org_ids = []
    for org, rep in zip(ORGS, world.reps, strict=True):
        await register.add_partner(convener, ref, org, "public")
        await register.add_member(
            convener,
            ref,
            user_id=int(rep["user"]["id"]),
            display_name=f"Rep {org}",
            organisation=org,
        )
    async with engine.connect() as conn:
        org_ids = list(
            (
                await conn.execute(select(Organisation.id).where(Organisation.guild_id == guild_id))
            ).scalars()
        )
    goals = GoalService(sessions)
    titles = [MEASURED, *(f"Goal {n}" for n in range(19))]
    goal_ids = []
    for title in titles:
        card = await goals.propose(convener, ref, title=title, description="A goal to measure.")
        goal_ids.append(card.id)
    await TrustService(sessions).open_round(convener, ref, window="7d")
    rng = random.Random(14)
    start = datetime.now(UTC) - timedelta(days=400)
    rows = []
    reps = [int(r["user"]["id"]) for r in world.reps]
    counts = [measured, *(rng.randint(0, 6) for _ in titles[1:])]
    for goal_id, count in zip(goal_ids, counts, strict=True):
        for n in range(count):
            rows.append(
                _stance(goal_id, org_ids[n % 3], reps[n % 3], n, start + timedelta(minutes=n))
            )
    async with engine.begin() as conn:
        await conn.execute(insert(GoalStance), rows)
    return hub.id


def _stance(goal_id: int, org_id: int, user_id: int, n: int, at: datetime) -> dict[str, Any]:
    return {
        "goal_id": goal_id,
        "organisation_id": org_id,
        "user_id": user_id,
        "display_name": f"Rep {n % 3}",
        "capacity": "representative",
        "stance": ("agree", "reservations", "unsure", "object")[n % 4],
        "comment": f"Stance {n}" if n % 5 == 0 else None,
        "recorded_at": at,
    }


async def _others(engine: AsyncEngine, spec: Size) -> None:
    """The other partnerships, in servers of their own (ten per server)."""
    start = datetime.now(UTC) - timedelta(days=400)
    base_pid, base_org, base_goal = 1_000, 10_000, 100_000
    partnerships, orgs, partners, members, goals, stances = [], [], [], [], [], []
    for n in range(spec.partnerships - 1):
        pid, guild = base_pid + n, 10_000 + n // 10
        partnerships.append(
            {
                "id": pid,
                "guild_id": guild,
                "name": f"Partnership {n}",
                "name_key": name_key(f"Partnership {n}"),
                "purpose": "Work together on something that matters.",
                "timezone": "Europe/London",
                "created_by": 1,
                "created_at": start,
            }
        )
        for k in range(3):
            oid = base_org + 3 * n + k
            orgs.append(
                {
                    "id": oid,
                    "guild_id": guild,
                    "name": f"Org {n}-{k}",
                    "name_key": name_key(f"Org {n}-{k}"),
                    "sector": "public",
                }
            )
            partners.append({"partnership_id": pid, "organisation_id": oid, "joined_at": start})
            members.append(
                {
                    "partnership_id": pid,
                    "user_id": 500_000 + 4 * n + k,
                    "display_name": f"Rep {n}-{k}",
                    "organisation_id": oid,
                    "capacity": "representative",
                    "is_convener": False,
                    "joined_at": start,
                }
            )
        members.append(
            {
                "partnership_id": pid,
                "user_id": 500_000 + 4 * n + 3,
                "display_name": f"Convener {n}",
                "organisation_id": None,
                "capacity": "individual",
                "is_convener": True,
                "joined_at": start,
            }
        )
        for g in range(5):
            gid = base_goal + 5 * n + g
            goals.append(
                {
                    "id": gid,
                    "partnership_id": pid,
                    "title": f"Goal {g}",
                    "title_key": name_key(f"Goal {g}"),
                    "proposed_by": 1,
                    "proposed_at": start,
                    "updated_at": start,
                }
            )
            for s in range(10):
                stances.append(
                    _stance(gid, base_org + 3 * n + s % 3, 500_000 + 4 * n + s % 3, s, start)
                )
    async with engine.begin() as conn:
        for model, rows in (
            (Partnership, partnerships),
            (Organisation, orgs),
            (PartnerOrganisation, partners),
            (Membership, members),
            (Goal, goals),
            (GoalStance, stances),
        ):
            for i in range(0, len(rows), 5_000):
                await conn.execute(insert(model), rows[i : i + 5_000])


async def _events(engine: AsyncEngine, spec: Size, hubs: list[int]) -> None:
    """The log: a tenth in each hub, the rest spread over the others, over 400 days."""
    async with engine.connect() as conn:
        pids = list((await conn.execute(select(Partnership.id, Partnership.guild_id))).all())
        before = (await conn.execute(select(func.count()).select_from(Event))).scalar_one()
    guilds = dict(pids)
    others = [pid for pid, _ in pids if pid not in hubs]
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=400)
    step = timedelta(days=400) / max(1, spec.events)
    batch: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        for n in range(max(0, spec.events - before)):
            pid = hubs[n % 10] if n % 10 < len(hubs) or not others else others[n % len(others)]
            kind = KINDS[n % len(KINDS)]
            text = f"Entry {n}: " + " ".join(
                rng.choice(("we", "agree", "to", "meet", "again")) for _ in range(10)
            )
            batch.append(
                {
                    "guild_id": guilds[pid],
                    "partnership_id": pid,
                    "kind": kind,
                    "actor_id": 500_000 + n % 50,
                    "occurred_at": start + step * n,
                    "summary": f"Someone logged: “{text}”.",
                    "payload": {"text": text, "meeting_id": None, "goal_id": None},
                }
            )
            if len(batch) == 5_000:
                await conn.execute(insert(Event), batch)
                batch = []
        if batch:
            await conn.execute(insert(Event), batch)
