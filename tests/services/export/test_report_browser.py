"""The HTML report renders in a real browser: Debian's headless Chromium takes a screenshot of
it and dumps its DOM (`tests/browser.py`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.services.export.document import Audience, Document
from bot.services.export.layout import SECTIONS
from bot.services.export.writers import html
from tests.browser import Seen, assert_drawn, load
from tests.export_sample import meeting_sample, sample

ESCAPED_NAME = (
    'Family Hubs &lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'
)


def browse(document: Document, tmp_path: Path, *, screenshot: bool) -> Seen:
    """Render `document` to a file and open it in the browser."""
    page = tmp_path / "report.html"
    with page.open("wb") as out:
        asyncio.run(html.write(document, out))
    return load(page, tmp_path, screenshot=screenshot)


def test_the_report_renders_in_chromium(tmp_path: Path):
    seen = browse(sample(Audience.internal), tmp_path, screenshot=True)
    assert_drawn(seen.shot)
    dom = seen.dom
    # The DOM as the browser built it: the name escaped, every section, no script at all.
    assert f"<h1>{ESCAPED_NAME}: partnership record</h1>" in dom
    for _, heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in dom
    found = seen.tags
    assert "script" not in found and found.count("svg") == 3 and found.count("img") == 1
    assert seen.console == []


def test_the_minutes_render_in_chromium(tmp_path: Path):
    seen = browse(meeting_sample(Audience.external), tmp_path, screenshot=False)
    dom = seen.dom
    assert "<h1>Minutes: March meeting **bold** [click](https://evil.example)" in dom
    assert ESCAPED_NAME in dom
    for heading in ("Meeting #40", "Decisions", "Actions"):
        assert f"<h2>{heading}</h2>" in dom
    assert "Riverside Council: 1 attending" in dom
    assert "script" not in seen.tags
    assert seen.console == []
