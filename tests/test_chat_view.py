"""What the chat page shows for answers, abstentions, drafts and uploads (pure rendering)."""
import re
from html.parser import HTMLParser

from rag.chat_view import answer_message, draft_message, quote_in_context, sources_section, upload_message
from rag.documents import AddedFile
from rag.types import Answer, Chunk, Citation, Hit

EVIL = 'Ana <img src="http://203.0.113.9/x.png"> met ![x](http://203.0.113.9/y.png) [link](http://e.x) <script>z()</script>.'
FILE = f"date 2024-03-01\nBefore it.\n{EVIL}\nAfter it.\n"


def _cited() -> Answer:
    start = FILE.index("Ana")
    end = start + len(EVIL)
    citation = Citation("notes <b>.txt", 3, 3, EVIL, 0.71, start, end)
    hit = Hit(Chunk(0, "notes <b>.txt", EVIL, start, end, 3, 3, "2024-03-01"), 0.71)
    return Answer("Who did Ana meet?", EVIL, False, (citation,), (hit,))


def _no_markup_from_documents(text: str) -> None:
    assert "<img" not in text and "<script" not in text and "<b>" not in text
    assert "](http" not in text, "a markdown link or image would survive"


def _only_our_tags(panel: str) -> None:
    """The panel's HTML holds only the tags we write, and no attribute that fetches anything."""
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append(tag)
            assert not {"src", "href", "style", "onerror"} & {name for name, _ in attrs}

    Tags().feed(panel)
    assert set(found) <= {"section", "h4", "div", "b", "mark", "p", "span"}, set(found)


def test_answer_links_each_citation_to_its_source_in_the_panel():
    message = answer_message(_cited(), 4)
    assert re.findall(r'href="([^"]+)"', message) == ["#src-4-1"], "only anchors in this page"
    _no_markup_from_documents(message)
    panel = sources_section(_cited(), 4, {"notes <b>.txt": FILE})
    assert 'id="src-4-1"' in panel and "dated 2024-03-01" in panel and "line 3" in panel
    _only_our_tags(panel)
    assert "&lt;img src=&quot;http://203.0.113.9/x.png&quot;&gt;" in panel


def test_quote_is_highlighted_in_its_surrounding_lines():
    citation = _cited().citations[0]
    shown = quote_in_context(citation, FILE)
    before, rest = shown.split("<mark>")
    quote, after = rest.split("</mark>")
    assert before.strip() == "Before it." and after.strip() == "After it."
    assert "date 2024" not in shown, "the date header is metadata, not text"
    assert quote.startswith("Ana &lt;img")


def test_quote_alone_when_the_file_changed_since_the_answer():
    citation = _cited().citations[0]
    shown = quote_in_context(citation, FILE.replace("Before", "Earlier, before"))
    assert shown.startswith("<mark>") and shown.endswith("</mark>") and "Earlier" not in shown


def test_abstention_says_not_found_and_shows_the_closest_passages():
    hit = Hit(Chunk(0, "a.txt", EVIL, 0, len(EVIL), 1, 2, None), 0.31)
    answer = Answer("What is the capital of Kazakhstan?", "I could not find the answer in the documents.",
                    True, (), (hit,), reason="no passage supports 'Astana'")
    message = answer_message(answer, 1)
    assert message.startswith("**Not found in your documents.**")
    assert "Closest passages" in message and "`a.txt`, lines 1-2" in message
    _no_markup_from_documents(message)
    panel = sources_section(answer, 1, {})
    assert "Not found in your documents" in panel and 'id="src-1-1"' in panel
    _only_our_tags(panel)


def test_rewritten_follow_up_is_shown_in_small_print_only_when_it_changed():
    answer = _cited()
    assert "Searched for" not in answer_message(answer, 1, asked=answer.question)
    assert '<small class="rewritten">Searched for: Who did Ana meet?</small>' in \
        answer_message(answer, 1, asked="and who did she meet?")
    assert "Searched for: Who did Ana meet?" in draft_message("Bo\n", "Who did Ana meet?")


def test_drafts_are_marked_unverified_and_escaped():
    shown = draft_message(EVIL + "\nsecond")
    assert "unverified" in shown and 'class="draft"' in shown
    _no_markup_from_documents(shown.replace('<span class="draft">', "").replace("</span>", ""))


def test_upload_message_names_each_file_and_escapes_it():
    shown = upload_message([AddedFile("<img src=x>.txt", None, "not added: binary file")], None)
    assert "&lt;img src=x&gt;" in shown and "<img" not in shown and "not added: binary file" in shown


def test_a_sources_score_says_what_it_is():
    from rag.chat_view import SIMILARITY_HELP, SIMILARITY_NOTE, _source_card

    card = _source_card(1, 1, "a.txt", None, "line 3", 0.32, "text")
    assert "similarity 0.32" in card and f'title="{SIMILARITY_HELP}"' in card and "score 0.32" not in card
    assert "from 0 (unrelated) to 1" in SIMILARITY_NOTE


def test_an_evidence_quote_shows_no_backslashes():
    from rag.chat_view import evidence_message
    from rag.types import Evidence

    quote = "The Sub-Regional coordinator (IOM) met ![x](http://203.0.113.9/y.png) *here*."
    shown = evidence_message(Answer("Who?", "", False, evidence=(Evidence("a.txt", 1, 1, quote, 0.8),),
                                    kind="evidence"), 1)
    assert "\\" not in shown and "Sub-Regional coordinator (IOM)" in shown
