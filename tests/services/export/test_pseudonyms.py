"""The pseudonymised research export: stable pseudonyms, no Discord ids, sectors kept, free
text dropped unless kept, and the consent gate that refuses without writing anything."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sqlmodel import select

from bot.errors import Forbidden, UserFacingError
from bot.services.access import PartnershipRef
from bot.services.export import writers
from bot.services.export.document import Audience, Format, Person
from bot.services.export.gather import gather
from bot.services.export.lens import DISCORD_KEYS, PERSON_KEYS
from bot.services.export.pseudonyms import Pseudonyms
from bot.services.export.service import ExportRequest, ExportService
from db.engine import SessionFactory, transaction
from db.models import ExportRecord, Organisation, Partnership
from tests.services.export.world import (
    COUNCIL,
    FOOD_BANK,
    GUILD,
    HUBS,
    MEMBERS,
    MENTION_NOTE,
    NAME,
    NOW,
    OVERDUE_ACTION,
    RISK,
    Read,
    World,
    bea,
    build_world,
    cy,
    everything,
    read,
    strings,
    tiny_writer,
)

RESEARCH = ExportRequest(format=Format.markdown, pseudonymise=True)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    return await build_world(sessions)


@pytest.fixture(autouse=True)
def writer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The stand-in writer, and temporary files kept in the test's own folder."""
    monkeypatch.setitem(writers.WRITERS, Format.markdown, tiny_writer)
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


async def consent(w: World, on: bool = True) -> None:
    async with transaction(w.sessions) as session:
        partnership = await session.get(Partnership, w.partnership_id)
        assert partnership is not None
        partnership.research_consent = on
        session.add(partnership)


async def partnership(w: World) -> Partnership:
    async with w.sessions() as session:
        found = await session.get(Partnership, w.partnership_id)
    assert found is not None
    return found


async def research(
    w: World, salt: str, *, keep_text: bool = False, audience: Audience = Audience.internal
) -> Read:
    document = await gather(
        w.sessions,
        await partnership(w),
        audience=audience,
        since=None,
        until=None,
        meeting_id=None,
        now=NOW,
        exported_by=Person(bea.display_name, bea.user_id),
        pseudonyms=Pseudonyms(salt),
        keep_text=keep_text,
    )
    return await read(document)


def people_in(r: Read) -> list[str]:
    return sorted({v.name for v in everything(r) if isinstance(v, Person)})


async def organisation_names(w: World) -> list[str]:
    async with w.sessions() as session:
        return [o.name for o in (await session.exec(select(Organisation))).all()]


def test_pseudonyms_are_keyed_hmacs_of_the_id():
    first, again, other = Pseudonyms("a" * 64), Pseudonyms("a" * 64), Pseudonyms("b" * 64)
    assert first.person(42) == again.person(42)
    assert first.person(42) != other.person(42) != first.person(43)
    assert first.person(42).startswith("Person ") and len(first.person(42)) == len("Person ") + 10
    assert first.organisation(42).startswith("Organisation ")
    assert first.organisation(42)[-10:] != first.person(42)[-10:]
    with pytest.raises(ValueError):
        Pseudonyms("")


async def test_no_names_no_discord_ids_sectors_kept_and_text_dropped(world: World):
    r = await research(world, "salt")
    texts = strings(r)
    values = everything(r)
    for member in MEMBERS:
        assert not [t for t in texts if member.display_name.casefold() in t.casefold()], member
        assert not [t for t in texts if str(member.user_id) in t], member
        assert member.user_id not in values
    for name in await organisation_names(world):
        assert not [t for t in texts if name in t], name
    assert not [t for t in texts if "discord.com" in t]
    assert all(v.user_id is None for v in values if isinstance(v, Person))
    assert not [k for k in values if isinstance(k, str) and k in PERSON_KEYS | DISCORD_KEYS]
    assert all(row.link is None for row in r.log) and all(n.link is None for n in r.notes)
    # Sectors kept, organisations by pseudonym.
    assert sorted(o.sector for o in r.document.organisations) == sorted(
        ["public", "voluntary", "health", "community_group", "voluntary"]
    )
    assert all(
        o.name.startswith("Organisation ") and o.key == o.name for o in r.document.organisations
    )
    assert r.document.header.pseudonymised and not r.document.header.keep_text
    assert r.document.header.purpose == ""
    # Free text dropped: notes, comments, answers, titles, summaries that quoted them.
    assert {n.text for n in r.notes} == {""}
    assert all(c.comment in (None, "") for g in r.document.goals for c in g.matrix)
    assert [g.title for g in r.document.goals] == [f"Goal {g.id}" for g in r.document.goals]
    assert [a.text for a in r.document.reflections[0].answers] == ["", ""]
    assert r.document.meetings[0].title == f"Meeting {world.meeting_id}"
    for text in (RISK, OVERDUE_ACTION, MENTION_NOTE):
        assert not [t for t in texts if text in t]
    assert r.document.header.partnership == NAME
    # Who did what stays, under pseudonyms: Bea is one person throughout.
    bea_name = Pseudonyms("salt").person(bea.user_id)
    notes = {n.id: n for n in r.notes}
    assert notes[world.note_ids["overdue"]].owner == Person(bea_name, None)
    assert r.document.header.exported_by == Person(bea_name, None)
    assert (
        notes[world.note_ids["overdue"]].owner_organisation
        == r.document.meetings[0].attendance[0].organisation
    )


