"""/todo: privately, what awaits the person asking.

In a partnership's channel (or a thread under it) it covers that partnership; with the
`partnership` option, that one; anywhere else, every partnership of theirs in the server. What
counts is decided by `bot.services.todo`; the words are in `_todo_text`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import send
from bot.services.todo import TodoService
from cogs._context import actor_of, partnership_autocomplete, ref_of
from cogs._todo_text import empty_text, todo_embed


class TodoCog(commands.Cog, name="Todo"):
    """What awaits you: stances, prompts, a check-in, actions."""

    def __init__(self, bot: PartnerBot, todo: TodoService) -> None:
        self.bot = bot
        self.todo_service = todo

    @app_commands.command(
        name="todo",
        description="Privately: what waits for you (stances, prompts, check-in, actions).",
    )
    @app_commands.guild_only()
    @app_commands.describe(
        partnership="Which partnership (implied in its channel; elsewhere all of yours)"
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def todo(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        found = await self.todo_service.todo(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        if not found.items:
            await send(interaction, empty_text(found))
            return
        await send(interaction, embed=todo_embed(found))


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(TodoCog(bot, bot.services.todo))
