"""Every extension loads, and the public command interface is what the README promises."""

from __future__ import annotations

from discord import app_commands

from bot.app import walk_extensions
from tests.cogs.conftest import World

# Names and options are the public interface: they never change (more optional ones may come).
EXPECTED = {
    "partnership create": [
        "name",
        "purpose",
        "relationship",
        "timezone",
        "organisation",
        "sector",
        "capacity",
    ],
    "partnership info": ["partnership"],
    "partnership list": [],
    "partnership configure": [
        "agreement_rule",
        "anonymity_threshold",
        "timezone",
        "relationship",
        "retention_months",
        "research_consent",
        "announcements",
        "digest",
    ],
    "partnership archive": ["partnership"],
    "partner add": ["organisation", "sector", "status", "partnership"],
    "partner remove": ["organisation", "partnership"],
    "partner list": ["partnership"],
    "member add": ["user", "organisation", "capacity", "mandate", "partnership"],
    "member remove": ["user", "partnership"],
    "member list": ["partnership", "as_of"],
    "member history": ["partnership"],
    "member update": ["user"],
    "goal propose": [
        "title",
        "description",
        "level",
        "content",
        "origin",
        "organisation",
        "partnership",
        "respond_by",
        "visibility",
    ],
    "goal visibility": ["goal", "visibility", "partnership"],
    "goal nudge": ["goal", "partnership"],
    "goal endorse": ["goal", "stance", "comment", "partnership", "confirm", "refer_by"],
    "goal show": ["goal", "partnership"],
    "goal respond": ["goal", "response", "comment", "partnership"],
    "goal share": ["goal", "partnership"],
    "goal list": ["status", "level", "partnership", "phase"],
    "goal update": ["goal", "status", "progress", "review_on", "note", "partnership"],
    "goal link": ["goal", "other", "relation", "partnership"],
    "goal review": ["days", "partnership"],
    "reflect schedule": ["cadence", "time", "day", "cron", "theme", "partnership", "visibility"],
    "reflect list": ["partnership"],
    "reflect pause": ["schedule"],
    "reflect resume": ["schedule"],
    "reflect cancel": ["schedule"],
    "reflect skip": ["date"],
    "reflect now": ["theme", "visibility"],
    "reflect respond": ["prompt", "text"],
    "reflect withdraw": ["prompt"],
    "reflect mine": ["partnership"],
    "reflect prompt add": ["theme", "text", "visibility"],
    "partnership repair": ["partnership"],
    "partnership health": ["partnership"],
    "trust open": ["window", "pairwise", "named_pairs", "partnership"],
    "trust close": ["partnership"],
    "trust status": ["partnership"],
    "trust checkin": [
        "expectations",
        "follow_through",
        "reliance",
        "fair_say",
        "small_win",
        "comment",
        "share_comment",
        "partnership",
    ],
    "trust rate": ["organisation", "reliability", "openness", "mission", "partnership"],
    "trust summary": ["rounds", "partnership"],
    "trust schedule": ["cadence", "time", "day", "cron", "window", "partnership"],
    "log note": ["text", "kind", "goal", "review_on", "owner", "due", "partnership"],
    "log done": ["action", "partnership"],
    "log show": ["since", "kind", "partnership", "phase"],
    "log redact": ["entry", "partnership"],
    "log exports": ["partnership"],
    "meeting start": ["title", "partnership"],
    "meeting end": ["partnership"],
    "export": ["format", "audience", "since", "until", "meeting", "partnership"],
    "guide": ["topic"],
    "todo": ["partnership"],
}


def test_extensions_are_discovered_without_helpers():
    names = list(walk_extensions())
    assert {"cogs.partnership", "cogs.partner", "cogs.member", "cogs.trust"} <= set(names)
    assert not [n for n in names if n.rsplit(".", 1)[-1].startswith("_")]


async def test_every_extension_loads_and_the_interface_holds(world: World):
    assert set(world.bot.extensions) == set(walk_extensions())
    commands = {
        c.qualified_name: c
        for c in world.bot.tree.walk_commands()
        if isinstance(c, app_commands.Command)
    }
    for name, options in EXPECTED.items():
        assert name in commands, f"/{name} is missing"
        present = [p.name for p in commands[name].parameters]
        for option in options:
            assert option in present, f"/{name} lost its option {option}"
        required = [p.name for p in commands[name].parameters if p.required]
        assert set(required) <= set(options), f"/{name} gained a required option"
    top_level = world.bot.tree.get_commands()
    # Every command is in a group, but /export, /guide and /todo, whose options sit at the top
    # level.
    assert sorted(c.name for c in top_level if not isinstance(c, app_commands.Group)) == [
        "export",
        "guide",
        "todo",
    ]
    for group in top_level:
        assert group.guild_only, group.name
        if not isinstance(group, app_commands.Group):
            continue
        assert len(group.commands) <= 25
        for command in group.walk_commands():
            if isinstance(command, app_commands.Command):
                assert len(command.parameters) <= 25
                assert len(command.description) <= 100
                for p in command.parameters:
                    assert len(p.description) <= 100, f"/{command.qualified_name} {p.name}"
    payload = [c.to_dict(world.bot.tree) for c in world.bot.tree.get_commands()]
    assert all(c["type"] == 1 for c in payload)
