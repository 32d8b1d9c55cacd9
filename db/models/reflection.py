"""Reflective prompts (domain notes §4): a partnership's own prompts, posts, and answers.

The built-in library lives in `bot/prompts/library.toml`; only a partnership's own prompts are
stored here. A post keeps a snapshot of what was asked (theme, concept, text) and of who sees its
answers (`visibility`), so an answer still reads right after a prompt is reworded or retired. A
scheduled post is tied to its occurrence, one post per occurrence, so a retried or recovered
occurrence reuses the same post (and prompt).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models.base import utcnow


class ReflectionPrompt(SQLModel, table=True):
    """A prompt a partnership wrote for itself, used in rotation alongside the library."""

    __tablename__ = "reflection_prompt"
    __table_args__ = (
        UniqueConstraint("partnership_id", "text_key", name="uq_reflection_prompt_text"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    theme: str = Field(sa_type=String(30))
    text: str = Field(sa_type=Text)
    text_key: str = Field(
        sa_type=String(300)
    )  # casefolded, spaces collapsed: unique per partnership
    created_by: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    # Who sees the answers when it is posted: named, anonymous or private.
    visibility: str = Field(default="named", sa_type=String(10))


class PromptPost(SQLModel, table=True):
    """One prompt put to a partnership: chosen, then posted (message id set), then answered.

    A row whose `message_id` is still empty was chosen but not (yet) delivered; it does not count
    as used in rotation and cannot be answered.
    """

    __tablename__ = "prompt_post"
    __table_args__ = (
        UniqueConstraint("occurrence_id", name="uq_prompt_post_occurrence"),
        Index("ix_prompt_post_partnership_posted", "partnership_id", "posted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = Field(sa_type=BigInteger, index=True)
    partnership_id: int = Field(foreign_key="partnership.id", ondelete="CASCADE")
    # Where it came from: a schedule's occurrence, or `/reflect now` (posted_by).
    schedule_id: int | None = Field(
        default=None, foreign_key="schedule.id", index=True, ondelete="SET NULL"
    )
    occurrence_id: int | None = Field(
        default=None, foreign_key="occurrence.id", ondelete="SET NULL"
    )
    posted_by: int | None = Field(default=None, sa_type=BigInteger)
    # Which prompt: a library id or one of the partnership's own, and a snapshot of it.
    library_prompt_id: str | None = Field(default=None, sa_type=String(40))
    custom_prompt_id: int | None = Field(
        default=None, foreign_key="reflection_prompt.id", index=True, ondelete="SET NULL"
    )
    theme: str = Field(sa_type=String(30))
    concept: str = Field(default="", sa_type=Text)
    text: str = Field(sa_type=Text)
    rotation: bool = Field(default=True)  # chosen by rotation (not a fixed or requested theme)
    # Who sees its answers (`bot.services.reflection.visibility`), fixed when it was chosen.
    visibility: str = Field(default="named", sa_type=String(10))
    # Anonymous answers: when answers from enough organisations first existed, so they began
    # to be shown. Once set, later answers are shown as they come.
    released_at: datetime | None = Field(default=None)
    late: bool = Field(default=False)
    due_at: datetime | None = Field(default=None)
    # Where it went.
    channel_id: int | None = Field(default=None, sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    posted_at: datetime | None = Field(default=None)


class PromptAnswer(SQLModel, table=True):
    """A member's answer to a posted prompt (from the Reflect form or `/reflect respond`).

    A person's current answer to a post is the one neither replaced nor withdrawn: answering
    again adds a row and marks the earlier one replaced. `user_id` is empty only for an
    anonymous answer that came in through an import (exports never carry its author).
    """

    __tablename__ = "prompt_answer"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="prompt_post.id", index=True, ondelete="CASCADE")
    partnership_id: int = Field(foreign_key="partnership.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    display_name: str = Field(default="", sa_type=String(100))
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    # The post's visibility when answered, and whom the answer counts for toward the anonymity
    # threshold: the organisation its author spoke for then (None: their own capacity).
    visibility: str = Field(default="named", sa_type=String(10))
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ondelete="SET NULL"
    )
    replaced_at: datetime | None = Field(default=None)
    withdrawn_at: datetime | None = Field(default=None)
    # Shown on Discord (a named answer shared, an anonymous one released): when it was taken
    # to be shown, and the bot's message that shows it (set once posted).
    shown_at: datetime | None = Field(default=None)
    channel_id: int | None = Field(default=None, sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
