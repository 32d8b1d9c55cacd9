"""Reflection answers on Discord: what the author is told, the answers the bot shows (named in the
prompt's thread, anonymous as its own messages without any name), the edits a replacement or a
withdrawal makes, and `/reflect mine`.

Showing is best effort: the answer is already stored. An anonymous answer that could not be
posted is tried again by its timer a minute later (`ReflectionService.show_late`); a named one that
could not be shared stays in the log and the exports, as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.replies import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    NO_MENTIONS,
    clip,
    escape,
)
from bot.services.reflection import (
    AnswerResult,
    MyAnswer,
    Shown,
    Visibility,
    Withdrawn,
    short_words,
)
from bot.services.text import one_line
from bot.services.timeutil import discord_timestamp

if TYPE_CHECKING:
    from bot.app import PartnerBot

log = logging.getLogger(__name__)

ANONYMOUS_AUTHOR = "An anonymous reflection"
GONE_WORDS = {
    "withdrawn": "*This answer was withdrawn by its author.*",
    "replaced": "*This answer was replaced by its author's later answer.*",
}
# `/reflect mine`: how much of each prompt and answer is shown.
MINE_PROMPT_CHARS = 120
MINE_ANSWER_CHARS = 300


def answer_footer(post_id: int) -> str:
    """The footer of an answer shown in a prompt's thread (a redaction looks for it)."""
    return f"Answer to prompt #{post_id}"


def answer_embed(shown: Shown) -> discord.Embed:
    """An answer as the bot shows it: its words escaped, its author's name only when named."""
    if shown.gone is not None:
        embed = discord.Embed(description=GONE_WORDS.get(shown.gone, GONE_WORDS["withdrawn"]))
    else:
        embed = discord.Embed(description=clip(escape(shown.text), EMBED_DESCRIPTION_LIMIT))
    author = ANONYMOUS_AUTHOR if shown.author_name is None else f"{shown.author_name} reflected"
    embed.set_author(name=clip(author, EMBED_TITLE_LIMIT))
    embed.set_footer(text=answer_footer(shown.post_id))
    return embed


async def show(bot: PartnerBot, shows: tuple[Shown, ...] | list[Shown]) -> int:
    """Post or edit each answer's message, in order; returns how many reached Discord."""
    done = 0
    for shown in shows:
        if await _show_one(bot, shown):
            done += 1
    return done


async def _show_one(bot: PartnerBot, shown: Shown) -> bool:
    channel = bot.get_partial_messageable(shown.channel_id, guild_id=shown.guild_id)
    try:
        if shown.message_id is not None:
            await channel.get_partial_message(shown.message_id).edit(
                embed=answer_embed(shown), allowed_mentions=NO_MENTIONS
            )
            return True
        message = await channel.send(
            embed=answer_embed(shown),
            allowed_mentions=NO_MENTIONS,
            nonce=f"pb-answer-{shown.answer_id}",
        )
    except (discord.HTTPException, TimeoutError, aiohttp.ClientError) as exc:
        log.warning("Could not show answer %s in %s: %s", shown.answer_id, shown.channel_id, exc)
        return False
    fix = await bot.services.reflection.mark_shown(
        shown.answer_id, channel_id=shown.channel_id, message_id=message.id
    )
    if fix is not None:  # withdrawn or replaced while it was being posted
        await _show_one(bot, fix)
    return True


def thanks(result: AnswerResult) -> str:
    """The author's private reply: where the answer went and who will see it."""
    number = result.post.post_id
    again = " It replaces your earlier answer." if result.replaced else ""
    change = " `/reflect respond` again replaces it; `/reflect withdraw` takes it back."
    if result.visibility is Visibility.private:
        return (
            f"Thank you. Your reflection on prompt #{number} is private: only you can read it, "
            f"with `/reflect mine`. It is never shown, and never in the log or an export.{again}"
            + change
        )
    if result.visibility is Visibility.anonymous:
        k = result.post.k
        if result.released:
            where = "shown in the prompt's thread" if result.post.thread_id else "shown"
            status = f"It is {where} without your name."
        else:
            status = (
                f"It is shown without your name once {k} organisations have answered "
                f"({result.organisations} so far; people in their own capacity count together "
                "as one)."
            )
        return (
            f"Thank you. Your reflection on prompt #{number} is anonymous: nobody sees who wrote "
            f"it. {status} Internal exports show it without your name, and only once {k} "
            f"organisations have answered.{again}" + change
        )
    where = " and shared in the prompt's thread" if result.post.thread_id else ""
    return (
        f"Thank you. Your reflection on prompt #{number} is named: it is kept in the "
        f"partnership log{where} with your name. It appears in the partnership's internal "
        f"exports; `/log redact` removes it.{again}" + change
    )


def withdrawn_reply(result: Withdrawn, edited: bool) -> str:
    number = result.post.post_id
    text = f"Withdrawn: your answer to prompt #{number} no longer counts and is not shown."
    if result.visibility is Visibility.named:
        text += " The log reads “withdrawn by its author” where it was."
    if result.edit is not None:
        text += (
            " Its message now says it was withdrawn."
            if edited
            else " I couldn't edit its message (it may have been deleted); a moderator can "
            "delete it if it is still there."
        )
    return text + " You can answer again with `/reflect respond`."


def mine_embed(partnership: str | None, answers: list[MyAnswer]) -> discord.Embed:
    """`/reflect mine`: the person's own answers, newest first, as only they see them."""
    where = f" in {partnership}" if partnership else ""
    embed = discord.Embed(title=clip(f"Your reflections{where}", EMBED_TITLE_LIMIT))
    if not answers:
        embed.description = (
            "You have no answers here yet. Answer a prompt with its Reflect button or "
            "`/reflect respond`."
        )
        return embed
    blocks: list[str] = []
    used = 0
    for answer in answers:
        block = _mine_block(answer, partnership is None)
        if used + len(block) + 2 > EMBED_DESCRIPTION_LIMIT - 80:
            break
        blocks.append(block)
        used += len(block) + 2
    left = len(answers) - len(blocks)
    if left:
        blocks.append(f"…and {left} more not shown here.")
    embed.description = "\n\n".join(blocks)
    embed.set_footer(
        text="Only you see this. Private answers are seen by nobody else; anonymous ones are "
        "shown without your name. /reflect withdraw takes one back."
    )
    return embed


def _mine_block(answer: MyAnswer, name_partnership: bool) -> str:
    prompt = one_line(answer.prompt, MINE_PROMPT_CHARS)
    head = (
        f"**#{answer.post_id}** {answer.theme_label} · "
        f"{discord_timestamp(answer.answered_at, 'd')} · {short_words(answer.visibility)}"
        f" ({_state_words(answer)})"
    )
    if name_partnership:
        head += f" · {escape(answer.partnership)}"
    quoted = escape(prompt) if answer.own_prompt else prompt
    return f"{head}\n> {quoted}\n{escape(one_line(answer.text, MINE_ANSWER_CHARS))}"


def _state_words(answer: MyAnswer) -> str:
    if answer.state == "waiting":
        return f"waiting until {answer.k} organisations have answered"
    if answer.state == "only you":
        return "seen by nobody else"
    return answer.state
