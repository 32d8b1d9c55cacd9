"""/reflect: scheduled reflective prompts, posted once, with answers kept as each prompt's
visibility says (named, anonymous, private).

Commands only: schedules go through `bot.services.schedules` (kind "prompt"), prompts and
answers through `bot.services.reflection`. Delivery on Discord is `PromptDelivery`
(`_reflect_delivery.py`), which `setup` registers as the schedule engine's `prompt` action; the
reply texts are in `_reflect_text.py`, the embed, button and form in `_reflect_views.py`, and
how answers are shown (and `/reflect mine`) in `_reflect_answers.py`. Anonymous answers that
could not be shown at once are shown a minute later by their timer (`reflect.show`, see
`bot.services.reflection.late_shows`), which `setup` registers with `show_late` as handler.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import PartnerBot
from bot.errors import UserFacingError
from bot.prompts import themes
from bot.replies import EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, clip, escape, send
from bot.scheduling import TargetGone, TransientError
from bot.services.recurrence import Cadence
from bot.services.reflection import (
    ANSWER_MAX,
    CHOICE_WORDS,
    PROMPT_MAX,
    ROTATION,
    SCHEDULE_KIND,
    ReflectionService,
    Visibility,
    short_words,
    theme_label,
)
from bot.services.reflection.late_shows import SHOW_TIMER
from bot.services.reflection.late_shows import seed_timers as seed_show_timers
from bot.services.schedules import CADENCE_LABELS, ScheduleService
from bot.services.text import message_link
from bot.services.timeutil import discord_timestamp
from bot.timers import Fire, TimerSkipped
from cogs._base import thinking
from cogs._context import (
    actor_of,
    partnership_autocomplete,
    ref_of,
    schedule_autocomplete,
    where_of,
)
from cogs._reflect_answers import mine_embed, show, withdrawn_reply
from cogs._reflect_delivery import SCHEDULED_REQUESTS, PromptDelivery
from cogs._reflect_text import schedule_reply, summary_block
from cogs._reflect_views import ReflectButton, handle_form, thanks
from db.models import LIVE_STATES, ScheduleState

log = logging.getLogger(__name__)

CADENCE_CHOICES = [Choice(name=CADENCE_LABELS[c], value=c.value) for c in Cadence]
THEME_CHOICES = [Choice(name=t.label, value=t.key) for t in themes()]
THEME_OR_ROTATION = [Choice(name="Rotation: each theme in turn", value=ROTATION), *THEME_CHOICES]
VISIBILITY_CHOICES = [Choice(name=CHOICE_WORDS[v], value=v.value) for v in Visibility]
VISIBILITY_DEFAULT = "Who sees the answers (default: each prompt's own; sensitive ones anonymous)"


@app_commands.guild_only()
class ReflectCog(commands.GroupCog, group_name="reflect"):
    """Reflective prompts: open questions posted on a schedule, with answers kept in the log."""

    prompt = app_commands.Group(name="prompt", description="The partnership's own prompts.")

    def __init__(
        self,
        bot: PartnerBot,
        service: ReflectionService,
        schedules: ScheduleService,
        delivery: PromptDelivery,
    ) -> None:
        self.bot = bot
        self.service = service
        self.schedules = schedules
        self.delivery = delivery
        super().__init__()

    async def show_late(self, fire: Fire) -> dict[str, Any]:
        """The `reflect.show` timer: post an anonymous answer Discord did not take at once. A
        post that fails again is retried with the timer engine's back-off."""
        shown = await self.service.show_late(fire.subject_id)
        if shown is None:
            raise TimerSkipped("shown already, withdrawn, replaced, or too old to try")
        await fire.spend(1)
        if not await show(self.bot, [shown]):
            raise TransientError("Discord did not take the answer")
        return {"post_id": shown.post_id}

    # ------------------------------------------------------------------ schedules

    @app_commands.command(
        name="schedule", description="Conveners: post reflective prompts on a schedule."
    )
    @app_commands.describe(
        cadence="How often",
        time="Local time, HH:MM on the 24-hour clock (default 09:30)",
        day="Weekly/fortnightly: day names (mon,thu). Monthly: day number 1–31",
        cron="For cadence cron: a 5-field expression, e.g. 30 9 * * 1",
        theme="A fixed theme, or rotation through all themes (default)",
        partnership="Which partnership (implied in its channel)",
        holidays="Local dates to skip, YYYY-MM-DD, separated by commas",
        start="First local date it may post, YYYY-MM-DD (fortnightly: an on week)",
        visibility=VISIBILITY_DEFAULT,
    )
    @app_commands.choices(
        cadence=CADENCE_CHOICES, theme=THEME_OR_ROTATION, visibility=VISIBILITY_CHOICES
    )
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
        visibility: Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        view = await self.schedules.create_schedule(
            SCHEDULE_KIND,
            actor_of(interaction),
            ref_of(interaction, partnership),
            cadence=cadence.value,
            local_time=time,
            day=day,
            cron=cron,
            theme=theme.value if theme else None,
            holidays=holidays,
            start=start,
            visibility=visibility.value if visibility else None,
        )
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
        p, summaries = await self.schedules.list_schedules(
            SCHEDULE_KIND, actor_of(interaction), ref_of(interaction, partnership)
        )
        if not summaries:
            await send(
                interaction,
                f"{escape(p.name)} has no prompt schedules yet. A convener can add one with "
                "`/reflect schedule`.",
            )
            return
        embed = discord.Embed(
            title=clip(f"Reflective prompt schedules of {p.name}", EMBED_TITLE_LIMIT),
            description=clip(
                "\n\n".join(summary_block(s) for s in summaries), EMBED_DESCRIPTION_LIMIT
            ),
        )
        embed.set_footer(
            text=f"Schedules keep {p.timezone} time; the times shown are in your own zone."
        )
        await send(interaction, embed=embed)

    @app_commands.command(name="pause", description="Conveners: pause a prompt schedule.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def pause(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.pause(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            f"Paused schedule #{view.id} of **{escape(view.partnership_name)}** "
            f"({escape(view.description)}). Resume it with `/reflect resume`.",
        )

    @app_commands.command(name="resume", description="Conveners: resume a paused prompt schedule.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def resume(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.resume(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            schedule_reply(
                view,
                f"Resumed schedule #{view.id} of **{escape(view.partnership_name)}**. "
                "Prompts missed while it was paused are not posted.",
            ),
        )

    @app_commands.command(name="cancel", description="Conveners: stop a prompt schedule for good.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def cancel(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.cancel(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            f"Cancelled schedule #{view.id} of **{escape(view.partnership_name)}** "
            f"({escape(view.description)}). Posts and answers so far are kept.",
        )

    @app_commands.command(name="skip", description="Conveners: skip one local date (a holiday).")
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
        await thinking(interaction)
        result = await self.schedules.skip(
            SCHEDULE_KIND, actor_of(interaction), ref_of(interaction, partnership), date, schedule
        )
        lines = []
        for view, lost in result.skipped:
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
        return await schedule_autocomplete(interaction, SCHEDULE_KIND, current, states)

    @pause.autocomplete("schedule")
    async def _pause_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, (ScheduleState.active,))

    @resume.autocomplete("schedule")
    async def _resume_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, (ScheduleState.paused,))

    @cancel.autocomplete("schedule")
    @skip.autocomplete("schedule")
    async def _live_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, LIVE_STATES)

    # ------------------------------------------------------------------ prompts and answers

    @app_commands.command(name="now", description="Conveners: post a reflective prompt now.")
    @app_commands.describe(
        theme="A theme, or the next in the rotation (default)",
        partnership="Which partnership (implied in its channel)",
        visibility=VISIBILITY_DEFAULT,
    )
    @app_commands.choices(theme=THEME_OR_ROTATION, visibility=VISIBILITY_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def now(
        self,
        interaction: discord.Interaction,
        theme: Choice[str] | None = None,
        partnership: str | None = None,
        visibility: Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        draft = await self.service.prepare_now(
            actor_of(interaction),
            ref_of(interaction, partnership),
            theme.value if theme else None,
            visibility.value if visibility else None,
        )
        try:
            result = await self.delivery.deliver(draft, nonce=f"pb-post-{draft.post_id}")
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
            f"<#{result['channel_id']}>: {link}\nAnswers: {short_words(draft.visibility)}"
            f"{_visibility_note(draft.visibility, draft.k)}",
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
        await thinking(interaction)
        result = await self.service.answer(actor_of(interaction), prompt, text)
        await send(interaction, thanks(result))
        await show(self.bot, result.shows)

    @app_commands.command(name="withdraw", description="Take back your answer to a prompt.")
    @app_commands.describe(prompt="The prompt you answered (your answers are listed)")
    async def withdraw(self, interaction: discord.Interaction, prompt: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        result = await self.service.withdraw(actor_of(interaction), prompt)
        edited = bool(await show(self.bot, [result.edit])) if result.edit is not None else False
        await send(interaction, withdrawn_reply(result, edited))

    @withdraw.autocomplete("prompt")
    async def _answered_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.service.answered_choices(
            actor_of(interaction), where_of(interaction), current
        )
        return [Choice(name=name, value=value) for name, value in found]

    @app_commands.command(name="mine", description="Your own reflection answers, privately.")
    @app_commands.describe(
        partnership="Which partnership (implied in its channel; elsewhere: all of yours)"
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def mine(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        name, answers = await self.service.mine(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        await send(interaction, embed=mine_embed(name, answers))

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

    @prompt.command(
        name="add", description="Conveners: add the partnership's own prompt to the rotation."
    )
    @app_commands.describe(
        theme="The theme it belongs to",
        text="An open question, at most 300 characters",
        partnership="Which partnership (implied in its channel)",
        visibility="Who sees the answers to it (default: named)",
    )
    @app_commands.choices(theme=THEME_CHOICES, visibility=VISIBILITY_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def prompt_add(
        self,
        interaction: discord.Interaction,
        theme: Choice[str],
        text: Range[str, 1, PROMPT_MAX],
        partnership: str | None = None,
        visibility: Choice[str] | None = None,
    ) -> None:
        await thinking(interaction)
        added = await self.service.add_prompt(
            actor_of(interaction),
            ref_of(interaction, partnership),
            theme.value,
            text,
            visibility.value if visibility else None,
        )
        await send(
            interaction,
            f"Added to the {theme_label(added.theme)} theme: “{escape(added.text)}”\n"
            "It comes up before any prompt of that theme is repeated. "
            f"Answers to it: {short_words(added.visibility)}"
            f"{_visibility_note(Visibility(added.visibility), None)}",
        )

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """A new time zone (or an archive) changes when prompt schedules fire: re-time their
        triggers."""
        await self.schedules.retime(partnership_id, SCHEDULE_KIND)

    @commands.Cog.listener("on_interaction")
    async def _answer_form(self, interaction: discord.Interaction) -> None:
        """Every sent Reflect form, whichever process opened it (see `AnswerModal`)."""
        await handle_form(interaction)


async def setup(bot: PartnerBot) -> None:
    delivery = PromptDelivery(bot, bot.services.reflection)
    cog = ReflectCog(bot, bot.services.reflection, bot.services.schedules, delivery)
    await bot.add_cog(cog)
    bot.add_dynamic_items(ReflectButton)
    # Each prompt is two requests, its message and its discussion thread, each paced as it is
    # made (`SCHEDULED_REQUESTS`). Its post is chosen and recorded with the claim.
    bot.scheduler.register(
        SCHEDULE_KIND,
        delivery.run,
        delivery.on_gone,
        requests=SCHEDULED_REQUESTS,
        prepare=delivery.prepare,
    )
    bot.timers.register(SHOW_TIMER, cog.show_late, seed_show_timers)


async def teardown(bot: PartnerBot) -> None:
    bot.scheduler.unregister(SCHEDULE_KIND)
    bot.timers.unregister(SHOW_TIMER)
    bot.remove_dynamic_items(ReflectButton)


def _visibility_note(visibility: Visibility, k: int | None) -> str:
    """A few words on what a visibility means, after its name in a reply."""
    if visibility is Visibility.anonymous:
        threshold = f"{k} organisations" if k else "enough organisations (the anonymity threshold)"
        return f" (shown without names once {threshold} have answered)."
    if visibility is Visibility.private:
        return " (each answer is seen only by its author)."
    return " (shared with their author's name)."
