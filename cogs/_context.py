"""What every cog needs from an interaction: who acts, where, and which partnership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.services.access import Actor, PartnershipRef, Where
from bot.services.text import CHOICE_NAME_LIMIT, clip
from bot.services.vocab import Capacity, PartnerStatus, capacity_label, label, status_label

if TYPE_CHECKING:
    from bot.app import PartnerBot


def bot_of(interaction: discord.Interaction) -> PartnerBot:
    return cast("PartnerBot", interaction.client)


def actor_of(interaction: discord.Interaction) -> Actor:
    if interaction.guild_id is None:
        raise UserFacingError("This command works only inside a server.")
    user = interaction.user
    perms = interaction.permissions
    roles = frozenset(r.name for r in getattr(user, "roles", []) if not r.is_default())
    return Actor(
        guild_id=interaction.guild_id,
        user_id=user.id,
        display_name=user.display_name,
        manage_guild=perms.manage_guild or perms.administrator,
        manage_channels=perms.manage_channels or perms.administrator,
        role_names=roles,
    )


def where_of(interaction: discord.Interaction) -> Where:
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        return Where(channel_id=channel.id, parent_id=channel.parent_id)
    return Where(channel_id=interaction.channel_id)


def ref_of(interaction: discord.Interaction, partnership: str | None) -> PartnershipRef:
    return PartnershipRef(name=partnership, where=where_of(interaction))


def enum_choices(
    enum: Iterable[StrEnum], words: Mapping[Any, str] | None = None
) -> list[app_commands.Choice[str]]:
    """A choice per value; with `words`, each explains itself ("core: a full partner: …")."""
    return [
        app_commands.Choice(
            name=clip(
                f"{value_label(v)}: {words[v]}" if words and v in words else value_label(v),
                CHOICE_NAME_LIMIT,
            ),
            value=v.value,
        )
        for v in enum
    ]


def value_label(value: StrEnum) -> str:
    """A vocabulary value as a choice names it: an observer person (capacity) and an observing
    organisation (status) read differently, though both are stored as `observer`."""
    if isinstance(value, Capacity):
        return capacity_label(value.value)
    if isinstance(value, PartnerStatus):
        return status_label(value.value)
    return label(value.value)


async def partnership_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Names of the partnerships this person may see, and nothing else."""
    if interaction.guild_id is None:
        return []
    names = await bot_of(interaction).services.register.autocomplete(actor_of(interaction), current)
    return [app_commands.Choice(name=n, value=n) for n in names]


async def organisation_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Current partner organisations of the partnership the command is about."""
    if interaction.guild_id is None:
        return []
    named = getattr(interaction.namespace, "partnership", None)
    names = await bot_of(interaction).services.register.autocomplete_partners(
        actor_of(interaction), ref_of(interaction, named), current
    )
    return [app_commands.Choice(name=n, value=n) for n in names]


async def schedule_autocomplete(
    interaction: discord.Interaction, kind: str, current: str, states: Iterable[str]
) -> list[app_commands.Choice[str]]:
    """Schedules of `kind` this person may manage, in `states`; those of the partnership whose
    channel (or thread) the command is used in first."""
    if interaction.guild_id is None:
        return []
    found = await bot_of(interaction).services.schedules.schedule_choices(
        kind, actor_of(interaction), current, where=where_of(interaction), states=tuple(states)
    )
    return [app_commands.Choice(name=name, value=value) for name, value in found]
