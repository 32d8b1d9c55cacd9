"""A loopback stand-in for Discord's REST API v10 and Gateway, for end-to-end tests.

The real bot process talks to this server exactly as it talks to Discord: it logs in over REST
(`DISCORD_API_BASE_URL=http://127.0.0.1:PORT/api/v10`), reads the gateway address from
`GET /gateway/bot`, connects a websocket (zlib-stream compressed, as discord.py asks), identifies,
receives READY and GUILD_CREATE, registers its commands and answers interactions that the test
sends as INTERACTION_CREATE dispatches.

Payloads follow Discord's documented shapes (cross-checked against discord.py 2.7's `types/`),
and the rules the bot can trip over are enforced as Discord enforces them: the three-second
deadline to acknowledge an interaction, one acknowledgement per interaction, permission checks
on channel and overwrite changes (403 50013), message validation (400 50035), `enforce_nonce`.

Layout:
- `_discord_model`: constants (`Perm`, `Intent`, op codes, channel and interaction types),
  errors, the model (`User`, `Role`, `Member`, `Channel`, `Guild`, `StoredMessage`,
  `InteractionRecord`), `DiscordState` (which owns it and computes permissions) and payload
  validation;
- `_discord_gateway`: `GatewayConnection` / `GatewaySession` / `Gateway`, the websocket side;
- `_discord_rest`: `RestApi`, the HTTP route handlers;
- `_discord_interactions`: `InteractionBuilder`, payloads as the Discord client builds them;
- this module: `FakeDiscord`, the facade a test uses (build the world, invoke commands, click,
  submit forms, wait for replies, inject faults), with `Reply` and `SentInteraction`.

Everything runs on the test's event loop. Waiting is event-driven (`Changes.wait_for`), never a
sleep. Misuse by a test (an unregistered command, a missing required option, a button that is
not on the message) raises `FakeUsageError`, an `AssertionError`, so the test fails where it
went wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import hdrs, web

from tests import discord_payloads as payloads

from ._discord_gateway import Gateway, GatewayConnection, GatewaySession
from ._discord_interactions import InteractionBuilder
from ._discord_model import (
    API_PREFIX,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    JSON,
    Callback,
    Changes,
    Channel,
    ChannelType,
    DiscordHTTPError,
    DiscordState,
    DMChannel,
    FakeDiscordTimeout,
    FakeUsageError,
    FormErrors,
    Guild,
    Intent,
    InteractionRecord,
    InteractionType,
    Member,
    MessageFlag,
    Op,
    OptionType,
    Overwrite,
    Perm,
    RecordedRequest,
    Role,
    SnowflakeGenerator,
    StoredMessage,
    UploadedFile,
    User,
    assign_component_ids,
    content_type_for,
    iso_now,
    snowflake_time,
    to_id,
    walk_components,
)
from ._discord_ratelimit import GlobalRateLimit
from ._discord_rest import RECORD, Fault, Hold, RestApi, json_response, read_body, route_matches

# Waiting helpers take `timeout=` so that a timeout fails with what was awaited, not a bare
# TimeoutError; the alternative ruff suggests (`asyncio.timeout` around the call) loses that.
# ruff: noqa: ASYNC109

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "Callback",
    "ChannelType",
    "DiscordHTTPError",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeUsageError",
    "Fault",
    "Hold",
    "Intent",
    "InteractionType",
    "Mark",
    "MessageFlag",
    "Perm",
    "RecordedRequest",
    "Reply",
    "SentInteraction",
]

log = logging.getLogger("fake_discord")


# ---------------------------------------------------------------------------- test-facing handles


@dataclass
class Reply:
    """What the person who interacted saw: a message, autocomplete choices, or a form."""

    callback_type: int
    message: JSON | None = None
    choices: list[JSON] | None = None
    modal: JSON | None = None
    request: JSON = field(default_factory=dict)  # the body the bot sent for this message

    @property
    def content(self) -> str:
        return str((self.message or {}).get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list((self.message or {}).get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list((self.message or {}).get("components") or [])

    @property
    def attachments(self) -> list[JSON]:
        return list((self.message or {}).get("attachments") or [])

    @property
    def flags(self) -> int:
        return int((self.message or {}).get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def id(self) -> int | None:
        return int(self.message["id"]) if self.message else None

    @property
    def allowed_mentions(self) -> JSON | None:
        return self.request.get("allowed_mentions")

    @property
    def custom_ids(self) -> list[str]:
        components = self.components or ((self.modal or {}).get("components") or [])
        return [c["custom_id"] for c in walk_components(components) if c.get("custom_id")]

    @property
    def text(self) -> str:
        """Content and every embed's visible text, one string, for `in` assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for item in embed.get("fields") or []:
                parts += [item.get("name") or "", item.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        for choice in self.choices or []:
            parts.append(str(choice.get("name")))
        if self.modal:
            parts.append(str(self.modal.get("title")))
        return "\n".join(p for p in parts if p)

    @property
    def plain(self) -> str:
        """`text` as Discord renders it: Markdown escapes resolved (`New\\_York` → `New_York`)."""
        return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", self.text)

    @property
    def choice_names(self) -> list[str]:
        return [str(c["name"]) for c in self.choices or []]

    @property
    def choice_values(self) -> list[Any]:
        return [c["value"] for c in self.choices or []]

    def __repr__(self) -> str:
        try:
            kind = Callback(self.callback_type).name
        except ValueError:
            kind = str(self.callback_type)
        return f"<Reply {kind} ephemeral={self.ephemeral} text={self.text[:200]!r}>"


@dataclass
class SentInteraction:
    """An interaction the test sent; await `response()` for what the user saw."""

    fake: FakeDiscord
    record: InteractionRecord

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> JSON:
        return self.record.payload

    async def response(self, timeout: float = 10.0) -> Reply:
        return await self.fake.wait_for_response(self.id, timeout=timeout)

    async def followups(self, count: int, timeout: float = 10.0) -> list[Reply]:
        return await self.fake.wait_for_followups(self.id, count, timeout=timeout)


@dataclass(frozen=True)
class Mark:
    """A point in the fake's history, to wait for things that happen after it."""

    requests: int
    sessions: int


# --------------------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Discord on 127.0.0.1: REST under `/api/v10`, the gateway at `/gateway`.

    Use as `async with FakeDiscord() as fake:`; build the world with `add_guild`, `add_member`,
    `add_role`, `add_channel` (before starting the bot, or later: new servers and channels are
    announced over the gateway as Discord would), then drive the bot with `invoke`,
    `autocomplete`, `click`, `select` and `submit_modal` and read what it did with
    `wait_for_response`, `messages`, `wait_for_message`, `channel`, `overwrites_of`, `requests`.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Partnerbot",
        heartbeat_interval_ms: int = 41_250,
        ack_deadline: float = 3.0,
        nonce_window: float = 300.0,
        privileged_intents: int = 0,
        global_rate_limit: int | None = None,
    ) -> None:
        self.snowflake = SnowflakeGenerator()
        self.state = DiscordState(self.snowflake)
        self.changes = Changes()
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ack_deadline = ack_deadline
        self.nonce_window = nonce_window
        self.privileged_intents = privileged_intents
        self.session_starts_remaining = 1000
        self.application_flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        self.bot = self._new_user(bot_name, bot=True, discriminator="4821")
        self.application_id = self.bot.id
        self.owner = self._new_user("app-owner")
        self.token = (
            base64_id(self.bot.id)
            + "."
            + secrets.token_urlsafe(5)
            + "."
            + secrets.token_urlsafe(27)
        )
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        # Discord's 50 requests a second per bot, when asked for (`rate_limit.max_rate`).
        self.rate_limit = GlobalRateLimit(global_rate_limit) if global_rate_limit else None
        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self.builder = InteractionBuilder(self.state, self.application_id, self.bot.id)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self.rest.install(app)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self.rest.get_attachment
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        log.info("fake Discord listening on %s", self.base_url)

    async def close(self) -> None:
        for hold in self.holds:
            hold.release()
        for conn in self.gateway.connections:
            if not conn.closed:
                await conn.close(1001, "fake Discord shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for DISCORD_API_BASE_URL."""
        return f"{self.origin}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    # ------------------------------------------------------------------ HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        record = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX) :] or "/",
            query=dict(request.query),
            headers=dict(request.headers),
            at=time.perf_counter(),
        )
        self.requests.append(record)
        request[RECORD] = record
        response: web.StreamResponse
        try:
            record.json, record.files = await read_body(request)
            match = request.match_info
            http_exception = getattr(match, "http_exception", None)
            if http_exception is not None:
                self.unknown_routes.append(record)
                status = http_exception.status
                reason = "Method Not Allowed" if status == 405 else "Not Found"
                raise DiscordHTTPError(status, 0, f"{status}: {reason}")
            resource = match.route.resource
            canonical = resource.canonical if resource is not None else record.path
            record.route = canonical[len(API_PREFIX) :]
            record.params = dict(match)
            if record.route not in self.rest.public_routes:
                auth = request.headers.get(hdrs.AUTHORIZATION)
                if auth != f"Bot {self.token}":
                    raise DiscordHTTPError(401, 0, "401: Unauthorized")
            if self.rate_limit is not None and self.rate_limit.counts(record.path):
                self.rate_limit.admit(record.at)
            hold = next((h for h in self.holds if h.matches(record)), None)
            if hold is not None:
                hold.arrived.append(record)
                self.changes.notify()
                await hold.released.wait()
            fault = next((f for f in self.faults if f.times > 0 and f.matches(record)), None)
            if fault is not None:
                fault.times -= 1
                fault.hits += 1
                response = fault.response()
            else:
                response = await handler(request)
        except DiscordHTTPError as error:
            response = json_response(error.body(), status=error.status)
            response.headers.update(error.headers)
        record.status = response.status
        body = getattr(response, "body", None)
        if response.content_type == "application/json" and isinstance(body, bytes):
            record.response = json.loads(body)
        if record.status >= 400:
            log.info("%s %s -> %s %s", record.method, record.path, record.status, record.response)
        self.changes.notify()
        return response

    # ------------------------------------------------------------------ building the world

    def _new_user(self, name: str, *, bot: bool = False, discriminator: str = "0") -> User:
        user = User(
            id=self.snowflake(),
            username=re.sub(r"[^a-z0-9_.]", "", name.lower().replace(" ", "_")) or "user",
            global_name=None if bot else name,
            bot=bot,
            discriminator=discriminator,
        )
        self.state.users[user.id] = user
        return user

    def bot_user_payload(self) -> JSON:
        return {
            **self.bot.payload(),
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "flags": 0,
            "locale": "en-US",
            "premium_type": 0,
        }

    def application_payload(self) -> JSON:
        return payloads.application(
            self.application_id,
            self.bot.payload(),
            self.owner.payload(),
            flags=self.application_flags,
            guild_count=len(self.state.guilds),
        )

    def add_guild(
        self,
        name: str,
        *,
        owner_name: str = "Server Owner",
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        shard: tuple[int, int] | None = None,
    ) -> JSON:
        """A server with @everyone, an owner, the bot (with its managed role) and the default
        "Text Channels" category holding #general. Returns `{"id", "name", "owner_id"}`.
        With `shard=(shard_id, shard_count)`, its id puts it on that shard."""
        guild_id = self.snowflake() if shard is None else self.snowflake.on_shard(*shard)
        owner = self._new_user(owner_name)
        guild = Guild(id=guild_id, name=name, owner_id=owner.id, joined_at=iso_now())
        guild.roles[guild_id] = Role(guild_id, guild_id, "@everyone", int(everyone_permissions))
        bot_role = Role(
            self.snowflake(),
            guild_id,
            self.bot.username,
            int(bot_permissions),
            position=1,
            managed=True,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner, guild_id, [], iso_now())
        guild.members[self.bot.id] = Member(self.bot, guild_id, [bot_role.id], iso_now())
        self.state.guilds[guild_id] = guild
        category = Channel(self.snowflake(), guild_id, ChannelType.GUILD_CATEGORY, "Text Channels")
        general = Channel(
            self.snowflake(), guild_id, ChannelType.GUILD_TEXT, "general", parent_id=category.id
        )
        self.add_channel_object(category)
        self.add_channel_object(general)
        # The bot joining a server while online: GUILD_CREATE, as Discord sends it.
        self.gateway.announce(
            guild_id, "GUILD_CREATE", self.state.guild_create_payload(guild, self.bot.id)
        )
        return guild.summary()

    def add_role(self, guild: Any, name: str, permissions: int = 0) -> JSON:
        g = self.state.guild(to_id(guild, what="guild"))
        role = Role(self.snowflake(), g.id, name, int(permissions), position=len(g.roles))
        g.roles[role.id] = role
        self.gateway.announce(
            g.id, "GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": role.payload()}
        )
        return role.payload()

    def add_member(
        self,
        guild: Any,
        name: str,
        *,
        permissions: int = 0,
        roles: Iterable[Any] = (),
        user: Any = None,
        nick: str | None = None,
    ) -> JSON:
        """A person in a server. `permissions` beyond @everyone's come through a role made
        for them (e.g. `Perm.MANAGE_GUILD` for a convener); `user` reuses a person from another
        server. Returns the Discord member payload (with `user`)."""
        g = self.state.guild(to_id(guild, what="guild"))
        person = (
            self.state.users[to_id(user, what="user")] if user is not None else self._new_user(name)
        )
        role_ids = [to_id(r, what="role") for r in roles]
        if permissions:
            role = self.add_role(g.id, f"{name} permissions", permissions)
            role_ids.append(int(role["id"]))
        member = Member(person, g.id, role_ids, iso_now(), nick=nick)
        g.members[person.id] = member
        return member.payload()

    def remove_member(self, guild: Any, member: Any) -> None:
        g = self.state.guild(to_id(guild, what="guild"))
        g.members.pop(to_id(member, what="member"), None)

    def add_channel(
        self,
        guild: Any,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        parent: Any = None,
        topic: str | None = None,
        overwrites: Iterable[JSON] = (),
    ) -> JSON:
        """A channel made by a person (announced with CHANNEL_CREATE when the bot is online)."""
        g = self.state.guild(to_id(guild, what="guild"))
        channel = Channel(
            self.snowflake(),
            g.id,
            int(type),
            name,
            parent_id=to_id(parent, what="category") if parent is not None else None,
            topic=topic,
            overwrites={
                int(o["id"]): Overwrite(
                    int(o["id"]), int(o["type"]), int(o.get("allow", 0)), int(o.get("deny", 0))
                )
                for o in overwrites
            },
        )
        self.add_channel_object(channel)
        self.gateway.announce(g.id, "CHANNEL_CREATE", channel.payload())
        return channel.payload()

    def add_channel_object(self, channel: Channel) -> None:
        self.state.guild(channel.guild_id).channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        self.state.channel_messages.setdefault(channel.id, [])

    async def remove_channel(self, channel: Channel, *, dispatch: bool) -> None:
        guild = self.state.guild(channel.guild_id)
        doomed = [channel] + [
            c for c in guild.channels.values() if c.is_thread and c.parent_id == channel.id
        ]
        for item in doomed:
            guild.channels.pop(item.id, None)
            self.state.channels.pop(item.id, None)
        orphans = [
            c for c in guild.channels.values() if c.parent_id == channel.id and not c.is_thread
        ]
        for orphan in orphans:
            orphan.parent_id = None
        if dispatch:
            for item in doomed:
                event = "THREAD_DELETE" if item.is_thread else "CHANNEL_DELETE"
                data = (
                    {
                        "id": str(item.id),
                        "guild_id": str(item.guild_id),
                        "parent_id": str(item.parent_id),
                        "type": item.type,
                    }
                    if item.is_thread
                    else item.payload()
                )
                await self.gateway.dispatch_guild_event(guild.id, event, data)
            for orphan in orphans:
                await self.gateway.dispatch_guild_event(
                    guild.id, "CHANNEL_UPDATE", orphan.payload()
                )
        self.changes.notify()

    async def delete_channel(self, channel: Any, *, dispatch: bool = True) -> None:
        """A person deletes a channel. `dispatch=False` makes it vanish without a CHANNEL_DELETE
        (the bot's cache still has it: the next REST call on it gets 404 Unknown Channel)."""
        await self.remove_channel(
            self.state.channel(to_id(channel, what="channel")), dispatch=dispatch
        )

    async def set_overwrite(
        self, channel: Any, target: Any, *, allow: int = 0, deny: int = 0
    ) -> None:
        """A person edits a channel's permissions for a role or a member in Discord's client,
        not through the bot (announced with CHANNEL_UPDATE)."""
        found = self.state.channel(to_id(channel, what="channel"))
        guild = self.state.guild_of(found)
        target_id = to_id(target, what="role or member")
        kind = 0 if target_id in guild.roles else 1
        found.overwrites[target_id] = Overwrite(target_id, kind, int(allow), int(deny))
        await self.gateway.dispatch_guild_event(guild.id, "CHANNEL_UPDATE", found.payload())

    async def set_bot_permissions(self, guild: Any, permissions: int) -> None:
        """Change the bot's managed role (announced with GUILD_ROLE_UPDATE)."""
        g = self.state.guild(to_id(guild, what="guild"))
        role = next(r for r in g.roles.values() if r.bot_id == self.bot.id)
        role.permissions = int(permissions)
        await self.gateway.dispatch_guild_event(
            g.id, "GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": role.payload()}
        )

    # ------------------------------------------------------------------ reading the world

    def guild(self, guild: Any) -> Guild:
        return self.state.guild(to_id(guild, what="guild"))

    def channel(self, channel: Any) -> JSON | None:
        """The channel's current payload (a DM channel's too), or None if it does not exist
        (any more)."""
        channel_id = to_id(channel, what="channel")
        found: Channel | DMChannel | None = self.state.channels.get(channel_id)
        if found is None:
            found = self.state.dm_channels.get(channel_id)
        return None if found is None else found.payload()

    def channels(self, guild: Any) -> list[JSON]:
        return [c.payload() for c in self.guild(guild).channels.values()]

    def find_channel(self, guild: Any, name: str, *, type: int | None = None) -> JSON | None:
        for c in self.guild(guild).channels.values():
            if c.name == name and (type is None or c.type == type):
                return c.payload()
        return None

    def overwrites_of(self, channel: Any) -> dict[int, JSON]:
        """A channel's permission overwrites by target id."""
        found = self.state.channel(to_id(channel, what="channel"))
        return {k: o.payload() for k, o in found.overwrites.items()}

    def permissions_for(self, member: Any, channel: Any) -> int:
        return self.state.permissions_in(
            self.state.channel(to_id(channel, what="channel")), to_id(member, what="member")
        )

    def can_view(self, member: Any, channel: Any) -> bool:
        return bool(self.permissions_for(member, channel) & Perm.VIEW_CHANNEL)

    def messages(self, channel: Any) -> list[JSON]:
        """A channel's messages, oldest first (ephemeral replies are not in any channel)."""
        return [m.payload for m in self.state.channel_messages_of(to_id(channel, what="channel"))]

    def message(self, message: Any) -> JSON | None:
        found = self.state.messages.get(to_id(message, what="message"))
        return None if found is None or found.deleted else found.payload

    # ------------------------------------------------------------------ direct messages

    def dm_channel(self, user: Any) -> JSON | None:
        """The DM channel the bot opened with this person (`POST /users/@me/channels`), or
        None if it never did. Discord keeps one per person, so it is the same every time."""
        channel_id = self.state.dm_by_user.get(to_id(user, what="user"))
        return None if channel_id is None else self.state.dm_channels[channel_id].payload()

    def dm_messages(self, user: Any) -> list[JSON]:
        """What the bot sent this person by direct message, oldest first."""
        channel_id = self.state.dm_by_user.get(to_id(user, what="user"))
        return [] if channel_id is None else self.messages(channel_id)

    async def wait_for_dm(
        self,
        user: Any,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        timeout: float = 10.0,
    ) -> JSON:
        """The first direct message to this person (matching `predicate`), once it is sent."""
        user_id = to_id(user, what="user")

        def found() -> JSON | None:
            for message in self.dm_messages(user_id):
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.changes.wait_for(
            found, timeout=timeout, what=f"a direct message to user {user_id}"
        )

    def close_dms(self, user: Any, closed: bool = True) -> None:
        """The person turns off direct messages from server members: the bot may still open
        the DM channel, but sending gets 403 50007 "Cannot send messages to this user"."""
        user_id = to_id(user, what="user")
        if closed:
            self.state.dms_closed.add(user_id)
        else:
            self.state.dms_closed.discard(user_id)

    def attachment_data(self, attachment: Any) -> bytes:
        return self.state.attachments[to_id(attachment, what="attachment")]

    def commands(self, guild: Any = None) -> list[JSON]:
        """Registered commands: a server's, or the global ones."""
        if guild is None:
            return list(self.state.global_commands)
        return list(self.guild(guild).commands)

    def calls(self, pattern: str) -> list[RecordedRequest]:
        """Recorded requests matching e.g. `"PUT /channels/{channel_id}/permissions/*"`."""
        return [r for r in self.requests if route_matches(pattern, r)]

    @property
    def identifies(self) -> list[JSON]:
        return self.gateway.identify_payloads

    @property
    def sessions(self) -> list[GatewaySession]:
        return self.gateway.sessions

    def mark(self) -> Mark:
        return Mark(requests=len(self.requests), sessions=len(self.gateway.sessions))

    # ------------------------------------------------------------------ messages

    def _attachments(
        self,
        channel_id: int,
        body: JSON,
        files: Sequence[UploadedFile],
        existing: list[JSON],
        *,
        ephemeral: bool,
    ) -> list[JSON]:
        by_index = {f.index: f for f in files}
        result: list[JSON] = []
        specs = body.get("attachments")
        if specs is None:
            specs = [{"id": f.index, "filename": f.filename} for f in files]
            result = list(existing)
        old = {str(a["id"]): a for a in existing}
        for spec in specs:
            key = str(spec.get("id"))
            if key in old:
                result.append(old[key])
                continue
            upload = (
                by_index.get(int(spec.get("id", -1)))
                if str(spec.get("id", "")).lstrip("-").isdigit()
                else None
            )
            if upload is None:
                errors = FormErrors()
                errors.add(["attachments"], "ATTACHMENT_NOT_FOUND", f"Unknown attachment {key}")
                raise DiscordHTTPError(400, 50035, "Invalid Form Body", errors=errors.tree)
            attachment_id = self.snowflake()
            filename = spec.get("filename") or upload.filename
            self.state.attachments[attachment_id] = upload.data
            url = f"{self.origin}/attachments/{channel_id}/{attachment_id}/{filename}"
            item: JSON = {
                "id": str(attachment_id),
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": content_type_for(filename),
            }
            if spec.get("description"):
                item["description"] = spec["description"]
            if ephemeral:
                item["ephemeral"] = True
            result.append(item)
        return result

    def _message_payload(
        self,
        channel: Channel | DMChannel,
        body: JSON,
        files: Sequence[UploadedFile],
        *,
        flags: int,
        msg_type: int = 0,
        extra: JSON | None = None,
    ) -> JSON:
        message_id = self.snowflake()
        payload = payloads.message(
            message_id,
            channel.id,
            self.bot.payload(),
            body,
            timestamp=snowflake_time(message_id).isoformat(),
            flags=flags,
            type=msg_type,
            components=assign_component_ids(json.loads(json.dumps(body.get("components") or []))),
            attachments=self._attachments(
                channel.id, body, files, [], ephemeral=bool(flags & MessageFlag.EPHEMERAL)
            ),
        )
        if extra:
            payload.update(extra)
        return payload

    def _store(
        self,
        channel: Channel | DMChannel,
        payload: JSON,
        body: JSON,
        *,
        ephemeral: bool,
        interaction_id: int | None = None,
    ) -> StoredMessage:
        stored = StoredMessage(
            payload=payload,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            ephemeral=ephemeral,
            interaction_id=interaction_id,
            request=body,
        )
        self.state.messages[stored.id] = stored
        if not ephemeral:
            self.state.channel_messages.setdefault(channel.id, []).append(stored.id)
            channel.last_message_id = stored.id
            if isinstance(channel, Channel):  # events about DMs are not modelled
                if channel.is_thread:
                    channel.message_count += 1
                    channel.total_message_sent += 1
                created = {**payload, "guild_id": str(channel.guild_id)}
                self.gateway.announce(channel.guild_id, "MESSAGE_CREATE", created)
        self.changes.notify()
        return stored

    def create_message(
        self, channel: Channel | DMChannel, body: JSON, files: Sequence[UploadedFile]
    ) -> StoredMessage:
        flags = int(body.get("flags") or 0)
        payload = self._message_payload(channel, body, files, flags=flags)
        return self._store(channel, payload, body, ephemeral=False)

    def create_interaction_message(
        self,
        record: InteractionRecord,
        body: JSON,
        files: Sequence[UploadedFile],
        *,
        flags: int,
        original: bool,
    ) -> StoredMessage:
        channel = self.state.channels.get(record.channel_id)
        if channel is None:  # the channel went away; the reply still exists, ephemerally
            channel = Channel(
                record.channel_id, record.guild_id, ChannelType.GUILD_TEXT, "deleted-channel"
            )
        user = self.state.users[record.user_id]
        metadata: JSON = {
            "id": str(record.id),
            "type": record.type,
            "user": user.payload(),
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        if not original and record.original_message_id:
            metadata["original_response_message_id"] = str(record.original_message_id)
        if record.type == InteractionType.MESSAGE_COMPONENT and record.source_message_id:
            metadata["interacted_message_id"] = str(record.source_message_id)
        extra: JSON = {
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        if record.type == InteractionType.APPLICATION_COMMAND:
            extra["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": self._command_name(record.payload),
                "user": user.payload(),
            }
        msg_type = 20 if (record.type == InteractionType.APPLICATION_COMMAND and original) else 0
        payload = self._message_payload(
            channel, body, files, flags=flags, msg_type=msg_type, extra=extra
        )
        stored = self._store(
            channel,
            payload,
            body,
            ephemeral=bool(flags & MessageFlag.EPHEMERAL),
            interaction_id=record.id,
        )
        if original:
            record.original_message_id = stored.id
        return stored

    @staticmethod
    def _command_name(payload: JSON) -> str:
        data = payload.get("data") or {}
        parts = [str(data.get("name", ""))]
        options = data.get("options") or []
        while options and options[0].get("type") in (
            OptionType.SUB_COMMAND,
            OptionType.SUB_COMMAND_GROUP,
        ):
            parts.append(options[0]["name"])
            options = options[0].get("options") or []
        return " ".join(parts)

    def edit_message(
        self,
        stored: StoredMessage,
        body: JSON,
        files: Sequence[UploadedFile],
        *,
        finish_loading: bool = False,
    ) -> None:
        payload = stored.payload
        if "content" in body:
            payload["content"] = str(body["content"] or "")
        if "embeds" in body:
            payload["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            payload["components"] = assign_component_ids(
                json.loads(json.dumps(body["components"] or []))
            )
        if "attachments" in body or files:
            payload["attachments"] = self._attachments(
                stored.channel_id,
                body,
                files,
                list(payload.get("attachments") or []),
                ephemeral=stored.ephemeral,
            )
        flags = int(payload.get("flags") or 0)
        if "flags" in body and body["flags"] is not None:
            keep = flags & (
                MessageFlag.EPHEMERAL | MessageFlag.HAS_THREAD | MessageFlag.IS_COMPONENTS_V2
            )
            flags = keep | (
                int(body["flags"]) & (MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2)
            )
        if finish_loading:
            flags &= ~MessageFlag.LOADING
        else:
            payload["edited_timestamp"] = iso_now()
        payload["flags"] = flags
        stored.request = {**stored.request, **body}
        if not stored.ephemeral and stored.guild_id is not None:
            updated = {**payload, "guild_id": str(stored.guild_id)}
            self.gateway.announce(stored.guild_id or 0, "MESSAGE_UPDATE", updated)
        self.changes.notify()

    async def delete_message(self, stored: StoredMessage) -> None:
        stored.deleted = True
        if not stored.ephemeral and stored.guild_id is not None:
            await self.gateway.dispatch_guild_event(
                stored.guild_id or 0,
                "MESSAGE_DELETE",
                {
                    "id": str(stored.id),
                    "channel_id": str(stored.channel_id),
                    "guild_id": str(stored.guild_id),
                },
            )
        self.changes.notify()

    def post_user_message(self, user: Any, channel: Any, content: str) -> JSON:
        """A person writes in a channel (MESSAGE_CREATE reaches the bot only with the intent)."""
        found = self.state.channel(to_id(channel, what="channel"))
        author = self.state.users[to_id(user, what="user")]
        if not self.state.permissions_in(found, author.id) & Perm.VIEW_CHANNEL:
            raise FakeUsageError(f"{author.username} cannot see #{found.name}")
        payload = self._message_payload(found, {"content": content}, [], flags=0)
        payload["author"] = author.payload()
        return self._store(found, payload, {"content": content}, ephemeral=False).payload

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        pattern: str,
        *,
        times: int = 1,
        status: int = 500,
        body: Any = None,
        retry_after: float = 0.05,
    ) -> Fault:
        """The next `times` requests matching `pattern` fail with `status`.

        `pattern` is matched (fnmatch) against `"METHOD /route/{template}"` and against
        `"METHOD /actual/path"`, e.g. `"POST /channels/{channel_id}/messages"`,
        `"PUT /channels/*/permissions/*"`, `"* /interactions/*"`. A 429 carries `retry_after`
        and the `Via` header discord.py needs to treat it as a real rate limit."""
        fault = Fault(pattern, times, status, body, retry_after)
        self.faults.append(fault)
        return fault

    async def wait_for_fault(
        self, fault: Fault, hits: int | None = None, *, timeout: float = 10.0
    ) -> Fault:
        """Until `fault` has failed `hits` requests (default: every one it was set up for)."""
        wanted = fault.hits + fault.times if hits is None else hits
        return await self.changes.wait_for(
            lambda: fault if fault.hits >= wanted else None,
            timeout=timeout,
            what=lambda: f"{wanted} requests failed by {fault.pattern!r} ({fault.hits} so far)",
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def hold(self, pattern: str) -> Hold:
        """Requests matching `pattern` (as for `fail_next`) wait unanswered until
        `hold.release()`; `await fake.wait_for_held(hold, n)` waits for the n-th to arrive.
        Lines up races deterministically, or keeps a request in flight while the bot is
        killed. Released at `close()` at the latest."""
        hold = Hold(pattern)
        self.holds.append(hold)
        return hold

    async def wait_for_held(self, hold: Hold, count: int = 1, *, timeout: float = 10.0) -> None:
        await self.changes.wait_for(
            lambda: len(hold.arrived) >= count,
            timeout=timeout,
            what=f"{count} request(s) matching {hold.pattern!r}",
        )

    # ------------------------------------------------------------------ gateway controls

    def _live_connection(self) -> tuple[GatewaySession, GatewayConnection]:
        for session in reversed(self.gateway.live_sessions()):
            if session.connection is not None and not session.connection.closed:
                return session, session.connection
        raise FakeUsageError("no connected gateway session")

    async def gateway_reconnect(self) -> GatewaySession:
        """Send op 7 RECONNECT: the client should come back with RESUME."""
        session, conn = self._live_connection()
        await conn.send_op(Op.RECONNECT, None)
        return session

    async def gateway_drop(self, code: int = 4000) -> GatewaySession:
        """Close the socket with `code` (4000: resumable; 4004: authentication failed, fatal)."""
        session, conn = self._live_connection()
        await conn.close(code, "dropped by the test")
        return session

    async def gateway_invalidate(self, *, resumable: bool = False) -> GatewaySession:
        session, conn = self._live_connection()
        if not resumable:
            session.invalidated = True
        await conn.send_op(Op.INVALID_SESSION, resumable)
        return session

    async def wait_for_resume(
        self, session: GatewaySession, *, resumes: int = 1, timeout: float = 15.0
    ) -> None:
        await self.changes.wait_for(
            lambda: session.resumes >= resumes and session.connected,
            timeout=timeout,
            what=f"session {session.number} to resume",
        )

    async def wait_until_connected(
        self, since: Mark | None = None, *, timeout: float = 30.0
    ) -> GatewaySession:
        """A session identified (after `since`), READY and every GUILD_CREATE sent, connected."""
        first = since.sessions if since else 0

        def ready() -> GatewaySession | None:
            for session in self.gateway.sessions[first:]:
                if session.ready and session.connected and not session.invalidated:
                    return session
            return None

        return await self.changes.wait_for(ready, timeout=timeout, what="the bot to identify")

    async def wait_for_commands(
        self, guild: Any = None, since: Mark | None = None, *, timeout: float = 30.0
    ) -> list[JSON]:
        """Commands registered (after `since`) for a server, or globally."""
        first = since.requests if since else 0
        target = None if guild is None else str(to_id(guild, what="guild"))

        def registered() -> list[JSON] | None:
            for request in self.requests[first:]:
                if request.method != "PUT" or request.status != 200:
                    continue
                if target is None and request.route == "/applications/{application_id}/commands":
                    return self.commands()
                if (
                    request.route == "/applications/{application_id}/guilds/{guild_id}/commands"
                    and request.params.get("guild_id") == target
                ):
                    return self.commands(guild)
            return None

        return await self.changes.wait_for(
            registered, timeout=timeout, what=f"commands for {target or 'global'}"
        )

    async def wait_for_request(
        self,
        pattern: str,
        *,
        since: Mark | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10.0,
    ) -> RecordedRequest:
        first = since.requests if since else 0

        def found() -> RecordedRequest | None:
            for request in self.requests[first:]:
                if (
                    request.status is not None
                    and route_matches(pattern, request)
                    and (predicate is None or predicate(request))
                ):
                    return request
            return None

        return await self.changes.wait_for(found, timeout=timeout, what=f"a request {pattern}")

    async def wait_for_message(
        self,
        channel: Any,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        timeout: float = 10.0,
    ) -> JSON:
        channel_id = to_id(channel, what="channel")

        def found() -> JSON | None:
            for stored in self.state.channel_messages_of(channel_id):
                if predicate is None or predicate(stored.payload):
                    return stored.payload
            return None

        return await self.changes.wait_for(
            found, timeout=timeout, what=f"a message in channel {channel_id}"
        )

    # ------------------------------------------------------------------ interactions: building

    async def _send(
        self,
        payload: JSON,
        guild: Guild,
        channel: Channel,
        member: Member,
        *,
        source_message_id: int | None = None,
    ) -> SentInteraction:
        record = InteractionRecord(
            id=int(payload["id"]),
            token=payload["token"],
            type=int(payload["type"]),
            payload=payload,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=member.user.id,
            created_at=asyncio.get_running_loop().time(),
            source_message_id=source_message_id,
        )
        self.interactions[record.id] = record
        self.interactions_by_token[record.token] = record
        start = time.perf_counter()
        await self.gateway.dispatch_interaction(guild.id, payload)
        record.sent_at = start
        self.changes.notify()
        return SentInteraction(self, record)

    # ------------------------------------------------------------------ interactions: public

    async def invoke(
        self,
        user: Any,
        guild: Any,
        channel: Any,
        command: str,
        /,
        *,
        scope: str | None = None,
        **options: Any,
    ) -> SentInteraction:
        """`user` runs `/command sub …` in `channel` with typed options, e.g.
        `await fake.invoke(ada, guild, general, "member add", user=bob, organisation="NHS")`.

        The command is looked up in what the bot registered (the server's commands first, then
        global; `scope="global"` picks the global one); options are checked and typed as the
        Discord client would (required, choices, ranges), users/members/channels/roles land in
        `resolved`."""
        g, ch, member = self.builder.context(user, guild, channel)
        if not self.state.permissions_in(ch, member.user.id) & Perm.USE_APPLICATION_COMMANDS:
            raise FakeUsageError(
                f"{member.user.username} may not use application commands in #{ch.name}"
            )
        payload = self.builder.base(InteractionType.APPLICATION_COMMAND, g, ch, member)
        payload["data"] = self.builder.command_data(
            g, ch, member, command, options, focused=None, scope=scope
        )
        return await self._send(payload, g, ch, member)

    async def run(
        self,
        user: Any,
        guild: Any,
        channel: Any,
        command: str,
        /,
        *,
        timeout: float = 10.0,
        **options: Any,
    ) -> Reply:
        """`invoke` and wait for the reply the user sees."""
        sent = await self.invoke(user, guild, channel, command, **options)
        return await sent.response(timeout=timeout)

    async def autocomplete(
        self,
        user: Any,
        guild: Any,
        channel: Any,
        command: str,
        focused: str,
        /,
        *,
        scope: str | None = None,
        **options: Any,
    ) -> SentInteraction:
        """Typing in option `focused` (its current text is `options[focused]`, default "")."""
        g, ch, member = self.builder.context(user, guild, channel)
        options = {focused: "", **options}
        payload = self.builder.base(InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, g, ch, member)
        payload["data"] = self.builder.command_data(
            g, ch, member, command, options, focused=focused, scope=scope
        )
        return await self._send(payload, g, ch, member)

    async def autocomplete_choices(
        self,
        user: Any,
        guild: Any,
        channel: Any,
        command: str,
        focused: str,
        /,
        *,
        timeout: float = 10.0,
        **options: Any,
    ) -> list[JSON]:
        sent = await self.autocomplete(user, guild, channel, command, focused, **options)
        return (await sent.response(timeout=timeout)).choices or []

    def _component_context(
        self, user: Any, message: Any
    ) -> tuple[StoredMessage, Guild, Channel, Member]:
        stored = self.state.messages.get(to_id(message, what="message"))
        if stored is None or stored.deleted:
            raise FakeUsageError(f"message {to_id(message)} does not exist")
        user_id = to_id(user, what="user")
        if stored.ephemeral:
            origin = self.interactions.get(stored.interaction_id or 0)
            if origin is None or origin.user_id != user_id:
                raise FakeUsageError("only the person who got an ephemeral message can use it")
        if stored.channel_id in self.state.dm_channels:
            raise FakeUsageError("components on direct messages are not modelled")
        channel = self.state.channels.get(stored.channel_id)
        if channel is None:
            raise FakeUsageError("the message's channel no longer exists")
        guild = self.state.guild(channel.guild_id)
        member = guild.members.get(user_id)
        if member is None:
            raise FakeUsageError(f"user {user_id} is not a member of {guild.name}")
        if (
            not stored.ephemeral
            and not self.state.permissions_in(channel, user_id) & Perm.VIEW_CHANNEL
        ):
            raise FakeUsageError(f"{member.user.username} cannot see #{channel.name}")
        return stored, guild, channel, member

    async def click(self, user: Any, message: Any, custom_id: str, /) -> SentInteraction:
        """`user` presses the button `custom_id` on `message` (a payload, id or Reply)."""
        stored, guild, channel, member = self._component_context(user, message)
        component = self.builder.component(stored, custom_id)
        if component.get("type") != 2 or component.get("style") in (5, 6):
            raise FakeUsageError(f"component {custom_id!r} is not a clickable button")
        payload = self.builder.base(InteractionType.MESSAGE_COMPONENT, guild, channel, member)
        payload["message"] = json.loads(json.dumps(stored.payload))
        payload["data"] = payloads.button_data(custom_id, component.get("id"))
        return await self._send(payload, guild, channel, member, source_message_id=stored.id)

    async def select(
        self, user: Any, message: Any, custom_id: str, values: Sequence[Any], /
    ) -> SentInteraction:
        """`user` picks `values` in the select menu `custom_id` (option values, or users,
        roles or channels for those menus)."""
        stored, guild, channel, member = self._component_context(user, message)
        component = self.builder.component(stored, custom_id)
        kind = int(component.get("type", 0))
        if kind not in (3, 5, 6, 7, 8):
            raise FakeUsageError(f"component {custom_id!r} is not a select menu")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise FakeUsageError(
                f"select {custom_id!r} takes {low}-{high} values, got {len(values)}"
            )
        data: JSON = {"custom_id": custom_id, "component_type": kind, "id": component.get("id")}
        if kind == 3:
            allowed = [o["value"] for o in component.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise FakeUsageError(f"select {custom_id!r} has no options {bad}; it has {allowed}")
            data["values"] = list(values)
        else:
            option_type = {
                5: OptionType.USER,
                6: OptionType.ROLE,
                7: OptionType.MENTIONABLE,
                8: OptionType.CHANNEL,
            }[kind]
            resolved: JSON = {}
            probe = {
                "name": custom_id,
                "type": option_type,
                "channel_types": component.get("channel_types"),
            }
            data["values"] = [
                self.builder.resolve_value(
                    probe, v, guild, channel, member, resolved, focused=False
                )
                for v in values
            ]
            data["resolved"] = resolved
        payload = self.builder.base(InteractionType.MESSAGE_COMPONENT, guild, channel, member)
        payload["message"] = json.loads(json.dumps(stored.payload))
        payload["data"] = data
        return await self._send(payload, guild, channel, member, source_message_id=stored.id)

    async def submit_modal(
        self, user: Any, opened_by: Any, values: Mapping[str, Any], /
    ) -> SentInteraction:
        """`user` fills in and submits the form the bot opened in answer to `opened_by` (a
        SentInteraction or interaction id). `values` maps each field's custom_id to its text
        (or a list of values for selects in the form); unmentioned optional fields are empty."""
        record = self.interactions.get(to_id(opened_by, what="interaction"))
        if record is None or record.modal is None:
            raise FakeUsageError("that interaction was not answered with a form (modal)")
        if record.user_id != to_id(user, what="user"):
            raise FakeUsageError("only the person the form was shown to can submit it")
        guild = self.state.guild(record.guild_id)
        channel = self.state.channels.get(record.channel_id)
        member = guild.members.get(record.user_id)
        if channel is None or member is None:
            raise FakeUsageError("the form's channel or person no longer exists")
        remaining = dict(values)

        def answer(component: JSON) -> JSON | None:
            kind = component.get("type")
            if kind == 1:
                return payloads.action_row(
                    [a for c in component.get("components") or [] if (a := answer(c))],
                    component.get("id"),
                )
            if kind == 18:
                inner = answer(component["component"])
                return {"type": 18, "id": component.get("id"), "component": inner}
            if kind == 10:
                return {"type": 10, "id": component.get("id")}
            custom_id = component.get("custom_id")
            if custom_id is None:
                return None
            if kind == 4:
                text = remaining.pop(custom_id, "")
                if not isinstance(text, str):
                    raise FakeUsageError(f"field {custom_id!r} takes text, got {text!r}")
                if component.get("required", True) and not text:
                    raise FakeUsageError(f"field {custom_id!r} is required")
                low, high = component.get("min_length", 0), component.get("max_length", 4000)
                if text and not low <= len(text) <= high:
                    raise FakeUsageError(f"field {custom_id!r} must be {low}-{high} characters")
                return payloads.text_input_value(custom_id, text, component.get("id"))
            picked = remaining.pop(custom_id, [])
            return {
                "type": kind,
                "id": component.get("id"),
                "custom_id": custom_id,
                "values": list(picked),
            }

        components = [a for c in record.modal.get("components") or [] if (a := answer(c))]
        if remaining:
            raise FakeUsageError(f"the form has no fields {sorted(remaining)}")
        payload = self.builder.base(InteractionType.MODAL_SUBMIT, guild, channel, member)
        payload["data"] = payloads.modal_submit_data(record.modal["custom_id"], components)
        if record.source_message_id is not None:
            source = self.state.messages.get(record.source_message_id)
            if source is not None:
                payload["message"] = json.loads(json.dumps(source.payload))
        return await self._send(
            payload, guild, channel, member, source_message_id=record.source_message_id
        )

    # ------------------------------------------------------------------ interactions: results

    def interaction(self, interaction: Any) -> InteractionRecord:
        return self.interactions[to_id(interaction, what="interaction")]

    def _reply_for(self, record: InteractionRecord, message_id: int | None) -> Reply:
        assert record.callback_type is not None
        stored = self.state.messages.get(message_id or 0)
        return Reply(
            callback_type=record.callback_type,
            message=json.loads(json.dumps(stored.payload)) if stored else None,
            choices=record.choices,
            modal=record.modal,
            request=stored.request if stored else {},
        )

    async def wait_for_callback(
        self, interaction: Any, *, timeout: float = 10.0
    ) -> InteractionRecord:
        record = self.interaction(interaction)
        return await self.changes.wait_for(
            lambda: record if record.callback is not None else None,
            timeout=timeout,
            what=lambda: (
                f"the bot to acknowledge interaction {record.id} ({self._describe(record)})"
            ),
        )

    async def wait_for_response(self, interaction: Any, *, timeout: float = 10.0) -> Reply:
        """What the user sees first: the message (after a defer: once the bot filled it in),
        the autocomplete choices, or the form."""
        record = await self.wait_for_callback(interaction, timeout=timeout)

        def ready() -> Reply | None:
            kind = record.callback_type
            if kind in (Callback.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, Callback.MODAL):
                return self._reply_for(record, None)
            if record.visible_ids:
                return self._reply_for(record, record.visible_ids[0])
            return None

        return await self.changes.wait_for(
            ready,
            timeout=timeout,
            what=lambda: f"a visible answer to interaction {record.id} ({self._describe(record)})",
        )

    async def wait_for_followups(
        self, interaction: Any, count: int, *, timeout: float = 10.0
    ) -> list[Reply]:
        """The first `count` follow-up messages (a follow-up that replaced a thinking defer
        counts)."""
        record = await self.wait_for_callback(interaction, timeout=timeout)
        await self.changes.wait_for(
            lambda: len(record.followup_ids) >= count,
            timeout=timeout,
            what=lambda: f"{count} follow-ups to interaction {record.id}",
        )
        return [self._reply_for(record, i) for i in record.followup_ids[:count]]

    def _describe(self, record: InteractionRecord) -> str:
        data = record.payload.get("data") or {}
        name = (
            self._command_name(record.payload) if record.type in (2, 4) else data.get("custom_id")
        )
        return f"{InteractionType(record.type).name} {name!r}, callback={record.callback_type}"


def base64_id(value: int) -> str:
    import base64

    return base64.b64encode(str(value).encode()).decode().rstrip("=")
