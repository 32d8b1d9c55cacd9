"""/partnership: create, describe, list, configure and archive partnerships, and say how
co-production relates to them (`/partnership relationship add|remove`). What it shows and says is
in `_partnership_text`."""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import channels as _channels
from bot.app import PartnerBot
from bot.channels import Applied
from bot.errors import UserFacingError
from bot.replies import EMBED_DESCRIPTION_LIMIT, NO_MENTIONS, clip, escape, send
from bot.services.access import Actor, PartnershipRef
from bot.services.guide import Checklist
from bot.services.health import HealthService
from bot.services.health.chart import participation_png
from bot.services.register import (
    RETENTION_MONTHS_MAX,
    ChannelState,
    RegisterService,
    show_value,
)
from bot.services.vocab import (
    AGREEMENT_HELP,
    CAPACITY_HELP,
    NAME_MAX,
    ORG_NAME_MAX,
    PURPOSE_MAX,
    RELATIONSHIP_HELP,
    SPEAKS_FOR_ORGANISATION,
    AgreementRule,
    Capacity,
    Relationship,
    Sector,
    label,
)
from cogs._base import thinking
from cogs._context import actor_of, enum_choices, partnership_autocomplete, ref_of
from cogs._digest_text import DIGEST_CHOICES, announcements_note, digest_setting_text
from cogs._guide_text import create_reply, welcome_message
from cogs._health_text import CHART_NAME, health_embed
from cogs._partnership_text import (
    LEVELS_OPTION,
    PHASES_OPTION,
    RELATIONSHIP_CHOICES,
    info_embed,
    relationship_reply,
    settings_notes,
)

log = logging.getLogger(__name__)

# Who a creator may be for their organisation: its representative or its substitute.
CREATOR_CAPACITIES = [c for c in Capacity if c in SPEAKS_FOR_ORGANISATION]


