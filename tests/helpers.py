"""A stand-in for Discord inside the test process, at discord.py's own HTTP layer.

Routing tests build real `discord.Interaction`s from raw INTERACTION_CREATE payloads and feed them
through `ConnectionState.parse_interaction_create`, the path the gateway uses, so the bot's own
command tree, views and modals handle them. Every REST call the bot makes (interaction callbacks,
follow-ups, channels, overwrites, messages, threads) reaches `DiscordDouble`, which answers with
Discord-shaped payloads (built by `tests.discord_payloads`, shared with the loopback fake in
`tests/e2e/`) and records it. A call it does not know fails the test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.app import PartnerBot
from bot.config import Settings
from db.engine import SessionFactory
from tests import discord_payloads as payloads

EPHEMERAL = 64
ADMINISTRATOR = discord.Permissions.all().value
MANAGE_GUILD = discord.Permissions(manage_guild=True, manage_channels=True).value
PLAIN = discord.Permissions(view_channel=True, send_messages=True).value
JOINED_AT = "2026-01-01T00:00:00+00:00"
_snowflakes = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    return next(_snowflakes)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Person:
    id: int
    name: str
    permissions: int = PLAIN
    bot: bool = False

    def user_payload(self) -> dict[str, Any]:
        return payloads.user(self.id, self.name.lower(), global_name=self.name, bot=self.bot)

    def member_payload(self) -> dict[str, Any]:
        return payloads.member(
            self.user_payload(), joined_at=JOINED_AT, permissions=self.permissions
        )


@dataclass
class Reply:
    """What the bot answered to one interaction: the callback and any follow-ups."""

    type: int
    data: dict[str, Any]

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def ephemeral(self) -> bool:
        return bool((self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def text(self) -> str:
        """Content and embed text together, for assertions about what a person reads."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields") or []]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"]
            for row in self.components
            for c in row.get("components", [])
            if "custom_id" in c
        ]

    @property
    def choices(self) -> list[dict[str, Any]]:
        return self.data.get("choices") or []


@dataclass
class Call:
    method: str
    path: str  # the route's template, e.g. /channels/{channel_id}/messages
    body: Any
    params: dict[str, Any] | None = None
    url: str = ""  # the path as called, ids filled in
    reason: str | None = None  # the audit log reason (X-Audit-Log-Reason)


@dataclass
class Interaction:
    """A sent interaction and what came back."""

    id: int
    type: int
    double: DiscordDouble
    channel_id: int | None = None
    replies: list[Reply] = field(default_factory=list)

    @property
    def reply(self) -> Reply:
        """The visible answer: the last message-bearing reply (a follow-up after a defer)."""
        with_message = [r for r in self.replies if r.type in (4, 7, 0, -1)]
        assert with_message, f"the bot sent no message for this interaction: {self.replies}"
        return with_message[-1]

    @property
    def modal(self) -> dict[str, Any]:
        modals = [r.data for r in self.replies if r.type == 9]
        assert modals, f"the bot opened no form: {self.replies}"
        return modals[-1]


