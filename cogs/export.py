"""/export: the partnership's record as a file, replied privately.

`/export format [audience] [since] [until] [meeting] [partnership]`: Markdown minutes, a
self-contained HTML report, a CSV zip with its codebook, or JSON that imports back. The export
service decides what may be shown (`bot.services.export`); this cog fits the file into the
server's upload limit (compressed if it must be) and attaches it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import escape, send
from bot.services.export.document import Audience, Format
from bot.services.export.fit import DEFAULT_UPLOAD_LIMIT, fit
from bot.services.export.service import ExportFile, ExportRequest, ExportService
from cogs._base import thinking
from cogs._context import actor_of, bot_of, partnership_autocomplete, ref_of

FORMAT_NAMES = {
    Format.markdown: "Markdown minutes",
    Format.html: "HTML report (with charts)",
    Format.csv: "CSV zip with codebook",
    Format.json: "JSON (imports back)",
}
AUDIENCE_NAMES = {
    Audience.internal: "Internal: everything you may see",
    Audience.external: "External: for boards, funders, residents (no personal names)",
}


async def meeting_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The partnership's meetings, newest first."""
    if interaction.guild_id is None:
        return []
    named = getattr(interaction.namespace, "partnership", None)
    found = await bot_of(interaction).services.meetings.autocomplete_meetings(
        actor_of(interaction), ref_of(interaction, named), current
    )
    return [app_commands.Choice(name=name, value=value) for name, value in found]


def upload_limit(interaction: discord.Interaction) -> int:
    guild = interaction.guild
    limit = getattr(guild, "filesize_limit", None) if guild is not None else None
    return int(limit) if isinstance(limit, int) and limit > 0 else DEFAULT_UPLOAD_LIMIT


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class ExportCog(commands.Cog, name="Export"):
    """Exports of the partnership log."""

    def __init__(self, bot: PartnerBot, exports: ExportService) -> None:
        self.bot = bot
        self.exports = exports

    @app_commands.command(
        name="export", description="Export the partnership's record as a file, privately."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        format="Markdown minutes, an HTML report, a CSV zip or JSON",
        audience="Internal (default) or external: no personal names, for boards and funders",
        since="From this day, YYYY-MM-DD (default: the start)",
        until="Up to the end of this day, YYYY-MM-DD (default: now)",
        meeting="Minutes of one meeting: choose from the list, or type its number",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        format=[app_commands.Choice(name=n, value=f.value) for f, n in FORMAT_NAMES.items()],
        audience=[app_commands.Choice(name=n, value=a.value) for a, n in AUDIENCE_NAMES.items()],
    )
    @app_commands.autocomplete(meeting=meeting_autocomplete, partnership=partnership_autocomplete)
    async def export(
        self,
        interaction: discord.Interaction,
        format: app_commands.Choice[str],
        audience: app_commands.Choice[str] | None = None,
        since: app_commands.Range[str, 1, 10] | None = None,
        until: app_commands.Range[str, 1, 10] | None = None,
        meeting: app_commands.Range[str, 1, 100] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        request = ExportRequest.parse(
            format=format.value,
            audience=audience.value if audience else None,
            since=since,
            until=until,
            meeting=meeting,
        )
        made = await self.exports.export(
            actor_of(interaction), ref_of(interaction, partnership), request
        )
        try:
            await self._reply(interaction, made, upload_limit(interaction))
        finally:
            await asyncio.to_thread(made.path.unlink, missing_ok=True)

    async def _reply(self, interaction: discord.Interaction, made: ExportFile, limit: int) -> None:
        fitted = await fit(made, limit)
        withheld = (
            f" {made.withheld} aggregate{'s' if made.withheld != 1 else ''} withheld "
            "(fewer organisations than the anonymity threshold)."
            if made.withheld
            else ""
        )
        if fitted.path is None:
            await send(
                interaction,
                f"The export of {escape(made.partnership)} is {megabytes(fitted.size)}"
                f"{' even compressed' if fitted.compressed else ''}, more than this server's "
                f"upload limit of {megabytes(limit)}. Ask the person who runs Partnerbot to "
                "export it from the command line (`partnerbot export --guild "
                f"{interaction.guild_id} --partnership …`), or export a shorter period with "
                "`since` and `until`.",
            )
            return
        try:
            note = " It was compressed (gzip) to fit this server's upload limit." * (
                fitted.compressed
            )
            await send(
                interaction,
                f"Here is the export of {escape(made.partnership)}.{withheld}{note}",
                file=discord.File(Path(fitted.path), filename=fitted.filename),
            )
        finally:
            if fitted.path != made.path:
                await asyncio.to_thread(Path(fitted.path).unlink, missing_ok=True)


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(ExportCog(bot, bot.services.exports))
