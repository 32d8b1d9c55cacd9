"""The guide: where a person stands (`roles`), what a partnership's setup still lacks
(`checklist`), the guide's words (`topics`, read from `guide.toml`), and `GuideService`."""

from bot.services.guide.checklist import Checklist, Gap, Missing, setup_checklist
from bot.services.guide.roles import ROLE_ORDER, Role, Standing, role_of
from bot.services.guide.service import GuideContext, GuideService
from bot.services.guide.topics import (
    TOPICS,
    Concept,
    GuideError,
    GuideText,
    RoleSteps,
    Topic,
    load_guide,
)

__all__ = [
    "ROLE_ORDER",
    "TOPICS",
    "Checklist",
    "Concept",
    "Gap",
    "GuideContext",
    "GuideError",
    "GuideService",
    "GuideText",
    "Missing",
    "Role",
    "RoleSteps",
    "Standing",
    "Topic",
    "load_guide",
    "role_of",
    "setup_checklist",
]
