"""The fake Discord's REST routes: what Discord's API v10 answers, errors included."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web

from tests import discord_payloads as payloads

from ._discord_model import (
    API_PREFIX,
    INTERACTION_MESSAGE_FLAGS,
    INTERACTION_TOKEN_LIFETIME,
    JSON,
    MESSAGE_CREATE_FLAGS,
    Callback,
    Channel,
    ChannelType,
    DiscordHTTPError,
    DMChannel,
    FormErrors,
    Guild,
    InteractionRecord,
    InteractionType,
    MessageFlag,
    Overwrite,
    Perm,
    RecordedRequest,
    StoredMessage,
    UploadedFile,
    assign_component_ids,
    cannot_message_user,
    content_type_for,
    dm_not_allowed,
    missing_access,
    missing_permissions,
    unknown,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
    validate_choices,
    validate_commands,
    validate_message,
    validate_modal,
)

if TYPE_CHECKING:
    from .fake_discord import FakeDiscord

log = logging.getLogger("fake_discord.rest")


# ------------------------------------------------------------------------------------------- REST


def route_matches(pattern: str, request: RecordedRequest) -> bool:
    """fnmatch against `"METHOD /route/{template}"` or `"METHOD /actual/path"`."""
    return fnmatch.fnmatchcase(request.key, pattern) or fnmatch.fnmatchcase(
        f"{request.method} {request.path}", pattern
    )


@dataclass
class Hold:
    """Requests matching `pattern` wait, unanswered, until `release()`: to line up races."""

    pattern: str
    arrived: list[RecordedRequest] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, request: RecordedRequest) -> bool:
        return not self.released.is_set() and route_matches(self.pattern, request)

    def release(self) -> None:
        self.released.set()


@dataclass
class Fault:
    """An injected failure: the next `times` requests matching `pattern` get `status`."""

    pattern: str
    times: int
    status: int
    body: Any = None
    retry_after: float = 0.05
    hits: int = 0

    def matches(self, request: RecordedRequest) -> bool:
        return route_matches(self.pattern, request)

    def response(self) -> web.Response:
        if self.status == 429:
            body = self.body or {
                "message": "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": False,
            }
            headers = {"Via": "1.1 google", "Retry-After": str(self.retry_after)}
            return json_response(body, status=429, headers=headers)
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body, content_type="text/html")
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Injected fault"
        body = self.body or {"message": f"{self.status}: {reason}", "code": 0}
        return json_response(body, status=self.status)


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON, or multipart with `payload_json` and `files[n]`, as discord.py sends them."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        payload: Any = None
        files: list[UploadedFile] = []
        while (part := await reader.next()) is not None:
            name = getattr(part, "name", None)
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif name and name.startswith("files[") and name.endswith("]"):
                data = await part.read(decode=False)  # type: ignore[union-attr]
                files.append(
                    UploadedFile(
                        index=int(name[6:-1]),
                        filename=getattr(part, "filename", None) or f"file{len(files)}",
                        content_type=part.headers.get(
                            hdrs.CONTENT_TYPE, "application/octet-stream"
                        ),
                        data=bytes(data),
                    )
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    if request.content_type == "application/json":
        try:
            return json.loads(raw), []
        except ValueError:
            raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from None
    return raw.decode(errors="replace"), []


def changed_bits(before: Mapping[int, Overwrite], after: Mapping[int, Overwrite]) -> int:
    """The permission bits an edit of a channel's overwrites touches."""
    changed = 0
    for target in set(before) | set(after):
        old, new = before.get(target), after.get(target)
        old_allow, old_deny = (old.allow, old.deny) if old else (0, 0)
        new_allow, new_deny = (new.allow, new.deny) if new else (0, 0)
        changed |= (old_allow ^ new_allow) | (old_deny ^ new_deny)
    return changed


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON with Discord's exact `Content-Type: application/json` (discord.py compares it
    verbatim; `web.json_response` would add `; charset=utf-8` and be read as text)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), hdrs.CONTENT_TYPE: "application/json"},
    )


#: The request as recorded, with its parsed body and files, for the handlers.
RECORD = web.RequestKey("fake_record", RecordedRequest)


