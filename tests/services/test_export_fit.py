"""An export fits a server's upload limit as it is, else compressed, else not at all."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

from bot.services.export.fit import fit


@dataclass(frozen=True)
class Made:
    path: Path
    filename: str
    size: int


def made(tmp_path: Path, name: str, data: bytes) -> Made:
    path = tmp_path / "export.tmp"
    path.write_bytes(data)
    return Made(path, name, len(data))


async def test_a_small_file_goes_as_it_is(tmp_path: Path):
    file = made(tmp_path, "hub.md", b"# Minutes\n")
    fitted = await fit(file, 1024)
    assert (fitted.path, fitted.filename, fitted.compressed) == (file.path, "hub.md", False)


async def test_a_large_text_is_compressed_when_that_fits(tmp_path: Path):
    data = b"| Decision | Owner |\n" * 10_000  # 210 kB of repetitive text
    file = made(tmp_path, "hub.html", data)
    fitted = await fit(file, 50_000)
    assert fitted.compressed and fitted.filename == "hub.html.gz"
    assert fitted.path is not None and fitted.size <= 50_000
    assert gzip.decompress(fitted.path.read_bytes()) == data


async def test_too_big_even_compressed_sends_nothing_and_leaves_no_copy(tmp_path: Path):
    file = made(tmp_path, "hub.json", os.urandom(100_000))  # random bytes don't compress
    fitted = await fit(file, 50_000)
    assert fitted.path is None and fitted.compressed and fitted.size > 50_000
    assert os.listdir(tmp_path) == ["export.tmp"]


async def test_a_zip_is_not_compressed_twice(tmp_path: Path):
    file = made(tmp_path, "hub.zip", b"x" * 100_000)
    fitted = await fit(file, 50_000)
    assert fitted.path is None and not fitted.compressed and fitted.size == 100_000
