"""The chat's "show page" button in a real headless Chromium, with the fake models, over a
3-page PDF and a .docx: a PDF source has the button and shows its page with the quote
highlighted (served by the app itself); a .docx source has no button. The screenshot goes
to tests/screenshots/12-page-view.png."""
import sys
from pathlib import Path

import pytest

from document_files import write_docx, write_pdf
from headless_browser import BROWSER_TEST, SHOTS, ask, launched, open_page
from served_app import served_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRIPT = {"lead hydrologist": "Dilnoza Karimova", "salinometer": "every Monday before sunrise"}

pytestmark = BROWSER_TEST


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("pages")
    (work / "docs").mkdir()
    write_pdf(work / "docs" / "report.pdf")
    write_docx(work / "docs" / "manual.docx")
    with served_url(work / "docs", work / "index", SCRIPT) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with launched() as browser:
        yield open_page(browser, app_url)


def test_a_pdf_source_shows_its_page_with_the_quote_highlighted(page, app_url):
    ask(page, "Who is the lead hydrologist of the station?")
    source = page.locator("#sources .turn").first.locator(".source").first
    assert "report.pdf" in source.inner_text() and "p. 2" in source.inner_text()
    source.locator("button.show-page").click()
    image = page.locator("#page-view img")
    image.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("() => { const i = document.querySelector('#page-view img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
    assert image.get_attribute("src").startswith(app_url)  # served by the app, from its own folder
    assert "report.pdf, page 2: the quoted text is highlighted" in page.locator("#page-note").inner_text()
    assert page.evaluate("() => document.querySelector('#page-view img').naturalWidth") > 800
    image.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "12-page-view.png"))
    image.screenshot(path=str(SHOTS / "12b-page-image.png"))


def test_a_docx_source_has_no_page_button(page):
    ask(page, "When should the salinometer be calibrated?")
    latest = page.locator("#sources .turn").first
    assert "manual.docx" in latest.inner_text()
    assert latest.locator("button.show-page").count() == 0
