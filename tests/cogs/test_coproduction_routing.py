"""Co-production through discord.py's real dispatch path: relationships added and removed
with `/partnership relationship`, phases and levels set with `/partnership configure`, all
shown by `/partnership info`."""

from __future__ import annotations

from tests.cogs.conftest import World
from tests.cogs.test_register_routing import channel_of, create


async def coproduction_field(world: World, channel_id: int) -> str:
    info = (await world.run(world.convener, "partnership info", channel_id=channel_id)).reply
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    return fields["Co-production"]


async def test_relationships_phases_and_levels_are_set_and_shown(world: World):
    await create(world, relationship="enabler")
    here = await channel_of(world)
    shown = await coproduction_field(world, here)
    assert "enabler: this partnership makes working with citizens possible" in shown
    assert "Citizens take part in: not set" in shown
    added = await world.run(
        world.convener, "partnership relationship add", channel_id=here, relationship="antecedent"
    )
    assert added.reply.ephemeral
    assert "Added the relationship **antecedent**" in added.reply.content
    assert "It now holds: enabler, antecedent" in added.reply.content
    again = await world.run(
        world.convener, "partnership relationship add", channel_id=here, relationship="antecedent"
    )
    assert again.reply.ephemeral and "already holds" in again.reply.content
    removed = await world.run(
        world.convener, "partnership relationship remove", channel_id=here, relationship="enabler"
    )
    assert "Removed the relationship **enabler**" in removed.reply.content
    configured = await world.run(
        world.convener,
        "partnership configure",
        channel_id=here,
        phases="design, assessment",
        levels="group, collective",
    )
    assert "citizen phases: none → design, assessment" in configured.reply.content
    shown = await coproduction_field(world, here)
    assert "antecedent: working with citizens (co-production) led to" in shown
    assert "enabler" not in shown
    assert "Citizens take part in: design, assessment" in shown
    assert "At the level of: group, collective" in shown
    bad = await world.run(world.convener, "partnership configure", channel_id=here, phases="x")
    assert bad.reply.ephemeral and "commissioning, design, delivery, assessment" in (
        bad.reply.content
    )
    # A member who convenes nothing is told so and nothing changes.
    rep = world.reps[0]
    await world.run(world.convener, "member add", user=rep, channel_id=here)
    refused = await world.run(
        rep, "partnership relationship add", channel_id=here, relationship="alternative"
    )
    assert refused.reply.ephemeral and "conveners" in refused.reply.content.casefold()
    assert "alternative" not in await coproduction_field(world, here)
    log = (await world.run(world.convener, "log show", channel_id=here)).reply
    assert "removed the relationship enabler" in log.text
