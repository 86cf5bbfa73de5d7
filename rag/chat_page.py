"""Pure: the chat page's fixed parts (CSS, the citation-link script, empty states) and the
strings it builds from the Assistant's state (the status line, a tab's settings and their
confirmation, a conversation's messages and sources). No Gradio here; chat_app.py lays the
page out and wires its events.
"""
from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from .chat_view import SIMILARITY_NOTE, answer_message, human_size, question_message, sources_section
from .collections import DEFAULT

# Answer length -> tokens a base model may write per passage read (reading_max_tokens);
# models with a chat template get three times as many for their one answer (max_tokens).
# "Quotes only" asks no model: the reply is the evidence sentences alone.
ANSWER_LENGTHS = {"Short": 16, "Normal": 32, "Long": 64, "Quotes only": 0}
NO_SOURCES = ('<p class="empty">The sources of each answer appear here: the file, its date, the lines, '
              'and the quote highlighted in its text. Click [1] in an answer to jump to its source; '
              '<i>show page</i> on a PDF source shows the page with the quote highlighted.</p>')
DOC_HEADERS = ["Document", "Date", "Passages", "Size", "Pages", "Characters"]

CSS = """
#sources { max-height: 540px; overflow-y: auto; }
#sources .legend { font-size: 0.8em; color: var(--body-text-color-subdued); margin: 0 0 0.5em; }
#sources .turn h4 { margin: 0.6em 0 0.3em; font-size: 0.95em; }
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 6px;
                   padding: 6px 8px; margin-bottom: 8px; transition: background 0.4s; }
#sources .source.flash { background: var(--color-accent-soft); }
#sources .source-head { font-size: 0.85em; margin-bottom: 4px; }
#sources .score { border-bottom: 1px dotted currentColor; cursor: help; }
#sources .context { white-space: pre-wrap; font-size: 0.9em; line-height: 1.4; }
#sources mark { background: #fde68a; color: inherit; padding: 0 1px; }
#sources .abstained { font-weight: 600; }
#chat .draft { color: var(--body-text-color-subdued); font-style: italic; }
#chat small.rewritten { color: var(--body-text-color-subdued); }
#chat blockquote.evidence { border-left: 3px solid #f59e0b; margin: 0.3em 0; padding: 0.2em 0.7em; }
#chat mark.answer { background: #fde68a; color: inherit; font-weight: 600; padding: 0 2px; }
#sources button.show-page { margin-left: 6px; padding: 0 8px; font-size: 0.95em; cursor: pointer;
                            border: 1px solid var(--border-color-primary); border-radius: 4px;
                            background: var(--button-secondary-background-fill); }
#sources button.show-page:hover { background: var(--button-secondary-background-fill-hover); }
.page-control { display: none !important; }
#history-row { align-items: flex-end; }
#new-chat { margin-bottom: 2px; }
"""
# Citation links jump within the page; Gradio would open links in a new tab otherwise.
HEAD = """<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault(); event.stopPropagation();
  const target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  target.scrollIntoView({block: 'center'});
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1600);
}, true);
// "show page" in a source: hand its citation ("turn-n") to the hidden box and press the
// hidden button, whose event renders the page under the sources.
document.addEventListener('click', (event) => {
  const button = event.target.closest && event.target.closest('button.show-page');
  if (!button) return;
  const box = document.querySelector('#page-request textarea, #page-request input');
  const go = document.querySelector('#page-go');
  if (!box || !go) return;
  box.value = button.dataset.cite;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => go.click(), 0);
}, true);
</script>"""
# Where the browser keeps its chats (localStorage). Gradio encrypts them with this key,
# which the page itself carries: it keeps the store unreadable at a glance, not secret.
# Fixed, so the chats outlive a restart of the app (a random key would orphan them).
STORE_KEY = "rag-chats"
STORE_SECRET = "rag-chat-history"
# Which chat a browser tab shows is kept in the tab's sessionStorage, which survives a
# reload but is not shared with other tabs; the chats themselves are in localStorage.
TAB_CHAT_KEY = "rag-chat-id"
LOAD_TAB_CHAT_JS = f"""(store, chatId, ...rest) => {{
  let id = null;
  try {{ id = sessionStorage.getItem('{TAB_CHAT_KEY}'); }} catch (e) {{}}
  return [store, id || '', ...rest];
}}"""
FOCUS_QUESTION_JS = "() => { document.querySelector('#question textarea')?.focus(); }"
SAVE_TAB_CHAT_JS = f"""(chatId) => {{
  try {{ sessionStorage.setItem('{TAB_CHAT_KEY}', chatId || ''); }} catch (e) {{}}
}}"""


def describe(assistant) -> str:
    """The status line above the tabs: what is loaded, from where, with which model. The
    folder is named, not its absolute path (the page's /config is readable by any caller;
    the start-up output gives the full path); a collection other than the default, by name."""
    files = len(assistant.store.manifest.files)
    collection = assistant_collection(assistant)
    named = f" (collection **{html.escape(collection)}**)" if collection != "default" else ""
    return (f"**Ready.** Answering from **{files} files** ({len(assistant.store)} passages) in "
            f"`{Path(assistant.docs).name}/`{named} with `{assistant.generator.model_id}`. Every answer cites the "
            f"file and lines it comes from; when the documents don't hold the answer, it says so.")


def name_pattern(source: str) -> str:
    """A file's name as a `sources` pattern (rag/filters.py) that matches that name, not
    names like it: the pattern characters `*`, `?` and `[` are put in brackets. (A name
    without a folder still matches a file of that name in a subfolder too, and letters
    match in either case: the filters' rule.)

    >>> name_pattern("notes [draft]*.txt"), name_pattern("sub/a.txt")
    ('notes [[]draft][*].txt', 'sub/a.txt')
    """
    return re.sub(r"([*?\[])", r"[\1]", source)


