"""The fake Discord's gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME,
zlib-stream (or zstd-stream) transport compression, and dispatch by intent."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ._discord_model import (
    ALL_INTENTS,
    EVENT_INTENTS,
    JSON,
    PRIVILEGED_INTENTS,
    FakeUsageError,
    Intent,
    Op,
)

if TYPE_CHECKING:
    from .fake_discord import FakeDiscord

log = logging.getLogger("fake_discord.gateway")


# ---------------------------------------------------------------------------------------- gateway


class GatewayConnection:
    """One websocket. Compresses as the client asked: one zlib stream per connection, each
    message ended with a Z_SYNC_FLUSH (`zlib-stream`), or one zstd stream (`zstd-stream`)."""

    def __init__(self, ws: web.WebSocketResponse, compression: str | None, path: str) -> None:
        self.ws = ws
        self.compression = compression
        self.path = path
        self.heartbeats = 0
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compression == "zlib-stream" else None
        self._zstd: Any = None
        if compression == "zstd-stream":
            import zstandard  # type: ignore[import-not-found]

            self._zstd = zstandard.ZstdCompressor().compressobj()
            self._zstd_flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, payload: JSON) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:
            if self.ws.closed:
                raise ConnectionResetError("gateway websocket is closed")
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            elif self._zstd is not None:
                data = self._zstd.compress(text.encode()) + self._zstd.flush(self._zstd_flush)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def send_op(self, op: Op, data: Any) -> None:
        await self.send({"op": int(op), "d": data, "s": None, "t": None})

    async def close(self, code: int, reason: str = "") -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=code, message=reason.encode())


@dataclass
class GatewaySession:
    """An identified session: its sequence, its replay buffer and, while connected, a socket."""

    session_id: str
    intents: int
    shard: tuple[int, int]
    identify: JSON
    connection: GatewayConnection | None
    number: int  # 1 for the first session the fake ever created, and so on
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=2000))
    ready: bool = False  # READY and every GUILD_CREATE sent
    invalidated: bool = False
    resumes: int = 0

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.closed

    def covers(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    async def dispatch(self, event: str, data: Any) -> JSON:
        self.seq += 1
        payload = {"op": int(Op.DISPATCH), "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        connection = self.connection
        if connection is not None:
            try:
                await connection.send(payload)
            except (ConnectionError, RuntimeError):
                self.connection = None
        return payload


class Gateway:
    """The websocket endpoint: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[GatewaySession] = []
        self.connections: list[GatewayConnection] = []
        self.identify_payloads: list[JSON] = []
        self.presence_updates: list[JSON] = []
        self._lock = asyncio.Lock()
        self._pending: deque[tuple[int, str, JSON]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- selection

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.ready and not s.invalidated]

    def session_for(self, guild_id: int) -> GatewaySession | None:
        """The newest identified session whose shard holds this guild."""
        for session in reversed(self.live_sessions()):
            if session.covers(guild_id):
                return session
        return None

    # ---- dispatching
    #
    # Events reach the bot in the order things happened. Changes a test makes synchronously
    # (`fake.add_role(...)`) are queued by `announce` and drained, under one lock, before any
    # later dispatch: an INTERACTION_CREATE never overtakes the GUILD_ROLE_CREATE before it.

    def announce(self, guild_id: int, event: str, data: JSON) -> None:
        """Queue an event for a change made outside a request; it is sent in order, soon."""
        if not self.live_sessions():
            return
        self._pending.append((guild_id, event, data))
        task = asyncio.get_running_loop().create_task(self._drain_locked())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain_locked(self) -> None:
        async with self._lock:
            await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            guild_id, event, data = self._pending.popleft()
            await self._send_guild_event(guild_id, event, data)

    async def _send_guild_event(self, guild_id: int, event: str, data: JSON) -> None:
        intent = EVENT_INTENTS.get(event)
        for session in self.live_sessions():
            if not session.covers(guild_id):
                continue
            if intent is not None and not session.intents & intent:
                continue
            await session.dispatch(event, data)

    async def dispatch_guild_event(self, guild_id: int, event: str, data: JSON) -> None:
        async with self._lock:
            await self._drain()
            await self._send_guild_event(guild_id, event, data)
        self.fake.changes.notify()

    async def dispatch_interaction(self, guild_id: int, payload: JSON) -> None:
        async with self._lock:
            await self._drain()
            session = self.session_for(guild_id)
            if session is None:
                raise FakeUsageError(
                    "the bot has no gateway session for this server: start it (and wait for "
                    "ready) before invoking"
                )
            await session.dispatch("INTERACTION_CREATE", payload)

    # ---- the websocket handler

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        query = request.query
        compression = query.get("compress")
        conn = GatewayConnection(ws, None, request.path)
        if query.get("v") != "10":
            await conn.close(4012, "Invalid API version")
            return ws
        if query.get("encoding", "json") != "json":
            await conn.close(4002, "The fake gateway speaks JSON only")
            return ws
        if compression not in (None, "zlib-stream", "zstd-stream"):
            await conn.close(4000, f"Unknown compression {compression!r}")
            return ws
        try:
            conn = GatewayConnection(ws, compression, request.path)
        except ImportError:
            await conn.close(4000, "zstd-stream needs the zstandard package in the test process")
            return ws
        self.connections.append(conn)
        session: GatewaySession | None = None
        try:
            interval = self.fake.heartbeat_interval_ms
            await conn.send_op(Op.HELLO, {"heartbeat_interval": interval, "_trace": ["fake"]})
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                try:
                    payload = json.loads(message.data)
                    op = int(payload["op"])
                except (ValueError, KeyError, TypeError):
                    await conn.close(4002, "Error while decoding payload")
                    break
                data = payload.get("d")
                if op == Op.HEARTBEAT:
                    conn.heartbeats += 1
                    await conn.send_op(Op.HEARTBEAT_ACK, None)
                elif op in (Op.IDENTIFY, Op.RESUME):
                    if session is not None:
                        await conn.close(4005, "Already authenticated")
                        break
                    if op == Op.IDENTIFY:
                        session = await self._identify(conn, data)
                    else:
                        session = await self._resume(conn, data)
                    if session is None and conn.closed:
                        break
                elif session is None:
                    await conn.close(4003, "Not authenticated")
                    break
                elif op == Op.PRESENCE_UPDATE:
                    self.presence_updates.append(data)
                elif op in (Op.VOICE_STATE_UPDATE, Op.REQUEST_GUILD_MEMBERS):
                    log.debug("gateway op %s ignored: %s", op, data)
                else:
                    await conn.close(4001, "Unknown opcode")
                    break
        finally:
            if session is not None and session.connection is conn:
                session.connection = None
            self.fake.changes.notify()
        return ws

    async def _identify(self, conn: GatewayConnection, data: Any) -> GatewaySession | None:
        fake = self.fake
        if not isinstance(data, dict) or data.get("token") != fake.token:
            await conn.close(4004, "Authentication failed")
            return None
        self.identify_payloads.append(data)
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~ALL_INTENTS:
            await conn.close(4013, "Invalid intent(s)")
            return None
        if intents & PRIVILEGED_INTENTS & ~fake.privileged_intents:
            await conn.close(4014, "Disallowed intent(s)")
            return None
        shard_data = data.get("shard") or [0, 1]
        shard = (int(shard_data[0]), int(shard_data[1]))
        if shard[1] < 1 or not 0 <= shard[0] < shard[1]:
            await conn.close(4010, "Invalid shard")
            return None
        for old in self.sessions:
            if old.shard == shard:
                old.invalidated = True
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents,
            shard=shard,
            identify=data,
            connection=conn,
            number=len(self.sessions) + 1,
        )
        self.sessions.append(session)
        fake.session_starts_remaining -= 1
        guilds = [g for g in fake.state.guilds.values() if session.covers(g.id)]
        ready: JSON = {
            "v": 10,
            "user": fake.bot_user_payload(),
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.resume_gateway_url,
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if data.get("shard") is not None:
            ready["shard"] = list(shard)
        await session.dispatch("READY", ready)
        if intents & Intent.GUILDS:
            for guild in guilds:
                await session.dispatch(
                    "GUILD_CREATE", fake.state.guild_create_payload(guild, fake.bot.id)
                )
        session.ready = True
        fake.changes.notify()
        return session

    async def _resume(self, conn: GatewayConnection, data: Any) -> GatewaySession | None:
        session = None
        if isinstance(data, dict) and data.get("token") == self.fake.token:
            session = next(
                (s for s in self.sessions if s.session_id == data.get("session_id")), None
            )
        seq = data.get("seq") if isinstance(data, dict) else None
        replay = [] if session is None else [p for p in session.buffer if p["s"] > (seq or 0)]
        oldest = session.buffer[0]["s"] if session and session.buffer else 1
        if (
            session is None
            or session.invalidated
            or (seq is not None and seq < oldest - 1 and session.seq > 0)
        ):
            await conn.send_op(Op.INVALID_SESSION, False)
            return None
        previous = session.connection
        session.connection = conn
        if previous is not None and previous is not conn and not previous.closed:
            await previous.close(4000, "Session resumed elsewhere")
        for payload in replay:
            await conn.send(payload)
        session.resumes += 1
        await session.dispatch("RESUMED", {"_trace": ["fake-gateway"]})
        self.fake.changes.notify()
        return session
