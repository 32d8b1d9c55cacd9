"""Building interactions as the Discord client would: commands looked up in what the bot
registered, options typed and checked, `resolved` filled in, components found on messages."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from tests import discord_payloads as payloads

from ._discord_model import (
    ATTACHMENT_SIZE_LIMIT,
    JSON,
    Channel,
    DiscordState,
    FakeUsageError,
    Guild,
    InteractionType,
    Member,
    OptionType,
    Perm,
    StoredMessage,
    to_id,
    walk_components,
)


class InteractionBuilder:
    """Interaction payloads for one application, from the state of the world."""

    def __init__(self, state: DiscordState, application_id: int, bot_id: int) -> None:
        self.state = state
        self.application_id = application_id
        self.bot_id = bot_id

    def context(self, user: Any, guild: Any, channel: Any) -> tuple[Guild, Channel, Member]:
        g = self.state.guild(to_id(guild, what="guild"))
        ch = self.state.channels.get(to_id(channel, what="channel"))
        if ch is None or ch.guild_id != g.id:
            raise FakeUsageError(f"channel {to_id(channel)} is not in server {g.name}")
        member = g.members.get(to_id(user, what="user"))
        if member is None:
            raise FakeUsageError(f"user {to_id(user)} is not a member of {g.name}")
        perms = self.state.permissions_in(ch, member.user.id)
        if not perms & Perm.VIEW_CHANNEL:
            raise FakeUsageError(f"{member.user.username} cannot see #{ch.name}, so cannot use it")
        return g, ch, member

    def base(self, kind: InteractionType, guild: Guild, channel: Channel, member: Member) -> JSON:
        perms = self.state.permissions_in(channel, member.user.id)
        interaction_id = self.state.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        return payloads.interaction(
            interaction_id,
            application_id=self.application_id,
            type=int(kind),
            token=token,
            guild_id=guild.id,
            channel={**channel.payload(), "permissions": str(perms)},
            member=member.payload(permissions=perms),
            app_permissions=self.state.permissions_in(channel, self.bot_id),
            attachment_size_limit=ATTACHMENT_SIZE_LIMIT,
            guild_locale=guild.locale,
        )

    def find_command(
        self, guild: Guild, name: str, member: Member, scope: str | None
    ) -> tuple[JSON, bool]:
        candidates: list[tuple[JSON, bool]] = []
        if scope in (None, "guild"):
            candidates += [
                (c, True) for c in guild.commands if c["name"] == name and c.get("type", 1) == 1
            ]
        if scope in (None, "global"):
            candidates += [
                (c, False)
                for c in self.state.global_commands
                if c["name"] == name and c.get("type", 1) == 1
            ]
        if not candidates:
            known = sorted(
                {c["name"] for c in guild.commands}
                | {c["name"] for c in self.state.global_commands}
            )
            raise FakeUsageError(f"/{name} is not registered for {guild.name}; registered: {known}")
        command, in_guild = candidates[0]
        required = command.get("default_member_permissions")
        if required is not None:
            base = self.state.base_permissions(guild, member.user.id)
            if not base & Perm.ADMINISTRATOR and base & int(required) != int(required):
                raise FakeUsageError(
                    f"/{name} is hidden from {member.user.username} (default_member_permissions)"
                )
        contexts = command.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise FakeUsageError(f"/{name} cannot be used in servers (contexts={contexts})")
        return command, in_guild

    def resolve_value(
        self,
        option: JSON,
        value: Any,
        guild: Guild,
        channel: Channel,
        member: Member,
        resolved: JSON,
        *,
        focused: bool,
    ) -> Any:
        kind = OptionType(option["type"])
        name = option["name"]
        if focused:
            if not option.get("autocomplete"):
                raise FakeUsageError(f"option {name!r} has no autocomplete")
            return str(value)
        if kind == OptionType.STRING:
            if not isinstance(value, str):
                raise FakeUsageError(f"option {name!r} takes a string, got {value!r}")
            if not option.get("autocomplete"):
                low, high = option.get("min_length", 0), option.get("max_length", 6000)
                if not low <= len(value) <= high:
                    raise FakeUsageError(
                        f"option {name!r} must be {low}-{high} characters; "
                        f"Discord won't send {value!r}"
                    )
        elif kind == OptionType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise FakeUsageError(f"option {name!r} takes an integer, got {value!r}")
        elif kind == OptionType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FakeUsageError(f"option {name!r} takes a number, got {value!r}")
            value = float(value)
        elif kind == OptionType.BOOLEAN:
            if not isinstance(value, bool):
                raise FakeUsageError(f"option {name!r} takes a boolean, got {value!r}")
        if kind in (OptionType.INTEGER, OptionType.NUMBER):
            low, high = option.get("min_value"), option.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise FakeUsageError(
                    f"option {name!r} must be between {low} and {high}; got {value}"
                )
        choices = option.get("choices")
        if choices and kind in (OptionType.STRING, OptionType.INTEGER, OptionType.NUMBER):
            allowed = [c["value"] for c in choices]
            if value not in allowed:
                raise FakeUsageError(f"option {name!r} must be one of {allowed}; got {value!r}")
        if kind in (OptionType.STRING, OptionType.INTEGER, OptionType.NUMBER, OptionType.BOOLEAN):
            return value
        if kind == OptionType.ATTACHMENT:
            raise FakeUsageError("attachment options are not supported by the fake")
        target = to_id(value, what=kind.name.lower())
        if kind in (OptionType.USER, OptionType.MENTIONABLE) and target in self.state.users:
            user = self.state.users[target]
            resolved.setdefault("users", {})[str(target)] = user.payload()
            other = guild.members.get(target)
            if other is not None:
                data = other.payload(permissions=self.state.permissions_in(channel, target))
                resolved.setdefault("members", {})[str(target)] = payloads.resolved_member(data)
            return str(target)
        if kind in (OptionType.ROLE, OptionType.MENTIONABLE) and target in guild.roles:
            resolved.setdefault("roles", {})[str(target)] = guild.roles[target].payload()
            return str(target)
        if kind == OptionType.CHANNEL and target in guild.channels:
            picked = guild.channels[target]
            types = option.get("channel_types")
            if types and picked.type not in types:
                raise FakeUsageError(
                    f"option {name!r} accepts channel types {types}, not {picked.type}"
                )
            data = {
                "id": str(picked.id),
                "name": picked.name,
                "type": picked.type,
                "permissions": str(self.state.permissions_in(picked, member.user.id)),
            }
            if picked.is_thread:
                full = picked.payload()
                data.update(parent_id=full["parent_id"], thread_metadata=full["thread_metadata"])
            elif picked.parent_id:
                data["parent_id"] = str(picked.parent_id)
            resolved.setdefault("channels", {})[str(target)] = data
            return str(target)
        raise FakeUsageError(
            f"option {name!r}: {value!r} is not a {kind.name.lower()} in {guild.name}"
        )

    def command_data(
        self,
        guild: Guild,
        channel: Channel,
        member: Member,
        command_path: str,
        options: Mapping[str, Any],
        *,
        focused: str | None,
        scope: str | None,
    ) -> JSON:
        path = command_path.lstrip("/").split()
        if not path:
            raise FakeUsageError("empty command name")
        command, in_guild = self.find_command(guild, path[0], member, scope)
        schema: list[JSON] = list(command.get("options") or [])
        walked = [path[0]]
        for name in path[1:]:
            sub = next(
                (
                    o
                    for o in schema
                    if o["name"] == name
                    and o["type"] in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                subs = [o["name"] for o in schema if o["type"] in (1, 2)]
                raise FakeUsageError(
                    f"/{' '.join(walked)} has no subcommand {name!r}; it has {subs}"
                )
            schema = list(sub.get("options") or [])
            walked.append(name)
        if any(o["type"] in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP) for o in schema):
            subs = [o["name"] for o in schema if o["type"] in (1, 2)]
            raise FakeUsageError(f"/{' '.join(walked)} needs a subcommand: one of {subs}")
        known = {o["name"]: o for o in schema}
        unknown_names = set(options) - set(known)
        if unknown_names:
            raise FakeUsageError(
                f"/{' '.join(walked)} has no option(s) {sorted(unknown_names)}; "
                f"it has {list(known)}"
            )
        if focused is not None and focused not in known:
            raise FakeUsageError(f"/{' '.join(walked)} has no option {focused!r} to autocomplete")
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
            if missing:
                raise FakeUsageError(
                    f"/{' '.join(walked)} needs {missing}; Discord won't send it without"
                )
        resolved: JSON = {}
        items: list[JSON] = []
        for option in schema:
            if option["name"] not in options:
                continue
            is_focused = option["name"] == focused
            value = self.resolve_value(
                option,
                options[option["name"]],
                guild,
                channel,
                member,
                resolved,
                focused=is_focused,
            )
            items.append(payloads.option(option["name"], option["type"], value, focused=is_focused))
        return payloads.command_data(
            command["id"],
            walked,
            items,
            resolved=resolved,
            guild_id=guild.id if in_guild else None,
        )

    @staticmethod
    def component(stored: StoredMessage, custom_id: str) -> JSON:
        found = [
            c
            for c in walk_components(stored.payload.get("components") or [])
            if c.get("custom_id") == custom_id
        ]
        if not found:
            ids = [
                c["custom_id"]
                for c in walk_components(stored.payload.get("components") or [])
                if c.get("custom_id")
            ]
            raise FakeUsageError(f"no component {custom_id!r} on message {stored.id}; it has {ids}")
        component = found[0]
        if component.get("disabled"):
            raise FakeUsageError(f"component {custom_id!r} is disabled")
        return component
