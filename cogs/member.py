"""/member: who takes part in a partnership, for whom they speak, and the history of it."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import PartnerBot
from bot.replies import EMBED_DESCRIPTION_LIMIT, clip, escape, send
from bot.services.register import MemberView, RegisterService
from bot.services.timeutil import discord_timestamp, parse_date
from bot.services.vocab import CAPACITY_HELP, MANDATE_HELP, ORG_NAME_MAX, Capacity, Mandate
from cogs._base import thinking
from cogs._context import (
    actor_of,
    enum_choices,
    organisation_autocomplete,
    partnership_autocomplete,
    ref_of,
)
from cogs._guide_text import member_greeting

log = logging.getLogger(__name__)


def member_line(m: MemberView) -> str:
    return f"<@{m.user_id}> · {escape(m.describe())}"


@app_commands.guild_only()
class MemberCog(commands.GroupCog, group_name="member"):
    """People in a partnership: capacity, organisation, mandate, convener."""

    def __init__(self, bot: PartnerBot) -> None:
        self.bot = bot
        self.register: RegisterService = bot.services.register
        super().__init__()

    @app_commands.command(name="add", description="Conveners: add a person to a partnership.")
    @app_commands.describe(
        user="The person to add",
        organisation="The partner organisation they represent (none: their own capacity)",
        capacity="How they take part (default: representative with an organisation, "
        "individual without)",
        mandate="What they may commit their organisation to",
        convener="Make them a convener too",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        capacity=enum_choices(Capacity, CAPACITY_HELP), mandate=enum_choices(Mandate, MANDATE_HELP)
    )
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def add(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX] | None = None,
        capacity: app_commands.Choice[str] | None = None,
        mandate: app_commands.Choice[str] | None = None,
        convener: bool = False,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        p, view = await self.register.add_member(
            actor_of(interaction),
            ref_of(interaction, partnership),
            user_id=user.id,
            display_name=user.display_name,
            organisation=organisation,
            capacity=capacity.value if capacity else None,
            mandate=mandate.value if mandate else None,
            convener=convener,
            is_bot=user.bot,
        )
        note = (await self.bot.channels.apply(p.id)).note() if p.id else ""
        await send(
            interaction,
            f"Added {user.mention} to **{escape(p.name)}** as {escape(view.describe())}.{note}",
        )
        await self._greet(p.channel_id, p.name, view)

    async def _greet(self, channel_id: int | None, partnership: str, view: MemberView) -> None:
        """One public line in the partnership's channel that greets the new member, pinging only
        them. A failure is logged; the member stays added."""
        if channel_id is None:
            return
        try:
            await self.bot.http.send_message(
                channel_id,
                params=discord.http.handle_message_parameters(
                    content=member_greeting(view, partnership),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False,
                        roles=False,
                        users=[discord.Object(id=view.user_id)],
                        replied_user=False,
                    ),
                ),
            )
        except discord.HTTPException as error:
            log.warning("No greeting for a new member in channel %s: %s", channel_id, error)

    @app_commands.command(
        name="update", description="Conveners: change a member's role (nobody changes their own)."
    )
    @app_commands.describe(
        user="The member",
        organisation="The partner organisation they now represent",
        own_capacity="They now take part in their own capacity (no organisation)",
        capacity="How they take part",
        mandate="What they may commit their organisation to",
        convener="Whether they are a convener",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        capacity=enum_choices(Capacity, CAPACITY_HELP), mandate=enum_choices(Mandate, MANDATE_HELP)
    )
    @app_commands.autocomplete(
        organisation=organisation_autocomplete, partnership=partnership_autocomplete
    )
    async def update(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX] | None = None,
        own_capacity: bool = False,
        capacity: app_commands.Choice[str] | None = None,
        mandate: app_commands.Choice[str] | None = None,
        convener: bool | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        p, view = await self.register.update_member(
            actor_of(interaction),
            ref_of(interaction, partnership),
            user_id=user.id,
            display_name=user.display_name,
            organisation=organisation,
            own_capacity=own_capacity,
            capacity=capacity.value if capacity else None,
            mandate=mandate.value if mandate else None,
            convener=convener,
        )
        await send(
            interaction,
            f"{user.mention} is now {escape(view.describe())} in **{escape(p.name)}**.",
        )

    @app_commands.command(name="remove", description="Conveners: record that a person has left.")
    @app_commands.describe(
        user="The person leaving", partnership="Which partnership (implied in its channel)"
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def remove(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        p = await self.register.remove_member(
            actor_of(interaction),
            ref_of(interaction, partnership),
            user_id=user.id,
            display_name=user.display_name,
        )
        note = (await self.bot.channels.apply(p.id)).note() if p.id else ""
        await send(
            interaction,
            f"{user.mention} has left **{escape(p.name)}**. Their history is kept.{note}",
        )

    @app_commands.command(name="list", description="Who is in a partnership, now or on a date.")
    @app_commands.describe(
        partnership="Which partnership (implied in its channel)",
        as_of="A past date, YYYY-MM-DD, in the partnership's time zone",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def list_(
        self,
        interaction: discord.Interaction,
        partnership: str | None = None,
        as_of: app_commands.Range[str, 1, 10] | None = None,
    ) -> None:
        day = parse_date(as_of, option="as_of") if as_of else None
        listing = await self.register.list_members(
            actor_of(interaction), ref_of(interaction, partnership), day
        )
        p, members = listing.partnership, listing.members
        when = f" at the end of {day.isoformat()} ({p.timezone})" if day else ""
        if not members:
            await send(interaction, f"{escape(p.name)} had no members{when}.")
            return
        embed = discord.Embed(
            title=clip(f"Members of {p.name}{when}", 256),
            description=clip("\n".join(member_line(m) for m in members), EMBED_DESCRIPTION_LIMIT),
        )
        embed.set_footer(text=f"{len(members)} members")
        await send(interaction, embed=embed)

    @app_commands.command(name="history", description="Joins, departures and changes of role.")
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def history(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        p, entries = await self.register.history(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        if not entries:
            await send(interaction, f"No membership changes recorded for {escape(p.name)} yet.")
            return
        lines = [
            f"{discord_timestamp(e.occurred_at, 'd')} {escape(e.summary)}"
            + (f" (by <@{e.actor_id}>)" if e.actor_id else "")
            for e in entries
        ]
        embed = discord.Embed(
            title=clip(f"Membership history of {p.name}", 256),
            description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        )
        embed.set_footer(text="Newest first")
        await send(interaction, embed=embed)


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(MemberCog(bot))
