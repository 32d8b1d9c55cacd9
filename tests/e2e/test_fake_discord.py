"""The fake Discord's own contract, checked with a raw HTTP/websocket client (no bot process):
the shapes and rules the bot relies on, so a scenario that passes means what it says."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yarl

from .fake_discord import ChannelType, FakeDiscord, Intent, Perm

pytestmark = pytest.mark.e2e

JSON = dict[str, Any]


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(fake.origin, headers=headers) as session:
        yield session


class GatewayClient:
    """Just enough of a gateway client: zlib-stream, one decompressor for the connection."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj()

    async def receive(self) -> JSON:
        message = await self.ws.receive(timeout=5)
        assert message.type is aiohttp.WSMsgType.BINARY, message
        assert message.data.endswith(b"\x00\x00\xff\xff")  # every message ends a sync flush
        return json.loads(self.inflate.decompress(message.data))

    async def send(self, op: int, data: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": data}))


def connect(http: aiohttp.ClientSession, path: str = "/gateway") -> Any:
    return http.ws_connect(f"{path}?v=10&encoding=json&compress=zlib-stream")


async def test_rest_errors_have_discords_shape(fake: FakeDiscord, http: aiohttp.ClientSession):
    async with http.get("/api/v10/users/@me") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"  # exactly, as discord.py
        assert (await response.json())["bot"] is True

    async with http.get("/api/v10/users/@me", headers={"Authorization": "Bot nope"}) as response:
        assert response.status == 401
        assert await response.json() == {"message": "401: Unauthorized", "code": 0}

    async with http.get("/api/v10/guilds/1/bans") as response:
        assert response.status == 404
        assert await response.json() == {"message": "404: Not Found", "code": 0}
    assert [r.path for r in fake.unknown_routes] == ["/guilds/1/bans"]
    fake.unknown_routes.clear()  # or the fixture fails this test, as it should for the bot

    async with http.get("/api/v10/channels/1") as response:
        assert response.status == 404
        assert await response.json() == {"message": "Unknown Channel", "code": 10003}


async def test_injected_faults(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    fault = fake.fail_next("GET /gateway/bot", times=2, status=502)
    statuses = []
    for _ in range(3):
        async with http.get("/api/v10/gateway/bot") as response:
            statuses.append(response.status)
    assert statuses == [502, 502, 200] and fault.hits == 2

    fake.fail_next("GET /users/*", status=429, retry_after=0.25)
    async with http.get("/api/v10/users/@me") as response:
        assert response.status == 429
        assert response.headers["Via"]  # discord.py only trusts a 429 that came through Discord
        assert (await response.json())["retry_after"] == 0.25


async def test_channel_rules(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    guild = fake.add_guild("G", bot_permissions=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
    path = f"/api/v10/guilds/{guild['id']}/channels"
    async with http.post(path, json={"name": "x", "type": 0}) as response:
        assert response.status == 403
        assert await response.json() == {"message": "Missing Permissions", "code": 50013}

    await fake.set_bot_permissions(guild, Perm.VIEW_CHANNEL | Perm.MANAGE_CHANNELS)
    overwrite = {"id": guild["id"], "type": 0, "allow": "0", "deny": str(int(Perm.MANAGE_MESSAGES))}
    async with http.post(path, json={"name": "x", "permission_overwrites": [overwrite]}) as r:
        assert r.status == 403  # may only set overwrite bits the bot has itself
    async with http.post(path, json={"name": "Big Plans", "type": 0}) as response:
        assert response.status == 201
        channel = await response.json()
    assert channel["name"] == "big-plans" and channel["type"] == ChannelType.GUILD_TEXT

    async with http.post(path, json={"name": ""}) as response:
        body = await response.json()
        assert response.status == 400 and body["code"] == 50035
        assert body["errors"]["name"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"


async def test_messages_honour_enforce_nonce(fake: FakeDiscord, http: aiohttp.ClientSession):
    guild = fake.add_guild("G")
    general = fake.find_channel(guild, "general")
    assert general is not None
    path = f"/api/v10/channels/{general['id']}/messages"
    ids = []
    for body in (
        {"content": "a", "nonce": "occ-1", "enforce_nonce": True},
        {"content": "a", "nonce": "occ-1", "enforce_nonce": True},
        {"content": "a", "nonce": "occ-1"},
    ):
        async with http.post(path, json=body) as response:
            assert response.status == 200
            ids.append((await response.json())["id"])
    assert ids[0] == ids[1] != ids[2]
    assert len(fake.messages(general)) == 2

    async with http.post(path, json={"content": ""}) as response:
        assert await response.json() == {"message": "Cannot send an empty message", "code": 50006}
    async with http.post(path, json={"content": "x" * 2001}) as response:
        assert (await response.json())["code"] == 50035


async def test_gateway_identify_ready_and_resume(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    guild = fake.add_guild("G")
    async with connect(http) as ws:
        client = GatewayClient(ws)
        hello = await client.receive()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await client.send(1, None)
        assert (await client.receive())["op"] == 11
        await client.send(2, {"token": fake.token, "intents": int(Intent.GUILDS), "properties": {}})
        ready = await client.receive()
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert ready["d"]["guilds"] == [{"id": guild["id"], "unavailable": True}]
        assert ready["d"]["application"] == {"id": str(fake.application_id), "flags": 1 << 23}
        created = await client.receive()
        assert (created["t"], created["s"]) == ("GUILD_CREATE", 2)
        assert [m["user"]["id"] for m in created["d"]["members"]] == [str(fake.bot.id)]
        session_id = ready["d"]["session_id"]
        resume_url = ready["d"]["resume_gateway_url"]

    # While disconnected, a channel appears; RESUME replays what was missed, then RESUMED.
    fake.add_channel(guild, "late")
    async with connect(http, yarl.URL(resume_url).path) as ws:
        client = GatewayClient(ws)
        await client.receive()
        await client.send(6, {"token": fake.token, "session_id": session_id, "seq": 2})
        replayed = await client.receive()
        assert (replayed["t"], replayed["s"]) == ("CHANNEL_CREATE", 3)
        resumed = await client.receive()
        assert resumed["t"] == "RESUMED" and isinstance(resumed["d"], dict)

    async with connect(http) as ws:
        client = GatewayClient(ws)
        await client.receive()
        await client.send(2, {"token": "wrong", "intents": 1, "properties": {}})
        assert (await ws.receive()).data == 4004
    async with connect(http) as ws:
        client = GatewayClient(ws)
        await client.receive()
        members = int(Intent.GUILDS | Intent.GUILD_MEMBERS)
        await client.send(2, {"token": fake.token, "intents": members, "properties": {}})
        assert (await ws.receive()).data == 4014  # privileged intent not enabled


async def test_interactions_are_acknowledged_once(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    guild = fake.add_guild("G")
    general = fake.find_channel(guild, "general")
    ada = fake.add_member(guild, "Ada")
    command = {
        "name": "ping",
        "description": "Ping",
        "options": [
            {
                "type": 1,
                "name": "now",
                "description": "Now",
                "options": [
                    {"type": 4, "name": "times", "description": "How often", "required": True},
                ],
            },
        ],
    }
    app = fake.application_id
    path = f"/api/v10/applications/{app}/guilds/{guild['id']}/commands"
    async with http.put(path, json=[command]) as response:
        assert response.status == 200
        (stored,) = await response.json()
    assert stored["id"] and stored["guild_id"] == guild["id"]

    async with connect(http) as ws:
        client = GatewayClient(ws)
        await client.receive()
        await client.send(2, {"token": fake.token, "intents": 1, "properties": {}})
        await client.receive()
        await client.receive()
        with pytest.raises(AssertionError, match="needs \\['times'\\]"):
            await fake.invoke(ada, guild, general, "ping now")
        with pytest.raises(AssertionError, match="not registered"):
            await fake.invoke(ada, guild, general, "pong")
        sent = await fake.invoke(ada, guild, general, "ping now", times=3)
        event = await client.receive()
        assert event["t"] == "INTERACTION_CREATE"
        data = event["d"]["data"]
        assert data["options"] == [
            {"type": 1, "name": "now", "options": [{"type": 4, "name": "times", "value": 3}]}
        ]
        assert event["d"]["member"]["permissions"] and event["d"]["app_permissions"]

        callback = f"/api/v10/interactions/{sent.id}/{sent.token}/callback"
        body = {"type": 4, "data": {"content": "pong", "flags": 64}}
        async with aiohttp.ClientSession(fake.origin) as anonymous:  # no bot token needed
            async with anonymous.post(callback, json=body) as response:
                assert response.status == 200
                assert (await response.json())["interaction"]["response_message_ephemeral"]
            async with anonymous.post(callback, json=body) as response:
                assert response.status == 400
                assert (await response.json())["code"] == 40060
        reply = await sent.response()
        assert reply.ephemeral and reply.content == "pong"
