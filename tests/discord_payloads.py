"""Discord's JSON payloads, built once for both stand-ins for Discord.

Plain functions returning dicts in the shapes Discord documents (cross-checked against
discord.py 2.7's `types/`): users, members, roles, overwrites, guild channels, threads, direct
message channels, GUILD_CREATE, messages, the application, interactions with their command,
button and form `data`, and the answer to an interaction callback. The in-process
`DiscordDouble` (`tests/helpers.py`) and the loopback fake (`tests/e2e/`) both build their
payloads here, so Discord is modelled once; each keeps its own state and rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

JSON = dict[str, Any]

#: Message types (https://discord.com/developers/docs/resources/message#message-object).
DEFAULT_MESSAGE = 0
CHAT_INPUT_COMMAND_MESSAGE = 20

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2


def _id(value: int | str | None) -> str | None:
    return None if value is None else str(value)


# ----------------------------------------------------------------------------- people


def user(
    id: int,
    username: str,
    *,
    global_name: str | None = None,
    bot: bool = False,
    discriminator: str = "0",
) -> JSON:
    data: JSON = {
        "id": str(id),
        "username": username,
        "discriminator": discriminator,
        "global_name": global_name,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        data["bot"] = True
    return data


def member(
    of: JSON | None,
    *,
    roles: Iterable[int] = (),
    joined_at: str,
    nick: str | None = None,
    permissions: int | None = None,
) -> JSON:
    """A guild member; `of` is their user payload (None leaves `user` out). `permissions` is
    only present where Discord sends it: in interactions."""
    data: JSON = {
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if of is not None:
        data["user"] = of
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def resolved_member(full: JSON) -> JSON:
    """A member as an interaction's `resolved.members` carries it: no user, deaf or mute."""
    return {k: v for k, v in full.items() if k not in ("user", "deaf", "mute")}


