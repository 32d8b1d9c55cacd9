"""The fake Discord's model: constants, errors, the stored world and its permission rules,
and payload validation. No I/O here; see `fake_discord` for the server."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import mimetypes
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote

from tests import discord_payloads as payloads

JSON = dict[str, Any]
T = TypeVar("T")

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
INTERACTION_TOKEN_LIFETIME = 15 * 60.0


# -------------------------------------------------------------------------------------- constants


class Perm(enum.IntFlag):
    """Discord's permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SET_VOICE_CHANNEL_STATUS = 1 << 48
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51
    BYPASS_SLOWMODE = 1 << 52


ALL_PERMISSIONS = sum(p.value for p in Perm)

#: What @everyone may do in a new server.
DEFAULT_EVERYONE_PERMISSIONS = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.STREAM
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.REQUEST_TO_SPEAK
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.USE_EXTERNAL_STICKERS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.USE_EMBEDDED_ACTIVITIES
    | Perm.SEND_VOICE_MESSAGES
    | Perm.SEND_POLLS
    | Perm.USE_EXTERNAL_APPS
)

#: The bot's managed role, as if invited with the permissions Partnerbot needs.
DEFAULT_BOT_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.MANAGE_CHANNELS
    | Perm.MANAGE_ROLES
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.MANAGE_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_APPLICATION_COMMANDS
)


class Intent(enum.IntFlag):
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16
    AUTO_MODERATION_CONFIGURATION = 1 << 20
    AUTO_MODERATION_EXECUTION = 1 << 21
    GUILD_MESSAGE_POLLS = 1 << 24
    DIRECT_MESSAGE_POLLS = 1 << 25


ALL_INTENTS = sum(i.value for i in Intent)
PRIVILEGED_INTENTS = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT


class Op(enum.IntEnum):
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class ChannelType(enum.IntEnum):
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GROUP_DM = 3
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_STAGE_VOICE = 13
    GUILD_FORUM = 15
    GUILD_MEDIA = 16


THREAD_TYPES = {
    ChannelType.ANNOUNCEMENT_THREAD,
    ChannelType.PUBLIC_THREAD,
    ChannelType.PRIVATE_THREAD,
}