@app_commands.guild_only()
class PartnershipCog(commands.GroupCog, group_name="partnership"):
    """Partnerships: each with its own private channel."""

    relationship = app_commands.Group(
        name="relationship",
        description="Conveners: how co-production relates to the partnership (several may hold).",
    )

    def __init__(self, bot: PartnerBot) -> None:
        self.bot = bot
        self.register: RegisterService = bot.services.register
        self.health_service: HealthService = bot.services.health
        super().__init__()

    @app_commands.command(name="create", description="Create a partnership with its own channel.")
    @app_commands.describe(
        name="A short name, unique in this server",
        purpose="What the partnership is for, in a sentence or two",
        relationship="How co-production relates to this collaboration",
        timezone="IANA time zone, e.g. Europe/London (default: the bot's)",
        organisation="The organisation you speak for (it joins as a core partner); none: yourself",
        sector="Its sector, if it is new in this server",
        capacity="How you speak for it (default: representative)",
    )
    @app_commands.choices(
        relationship=enum_choices(Relationship, RELATIONSHIP_HELP),
        sector=enum_choices(Sector),
        capacity=enum_choices(CREATOR_CAPACITIES, CAPACITY_HELP),
    )
    async def create(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, NAME_MAX],
        purpose: app_commands.Range[str, 1, PURPOSE_MAX],
        relationship: app_commands.Choice[str] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        organisation: app_commands.Range[str, 1, ORG_NAME_MAX] | None = None,
        sector: app_commands.Choice[str] | None = None,
        capacity: app_commands.Choice[str] | None = None,
    ) -> None:
        actor = actor_of(interaction)
        draft = await self.register.prepare_create(
            actor,
            name,
            purpose,
            relationship.value if relationship else None,
            timezone,
            organisation=organisation,
            sector=sector.value if sector else None,
            capacity=capacity.value if capacity else None,
        )
        guild = interaction.guild
        if guild is None or self.bot.user is None:
            raise UserFacingError("This command works only inside a server.")
        await thinking(interaction)
        channel = await _channels.create_partnership_channel(
            guild, self.bot.user.id, actor.user_id, draft.name, draft.purpose
        )
        try:
            partnership = await self.register.create(actor, draft, channel.id)
        except BaseException:
            await channel.delete(reason="Partnerbot: the partnership could not be saved")
            raise
        await channel.send(
            welcome_message(
                partnership.name,
                partnership.purpose,
                actor.user_id,
                await self._checklist(actor, partnership.name),
            ),
            allowed_mentions=NO_MENTIONS,
        )
        await send(
            interaction,
            create_reply(
                partnership.name,
                channel.mention,
                organisation=draft.organisation,
                capacity=draft.capacity,
                note=draft.note,
            ),
        )

    async def _checklist(self, actor: Actor, name: str) -> Checklist | None:
        """What a new partnership's setup lacks, for its welcome message; None (and logged) if
        it can't be read: the partnership is made either way."""
        try:
            _name, checklist = await self.bot.services.guide.checklist(
                actor, PartnershipRef(name=name)
            )
        except Exception:
            log.exception("No setup checklist for the welcome message of %s", name)
            return None
        return checklist

    @app_commands.command(name="info", description="Show a partnership's purpose and settings.")
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def info(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        info = await self.register.info(actor_of(interaction), ref_of(interaction, partnership))
        await send(interaction, embed=info_embed(info))

    @app_commands.command(
        name="health", description="Signals of collaborative inertia to discuss, with a chart."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def health(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        await thinking(interaction)  # reading the partnership and drawing the chart take a moment
        view = await self.health_service.health(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        png = await asyncio.to_thread(
            participation_png,
            view.participation,
            title=f"Participation per organisation: {view.partnership_name}",
        )
        chart = discord.File(io.BytesIO(png), filename=CHART_NAME)
        await send(interaction, embed=health_embed(view, chart_name=CHART_NAME), file=chart)

    @app_commands.command(name="list", description="List the partnerships you belong to.")
    async def list_(self, interaction: discord.Interaction) -> None:
        actor = actor_of(interaction)
        partnerships = await self.register.list_visible(actor)
        if not partnerships:
            await send(interaction, "You don't belong to any partnership in this server yet.")
            return
        lines = []
        for p in partnerships:
            where = f" · <#{p.channel_id}>" if p.channel_id else ""
            archived = " · archived" if p.is_archived else ""
            lines.append(f"**{escape(p.name)}**{where}{archived}")
        title = "Partnerships in this server" if actor.manage_guild else "Your partnerships"
        embed = discord.Embed(
            title=title, description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
        )
        await send(interaction, embed=embed)

    @app_commands.command(
        name="configure", description="Conveners: change a partnership's settings."
    )
    @app_commands.describe(
        agreement_rule="How goals become agreed: consensus (default) or majority",
        anonymity_threshold="Fewest distinct organisations before trust results show (2 or more)",
        timezone="IANA time zone, e.g. Europe/London",
        relationship="Add a relationship between co-production and this collaboration",
        count_individuals="Count people in their own capacity and citizens toward agreement",
        purpose="A new statement of purpose",
        partnership="Which partnership (implied in its channel)",
        retention_months="Free text older than this many months reads as removed (0 keeps all)",
        research_consent="Allow the command line's pseudonymised research export (logged)",
        announcements="Announce goal agreements, statuses and progress in the channel (default on)",
        digest="Post a weekly digest in the channel on Mondays at 09:00 (default off)",
        phases=PHASES_OPTION,
        levels=LEVELS_OPTION,
    )
    @app_commands.choices(
        agreement_rule=enum_choices(AgreementRule, AGREEMENT_HELP),
        relationship=enum_choices(Relationship, RELATIONSHIP_HELP),
        digest=DIGEST_CHOICES,
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def configure(
        self,
        interaction: discord.Interaction,
        agreement_rule: app_commands.Choice[str] | None = None,
        anonymity_threshold: app_commands.Range[int, 2, 50] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        relationship: app_commands.Choice[str] | None = None,
        count_individuals: bool | None = None,
        purpose: app_commands.Range[str, 1, PURPOSE_MAX] | None = None,
        partnership: str | None = None,
        retention_months: app_commands.Range[int, 0, RETENTION_MONTHS_MAX] | None = None,
        research_consent: bool | None = None,
        announcements: bool | None = None,
        digest: app_commands.Choice[str] | None = None,
        phases: app_commands.Range[str, 1, 100] | None = None,
        levels: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await thinking(interaction)
        p, changes = await self.register.configure(
            actor_of(interaction),
            ref_of(interaction, partnership),
            agreement_rule=agreement_rule.value if agreement_rule else None,
            anonymity_threshold=anonymity_threshold,
            timezone=timezone,
            relationship=relationship.value if relationship else None,
            count_individuals=count_individuals,
            purpose=purpose,
            retention_months=retention_months,
            research_consent=research_consent,
            announcements=announcements,
            digest=digest.value if digest else None,
            phases=phases,
            levels=levels,
        )
        schedule = ""
        if digest is not None:  # the digest's schedule follows the setting (made, or cancelled)
            followed = await self.bot.services.digest.follow_setting(
                actor_of(interaction), ref_of(interaction, p.name)
            )
            schedule = f"\n{digest_setting_text(followed)}"
        if not changes:
            await send(interaction, f"{escape(p.name)} already has those settings.{schedule}")
            return
        described = "\n".join(
            f"• {label(k)}: {escape(show_value(old, k))} → {escape(show_value(new, k))}"
            for k, (old, new) in changes.items()
        )
        await send(
            interaction,
            f"Updated **{escape(p.name)}**:\n{described}{settings_notes(changes)}"
            f"{announcements_note(changes)}{schedule}",
        )

    @app_commands.command(
        name="archive", description="Conveners: archive a partnership (read-only, kept)."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def archive(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        await thinking(interaction)
        p = await self.register.archive(actor_of(interaction), ref_of(interaction, partnership))
        assert p.id is not None
        result = await self.bot.channels.apply(p.id)
        if result.outcome is Applied.done and p.channel_id:
            try:
                await self.bot.http.send_message(
                    p.channel_id,
                    params=discord.http.handle_message_parameters(
                        content="This partnership has been archived. The channel stays "
                        "readable; nothing has been deleted.",
                        allowed_mentions=NO_MENTIONS,
                    ),
                )
            except discord.HTTPException as error:
                log.warning("No archive note in channel %s: %s", p.channel_id, error)
        locked = (
            " Its channel is now read-only."
            if result.outcome is Applied.done and p.channel_id
            else ""
        )
        await send(
            interaction,
            f"Archived **{escape(p.name)}**. Its history is kept.{locked}{result.note()}",
        )

    @app_commands.command(
        name="repair", description="Conveners: bring a partnership's channel access back in line."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def repair(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        state = await self.register.repair_target(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        await thinking(interaction)
        result = await self.bot.channels.apply(state.partnership_id)
        made = ""
        if result.outcome is Applied.no_channel and not state.archived:
            made = await self._new_channel(interaction, state)
            result = await self.bot.channels.apply(state.partnership_id)
        if result.outcome is Applied.done:
            changed = (
                f"I changed access for {result.changed} "
                f"{'person' if result.changed == 1 else 'people'}"
                if result.changed
                else "Nothing needed changing"
            )
            skipped = (
                f"; {len(result.skipped)} no longer in this server, so skipped"
                if result.skipped
                else ""
            )
            text = (
                f"{made}Channel access of **{escape(state.name)}** matches its members. "
                f"{changed}{skipped}."
            )
        else:
            text = f"{made}**{escape(state.name)}**:{result.note()}"
        await send(interaction, text)

    @relationship.command(
        name="add", description="Conveners: add a relationship between co-production and it."
    )
    @app_commands.describe(
        relationship="How co-production relates to this collaboration",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(relationship=RELATIONSHIP_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def relationship_add(
        self,
        interaction: discord.Interaction,
        relationship: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        change = await self.register.add_relationship(
            actor_of(interaction), ref_of(interaction, partnership), relationship.value
        )
        await send(interaction, relationship_reply(change))

    @relationship.command(
        name="remove", description="Conveners: remove a relationship it no longer holds."
    )
    @app_commands.describe(
        relationship="The relationship to remove (its history is kept)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(relationship=RELATIONSHIP_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def relationship_remove(
        self,
        interaction: discord.Interaction,
        relationship: app_commands.Choice[str],
        partnership: str | None = None,
    ) -> None:
        change = await self.register.remove_relationship(
            actor_of(interaction), ref_of(interaction, partnership), relationship.value
        )
        await send(interaction, relationship_reply(change))

    async def _new_channel(self, interaction: discord.Interaction, state: ChannelState) -> str:
        """A channel for a partnership that has none in this server (imported, or its channel
        was deleted); the words saying so, or "" when the register changed meanwhile."""
        guild = interaction.guild
        if guild is None or self.bot.user is None:
            raise UserFacingError("This command works only inside a server.")
        actor = actor_of(interaction)
        channel = await _channels.create_partnership_channel(
            guild, self.bot.user.id, actor.user_id, state.name, f"Partnership: {state.name}"
        )
        try:
            given = await self.register.give_channel(
                actor, state.partnership_id, channel.id, replacing=state.channel_id
            )
        except BaseException:
            await channel.delete(reason="Partnerbot: the channel could not be recorded")
            raise
        if not given:
            await channel.delete(reason="Partnerbot: the partnership has a channel already")
            return ""
        return f"**{escape(state.name)}** had no channel here, so I made {channel.mention}. "


async def setup(bot: PartnerBot) -> None:
    await bot.add_cog(PartnershipCog(bot))
