"""Fitting an export into a server's upload limit: as it is, else compressed, else not at all
(the command line has no limit)."""

from __future__ import annotations

import asyncio
import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Discord's upload limit for a server without boosts, used when the server's own is unknown.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024


class SizedFile(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def filename(self) -> str: ...
    @property
    def size(self) -> int: ...


@dataclass(frozen=True)
class Fitted:
    """The file to send (`compressed` when it had to be), or `None` when even compressed it is
    over the limit; `size` is the size that was too big then."""

    path: Path | None
    filename: str
    size: int
    compressed: bool


def _gzip(source: Path, target: Path) -> int:
    with source.open("rb") as src, gzip.open(target, "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return target.stat().st_size


async def fit(file: SizedFile, limit: int) -> Fitted:
    """`file` as it is when it fits in `limit` bytes, else gzip-compressed next to it when that
    fits (a CSV export is a zip already and is not compressed twice); else `path` None. The
    compressed copy is the caller's to delete, like the original."""
    if file.size <= limit:
        return Fitted(file.path, file.filename, file.size, compressed=False)
    if file.filename.endswith(".zip"):
        return Fitted(None, file.filename, file.size, compressed=False)
    target = file.path.with_name(file.path.name + ".gz")
    size = await asyncio.to_thread(_gzip, file.path, target)
    if size <= limit:
        return Fitted(target, file.filename + ".gz", size, compressed=True)
    target.unlink(missing_ok=True)
    return Fitted(None, file.filename + ".gz", size, compressed=True)
