"""Reflective prompts: what people type (`parsing`), what cogs see (`views`), which prompt comes
next (`rotation`), prompt schedules as a kind of schedule (`kind`), who sees an answer
(`visibility`), and the rules for prompts, posts (`service`) and answers (`answers`).
Schedules themselves live in `bot.services.schedules`."""

from bot.services.reflection.kind import MAX_SCHEDULES, PROMPT_SCHEDULES, SCHEDULE_KIND
from bot.services.reflection.parsing import (
    ANSWER_MAX,
    PROMPT_MAX,
    ROTATION,
    clean_answer,
    clean_prompt,
    parse_post_ref,
    parse_theme,
    prompt_key,
    theme_label,
)
from bot.services.reflection.service import ReflectionService
from bot.services.reflection.views import (
    AnswerResult,
    AnswerView,
    ChosenPrompt,
    GoneNotice,
    MyAnswer,
    PostDraft,
    ScheduledPost,
    Shown,
    Withdrawn,
    draft_of,
)
from bot.services.reflection.visibility import (
    CHOICE_WORDS,
    Visibility,
    parse_visibility,
    short_words,
    who_sees,
)

__all__ = [
    "ANSWER_MAX",
    "CHOICE_WORDS",
    "MAX_SCHEDULES",
    "PROMPT_MAX",
    "PROMPT_SCHEDULES",
    "ROTATION",
    "SCHEDULE_KIND",
    "AnswerResult",
    "AnswerView",
    "ChosenPrompt",
    "GoneNotice",
    "MyAnswer",
    "PostDraft",
    "ReflectionService",
    "ScheduledPost",
    "Shown",
    "Visibility",
    "Withdrawn",
    "clean_answer",
    "clean_prompt",
    "draft_of",
    "parse_post_ref",
    "parse_theme",
    "parse_visibility",
    "prompt_key",
    "short_words",
    "theme_label",
    "who_sees",
]