def question_filters(picked, since, until) -> dict:
    """The filter keywords of Assistant.stream for the documents a tab chose (none: all).

    >>> question_filters(["a*.txt"], " 2024-01-01 ", "")
    {'sources': ['a[*].txt'], 'since': '2024-01-01'}
    >>> question_filters([], None, None)
    {}
    """
    chosen = {"sources": [name_pattern(p) for p in picked or []], "since": (since or "").strip(),
              "until": (until or "").strip()}
    return {name: value for name, value in chosen.items() if value}


def scope_label(picked, total: int, since, until) -> str:
    """The title of the "documents to search" panel: which files and dates a question uses.

    >>> scope_label([], 12, "", None)
    'Documents to search: all 12'
    >>> scope_label(["a.txt"], 12, "2024-01-01", "")
    'Documents to search: a.txt, dated from 2024-01-01'
    >>> scope_label(["a.txt", "b.txt"], 12, "", "2024-12-31")
    'Documents to search: 2 of 12, dated until 2024-12-31'
    """
    picked = list(picked or [])
    which = f"all {total}" if not picked else picked[0] if len(picked) == 1 else f"{len(picked)} of {total}"
    dates = [f"from {since.strip()}" if (since or "").strip() else "",
             f"until {until.strip()}" if (until or "").strip() else ""]
    dated = " ".join(d for d in dates if d)
    return f"Documents to search: {which}" + (f", dated {dated}" if dated else "")


def sources_panel(sections: list[str]) -> str:
    """The sources panel: the latest answer's sources first, under what "similarity" means."""
    return SIMILARITY_NOTE + "\n".join(reversed(sections)) if sections else NO_SOURCES


def turn_view(turn, number: int, source_text) -> tuple[list[dict], str]:
    """A turn (chat_history.Turn) as the page shows it: its two chat messages and its part
    of the sources panel. `source_text(source)` gives a file's current text, or None."""
    answer = turn.answer
    messages = [{"role": "user", "content": question_message(turn.asked)},
                {"role": "assistant", "content": answer_message(answer, number, asked=turn.asked)}]
    texts = {c.source: source_text(c.source) for c in answer.citations}
    return messages, sources_section(answer, number, texts, turn.dates)


def conversation_view(turns, source_text) -> tuple[list[dict], list[str]]:
    """A conversation's chat messages and sources sections, its turns numbered from 1."""
    messages, sections = [], []
    for number, turn in enumerate(turns, 1):
        shown, section = turn_view(turn, number, source_text)
        messages += shown
        sections.append(section)
    return messages, sections


def empty_chat(examples: list[str]) -> str:
    """What the empty chat says above its example questions."""
    if examples:
        return "**Ask a question about your documents**, or try one of these, taken from them:"
    return "**Ask a question about your documents.** Every answer quotes the lines it comes from."


def chosen_settings(assistant, top_k: int, model: str | None, length: str):
    """The Assistant's settings with this tab's choices applied. `model` is a file name from
    model_choices() (the page never sends paths); any other name keeps the current model."""
    settings = assistant.settings
    known = {p.name: str(p) for p in assistant.model_choices()}
    model = known.get(Path(model).name) if model else None
    tokens = ANSWER_LENGTHS.get(length, ANSWER_LENGTHS["Normal"])
    generation = dataclasses.replace(settings.generation, reading_max_tokens=tokens or 1, max_tokens=3 * tokens or 1,
                                     reading_windows=settings.generation.reading_windows if tokens else 0)
    models = dataclasses.replace(settings.models, gguf_path=model or settings.models.gguf_path)
    return dataclasses.replace(settings, generation=generation, models=models).with_top_k(int(top_k))


def settings_note(top_k: int, model: str | None, length: str) -> str:
    """The confirmation shown when a setting changes.

    >>> settings_note(2, "/m/gemma.gguf", "Short")
    'Saved for this tab: **2 passages** read per question, **short** answers, model `gemma.gguf`. They apply from your next question.'
    >>> settings_note(1, None, "Quotes only")
    'Saved for this tab: **1 passage** read per question, **quotes only**, no model. They apply from your next question.'
    """
    passages = f"{int(top_k)} passage{'s' if int(top_k) != 1 else ''}"
    answers = "**quotes only**, no model" if not ANSWER_LENGTHS.get(length, 1) else f"**{length.lower()}** answers"
    named = f", model `{html.escape(Path(model).name)}`" if model else ""
    return (f"Saved for this tab: **{passages}** read per question, {answers}{named}. "
            f"They apply from your next question.")


def document_rows(assistant) -> list[list]:
    return [[d.source, d.date or "", d.chunks, "missing" if d.size is None else human_size(d.size),
             pages_cell(d), f"{d.chars:,}"] for d in assistant.documents()]


def pages_cell(d) -> str:
    """The documents table's pages column, pages without text flagged.

    >>> from rag.documents import DocumentInfo
    >>> pages_cell(DocumentInfo("r.pdf", None, 3, 900, "pdf", 3, (2,))), pages_cell(DocumentInfo("a.txt", None, 1, 9))
    ('3 (no text on p. 2)', '')
    """
    if not d.pages:
        return ""
    return f"{d.pages} (no text on p. {', '.join(map(str, d.empty_pages))})" if d.empty_pages else str(d.pages)


def assistant_collection(assistant) -> str:
    """The collection an Assistant answers from (collections.DEFAULT for one opened without;
    the page's test stand-ins have none)."""
    return getattr(assistant, "collection", DEFAULT)

