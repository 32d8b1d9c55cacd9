"""The log's Older/Newer buttons and the /log option helpers.

The buttons are stateless `DynamicItem`s: the custom id carries the partnership, the page, the
kind, the since date and, when one is chosen, the co-production phase
(`partnerbot:log:<older|newer>:<id>:<page>:<kind>:<yyyymmdd>[:<phase>]`), so a page answered
before a restart still turns. Each press asks the access gate again.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import discord
from discord import app_commands

from bot.services.notes import LogPage, NoteKind
from bot.services.vocab import Phase
from cogs._base import Guarded, View
from cogs._context import actor_of, bot_of, ref_of
from cogs._log_text import page_embed

_KINDS = "|".join(k.value for k in NoteKind)
_PHASES = "|".join(p.value for p in Phase)
PAGE_ID = "partnerbot:log:{direction}:{partnership_id}:{page}:{kind}:{since}"
PAGE_TEMPLATE = (
    r"partnerbot:log:(?P<direction>older|newer):(?P<partnership_id>[0-9]{1,18}):"
    rf"(?P<page>[0-9]{{1,6}}):(?P<kind>{_KINDS}|-):(?P<since>[0-9]{{8}}|-)"
    rf"(?::(?P<phase>{_PHASES}))?"
)


class PageButton(Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """Older or Newer under a page of the log: shows the page its custom id names."""

    def __init__(
        self,
        direction: str,
        partnership_id: int,
        page: int,
        kind: str | None,
        since: date | None,
        *,
        phase: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label="Older" if direction == "older" else "Newer",
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=PAGE_ID.format(
                    direction=direction,
                    partnership_id=partnership_id,
                    page=page,
                    kind=kind or "-",
                    since=since.strftime("%Y%m%d") if since else "-",
                )
                + (f":{phase}" if phase else ""),
            )
        )
        self.partnership_id = partnership_id
        self.page = page
        self.kind = kind
        self.since = since
        self.phase = phase

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PageButton:
        since = match["since"]
        return cls(
            match["direction"],
            int(match["partnership_id"]),
            int(match["page"]),
            None if match["kind"] == "-" else match["kind"],
            None if since == "-" else date(int(since[:4]), int(since[4:6]), int(since[6:])),
            phase=match["phase"],
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        page = await bot_of(interaction).services.notes.page_by_id(
            actor_of(interaction),
            self.partnership_id,
            page=self.page,
            kind=self.kind,
            since=self.since,
            phase=self.phase,
        )
        await interaction.response.edit_message(embed=page_embed(page), view=page_view(page))


def page_view(page: LogPage) -> View:
    view = View(timeout=None)
    pid = page.partnership_id
    for direction, number, disabled in (
        ("newer", max(page.page - 1, 0), not page.has_newer),
        ("older", page.page + 1, not page.has_older),
    ):
        view.add_item(
            PageButton(
                direction,
                pid,
                number,
                page.kind,
                page.since,
                phase=page.phase,
                disabled=disabled,
            )
        )
    return view


async def action_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The open actions of the partnership named or implied."""
    if interaction.guild_id is None:
        return []
    named = getattr(interaction.namespace, "partnership", None)
    found = await bot_of(interaction).services.notes.autocomplete_actions(
        actor_of(interaction), ref_of(interaction, named), current
    )
    return [app_commands.Choice(name=name, value=value) for name, value in found]


async def redact_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The entries of the partnership named or implied whose text this person may remove."""
    if interaction.guild_id is None:
        return []
    named = getattr(interaction.namespace, "partnership", None)
    found = await bot_of(interaction).services.notes.autocomplete_redactable(
        actor_of(interaction), ref_of(interaction, named), current
    )
    return [app_commands.Choice(name=name, value=value) for name, value in found]
