"""Binary and markup documents -> plain text, with the page and heading of every line.

PDF (pypdfium2, page by page), DOCX (python-docx: paragraphs and tables in order) and HTML
(selectolax: the main text, without script, style, navigation or footer). Each returns an
`Extracted`; a file that can't be read raises `Unreadable` with the reason and the fix.
These functions run in a child process with time and memory limits (parse_process.py),
never in the app's own process; they do no other I/O than reading the one file.
Plain-text decoding is in loading.py.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Formats read through this module, by suffix; everything else is text or unsupported.
FORMATS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html"}
# Bumped when extraction changes, so cached texts of an older extractor are made again.
EXTRACTOR_VERSION = 1

NO_TEXT = "no text: scanned pages need OCR, which is not included; export the file with its text layer"
# A .docx is a zip; these bound what we agree to inflate before python-docx sees it.
MAX_DOCX_INFLATED = 300_000_000
MAX_DOCX_RATIO = 200  # real documents compress XML 5-20x; a bomb, thousands of times


class Unreadable(Exception):
    """A file we can't extract text from; the message says why and what to do."""


@dataclass(frozen=True)
class Extracted:
    """A document's text as we index and cite it.

    `pages`: the 1-based first line of each page (PDF only; empty for formats without
    pages). `empty_pages`: 1-based pages without text. `sections`: (first line, heading
    path) where each heading starts, for DOCX and HTML.
    """

    text: str
    pages: tuple[int, ...] = ()
    empty_pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict:
        return {"text": self.text, "pages": list(self.pages), "empty_pages": list(self.empty_pages),
                "sections": [list(s) for s in self.sections]}

    @classmethod
    def from_dict(cls, data: dict) -> "Extracted":
        return cls(data["text"], tuple(data["pages"]), tuple(data["empty_pages"]),
                   tuple((int(line), str(path)) for line, path in data["sections"]))


def extract_file(path: str, kind: str) -> Extracted:
    """The text of one file of `kind` ("pdf", "docx" or "html")."""
    return {"pdf": pdf_text, "docx": docx_text, "html": html_file_text}[kind](Path(path))


class _Lines:
    """Builds a text line by line, remembering where pages and headings start."""

    def __init__(self):
        self.lines: list[str] = []
        self.sections: list[tuple[int, str]] = []
        self.headings: list[tuple[int, str]] = []  # (level, title) from the top down

    def add(self, text: str) -> None:
        for line in text.splitlines():
            line = line.rstrip()
            if line or (self.lines and self.lines[-1]):  # at most one blank line in a row
                self.lines.append(line)

    def heading(self, level: int, title: str) -> None:
        self.headings = [h for h in self.headings if h[0] < level] + [(level, title)]
        self.sections.append((len(self.lines) + 1, " > ".join(t for _, t in self.headings)))
        self.add(title + "\n\n")  # a blank line: a heading is never part of the next sentence

    def result(self, **extra) -> Extracted:
        return Extracted("\n".join(self.lines).strip("\n") + "\n", sections=tuple(self.sections), **extra)


def pdf_text(path: Path) -> Extracted:
    """Each page's text layer, pages separated by a blank line.

    A truncated file, an encrypted one and one whose pages are all images each raise
    Unreadable with their own message.
    """
    import pypdfium2

    tail = _tail(path, 2048)
    if b"%%EOF" not in tail:
        raise Unreadable("truncated or damaged PDF (it does not end with %%EOF); download or export it again")
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unreadable("encrypted PDF (it needs a password); save a copy without the password "
                             "(e.g. qpdf --decrypt --password=PW in.pdf out.pdf)") from None
        raise Unreadable(f"damaged PDF ({exc}); download or export it again") from None
    lines, starts, empty = _Lines(), [], []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            text = page.get_textpage().get_text_range()
            if lines.lines:
                lines.lines.append("")
            starts.append(len(lines.lines) + 1)
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
            if not text.strip():
                empty.append(number + 1)
                lines.lines.append("")  # the page keeps a line of its own
            else:
                lines.add(text)
    finally:
        pdf.close()
    if not starts:
        raise Unreadable("a PDF with no pages; export it again")
    if len(empty) == len(starts):
        raise Unreadable(NO_TEXT)
    return Extracted("\n".join(lines.lines) + "\n", pages=tuple(starts), empty_pages=tuple(empty))


