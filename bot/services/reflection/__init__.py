"""Reflective prompts: what people type (`parsing`), what cogs see (`views`), which prompt comes
next (`rotation`), prompt schedules as a kind of schedule (`kind`), and the rules for prompts,
posts and answers (`service`). Schedules themselves live in `bot.services.schedules`."""

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
    PostDraft,
    draft_of,
)

__all__ = [
    "ANSWER_MAX",
    "MAX_SCHEDULES",
    "PROMPT_MAX",
    "PROMPT_SCHEDULES",
    "ROTATION",
    "SCHEDULE_KIND",
    "AnswerResult",
    "AnswerView",
    "ChosenPrompt",
    "GoneNotice",
    "PostDraft",
    "ReflectionService",
    "clean_answer",
    "clean_prompt",
    "draft_of",
    "parse_post_ref",
    "parse_theme",
    "prompt_key",
    "theme_label",
]
