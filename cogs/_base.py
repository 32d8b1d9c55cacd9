"""What every view, button and form shares: one error path, one way to read a sent form.

Errors in a button, a view or a form become replies through `bot.replies.error_reply`, the same
function the command tree uses, so a person sees the same kind words whichever way they acted.
Persistent buttons are `discord.ui.DynamicItem`s with `Guarded` mixed in; forms are handled by
their custom id (`submitted_form`), so a form opened before a restart still lands after it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.replies import defer_if_slow, error_reply

T = TypeVar("T")


async def guarded(interaction: discord.Interaction, work: Callable[[], Awaitable[T]]) -> T | None:
    """Run `work`; on any error, answer through `error_reply` and return None."""
    try:
        return await work()
    except Exception as error:
        await error_reply(interaction, error)
        return None


class Guarded:
    """Mix into a `DynamicItem` button: its `pressed` runs with the shared error reply."""

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(interaction, lambda: self.pressed(interaction))


class View(discord.ui.View):
    """Base for every view: an error in any of its items gets the shared error reply."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await error_reply(interaction, error)


class Form(discord.ui.Modal):
    """Base for every form (modal): an error on submit gets the shared error reply."""

    # discord.py's stubs give Modal the View signature; at run time a Modal's has no item.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await error_reply(interaction, error)


async def thinking(interaction: discord.Interaction) -> None:
    """Make sure of an answer in time for a write or a slow read: a write may queue behind
    another change of the same partnership (up to the database's lock timeout), and Discord
    allows three seconds to answer. The reply is deferred privately ("thinking…") only if it
    has not come within `bot.replies.DEFER_AFTER`; it follows through `bot.replies.send`,
    errors included, which answers at once when it comes first."""
    defer_if_slow(interaction)


async def open_form(interaction: discord.Interaction, form: Form) -> None:
    """Show `form` as the interaction's first response. What is sent comes back through
    `submitted_form` by its custom id, not to this object: so a form survives a restart, two
    people answering at once never share one, and no timer is left running for it."""
    await interaction.response.send_modal(form)
    form.stop()


def form_values(components: Any) -> dict[str, str]:
    """A sent form's text values by custom id, wherever the form nests them (rows, labels)."""
    values: dict[str, str] = {}
    for component in components or []:
        custom_id = component.get("custom_id")
        if custom_id is not None and "value" in component:
            values[str(custom_id)] = str(component.get("value") or "")
        inner = component.get("components") or (
            [component["component"]] if component.get("component") else []
        )
        values.update(form_values(inner))
    return values


def submitted_form(
    interaction: discord.Interaction, pattern: re.Pattern[str]
) -> tuple[re.Match[str], dict[str, str]] | None:
    """(the custom id's match, the values) when this interaction sends a form whose custom id
    matches `pattern`; None for anything else."""
    if interaction.type is not discord.InteractionType.modal_submit or not interaction.data:
        return None
    match = pattern.fullmatch(str(interaction.data.get("custom_id", "")))
    if match is None:
        return None
    return match, form_values(interaction.data.get("components"))


async def remove_post(message: discord.Message, what: str) -> None:
    """Take back a post whose record could not be saved (a note, a meeting): a failure to
    delete it is logged, never raised over the error that caused it."""
    try:
        await message.delete()
    except discord.HTTPException as error:
        logging.getLogger(__name__).warning(
            "Could not remove %s message %s: %s", what, message.id, error
        )