def no_content() -> web.Response:
    return web.Response(status=204)


class RestApi:
    """Route handlers for the REST API. Each returns what Discord returns, or raises
    `DiscordHTTPError` with Discord's status, code and message."""

    #: (method, path template, handler name, needs the bot token)
    ROUTES: tuple[tuple[str, str, str, bool], ...] = (
        ("GET", "/users/@me", "get_me", True),
        ("GET", "/users/{user_id}", "get_user", True),
        ("POST", "/users/@me/channels", "create_dm", True),
        ("GET", "/oauth2/applications/@me", "get_application", True),
        ("GET", "/gateway", "get_gateway", False),
        ("GET", "/gateway/bot", "get_gateway_bot", True),
        ("GET", "/applications/{application_id}/commands", "get_global_commands", True),
        ("PUT", "/applications/{application_id}/commands", "put_global_commands", True),
        (
            "GET",
            "/applications/{application_id}/guilds/{guild_id}/commands",
            "get_guild_commands",
            True,
        ),
        (
            "PUT",
            "/applications/{application_id}/guilds/{guild_id}/commands",
            "put_guild_commands",
            True,
        ),
        ("GET", "/guilds/{guild_id}", "get_guild", True),
        ("GET", "/guilds/{guild_id}/members/{user_id}", "get_member", True),
        ("GET", "/guilds/{guild_id}/channels", "get_guild_channels", True),
        ("POST", "/guilds/{guild_id}/channels", "create_guild_channel", True),
        ("GET", "/channels/{channel_id}", "get_channel", True),
        ("PATCH", "/channels/{channel_id}", "edit_channel", True),
        ("DELETE", "/channels/{channel_id}", "delete_channel", True),
        ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", "put_permissions", True),
        ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", "delete_permissions", True),
        ("GET", "/channels/{channel_id}/messages", "get_messages", True),
        ("POST", "/channels/{channel_id}/messages", "create_message", True),
        ("GET", "/channels/{channel_id}/messages/{message_id}", "get_message", True),
        ("PATCH", "/channels/{channel_id}/messages/{message_id}", "edit_message", True),
        ("DELETE", "/channels/{channel_id}/messages/{message_id}", "delete_message", True),
        (
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            "thread_from_message",
            True,
        ),
        ("POST", "/channels/{channel_id}/threads", "thread_without_message", True),
        ("PUT", "/channels/{channel_id}/thread-members/{user_id}", "add_thread_member", True),
        ("POST", "/channels/{channel_id}/typing", "typing", True),
        ("POST", "/interactions/{interaction_id}/{token}/callback", "interaction_callback", False),
        ("POST", "/webhooks/{application_id}/{token}", "execute_followup", False),
        (
            "GET",
            "/webhooks/{application_id}/{token}/messages/{message_id}",
            "get_webhook_message",
            False,
        ),
        (
            "PATCH",
            "/webhooks/{application_id}/{token}/messages/{message_id}",
            "edit_webhook_message",
            False,
        ),
        (
            "DELETE",
            "/webhooks/{application_id}/{token}/messages/{message_id}",
            "delete_webhook_message",
            False,
        ),
    )

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.state = fake.state
        self.public_routes = {template for _, template, _, auth in self.ROUTES if not auth}

    def install(self, app: web.Application) -> None:
        for method, template, name, _ in self.ROUTES:
            app.router.add_route(method, API_PREFIX + template, getattr(self, name))

    # ---- helpers

    @property
    def bot_id(self) -> int:
        return self.fake.bot.id

    def _channel(self, request: web.Request) -> Channel:
        """A server channel or thread; a DM channel's id gets Discord's 50003 (routes that
        work in DMs ask `_dm` first)."""
        channel_id = int(request.match_info["channel_id"])
        if channel_id in self.state.dm_channels:
            raise dm_not_allowed()
        return self.state.channel(channel_id)

    def _dm(self, request: web.Request) -> DMChannel | None:
        return self.state.dm_channels.get(int(request.match_info["channel_id"]))

    def _require(self, channel: Channel, needed: int) -> int:
        """The bot's permissions in `channel`, or 403 as Discord answers it."""
        perms = self.state.permissions_in(channel, self.bot_id)
        if not perms & Perm.VIEW_CHANNEL:
            raise missing_access()
        if perms & needed != needed:
            raise missing_permissions()
        return perms

    def _check_overwrite_bits(self, guild: Guild, parent: Channel | None, bits: int) -> None:
        """Only permissions the bot has (in the server, or the parent channel) can be set;
        Manage Permissions only by administrators."""
        base = self.state.base_permissions(guild, self.bot_id)
        if base & Perm.ADMINISTRATOR:
            return
        have = base | (self.state.permissions_in(parent, self.bot_id) if parent else 0)
        if bits & Perm.MANAGE_ROLES or bits & ~have:
            raise missing_permissions()

    def _app_id(self, request: web.Request) -> None:
        if int(request.match_info["application_id"]) != self.fake.application_id:
            raise missing_access()

    @staticmethod
    def _body(request: web.Request) -> JSON:
        body = request[RECORD].json
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.")
        return body

    # ---- login

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(self.fake.bot_user_payload())

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.state.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise unknown(10013, "User")
        return json_response(user.payload())

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or reopen: the same channel every time) the bot's DM with one person."""
        body = self._body(request)
        errors = FormErrors()
        raw = body.get("recipient_id")
        user_id = 0
        if raw is None:
            errors.add(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        else:
            try:
                user_id = int(raw)
            except (TypeError, ValueError):
                errors.add(
                    ["recipient_id"], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.'
                )
        errors.raise_if_any()
        return json_response(self.state.open_dm(user_id).payload())

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.fake.application_payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.fake.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": self.fake.session_starts_remaining,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    # ---- commands

    def _store_commands(
        self, existing: list[JSON], submitted: Any, guild_id: int | None
    ) -> list[JSON]:
        validate_commands(submitted)
        by_key = {(c["name"], c.get("type", 1)): c for c in existing}
        stored: list[JSON] = []
        for command in submitted:
            kind = int(command.get("type", 1))
            old = by_key.get((command["name"], kind))
            record = payloads.registered_command(
                command,
                id=old["id"] if old else self.state.snowflake(),
                application_id=self.fake.application_id,
                version=self.state.snowflake(),
                guild_id=guild_id,
            )
            stored.append(record)
        return stored

    async def get_global_commands(self, request: web.Request) -> web.Response:
        self._app_id(request)
        return json_response(self.state.global_commands)

    async def put_global_commands(self, request: web.Request) -> web.Response:
        self._app_id(request)
        self.state.global_commands = self._store_commands(
            self.state.global_commands, request[RECORD].json, None
        )
        return json_response(self.state.global_commands)

    def _command_guild(self, request: web.Request) -> Guild:
        self._app_id(request)
        guild = self.state.guilds.get(int(request.match_info["guild_id"]))
        if guild is None or self.bot_id not in guild.members:
            raise missing_access()
        return guild

    async def get_guild_commands(self, request: web.Request) -> web.Response:
        return json_response(self._command_guild(request).commands)

    async def put_guild_commands(self, request: web.Request) -> web.Response:
        guild = self._command_guild(request)
        guild.commands = self._store_commands(guild.commands, request[RECORD].json, guild.id)
        return json_response(guild.commands)

    # ---- guilds

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guild(int(request.match_info["guild_id"]))
        if self.bot_id not in guild.members:
            raise missing_access()
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        payload = self.state.guild_create_payload(guild, self.bot_id)
        for key in (
            "joined_at",
            "large",
            "unavailable",
            "member_count",
            "voice_states",
            "members",
            "channels",
            "threads",
            "presences",
        ):
            payload.pop(key, None)
        return json_response(payload)

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(int(request.match_info["user_id"]))
        if member is None:
            raise unknown(10007, "Member")
        return json_response(member.payload())

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.payload() for c in guild.channels.values() if not c.is_thread])

    def _parse_overwrites(
        self, guild: Guild, raw: Any, errors: FormErrors, path: str
    ) -> dict[int, Overwrite]:
        overwrites: dict[int, Overwrite] = {}
        if not isinstance(raw, list):
            errors.add([path], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
            return overwrites
        for i, item in enumerate(raw):
            try:
                target = int(item["id"])
                kind = int(item.get("type", 0))
                allow = int(item.get("allow") or 0)
                deny = int(item.get("deny") or 0)
            except (KeyError, TypeError, ValueError):
                errors.add([path, i], "BASE_TYPE_REQUIRED", "Invalid overwrite")
                continue
            if kind not in (0, 1):
                errors.add([path, i, "type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).")
            elif kind == 0 and target not in guild.roles:
                errors.add([path, i, "id"], "UNKNOWN_ROLE", "Unknown role")
            overwrites[target] = Overwrite(target, kind, allow, deny)
        return overwrites

    async def create_guild_channel(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        body = self._body(request)
        errors = FormErrors()
        name = str(body.get("name") or "")
        errors.length(["name"], name, 1, 100)
        kind = int(body.get("type") or 0)
        if kind not in (
            ChannelType.GUILD_TEXT,
            ChannelType.GUILD_VOICE,
            ChannelType.GUILD_CATEGORY,
        ):
            errors.add(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4).")
        parent: Channel | None = None
        if body.get("parent_id") is not None:
            parent = guild.channels.get(int(body["parent_id"]))
            if kind == ChannelType.GUILD_CATEGORY or parent is None or not parent.is_category:
                errors.add(["parent_id"], "CHANNEL_PARENT_INVALID", "Not a category")
        topic = body.get("topic")
        if topic is not None:
            errors.length(["topic"], str(topic), 0, 1024)
        overwrites: dict[int, Overwrite] | None = None
        if "permission_overwrites" in body:
            overwrites = self._parse_overwrites(
                guild, body["permission_overwrites"], errors, "permission_overwrites"
            )
        errors.raise_if_any()
        if parent is not None:
            self._require(parent, Perm.MANAGE_CHANNELS)
        elif not self.state.base_permissions(guild, self.bot_id) & Perm.MANAGE_CHANNELS:
            raise missing_permissions()
        if overwrites:
            bits = 0
            for overwrite in overwrites.values():
                bits |= overwrite.allow | overwrite.deny
            self._check_overwrite_bits(guild, parent, bits)
        if overwrites is None and parent is not None:  # no overwrites given: synced to the category
            overwrites = {
                k: Overwrite(o.id, o.type, o.allow, o.deny) for k, o in parent.overwrites.items()
            }
        if kind != ChannelType.GUILD_CATEGORY:
            name = re.sub(r"\s+", "-", name.strip()).lower() if kind == 0 else name
        siblings = [c for c in guild.channels.values() if not c.is_thread and c.type == kind]
        channel = Channel(
            id=self.state.snowflake(),
            guild_id=guild.id,
            type=kind,
            name=name,
            position=int(
                body.get("position") or (max((c.position for c in siblings), default=-1) + 1)
            ),
            parent_id=parent.id if parent else None,
            topic=topic,
            nsfw=bool(body.get("nsfw", False)),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            overwrites=overwrites or {},
        )
        self.fake.add_channel_object(channel)
        await self.fake.gateway.dispatch_guild_event(guild.id, "CHANNEL_CREATE", channel.payload())
        return json_response(channel.payload(), status=201)

    # ---- channels

    async def get_channel(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        if dm is not None:
            return json_response(dm.payload())
        channel = self._channel(request)
        self._require(channel, 0)
        return json_response(channel.payload())

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        guild = self.state.guild_of(channel)
        body = self._body(request)
        errors = FormErrors()
        if channel.is_thread:
            self._require(channel, 0)
            if channel.owner_id != self.bot_id:
                self._require(channel, Perm.MANAGE_THREADS)
        else:
            self._require(channel, Perm.MANAGE_CHANNELS)
        if "name" in body:
            errors.length(["name"], str(body["name"] or ""), 1, 100)
        if body.get("topic") is not None:
            errors.length(["topic"], str(body["topic"]), 0, 1024)
        if body.get("parent_id") is not None:
            candidate = guild.channels.get(int(body["parent_id"]))
            if candidate is None or not candidate.is_category or channel.is_category:
                errors.add(["parent_id"], "CHANNEL_PARENT_INVALID", "Not a category")
        overwrites = None
        if "permission_overwrites" in body:
            overwrites = self._parse_overwrites(
                guild, body["permission_overwrites"], errors, "permission_overwrites"
            )
        errors.raise_if_any()
        if overwrites is not None:
            self._require(channel, Perm.MANAGE_ROLES)
            changed = changed_bits(channel.overwrites, overwrites)
            self._check_overwrite_bits(
                guild, self.state.channels.get(channel.parent_id or 0), changed
            )
            channel.overwrites = overwrites
        for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position"):
            if key in body:
                setattr(channel, key, body[key])
        if "parent_id" in body:
            channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        for key in ("archived", "locked", "invitable", "auto_archive_duration"):
            if key in body and channel.is_thread:
                setattr(channel, key, body[key])
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        await self.fake.gateway.dispatch_guild_event(guild.id, event, channel.payload())
        return json_response(channel.payload())

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.is_thread:
            self._require(channel, Perm.MANAGE_THREADS)
        else:
            self._require(channel, Perm.MANAGE_CHANNELS)
        payload = channel.payload()
        await self.fake.remove_channel(channel, dispatch=True)
        return json_response(payload)

    async def put_permissions(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.is_thread:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        guild = self.state.guild_of(channel)
        body = self._body(request)
        errors = FormErrors()
        target = int(request.match_info["overwrite_id"])
        kind = body.get("type")
        if kind not in (0, 1, "0", "1"):
            errors.add(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).")
        errors.raise_if_any()
        kind = int(kind)  # type: ignore[arg-type]
        if kind == 0 and target not in guild.roles:
            raise unknown(10011, "Role")
        allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
        perms = self._require(channel, 0)
        own = channel.overwrites.get(self.bot_id)
        has_manage_overwrite = bool(own and own.allow & Perm.MANAGE_ROLES)
        if not perms & Perm.MANAGE_ROLES:
            raise missing_permissions()
        if not has_manage_overwrite:
            self._check_overwrite_bits(
                guild, self.state.channels.get(channel.parent_id or 0), allow | deny
            )
        channel.overwrites[target] = Overwrite(target, kind, allow, deny)
        await self.fake.gateway.dispatch_guild_event(guild.id, "CHANNEL_UPDATE", channel.payload())
        return no_content()

    async def delete_permissions(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        guild = self.state.guild_of(channel)
        self._require(channel, Perm.MANAGE_ROLES)
        target = int(request.match_info["overwrite_id"])
        if target not in channel.overwrites:
            raise unknown(10009, "Overwrite")
        del channel.overwrites[target]
        await self.fake.gateway.dispatch_guild_event(guild.id, "CHANNEL_UPDATE", channel.payload())
        return no_content()

    # ---- messages

    def _send_permission(self, channel: Channel) -> int:
        return Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES

    async def create_message(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        channel: Channel | DMChannel = dm if dm is not None else self._channel(request)
        body = self._body(request)
        files: list[UploadedFile] = request[RECORD].files
        if isinstance(channel, DMChannel):
            # A DM needs no permission; Discord refuses only a recipient who won't take it.
            if not self.state.can_dm(channel, self.bot_id):
                raise cannot_message_user()
        else:
            if not channel.is_messageable:
                raise DiscordHTTPError(400, 50008, "Cannot send messages in a non-text channel")
            needed = self._send_permission(channel) | (Perm.ATTACH_FILES if files else 0)
            self._require(channel, needed)
            if channel.is_thread and channel.archived and channel.locked:
                raise DiscordHTTPError(400, 50083, "Thread is archived")
        validate_message(body, files, creating=True, allowed_flags=MESSAGE_CREATE_FLAGS)
        nonce = body.get("nonce")
        key = (self.bot_id, str(nonce)) if nonce is not None and body.get("enforce_nonce") else None
        loop_now = asyncio.get_running_loop().time()
        if key is not None:
            seen = self.state.nonces.get(key)
            if seen is not None and loop_now - seen[0] < self.fake.nonce_window:
                existing = self.state.messages.get(seen[1])
                if existing is not None:
                    return json_response(existing.payload)
        stored = self.fake.create_message(channel, body, files)
        if key is not None:
            self.state.nonces[key] = (loop_now, stored.id)
        return json_response(stored.payload)

    async def get_messages(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        if dm is not None:
            channel_id = dm.id
        else:
            channel = self._channel(request)
            perms = self._require(channel, 0)
            if not perms & Perm.READ_MESSAGE_HISTORY:
                return json_response([])
            channel_id = channel.id
        query = request.query
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = 50
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
            errors.raise_if_any()
        messages = self.state.channel_messages_of(channel_id)
        if "before" in query:
            messages = [m for m in messages if m.id < int(query["before"])]
        if "after" in query:
            messages = [m for m in messages if m.id > int(query["after"])]
            messages = messages[:limit]
        if "around" in query:
            around = int(query["around"])
            older = [m for m in messages if m.id <= around][-(limit // 2 + 1) :]
            newer = [m for m in messages if m.id > around][: limit - len(older)]
            messages = older + newer
        messages = sorted(messages, key=lambda m: m.id, reverse=True)[:limit]
        return json_response([m.payload for m in messages])

    async def get_message(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        if dm is not None:
            return json_response(
                self.state.message(dm.id, int(request.match_info["message_id"])).payload
            )
        channel = self._channel(request)
        perms = self._require(channel, 0)
        if not perms & Perm.READ_MESSAGE_HISTORY:
            raise missing_access()
        stored = self.state.message(channel.id, int(request.match_info["message_id"]))
        return json_response(stored.payload)

    async def edit_message(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        if dm is not None:
            channel_id = dm.id
        else:
            channel = self._channel(request)
            self._require(channel, 0)
            channel_id = channel.id
        stored = self.state.message(channel_id, int(request.match_info["message_id"]))
        if stored.payload["author"]["id"] != str(self.bot_id):
            raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
        body = self._body(request)
        files: list[UploadedFile] = request[RECORD].files
        validate_message(body, files, creating=False, allowed_flags=MESSAGE_CREATE_FLAGS)
        self.fake.edit_message(stored, body, files)
        return json_response(stored.payload)

    async def delete_message(self, request: web.Request) -> web.Response:
        dm = self._dm(request)
        if dm is not None:
            stored = self.state.message(dm.id, int(request.match_info["message_id"]))
            if stored.payload["author"]["id"] != str(self.bot_id):
                raise dm_not_allowed()  # no one deletes the other person's DMs
            await self.fake.delete_message(stored)
            return no_content()
        channel = self._channel(request)
        stored = self.state.message(channel.id, int(request.match_info["message_id"]))
        if stored.payload["author"]["id"] != str(self.bot_id):
            self._require(channel, Perm.MANAGE_MESSAGES)
        else:
            self._require(channel, 0)
        await self.fake.delete_message(stored)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        if self._dm(request) is not None:
            return no_content()
        self._require(self._channel(request), Perm.SEND_MESSAGES)
        return no_content()

    # ---- threads

    def _thread_body(self, body: JSON) -> tuple[str, int]:
        errors = FormErrors()
        name = str(body.get("name") or "")
        errors.length(["name"], name, 1, 100)
        duration = int(body.get("auto_archive_duration") or 4320)
        if duration not in (60, 1440, 4320, 10080):
            errors.add(
                ["auto_archive_duration"],
                "BASE_TYPE_CHOICES",
                "Value must be one of (60, 1440, 4320, 10080).",
            )
        errors.raise_if_any()
        return name, duration

    async def thread_from_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        self._require(channel, Perm.CREATE_PUBLIC_THREADS | Perm.READ_MESSAGE_HISTORY)
        stored = self.state.message(channel.id, int(request.match_info["message_id"]))
        if stored.payload.get("thread"):
            raise DiscordHTTPError(
                400, 160004, "A thread has already been created for this message"
            )
        name, duration = self._thread_body(self._body(request))
        kind = (
            ChannelType.ANNOUNCEMENT_THREAD
            if channel.type == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PUBLIC_THREAD
        )
        thread = self._new_thread(channel, stored.id, kind, name, duration)
        stored.payload["thread"] = thread.payload()
        stored.payload["flags"] = int(stored.payload.get("flags", 0)) | MessageFlag.HAS_THREAD
        await self.fake.gateway.dispatch_guild_event(
            channel.guild_id, "THREAD_CREATE", {**thread.payload(), "newly_created": True}
        )
        return json_response(thread.payload(), status=201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        body = self._body(request)
        kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        if kind not in (
            ChannelType.PUBLIC_THREAD,
            ChannelType.PRIVATE_THREAD,
            ChannelType.ANNOUNCEMENT_THREAD,
        ):
            errors = FormErrors()
            errors.add(["type"], "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
            errors.raise_if_any()
        needed = (
            Perm.CREATE_PRIVATE_THREADS
            if kind == ChannelType.PRIVATE_THREAD
            else Perm.CREATE_PUBLIC_THREADS
        )
        self._require(channel, needed)
        name, duration = self._thread_body(body)
        thread = self._new_thread(channel, self.state.snowflake(), kind, name, duration)
        thread.invitable = bool(body.get("invitable", True))
        await self.fake.gateway.dispatch_guild_event(
            channel.guild_id, "THREAD_CREATE", {**thread.payload(), "newly_created": True}
        )
        return json_response(thread.payload(), status=201)

    def _new_thread(
        self, parent: Channel, thread_id: int, kind: int, name: str, duration: int
    ) -> Channel:
        thread = Channel(
            id=thread_id,
            guild_id=parent.guild_id,
            type=kind,
            name=name,
            parent_id=parent.id,
            owner_id=self.bot_id,
            auto_archive_duration=duration,
            thread_member_ids={self.bot_id},
        )
        self.fake.add_channel_object(thread)
        return thread

    async def add_thread_member(self, request: web.Request) -> web.Response:
        thread = self._channel(request)
        if not thread.is_thread:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        self._require(thread, Perm.SEND_MESSAGES_IN_THREADS)
        user_id = int(request.match_info["user_id"])
        if user_id not in self.state.guild_of(thread).members:
            raise unknown(10007, "Member")
        thread.thread_member_ids.add(user_id)
        return no_content()

    # ---- interactions

    def _interaction(self, request: web.Request) -> InteractionRecord:
        record = self.fake.interactions.get(int(request.match_info["interaction_id"]))
        if record is None or record.token != request.match_info["token"]:
            raise unknown_interaction()
        return record

    async def interaction_callback(self, request: web.Request) -> web.Response:
        record = self._interaction(request)
        body = self._body(request)
        files: list[UploadedFile] = request[RECORD].files
        record.callback_at = request[RECORD].at
        if record.callback is not None:
            raise DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
        age = asyncio.get_running_loop().time() - record.created_at
        if age > self.fake.ack_deadline:
            raise unknown_interaction()
        try:
            kind = Callback(int(body.get("type", 0)))
        except ValueError:
            kind = None  # type: ignore[assignment]
        allowed = {
            InteractionType.APPLICATION_COMMAND: {4, 5, 9},
            InteractionType.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
            InteractionType.MODAL_SUBMIT: {4, 5} | ({6, 7} if record.source_message_id else set()),
        }[InteractionType(record.type)]
        if kind is None or kind not in allowed:
            errors = FormErrors()
            errors.add(
                ["type"],
                "INTERACTION_CALLBACK_TYPE_INVALID",
                "Invalid callback type for this interaction",
            )
            errors.raise_if_any()
        data = body.get("data") or {}
        response = payloads.callback_response(record.id, record.type, int(kind))
        if kind in (Callback.CHANNEL_MESSAGE_WITH_SOURCE, Callback.UPDATE_MESSAGE):
            validate_message(
                data,
                files,
                creating=kind == Callback.CHANNEL_MESSAGE_WITH_SOURCE,
                allowed_flags=INTERACTION_MESSAGE_FLAGS,
            )
        elif kind == Callback.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            validate_choices(data.get("choices"))
        elif kind == Callback.MODAL:
            validate_modal(data)
        record.callback = body
        record.callback_status = 200
        if kind == Callback.CHANNEL_MESSAGE_WITH_SOURCE:
            flags = int(data.get("flags") or 0)
            stored = self.fake.create_interaction_message(
                record, data, files, flags=flags, original=True
            )
            record.visible_ids.append(stored.id)
            response = payloads.callback_response(
                record.id,
                record.type,
                int(kind),
                message=stored.payload,
                loading=False,
                ephemeral=stored.ephemeral,
            )
        elif kind == Callback.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
            flags = (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL) | MessageFlag.LOADING
            stored = self.fake.create_interaction_message(
                record, {"content": ""}, [], flags=flags, original=True
            )
            record.loading = True
            response = payloads.callback_response(
                record.id,
                record.type,
                int(kind),
                message=stored.payload,
                loading=True,
                ephemeral=stored.ephemeral,
            )
        elif kind == Callback.DEFERRED_UPDATE_MESSAGE:
            record.original_message_id = record.source_message_id
        elif kind == Callback.UPDATE_MESSAGE:
            source = self.fake.state.messages[record.source_message_id or 0]
            record.original_message_id = source.id
            self.fake.edit_message(source, data, files)
            record.visible_ids.append(source.id)
            response = payloads.callback_response(
                record.id, record.type, int(kind), message=source.payload
            )
        elif kind == Callback.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices") or [])
        elif kind == Callback.MODAL:
            record.modal = json.loads(json.dumps(data))
            assign_component_ids(record.modal.get("components") or [])
        self.fake.changes.notify()
        return json_response(response)

    def _webhook_record(self, request: web.Request) -> InteractionRecord:
        if int(request.match_info["application_id"]) != self.fake.application_id:
            raise unknown_webhook()
        record = self.fake.interactions_by_token.get(request.match_info["token"])
        if record is None:
            raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")
        age = asyncio.get_running_loop().time() - record.created_at
        if age > INTERACTION_TOKEN_LIFETIME:
            raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")
        if record.callback is None:
            raise unknown_webhook()
        return record

    def _webhook_message(self, record: InteractionRecord, raw_id: str) -> StoredMessage:
        if raw_id == "@original":
            message_id = record.original_message_id
        else:
            message_id = int(raw_id)
            if message_id not in record.followup_ids and message_id != record.original_message_id:
                raise unknown_message()
        stored = self.fake.state.messages.get(message_id or 0)
        if stored is None or stored.deleted:
            raise unknown_message()
        return stored

    async def execute_followup(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        body = self._body(request)
        files: list[UploadedFile] = request[RECORD].files
        validate_message(body, files, creating=True, allowed_flags=INTERACTION_MESSAGE_FLAGS)
        original = self.fake.state.messages.get(record.original_message_id or 0)
        if record.loading and original is not None and not original.deleted:
            # The first follow-up after a thinking defer replaces the "thinking…" message.
            self.fake.edit_message(original, body, files, finish_loading=True)
            record.loading = False
            record.followup_ids.append(original.id)
            record.visible_ids.append(original.id)
            stored = original
        else:
            flags = int(body.get("flags") or 0)
            stored = self.fake.create_interaction_message(
                record, body, files, flags=flags, original=False
            )
            record.followup_ids.append(stored.id)
            record.visible_ids.append(stored.id)
        self.fake.changes.notify()
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(stored.payload)
        return no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        return json_response(
            self._webhook_message(record, request.match_info["message_id"]).payload
        )

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        stored = self._webhook_message(record, request.match_info["message_id"])
        body = self._body(request)
        files: list[UploadedFile] = request[RECORD].files
        validate_message(body, files, creating=False, allowed_flags=INTERACTION_MESSAGE_FLAGS)
        finishing = stored.id == record.original_message_id and record.loading
        self.fake.edit_message(stored, body, files, finish_loading=finishing)
        if finishing:
            record.loading = False
        if stored.id not in record.visible_ids:
            record.visible_ids.append(stored.id)
        self.fake.changes.notify()
        return json_response(stored.payload)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        stored = self._webhook_message(record, request.match_info["message_id"])
        await self.fake.delete_message(stored)
        return no_content()

    # ---- CDN

    async def get_attachment(self, request: web.Request) -> web.Response:
        data = self.state.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=data, content_type=content_type_for(request.match_info["filename"]).split(";")[0]
        )
