"""Placeholder replaced by the writer's own module."""

from __future__ import annotations

from typing import BinaryIO

from bot.services.export.document import Document


async def write(document: Document, out: BinaryIO) -> None:
    raise NotImplementedError