class DiscordDouble:
    """Discord's REST API for a bot under test, with a guild cache fed like the gateway does."""

    def __init__(self, bot: PartnerBot) -> None:
        self.bot = bot
        self.app_id = snowflake()
        self.bot_user = Person(self.app_id, "Partnerbot", bot=True)
        self.calls: list[Call] = []
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}
        self.interactions: dict[str, Interaction] = {}  # by token
        self.fail: dict[tuple[str, str], list[BaseException]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        # Files the bot uploaded with interaction replies, in order: (file name, bytes).
        self.uploads: list[tuple[str, bytes]] = []

    # ------------------------------------------------------------------ set-up

    def install(self, monkeypatch: Any) -> None:
        self.bot.http.request = self.request  # type: ignore[method-assign]
        monkeypatch.setattr(AsyncWebhookAdapter, "request", self._webhook_request)

    def add_guild(self, name: str = "Riverside", owner: Person | None = None) -> int:
        guild_id = snowflake()
        general = payloads.guild_channel(snowflake(), guild_id, 0, "general")
        payload = payloads.guild_create(
            guild_id,
            name,
            owner_id=(owner or self.bot_user).id,
            roles=[payloads.role(guild_id, "@everyone", PLAIN)],
            members=[self.bot_user.member_payload()],
            channels=[general],
            member_count=2,
            joined_at=JOINED_AT,
            locale="en-GB",
        )
        self.guilds[guild_id] = payload
        self.channels[int(general["id"])] = general
        guild = discord.Guild(data=payload, state=self.bot._connection)  # type: ignore[arg-type]
        self.bot._connection._add_guild(guild)
        return guild_id

    def general_channel(self, guild_id: int) -> int:
        return int(self.guilds[guild_id]["channels"][0]["id"])

    def fail_next(self, method: str, path_template: str, error: BaseException) -> None:
        self.fail.setdefault((method, path_template), []).append(error)

    # ------------------------------------------------------------------ REST

    async def request(
        self, route: discord.http.Route, *, files: Any = None, form: Any = None, **kwargs: Any
    ) -> Any:
        body = kwargs.get("json")
        if form:
            body = next((json.loads(f["value"]) for f in form if f["name"] == "payload_json"), {})
        return await self._handle(route, body, kwargs.get("params"), kwargs.get("reason"))

    async def _webhook_request(
        self_adapter: Any,
        route: discord.http.Route,
        session: Any = None,
        *,
        payload: Any = None,
        multipart: Any = None,
        files: Any = None,
        params: Any = None,
        **_: Any,
    ) -> Any:
        double: DiscordDouble = _current.double
        body = payload
        for file in files or ():
            file.reset()
            double.uploads.append((file.filename or "", file.fp.read()))
        if multipart:
            body = next(
                (json.loads(p["value"]) for p in multipart if p["name"] == "payload_json"), {}
            )
        return await double._handle(route, body, params)

    async def _handle(
        self, route: discord.http.Route, body: Any, params: Any, reason: str | None = None
    ) -> Any:
        method, template = route.method, route.path
        path = route.url.split("/api/v10", 1)[-1]
        self.calls.append(Call(method, template, body, params, path, reason))
        queued = self.fail.get((method, template))
        if queued:
            raise queued.pop(0)
        handler = self.ROUTES.get((method, template))
        if handler is None:
            raise AssertionError(
                f"the bot called a route the double does not know: {method} {template} ({path})"
            )
        return await handler(self, route, body or {}, params or {})

    # --- login

    async def _me(self, route, body, params):
        return self.bot_user.user_payload()

    async def _application(self, route, body, params):
        me = self.bot_user.user_payload()
        return payloads.application(self.app_id, me, me)

    async def _sync(self, route, body, params):
        guild_id = int(route.guild_id) if route.guild_id else None
        return [
            payloads.registered_command(
                c, id=snowflake(), application_id=self.app_id, version=1, guild_id=guild_id
            )
            for c in body
        ]

    # --- interactions

    async def _callback(self, route, body, params):
        token = route.webhook_token
        record = self.interactions[token]
        data = dict(body.get("data") or {})
        record.replies.append(Reply(body["type"], data))
        message = None
        if body["type"] in (4, 5):
            message = self._message(record.channel_id, data, interaction=True)
        return payloads.callback_response(
            record.id,
            record.type,
            body["type"],
            message=message,
            loading=body["type"] == 5,
            ephemeral=bool((data.get("flags") or 0) & EPHEMERAL),
        )

    async def _followup(self, route, body, params):
        record = self.interactions[route.webhook_token]
        record.replies.append(Reply(-1, dict(body)))
        return self._message(record.channel_id, body, interaction=True)

    async def _edit_original(self, route, body, params):
        record = self.interactions[route.webhook_token]
        record.replies.append(Reply(0, dict(body)))
        return self._message(record.channel_id, body, interaction=True)

    # --- channels

    async def _create_channel(self, route, body, params):
        guild_id = int(route.guild_id)
        channel = payloads.guild_channel(
            snowflake(),
            guild_id,
            body.get("type", 0),
            body["name"],
            position=len(self.channels),
            parent_id=body.get("parent_id"),
            overwrites=[
                payloads.overwrite(o["id"], o["type"], o["allow"], o["deny"])
                for o in body.get("permission_overwrites", [])
            ],
            topic=body.get("topic"),
        )
        self.channels[int(channel["id"])] = channel
        self.bot._connection.parse_channel_create(channel)  # type: ignore[arg-type]
        return channel

    def _channel(self, route) -> dict[str, Any]:
        channel = self.channels.get(int(route.channel_id))
        if channel is None:
            raise discord.NotFound(_Response(404), {"message": "Unknown Channel", "code": 10003})
        return channel

    async def _get_channel(self, route, body, params):
        return self._channel(route)

    async def _delete_channel(self, route, body, params):
        channel = self._channel(route)
        del self.channels[int(channel["id"])]
        return channel

    async def _put_overwrite(self, route, body, params):
        channel = self._channel(route)
        target = route_params(route)["target"]
        overwrites = [o for o in channel["permission_overwrites"] if o["id"] != target]
        overwrites.append(payloads.overwrite(target, body["type"], body["allow"], body["deny"]))
        channel["permission_overwrites"] = overwrites
        return None

    async def _delete_overwrite(self, route, body, params):
        channel = self._channel(route)
        target = route_params(route)["target"]
        before = len(channel["permission_overwrites"])
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if o["id"] != target
        ]
        if len(channel["permission_overwrites"]) == before:
            raise discord.NotFound(_Response(404), {"message": "Unknown Overwrite", "code": 10009})
        return None

    async def _post_message(self, route, body, params):
        channel = self._channel(route)
        return self._message(int(channel["id"]), body)

    async def _get_messages(self, route, body, params):
        channel = self._channel(route)
        newest_first = list(reversed(self.channel_messages(int(channel["id"]))))
        if params.get("before"):
            newest_first = [m for m in newest_first if int(m["id"]) < int(params["before"])]
        return newest_first[: int(params.get("limit", 50))]

    async def _edit_message(self, route, body, params):
        channel = self._channel(route)
        message_id = int(route_params(route)["message_id"])
        message = self.messages.get(int(channel["id"]), {}).get(message_id)
        if message is None:
            raise discord.NotFound(_Response(404), {"message": "Unknown Message", "code": 10008})
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
        message["edited_timestamp"] = now_iso()
        return message

    async def _delete_message(self, route, body, params):
        channel = self._channel(route)
        message_id = int(route_params(route)["message_id"])
        if self.messages.get(int(channel["id"]), {}).pop(message_id, None) is None:
            raise discord.NotFound(_Response(404), {"message": "Unknown Message", "code": 10008})
        return None

    async def _create_thread(self, route, body, params):
        parent = self._channel(route)
        thread = payloads.thread(
            snowflake(),
            int(parent["guild_id"]),
            11,
            body["name"],
            parent_id=parent["id"],
            owner_id=self.app_id,
            created_at=now_iso(),
            auto_archive_duration=body.get("auto_archive_duration", 1440),
        )
        self.channels[int(thread["id"])] = thread
        return thread

    async def _create_dm(self, route, body, params):
        user_id = str(body["recipient_id"])
        for channel in self.channels.values():
            if channel.get("type") == 1 and channel["recipients"][0]["id"] == user_id:
                return channel
        channel = payloads.dm_channel(snowflake(), payloads.user(int(user_id), f"user{user_id}"))
        self.channels[int(channel["id"])] = channel
        return channel

    def _message(
        self, channel_id: int | None, body: dict[str, Any], *, interaction: bool = False
    ) -> dict[str, Any]:
        message = payloads.message(
            snowflake(),
            channel_id or 0,
            self.bot_user.user_payload(),
            body,
            timestamp=now_iso(),
            flags=body.get("flags") or 0,
            type=payloads.CHAT_INPUT_COMMAND_MESSAGE if interaction else payloads.DEFAULT_MESSAGE,
        )
        # Not part of Discord's message object: kept so tests can check what was asked.
        message["allowed_mentions"] = body.get("allowed_mentions")
        if not interaction and channel_id is not None:
            nonce = body.get("nonce")
            if nonce and body.get("enforce_nonce"):
                for existing in self.messages.get(channel_id, {}).values():
                    if existing.get("nonce") == nonce:
                        return existing
            self.messages.setdefault(channel_id, {})[int(message["id"])] = message
        return message

    ROUTES: dict[tuple[str, str], Any] = {
        ("GET", "/users/@me"): _me,
        ("GET", "/oauth2/applications/@me"): _application,
        ("PUT", "/applications/{application_id}/commands"): _sync,
        ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): _sync,
        ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): _callback,
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"): _followup,
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): _edit_original,
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): _edit_original,
        ("POST", "/guilds/{guild_id}/channels"): _create_channel,
        ("GET", "/channels/{channel_id}"): _get_channel,
        ("DELETE", "/channels/{channel_id}"): _delete_channel,
        ("PUT", "/channels/{channel_id}/permissions/{target}"): _put_overwrite,
        ("DELETE", "/channels/{channel_id}/permissions/{target}"): _delete_overwrite,
        ("POST", "/channels/{channel_id}/messages"): _post_message,
        ("GET", "/channels/{channel_id}/messages"): _get_messages,
        ("PATCH", "/channels/{channel_id}/messages/{message_id}"): _edit_message,
        ("DELETE", "/channels/{channel_id}/messages/{message_id}"): _delete_message,
        ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): _create_thread,
        ("POST", "/channels/{channel_id}/threads"): _create_thread,
        ("POST", "/users/@me/channels"): _create_dm,
    }

    # ------------------------------------------------------------------ queries

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return list(self.messages.get(channel_id, {}).values())

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to one person's direct messages."""
        return [
            message
            for channel_id, channel in self.channels.items()
            if channel.get("type") == 1 and channel["recipients"][0]["id"] == str(user_id)
            for message in self.channel_messages(channel_id)
        ]

    def overwrite(self, channel_id: int, target_id: int) -> dict[str, Any] | None:
        channel = self.channels[channel_id]
        return next(
            (o for o in channel["permission_overwrites"] if o["id"] == str(target_id)), None
        )

    def can_view(self, channel_id: int, person: Person) -> bool:
        o = self.overwrite(channel_id, person.id)
        return o is not None and bool(
            int(o["allow"]) & discord.Permissions(view_channel=True).value
        )

    def can_send(self, channel_id: int, person: Person) -> bool:
        o = self.overwrite(channel_id, person.id)
        return o is not None and bool(
            int(o["allow"]) & discord.Permissions(send_messages=True).value
        )

    def partnership_channels(self, guild_id: int) -> list[dict[str, Any]]:
        return [
            c
            for c in self.channels.values()
            if c.get("guild_id") == str(guild_id) and c.get("type") == 0 and c.get("parent_id")
        ]

    # ------------------------------------------------------------------ interactions

    def _base_payload(
        self, kind: int, person: Person, guild_id: int | None, channel_id: int | None
    ) -> tuple[dict[str, Any], Interaction]:
        interaction_id = snowflake()
        token = f"token-{interaction_id}"
        record = Interaction(interaction_id, kind, self, channel_id)
        self.interactions[token] = record
        channel = None
        if guild_id is not None:
            channel = self.channels.get(channel_id or 0) or {"id": str(channel_id), "type": 0}
        payload = payloads.interaction(
            interaction_id,
            application_id=self.app_id,
            type=kind,
            token=token,
            guild_id=guild_id,
            user=person.user_payload(),
            channel=channel,
            member=person.member_payload(),
            app_permissions=ADMINISTRATOR,
            attachment_size_limit=8 * 1024 * 1024,
            guild_locale="en-GB",
        )
        return payload, record

    def command_data(
        self, path: str, options: dict[str, Any], focused: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a slash command payload, built from the bot's own command tree."""
        names = path.split()
        command: Any = self.bot.tree.get_command(names[0])
        assert command is not None, f"no command /{names[0]}"
        for name in names[1:]:
            assert isinstance(command, app_commands.Group), f"/{path}: {name} is not below a group"
            command = command.get_command(name)
            assert command is not None, f"no command /{path}"
        resolved: dict[str, dict[str, Any]] = {}
        built = []
        params = {p.name: p for p in command.parameters}
        for key, value in options.items():
            assert key in params, f"/{path} has no option {key!r} (has {sorted(params)})"
            if isinstance(value, Person):
                resolved.setdefault("users", {})[str(value.id)] = value.user_payload()
                member = payloads.resolved_member(value.member_payload())
                resolved.setdefault("members", {})[str(value.id)] = member
                value = str(value.id)
            built.append(
                payloads.option(key, params[key].type.value, value, focused=focused == key)
            )
        return payloads.command_data(snowflake(), names, built, resolved=resolved)

    async def _dispatch(self, payload: dict[str, Any], record: Interaction) -> Interaction:
        global _current
        _current = _Current(self)
        before = asyncio.all_tasks()
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        for _ in range(50):
            pending = [
                t
                for t in asyncio.all_tasks() - before
                if not t.done() and t is not asyncio.current_task()
            ]
            if not pending:
                break
            await asyncio.wait(pending, timeout=10)
            before |= set(pending)
        return record

    async def invoke(
        self,
        person: Person,
        path: str,
        *,
        guild_id: int | None,
        channel_id: int | None = None,
        **options: Any,
    ) -> Interaction:
        """Use a slash command, e.g. `invoke(ada, "partner add", guild_id=g, organisation=..)`."""
        if guild_id is not None and channel_id is None:
            channel_id = self.general_channel(guild_id)
        payload, record = self._base_payload(2, person, guild_id, channel_id)
        payload["data"] = self.command_data(path, options)
        return await self._dispatch(payload, record)

    async def autocomplete(
        self,
        person: Person,
        path: str,
        focused: str,
        *,
        guild_id: int,
        channel_id: int | None = None,
        **options: Any,
    ) -> list[str]:
        channel_id = channel_id or self.general_channel(guild_id)
        payload, record = self._base_payload(4, person, guild_id, channel_id)
        payload["data"] = self.command_data(path, options, focused=focused)
        await self._dispatch(payload, record)
        assert record.replies and record.replies[-1].type == 8, record.replies
        return [c["value"] for c in record.replies[-1].choices]

    async def click(
        self, person: Person, message: dict[str, Any], custom_id: str, *, guild_id: int
    ) -> Interaction:
        """Press a button on a message the bot posted."""
        channel_id = int(message["channel_id"])
        payload, record = self._base_payload(3, person, guild_id, channel_id)
        payload["message"] = message
        payload["data"] = payloads.button_data(custom_id)
        return await self._dispatch(payload, record)

    async def submit(
        self,
        person: Person,
        custom_id: str,
        values: dict[str, str],
        *,
        guild_id: int,
        channel_id: int,
    ) -> Interaction:
        """Submit a form (modal) with text inputs by their custom ids."""
        payload, record = self._base_payload(5, person, guild_id, channel_id)
        payload["data"] = payloads.modal_submit_data(
            custom_id,
            [payloads.action_row([payloads.text_input_value(k, v)]) for k, v in values.items()],
        )
        return await self._dispatch(payload, record)


def route_params(route: discord.http.Route) -> dict[str, str]:
    """The values of a route's `{placeholders}`, read back from its URL."""
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + r"$"
    match = re.search(pattern, route.url.split("?", 1)[0])
    return match.groupdict() if match else {}


class _Response:
    """Enough of an aiohttp response for discord.HTTPException."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Not Found" if status == 404 else "Error"


@dataclass
class _Current:
    double: DiscordDouble


_current: _Current


async def start_bot(
    settings: Settings, sessions: SessionFactory, monkeypatch: Any
) -> tuple[PartnerBot, DiscordDouble]:
    """A PartnerBot logged in to the double: extensions loaded, no gateway, no background."""
    bot = PartnerBot(settings=settings, sessions=sessions, start_background=False)
    double = DiscordDouble(bot)
    double.install(monkeypatch)
    global _current
    _current = _Current(double)
    await bot.login("test-token")
    return bot, double


def iter_commands(bot: PartnerBot) -> Iterator[tuple[str, app_commands.Command[Any, ..., Any]]]:
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            yield command.qualified_name, command