def role(
    id: int,
    name: str,
    permissions: int,
    *,
    position: int = 0,
    color: int = 0,
    hoist: bool = False,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
) -> JSON:
    data: JSON = {
        "id": str(id),
        "name": name,
        "description": None,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def overwrite(id: int | str, type: int, allow: int | str = 0, deny: int | str = 0) -> JSON:
    """A permission overwrite: `type` 0 for a role, 1 for a member."""
    return {"id": str(id), "type": int(type), "allow": str(allow), "deny": str(deny)}


# ----------------------------------------------------------------------------- channels


def guild_channel(
    id: int,
    guild_id: int,
    type: int,
    name: str,
    *,
    position: int = 0,
    parent_id: int | str | None = None,
    overwrites: Sequence[JSON] = (),
    topic: str | None = None,
    nsfw: bool = False,
    rate_limit_per_user: int = 0,
    last_message_id: int | None = None,
    flags: int = 0,
    bitrate: int = 64000,
    user_limit: int = 0,
) -> JSON:
    """A text (0), voice (2), category (4) or announcement (5) channel."""
    data: JSON = {
        "id": str(id),
        "type": type,
        "guild_id": str(guild_id),
        "name": name,
        "flags": flags,
        "position": position,
        "permission_overwrites": list(overwrites),
        "nsfw": nsfw,
        "parent_id": _id(parent_id),
    }
    last = _id(last_message_id)
    if type in (0, 5):
        data.update(
            topic=topic,
            last_message_id=last,
            rate_limit_per_user=rate_limit_per_user,
            default_thread_rate_limit_per_user=0,
            icon_emoji=None,
            theme_color=None,
        )
    elif type in (2, 13):
        data.update(
            bitrate=bitrate,
            user_limit=user_limit,
            rtc_region=None,
            last_message_id=last,
            rate_limit_per_user=rate_limit_per_user,
        )
    return data


def thread(
    id: int,
    guild_id: int,
    type: int,
    name: str,
    *,
    parent_id: int | str,
    owner_id: int | str,
    created_at: str,
    auto_archive_duration: int = 4320,
    archived: bool = False,
    locked: bool = False,
    invitable: bool = True,
    last_message_id: int | None = None,
    rate_limit_per_user: int = 0,
    message_count: int = 0,
    member_count: int = 1,
    total_message_sent: int = 0,
    flags: int = 0,
) -> JSON:
    """A thread: announcement (10), public (11) or private (12)."""
    metadata: JSON = {
        "archived": archived,
        "archive_timestamp": created_at,
        "auto_archive_duration": auto_archive_duration,
        "locked": locked,
        "create_timestamp": created_at,
    }
    if type == 12:
        metadata["invitable"] = invitable
    return {
        "id": str(id),
        "type": type,
        "guild_id": str(guild_id),
        "name": name,
        "flags": flags,
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "last_message_id": _id(last_message_id),
        "rate_limit_per_user": rate_limit_per_user,
        "message_count": message_count,
        "member_count": member_count,
        "total_message_sent": total_message_sent,
        "thread_metadata": metadata,
    }


def dm_channel(
    id: int, recipient: JSON, *, last_message_id: int | None = None, flags: int = 0
) -> JSON:
    """The bot's direct message channel (type 1) with one person (their user payload)."""
    return {
        "id": str(id),
        "type": 1,
        "last_message_id": _id(last_message_id),
        "flags": flags,
        "recipients": [recipient],
    }


# ----------------------------------------------------------------------------- guilds


def guild_create(
    id: int,
    name: str,
    *,
    owner_id: int,
    roles: Sequence[JSON],
    members: Sequence[JSON],
    channels: Sequence[JSON],
    threads: Sequence[JSON] = (),
    member_count: int,
    joined_at: str,
    locale: str = "en-US",
    version: int = 0,
) -> JSON:
    """GUILD_CREATE as a bot without the members or presences intents receives it: `members`
    holds only the bot's own member."""
    return {
        "id": str(id),
        "name": name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": locale,
        "incidents_data": None,
        "nsfw": False,
        "hub_type": None,
        "latest_onboarding_question_id": None,
        "inventory_settings": None,
        "home_header": None,
        "version": version,
        # GUILD_CREATE extras
        "joined_at": joined_at,
        "large": False,
        "unavailable": False,
        "member_count": member_count,
        "lazy": True,
        "voice_states": [],
        "members": list(members),
        "channels": list(channels),
        "threads": list(threads),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "activity_instances": [],
        "application_command_counts": {},
    }


# ----------------------------------------------------------------------------- messages


def message(
    id: int,
    channel_id: int | str,
    author: JSON,
    body: JSON,
    *,
    timestamp: str,
    flags: int = 0,
    type: int = DEFAULT_MESSAGE,
    components: list[JSON] | None = None,
    attachments: list[JSON] | None = None,
) -> JSON:
    """A message made from what the bot sent (`body`: content, embeds, components, tts,
    nonce). Pass `components` / `attachments` where the server rewrote them."""
    data: JSON = {
        "type": type,
        "content": str(body.get("content") or ""),
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments if attachments is not None else [],
        "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
        "timestamp": timestamp,
        "edited_timestamp": None,
        "flags": flags,
        "components": components if components is not None else body.get("components") or [],
        "id": str(id),
        "channel_id": str(channel_id),
        "author": author,
        "pinned": False,
        "mention_everyone": False,
        "tts": bool(body.get("tts", False)),
    }
    if body.get("nonce") is not None:
        data["nonce"] = body["nonce"]
    return data


# ----------------------------------------------------------------------------- the application


def application(id: int, bot: JSON, owner: JSON, *, flags: int = 0, guild_count: int = 0) -> JSON:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(id),
        "name": bot["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": flags,
        "owner": owner,
        "team": None,
        "bot": bot,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "integration_types_config": {"0": {}},
        "approximate_guild_count": guild_count,
        "approximate_user_install_count": 0,
        "is_monetized": False,
        "storefront_available": False,
    }


def registered_command(
    command: JSON, *, id: int | str, application_id: int, version: int, guild_id: int | None
) -> JSON:
    """One command as Discord stores it after the bot registers it (a bulk overwrite)."""
    kind = int(command.get("type", 1))
    data: JSON = {
        "id": str(id),
        "application_id": str(application_id),
        "version": str(version),
        "type": kind,
        "name": command["name"],
        "description": command.get("description", ""),
        "default_member_permissions": command.get("default_member_permissions"),
        "nsfw": bool(command.get("nsfw", False)),
        "name_localizations": command.get("name_localizations"),
        "description_localizations": command.get("description_localizations"),
        "contexts": command.get("contexts"),
        "integration_types": command.get("integration_types") or [0],
    }
    if command.get("options"):
        data["options"] = command["options"]
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    else:
        data["dm_permission"] = command.get("dm_permission", True)
    return data


# ----------------------------------------------------------------------------- interactions


def interaction(
    id: int,
    *,
    application_id: int,
    type: int,
    token: str,
    guild_id: int | None,
    user: JSON | None = None,
    channel: JSON | None,
    member: JSON | None = None,
    app_permissions: int,
    attachment_size_limit: int,
    guild_locale: str = "en-US",
) -> JSON:
    """INTERACTION_CREATE without its `data`. In a server it carries `member` (with
    `permissions`) and the channel; in a direct message, `user`."""
    payload: JSON = {
        "id": str(id),
        "application_id": str(application_id),
        "type": type,
        "token": token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": "en-GB",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {},
        "context": 0 if guild_id else 1,
        "attachment_size_limit": attachment_size_limit,
    }
    if guild_id is not None:
        payload.update(
            guild_id=str(guild_id),
            guild={"id": str(guild_id), "locale": guild_locale, "features": []},
            guild_locale=guild_locale,
            member=member,
        )
    else:
        payload["user"] = user
    if channel is not None:
        payload.update(channel_id=channel["id"], channel=channel)
    return payload


def option(name: str, type: int, value: Any, *, focused: bool = False) -> JSON:
    item: JSON = {"type": int(type), "name": name, "value": value}
    if focused:
        item["focused"] = True
    return item


def command_data(
    command_id: int | str,
    path: Sequence[str],
    options: list[JSON],
    *,
    resolved: JSON | None = None,
    guild_id: int | None = None,
) -> JSON:
    """The `data` of a slash command (or its autocomplete): `path` is the command, its group
    and its subcommand by name (`["goal", "propose"]`), `options` the leaf's options."""
    leaf = options
    for depth in range(len(path) - 1, 0, -1):
        kind = SUB_COMMAND if depth == len(path) - 1 else SUB_COMMAND_GROUP
        leaf = [{"type": kind, "name": path[depth], "options": leaf}]
    data: JSON = {"id": str(command_id), "name": path[0], "type": 1}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if leaf:
        data["options"] = leaf
    if resolved:
        data["resolved"] = resolved
    return data


def button_data(custom_id: str, component_id: int | None = None) -> JSON:
    """The `data` of a button press."""
    return {"custom_id": custom_id, "component_type": 2, "id": component_id}


def text_input_value(custom_id: str, value: str, component_id: int | None = None) -> JSON:
    """What a submitted form carries for one text input."""
    return {"type": 4, "id": component_id, "custom_id": custom_id, "value": value}


def action_row(components: list[JSON], component_id: int | None = None) -> JSON:
    return {"type": 1, "id": component_id, "components": components}


def modal_submit_data(custom_id: str, components: list[JSON]) -> JSON:
    """The `data` of a form (modal) submission."""
    return {"custom_id": custom_id, "components": components}


def callback_response(
    interaction_id: int,
    interaction_type: int,
    callback_type: int,
    *,
    message: JSON | None = None,
    loading: bool | None = None,
    ephemeral: bool | None = None,
) -> JSON:
    """What POST /interactions/{id}/{token}/callback?with_response=true answers: the
    interaction and, for callbacks that show a message, that message (`loading` and
    `ephemeral` are left out where Discord leaves them out: when a message is updated)."""
    answer: JSON = {"interaction": {"id": str(interaction_id), "type": interaction_type}}
    if message is not None:
        answer["interaction"]["response_message_id"] = message["id"]
        if loading is not None:
            answer["interaction"]["response_message_loading"] = loading
        if ephemeral is not None:
            answer["interaction"]["response_message_ephemeral"] = ephemeral
        answer["resource"] = {"type": callback_type, "message": message}
    return answer
