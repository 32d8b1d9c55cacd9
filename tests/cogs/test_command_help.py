"""Commands people can find: who may use a command is in its description, and option choices
explain themselves. Conveners are not a Discord permission, so every command stays visible to
all; the words carry it."""

from __future__ import annotations

from discord import app_commands

from bot.services.access import CONVENER_COMMANDS, SHARED_WITH_CONVENERS
from tests.cogs.conftest import World
from tests.helpers import iter_commands


def commands_of(world: World) -> dict[str, app_commands.Command]:
    return dict(iter_commands(world.bot))


async def test_every_convener_only_command_says_so_first(world: World):
    commands = commands_of(world)
    assert CONVENER_COMMANDS <= set(commands), CONVENER_COMMANDS - set(commands)
    for name in sorted(CONVENER_COMMANDS):
        assert commands[name].description.startswith("Conveners: "), name
    # ... and no other command claims to be theirs alone.
    claimed = {n for n, c in commands.items() if c.description.startswith("Conveners: ")}
    assert claimed <= CONVENER_COMMANDS | SHARED_WITH_CONVENERS, claimed - CONVENER_COMMANDS
    # Commands conveners share say with whom.
    for name in sorted(SHARED_WITH_CONVENERS):
        assert "convener" in commands[name].description.casefold(), name
    assert all(len(c.description) <= 100 for c in commands.values())


async def test_the_list_mirrors_the_rules_a_member_is_refused_each_one(world: World):
    """Each command listed as the conveners' refuses a member who is not one, in those words."""
    await world.run(world.convener, "partnership create", name="Family Hubs", purpose="p")
    [channel] = world.discord.partnership_channels(world.guild)
    here = int(channel["id"])
    member = world.reps[0]
    await world.run(world.convener, "member add", user=member, channel_id=here)
    for title in ("Shared data", "Open meetings"):
        await world.run(member, "goal propose", title=title, channel_id=here)
    await world.run(world.convener, "reflect schedule", cadence="daily", channel_id=here)
    await world.run(world.convener, "trust schedule", cadence="monthly", channel_id=here)
    options: dict[str, dict] = {
        "partnership configure": {"agreement_rule": "majority"},
        "partnership relationship add": {"relationship": "enabler"},
        "partnership relationship remove": {"relationship": "enabler"},
        "partner add": {"organisation": "Food Bank", "sector": "voluntary"},
        "partner remove": {"organisation": "Food Bank"},
        "partner status": {"organisation": "Food Bank", "status": "associate"},
        "member add": {"user": world.reps[1]},
        "member update": {"user": world.convener, "convener": False},
        "member remove": {"user": world.convener},
        "goal link": {"goal": "1", "other": "2", "relation": "contributes_to"},
        "goal unlink": {"goal": "1", "other": "2", "relation": "contributes_to"},
        "goal nudge": {"goal": "1"},
        "reflect schedule": {"cadence": "weekly"},
        "reflect pause": {"schedule": "1"},
        "reflect resume": {"schedule": "1"},
        "reflect cancel": {"schedule": "1"},
        "reflect skip": {"date": "2099-01-01"},
        "reflect prompt add": {"theme": "trust", "text": "What did we promise?"},
        "trust schedule": {"cadence": "monthly"},
        "trust pause": {"schedule": "2"},
        "trust resume": {"schedule": "2"},
        "trust cancel": {"schedule": "2"},
    }
    for name in sorted(CONVENER_COMMANDS):
        result = await world.run(member, name, channel_id=here, **options.get(name, {}))
        words = result.reply.content
        assert result.reply.ephemeral and "conveners" in words.casefold(), (name, words)


async def test_choices_explain_themselves(world: World):
    commands = commands_of(world)
    for name, command in commands.items():
        for p in command.parameters:
            assert all(len(c.name) <= 100 for c in p.choices), (name, p.name)

    def choices(command: str, option: str) -> dict[str, str]:
        [p] = [p for p in commands[command].parameters if p.name == option]
        return {str(c.value): c.name for c in p.choices}

    relationship = choices("partnership create", "relationship")
    assert relationship["antecedent"] == (
        "antecedent: working with citizens (co-production) led to this partnership"
    )
    assert relationship == choices("partnership configure", "relationship")
    assert choices("member add", "capacity")["representative"] == (
        "representative: speaks for their organisation and sets its stance"
    )
    assert choices("member update", "mandate")["must_refer_back"] == (
        "must refer back: must refer back to their organisation first"
    )
    assert choices("partner add", "status")["core"].startswith("core: a full partner")
    assert "former" not in choices("partner status", "status")
    assert choices("partnership configure", "agreement_rule")["majority"].startswith(
        "majority: more than half"
    )
    # A creator speaks for their organisation as its representative or substitute, nothing else.
    assert list(choices("partnership create", "capacity")) == ["representative", "substitute"]
