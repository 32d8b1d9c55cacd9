"""/partner: the organisations taking part in a partnership."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import EMBED_DESCRIPTION_LIMIT, clip, escape, send
from bot.services.register import PartnerView, RegisterService
from bot.services.timeutil import discord_timestamp
from bot.services.vocab import (
    COMMITMENT_HELP,
    ORG_NAME_MAX,
    STATUS_HELP,
    Commitment,
    PartnerStatus,
    Sector,
    label,
    status_label,
    status_phrase,
)
from cogs._base import thinking
from cogs._context import (
    actor_of,
    enum_choices,
    organisation_autocomplete,
    partnership_autocomplete,
    ref_of,
)

ACTIVE_STATUSES = [s for s in PartnerStatus if s is not PartnerStatus.former]


@app_commands.guild_only()
class PartnerCog(commands.GroupCog, group_name="partner"):
    """Partner organisations: registered once per server, reused across partnerships."""

    def __init__(self, bot: PartnerBot) -> None:
        self.bot = bot
        self.register: RegisterService = bot.services.register
        super().__init__()

    @app_commands.command(
        name="add", description="Conveners: add an organisation to a partnership."
    )
    @app_commands.describe(
        organisation="The organisation's name",
        sector="Its sector",
        status="Its part in the partnership (default: core)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        sector=enum_choices(Sector),
        status=enum_choices(ACTIVE_STATUSES, STATUS_HELP),
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def add(
        self,
        interaction: discord.Interaction,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX],
        sector: app_commands.Choice[str],
        status: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        view, note = await self.register.add_partner(
            actor_of(interaction),
            ref_of(interaction, partnership),
            organisation,
            sector.value,
            status.value if status else None,
        )
        text = (
            f"Added **{escape(view.name)}** ({label(view.sector)}) as {status_phrase(view.status)}."
        )
        if note:
            text += f"\n{escape(note)}"
        await send(interaction, text)

    @app_commands.command(
        name="remove", description="Conveners: record that an organisation has left a partnership."
    )
    @app_commands.describe(
        organisation="The organisation leaving",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def remove(
        self,
        interaction: discord.Interaction,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        view, still = await self.register.remove_partner(
            actor_of(interaction), ref_of(interaction, partnership), organisation
        )
        text = f"Recorded that **{escape(view.name)}** has left. Its history is kept."
        if still:
            people = ", ".join(f"<@{m.user_id}>" for m in still)
            text += (
                f"\nStill registered for it: {people}. Use `/member update` or `/member remove`."
            )
        await send(interaction, text)

    @app_commands.command(name="status", description="Conveners: change an organisation's status.")
    @app_commands.describe(
        organisation="The organisation",
        status="Its new status",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(status=enum_choices(ACTIVE_STATUSES, STATUS_HELP))
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def status(
        self,
        interaction: discord.Interaction,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX],
        status: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        view = await self.register.set_partner_status(
            actor_of(interaction), ref_of(interaction, partnership), organisation, status.value
        )
        text = f"**{escape(view.name)}** is now {status_phrase(view.status)}."
        if view.sees_itself_differently:
            text += (
                f" It sees itself as {status_phrase(view.self_status or '')} "
                "(`/partner list` shows both views)."
            )
        await send(interaction, text)

    @app_commands.command(
        name="self-view",
        description="How your organisation sees its own membership, beside the conveners' record.",
    )
    @app_commands.describe(
        organisation="Your organisation",
        status="Its status as your organisation sees it",
        commitment="How committed your organisation is (optional)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        status=enum_choices(ACTIVE_STATUSES, STATUS_HELP),
        commitment=enum_choices(Commitment, COMMITMENT_HELP),
    )
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def self_view(
        self,
        interaction: discord.Interaction,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX],
        status: app_commands.Choice[str],
        commitment: app_commands.Choice[str] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        view = await self.register.set_self_view(
            actor_of(interaction),
            ref_of(interaction, partnership),
            organisation,
            status.value,
            commitment.value if commitment else None,
        )
        await send(interaction, self_view_reply(view))

    @app_commands.command(name="list", description="List a partnership's organisations.")
    @app_commands.describe(
        partnership="Which partnership (implied in its channel)",
        include_former="Also show organisations that have left",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def list_(
        self,
        interaction: discord.Interaction,
        partnership: str | None = None,
        include_former: bool = False,
    ) -> None:
        p, partners = await self.register.list_partners(
            actor_of(interaction), ref_of(interaction, partnership), include_former=include_former
        )
        if not partners:
            await send(
                interaction,
                f"{escape(p.name)} has no partner organisations yet. Add one with `/partner add`.",
            )
            return
        lines = []
        for o in partners:
            since = discord_timestamp(o.joined_at, "D")
            line = f"**{escape(o.name)}** · {label(o.sector)} · {views_text(o)} · since {since}"
            if o.left_at:
                line += f" · left {discord_timestamp(o.left_at, 'D')}"
            lines.append(line)
        embed = discord.Embed(
            title=clip(f"Organisations in {p.name}", 256),
            description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        )
        await send(interaction, embed=embed)


def views_text(view: PartnerView) -> str:
    """The conveners' record, and beside it the organisation's own view when it gave one."""
    if view.self_status is None:
        return status_label(view.status)
    commitment = f" (commitment: {view.self_commitment})" if view.self_commitment else ""
    mark = " ⚠️" if view.sees_itself_differently else ""
    return (
        f"Convener's record: {status_label(view.status)} · Their own view: "
        f"{status_label(view.self_status)}{commitment}{mark}"
    )


def self_view_reply(view: PartnerView) -> str:
    commitment = f", with {view.self_commitment} commitment" if view.self_commitment else ""
    text = (
        f"Recorded: **{escape(view.name)}** sees itself as "
        f"{status_phrase(view.self_status or '')}{commitment}."
    )
    if view.sees_itself_differently:
        return text + (
            f" The conveners' record says {status_phrase(view.status)}: `/partner list` shows "
            "both, and `/partnership health` raises the difference so the partnership can "
            "talk it through."
        )
    return text + " That matches the conveners' record."


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(PartnerCog(bot))
