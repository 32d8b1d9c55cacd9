"""The Bot: composed in `bot.__main__`, with its tree, its extensions and its services."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot import heap
from bot.channels import ChannelSync
from bot.config import Settings
from bot.discord_buckets import sweep_buckets_now_and_then
from bot.pacing import Pacer
from bot.replies import error_reply
from bot.scheduling import ScheduleEngine
from bot.services.clock import Clock
from bot.services.digest import DIGEST_SCHEDULES, DigestService
from bot.services.export.service import ExportService
from bot.services.goals import GoalService, NudgeService
from bot.services.guide import GuideService
from bot.services.health import HealthService
from bot.services.meetings import MeetingService
from bot.services.notes import ActionReminders, NoteService
from bot.services.reflection import PROMPT_SCHEDULES, ReflectionService
from bot.services.register import ChangeListener, RegisterService
from bot.services.schedules import ScheduleListener, ScheduleService
from bot.services.todo import TodoService
from bot.services.trust import TrustService
from bot.services.trust.kind import TRUST_ROUNDS
from bot.timers import TimerEngine
from db.engine import SessionFactory

log = logging.getLogger(__name__)

# Names discord.py gives the tasks it starts for events, commands and components.
IN_FLIGHT_TASK_PREFIXES = ("discord.py: on_", "CommandTree-invoker", "discord-ui-")
DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class Services:
    """Every feature service, built once here and handed to the cogs through `bot.services`.

    A cog takes its service as `bot.services.<feature>` in `setup(bot)`; views and forms reach
    it the same way. Nothing is looked up by name, and no cog builds a service.
    """

    register: RegisterService
    goals: GoalService
    reflection: ReflectionService
    schedules: ScheduleService
    trust: TrustService
    notes: NoteService
    reminders: ActionReminders
    meetings: MeetingService
    health: HealthService
    exports: ExportService
    guide: GuideService
    nudges: NudgeService
    todo: TodoService
    digest: DigestService

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessions: SessionFactory,
        *,
        clock: Clock,
        on_schedule_change: ScheduleListener,
        on_partnership_change: ChangeListener,
    ) -> Services:
        schedules = ScheduleService(sessions, clock=clock, on_change=on_schedule_change)
        schedules.register(PROMPT_SCHEDULES)
        schedules.register(TRUST_ROUNDS)
        schedules.register(DIGEST_SCHEDULES)
        health = HealthService(sessions, clock=clock)
        return cls(
            register=RegisterService(
                sessions,
                default_timezone=settings.default_timezone,
                admin_role_name=settings.admin_role_name,
                clock=clock,
                on_change=on_partnership_change,
            ),
            goals=GoalService(sessions, clock=clock),
            reflection=ReflectionService(sessions, clock=clock),
            schedules=schedules,
            trust=TrustService(sessions, clock=clock),
            notes=NoteService(sessions, clock=clock),
            reminders=ActionReminders(sessions, clock=clock),
            meetings=MeetingService(sessions, clock=clock),
            health=health,
            exports=ExportService(sessions, clock=clock),
            guide=GuideService(sessions, admin_role_name=settings.admin_role_name, clock=clock),
            nudges=NudgeService(sessions, clock=clock),
            todo=TodoService(sessions, clock=clock),
            digest=DigestService(sessions, clock=clock, schedules=schedules, health=health),
        )


def walk_extensions() -> Iterator[str]:
    """Every module in `cogs/` whose name does not start with an underscore."""
    for module in pkgutil.iter_modules(cogs.__path__, prefix=f"{cogs.__name__}."):
        if not module.name.rsplit(".", 1)[-1].startswith("_"):
            yield module.name


def intents() -> discord.Intents:
    """Guilds only: answers come from slash commands, buttons and forms, never message content."""
    return discord.Intents(guilds=True)


def apply_api_base(base_url: str | None) -> None:
    """Send REST calls (interaction responses included) to another versioned root."""
    if base_url:
        discord.http.Route.BASE = base_url.rstrip("/")


class PartnerTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Scheduled posting waits while a command runs (`bot.pacing`): mark it, until its
        task ends."""
        client = self.client
        task = asyncio.current_task()
        if isinstance(client, PartnerBot) and task is not None:
            pacer = client.scheduler.pacer
            pacer.interaction_started()
            task.add_done_callback(lambda _task: pacer.interaction_ended())
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await error_reply(interaction, error)


