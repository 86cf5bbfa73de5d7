"""The Gradio chat in a real headless Chromium, with the real models, as a person uses it.

Starts `app_gradio.py` on a free local port over a copy of seeds/ (and a private index),
then, through the page: asks a seeds question and watches the draft stream in before the
verified answer and its source; follows up; asks something the documents don't hold;
uploads a document (with two files that can't be indexed) and asks about it; removes it
and asks again, then restores it; changes a setting; asks from two tabs at once; and
looks at the page 800 px wide. Screenshots of each state go to tests/screenshots/ (at
laptop size, 1366x768, and 800 px wide). The tests run in file order and share one page,
like one person's session.
"""
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from document_files import write_pdf
from headless_browser import BROWSER_TEST, SHOTS, launched
from local_ports import free_port

ROOT = Path(__file__).resolve().parent.parent
LAPTOP = {"width": 1366, "height": 768}
NARROW = {"width": 800, "height": 900}
MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
NEW_DOC_Q = "Who is the chief engineer of the Aral Sea restoration project?"
# The uploaded document also tries to make the page fetch images from elsewhere.
NEW_DOC = ("date 2024-05-10\nThe Aral Sea restoration summit took place in Nukus.\n\n"
           "The chief engineer of the restoration project is Dilnoza Karimova. Her notes mention "
           '<img src="http://203.0.113.9/x.png"> and ![logo](http://203.0.113.9/y.png) in passing.\n')

pytestmark = [pytest.mark.slow, *BROWSER_TEST]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("app")
    shutil.copytree(ROOT / "seeds", work / "docs")
    return work


@pytest.fixture(scope="module")
def app_url(work):
    port = free_port()
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
def browser(app_url):
    with launched() as browser:
        browser.foreign_requests = []
        yield browser


def _open(browser, url, viewport=LAPTOP):
    page = browser.new_page(viewport=viewport)

    def note_foreign(request):
        if request.url.startswith("http") and urlparse(request.url).hostname not in ("127.0.0.1", "localhost"):
            browser.foreign_requests.append(request.url)

    page.on("request", note_foreign)
    # not "networkidle": the page keeps a heartbeat connection to the server open
    page.goto(url, wait_until="load")
    page.wait_for_selector("#status")
    return page


@pytest.fixture(scope="module")
def page(browser, app_url):
    return _open(browser, app_url)


def _send(page, question: str) -> int:
    before = page.locator("#chat .message").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    return before


def _reply(page, before: int) -> str:
    """Wait for the final answer: the user's bubble and a reply that is no longer a draft."""
    page.wait_for_function(
        """([before]) => {
            const msgs = document.querySelectorAll('#chat .message');
            if (msgs.length < before + 2) return false;
            return !msgs[msgs.length - 1].innerText.includes('Reading the passages');
        }""", arg=[before], timeout=120_000)
    return page.locator("#chat .message").last.inner_text()


def _ask(page, question: str) -> str:
    return _reply(page, _send(page, question))


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]


def test_page_shows_the_index_status_and_examples_from_the_documents(page):
    status = page.locator("#status").inner_text()
    assert "Ready" in status and "2 files" in status and "gemma-3-270m" in status
    page.wait_for_selector("#chat .example")
    examples = page.locator("#chat .example")
    assert examples.count() == 4, "the seed set's questions, since the seeds are loaded"
    assert "Who is the Minister of Foreign Affairs of Turkmenistan?" in examples.all_inner_texts()
    assert all(_in_view(page, examples.nth(i)) for i in range(4)), "every example is visible at 1366x768"
    assert page.locator("#chat").get_by_text("Conversation", exact=True).count() == 0, "no label over the chat"
    page.screenshot(path=str(SHOTS / "0-ready.png"))


