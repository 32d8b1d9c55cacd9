"""What the reflection service hands to cogs: the prompt chosen, a post to deliver (and what a
scheduled one is made for), an answer
(with what to show or edit on Discord), a withdrawal, a person's own answers, and the notice for
conveners when a schedule's channel is gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.services.reflection.parsing import theme_label
from bot.services.reflection.visibility import Visibility, as_visibility
from bot.services.trust.privacy import threshold
from db.models import Partnership, PromptPost


@dataclass(frozen=True)
class ChosenPrompt:
    theme: str
    text: str
    concept: str
    library_id: str | None = None
    custom_id: int | None = None
    rotation: bool = True
    # Who sees its answers unless a schedule or `/reflect now` says otherwise.
    visibility: Visibility = Visibility.named

    @property
    def ref(self) -> str:
        """`goals-01` for the library, `own-7` for the partnership's own prompt 7."""
        return self.library_id or f"own-{self.custom_id}"


@dataclass(frozen=True)
class ScheduledPost:
    """What a scheduled post is made for: an occurrence claimed, of a schedule of a
    partnership, with the schedule's theme (None: rotation) and visibility (None: the
    prompt's own)."""

    partnership_id: int
    occurrence_id: int
    schedule_id: int
    theme: str | None
    late: bool
    due_at: datetime
    visibility: str | None = None


@dataclass(frozen=True)
class PostDraft:
    """Everything the cog needs to deliver (or re-deliver) one post."""

    post_id: int
    guild_id: int
    partnership_id: int
    partnership_name: str
    timezone: str
    channel_id: int | None
    theme: str
    concept: str
    text: str
    prompt_ref: str
    own_prompt: bool
    late: bool
    due_at: datetime | None
    message_id: int | None
    thread_id: int | None
    schedule_id: int | None
    occurrence_id: int | None
    posted_by: int | None
    actor_name: str = ""
    # Made by an earlier attempt that never recorded its message: it may have reached Discord.
    resumed: bool = False
    visibility: Visibility = Visibility.named
    k: int = 3  # the partnership's anonymity threshold, for the words about anonymous answers

    @property
    def theme_label(self) -> str:
        return theme_label(self.theme)


@dataclass(frozen=True)
class Shown:
    """One answer as Discord shows it: a message to post (no `message_id`) or to edit.

    `author_name` is None for an anonymous answer; `gone` says the message now stands for an
    answer withdrawn ("withdrawn") or replaced ("replaced") and shows no text.
    """

    answer_id: int
    post_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    text: str
    author_name: str | None
    gone: str | None = None


@dataclass(frozen=True)
class AnswerResult:
    answer_id: int
    post: PostDraft
    author_id: int
    author_name: str
    text: str
    visibility: Visibility = Visibility.named
    replaced: bool = False  # it replaced the author's earlier answer to the post
    # What to post or edit on Discord now: a named answer shared (or its earlier copy edited),
    # anonymous answers released (the first ones in random order), or nothing.
    shows: tuple[Shown, ...] = ()
    # Anonymous answers: whether they are shown yet, and from how many organisations (or the
    # own-capacity group) current answers come.
    released: bool = False
    organisations: int = 0


@dataclass(frozen=True)
class Withdrawn:
    """An answer its author withdrew, and the message that showed it, to edit."""

    answer_id: int
    post: PostDraft
    visibility: Visibility
    edit: Shown | None = None


@dataclass(frozen=True)
class MyAnswer:
    """One of a person's own current answers, for `/reflect mine`."""

    answer_id: int
    post_id: int
    partnership: str
    theme: str
    prompt: str
    own_prompt: bool
    text: str  # the marker when removed or expired
    answered_at: datetime
    visibility: Visibility
    state: str  # "shared", "not shared", "shown without names", "waiting", "only you"
    k: int

    @property
    def theme_label(self) -> str:
        return theme_label(self.theme)


@dataclass(frozen=True)
class AnswerView:
    """An answer as it may be read back: removed text shows its marker
    (`bot.services.redaction`)."""

    id: int
    post_id: int
    user_id: int | None  # None for an anonymous answer
    display_name: str  # "" for an anonymous answer
    text: str
    created_at: datetime
    removed: bool = False


@dataclass(frozen=True)
class GoneNotice:
    partnership_name: str
    schedule_id: int
    convener_ids: list[int] = field(default_factory=list)


def draft_of(
    post: PromptPost, partnership: Partnership, *, actor_name: str = "", resumed: bool = False
) -> PostDraft:
    """The post as the cog delivers it."""
    return PostDraft(
        post_id=post.id,  # type: ignore[arg-type]
        guild_id=partnership.guild_id,
        partnership_id=partnership.id,  # type: ignore[arg-type]
        partnership_name=partnership.name,
        timezone=partnership.timezone,
        # A delivered post stays where it went; one still to deliver goes to today's channel.
        channel_id=post.channel_id if post.message_id is not None else partnership.channel_id,
        theme=post.theme,
        concept=post.concept,
        text=post.text,
        prompt_ref=post.library_prompt_id or f"own-{post.custom_prompt_id}",
        own_prompt=post.library_prompt_id is None,
        late=post.late,
        due_at=post.due_at,
        message_id=post.message_id,
        thread_id=post.thread_id,
        schedule_id=post.schedule_id,
        occurrence_id=post.occurrence_id,
        posted_by=post.posted_by,
        actor_name=actor_name,
        resumed=resumed and post.message_id is None,
        visibility=as_visibility(post.visibility),
        k=threshold(partnership.anonymity_threshold),
    )
