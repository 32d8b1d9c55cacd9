"""The HTML report renders in a real browser: Debian's headless Chromium takes a screenshot of
it and dumps its DOM. Without Chromium the test is skipped with a printed reason, except under
CI=true, where it fails (`.ci/run` installs it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from bot.services.export.document import Audience, Document
from bot.services.export.layout import SECTIONS
from bot.services.export.writers import html
from tests.export_sample import meeting_sample, sample

TIMEOUT = 120  # seconds; a cold start on a busy machine can take a while
ESCAPED_NAME = (
    'Family Hubs &lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'
)


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


def browse(document: Document, tmp_path: Path, *, screenshot: bool) -> tuple[str, str, Path]:
    """Render `document` to a file and load it: (the DOM, the browser's log, the screenshot)."""
    page = tmp_path / "report.html"
    with page.open("wb") as out:
        asyncio.run(html.write(document, out))
    shot = tmp_path / "report.png"
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,4000",
        "--dump-dom",
        *([f"--screenshot={shot}"] if screenshot else []),
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr, shot


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags(dom: str) -> list[str]:
    parser = Tags()
    parser.feed(dom)
    return parser.tags


def console(log: str) -> list[str]:
    """What the page said on the browser's console: errors, refused loads, anything."""
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def test_the_report_renders_in_chromium(tmp_path: Path):
    dom, log, shot = browse(sample(Audience.internal), tmp_path, screenshot=True)
    assert shot.is_file() and shot.stat().st_size > 10_000
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (4000, 1280)
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    ink = (pixels[..., :3] < 0.9).any(axis=-1).mean()
    assert ink > 0.02, f"only {ink:.1%} of the screenshot is drawn on"
    # The DOM as the browser built it: the name escaped, every section, no script at all.
    assert f"<h1>{ESCAPED_NAME}: partnership record</h1>" in dom
    for _, heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in dom
    found = tags(dom)
    assert "script" not in found and found.count("svg") == 3 and found.count("img") == 1
    assert console(log) == []


def test_the_minutes_render_in_chromium(tmp_path: Path):
    dom, log, _ = browse(meeting_sample(Audience.external), tmp_path, screenshot=False)
    assert "<h1>Minutes: March meeting **bold** [click](https://evil.example)" in dom
    assert ESCAPED_NAME in dom
    for heading in ("Meeting #40", "Decisions", "Actions"):
        assert f"<h2>{heading}</h2>" in dom
    assert "Riverside Council: 1 attending" in dom
    assert "script" not in tags(dom)
    assert console(log) == []
