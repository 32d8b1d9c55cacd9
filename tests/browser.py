"""Debian's headless Chromium, to see a page as a person would: a screenshot and the DOM the
browser built. Without Chromium a test is skipped with a printed reason, except under CI=true,
where it fails (`.ci/run` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

TIMEOUT = 120  # seconds; a cold start on a busy machine can take a while


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found is None:
        reason = "Chromium is not installed (apt-get install chromium) so the report isn't rendered"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}.")
        pytest.skip(f"{reason}.")
    return found


@dataclass(frozen=True)
class Seen:
    dom: str  # the DOM as the browser built it
    log: str  # the browser's own log (console lines included)
    shot: Path | None  # the screenshot, when asked for

    @property
    def console(self) -> list[str]:
        """What the page said on the browser's console: errors, refused loads, anything."""
        return [line for line in self.log.splitlines() if ":CONSOLE" in line]

    @property
    def tags(self) -> list[str]:
        parser = _Tags()
        parser.feed(self.dom)
        return parser.tags


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def load(page: Path, tmp_path: Path, *, screenshot: bool, height: int = 4000) -> Seen:
    """Open `page` in headless Chromium."""
    shot = tmp_path / f"{page.stem}.png"
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size=1280,{height}",
        "--dump-dom",
        *([f"--screenshot={shot}"] if screenshot else []),
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return Seen(done.stdout, done.stderr, shot if screenshot else None)


def assert_drawn(shot: Path | None, *, height: int = 4000) -> None:
    """The screenshot shows a page: many colours, and ink on a good part of it."""
    assert shot is not None and shot.is_file() and shot.stat().st_size > 10_000
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (height, 1280)
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    ink = (pixels[..., :3] < 0.9).any(axis=-1).mean()
    assert ink > 0.02, f"only {ink:.1%} of the screenshot is drawn on"