def test_answer_streams_then_shows_its_cited_source_with_the_quote(page):
    # Remember whether an unverified draft was ever on screen while the answer streamed.
    page.evaluate("""() => {
        window.sawDraft = false;
        new MutationObserver(() => { if (document.querySelector('#chat .draft')) window.sawDraft = true; })
            .observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    reply = _ask(page, MINISTER_Q)
    assert page.evaluate("window.sawDraft"), "the draft was never shown while streaming"
    assert "Rashid Meredov" in reply and "[1]" in reply
    assert "\\" not in reply, "quotes show the document's characters, not markdown escapes"
    assert "003_064eea4f1c13281f.txt" in reply and "line 7" in reply
    # evidence first: the quoted sentence, the short answer highlighted inside it
    message = page.locator("#chat .message").last
    quote = message.locator("blockquote.evidence").first.inner_text()
    assert "negotiations between the Minister of Foreign Affairs of Turkmenistan" in quote
    assert message.locator("blockquote.evidence mark.answer").first.inner_text() == "Rashid Meredov"
    assert reply.index("negotiations between") < reply.index("Answer, checked against the quote")
    source = page.locator("#src-1-1")
    head = source.locator(".source-head").inner_text()
    assert "003_064eea4f1c13281f.txt" in head and "dated 2024-04-02" in head and "line 7" in head
    assert "negotiations between the Minister of Foreign Affairs of Turkmenistan Rashid Meredov" in \
        source.locator("mark").inner_text()
    assert "cosine similarity" in source.locator(".score").get_attribute("title"), "the score explains itself"
    assert "from 0 (unrelated) to 1" in page.locator("#sources .legend").inner_text()
    # [1] jumps to its source in the panel, on this page
    url = page.url
    page.locator('#chat a[href="#src-1-1"]').click()
    page.wait_for_function("document.querySelector('#src-1-1').classList.contains('flash')")
    assert page.url == url and len(page.context.pages) == 1
    page.screenshot(path=str(SHOTS / "1-answer-with-source.png"))


def test_follow_up_is_rewritten_and_answered_from_the_meeting_passage(page):
    reply = _ask(page, "and who did he meet?")
    assert "Searched for: Who did Rashid Meredov" in reply
    assert "Sub-Regional coordinator" in reply or "Hajiyev" in reply
    assert "Not found" not in reply
    page.screenshot(path=str(SHOTS / "2-follow-up.png"))


def test_quotes_only_reply_is_the_evidence_without_a_short_answer(page):
    _tab(page, "Settings")
    page.locator("#length").get_by_text("Quotes only").click()
    _tab(page, "Chat")
    reply = _ask(page, "Where did the meeting between Madrakhimov and the IOM coordinator take place?")
    message = page.locator("#chat .message").last
    assert "This encounter in Tashkent" in message.locator("blockquote.evidence").first.inner_text()
    assert message.locator("mark.answer").count() == 0
    assert "No short answer passed our checks" in reply and "000_dc7361d3392e1266.txt" in reply
    page.screenshot(path=str(SHOTS / "2b-evidence-only.png"))
    _tab(page, "Settings")
    page.locator("#length").get_by_text("Normal").click()
    _tab(page, "Chat")


def test_unanswerable_question_abstains_and_shows_closest_passages(page):
    reply = _ask(page, "What is the capital of Kazakhstan?")
    assert "Not found in your documents" in reply
    assert "Astana" not in reply.split("Why:")[0]
    assert "Closest passages" in reply
    assert "Not found in your documents" in page.locator("#sources .turn").first.inner_text()
    page.screenshot(path=str(SHOTS / "3-not-found.png"))


def test_the_users_question_is_shown_as_text_not_markdown(page):
    before = _send(page, "What is ![logo](http://203.0.113.9/q.png) in [the notes](http://203.0.113.9/)?")
    _reply(page, before)
    bubble = page.locator('#chat [data-testid="user"]').last
    assert bubble.locator("img").count() == 0 and bubble.locator("a").count() == 0
    assert "![logo](http://203.0.113.9/q.png)" in bubble.inner_text()  # shown as typed
    assert page.locator('#chat img[src*="203.0.113.9"]').count() == 0


def test_upload_indexes_the_new_document_and_explains_the_refused_ones(page, work):
    uploads = work / "uploads"
    uploads.mkdir()
    (uploads / "aral sea?.txt").write_text(NEW_DOC, encoding="utf-8")
    (uploads / "scan.pdf").write_bytes(b"%PDF-1.4\x00\x01binary")
    (uploads / "broken.txt").write_bytes(b"abc\x00\x00def")
    write_pdf(uploads / "report.pdf")
    _tab(page, "Documents")
    page.locator("#upload input[type=file]").set_input_files(
        [str(uploads / "aral sea?.txt"), str(uploads / "scan.pdf"), str(uploads / "broken.txt"),
         str(uploads / "report.pdf")])
    page.wait_for_function("(document.querySelector('#docs-status') || {}).innerText?.includes('Index updated')",
                           timeout=60_000)
    status = page.locator("#docs-status").inner_text()
    assert "aral sea.txt: added as aral sea.txt" in status  # Gradio already drops the "?"
    assert "scan.pdf: not added: truncated or damaged PDF" in status
    assert "report.pdf: added as report.pdf (pdf, 3 pages" in status
    assert "broken.txt: not added: binary file" in status
    table = page.locator("#documents").inner_text()
    assert "aral sea.txt" in table and "2024-05-10" in table and "report.pdf" in table
    assert (work / "docs" / "aral sea.txt").read_text(encoding="utf-8") == NEW_DOC
    assert not (work / "docs" / "scan.pdf").exists() and not (work / "docs" / "broken.txt").exists()
    page.screenshot(path=str(SHOTS / "4-documents-after-upload.png"))

    _tab(page, "Chat")
    reply = _ask(page, NEW_DOC_Q)
    assert "Dilnoza Karimova" in reply and "aral sea.txt" in reply
    # the document's markup is shown as text, never as an image the browser would fetch
    assert page.locator("#sources img, #chat img").count() == 0
    assert '<img src="http://203.0.113.9/x.png">' in page.locator("#sources").inner_text() or \
        "Dilnoza Karimova" in page.locator("#sources mark").first.inner_text()
    page.screenshot(path=str(SHOTS / "5-answer-from-upload.png"))


def _pick_and_press(page, choice: str, name: str, button: str, done_word: str) -> None:
    """On the Documents tab: choose `name` in the `choice` dropdown, press `button`, and
    wait until the status line says `done_word`."""
    _tab(page, "Documents")
    page.locator(f"#{choice} input").click()
    page.get_by_role("option", name=name).click()
    page.locator(f"#{button}").click()
    page.wait_for_function(f"(document.querySelector('#docs-status') || {{}}).innerText?.includes('{done_word}')",
                           timeout=60_000)


def test_removed_document_leaves_the_index_and_its_answers_go(page, work):
    _pick_and_press(page, "remove-choice", "aral sea.txt", "remove", "Removed")
    assert "aral sea.txt" not in page.locator("#documents").inner_text()
    assert "added as" not in page.locator("#docs-status").inner_text(), "the upload's message is replaced"
    assert not (work / "docs" / "aral sea.txt").exists()
    assert (work / "docs" / ".removed" / "aral sea.txt").is_file(), "moved aside, not deleted"
    page.screenshot(path=str(SHOTS / "6-documents-after-remove.png"))

    _tab(page, "Chat")
    page.get_by_role("button", name="New chat").click()
    page.wait_for_function("document.querySelectorAll('#chat .message').length === 0")
    reply = _ask(page, NEW_DOC_Q)
    assert "Not found in your documents" in reply and "Karimova" not in reply
    page.screenshot(path=str(SHOTS / "7-after-remove.png"))


def test_a_removed_document_is_restored_with_a_button(page, work):
    _pick_and_press(page, "restore-choice", "aral sea.txt", "restore", "Restored")
    assert "aral sea.txt" in page.locator("#documents").inner_text()
    assert (work / "docs" / "aral sea.txt").read_text(encoding="utf-8") == NEW_DOC
    page.screenshot(path=str(SHOTS / "8-documents-after-restore.png"))
    _tab(page, "Chat")
    assert "Dilnoza Karimova" in _ask(page, NEW_DOC_Q)


def test_changing_a_setting_is_confirmed(page):
    _tab(page, "Settings")
    page.get_by_label("Short").check()
    page.wait_for_function("(document.querySelector('#settings-status') || {}).innerText?.includes('short answers')",
                           timeout=30_000)  # not just 'Saved': an earlier change may have said so already
    note = page.locator("#settings-status").inner_text()
    assert "short answers" in note and "4 passages" in note and "next question" in note
    page.screenshot(path=str(SHOTS / "9-settings-saved.png"))
    page.get_by_label("Normal").check()
    _tab(page, "Chat")


def test_two_tabs_asking_at_once_each_get_their_own_answer(browser, app_url, page):
    other = _open(browser, app_url)
    questions = {page: MINISTER_Q,
                 other: "Where did the meeting between Madrakhimov and the IOM coordinator take place?"}
    befores = {tab: _send(tab, question) for tab, question in questions.items()}
    # both questions are in flight now; Playwright's sync API drives one tab at a time,
    # so collect the replies in turn
    replies = {tab: _reply(tab, before) for tab, before in befores.items()}
    assert "Rashid Meredov" in replies[page] and "Tashkent" not in replies[page]
    assert "Tashkent" in replies[other] and "Meredov" not in replies[other]
    asked = other.locator('#chat [data-testid="user"]').all_inner_texts()
    assert asked == [questions[other]], "the other tab's chat holds only its own question"
    other.screenshot(path=str(SHOTS / "10-second-tab.png"))
    other.close()


def test_at_800_px_the_sources_stay_in_view_beside_the_answer(browser, app_url):
    narrow = _open(browser, app_url, NARROW)
    narrow.wait_for_selector("#chat .example")
    assert all(_in_view(narrow, narrow.locator("#chat .example").nth(i)) for i in range(4))
    narrow.locator("#chat .example", has_text=MINISTER_Q).click()  # an example is asked when clicked
    assert "Rashid Meredov" in _reply(narrow, 0)
    first_source = narrow.locator("#src-1-1")
    assert _in_view(narrow, narrow.locator("#sources .legend")) and first_source.bounding_box()["y"] < 600
    assert first_source.bounding_box()["x"] > narrow.locator("#chat").bounding_box()["x"], "beside, not below"
    narrow.screenshot(path=str(SHOTS / "11-narrow-800px.png"))
    narrow.close()


def test_the_page_reaches_no_other_host(browser):
    assert browser.foreign_requests == []

