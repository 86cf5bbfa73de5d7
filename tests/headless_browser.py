"""Debian's chromium driven by Playwright, for the browser tests: where screenshots go, the
mark that skips without chromium, and one way to launch it and open the page."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAPTOP = {"width": 1366, "height": 900}
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium: bash scripts/setup.sh --test installs it")
# a browser test module's marks: `pytestmark = BROWSER_TEST` (it runs only where chromium is)
BROWSER_TEST = [pytest.mark.browser, needs_chromium]


@contextlib.contextmanager
def launched():
    """Headless chromium that reaches for nothing on the network by itself."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, viewport=LAPTOP):
    """A new tab on the app, once it has loaded (wait_loaded)."""
    page = browser.new_page(viewport=viewport)
    page.goto(url, wait_until="load")
    wait_loaded(page)
    return page


def wait_loaded(page) -> None:
    """Wait until the page's load event has run (it shows the tab's saved chat, then turns
    the question box on). Not "networkidle": the page keeps a heartbeat connection open."""
    page.wait_for_selector("#status")
    page.wait_for_selector("#question textarea:not([disabled])", timeout=30_000)


def ask(page, question: str) -> str:
    """Ask in the chat and wait for the answer's turn in the sources panel (the chats store
    is written once it is in); the reply's text."""
    turns = page.locator("#sources .turn").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function("(n) => document.querySelectorAll('#sources .turn').length > n", arg=turns,
                           timeout=60_000)
    page.wait_for_timeout(300)
    return page.locator("#chat .message").last.inner_text()
