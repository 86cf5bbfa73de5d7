"""A question asked while the page is still loading, in a real headless Chromium with the
fake models: the page's load event (which shows this tab's saved chat) is slowed down, and
the answer asked for as soon as the box takes text must still be there once it is done.
Without the box staying off until then, the load wiped the question or its answer."""
import time

import pytest

from headless_browser import BROWSER_TEST, ask, launched
from rag.chat_events import ChatEvents
from served_app import served_url

pytestmark = BROWSER_TEST
LOAD_SECONDS = 3.0


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("slow-load")
    (work / "docs").mkdir()
    (work / "docs" / "station.txt").write_text(
        "The lead hydrologist of the Aral station is Dilnoza Karimova.\n", encoding="utf-8")
    original = ChatEvents.load

    def slow_load(self, *args):
        time.sleep(LOAD_SECONDS)
        return original(self, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ChatEvents, "load", slow_load)
        with served_url(work / "docs", work / "index", {"lead hydrologist": "Dilnoza Karimova"}) as url:
            yield url


def test_a_question_asked_during_the_page_load_keeps_its_answer(app_url):
    with launched() as browser:
        page = browser.new_page()
        page.goto(app_url, wait_until="load")
        page.wait_for_selector("#question textarea")
        started = time.monotonic()
        assert page.locator("#question textarea").is_disabled()  # nothing typed can be lost
        page.wait_for_selector("#question textarea:not([disabled])", timeout=30_000)
        assert time.monotonic() - started >= LOAD_SECONDS - 0.5
        # ready to type into, as `autofocus` would have had it
        assert page.evaluate("() => document.activeElement === document.querySelector('#question textarea')")
        reply = ask(page, "Who is the lead hydrologist of the station?")
        assert "Dilnoza Karimova" in reply
        page.wait_for_timeout(1000)
        assert page.locator("#sources .turn").count() == 1
        assert "Dilnoza Karimova" in page.locator("#chat .message").last.inner_text()
