"""Delivering a reflective prompt on Discord: the scheduled `prompt` action and `/reflect now`.

The schedule engine (`bot.scheduling`) decides when and calls `PromptDelivery.run` with the
occurrence; it posts through REST by channel id (it needs no guild cache), with the occurrence's
nonce so a re-run cannot post twice, records the post, then opens a thread on it for discussion.
When the channel is gone the engine pauses the schedule and `on_gone` tells the conveners.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord

from bot.discord_failures import TRANSIENT, describe, post_in_channel
from bot.replies import NO_MENTIONS, escape
from bot.scheduling import Done, Due
from bot.services.reflection import PostDraft, ReflectionService, ScheduledPost
from cogs._reflect_views import ANSWER_PREFIX, answer_view, prompt_embed, thread_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.app import PartnerBot
    from db.models import Partnership

log = logging.getLogger(__name__)

# Requests the engine paces before each run (the message); the thread is paced as it is made.
SCHEDULED_REQUESTS = 1
THREAD_ALREADY_EXISTS = 160004  # Discord: "A thread has already been created for this message"
# A week of discussion before the thread archives itself.
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
# How far back a retry looks for its own unrecorded post: pages of Discord's largest size.
PAGE_SIZE = 100
SEARCH_PAGES = 10


class PromptDelivery:
    """Posts prompts, once each, and reports a channel that is gone."""

    def __init__(self, bot: PartnerBot, service: ReflectionService) -> None:
        self.bot = bot
        self.service = service

    async def prepare(
        self, session: AsyncSession, claimed: Sequence[tuple[Due, Partnership]]
    ) -> list[PostDraft]:
        """With the claim, in its transaction: choose the prompts and record the posts (one
        query per step for all the occurrences claimed together)."""
        asks = [(_scheduled(due), partnership) for due, partnership in claimed]
        return await self.service.prepare_claimed(session, asks)

    async def run(self, due: Due) -> dict[str, Any] | Done:
        """The scheduled action: one prompt for one occurrence, posted once.

        A post prepared with the claim is sent, its thread opened, and both recorded with the
        occurrence's outcome (`Done`); a retried or recovered one goes through `deliver`."""
        draft = due.prepared
        if not isinstance(draft, PostDraft):
            draft = await self.service.prepare_scheduled(_scheduled(due))
        # The engine paced the message (`SCHEDULED_REQUESTS`); the thread is paced when it is
        # made, so the requests keep under Discord's limit however long the message took.
        pace = self.bot.scheduler.pacer.spend
        if draft.message_id is not None or draft.resumed:
            await pace(1)
            return await self.deliver(draft, nonce=due.nonce)
        message_id = await self._send(draft, nonce=due.nonce)
        posted = replace(draft, channel_id=draft.channel_id, message_id=message_id)
        await pace(1)
        thread_id = await self._start_thread(posted)

        async def record(session: AsyncSession) -> None:
            assert draft.channel_id is not None
            await self.service.record_posted(
                session,
                draft,
                channel_id=draft.channel_id,
                message_id=message_id,
                thread_id=thread_id,
            )

        return Done(_result(posted, thread_id), record)

    async def deliver(self, draft: PostDraft, *, nonce: str) -> dict[str, Any]:
        """Post the prompt (unless it was posted already), record it, then open its thread.

        Shared by `/reflect now` and a retried occurrence. Raises `TransientError` for a passing
        failure and `TargetGone` when the channel is gone or closed to the bot.
        """
        message_id = draft.message_id
        if message_id is None and draft.resumed and draft.channel_id is not None:
            message_id = await self._find_posted(draft.channel_id, draft.post_id)
        if message_id is None:
            message_id = await self._send(draft, nonce=nonce)
        if draft.message_id is None:
            assert draft.channel_id is not None
            draft = await self.service.mark_posted(
                draft.post_id,
                channel_id=draft.channel_id,
                message_id=message_id,
                actor_name=draft.actor_name,
            )
        thread_id = draft.thread_id or await self._open_thread(draft)
        return _result(draft, thread_id)

    async def _send(self, draft: PostDraft, *, nonce: str) -> int:
        """Post the prompt's message; its id."""
        message = await post_in_channel(
            self.bot,
            draft.channel_id,
            draft.guild_id,
            embed=prompt_embed(draft),
            view=answer_view(draft.post_id),
            allowed_mentions=NO_MENTIONS,
            nonce=nonce,  # discord.py sends enforce_nonce with it
        )
        return message.id

    async def _find_posted(self, channel_id: int, post_id: int) -> int | None:
        """The message an earlier attempt posted but never recorded, if the channel shows it.

        Discord honours a nonce for a few minutes only; a retry after that would post again if
        the first attempt reached Discord and only its answer was lost. The Reflect button's
        custom id names the post, so the bot's messages tell: read back a page at a time, as
        far as `SEARCH_PAGES` pages, so a busy channel doesn't hide it.
        """
        wanted = f"{ANSWER_PREFIX}{post_id}"
        me = str(self.bot.user.id) if self.bot.user else None
        before: int | None = None
        for _ in range(SEARCH_PAGES):
            try:
                page: list[dict[str, Any]] = await self.bot.http.logs_from(  # type: ignore[assignment]
                    channel_id, PAGE_SIZE, before=before
                )
            except (discord.HTTPException, *TRANSIENT):
                return None  # sending will tell what is wrong; the nonce still guards a quick retry
            for message in page:
                ids = [
                    component.get("custom_id")
                    for row in message.get("components") or []
                    for component in row.get("components") or []
                ]
                if wanted in ids and message.get("author", {}).get("id") == me:
                    return int(message["id"])
            if len(page) < PAGE_SIZE:
                return None  # the start of the channel
            before = min(int(message["id"]) for message in page)
        return None

    async def _open_thread(self, draft: PostDraft) -> int | None:
        """A thread on the prompt for discussion, recorded. Best effort: the prompt is posted."""
        thread_id = await self._start_thread(draft)
        if thread_id is not None:
            await self.service.mark_thread(draft.post_id, thread_id)
        return thread_id

    async def _start_thread(self, draft: PostDraft) -> int | None:
        """Open the prompt's thread on Discord (not recorded); None if that failed."""
        assert draft.channel_id is not None and draft.message_id is not None
        try:
            data = await self.bot.http.start_thread_with_message(
                draft.channel_id,
                draft.message_id,
                name=thread_name(draft),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                reason="Partnerbot: discussion of a reflective prompt",
            )
            return int(data["id"])
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                log.warning("No thread for prompt post %s: %s", draft.post_id, exc)
                return None
            return draft.message_id  # a thread started from a message shares its id
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("No thread for prompt post %s: %s", draft.post_id, describe(exc))
            return None

    async def on_gone(self, due: Due, reason: str) -> None:
        """The schedule was paused because its channel is gone: tell each convener by DM."""
        notice = await self.service.gone_notice(due.partnership_id, due.schedule_id)
        text = (
            f"Your reflective prompt schedule #{due.schedule_id} in "
            f"**{escape(notice.partnership_name)}** is paused: {reason} "
            "Once the partnership has a channel I can post in, resume it with "
            f"`/reflect resume schedule:{due.schedule_id}`."
        )
        for user_id in notice.convener_ids:
            try:
                dm = await self.bot.create_dm(discord.Object(id=user_id))
                await dm.send(text, allowed_mentions=NO_MENTIONS)
            except Exception as exc:  # a closed DM must not stop the others
                log.warning("Could not tell convener %s about schedule %s: %s", user_id, due, exc)


def _scheduled(due: Due) -> ScheduledPost:
    """What the occurrence's post is made for, with the schedule's fixed theme and answers'
    visibility if it sets them: the same whether prepared with the claim or on a retry."""
    theme = due.options.get("theme")
    visibility = due.options.get("visibility")
    return ScheduledPost(
        partnership_id=due.partnership_id,
        occurrence_id=due.occurrence_id,
        schedule_id=due.schedule_id,
        theme=theme if isinstance(theme, str) else None,
        late=due.late,
        due_at=due.due_at,
        visibility=visibility if isinstance(visibility, str) else None,
    )


def _result(draft: PostDraft, thread_id: int | None) -> dict[str, Any]:
    """What the occurrence records of a delivered prompt."""
    return {
        "post_id": draft.post_id,
        "prompt": draft.prompt_ref,
        "theme": draft.theme,
        "channel_id": draft.channel_id,
        "message_id": draft.message_id,
        "thread_id": thread_id,
    }
