"""/trust: trust check-ins on the trust-building loop, with an optional trust network.

Commands only: rounds, answers, ratings and figures go through `bot.services.trust`, schedules
through `bot.services.schedules` (kind "trust"). The check-in message and its comment form are
in `_trust_form.py`, the words in `_trust_text.py`, and posting in the channel (invitations,
reminders, results) in `_trust_delivery.py`, which `setup` registers as the schedule engine's
`trust` action, and as the timer engine's `trust.remind` and `trust.close` handlers (each
round's reminder and close, `bot.timers`).
"""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import PartnerBot
from bot.charts import trust_trend_png
from bot.errors import UserFacingError
from bot.replies import escape, send
from bot.scheduling import TargetGone, TransientError
from bot.services.recurrence import Cadence
from bot.services.schedules import CADENCE_LABELS, ScheduleService
from bot.services.trust import CheckinAnswers, TrustService
from bot.services.trust.kind import SCHEDULE_KIND
from bot.services.trust.rounds import CLOSE_TIMER, REMIND_TIMER, seed_timers
from bot.services.trust.vocab import COMMENT_MAX, SMALL_WIN_MAX
from cogs._base import thinking
from cogs._context import (
    actor_of,
    partnership_autocomplete,
    ref_of,
    schedule_autocomplete,
)
from cogs._trust_delivery import TrustDelivery
from cogs._trust_form import handle_checkin, open_checkin
from cogs._trust_text import (
    ANSWER_CHOICES,
    CHART_LABELS,
    SMALL_WIN_CHOICES,
    answer_value,
    checkin_thanks,
    open_reply,
    rate_thanks,
    schedule_block,
    schedule_reply,
    small_win_value,
    status_text,
    summary_embed,
    trend_rounds,
)
from db.models import LIVE_STATES, ScheduleState

log = logging.getLogger(__name__)

CADENCE_CHOICES = [Choice(name=CADENCE_LABELS[c], value=c.value) for c in Cadence]
CHART_NAME = "trust-trend.png"