class InteractionType(enum.IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class Callback(enum.IntEnum):
    """Interaction callback (response) types."""

    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class OptionType(enum.IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class MessageFlag(enum.IntFlag):
    CROSSPOSTED = 1 << 0
    IS_CROSSPOST = 1 << 1
    SUPPRESS_EMBEDS = 1 << 2
    SOURCE_MESSAGE_DELETED = 1 << 3
    URGENT = 1 << 4
    HAS_THREAD = 1 << 5
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    FAILED_TO_MENTION_SOME_ROLES_IN_THREAD = 1 << 8
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_VOICE_MESSAGE = 1 << 13
    HAS_SNAPSHOT = 1 << 14
    IS_COMPONENTS_V2 = 1 << 15


#: Which intent a gateway event needs (events not listed need none, like INTERACTION_CREATE).
EVENT_INTENTS: dict[str, Intent] = {
    "GUILD_CREATE": Intent.GUILDS,
    "GUILD_UPDATE": Intent.GUILDS,
    "GUILD_DELETE": Intent.GUILDS,
    "GUILD_ROLE_CREATE": Intent.GUILDS,
    "GUILD_ROLE_UPDATE": Intent.GUILDS,
    "GUILD_ROLE_DELETE": Intent.GUILDS,
    "CHANNEL_CREATE": Intent.GUILDS,
    "CHANNEL_UPDATE": Intent.GUILDS,
    "CHANNEL_DELETE": Intent.GUILDS,
    "THREAD_CREATE": Intent.GUILDS,
    "THREAD_UPDATE": Intent.GUILDS,
    "THREAD_DELETE": Intent.GUILDS,
    "THREAD_MEMBERS_UPDATE": Intent.GUILDS,
    "GUILD_MEMBER_ADD": Intent.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intent.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intent.GUILD_MEMBERS,
    "MESSAGE_CREATE": Intent.GUILD_MESSAGES,
    "MESSAGE_UPDATE": Intent.GUILD_MESSAGES,
    "MESSAGE_DELETE": Intent.GUILD_MESSAGES,
}


# ----------------------------------------------------------------------------------------- errors


class FakeUsageError(AssertionError):
    """The test asked for something a Discord user could not do (or a name that isn't there)."""


class FakeDiscordTimeout(AssertionError):
    """Something the test waited for did not happen in time."""


class DiscordHTTPError(Exception):
    """An error response, in Discord's JSON error format."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: JSON | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra: JSON = {}  # further fields of the body (a 429's `retry_after`)

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code, **self.extra}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(code: int, what: str) -> DiscordHTTPError:
    return DiscordHTTPError(404, code, f"Unknown {what}")


def unknown_channel() -> DiscordHTTPError:
    return unknown(10003, "Channel")


def unknown_message() -> DiscordHTTPError:
    return unknown(10008, "Message")


def unknown_interaction() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10062, "Unknown interaction")


def unknown_webhook() -> DiscordHTTPError:
    return unknown(10015, "Webhook")


def missing_access() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def cannot_message_user() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50007, "Cannot send messages to this user")


def dm_not_allowed() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50003, "Cannot execute action on a DM channel")


def invalid_recipients() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50033, "Invalid Recipient(s)")


class FormErrors:
    """Collects field errors into Discord's nested `Invalid Form Body` (50035) shape."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def length(self, path: Sequence[str | int], value: Any, low: int, high: int) -> None:
        size = len(value) if isinstance(value, str | list) else 0
        if low <= size <= high:
            return
        if low == 0:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        else:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body", errors=self.tree)


# ----------------------------------------------------------------------------------- ids and time


class SnowflakeGenerator:
    """Discord-shaped ids: milliseconds since 2015 shifted left by 22 bits, strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def on_shard(self, shard_id: int, count: int) -> int:
        """The next id Discord would put on shard `shard_id` of `count` (a server's id decides
        its shard: `(id >> 22) % count`)."""
        candidate = self()
        while (candidate >> 22) % count != shard_id:
            candidate = ((candidate >> 22) + 1) << 22
        self._last = max(self._last, candidate)
        return candidate


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def to_id(value: Any, *, what: str = "object") -> int:
    """An id from whatever a test holds: an int, a str, a Discord payload dict, or a handle."""
    if isinstance(value, bool):
        raise FakeUsageError(f"expected a {what}, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, Mapping):
        if "user" in value and isinstance(value["user"], Mapping) and "id" not in value:
            return int(value["user"]["id"])
        if "id" in value:
            return int(value["id"])
    identifier = getattr(value, "id", None)
    if isinstance(identifier, int):
        return identifier
    raise FakeUsageError(f"expected a {what} (id, payload or handle), got {value!r}")


# ------------------------------------------------------------------------------------------ model


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    discriminator: str = "0"

    def payload(self) -> JSON:
        return payloads.user(
            self.id,
            self.username,
            global_name=self.global_name,
            bot=self.bot,
            discriminator=self.discriminator,
        )


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    def payload(self) -> JSON:
        return payloads.role(
            self.id,
            self.name,
            self.permissions,
            position=self.position,
            color=self.color,
            hoist=self.hoist,
            managed=self.managed,
            mentionable=self.mentionable,
            bot_id=self.bot_id,
        )


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int]
    joined_at: str
    nick: str | None = None

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> JSON:
        return payloads.member(
            self.user.payload() if with_user else None,
            roles=self.role_ids,
            joined_at=self.joined_at,
            nick=self.nick,
            permissions=permissions,
        )


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        return payloads.overwrite(self.id, self.type, self.allow, self.deny)


@dataclass
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    flags: int = 0
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    created_at: str = field(default_factory=iso_now)
    message_count: int = 0
    total_message_sent: int = 0
    thread_member_ids: set[int] = field(default_factory=set)
    # voice
    bitrate: int = 64000
    user_limit: int = 0

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_category(self) -> bool:
        return self.type == ChannelType.GUILD_CATEGORY

    @property
    def is_messageable(self) -> bool:
        return (
            self.type
            in {
                ChannelType.GUILD_TEXT,
                ChannelType.GUILD_ANNOUNCEMENT,
                ChannelType.GUILD_VOICE,
                ChannelType.GUILD_STAGE_VOICE,
            }
            or self.is_thread
        )

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> JSON:
        if self.is_thread:
            return payloads.thread(
                self.id,
                self.guild_id,
                self.type,
                self.name,
                parent_id=str(self.parent_id),
                owner_id=str(self.owner_id),
                created_at=self.created_at,
                auto_archive_duration=self.auto_archive_duration,
                archived=self.archived,
                locked=self.locked,
                invitable=self.invitable,
                last_message_id=self.last_message_id,
                rate_limit_per_user=self.rate_limit_per_user,
                message_count=self.message_count,
                member_count=min(len(self.thread_member_ids), 50),
                total_message_sent=self.total_message_sent,
                flags=self.flags,
            )
        return payloads.guild_channel(
            self.id,
            self.guild_id,
            self.type,
            self.name,
            position=self.position,
            parent_id=self.parent_id,
            overwrites=[o.payload() for o in self.overwrites.values()],
            topic=self.topic,
            nsfw=self.nsfw,
            rate_limit_per_user=self.rate_limit_per_user,
            last_message_id=self.last_message_id,
            flags=self.flags,
            bitrate=self.bitrate,
            user_limit=self.user_limit,
        )


@dataclass
class DMChannel:
    """A direct message channel between the bot and one person (type 1). Discord keeps one per
    recipient: opening it again returns the same channel. It belongs to no server, so sending
    needs no permission, only a recipient who will take it (see `DiscordState.can_dm`)."""

    id: int
    recipient: User
    last_message_id: int | None = None
    flags: int = 0
    guild_id: None = None  # not in the payload; for code that stores any channel's messages

    def payload(self) -> JSON:
        return payloads.dm_channel(
            self.id,
            self.recipient.payload(),
            last_message_id=self.last_message_id,
            flags=self.flags,
        )


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    joined_at: str
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)  # threads included
    commands: list[JSON] = field(default_factory=list)
    locale: str = "en-US"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def summary(self) -> JSON:
        return {"id": str(self.id), "name": self.name, "owner_id": str(self.owner_id)}


@dataclass
class UploadedFile:
    """One `files[n]` part of a multipart request."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass
class StoredMessage:
    payload: JSON
    channel_id: int
    guild_id: int | None
    ephemeral: bool = False
    interaction_id: int | None = None  # the interaction whose token created it
    request: JSON = field(default_factory=dict)  # the last create/edit body, as the bot sent it
    deleted: bool = False

    @property
    def id(self) -> int:
        return int(self.payload["id"])


@dataclass
class RecordedRequest:
    """One REST request as the fake received it."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.perf_counter() on arrival
    route: str | None = None  # the matched template, e.g. /channels/{channel_id}/messages
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    status: int | None = None
    response: Any = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.route or self.path}"

    @property
    def audit_reason(self) -> str | None:
        reason = self.headers.get("X-Audit-Log-Reason")
        return unquote(reason) if reason else None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class InteractionRecord:
    """An interaction the test sent and everything the bot did with its token."""

    id: int
    token: str
    type: int
    payload: JSON
    guild_id: int
    channel_id: int
    user_id: int
    created_at: float  # loop time, for the 3 s acknowledgement deadline
    sent_at: float = 0.0  # time.perf_counter() once the dispatch left the socket
    source_message_id: int | None = None  # the message a component (or its modal) sat on
    callback: JSON | None = None
    callback_at: float | None = None  # time.perf_counter() when the callback POST arrived
    callback_status: int | None = None
    original_message_id: int | None = None
    loading: bool = False
    followup_ids: list[int] = field(default_factory=list)
    visible_ids: list[int] = field(default_factory=list)  # messages shown as answers, in order
    modal: JSON | None = None
    choices: list[JSON] | None = None

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else int(self.callback["type"])


# ------------------------------------------------------------------------------------------ state


class DiscordState:
    """Users, servers, channels, messages and commands, and Discord's permission arithmetic."""

    def __init__(self, snowflake: SnowflakeGenerator) -> None:
        self.snowflake = snowflake
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.attachments: dict[int, bytes] = {}
        self.global_commands: list[JSON] = []
        self.nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self.dm_channels: dict[int, DMChannel] = {}
        self.dm_by_user: dict[int, int] = {}  # recipient id -> DM channel id
        self.dms_closed: set[int] = set()  # people who turned off DMs from server members

    # ---- lookups

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise unknown(10004, "Guild") from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise unknown_channel() from None

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        stored = self.messages.get(message_id)
        if stored is None or stored.deleted or stored.channel_id != channel_id or stored.ephemeral:
            raise unknown_message()
        return stored

    def guild_of(self, channel: Channel) -> Guild:
        return self.guild(channel.guild_id)

    # ---- direct messages

    def open_dm(self, user_id: int) -> DMChannel:
        """The bot's DM channel with this person: the existing one, or a new one."""
        existing = self.dm_by_user.get(user_id)
        if existing is not None:
            return self.dm_channels[existing]
        user = self.users.get(user_id)
        if user is None:
            raise invalid_recipients()
        dm = DMChannel(self.snowflake(), user)
        self.dm_channels[dm.id] = dm
        self.dm_by_user[user_id] = dm.id
        self.channel_messages.setdefault(dm.id, [])
        return dm

    def can_dm(self, dm: DMChannel, bot_id: int) -> bool:
        """Discord delivers a bot's DM only to a person (not a bot) who shares a server with it
        and has not turned off DMs from server members."""
        recipient = dm.recipient
        if recipient.bot or recipient.id in self.dms_closed:
            return False
        return any(
            recipient.id in guild.members and bot_id in guild.members
            for guild in self.guilds.values()
        )

    # ---- permissions (https://discord.com/developers/docs/topics/permissions)

    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.everyone.permissions
        for role_id in member.role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """Permissions of a member in a channel, overwrites applied; threads use their parent."""
        if channel.is_thread and channel.parent_id is not None:
            parent = self.channels.get(channel.parent_id)
            if parent is None:
                return 0
            perms = self.permissions_in(parent, user_id)
            if channel.type == ChannelType.PRIVATE_THREAD and not (
                user_id in channel.thread_member_ids or perms & Perm.MANAGE_THREADS
            ):
                perms &= ~Perm.VIEW_CHANNEL
            return self._implicit(perms)
        guild = self.guild(channel.guild_id)
        base = self.base_permissions(guild, user_id)
        if base & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = base
        everyone = channel.overwrites.get(guild.id)
        if everyone is not None:
            perms &= ~everyone.deny
            perms |= everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            overwrite = channel.overwrites.get(role_id)
            if overwrite is not None and overwrite.type == 0:
                allow |= overwrite.allow
                deny |= overwrite.deny
        perms &= ~deny
        perms |= allow
        own = channel.overwrites.get(user_id)
        if own is not None and own.type == 1:
            perms &= ~own.deny
            perms |= own.allow
        return self._implicit(perms)

    @staticmethod
    def _implicit(perms: int) -> int:
        if not perms & Perm.VIEW_CHANNEL:
            return 0
        if not perms & Perm.SEND_MESSAGES:
            perms &= ~(
                Perm.SEND_TTS_MESSAGES
                | Perm.MENTION_EVERYONE
                | Perm.EMBED_LINKS
                | Perm.ATTACH_FILES
            )
        return perms

    # ---- payloads

    def guild_create_payload(self, guild: Guild, bot_user_id: int) -> JSON:
        """GUILD_CREATE as a bot without the members or presences intents receives it."""
        own = guild.members.get(bot_user_id)
        return payloads.guild_create(
            guild.id,
            guild.name,
            owner_id=guild.owner_id,
            roles=[r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)],
            members=[own.payload()] if own is not None else [],
            channels=[c.payload() for c in guild.channels.values() if not c.is_thread],
            threads=[
                c.payload() for c in guild.channels.values() if c.is_thread and not c.archived
            ],
            member_count=len(guild.members),
            joined_at=guild.joined_at,
            locale=guild.locale,
            version=int(time.time() * 1000),
        )

    def channel_messages_of(self, channel_id: int) -> list[StoredMessage]:
        ids = self.channel_messages.get(channel_id, [])
        return [self.messages[i] for i in ids if not self.messages[i].deleted]


# ---------------------------------------------------------------------------------------- waiting


class Changes:
    """A pulse on every state change; `wait_for` re-checks its predicate on each pulse."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float,  # noqa: ASYNC109 - the timeout error names what was awaited
        what: str | Callable[[], str],
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = what() if callable(what) else what
                raise FakeDiscordTimeout(f"timed out after {timeout:.1f}s waiting for {detail}")
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


# ------------------------------------------------------------------------------------- validation

COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)
MESSAGE_CREATE_FLAGS = (
    MessageFlag.SUPPRESS_EMBEDS | MessageFlag.SUPPRESS_NOTIFICATIONS | MessageFlag.IS_COMPONENTS_V2
)
INTERACTION_MESSAGE_FLAGS = MESSAGE_CREATE_FLAGS | MessageFlag.EPHEMERAL


def validate_embeds(embeds: Any, errors: FormErrors) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.add(["embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    if len(embeds) > 10:
        errors.length(["embeds"], embeds, 0, 10)
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            errors.add(["embeds", i], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key)
            if value is not None:
                errors.length(["embeds", i, key], str(value), 0, limit)
                total += len(str(value))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.length(["embeds", i, "fields"], fields, 0, 25)
        for j, item in enumerate(fields):
            name, value = str(item.get("name", "")), str(item.get("value", ""))
            if not name:
                errors.add(
                    ["embeds", i, "fields", j, "name"],
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                )
            if not value:
                errors.add(
                    ["embeds", i, "fields", j, "value"],
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                )
            errors.length(["embeds", i, "fields", j, "name"], name, 0, 256)
            errors.length(["embeds", i, "fields", j, "value"], value, 0, 1024)
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            errors.length(["embeds", i, "footer", "text"], str(footer), 0, 2048)
            total += len(str(footer))
        author = (embed.get("author") or {}).get("name")
        if author:
            errors.length(["embeds", i, "author", "name"], str(author), 0, 256)
            total += len(str(author))
    if total > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def walk_components(components: Iterable[JSON]) -> Iterator[JSON]:
    """Every component, depth first: rows, sections and their accessories, containers, labels."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def validate_components(components: Any, errors: FormErrors, *, v2: bool) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errors.add(["components"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        return
    if not v2 and len(components) > 5:
        errors.length(["components"], components, 0, 5)
    seen: set[str] = set()
    for i, top in enumerate(components):
        if not v2 and top.get("type") != 1:
            errors.add(
                ["components", i, "type"], "UI_TYPE_INVALID", "Top-level must be action rows"
            )
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        kind = component.get("type")
        if kind == 2 and component.get("style") not in (5, 6) and not custom_id:
            errors.add(["components"], "BASE_TYPE_REQUIRED", "A button needs a custom_id")
        if custom_id is not None:
            errors.length(["components", "custom_id"], str(custom_id), 1, 100)
            if custom_id in seen:
                errors.add(
                    ["components"],
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if kind == 2 and component.get("label") is not None:
            errors.length(["components", "label"], str(component["label"]), 0, 80)


def validate_message(
    body: JSON, files: Sequence[UploadedFile], *, creating: bool, allowed_flags: int
) -> None:
    errors = FormErrors()
    content = body.get("content")
    if content is not None:
        errors.length(["content"], str(content), 0, 2000)
    validate_embeds(body.get("embeds"), errors)
    flags = int(body.get("flags") or 0)
    if flags & ~allowed_flags:
        errors.add(["flags"], "MESSAGE_FLAGS_INVALID", "Invalid message flags")
    validate_components(
        body.get("components"), errors, v2=bool(flags & MessageFlag.IS_COMPONENTS_V2)
    )
    nonce = body.get("nonce")
    if nonce is not None and isinstance(nonce, str) and len(nonce) > 25:
        errors.length(["nonce"], nonce, 0, 25)
    errors.raise_if_any()
    if creating and not (
        content
        or body.get("embeds")
        or body.get("components")
        or files
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise DiscordHTTPError(400, 50006, "Cannot send an empty message")


def validate_commands(commands: Any) -> None:
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        errors.raise_if_any()
    if len(commands) > 100:
        errors.length([], commands, 0, 100)
    names: set[tuple[str, int]] = set()
    for i, command in enumerate(commands):
        name = str(command.get("name", ""))
        kind = int(command.get("type", 1))
        if kind == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
            errors.add(
                [i, "name"],
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Command name is invalid: {name!r}",
            )
        if (name, kind) in names:
            errors.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        names.add((name, kind))
        if kind == 1:
            errors.length([i, "description"], str(command.get("description", "")), 1, 100)
            _validate_options(command.get("options") or [], errors, [i, "options"])
    errors.raise_if_any()


def _validate_options(options: list[JSON], errors: FormErrors, path: list[str | int]) -> None:
    if len(options) > 25:
        errors.length(path, options, 0, 25)
    seen_optional = False
    names: set[str] = set()
    for j, option in enumerate(options):
        name = str(option.get("name", ""))
        if not COMMAND_NAME.match(name) or name != name.lower():
            errors.add(
                [*path, j, "name"],
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Option name is invalid: {name!r}",
            )
        if name in names:
            errors.add(
                [*path, j, "name"],
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Duplicate option name",
            )
        names.add(name)
        errors.length([*path, j, "description"], str(option.get("description", "")), 1, 100)
        if option.get("type") in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
            _validate_options(option.get("options") or [], errors, [*path, j, "options"])
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(
                    [*path, j, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            errors.length([*path, j, "choices"], choices, 0, 25)
        if choices and option.get("autocomplete"):
            errors.add(
                [*path, j, "autocomplete"],
                "AUTOCOMPLETE_CHOICES",
                "Autocomplete cannot have choices",
            )


def validate_choices(choices: Any) -> None:
    errors = FormErrors()
    if not isinstance(choices, list):
        errors.add(["choices"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        errors.raise_if_any()
    if len(choices) > 25:
        errors.length(["choices"], choices, 0, 25)
    for i, choice in enumerate(choices):
        errors.length(["choices", i, "name"], str(choice.get("name", "")), 1, 100)
        value = choice.get("value")
        if isinstance(value, str):
            errors.length(["choices", i, "value"], value, 1, 100)
    errors.raise_if_any()


def validate_modal(data: Any) -> None:
    errors = FormErrors()
    if not isinstance(data, dict):
        errors.add(["data"], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
        errors.raise_if_any()
    errors.length(["data", "custom_id"], str(data.get("custom_id", "")), 1, 100)
    errors.length(["data", "title"], str(data.get("title", "")), 1, 45)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.length(["data", "components"], components, 1, 5)
    for component in walk_components(components):
        if component.get("type") == 4:
            errors.length(
                ["data", "components", "custom_id"], str(component.get("custom_id", "")), 1, 100
            )
            if component.get("label") is not None:
                errors.length(["data", "components", "label"], str(component["label"]), 1, 45)
    errors.raise_if_any()


def assign_component_ids(components: list[JSON]) -> list[JSON]:
    """Discord numbers components that came without an `id`."""
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    counter = 0
    for component in walk_components(components):
        if not isinstance(component.get("id"), int):
            counter += 1
            while counter in used:
                counter += 1
            component["id"] = counter
    return components


def content_type_for(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    guessed = guessed or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json",):
        guessed += "; charset=utf-8"
    return guessed
