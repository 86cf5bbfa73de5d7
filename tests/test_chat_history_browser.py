"""The chat's history in a real headless Chromium, with the fake models over a copy of
seeds/: a conversation survives a reload of the page (its answers, its sources, and
follow-ups that still lean on its earlier answers), "New chat" starts an empty one, and a
recent chat is reopened from the list and continued. The chats are in the browser's
localStorage; the server keeps none. Screenshots go to tests/screenshots/13-*.png."""
import shutil
import sys
from pathlib import Path

import pytest

from headless_browser import BROWSER_TEST, SHOTS, ask, launched, open_page, wait_loaded
from served_app import served_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
MEETING_Q = "Where did the meeting between Madrakhimov and the IOM coordinator take place?"
SCRIPT = {"Who did Rashid Meredov": "Zeynal Hajiyev", "Minister of Foreign Affairs": "Rashid Meredov",
          "Madrakhimov": "Tashkent"}

pytestmark = BROWSER_TEST


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("history")
    shutil.copytree(ROOT / "seeds", work / "docs")
    with served_url(work / "docs", work / "index", SCRIPT) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with launched() as browser:
        yield open_page(browser, app_url)  # open once the load event has restored the chat


def _asked(page) -> list[str]:
    return page.locator('#chat [data-testid="user"]').all_inner_texts()


def _recent(page) -> list[str]:
    page.locator("#recent input").click()
    options = page.get_by_role("option").all_inner_texts()
    page.locator("#status").click()  # closes the list, choosing nothing
    return [option.replace("✓", "").strip() for option in options]  # the open chat is ticked


def test_a_conversation_survives_a_reload_with_its_sources_and_follow_ups(page):
    assert "Rashid Meredov" in ask(page, MINISTER_Q)
    assert "Zeynal Hajiyev" in ask(page, "and who did he meet?")
    page.reload(wait_until="load")
    wait_loaded(page)
    page.wait_for_function("() => document.querySelectorAll('#sources .turn').length === 2", timeout=30_000)
    assert _asked(page) == [MINISTER_Q, "and who did he meet?"]
    assert "Rashid Meredov" in page.locator('#chat [data-testid="bot"]').first.inner_text()
    source = page.locator("#src-1-1")
    assert "003_064eea4f1c13281f.txt" in source.inner_text() and "dated 2024-04-02" in source.inner_text()
    assert "Rashid Meredov" in source.locator("mark").inner_text()  # the quote in its context, again
    page.screenshot(path=str(SHOTS / "13-history-after-reload.png"))
    # a follow-up leans on the restored answers: "he" is the last answer, Zeynal Hajiyev
    assert "Searched for: Who did Zeynal Hajiyev meet?" in ask(page, "and who did he meet?")


def test_new_chat_starts_empty_and_keeps_the_old_one_in_the_list(page):
    page.locator("#new-chat").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .message').length === 0")
    assert "Click [1]" in page.locator("#sources").inner_text()  # the empty sources panel
    assert _recent(page) == [MINISTER_Q]
    assert "Tashkent" in ask(page, MEETING_Q)
    assert _asked(page) == [MEETING_Q]
    assert _recent(page) == [MEETING_Q, MINISTER_Q], "newest first, titled by the first question"
    page.screenshot(path=str(SHOTS / "13b-new-chat.png"))


def test_a_recent_chat_reopens_and_continues(page):
    page.locator("#recent input").click()
    page.get_by_role("option", name=MINISTER_Q).click()
    page.wait_for_function("() => document.querySelectorAll('#sources .turn').length === 3", timeout=30_000)
    assert _asked(page)[0] == MINISTER_Q and len(_asked(page)) == 3
    assert "Searched for: What is Zeynal Hajiyev's position?" in ask(page, "what is his position?")
    assert _recent(page)[0] == MINISTER_Q, "the chat just continued comes first"
    page.reload(wait_until="load")
    wait_loaded(page)
    page.wait_for_function("() => document.querySelectorAll('#sources .turn').length === 4", timeout=30_000)
    assert _asked(page)[-1] == "what is his position?"
    page.screenshot(path=str(SHOTS / "13c-reopened.png"))
