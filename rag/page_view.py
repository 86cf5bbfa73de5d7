"""Pure: the chat's "show page" button for a PDF citation, and what it shows.

The button names a citation by its answer's turn and its number only; `cited_page` looks
it up in the tab's own answers, so a browser can't ask for any other file or quote. The
image itself is made by page_image.py. No Gradio here.
"""
from __future__ import annotations

from .types import Citation


def page_button(citation: Citation, turn: int, number: int) -> str:
    """A "show page" button for a citation with a page (a PDF's); "" for other files. It names
    the citation by its turn and number only: the app looks the file and quote up itself.

    >>> page_button(Citation("r.pdf", 4, 4, "q", 0.5, page=2), 3, 1)
    '<button class="show-page" data-cite="3-1" title="Show page 2 with the quote highlighted">show page 2</button>'
    >>> page_button(Citation("a.txt", 4, 4, "q", 0.5), 3, 1)
    ''
    """
    if citation.page is None:
        return ""
    return (f'<button class="show-page" data-cite="{turn}-{number}" title="Show page {citation.page} '
            f'with the quote highlighted">show page {citation.page}</button>')


def cited_page(answers: list, request: str) -> tuple[Citation | None, str]:
    """The citation a "show page" request ("<turn>-<n>") names among this tab's answers, or
    None with the reason.

    >>> from rag.types import Answer
    >>> a = Answer("Who?", "Ana", False, (Citation("r.pdf", 4, 4, "Ana led.", 0.5, page=2),))
    >>> cited_page([a], "1-1")[0].page, cited_page([a], "1-2")[1], cited_page([a], "x")[1]
    (2, 'That source is no longer in this conversation.', 'That source is no longer in this conversation.')
    """
    try:
        turn, number = (int(part) for part in request.split("-"))
        citation = answers[turn - 1].citations[number - 1] if turn > 0 and number > 0 else None
    except (ValueError, IndexError, AttributeError):
        citation = None
    if citation is None or citation.page is None:
        return None, "That source is no longer in this conversation."
    return citation, ""


def page_caption(citation: Citation, highlighted: bool) -> str:
    """Markdown under the page image.

    >>> print(page_caption(Citation("r_1.pdf", 4, 4, "q", 0.5, page=2), True))
    **r\\_1\\.pdf, page 2**: the quoted text is highlighted.
    """
    from .chat_view import literal

    note = ("the quoted text is highlighted." if highlighted else
            "the quote was not found on this page's text layer (the file may have changed); "
            "re-index the folder if it did.")
    return f"**{literal(citation.source)}, page {citation.page}**: {note}"
