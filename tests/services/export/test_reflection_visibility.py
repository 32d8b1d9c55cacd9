"""Exports honour who sees a reflection answer: a private answer's text is in no format (Markdown,
HTML, the CSV zip, JSON with its records) for any audience; anonymous answers appear only in
internal exports, without author, organisation or time, and only once at least k organisations
answered; answers replaced or withdrawn by their author are gone too."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.access import Actor, PartnershipRef
from bot.services.export.document import Audience, Format
from bot.services.export.importer import import_document
from bot.services.export.service import ExportRequest, ExportService
from bot.services.reflection import ReflectionService
from bot.services.register import RegisterService
from db.engine import SessionFactory
from tests.services.export.json_world import NEW_GUILD, normalise, partnership_named, record_list

GUILD = 1000
CHANNEL = 5555
NAME = "Family Hubs"
HUBS = PartnershipRef(name=NAME)

ada = Actor(GUILD, 900000000000000001, "Adaeze Okafor", manage_channels=True)
bea = Actor(GUILD, 900000000000000002, "Beatrix Lowe")  # Riverside Council
cy = Actor(GUILD, 900000000000000003, "Cyrus Mendel")  # Food Bank
fay = Actor(GUILD, 900000000000000006, "Fenella Quist")  # Parents' Forum
PEOPLE = (ada, bea, cy, fay)
ORGANISATIONS = ("Riverside Council", "Food Bank", "Parents' Forum")

NAMED = "Shared referrals cut the waiting list"
REPLACED = "An early draft I thought better of"
WITHDRAWN = "Words taken back by their author"
ANONYMOUS = ("Money quietly decides", "The agenda is set before we meet", "Parents hear last")
WITHHELD = ("Only two organisations said this", "Nor should this be seen")
PRIVATE = ("Privately I doubt the council", "A note to myself about the forum")
NEVER = (REPLACED, WITHDRAWN, *WITHHELD, *PRIVATE)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(minutes=1)
        return self.at


@pytest.fixture
async def world(sessions: SessionFactory) -> ExportService:
    clock = Clock()
    register = RegisterService(
        sessions, default_timezone="Europe/London", admin_role_name="x", clock=clock
    )
    p = await register.create(ada, await register.prepare_create(ada, NAME, "Early help"), CHANNEL)
    for org in ORGANISATIONS:
        await register.add_partner(ada, HUBS, org, "voluntary")
    for actor, org in zip((bea, cy, fay), ORGANISATIONS, strict=True):
        await register.add_member(
            ada, HUBS, user_id=actor.user_id, display_name=actor.display_name, organisation=org
        )
    await register.configure(ada, HUBS, research_consent=True)
    reflection = ReflectionService(sessions, clock=clock)
    messages = iter(range(7000, 8000))

    async def post(theme: str, visibility: str | None = None) -> int:
        draft = await reflection.prepare_now(ada, HUBS, theme, visibility)
        await reflection.mark_posted(draft.post_id, channel_id=CHANNEL, message_id=next(messages))
        await reflection.mark_thread(draft.post_id, next(messages))
        return draft.post_id

    named = await post("goals")
    await reflection.answer(bea, named, REPLACED)
    await reflection.answer(bea, named, NAMED)
    await reflection.answer(cy, named, WITHDRAWN)
    await reflection.withdraw(cy, named)
    released = await post("power")
    for actor, text in zip((bea, cy, fay), ANONYMOUS, strict=True):
        await reflection.answer(actor, released, text)
    withheld = await post("power")
    for actor, text in zip((bea, cy), WITHHELD, strict=True):
        await reflection.answer(actor, withheld, text)
    private = await post("goals", "private")
    for actor, text in zip((bea, ada), PRIVATE, strict=True):
        await reflection.answer(actor, private, text)
    assert p.id is not None
    return ExportService(sessions, clock=clock)


REQUESTS = [
    ExportRequest(fmt, audience)
    for fmt in (Format.markdown, Format.html, Format.csv, Format.json)
    for audience in (Audience.internal, Audience.external)
] + [
    ExportRequest(fmt, Audience.internal, pseudonymise=True, keep_text=True)
    for fmt in (Format.markdown, Format.csv, Format.json)
]


async def export(service: ExportService, request: ExportRequest) -> str:
    """The export's whole text (every file of a zip, one after the other)."""
    done = await service.export_as_operator(GUILD, NAME, request)
    raw = done.path.read_bytes()
    done.path.unlink()
    if request.format == Format.csv:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return raw.decode()


def label(request: ExportRequest) -> str:
    extra = "-pseudonymised" if request.pseudonymise else ""
    return f"{request.format}-{request.audience}{extra}"


@pytest.mark.parametrize("request_", REQUESTS, ids=label)
async def test_private_withheld_replaced_and_withdrawn_answers_are_in_no_export(
    world: ExportService, request_: ExportRequest
):
    text = await export(world, request_)
    for words in NEVER:
        assert words not in text, (label(request_), words)
    shown = request_.audience == Audience.internal
    for words in (NAMED, *ANONYMOUS):
        assert (words in text) is shown, (label(request_), words)


