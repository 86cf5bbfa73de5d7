"""Which documents answer, in a real headless Chromium with the fake models: the document
picker (one file chosen: the answer cites only it; a date range: only files dated in it)
and the collection selector (another collection's documents answer in this tab, its
documents table and picker follow, other tabs keep theirs, and reopening a chat of the
first collection switches back). Screenshots go to tests/screenshots/14-*.png."""
import sys
from pathlib import Path

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from headless_browser import BROWSER_TEST, SHOTS, ask, launched, open_page
from rag import Assistant
from rag.chat_collections import serving
from rag.collections import ROOT_ENV
from served_app import served_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEEPER_Q = "Who is the lighthouse keeper of the cape?"
HARBOUR_Q = "Who is the harbour master of Nukus?"
DOCS = {"north_cape.txt": "date 2024-03-01\nThe lighthouse keeper of the north cape is Anna Berg.\n",
        "south_cape.txt": "date 2024-06-01\nThe lighthouse keeper of the south cape is Boris Lund.\n"}
SHIPS = {"harbour.txt": "date 2024-02-10\nThe harbour master of Nukus is Dilnoza Karimova.\n"}
SCRIPT = {"lighthouse keeper": "Anna Berg", "harbour master": "Dilnoza Karimova"}

pytestmark = BROWSER_TEST


def _folder(path: Path, files: dict) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("scope")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv(ROOT_ENV, str(work / "collections"))
    embedder, generator = HashingEmbedder(), ScriptedGenerator(SCRIPT)
    # the other collection is built beforehand, as `rag index DOCS --collection ships` would
    Assistant.open(_folder(work / "ships", SHIPS), collection="ships", embedder=embedder, generator=generator)
    first = Assistant.open(_folder(work / "capes", DOCS), work / "index", embedder=embedder, generator=generator)
    try:
        with served_app(first, collections=serving(first, work / "index")) as (_app, port, _folder_):
            yield f"http://127.0.0.1:{port}/"
    finally:
        monkeypatch.undo()


@pytest.fixture(scope="module")
def browser(app_url):
    with launched() as browser:
        yield browser


def _open(browser, url):
    page = open_page(browser, url)
    page.wait_for_timeout(1500)  # the load event fills in the tab's chat and views
    return page


@pytest.fixture(scope="module")
def page(browser, app_url):
    return _open(browser, app_url)


def _latest_sources(page) -> str:
    return page.locator("#sources .turn").first.inner_text()


def _choose(page, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown} input").click()
    page.get_by_role("option", name=option).click()
    page.locator("#status").click()  # closes the list


def test_one_chosen_document_is_the_only_one_that_answers(page):
    reply = ask(page, KEEPER_Q)
    assert "north_cape.txt" in reply, "unfiltered, the north cape's keeper answers"
    page.locator("#scope").get_by_text("Documents to search").click()  # opens the panel
    _choose(page, "picker", "south_cape.txt")
    page.wait_for_function("() => document.querySelector('#scope').innerText.includes('search: south_cape.txt')")
    reply = ask(page, KEEPER_Q)
    assert "south_cape.txt" in reply and "north_cape.txt" not in reply
    assert "Boris Lund" in reply and "north_cape.txt" not in _latest_sources(page)
    page.screenshot(path=str(SHOTS / "14-picker.png"))


def test_a_date_range_leaves_out_the_files_dated_outside_it(page):
    page.locator("#picker").get_by_role("button", name="Remove").first.click()  # back to all files
    page.locator("#since input, #since textarea").fill("2024-01-01")
    page.locator("#until input, #until textarea").fill("2024-04-30")
    page.locator("#status").click()
    page.wait_for_function("() => document.querySelector('#scope').innerText.includes('until 2024-04-30')")
    reply = ask(page, "Who is the lighthouse keeper of the south cape?")
    assert "south_cape.txt" not in _latest_sources(page) and "north_cape.txt" in _latest_sources(page)
    assert "Boris Lund" not in reply
    page.locator("#since input, #since textarea").fill("")
    page.locator("#until input, #until textarea").fill("")


def test_another_collection_answers_in_this_tab_only(browser, app_url, page):
    assert "Not found" in ask(page, HARBOUR_Q), "the capes don't know the harbour master"
    _choose(page, "collection", "ships")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('collection ships')")
    assert page.locator("#chat .message").count() == 0, "another collection starts a new chat"
    reply = ask(page, HARBOUR_Q)
    assert "Dilnoza Karimova" in reply and "harbour.txt" in reply
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_function("() => document.querySelector('#documents').innerText.includes('harbour.txt')")
    assert "north_cape.txt" not in page.locator("#documents").inner_text()
    page.get_by_role("tab", name="Chat").click()
    page.screenshot(path=str(SHOTS / "14b-collection.png"))

    other = _open(browser, app_url)  # another browser: its tab is still on the default collection
    assert "collection ships" not in other.locator("#status").inner_text()
    assert "north_cape.txt" in ask(other, KEEPER_Q)
    other.close()


def test_reopening_a_chat_of_the_other_collection_switches_back(page):
    _choose(page, "recent", KEEPER_Q)
    page.wait_for_function("() => document.querySelector('#chat-note').innerText.includes('Switched to')")
    assert "collection ships" not in page.locator("#status").inner_text()
    assert page.locator("#collection input").input_value() == "default"
    assert "south_cape.txt" in ask(page, "and of the south cape?")
    page.screenshot(path=str(SHOTS / "14c-reopened-other-collection.png"))
