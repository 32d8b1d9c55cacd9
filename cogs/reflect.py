"""/reflect: scheduled reflective prompts, posted once, with answers kept in the log.

The schedule engine (`bot.scheduling`) decides when; this cog registers the `prompt` action on
it, which posts through REST by channel id (the guild cache may still be empty when the engine
catches up in `setup_hook`), with the occurrence's nonce so a re-run cannot post twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import PartnerBot
from bot.errors import UserFacingError
from bot.prompts import themes
from bot.replies import EMBED_DESCRIPTION_LIMIT, NO_MENTIONS, clip, escape, send
from bot.scheduling import Due, TargetGone, TransientError
from bot.services.recurrence import Cadence
from bot.services.reflection import (
    ANSWER_MAX,
    CADENCE_LABELS,
    PROMPT_MAX,
    ROTATION,
    SCHEDULE_KIND,
    OccurrenceView,
    PostDraft,
    ReflectionService,
    ScheduleSummary,
    ScheduleView,
    message_link,
    theme_label,
)
from bot.services.timeutil import discord_timestamp
from cogs._context import actor_of, partnership_autocomplete, ref_of, where_of
from cogs._reflect_views import (
    ANSWER_PREFIX,
    ReflectButton,
    answer_view,
    handle_form,
    prompt_embed,
    share_answer,
    submitted_form,
    thanks,
    thread_name,
)

log = logging.getLogger(__name__)

THREAD_ALREADY_EXISTS = 160004  # Discord: "A thread has already been created for this message"
# A week of discussion before the thread archives itself.
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
CADENCE_CHOICES = [Choice(name=CADENCE_LABELS[c], value=c.value) for c in Cadence]
THEME_CHOICES = [Choice(name=t.label, value=t.key) for t in themes()]
THEME_OR_ROTATION = [Choice(name="Rotation: each theme in turn", value=ROTATION), *THEME_CHOICES]
TRANSIENT = (discord.DiscordServerError, TimeoutError, aiohttp.ClientError)
RECENT_MESSAGES = 50  # how far back a retry looks for its own unrecorded post

OCCURRENCE_WORDS = {
    "claimed": "being sent",
    "done": "posted",
    "missed": "missed while the bot was offline",
}


def timestamps(moments: list[datetime]) -> str:
    return "\n".join(f"• {discord_timestamp(m, 'F')}" for m in moments)


def theme_words(theme: str | None) -> str:
    return theme_label(theme) if theme else "each theme in turn"


def occurrence_line(o: OccurrenceView) -> str:
    when = discord_timestamp(o.due_at, "f")
    error = f": {clip(escape(o.last_error), 200)}" if o.last_error else ""
    if o.state == "retrying":
        nxt = f", next try {discord_timestamp(o.next_attempt_at, 'R')}" if o.next_attempt_at else ""
        return f"{when}: retrying after {o.attempts} failed attempt(s){error}{nxt}"
    if o.state == "failed":
        return f"{when}: **failed**{error}"
    late = " (late)" if o.late and o.state == "done" else ""
    return f"{when}: {OCCURRENCE_WORDS.get(o.state, o.state)}{late}"


def summary_block(s: ScheduleSummary) -> str:
    v = s.schedule
    lines = [f"**#{v.id}** {escape(v.description)}", f"Theme: {theme_words(v.theme)}"]
    if v.state == "active":
        nxt = f" · next {discord_timestamp(v.upcoming[0], 'F')}" if v.upcoming else ""
        lines.append(f"State: active{nxt}")
    else:
        reason = f" ({escape(v.paused_reason)})" if v.paused_reason else ""
        lines.append(f"State: **{v.state}**{reason}")
    lines.append(f"Last: {occurrence_line(s.last)}" if s.last else "Last: nothing yet")
    if s.last_problem:
        lines.append(f"Earlier: {occurrence_line(s.last_problem)}")
    return "\n".join(lines)


def schedule_reply(view: ScheduleView, headline: str) -> str:
    where = f" in <#{view.channel_id}>" if view.channel_id else ""
    text = f"{headline}\n{escape(view.description)}{where}.\nTheme: {theme_words(view.theme)}."
    if view.upcoming:
        text += f"\nNext {len(view.upcoming)}:\n{timestamps(view.upcoming)}"
    return text


@app_commands.guild_only()
class ReflectCog(commands.GroupCog, group_name="reflect"):
    """Reflective prompts: open questions posted on a schedule, with answers kept in the log."""

    prompt = app_commands.Group(name="prompt", description="The partnership's own prompts.")

    def __init__(self, bot: PartnerBot, service: ReflectionService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    # ------------------------------------------------------------------ schedules

    @app_commands.command(name="schedule", description="Post reflective prompts on a schedule.")
    @app_commands.describe(
        cadence="How often",
        time="Local time, HH:MM on the 24-hour clock (default 09:30)",
        day="Weekly/fortnightly: day names (mon,thu). Monthly: day number 1–31",
        cron="For cadence cron: a 5-field expression, e.g. 30 9 * * 1",
        theme="A fixed theme, or rotation through all themes (default)",
        partnership="Which partnership (implied in its channel)",
        holidays="Local dates to skip, YYYY-MM-DD, separated by commas",
        start="First local date it may post, YYYY-MM-DD (fortnightly: an on week)",
    )
    @app_commands.choices(cadence=CADENCE_CHOICES, theme=THEME_OR_ROTATION)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def schedule_(
        self,
        interaction: discord.Interaction,
        cadence: Choice[str],
        time: Range[str, 1, 5] | None = None,
        day: Range[str, 1, 60] | None = None,
        cron: Range[str, 1, 100] | None = None,
        theme: Choice[str] | None = None,
        partnership: str | None = None,
        holidays: Range[str, 1, 1000] | None = None,
        start: Range[str, 1, 10] | None = None,
    ) -> None:
        view = await self.service.create_schedule(
            actor_of(interaction),
            ref_of(interaction, partnership),
            cadence=cadence.value,
            local_time=time,
            day=day,
            cron=cron,
            theme=theme.value if theme else None,
            holidays=holidays,
            start=start,
        )
        await self.bot.scheduler.sync(view.id)
        await send(
            interaction,
            schedule_reply(
                view,
                f"Scheduled reflective prompts for **{escape(view.partnership_name)}** "
                f"(schedule #{view.id}):",
            ),
        )

    @app_commands.command(
        name="list", description="A partnership's prompt schedules and how each is doing."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def list_(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        p, summaries = await self.service.list_schedules(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        if not summaries:
            await send(
                interaction,
                f"{escape(p.name)} has no prompt schedules yet. A convener can add one with "
                "`/reflect schedule`.",
            )
            return
        embed = discord.Embed(
            title=clip(f"Reflective prompt schedules of {p.name}", 256),
            description=clip(
                "\n\n".join(summary_block(s) for s in summaries), EMBED_DESCRIPTION_LIMIT
            ),
        )
        embed.set_footer(
            text=f"Schedules keep {p.timezone} time; the times shown are in your own zone."
        )
        await send(interaction, embed=embed)

    @app_commands.command(name="pause", description="Pause a prompt schedule.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def pause(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        view = await self.service.pause(actor_of(interaction), schedule)
        await self.bot.scheduler.sync(view.id)
        await send(
            interaction,
            f"Paused schedule #{view.id} of **{escape(view.partnership_name)}** "
            f"({escape(view.description)}). Resume it with `/reflect resume`.",
        )

    @app_commands.command(name="resume", description="Resume a paused prompt schedule.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def resume(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        view = await self.service.resume(actor_of(interaction), schedule)
        await self.bot.scheduler.sync(view.id)
        await send(
            interaction,
            schedule_reply(
                view,
                f"Resumed schedule #{view.id} of **{escape(view.partnership_name)}**. "
                "Prompts missed while it was paused are not posted.",
            ),
        )

    @app_commands.command(name="cancel", description="Stop a prompt schedule for good.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def cancel(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        view = await self.service.cancel(actor_of(interaction), schedule)
        await self.bot.scheduler.sync(view.id)
        await send(
            interaction,
            f"Cancelled schedule #{view.id} of **{escape(view.partnership_name)}** "
            f"({escape(view.description)}). Posts and answers so far are kept.",
        )

    @app_commands.command(name="skip", description="Skip one local date (a holiday).")
    @app_commands.describe(
        date="The local date to skip, YYYY-MM-DD",
        schedule="Only this schedule (default: all the partnership's prompt schedules)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def skip(
        self,
        interaction: discord.Interaction,
        date: Range[str, 1, 10],
        schedule: Range[str, 1, 20] | None = None,
        partnership: str | None = None,
    ) -> None:
        result = await self.service.skip(
            actor_of(interaction), ref_of(interaction, partnership), date, schedule
        )
        lines = []
        for view, lost in result.skipped:
            await self.bot.scheduler.sync(view.id)
            what = (
                "skips " + ", ".join(discord_timestamp(t, "F") for t in lost)
                if lost
                else "had nothing due that day"
            )
            lines.append(f"• #{view.id} {escape(view.description)}: {what}")
        for view in result.already:
            lines.append(f"• #{view.id} already skipped that day")
        await send(
            interaction,
            f"Skipping {result.day.isoformat()} ({result.timezone}) in "
            f"**{escape(result.partnership_name)}**:\n" + "\n".join(lines),
        )

    async def _schedules(
        self, interaction: discord.Interaction, current: str, states: tuple[str, ...]
    ) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.service.schedule_choices(actor_of(interaction), current, states=states)
        return [Choice(name=name, value=value) for name, value in found]

    @pause.autocomplete("schedule")
    async def _pause_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, ("active",))

    @resume.autocomplete("schedule")
    async def _resume_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, ("paused",))

    @cancel.autocomplete("schedule")
    @skip.autocomplete("schedule")
    async def _live_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, ("active", "paused"))

    # ------------------------------------------------------------------ prompts and answers

    @app_commands.command(name="now", description="Post a reflective prompt now.")
    @app_commands.describe(
        theme="A theme, or the next in the rotation (default)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(theme=THEME_OR_ROTATION)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def now(
        self,
        interaction: discord.Interaction,
        theme: Choice[str] | None = None,
        partnership: str | None = None,
    ) -> None:
        draft = await self.service.prepare_now(
            actor_of(interaction), ref_of(interaction, partnership), theme.value if theme else None
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            result = await self.deliver(draft, nonce=f"pb-post-{draft.post_id}")
        except TargetGone as exc:
            await self.service.discard(draft.post_id)
            raise UserFacingError(
                f"I couldn't post in the channel of {escape(draft.partnership_name)}: {exc}"
            ) from exc
        except TransientError as exc:
            await self.service.discard(draft.post_id)
            raise UserFacingError(
                "Discord didn't take the post just now (it may be having trouble), so nothing "
                "was posted. Try again in a minute."
            ) from exc
        link = message_link(draft.guild_id, result["channel_id"], result["message_id"])
        await send(
            interaction,
            f"Posted prompt #{draft.post_id} on {draft.theme_label} in "
            f"<#{result['channel_id']}>: {link}",
        )

    @app_commands.command(name="respond", description="Answer a reflective prompt.")
    @app_commands.describe(
        prompt="The prompt (recent ones are listed; or type its number)",
        text="Your reflection: a few sentences are plenty",
    )
    async def respond(
        self,
        interaction: discord.Interaction,
        prompt: Range[str, 1, 20],
        text: Range[str, 1, ANSWER_MAX],
    ) -> None:
        result = await self.service.answer(actor_of(interaction), prompt, text)
        await send(interaction, thanks(result))
        await share_answer(self.bot, result)

    @respond.autocomplete("prompt")
    async def _prompt_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.service.post_choices(
            actor_of(interaction), where_of(interaction), current
        )
        return [Choice(name=name, value=value) for name, value in found]

    @prompt.command(name="add", description="Add the partnership's own prompt to the rotation.")
    @app_commands.describe(
        theme="The theme it belongs to",
        text="An open question, at most 300 characters",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(theme=THEME_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def prompt_add(
        self,
        interaction: discord.Interaction,
        theme: Choice[str],
        text: Range[str, 1, PROMPT_MAX],
        partnership: str | None = None,
    ) -> None:
        added = await self.service.add_prompt(
            actor_of(interaction), ref_of(interaction, partnership), theme.value, text
        )
        await send(
            interaction,
            f"Added to the {theme_label(added.theme)} theme: “{escape(added.text)}”\n"
            "It comes up before any prompt of that theme is repeated.",
        )

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """A new time zone (or an archive) changes when schedules fire: re-time their triggers."""
        for schedule_id in await self.service.live_schedule_ids(partnership_id):
            await self.bot.scheduler.sync(schedule_id)

    @commands.Cog.listener("on_interaction")
    async def _answer_form(self, interaction: discord.Interaction) -> None:
        """Every sent Reflect form, whichever process opened it (see `AnswerModal`)."""
        submitted = submitted_form(interaction)
        if submitted is not None:
            await handle_form(interaction, *submitted)

    # ------------------------------------------------------------------ delivery

    async def run_prompt(self, due: Due) -> dict[str, Any]:
        """The scheduled action: one prompt for one occurrence, posted once."""
        theme = due.options.get("theme")
        draft = await self.service.prepare_scheduled(
            occurrence_id=due.occurrence_id,
            schedule_id=due.schedule_id,
            partnership_id=due.partnership_id,
            theme=theme if isinstance(theme, str) else None,
            late=due.late,
            due_at=due.due_at,
        )
        return await self.deliver(draft, nonce=due.nonce)

    async def deliver(self, draft: PostDraft, *, nonce: str) -> dict[str, Any]:
        """Post the prompt (unless it was posted already), record it, then open its thread.

        Shared by the schedule and `/reflect now`. Raises `TransientError` for a passing failure
        and `TargetGone` when the channel is gone or closed to the bot.
        """
        channel_id = draft.channel_id
        if channel_id is None:
            raise TargetGone("The partnership has no channel to post in.")
        message_id = draft.message_id
        if message_id is None and draft.resumed:
            message_id = await self._find_posted(channel_id, draft.post_id)
        if message_id is None:
            channel = self.bot.get_partial_messageable(
                channel_id, guild_id=draft.guild_id, type=discord.ChannelType.text
            )
            try:
                message = await channel.send(
                    embed=prompt_embed(draft),
                    view=answer_view(draft.post_id),
                    allowed_mentions=NO_MENTIONS,
                    nonce=nonce,  # discord.py sends enforce_nonce with it
                )
            except discord.NotFound as exc:
                raise TargetGone("The partnership's channel no longer exists.") from exc
            except discord.Forbidden as exc:
                raise TargetGone("I'm not allowed to post in the partnership's channel.") from exc
            except TRANSIENT as exc:
                raise TransientError(_describe(exc)) from exc
            message_id = message.id
        if draft.message_id is None:
            draft = await self.service.mark_posted(
                draft.post_id,
                channel_id=channel_id,
                message_id=message_id,
                actor_name=draft.actor_name,
            )
        thread_id = draft.thread_id or await self._open_thread(draft)
        return {
            "post_id": draft.post_id,
            "prompt": draft.prompt_ref,
            "theme": draft.theme,
            "channel_id": draft.channel_id,
            "message_id": draft.message_id,
            "thread_id": thread_id,
        }

    async def _find_posted(self, channel_id: int, post_id: int) -> int | None:
        """The message an earlier attempt posted but never recorded, if the channel shows it.

        Discord honours a nonce for a few minutes only; a retry after that would post again if
        the first attempt reached Discord and only its answer was lost. The Reflect button's
        custom id names the post, so the bot's recent messages tell.
        """
        wanted = f"{ANSWER_PREFIX}{post_id}"
        me = str(self.bot.user.id) if self.bot.user else None
        try:
            recent: list[dict[str, Any]] = await self.bot.http.logs_from(  # type: ignore[assignment]
                channel_id, RECENT_MESSAGES
            )
        except (discord.HTTPException, *TRANSIENT):
            return None  # sending will tell what is wrong; the nonce still guards a quick retry
        for message in recent:
            ids = [
                component.get("custom_id")
                for row in message.get("components") or []
                for component in row.get("components") or []
            ]
            if wanted in ids and message.get("author", {}).get("id") == me:
                return int(message["id"])
        return None

    async def _open_thread(self, draft: PostDraft) -> int | None:
        """A thread on the prompt for discussion. Best effort: the prompt is already posted."""
        assert draft.channel_id is not None and draft.message_id is not None
        try:
            data = await self.bot.http.start_thread_with_message(
                draft.channel_id,
                draft.message_id,
                name=thread_name(draft),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                reason="Partnerbot: discussion of a reflective prompt",
            )
            thread_id = int(data["id"])
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                log.warning("No thread for prompt post %s: %s", draft.post_id, exc)
                return None
            thread_id = draft.message_id  # a thread started from a message shares its id
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("No thread for prompt post %s: %s", draft.post_id, _describe(exc))
            return None
        await self.service.mark_thread(draft.post_id, thread_id)
        return thread_id

    async def on_gone(self, due: Due, reason: str) -> None:
        """The schedule was paused because its channel is gone: tell each convener by DM."""
        notice = await self.service.gone_notice(due.partnership_id, due.schedule_id)
        text = (
            f"Your reflective prompt schedule #{due.schedule_id} in "
            f"**{escape(notice.partnership_name)}** is paused: {reason} "
            "Once the partnership has a channel I can post in, resume it with "
            f"`/reflect resume schedule:{due.schedule_id}`."
        )
        for user_id in notice.convener_ids:
            try:
                dm = await self.bot.create_dm(discord.Object(id=user_id))
                await dm.send(text, allowed_mentions=NO_MENTIONS)
            except Exception as exc:  # a closed DM must not stop the others
                log.warning("Could not tell convener %s about schedule %s: %s", user_id, due, exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status}: {exc.text or type(exc).__name__}"
    if isinstance(exc, TimeoutError):
        return "Discord did not answer in time."
    return f"{type(exc).__name__}: {exc}"


async def setup(bot: PartnerBot) -> None:
    cog = ReflectCog(bot, bot.services.reflection)
    await bot.add_cog(cog)
    bot.add_dynamic_items(ReflectButton)
    bot.scheduler.register(SCHEDULE_KIND, cog.run_prompt, cog.on_gone)


async def teardown(bot: PartnerBot) -> None:
    bot.remove_dynamic_items(ReflectButton)