async def test_the_json_export_names_no_author_of_an_anonymous_answer(world: ExportService):
    document = json.loads(await export(world, ExportRequest(Format.json)))
    reflections = {r["post_id"]: r for r in document["reflections"]}
    named, released, withheld, private = sorted(reflections)
    assert [reflections[p]["visibility"] for p in (named, released, withheld, private)] == [
        "named",
        "anonymous",
        "anonymous",
        "private",
    ]
    [answer] = reflections[named]["answers"]
    assert answer["text"] == NAMED and answer["author"]["name"] == bea.display_name
    assert answer["organisation"] == "Riverside Council"
    assert reflections[named]["answer_count"] == 1  # replaced and withdrawn ones don't count
    anonymous = reflections[released]["answers"]
    assert sorted(a["text"] for a in anonymous) == sorted(ANONYMOUS)
    assert all(a["author"] is None and a["organisation"] is None for a in anonymous)
    assert all(a["at"] is None for a in anonymous)
    assert not reflections[released]["answers_withheld"]
    assert reflections[withheld]["answers_withheld"] and reflections[withheld]["answers"] == []
    assert reflections[withheld]["answer_count"] == 2
    assert reflections[private]["answers"] == [] and reflections[private]["answer_count"] == 2

    # The stored records: no private answer, no anonymous one unshown, none with its author.
    rows = document["records"]["prompt_answer"]
    by_text = {row["text"]: row for row in rows}
    assert set(by_text) >= {NAMED, *ANONYMOUS}
    for words in ANONYMOUS:
        row = by_text[words]
        assert (row["user_id"], row["organisation_id"], row["display_name"]) == (None, None, "")
        assert "message_id" not in row and "channel_id" not in row
    assert by_text[NAMED]["user_id"] == bea.user_id
    # Replaced and withdrawn named answers travel as their markers, never their words.
    assert "replaced by its author's later answer" in by_text
    assert "withdrawn by its author" in by_text
    # No log entry ties an anonymous or private answer to a person.
    for entry in document["records"]["event"]:
        if entry["kind"] == "prompt.answered" and entry["payload"].get("visibility"):
            assert entry["actor_id"] is None and "answer" not in entry["payload"]
    for entry in document["log"]:
        if entry["kind"] == "prompt.answered" and entry["payload"].get("visibility"):
            assert entry["actor"] is None


async def test_csv_and_markdown_write_anonymous_answers_without_a_name(world: ExportService):
    text = await export(world, ExportRequest(Format.csv))
    with zipfile.ZipFile(io.BytesIO(await _raw(world, Format.csv))) as archive:
        answers = archive.read("reflection_answers.csv").decode()
        reflections = archive.read("reflections.csv").decode()
    header, *lines = answers.splitlines()
    assert header == "post_id,author,author_user_id,organisation,text,at"
    anonymous = [line for line in lines if any(words in line for words in ANONYMOUS)]
    assert len(anonymous) == 3
    for line in anonymous:
        _post, author, user_id, organisation, _text, at = line.split(",")
        assert (author, user_id, organisation, at) == ("", "", "", "")
    assert "visibility,answers_withheld" in reflections.splitlines()[0]
    assert ",anonymous,true," in reflections and ",private,false," in reflections
    assert "who sees a reflection answer" in text  # the codebook explains the column

    markdown = await export(world, ExportRequest(Format.markdown))
    for words in ANONYMOUS:
        [line] = [line for line in markdown.replace("\\", "").splitlines() if words in line]
        assert line.startswith("- anonymous: "), line
        assert not any(p.display_name in line for p in PEOPLE)
    plain = markdown.replace("\\", "")  # Markdown's escapes aside
    assert "Answers: private, each seen only by its author; never exported." in plain
    assert "Answers: anonymous, withheld: fewer than 3 organisations had answered" in plain


async def _raw(service: ExportService, fmt: Format) -> bytes:
    done = await service.export_as_operator(GUILD, NAME, ExportRequest(fmt))
    raw = done.path.read_bytes()
    done.path.unlink()
    return raw


async def test_an_import_brings_anonymous_answers_without_their_authors(
    world: ExportService, tmp_path
):
    sessions = world.sessions
    source = await partnership_named(sessions, GUILD)
    before = await record_list(sessions, source, world.clock.now())
    done = await world.export_as_operator(GUILD, NAME, ExportRequest(Format.json))
    path = tmp_path / "hubs.json"
    path.write_bytes(done.path.read_bytes())
    await import_document(sessions, path, NEW_GUILD, now=world.clock.now())
    moved = await partnership_named(sessions, NEW_GUILD)
    after = await record_list(sessions, moved, world.clock.now())
    # What came along is what left, up to ids: anonymous answers still have no author.
    assert normalise(after) == normalise(before)
    answers = [row for table, row in after if table == "prompt_answer"]
    anonymous = [row for row in answers if row["visibility"] == "anonymous"]
    assert sorted(row["text"] for row in anonymous) == sorted(ANONYMOUS)
    assert all(row["user_id"] is None for row in anonymous)
    assert not [row for row in answers if row["visibility"] == "private"]
    # The moved partnership's export shows the same reflections (under new numbers).
    moved_export = await world.export_as_operator(NEW_GUILD, NAME, ExportRequest(Format.json))
    again = json.loads(moved_export.path.read_bytes())
    first = json.loads(path.read_bytes())

    def without_numbers(document: dict) -> list[dict]:
        return [{**r, "post_id": None, "answer_count": None} for r in document["reflections"]]

    assert without_numbers(again) == without_numbers(first)
    # Private answers and anonymous ones never shown stayed behind: they are not counted.
    counts = [(r["visibility"], r["answer_count"]) for r in again["reflections"]]
    assert counts == [("named", 1), ("anonymous", 3), ("anonymous", 0), ("private", 0)]