async def test_keep_text_keeps_the_words_with_names_replaced(world: World):
    r = await research(world, "salt", keep_text=True)
    notes = {n.id: n for n in r.notes}
    p = Pseudonyms("salt")
    assert notes[world.note_ids["risk"]].text == RISK
    assert notes[world.note_ids["mention"]].text.startswith(
        f"Thanks {p.person(bea.user_id)} and {p.person(cy.user_id)} for the referral"
    )
    assert "<@" not in " ".join(strings(r))
    assert r.document.header.keep_text
    for member in MEMBERS:
        assert not [t for t in strings(r) if str(member.user_id) in t]


async def test_the_same_pseudonyms_on_every_run_and_none_shared_with_another_salt(world: World):
    first, second = await research(world, "salt"), await research(world, "salt")
    assert people_in(first) == people_in(second)
    assert [o.name for o in first.document.organisations] == [
        o.name for o in second.document.organisations
    ]
    other = await research(world, "pepper")
    assert not set(people_in(first)) & set(people_in(other))
    # The external audience, pseudonymised: organisations by pseudonym, still no person.
    external = await research(world, "salt", audience=Audience.external)
    assert people_in(external) == []
    assert [o.name for o in external.document.organisations] == [
        o.name for o in first.document.organisations
    ]


async def test_two_research_exports_share_one_salt(world: World):
    await consent(world)
    assert (await partnership(world)).research_salt is None
    service = ExportService(world.sessions, clock=world.clock)
    first = await service.export_as_operator(GUILD, NAME, RESEARCH)
    salt = (await partnership(world)).research_salt
    assert salt is not None and len(salt) == 64
    second = await service.export_as_operator(GUILD, NAME, RESEARCH)
    assert (await partnership(world)).research_salt == salt
    one, two = first.path.read_text(), second.path.read_text()
    assert one == two and Pseudonyms(salt).person(bea.user_id) in one
    assert COUNCIL not in one and FOOD_BANK not in one
    assert first.filename.endswith("-internal-research.md")
    async with world.sessions() as session:
        records = (await session.exec(select(ExportRecord))).all()
    assert [(r.via, r.pseudonymised, r.user_id) for r in records] == [("cli", True, None)] * 2
    first.path.unlink()
    second.path.unlink()


async def test_without_consent_nothing_is_written(world: World, writer: Path):
    service = ExportService(world.sessions, clock=world.clock)
    with pytest.raises(UserFacingError, match="research_consent:on") as refused:
        await service.export_as_operator(GUILD, NAME, RESEARCH)
    assert "has not consented" in refused.value.message
    await consent(world, on=False)
    with pytest.raises(UserFacingError, match="research_consent"):
        await service.export_as_operator(GUILD, NAME, RESEARCH)
    async with world.sessions() as session:
        assert (await session.exec(select(ExportRecord))).all() == []
    assert (await partnership(world)).research_salt is None
    assert os.listdir(writer) == []
    # From Discord, never: the research export is the operator's, even with consent.
    await consent(world)
    with pytest.raises(Forbidden, match="command line"):
        await service.export(bea, HUBS, RESEARCH)
    with pytest.raises(UserFacingError, match="only to a pseudonymised"):
        await service.export(
            bea, PartnershipRef(name=NAME), ExportRequest(Format.markdown, keep_text=True)
        )
    async with world.sessions() as session:
        assert (await session.exec(select(ExportRecord))).all() == []
