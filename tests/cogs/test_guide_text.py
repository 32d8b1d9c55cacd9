"""The guide's layout on its own: every topic for every role fits Discord's limits, even with
the longest names, and names people typed stay inert."""

from __future__ import annotations

import itertools

import discord
import pytest

from bot.services.guide import (
    TOPICS,
    Checklist,
    Gap,
    GuideContext,
    Missing,
    Role,
    Standing,
    load_guide,
)
from bot.services.guide.topics import ROLE_KEYS
from bot.services.register import MemberView
from bot.services.vocab import capacity_label, status_label
from cogs._guide_text import (
    EMBED_TOTAL_LIMIT,
    create_reply,
    guide_embed,
    member_greeting,
    role_key,
    welcome_message,
)

# Every command the bot has, as the guide's cog passes them (the order it has them in).
COMMANDS = [
    "export",
    *(f"goal {c}" for c in "propose endorse show list update classify link unlink review".split()),
    "guide",
    *(f"log {c}" for c in "note done show redact exports".split()),
    "meeting start",
    "meeting end",
    *(f"member {c}" for c in "add update remove list history".split()),
    *(f"partner {c}" for c in "add remove status list".split()),
    *(f"partnership {c}" for c in "create info health list configure archive repair".split()),
    *(
        f"reflect {c}"
        for c in ["prompt add", *"schedule list pause resume cancel skip now respond".split()]
    ),
    *(
        f"trust {c}"
        for c in "open close status checkin rate summary schedule schedules pause resume".split()
    ),
    "trust cancel",
]
LONG = "*_~`|>@everyone " * 7  # a hundred characters that all need escaping
CAPACITY = {
    Role.convener: "representative",
    Role.representative: "substitute",
    Role.own_capacity: "citizen",
    Role.facilitator: "facilitator",
    Role.observer: "observer",
    Role.manager: None,
}


def standing(role: Role, name: str, organisation: str | None, n: int = 0) -> Standing:
    many_gaps = Checklist(
        (
            Missing(Gap.organisations),
            *(Missing(Gap.representative, f"{organisation} {i}") for i in range(20)),
            Missing(Gap.goal),
            Missing(Gap.reflection),
            Missing(Gap.trust),
        )
    )
    return Standing(
        partnership_id=n,
        partnership=f"{name} {n}" if n else name,
        channel_id=10**18 + n,
        archived=n % 3 == 2,
        role=role,
        is_convener=role is Role.convener,
        capacity=CAPACITY[role],
        organisation=organisation if role in (Role.convener, Role.representative) else None,
        mandate="must_refer_back" if role is Role.representative else None,
        counted=False,
        checklist=many_gaps if role in (Role.convener, Role.manager) else Checklist(()),
    )


def contexts(name: str, organisation: str) -> list[GuideContext]:
    """A context for every key of the guide's roles: here, elsewhere with many partnerships,
    an outsider in a channel, someone who may create one and someone who may not."""
    found = []
    for role in CAPACITY:
        for here in (True, False):
            mine = tuple(standing(role, name, organisation, n) for n in range(1, 31))
            found.append(
                GuideContext(
                    here=standing(role, name, organisation) if here else None,
                    outsider_here=False,
                    partnerships=() if here else mine,
                    manage_guild=role is Role.manager,
                    may_create=role is Role.manager,
                    admin_role_name=name,
                )
            )
    for outsider, may_create in itertools.product((True, False), repeat=2):
        found.append(GuideContext(None, outsider, (), False, may_create, name))
    assert {role_key(c) for c in found} == set(ROLE_KEYS)
    return found


def check_limits(embed: discord.Embed) -> None:
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for f in embed.fields:
        assert 0 < len(f.name or "") <= 256 and 0 < len(f.value or "") <= 1024
    assert len(embed.footer.text or "") <= 2048


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_fits_discord_for_every_role_even_with_the_longest_names(topic: str):
    for context in contexts(LONG, LONG):
        check_limits(guide_embed(context, topic, COMMANDS))


@pytest.mark.parametrize("topic", TOPICS)
def test_with_everyday_names_nothing_is_cut(topic: str):
    for context in contexts("Family Hubs", "Riverside Council"):
        embed = guide_embed(context, topic, COMMANDS)
        check_limits(embed)
        assert not (embed.description or "").endswith("…")
        cut = [f.name for f in embed.fields if (f.value or "").endswith("…")]
        # Only the list of thirty partnerships may be cut.
        assert set(cut) <= {"Your partnerships"}, cut


def test_names_people_typed_are_inert_in_every_message():
    view = MemberView(7, "Bea", 3, "@everyone *Bank*", "representative", "can_commit", False)
    greeting = member_greeting(view, "<@&123456789012345678> Hubs")
    assert "@everyone" not in greeting.replace("@\u200beveryone", "")
    assert "\\*Bank\\*" in greeting and "<@7>" in greeting and "`/guide`" in greeting
    assert "<@&123456789012345678>" not in greeting
    reply = create_reply(
        "**Hubs**", "<#5>", organisation="@here", capacity="representative", note=None
    )
    assert "\\*\\*Hubs\\*\\*" in reply and "@here" not in reply.replace("@\u200bhere", "")
    welcome = welcome_message("Hubs", "@everyone " * 300, 7, Checklist((Missing(Gap.goal),)))
    assert len(welcome) <= 2000
    complete = welcome_message("Hubs", "Early help", 7, Checklist(()))
    assert "To finish setting up" not in complete and "`/guide`" in complete


@pytest.mark.parametrize(
    ("capacity", "organisation", "mandate", "convener", "words"),
    [
        (
            "representative",
            "Food Bank",
            "can_commit",
            False,
            "the representative of **Food Bank** (mandate: can commit)",
        ),
        ("substitute", "Food Bank", None, True, "the substitute of **Food Bank**, and a convener"),
        ("individual", None, None, False, "an individual, in your own capacity"),
        ("citizen", None, None, False, "a citizen, in your own capacity"),
        ("observer", None, None, False, "an observer"),
        ("facilitator", None, None, False, "the facilitator"),
    ],
)
def test_the_greeting_says_the_role(capacity, organisation, mandate, convener, words):
    view = MemberView(
        7, "Bea", 3 if organisation else None, organisation, capacity, mandate, convener
    )
    assert f"You join as {words}." in member_greeting(view, "Family Hubs")


def test_the_roles_topic_names_observers_as_everywhere_else():
    """An observing organisation and an observer person read as the other replies call them
    (`status_label`, `capacity_label`), so the two are not taken for one another."""
    text = load_guide().topics["roles"].text
    assert f"associates, {status_label('observer')}s" in text
    assert f"*{capacity_label('observer')}*: follows" in text