def _tail(path: Path, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - size))
        return f.read()


def check_zip(path: Path, max_inflated: int = MAX_DOCX_INFLATED, max_ratio: int = MAX_DOCX_RATIO) -> None:
    """Refuse a .docx that is not a zip, or would inflate to more than we agree to read."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise Unreadable("not a .docx (not a zip archive, or a truncated one): an old .doc or a damaged "
                         "file; open it in Word or LibreOffice and save it as .docx again") from None
    inflated = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if inflated > max_inflated or (inflated > 10_000_000 and inflated / packed > max_ratio):
        raise Unreadable(f"refused as a zip bomb: it would inflate to {inflated / 1e6:,.0f} MB "
                         f"({inflated / packed:,.0f}x its size); a real document is never like this; save it from Word again")
    if "word/document.xml" not in {i.filename for i in infos}:
        raise Unreadable("not a Word document (no word/document.xml inside); save it as .docx again")


def docx_text(path: Path) -> Extracted:
    """Paragraphs and tables in document order; headings start sections; a table row is one
    line, its cells joined by " | "."""
    check_zip(path)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        raise Unreadable(f"damaged .docx ({type(exc).__name__}: {exc}); save it as .docx again") from None
    lines = _Lines()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    lines.add(" | ".join(cells))
            lines.add("\n")
            continue
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block.style.name if block.style is not None else "")
        if level:
            lines.add("\n")
            lines.heading(level, " ".join(text.split()))
        else:
            lines.add(text)
    return lines.result()


def _heading_level(style: str) -> int:
    """
    >>> _heading_level("Heading 2"), _heading_level("Title"), _heading_level("Normal")
    (2, 1, 0)
    """
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


# Elements whose text is never the page's content.
_NOISE = "script, style, noscript, template, nav, footer, header, aside, form, iframe, svg, [hidden]"
_BLOCKS = {"p", "div", "section", "article", "main", "li", "tr", "pre", "blockquote", "dd", "dt",
           "table", "ul", "ol", "dl", "br", "hr", "figcaption", "caption", "body", "td", "th"}


def html_file_text(path: Path) -> Extracted:
    from .loading import decode_text

    text = decode_text(path.read_bytes())
    if text is None:
        raise Unreadable("an HTML file that is not text; check the file")
    return html_text(text)


def html_text(html: str) -> Extracted:
    """The main text of a page: the <main> or <article> element if there is one, else the
    body, without script, style, navigation, header, footer, asides or forms.

    >>> html_text("<nav>Home</nav><main><h1>Tar</h1><p>It <b>packs</b> files.</p></main>"
    ...           "<script>x=1</script><footer>(c)</footer>").text
    'Tar\\n\\nIt packs files.\\n'
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(_NOISE):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    lines, words = _Lines(), []

    def flush():
        if words:
            lines.add(" ".join(" ".join(words).split()))
            words.clear()

    def walk(node):
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                words.append(child.text_content or "")
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                flush()
                title = " ".join(child.text(separator=" ").split())
                if title:
                    lines.add("\n")
                    lines.heading(int(tag[1]), title)
            elif tag == "pre":
                flush()
                lines.add(child.text())
            elif tag in ("td", "th"):
                walk(child)
                words.append(" | ")
            elif tag in _BLOCKS:
                flush()
                walk(child)
                flush()
                if tag in ("p", "table", "ul", "ol", "pre", "blockquote"):
                    lines.add("\n")
            else:
                walk(child)

    if root is not None:
        walk(root)
    flush()
    text = lines.result()
    return Extracted("\n".join(line.strip(" |") for line in text.text.split("\n")), sections=text.sections)