@app_commands.guild_only()
class TrustCog(commands.GroupCog, group_name="trust"):
    """Trust check-ins: private answers, results only over enough organisations."""

    def __init__(
        self,
        bot: PartnerBot,
        service: TrustService,
        schedules: ScheduleService,
        delivery: TrustDelivery,
    ) -> None:
        self.bot = bot
        self.service = service
        self.schedules = schedules
        self.delivery = delivery
        super().__init__()

    # ------------------------------------------------------------------ rounds

    @app_commands.command(name="open", description="Conveners: open a trust check-in round now.")
    @app_commands.describe(
        window="How long it stays open, e.g. 30m, 2h, 7d (default 7d)",
        pairwise="Also ask representatives to rate each other organisation (1–4)",
        named_pairs="With pairwise: let the facilitator see named ratings (announced)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def open_(
        self,
        interaction: discord.Interaction,
        window: Range[str, 1, 20] | None = None,
        pairwise: bool = False,
        named_pairs: bool = False,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        view = await self.service.open_round(
            actor_of(interaction),
            ref_of(interaction, partnership),
            window=window,
            pairwise=pairwise,
            named_pairs=named_pairs,
        )
        try:
            message_id = await self.delivery.post_invitation(view)
        except (TargetGone, TransientError) as exc:
            await send(
                interaction,
                open_reply(view, None) + f"\nI couldn't post the invitation in the channel "
                f"({exc}); tell the members to answer with `/trust checkin`.",
            )
            return
        await send(interaction, open_reply(view, self.delivery.link(view, message_id)))

    @app_commands.command(
        name="close", description="Conveners: close the open check-in round early."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def close(self, interaction: discord.Interaction, partnership: str | None = None) -> None:
        await thinking(interaction)
        results = await self.service.close_round(
            actor_of(interaction), ref_of(interaction, partnership)
        )
        posted = await self.delivery.post_results(results)
        shown = "its results" if results.shown else "that there were not enough answers to show"
        where = f" in <#{results.channel_id}>" if posted else ""
        await send(
            interaction,
            f"Closed round #{results.round_id} of **{escape(results.partnership_name)}** and "
            f"posted {shown}{where}.",
        )

    @app_commands.command(
        name="status", description="Conveners: who has answered the open round (never what)."
    )
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def status(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        status = await self.service.status(actor_of(interaction), ref_of(interaction, partnership))
        await send(interaction, status_text(status))

    # ------------------------------------------------------------------ answers

    @app_commands.command(
        name="checkin", description="Answer the open trust check-in (no options: a short form)."
    )
    @app_commands.describe(
        expectations="Expectations between the partners are clear",
        follow_through="Partners did what they said they would",
        reliance="My organisation is willing to rely on the partners",
        fair_say="My organisation has a fair say in this partnership",
        small_win="Did we achieve something together since the last check-in?",
        comment="Anything to add (private unless you share it)",
        share_comment="Share the comment anonymously (its words can still identify you)",
        listened="In your own capacity: the organisations here listen to people like me",
        small_win_text="The small win, in a line",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(
        expectations=ANSWER_CHOICES,
        follow_through=ANSWER_CHOICES,
        reliance=ANSWER_CHOICES,
        fair_say=ANSWER_CHOICES,
        listened=ANSWER_CHOICES,
        small_win=SMALL_WIN_CHOICES,
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def checkin(
        self,
        interaction: discord.Interaction,
        expectations: Choice[str] | None = None,
        follow_through: Choice[str] | None = None,
        reliance: Choice[str] | None = None,
        fair_say: Choice[str] | None = None,
        small_win: Choice[str] | None = None,
        comment: Range[str, 1, COMMENT_MAX] | None = None,
        share_comment: bool | None = None,
        listened: Choice[str] | None = None,
        small_win_text: Range[str, 1, SMALL_WIN_MAX] | None = None,
        partnership: str | None = None,
    ) -> None:
        actor, ref = actor_of(interaction), ref_of(interaction, partnership)
        given = (
            expectations,
            follow_through,
            reliance,
            fair_say,
            small_win,
            comment,
            share_comment,
            listened,
            small_win_text,
        )
        if all(option is None for option in given):
            await open_checkin(interaction, await self.service.checkin_form(actor, ref))
            return
        await thinking(interaction)
        answers = CheckinAnswers(
            expectations=answer_value(expectations),
            follow_through=answer_value(follow_through),
            reliance=answer_value(reliance),
            fair_say=answer_value(fair_say),
            listened=answer_value(listened),
            small_win=small_win_value(small_win),
            small_win_text=small_win_text,
            comment=comment,
            share_comment=bool(share_comment) and comment is not None,
        )
        if share_comment and comment is None:
            raise UserFacingError(
                "There is no comment to share: add one with the `comment` option."
            )
        result = await self.service.checkin(actor, ref, answers)
        await send(interaction, checkin_thanks(result))

    @app_commands.command(
        name="rate", description="Rate another organisation of a pairwise round, 1 (low) to 4."
    )
    @app_commands.describe(
        organisation="The organisation you rate (not your own)",
        reliability="Reliability: 1 (low) to 4 (high)",
        openness="Openness to discussion: 1 (low) to 4 (high)",
        mission="Support of the shared mission: 1 (low) to 4 (high)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def rate(
        self,
        interaction: discord.Interaction,
        organisation: Range[str, 1, 100],
        reliability: Range[int, 1, 4],
        openness: Range[int, 1, 4],
        mission: Range[int, 1, 4],
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)
        result = await self.service.rate(
            actor_of(interaction),
            ref_of(interaction, partnership),
            organisation,
            reliability,
            openness,
            mission,
        )
        await send(interaction, rate_thanks(result))

    @rate.autocomplete("organisation")
    async def _rate_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        """The other organisations of the open round this person may rate."""
        if interaction.guild_id is None:
            return []
        named = getattr(interaction.namespace, "partnership", None)
        try:
            form = await self.service.checkin_form(
                actor_of(interaction), ref_of(interaction, named)
            )
        except UserFacingError:
            return []
        text = current.strip().casefold()
        return [
            Choice(name=name[:100], value=name[:100])
            for name in form.rate_organisations
            if text in name.casefold()
        ][:25]

    # ------------------------------------------------------------------ results

    @app_commands.command(name="summary", description="Trust over the last rounds, with a chart.")
    @app_commands.describe(
        rounds="How many closed rounds (default 6)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def summary(
        self,
        interaction: discord.Interaction,
        rounds: Range[int, 1, 24] | None = None,
        partnership: str | None = None,
    ) -> None:
        await thinking(interaction)  # drawing the chart may take a moment
        summary = await self.service.summary(
            actor_of(interaction), ref_of(interaction, partnership), rounds=rounds or 6
        )
        chart: discord.File | None = None
        if summary.rounds:
            png = await asyncio.to_thread(
                trust_trend_png,
                trend_rounds(summary),
                CHART_LABELS,
                title=f"Trust check-ins: {summary.partnership_name}",
            )
            chart = discord.File(io.BytesIO(png), filename=CHART_NAME)
        embed = summary_embed(summary, chart_name=CHART_NAME if chart else None)
        await send(interaction, embed=embed, file=chart)

    # ------------------------------------------------------------------ schedules

    @app_commands.command(
        name="schedule", description="Conveners: open check-in rounds on a schedule."
    )
    @app_commands.describe(
        cadence="How often (monthly suits check-ins)",
        time="Local time, HH:MM on the 24-hour clock (default 09:30)",
        day="Weekly/fortnightly: day names (mon,thu). Monthly: day number 1–31",
        cron="For cadence cron: a 5-field expression, e.g. 30 9 1 * *",
        window="How long each round stays open, e.g. 2h, 7d (default 7d)",
        partnership="Which partnership (implied in its channel)",
    )
    @app_commands.choices(cadence=CADENCE_CHOICES)
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def schedule_(
        self,
        interaction: discord.Interaction,
        cadence: Choice[str],
        time: Range[str, 1, 5] | None = None,
        day: Range[str, 1, 60] | None = None,
        cron: Range[str, 1, 100] | None = None,
        window: Range[str, 1, 20] | None = None,
        partnership: str | None = None,
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
            window=window,
        )
        await send(
            interaction,
            schedule_reply(
                view,
                f"Scheduled trust check-in rounds for **{escape(view.partnership_name)}** "
                f"(schedule #{view.id}):",
            ),
        )

    @app_commands.command(name="schedules", description="A partnership's check-in schedules.")
    @app_commands.describe(partnership="Which partnership (implied in its channel)")
    @app_commands.autocomplete(partnership=partnership_autocomplete)
    async def schedules_(
        self, interaction: discord.Interaction, partnership: str | None = None
    ) -> None:
        p, summaries = await self.schedules.list_schedules(
            SCHEDULE_KIND, actor_of(interaction), ref_of(interaction, partnership)
        )
        if not summaries:
            await send(
                interaction,
                f"{escape(p.name)} has no check-in schedules yet. A convener can add one with "
                "`/trust schedule`.",
            )
            return
        blocks = "\n\n".join(schedule_block(s) for s in summaries)
        await send(interaction, f"Check-in schedules of **{escape(p.name)}**:\n\n{blocks}")

    @app_commands.command(name="pause", description="Conveners: pause a check-in schedule.")
    @app_commands.describe(schedule="The schedule (its number)")
    async def pause(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.pause(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            f"Paused check-in schedule #{view.id} of **{escape(view.partnership_name)}**. "
            "Resume it with `/trust resume`.",
        )

    @app_commands.command(
        name="resume", description="Conveners: resume a paused check-in schedule."
    )
    @app_commands.describe(schedule="The schedule (its number)")
    async def resume(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.resume(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            schedule_reply(
                view,
                f"Resumed check-in schedule #{view.id} of **{escape(view.partnership_name)}**. "
                "Rounds missed while it was paused are not opened.",
            ),
        )

    @app_commands.command(
        name="cancel", description="Conveners: stop a check-in schedule for good."
    )
    @app_commands.describe(schedule="The schedule (its number)")
    async def cancel(self, interaction: discord.Interaction, schedule: Range[str, 1, 20]) -> None:
        await thinking(interaction)
        view = await self.schedules.cancel(SCHEDULE_KIND, actor_of(interaction), schedule)
        await send(
            interaction,
            f"Cancelled check-in schedule #{view.id} of **{escape(view.partnership_name)}**. "
            "Rounds so far and their results are kept.",
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
    async def _live_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice[str]]:
        return await self._schedules(interaction, current, LIVE_STATES)

    # ------------------------------------------------------------------ listeners

    @commands.Cog.listener()
    async def on_partnership_changed(self, partnership_id: int) -> None:
        """A new time zone (or an archive) changes when check-in schedules fire."""
        await self.schedules.retime(partnership_id, SCHEDULE_KIND)

    @commands.Cog.listener("on_interaction")
    async def _checkin_clicks(self, interaction: discord.Interaction) -> None:
        """Every click on a check-in message and every sent comment form (see `_trust_form`)."""
        await handle_checkin(interaction)


async def setup(bot: PartnerBot) -> None:
    delivery = TrustDelivery(bot, bot.services.trust)
    await bot.add_cog(TrustCog(bot, bot.services.trust, bot.services.schedules, delivery))
    bot.scheduler.register(SCHEDULE_KIND, delivery.run, delivery.on_gone)
    bot.timers.register(REMIND_TIMER, delivery.remind_timer, seed_timers)
    bot.timers.register(CLOSE_TIMER, delivery.close_timer)


async def teardown(bot: PartnerBot) -> None:
    bot.scheduler.unregister(SCHEDULE_KIND)
    bot.timers.unregister(REMIND_TIMER)
    bot.timers.unregister(CLOSE_TIMER)
