"""Main-text extraction from HTML: selectolax vs BeautifulSoup vs trafilatura, side by side.

    PYTHONPATH=/tmp/htmlbench .venv/bin/python benchmarks/html_parsers.py [FILE.html ...]

(trafilatura and beautifulsoup4 are not dependencies of rag: install them anywhere on the
path, e.g. `pip install --target /tmp/htmlbench trafilatura beautifulsoup4`.) For each page
it prints milliseconds per parse (best of 5) and the characters of text kept, and whether a
script/nav/footer marker leaked into the text. Default pages: HTML manuals under
/usr/share/doc on Debian.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT = ["/usr/share/doc/python3/python-policy.html", "/usr/share/doc/libjs-underscore/index.html",
           "/usr/share/doc/zlib1g-dev/examples/zlib_how.html"]
NOISE = ["<script>var tracker = 'SCRIPTNOISE';</script>", "<nav><a href='/'>NAVNOISE home</a></nav>",
         "<footer>FOOTERNOISE copyright</footer>", "<style>.x{color:red} /* STYLENOISE */</style>"]


def with_noise(html: str) -> str:
    """The page with a script, nav, footer and style block added inside <body>."""
    at = html.lower().find("<body")
    at = html.find(">", at) + 1 if at >= 0 else 0
    return html[:at] + "".join(NOISE) + html[at:]


def selectolax_text(html: str) -> str:
    from rag.formats import html_text
    return html_text(html).text


def bs4_text(html: str) -> str:
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "nav", "footer", "header", "aside", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n")


def trafilatura_text(html: str) -> str:
    import trafilatura
    return trafilatura.extract(html, include_tables=True) or ""


def main(paths: list[str]) -> None:
    parsers = {"selectolax": selectolax_text, "beautifulsoup4": bs4_text, "trafilatura": trafilatura_text}
    print(f"{'page':28} {'parser':15} {'ms':>8} {'chars':>8}  noise leaked")
    for path in paths:
        html = with_noise(Path(path).read_text(encoding="utf-8", errors="replace"))
        for name, parse in parsers.items():
            parse(html)  # warm up imports
            best = min(_timed(parse, html) for _ in range(5))
            text = parse(html)
            leaked = [m for m in ("SCRIPTNOISE", "NAVNOISE", "FOOTERNOISE", "STYLENOISE") if m in text]
            print(f"{Path(path).name[:28]:28} {name:15} {best * 1000:8.2f} {len(text):8}  {leaked or '-'}")


def _timed(parse, html) -> float:
    t0 = time.perf_counter()
    parse(html)
    return time.perf_counter() - t0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="HTML main-text extraction, three libraries side by side.")
    parser.add_argument("pages", nargs="*", help="HTML files (default: manuals under /usr/share/doc)")
    main(parser.parse_args().pages or DEFAULT)
