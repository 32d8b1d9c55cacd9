"""What `/partnership` shows and says: the info embed (with co-production: the relationships
held, and the phases and levels at which citizens take part), the words about changed settings,
and the relationship commands' choices and replies."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_FIELD_LIMIT, clip, escape
from bot.services.register import PartnershipInfo, RelationshipChange
from bot.services.timeutil import discord_timestamp
from bot.services.vocab import label, status_label
from cogs._guide_text import checklist_text


def info_embed(info: PartnershipInfo) -> discord.Embed:
    p = info.partnership
    embed = discord.Embed(
        title=clip(p.name, 256),
        description=clip(escape(p.purpose), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.dark_grey() if p.is_archived else discord.Colour.teal(),
    )
    embed.add_field(name="Co-production", value=coproduction_text(info), inline=False)
    embed.add_field(name="Agreement rule", value=label(p.agreement_rule))
    embed.add_field(name="Time zone", value=p.timezone)
    embed.add_field(name="Anonymity threshold", value=f"{p.anonymity_threshold} organisations")
    embed.add_field(
        name="Retention",
        value=f"{p.retention_months} months" if p.retention_months else "everything kept",
    )
    embed.add_field(name="Research consent", value="on" if p.research_consent else "off")
    embed.add_field(name="Announcements", value="on" if p.announcements else "off")
    embed.add_field(name="Digest", value=label(p.digest))
    if p.channel_id:
        embed.add_field(name="Channel", value=f"<#{p.channel_id}>")
    embed.add_field(name="Created", value=discord_timestamp(p.created_at, "D"))
    if p.is_archived and p.archived_at:
        embed.add_field(name="Archived", value=discord_timestamp(p.archived_at, "D"))
    partners = (
        "\n".join(
            f"{escape(o.name)} · {label(o.sector)} · {status_label(o.status)}"
            for o in info.partners
        )
        or "None yet: add one with `/partner add`."
    )
    embed.add_field(
        name=f"Organisations ({len(info.partners)})",
        value=clip(partners, EMBED_FIELD_LIMIT),
        inline=False,
    )
    conveners = [m for m in info.members if m.is_convener]
    embed.add_field(
        name=f"Members ({len(info.members)})",
        value=clip(
            "Conveners: " + (", ".join(f"<@{m.user_id}>" for m in conveners) or "none"),
            EMBED_FIELD_LIMIT,
        ),
        inline=False,
    )
    if not info.checklist.complete:
        embed.add_field(
            name="To finish setting up",
            value=clip(checklist_text(info.checklist), EMBED_FIELD_LIMIT),
            inline=False,
        )
    if p.is_archived:
        embed.set_footer(text="Archived: read-only, nothing deleted.")
    return embed


# `/partnership relationship add|remove`: each choice says what the relationship means
# (Sancino & Jacklin-Jarvis 2016), its stored word last.
RELATIONSHIP_CHOICES = [
    app_commands.Choice(
        name="Co-production led to this collaboration (antecedent)", value="antecedent"
    ),
    app_commands.Choice(name="This collaboration enables co-production (enabler)", value="enabler"),
    app_commands.Choice(
        name="Co-production and this collaboration: distinct but complementary (complementary)",
        value="complementary",
    ),
    app_commands.Choice(
        name="Co-production and this collaboration: alternative strategies (alternative)",
        value="alternative",
    ),
]
PHASES_OPTION = (
    "Phases citizens take part in: commissioning, design, delivery, assessment (commas; none)"
)
LEVELS_OPTION = "Levels citizens take part at: individual, group, collective (commas; none)"


def coproduction_text(info: PartnershipInfo) -> str:
    """How co-production relates to the partnership: the relationships it holds (each since
    when), and the phases and levels at which citizens take part (Nabatchi et al. 2017)."""
    p = info.partnership
    held = (
        "\n".join(
            f"• {escape(h.words)} (since {discord_timestamp(h.added_at, 'D')})"
            for h in info.relationships
        )
        or "Relationship: unclear. Add one with `/partnership relationship add`."
    )
    phases = ", ".join(p.citizen_phases) or "not set"
    levels = ", ".join(p.coproduction_levels) or "not set"
    return clip(
        f"{held}\nCitizens take part in: {phases}\nAt the level of: {levels}", EMBED_FIELD_LIMIT
    )


def settings_notes(changes: dict[str, tuple[object, object]]) -> str:
    """What a change of retention or research consent means, said once when it changes."""
    notes = []
    if "retention_months" in changes:
        months = changes["retention_months"][1]
        notes.append(
            "Free text (notes, stance comments, reflection answers, readings' origin details) "
            f"older than {months} months now reads as removed in every view, reply and export. "
            "Nothing is deleted: setting 0 shows it again."
            if months
            else "Free text is kept and shown however old it is."
        )
    if "research_consent" in changes:
        notes.append(
            "Research consent is on: the command line's pseudonymised research export "
            "(stable pseudonyms, no Discord ids, free text dropped unless asked for) may now "
            "be made. The change is in the partnership log."
            if changes["research_consent"][1]
            else "Research consent is off: the command line refuses the pseudonymised "
            "research export. The change is in the partnership log."
        )
    return "".join(f"\n{note}" for note in notes)


def relationship_reply(change: RelationshipChange) -> str:
    done = "Added" if change.added else "Removed"
    where = "to" if change.added else "from"
    held = ", ".join(label(h.relationship) for h in change.held) or "none (unclear)"
    return (
        f"{done} the relationship **{label(change.relationship)}** {where} "
        f"**{escape(change.partnership.name)}**. It now holds: {held}. "
        "The change is in the partnership log."
    )
