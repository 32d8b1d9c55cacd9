"""The meeting's "I'm here" button.

A stateless `DynamicItem`: its custom id carries the partnership
(`partnerbot:meeting:here:<partnership_id>`), and the service matches the pressed message to the
open meeting's, so a meeting's button still works after a restart and an ended meeting's button
records nothing. Each press asks the access gate again.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.replies import escape, send
from cogs._base import Guarded, View, thinking
from cogs._context import actor_of, bot_of

HERE_ID = "partnerbot:meeting:here:{partnership_id}"
HERE_TEMPLATE = r"partnerbot:meeting:here:(?P<partnership_id>[0-9]{1,18})"


class HereButton(Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=HERE_TEMPLATE):
    """ "I'm here" under a meeting's opening message: records the presser's attendance."""

    def __init__(self, partnership_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm here",
                emoji="🙋",
                style=discord.ButtonStyle.primary,
                custom_id=HERE_ID.format(partnership_id=partnership_id),
            )
        )
        self.partnership_id = partnership_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> HereButton:
        return cls(int(match["partnership_id"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await thinking(interaction)
        message_id = interaction.message.id if interaction.message else 0
        seen = await bot_of(interaction).services.meetings.attend(
            actor_of(interaction), self.partnership_id, message_id
        )
        where = f"for {escape(seen.organisation)}"
        if seen.recorded:
            text = f"Thanks: you're recorded as here {where} at “{escape(seen.title)}”."
        else:
            text = f"You're already recorded as here {where} at “{escape(seen.title)}”."
        await send(interaction, text)


def here_view(partnership_id: int) -> View:
    view = View(timeout=None)
    view.add_item(HereButton(partnership_id))
    return view
