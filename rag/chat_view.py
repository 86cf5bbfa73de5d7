"""Pure: answers and their sources -> the markdown and HTML the chat page shows.

Every piece of text that comes from a document or from the model goes through `literal`
(markdown) or `html.escape` (HTML) here, so a document can't add links, images or markup
to the page; the only markup is ours. Citation markers link to anchors in the sources
panel of the same page (`#src-<turn>-<n>`), never to another page. No Gradio here.
"""
from __future__ import annotations

import html
import re

from .loading import parse_date_header
from .page_view import page_button
from .types import EVIDENCE, SHORT, SUMMARY, Answer, Citation, Evidence

NOT_FOUND_HEADLINE = "Not found in your documents."
DRAFT_LABEL = "Reading the passages"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_CONTEXT_CHARS = 280  # surrounding text shown on each side of a quote


def literal(text: str) -> str:
    r"""File or model text shown literally in markdown: white space folded, HTML escaped,
    and markdown syntax escaped, so a document can't add links or images (which the
    browser would fetch) or change what the quote looks like.

    >>> print(literal("![x](http://h/a.png)  *b* <i>"))
    \!\[x\]\(http://h/a\.png\) \*b\* &lt;i&gt;
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def question_message(question: str) -> str:
    """The user's own question as the chat shows it: literal text like every other text on
    the page. One HTML block, HTML escaped, white space folded: markdown leaves an HTML
    block alone, so an image or link typed in the question is neither fetched nor made a
    link (escaping the markdown alone is not enough: bare URLs would still become links).

    >>> print(question_message("![x](http://h/x.png)  [see](http://h) <img src=y>"))
    <p class="question">![x](http://h/x.png) [see](http://h) &lt;img src=y&gt;</p>
    """
    return f'<p class="question">{html.escape(" ".join(question.split()), quote=False)}</p>'


def line_span(start: int, end: int) -> str:
    """
    >>> line_span(7, 7), line_span(3, 5)
    ('line 7', 'lines 3-5')
    """
    return f"line {start}" if start == end else f"lines {start}-{end}"


def quote_place(q) -> str:
    """Where a citation or evidence is: its page in a PDF, else its lines; then its heading
    path when known, as HTML.

    >>> from rag.types import Citation
    >>> quote_place(Citation("r.pdf", 40, 41, "q", 0.5, page=2)), quote_place(Citation("a.txt", 3, 5, "q", 0.5))
    ('p. 2', 'lines 3-5')
    >>> quote_place(Citation("a.docx", 7, 7, "q", 0.5, section="Setup > <Linux>"))
    'line 7 · Setup &gt; &lt;Linux&gt;'
    """
    where = f"p. {q.page}" if q.page is not None else line_span(q.start_line, q.end_line)
    return f"{where} · {html.escape(q.section)}" if q.section else where


def anchor(turn: int, number: int) -> str:
    return f"src-{turn}-{number}"


def draft_message(draft: str, searched_for: str | None = None) -> str:
    """The reply while the model writes: its draft lines, marked as unverified.

    >>> draft_message("Rashid Meredov\\nAstana\\n")
    '_Reading the passages... unverified drafts:_ <span class="draft">Rashid Meredov / Astana</span>'
    """
    shown = " / ".join(line.strip() for line in draft.splitlines() if line.strip())
    text = f"_{DRAFT_LABEL}..._"
    if shown:
        text = f'_{DRAFT_LABEL}... unverified drafts:_ <span class="draft">{literal(shown)}</span>'
    return text + _searched_for(searched_for)


def answer_message(answer: Answer, turn: int, asked: str | None = None) -> str:
    """The final reply: the verified answer with [n] links to the sources panel, or a
    plain "not found" with the closest passages underneath.

    >>> from rag.types import Citation
    >>> a = Answer("Who?", "Ana *Torres*", False, (Citation("a.txt", 2, 2, "Ana Torres led.", 0.61),))
    >>> print(answer_message(a, 3))
    Ana \\*Torres\\* <a class="cite" href="#src-3-1">[1]</a>
    <BLANKLINE>
    <small>[1] a.txt, line 2</small>
    """
    searched = _searched_for(answer.question if asked and answer.question != asked else None)
    if answer.abstained:
        lines = [f"**{NOT_FOUND_HEADLINE}**" + searched]
        if answer.reason:
            lines.append(f"<small>Why: {literal(answer.reason)}</small>")
        if answer.hits:
            lines += ["", "Closest passages (they don't answer the question):"]
            for hit in answer.hits[:3]:
                c = hit.chunk
                lines.append(f"- `{c.source}`, {line_span(c.start_line, c.end_line)}: {literal(clip(c.text, 120))}")
        return "\n".join(lines)
    if answer.kind in (SHORT, EVIDENCE, SUMMARY) and answer.evidence:
        return evidence_message(answer, turn) + searched
    marks = " ".join(f'<a class="cite" href="#{anchor(turn, n)}">[{n}]</a>'
                     for n in range(1, len(answer.citations) + 1))
    return f"{literal(answer.text)} {marks}{searched}\n\n<small>{numbered_places(answer.citations)}</small>"


EVIDENCE_NOTE = "No short answer passed our checks; this is what the documents say."
SUMMARY_NOTE = "The key sentences, quoted in the order the document gives them."


def evidence_message(answer: Answer, turn: int) -> str:
    """Evidence first: each quoted sentence with its [n] link, the short answer highlighted
    inside the first one when it passed verification.

    >>> e = Evidence("a.txt", 2, 2, "They met in Tashkent  today.", 0.8, span=(12, 20))
    >>> print(evidence_message(Answer("Where?", "Tashkent", False, evidence=(e,), short_answer="Tashkent", kind="short"), 1))
    <blockquote class="evidence">“They met in <mark class="answer">Tashkent</mark> today.” <a class="cite" href="#src-1-1">[1]</a></blockquote>
    <BLANKLINE>
    <small>Answer, checked against the quote: <b>Tashkent</b></small>
    <small>[1] a.txt, line 2</small>
    """
    quotes = [f'<blockquote class="evidence">“{highlighted_quote(e)}” '
              f'<a class="cite" href="#{anchor(turn, n)}">[{n}]</a></blockquote>'
              for n, e in enumerate(answer.evidence, 1)]
    if answer.kind == SHORT and answer.short_answer:
        note = f"Answer, checked against the quote: <b>{literal(answer.short_answer)}</b>"
    else:
        note = SUMMARY_NOTE if answer.kind == SUMMARY else EVIDENCE_NOTE
    return "\n".join(quotes) + f"\n\n<small>{note}</small>\n<small>{numbered_places(answer.evidence)}</small>"


def numbered_places(quotes) -> str:
    """[1] a.txt, line 2<br>[2] ...: where each citation or evidence quote is, as HTML."""
    return "<br>".join(f"[{n}] {html.escape(q.source)}, {quote_place(q)}" for n, q in enumerate(quotes, 1))


def highlighted_quote(e: Evidence) -> str:
    """The quote as HTML text, white space folded (so it stays one HTML block, which
    markdown leaves alone), its answer span (if any) in <mark>.

    >>> print(highlighted_quote(Evidence("a", 1, 1, "Use  -z\\n<b>to</b> (gzip).", 0.5, span=(5, 7))))
    Use <mark class="answer">-z</mark> &lt;b&gt;to&lt;/b&gt; (gzip).
    """
    return marked_quote(e, lambda part: html.escape(" ".join(part.split()), quote=False),
                        lambda span: f'<mark class="answer">{span}</mark>')


def marked_quote(e: Evidence, escape, mark) -> str:
    """The quote through `escape` (which folds its white space), its answer span (if any)
    through `mark` too, with a space kept on either side of the span where the quote had one.

    >>> marked_quote(Evidence("a", 1, 1, "Use  -z now.", 0.5, span=(5, 7)), str.strip, lambda s: f"**{s}**")
    'Use **-z** now.'
    """
    if e.span is None:
        return escape(e.quote)
    a, b = e.span
    before, span, after = e.quote[:a], e.quote[a:b], e.quote[b:]
    lead = " " if before[-1:].isspace() else ""
    trail = " " if after[:1].isspace() else ""
    return f"{escape(before)}{lead}{mark(escape(span))}{trail}{escape(after)}"


def sources_section(answer: Answer, turn: int, file_texts: dict[str, str], dates: dict | None = None) -> str:
    """The sources panel's part for one answer: each cited file with its date, lines,
    and the quote highlighted in its surrounding text (or the closest passages). `dates`
    (file -> date) defaults to the dates of the answer's passages."""
    dates = {h.chunk.source: h.chunk.date for h in answer.hits} if dates is None else dates
    parts = [f'<section class="turn" id="turn-{turn}"><h4>Q{turn}: {html.escape(answer.question)}</h4>']
    if answer.abstained:
        parts.append(f'<p class="abstained">{NOT_FOUND_HEADLINE} Closest passages:</p>')
        for number, hit in enumerate(answer.hits[:3], 1):
            parts.append(_source_card(turn, number, hit.chunk.source, dates.get(hit.chunk.source),
                                      line_span(hit.chunk.start_line, hit.chunk.end_line), hit.similarity,
                                      html.escape(clip(hit.chunk.text, _CONTEXT_CHARS + 120))))
    for number, c in enumerate(answer.citations, 1):
        parts.append(_source_card(turn, number, c.source, dates.get(c.source),
                                  quote_place(c), c.score,
                                  quote_in_context(c, file_texts.get(c.source)), page_button(c, turn, number)))
    parts.append("</section>")
    return "\n".join(parts)


def quote_in_context(citation: Citation, file_text: str | None, chars: int = _CONTEXT_CHARS) -> str:
    """HTML: the quote in <mark>, with the text around it (the line it is on and up to a
    non-blank line either side, at most `chars` characters each way). Only the quote when the file
    changed since the answer was checked, so the highlight never lands on other words.

    >>> text = "date 2024-01-02\\nFirst line.\\n\\nAna <b>met</b> Bo. Then rain.\\nLast line.\\nMore."
    >>> start = text.index("Ana"); end = text.index(" Then")
    >>> c = Citation("a.txt", 3, 3, text[start:end], 0.5, start, end)
    >>> print(quote_in_context(c, text))
    First line.
    <BLANKLINE>
    <mark>Ana &lt;b&gt;met&lt;/b&gt; Bo.</mark> Then rain.
    Last line.
    """
    quote = html.escape(citation.quote)
    if file_text is None or file_text[citation.start_char:citation.end_char] != citation.quote:
        return f"<mark>{quote}</mark>"
    _date, body_start = parse_date_header(file_text)
    start = max(_previous_line_start(file_text, citation.start_char), body_start, citation.start_char - chars)
    end = min(_next_line_end(file_text, citation.end_char), citation.end_char + chars)
    before = file_text[start:citation.start_char]
    after = file_text[citation.end_char:end]
    before = ("…" + before.split(" ", 1)[-1]) if start == citation.start_char - chars else before
    after = (after.rsplit(" ", 1)[0] + "…") if end == citation.end_char + chars else after
    return f"{html.escape(before.lstrip())}<mark>{quote}</mark>{html.escape(after.rstrip())}"


def human_size(size: int) -> str:
    """
    >>> human_size(512), human_size(2596), human_size(3_400_000)
    ('512 B', '2.5 KB', '3.2 MB')
    """
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


SIMILARITY_HELP = ("How close this passage is to the question in meaning: the cosine similarity of their "
                   "embeddings, from 0 (unrelated) to 1 (the same meaning). On-topic passages are usually "
                   "above 0.35; below 0.25 a passage is not used.")
SIMILARITY_NOTE = ("<p class=\"legend\"><b>similarity</b>: how close a passage is to the question in meaning, "
                   "from 0 (unrelated) to 1 (the same). Answers only quote passages close enough.</p>")


def _source_card(turn: int, number: int, source: str, date: str | None, span: str, score: float,
                 body: str, button: str = "") -> str:
    """
    >>> print(_source_card(1, 2, "a.txt", None, "line 3", 0.318, "text"))  # doctest: +ELLIPSIS
    <div class="source" id="src-1-2">...· line 3 · <span class="score" title="How close...">similarity 0.32</span>...
    """
    dated = f" · dated {html.escape(date)}" if date else ""
    return (f'<div class="source" id="{anchor(turn, number)}">'
            f'<div class="source-head"><b>[{number}] {html.escape(source)}</b>{dated} · {span}'
            f' · <span class="score" title="{SIMILARITY_HELP}">similarity {score:.2f}</span>{button}</div>'
            f'<div class="context">{body}</div></div>')


def _searched_for(question: str | None) -> str:
    return f'\n\n<small class="rewritten">Searched for: {literal(question)}</small>' if question else ""


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut at a word to at most `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _previous_line_start(text: str, pos: int) -> int:
    """Start of the last non-blank line before the line holding `pos` (or of that line)."""
    own = text.rfind("\n", 0, pos) + 1
    before = text[:own].rstrip()
    return before.rfind("\n") + 1 if before else own


def _next_line_end(text: str, pos: int) -> int:
    """End of the first non-blank line after the line holding `pos` (or of that line)."""
    own = text.find("\n", pos)
    if own < 0:
        return len(text)
    after = len(text) - len(text[own:].lstrip())
    end = text.find("\n", after)
    return len(text) if end < 0 else end



def upload_message(added: list, report) -> str:
    """Markdown: what became of each uploaded file, then what indexing did.

    >>> from rag.documents import AddedFile
    >>> print(upload_message([AddedFile("a.txt", "a.txt", "added as a.txt"),
    ...                       AddedFile("b.pdf", None, "not added: only .txt files")], None))
    - **a\\.txt**: added as a\\.txt
    - **b\\.pdf**: not added: only \\.txt files
    """
    lines = [f"- **{literal(a.name)}**: {literal(a.message)}" for a in added]
    if report is not None:
        lines.append(f"\n{index_summary(report)}")
    return "\n".join(lines)


def index_summary(report) -> str:
    """One line on what an index update did (the counts line of IndexReport.lines())."""
    skipped = "".join(f"\n- skipped {literal(s.source)}: {literal(s.reason)}" for s in report.skipped)
    return f"Index updated: {literal(report.lines()[-2])}{skipped}"
