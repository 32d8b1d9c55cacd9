"""The floor of a command round trip: a bare discord.py bot with one slash command, `/ping`,
answering "ok" at once. Started like Partnerbot (the same environment: DISCORD_TOKEN,
DISCORD_API_BASE_URL, DEV_GUILD_ID), against its own loopback Discord.

    python -m benchmarks.bare_bot
"""

from __future__ import annotations

import logging
import os

import discord
import yarl
from discord import app_commands


class BareBot(discord.Client):
    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.tree = app_commands.CommandTree(self)
        self.guild = discord.Object(id=guild_id)

        @self.tree.command(name="ping", description="Answers ok.", guild=self.guild)
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok")

    async def login(self, token: str) -> None:
        await super().login(token)
        # As Partnerbot does behind another REST root: ask it for its gateway.
        _shards, url, _limits = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    base = os.environ.get("DISCORD_API_BASE_URL")
    if base:
        discord.http.Route.BASE = base.rstrip("/")
    BareBot(int(os.environ["DEV_GUILD_ID"])).run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