class PartnerBot(commands.Bot):
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: SessionFactory,
        services: Services | None = None,
        scheduler: ScheduleEngine | None = None,
        timers: TimerEngine | None = None,
        start_background: bool = False,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=PartnerTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **self._shard_options(settings),
        )
        sweep_buckets_now_and_then(self.http)  # a burst to many channels: not quadratic
        self.settings = settings
        self.sessions = sessions
        # Cogs register their scheduled actions on the scheduler in their `setup`.
        self.scheduler = scheduler or ScheduleEngine(
            sessions,
            grace=timedelta(hours=settings.prompt_grace_hours),
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
            poll_interval=settings.schedule_poll_seconds,
            pacer=Pacer(),
        )
        # One-off timers (trust reminders and closes, action reminders, goal nudges, anonymous
        # answers shown late): cogs register their handlers in their `setup`; polled once
        # connected (`on_ready`), paced with the schedules (one rate, commands first).
        self.timers = timers or TimerEngine(
            sessions,
            clock=self.scheduler.clock,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,
            poll_interval=settings.timer_poll_seconds,
            pacer=self.scheduler.pacer,
        )
        self.services = services or Services.build(
            settings,
            sessions,
            clock=self.scheduler.clock,
            on_schedule_change=self.scheduler.sync,
            on_partnership_change=self.partnership_changed,
        )
        # Channel access follows the register: applied after each change, repaired at start.
        self.channels = ChannelSync(
            self.http, self.services.register, pacer=self.scheduler.pacer, cached=self.get_channel
        )
        # Only `partnerbot run` starts background work; `sync` and tests log in without it.
        self.start_background = start_background
        self._catch_up: asyncio.Task[None] | None = None
        self._stopping = False

    @classmethod
    def for_settings(cls, *, settings: Settings, **kwargs: Any) -> PartnerBot:
        """The bot the settings ask for: sharded (`ShardedPartnerBot`) with `SHARD_COUNT`, else
        one gateway session for every server."""
        if settings.shard_count is not None:
            return ShardedPartnerBot(settings=settings, **kwargs)
        return cls(settings=settings, **kwargs)

    def _shard_options(self, settings: Settings) -> dict[str, Any]:
        """Extra options for discord.py's client: none for an unsharded bot."""
        return {}

    async def partnership_changed(self, partnership_id: int) -> None:
        """A partnership's register changed (committed): dispatch `partnership_changed`, so goal
        cards and prompt schedules follow.

        When the change came from a command, button or listener, the event is dispatched once
        that task has finished, so its reply always goes out first; listeners run as their own
        tasks either way, so this never delays the one that made the change.
        """
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith(IN_FLIGHT_TASK_PREFIXES):
            task.add_done_callback(
                lambda _task: self.dispatch("partnership_changed", partnership_id)
            )
        else:
            self.dispatch("partnership_changed", partnership_id)

    async def setup_hook(self) -> None:
        for extension in walk_extensions():
            await self.load_extension(extension)
        if self.start_background:
            # The schedule engine starts once the gateway is up (`on_ready`), never delaying it.
            if self.settings.dev_guild_id:
                guild = discord.Object(id=self.settings.dev_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("Synced %d commands to development server %s", len(synced), guild.id)

    async def login(self, token: str) -> None:
        await super().login(token)
        if self.settings.discord_api_base_url:
            # A plain Bot never asks for the gateway, nor does a sharded one given SHARD_COUNT:
            # both connect to DEFAULT_GATEWAY. Behind another REST root, ask it.
            _shards, url, _limits = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("Using gateway %s", url)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if self.is_closed():
            # discord.py's READY waits for its guilds (about 2 s) on a task that closing does
            # not cancel: an event coming after the client has closed has no loop to run on.
            log.debug("Closed: %s not dispatched", event_name)
            return
        if event_name == "interaction":
            # Any interaction, a button or a form as much as a command: scheduled posting
            # holds back a moment so it is answered first.
            self.scheduler.pacer.interaction_arrived()
        super().dispatch(event_name, *args, **kwargs)

    async def close(self) -> None:
        self._stopping = True  # a READY that comes now starts no background work
        await self._drain()
        await self.channels.close()
        await self.timers.shutdown()
        await self.scheduler.shutdown()
        await super().close()

    async def _drain(self) -> None:
        """Let commands, buttons and listeners already running finish their database work,
        so a stop never cancels a transaction half-way. A command that finishes may dispatch
        a listener (`partnership_changed`) as it ends: those are waited for too, within the
        same few seconds."""
        current = asyncio.current_task()
        deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
        told = False
        while True:
            running = [
                task
                for task in asyncio.all_tasks()
                if task is not current
                and not task.done()
                and task.get_name().startswith(IN_FLIGHT_TASK_PREFIXES)
            ]
            left = deadline - asyncio.get_running_loop().time()
            if not running or left <= 0:
                return
            if not told:
                log.info("Waiting for %d tasks in flight before stopping", len(running))
                told = True
            await asyncio.wait(running, timeout=left)

    async def on_ready(self) -> None:
        log.info("Ready as %s in %d servers", self.user, len(self.guilds))
        if self.start_background and self._catch_up is None and not self._stopping:
            # Once per process (READY comes again after a reconnect), in the background: start
            # the schedule engine, catch up on schedules, then bring every partnership channel
            # to the register's state. Login never waits for any of it.
            self._catch_up = asyncio.create_task(
                self._after_ready(), name="partnerbot: schedule catch-up"
            )

    async def _after_ready(self) -> None:
        self.timers.start()  # polls on its own, so a long catch-up never delays a reminder
        # What the process keeps, settled before the schedules' jobs pile on (the collections
        # during their load then walk only them), then with them.
        heap.settle()
        await self.scheduler.start(catch_up=False)
        heap.settle()
        await self.scheduler.catch_up()
        await self.channels.repair_all([guild.id for guild in self.guilds])


class ShardedPartnerBot(PartnerBot, commands.AutoShardedBot):
    """The same bot over shards `SHARD_IDS` (all when unset) of `SHARD_COUNT`: one gateway
    session per shard, each receiving only its own servers' events; its schedule engine holds
    the same servers (`ScheduleEngine.holds`)."""

    def _shard_options(self, settings: Settings) -> dict[str, Any]:
        return {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids}
