"""The words of /todo, the announcement line, nudges and the digest keep within Discord's
limits however much comes, and escape every piece of user text they show."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.replies import EMBED_FIELD_LIMIT, MESSAGE_LIMIT
from bot.services.digest import Digest, DigestAction, DigestGoal, ReflectionCount
from bot.services.goals import Announcement, Nudge, Recipient
from bot.services.health import HealthSignal, Subject
from bot.services.todo import TodoItem, TodoKind, TodoList
from cogs._digest_text import digest_embed
from cogs._goal_announcements import announcement_line
from cogs._goal_nudges import MAX_MENTIONS, Delivered, nudge_channel, nudge_dm, nudge_reply
from cogs._todo_text import empty_text, item_line, todo_embed

LONG = "Every *family* knows where to go @everyone " * 10  # 430 characters
LINK = "https://discord.com/channels/1/2/3"
EMBED_TOTAL_LIMIT = 6000


def item(kind: str, number: int, partnership: str = "Family Hubs") -> TodoItem:
    return TodoItem(
        kind=kind,
        partnership_id=1,
        partnership=partnership,
        number=number,
        title=LONG,
        link=LINK,
        organisation="Food *Bank*",
        due=date(2026, 3, 20),
        closes_at=datetime(2026, 3, 20, tzinfo=UTC),
        posted_at=datetime(2026, 3, 10, tzinfo=UTC),
        overdue=number % 2 == 0,
    )


def within_limits(embed) -> None:
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert len(field.value) <= EMBED_FIELD_LIMIT and len(field.name) <= 256


def test_a_long_todo_fits_and_counts_what_it_leaves_out():
    items = [item(kind, n) for kind in TodoKind for n in range(60)]
    todo = TodoList(items, partnership=None, partnerships=3)
    embed = todo_embed(todo)
    within_limits(embed)
    assert [f.name for f in embed.fields] == [
        "Goals waiting for your stance (60)",
        "Goals waiting for your organisation's response (60)",
        "Reflective prompts to answer (last 14 days) (60)",
        "Trust check-in to answer (60)",
        "Your actions (60)",
    ]
    assert all("more" in f.value for f in embed.fields)  # "… and N more"
    assert "@everyone" not in str(embed.to_dict())


def test_each_line_names_the_command_that_settles_it():
    lines = {kind: item_line(item(kind, 4), several=False) for kind in TodoKind}
    assert "`/goal endorse goal:4`" in lines[TodoKind.stance]
    assert (
        "for **Food \\*Bank\\***" in lines[TodoKind.stance] and "by 2026-03-20" in lines["stance"]
    )
    assert "`/goal respond goal:4`" in lines[TodoKind.response]
    assert "for **Food \\*Bank\\***" in lines[TodoKind.response]
    assert "`/reflect respond prompt:4`" in lines[TodoKind.prompt]
    assert "`/trust checkin`" in lines[TodoKind.trust]
    assert "`/log done action:4`" in lines[TodoKind.action]
    assert "⚠️ overdue #4" in lines[TodoKind.action]
    assert f"[card]({LINK})" in lines["stance"] and f"[note]({LINK})" in lines["action"]
    several = item_line(item(TodoKind.trust, 4, "Youth *Hub*"), several=True)
    assert several.startswith("• **Youth \\*Hub\\*** · ")
    assert "`/trust checkin partnership:Youth \\*Hub\\*`" in several


def test_empty_replies_say_why():
    assert "Nothing waits for you in **Family Hubs**" in empty_text(TodoList([], "Family Hubs", 1))
    assert "aren't a member" in empty_text(TodoList([], "Family Hubs", 1, member=False))
    assert "archived" in empty_text(TodoList([], "Family Hubs", 1, archived=True))
    assert "your 2 partnerships" in empty_text(TodoList([], None, 2))
    assert "don't belong" in empty_text(TodoList([], None, 0))


def test_the_announcement_line_is_one_message_and_escapes_the_title():
    a = Announcement(
        goal_id=3,
        title=LONG,
        partnership="Family Hubs",
        guild_id=1,
        channel_id=2,
        card_link=LINK,
        agreed=True,
        rule="consensus",
        supportive=3,
        voices=3,
        status=("agreed", "in_progress"),
        progress=(None, 40),
        by_organisation="Food *Bank*",
    )
    line = announcement_line(a)
    assert len(line) <= MESSAGE_LIMIT and line.endswith(LINK)
    assert "**agreed** (consensus, 3 of 3 voices), on Food \\*Bank\\*'s stance" in line
    assert "is now **in progress** (was agreed)" in line and "progress unset → **40%**" in line
    assert "@everyone" not in line and "@\u200beveryone" in line


def nudge(recipients: int) -> Nudge:
    return Nudge(
        goal_id=3,
        title=LONG,
        partnership_id=1,
        partnership="Family *Hubs*",
        guild_id=1,
        channel_id=2,
        card_link=LINK,
        respond_by=date(2026, 3, 20),
        recipients=tuple(Recipient(10**17 + n, "Food Bank") for n in range(recipients)),
        organisations=tuple(f"Organisation {n} " * 5 for n in range(30)),
        unreachable=("Housing",),
        people=2,
        automatic=False,
    )


def test_nudge_messages_fit_and_escape():
    n = nudge(200)
    dm = nudge_dm(n, n.recipients[0])
    assert len(dm) <= MESSAGE_LIMIT and "@\u200beveryone" in dm and "by 2026-03-20" in dm
    assert "Family \\*Hubs\\*" in dm and LINK in dm
    own = nudge_dm(n, Recipient(5, None))
    assert "your own stance" in own
    batch = [r.user_id for r in n.recipients[:MAX_MENTIONS]]
    line = nudge_channel(n, batch)
    assert len(line) <= MESSAGE_LIMIT and all(f"<@{u}>" in line for u in batch)
    reply = nudge_reply(n, Delivered(direct=batch, mentioned=batch, missed=batch))
    assert len(reply) <= MESSAGE_LIMIT


def test_a_busy_digest_fits_discords_limits_and_quotes_nobody():
    goals = [DigestGoal(n, LONG, "collaboration", LINK) for n in range(80)]
    signals = [
        HealthSignal(
            key="objections",
            level="attention",
            finding="Some open goals meet an objection. " * 5,
            subjects=tuple(Subject(name=LONG, number=n, names=(LONG,)) for n in range(5)),
        )
        for _ in range(10)
    ]
    digest = Digest(
        partnership_id=1,
        partnership=LONG,
        guild_id=1,
        channel_id=2,
        timezone="Europe/London",
        since=datetime(2026, 3, 9, 9, tzinfo=UTC),
        until=datetime(2026, 3, 16, 9, tzinfo=UTC),
        first_day=date(2026, 3, 9),
        last_day=date(2026, 3, 15),
        new_goals=goals,
        agreed=goals,
        attention=signals,
        reflections=[ReflectionCount(f"Org {n} " * 20, n) for n in range(60)]
        + [ReflectionCount(None, 4)],
        prompts_posted=2,
        actions_due=[DigestAction(n, 10**17 + n, date(2026, 3, 18), LINK) for n in range(80)],
    )
    embed = digest_embed(digest)
    within_limits(embed)
    names = [f.name for f in embed.fields]
    assert names[:2] == ["New goals (80)", "Agreed (80)"]
    assert (embed.title or "").startswith("Weekly digest: Every \\*family\\*")
    assert "@everyone" not in str(embed.to_dict())
    quiet = digest_embed(
        Digest(
            **{
                **digest.__dict__,
                "new_goals": [],
                "agreed": [],
                "attention": [],
                "reflections": [],
                "prompts_posted": 0,
                "actions_due": [],
            }
        )
    )
    assert "A quiet week" in (quiet.description or "")
    assert [f.name for f in quiet.fields] == ["Reflections"]
