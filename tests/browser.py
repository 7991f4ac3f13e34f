"""Real headless Chromium (Debian's package) driven by Playwright, for the review page's tests.

``make browser`` (a prerequisite of ``make test``) installs Chromium as root; where it is
missing the browser tests are skipped, except on CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

#: what the screenshots are kept in for people to look at (not in git)
SHOTS = Path(os.environ.get("TITANAUDIT_SCREENSHOTS", Path(__file__).parents[1] / "test-output"))
#: as the machine notes advise: no background connections out of a closed network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the report's browser tests (make browser)")
        pytest.skip("no chromium here (make browser installs it as root)")
    return found


@dataclass
class Opened:
    tab: Page
    errors: list[str]
    dialogs: list[str]


@contextmanager
def open_page(browser: Browser, path: Path) -> Iterator[Opened]:
    """``path`` open in a fresh browser context, its console errors and dialogs heard; on leaving,
    fails if there were any (nothing from a customer's name may run ``alert()``)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    seen = Opened(tab, [], [])
    tab.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: seen.errors.append(str(e)))
    tab.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
    tab.goto(path.as_uri())
    try:
        yield seen
    finally:
        context.close()
    assert not seen.errors, seen.errors
    assert not seen.dialogs, seen.dialogs
