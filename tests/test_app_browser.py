"""The Gradio chat in a real headless Chromium, with the real models.

Starts `app_gradio.py` on a free local port over a copy of seeds/, asks questions through
the page as a person would, and checks what the page shows, and that the page asked
nothing of any host but this one.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium: bash scripts/setup.sh --test installs it"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "seeds", work / "docs")
    port = _free_port()
    log = open(work / "app.log", "w")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app_gradio.py"), "--docs", str(work / "docs"),
         "--index", str(work / "index"), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail("app exited early:\n" + (work / "app.log").read_text())
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("app did not start in 180 s:\n" + (work / "app.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page()
        page.foreign_requests = []

        def note_foreign(request):
            if request.url.startswith("http") and urlparse(request.url).hostname not in ("127.0.0.1", "localhost"):
                page.foreign_requests.append(request.url)

        page.on("request", note_foreign)
        page.goto(app_url, wait_until="networkidle")
        yield page
        browser.close()


def _ask(page, question: str) -> str:
    bubbles = page.locator("#chat .message")
    before = bubbles.count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    # wait for the final answer: the user's bubble and a reply that is no longer a draft
    page.wait_for_function(
        """([before]) => {
            const msgs = document.querySelectorAll('#chat .message');
            if (msgs.length < before + 2) return false;
            const last = msgs[msgs.length - 1].innerText;
            return !last.includes('Reading the passages');
        }""", arg=[before], timeout=120_000)
    return bubbles.nth(bubbles.count() - 1).inner_text()


def test_page_shows_the_index_status(page):
    status = page.locator("#status").inner_text()
    assert "2 files" in status and "gemma-3-270m" in status


def test_question_gets_an_answer_with_its_source_and_quote(page):
    reply = _ask(page, "Who is the Minister of Foreign Affairs of Turkmenistan?")
    assert "Rashid Meredov" in reply
    assert "003_064eea4f1c13281f.txt" in reply and "line 7" in reply
    assert "negotiations between the Minister of Foreign Affairs of Turkmenistan" in reply
    page.screenshot(path=str(ROOT / "tests" / "last_browser_answer.png"))


def test_unanswerable_question_abstains_and_shows_closest_passages(page):
    reply = _ask(page, "What is the capital of Kazakhstan?")
    assert "could not find the answer in the documents" in reply
    assert "Astana" not in reply
    assert "Closest passages" in reply


def test_the_page_reaches_no_other_host(page):
    assert page.foreign_requests == []
