"""A hand-built export `Document` with hostile text in every free-text field, for the writers'
own tests (what gather builds from a real database is tested in tests/services/export/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime

from bot.services.export.document import (
    AnswerRow,
    Attendee,
    Audience,
    Document,
    GoalRow,
    Header,
    LinkRow,
    LogRow,
    MeetingRow,
    MembershipSpell,
    NoteRow,
    OrganisationRow,
    Person,
    ReadingCount,
    ReflectionRow,
    StanceCell,
    TrustRoundRow,
)

# Text that would do harm if a writer trusted it.
HTML_ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MARKDOWN_ATTACK = "**bold** [click](https://evil.example) `code` # heading"
MENTION_ATTACK = "@everyone <@123> <@&456> @here"
FORMULA_ATTACK = '=HYPERLINK("https://evil.example")'

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


ADA = Person("Ada", 2)
BEA = Person(f"Bea {HTML_ATTACK}", 10)
CY = Person("Cy", 11)


def sample(audience: Audience = Audience.internal, *, withheld: int = 1) -> Document:
    internal = audience == Audience.internal

    def person(p: Person) -> Person | None:
        return p if internal else None

    header = Header(
        partnership=f"Family Hubs {HTML_ATTACK}",
        purpose=f"Joined-up early help {MARKDOWN_ATTACK}",
        timezone="Europe/London",
        audience=audience,
        k=3,
        withheld=withheld,
        generated_at=at(20),
        since=date(2026, 3, 1),
        until=date(2026, 3, 31),
        exported_by=person(ADA),
    )
    organisations = [
        OrganisationRow("1", "Riverside Council", "public", "core", at(1), None),
        OrganisationRow(
            "2", f"Food Bank {HTML_ATTACK}", "voluntary", "core", at(2), None, "associate", "medium"
        ),
        OrganisationRow("3", "Parents' Forum", "community", "associate", at(3), at(15)),
    ]
    spells = [
        MembershipSpell(
            person(ADA), "Riverside Council", "representative", "can_commit", True, at(1), None
        ),
        MembershipSpell(
            person(BEA),
            f"Food Bank {HTML_ATTACK}",
            "representative",
            "must_refer_back",
            False,
            at(2),
            None,
        ),
        MembershipSpell(person(CY), "Parents' Forum", "representative", None, False, at(3), at(15)),
    ]
    goals = [
        GoalRow(
            id=1,
            title=f"Fewer families in crisis {HTML_ATTACK}",
            description=f"{MARKDOWN_ATTACK} {MENTION_ATTACK}",
            level="collaboration",
            labels={"origin": "members", "relevance": "shared", "content": "substantive"}
            | ({"authenticity": "pseudo"} if internal else {}),
            owner=None,
            status="active",
            progress=40,
            review_on=date(2026, 6, 1),
            proposed_at=at(4),
            agreed_at=at(6),
            agreed=True,
            readings=[
                ReadingCount("origin", "external", 2),
                ReadingCount("origin", "members", 1),
                ReadingCount("relevance", "needs_collaboration", 1),
            ],
            matrix=[
                StanceCell(
                    "Riverside Council",
                    "Riverside Council",
                    "endorse",
                    True,
                    at(5),
                    person(ADA),
                    "Yes" if internal else None,
                ),
                StanceCell(
                    f"Food Bank {HTML_ATTACK}",
                    f"Food Bank {HTML_ATTACK}",
                    "reservations",
                    True,
                    at(6),
                    person(BEA),
                    f"{HTML_ATTACK} {MENTION_ATTACK}" if internal else None,
                ),
            ],
        ),
        GoalRow(
            id=2,
            title="One front door",
            description="",
            level="organisation",
            labels={"origin": "members"},
            owner="Riverside Council",
            status="proposed",
            progress=None,
            review_on=None,
            proposed_at=at(7),
            agreed_at=None,
            agreed=False,
        ),
    ]
    links = [LinkRow(2, 1, "contributes")]
    meetings = [
        MeetingRow(
            id=40,
            title=f"March meeting {MARKDOWN_ATTACK}",
            started_at=at(10, 18),
            ended_at=at(10, 19),
            started_by=person(ADA),
            attendance=[
                Attendee(person(ADA), "Riverside Council"),
                Attendee(person(BEA), f"Food Bank {HTML_ATTACK}"),
            ],
        )
    ]
    trust = [
        TrustRoundRow(
            30,
            at(8),
            at(9),
            3,
            True,
            {
                "expectations": 3.7,
                "follow_through": 4.0,
                "reliance": 3.3,
                "fair_say": 3.0,
                "listened": None,
            },
            2,
            None,
            0.5,
            0.66,
        ),
        TrustRoundRow(31, at(16), at(17), 2, False, {}, None, None),
    ]
    reflections = [
        ReflectionRow(
            50,
            "power",
            f"Who holds power here? {MARKDOWN_ATTACK}",
            at(11),
            2,
            [
                AnswerRow(
                    person(BEA),
                    f"Food Bank {HTML_ATTACK}",
                    f"{HTML_ATTACK} {FORMULA_ATTACK}",
                    at(11, 12),
                ),
                AnswerRow(
                    person(CY), "Parents' Forum", "removed at the author's request", at(11, 13)
                ),
            ]
            if internal
            else [],
        )
    ]
    notes = [
        NoteRow(
            41,
            "decision",
            f"We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}",
            at(
                10,
                18,
            ),
            person(ADA),
            goal_id=1,
            goal_title="Fewer families in crisis",
            review_on=date(2026, 5, 1),
            meeting_id=40,
        ),
        NoteRow(
            42,
            "action",
            f"Draft the leaflet {HTML_ATTACK} {FORMULA_ATTACK}",
            at(10, 18),
            person(ADA),
            owner=person(BEA),
            owner_organisation=f"Food Bank {HTML_ATTACK}",
            due=date(2026, 3, 20),
            state="overdue",
            meeting_id=40,
        ),
        NoteRow(43, "small_win", "First shared referral", at(12), person(CY)),
        NoteRow(44, "risk", "removed at the author's request", at(13), person(BEA)),
    ]
    log = [
        LogRow(
            1,
            at(1),
            "partnership.created",
            person(ADA),
            "Ada created the partnership." if internal else "The partnership was created.",
            {},
            None,
        ),
        LogRow(
            41,
            at(10, 18),
            "note.decision",
            person(ADA),
            f"{'Ada recorded a decision' if internal else 'A decision was recorded'}: "
            f"“We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}”.",
            {"text": f"We agree {MARKDOWN_ATTACK} {MENTION_ATTACK}"},
            "https://discord.com/channels/1/2/3",
        ),
    ]

    async def note_stream(kind: str | None) -> AsyncIterator[NoteRow]:
        for note in notes:
            if kind is None or note.kind == kind:
                yield note

    async def log_stream() -> AsyncIterator[LogRow]:
        for row in log:
            yield row

    return Document(
        header=header,
        organisations=organisations,
        spells=spells,
        goals=goals,
        links=links,
        meetings=meetings,
        trust=trust,
        reflections=reflections,
        notes=note_stream,
        log=log_stream,
    )


def meeting_sample(audience: Audience = Audience.internal) -> Document:
    """The sample as a meeting's export: its header names meeting 40, during which the decision
    (41) and the action (42) were logged; the small win and the risk were not."""
    document = sample(audience)
    (meeting,) = document.meetings
    document.header = replace(document.header, meeting_id=meeting.id, meeting_title=meeting.title)
    return document
