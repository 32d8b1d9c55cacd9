"""Partnership channels go in "Partnerships"; when it holds Discord's 50, in "Partnerships 2"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.channels import CATEGORY_CHANNEL_LIMIT, find_or_create_category


class Guild:
    """Just what choosing a category reads and does."""

    def __init__(self, *categories: tuple[str, int]) -> None:
        self.id = 1
        self.categories = [
            SimpleNamespace(name=name, channels=[object()] * count) for name, count in categories
        ]
        self.created: list[str] = []

    async def create_category(self, name: str, **_: Any) -> SimpleNamespace:
        self.created.append(name)
        return SimpleNamespace(name=name, channels=[])

    def _add_channel(self, category: SimpleNamespace) -> None:
        self.categories.append(category)


async def test_the_first_category_with_room_is_used():
    guild = Guild(("General", 3), ("Partnerships", CATEGORY_CHANNEL_LIMIT), ("PARTNERSHIPS 2", 4))
    category = await find_or_create_category(guild)  # type: ignore[arg-type]
    assert category.name == "PARTNERSHIPS 2" and guild.created == []


async def test_a_full_category_gets_a_successor():
    guild = Guild(
        ("Partnerships", CATEGORY_CHANNEL_LIMIT), ("Partnerships", CATEGORY_CHANNEL_LIMIT)
    )
    category = await find_or_create_category(guild)  # type: ignore[arg-type]
    assert category.name == "Partnerships 2" and guild.created == ["Partnerships 2"]
    again = await find_or_create_category(guild)  # type: ignore[arg-type]
    assert again is category and guild.created == ["Partnerships 2"]


async def test_the_first_partnership_makes_the_category():
    guild = Guild(("Partnerships of the past", 1))
    category = await find_or_create_category(guild)  # type: ignore[arg-type]
    assert category.name == "Partnerships" and guild.created == ["Partnerships"]
