"""Real PDFs for the PDF ingestion benchmark, made from what a Debian machine already holds.

    python benchmarks/pdf_corpus.py [--out benchmarks/results/pdfs]

Copies the PDF manuals that Debian packages ship (/usr/share/doc/**.pdf) and prints real
HTML manuals from /usr/share/doc to PDF with headless chromium (text layer, several pages
each). Nothing is written by hand and nothing is committed: the set is made again on any
machine with these packages; a missing source is left out and named.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "pdfs"
SHIPPED_PDFS = ["/usr/share/doc/libtasn1-doc/libtasn1.pdf",
                "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"]
HTML_MANUALS = ["/usr/share/doc/bzip2/manual.html", "/usr/share/doc/bc/bc.html",
                "/usr/share/doc/fontconfig/fontconfig-user.html", "/usr/share/doc/valgrind/html/manual-core.html",
                "/usr/share/doc/nodejs/api/events.html", "/usr/share/doc/nodejs/api/url.html",
                "/usr/share/doc/libxslt1-dev/html/xslt.html", "/usr/share/doc/base-passwd/users-and-groups.html"]


def print_to_pdf(html: Path, pdf: Path, chromium: str = "chromium") -> None:
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.as_uri()], check=True, capture_output=True, timeout=300)


def page_count(pdf: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


def build(out: Path = DEFAULT_OUT) -> dict[str, int]:
    """Write the set into `out` (emptied first); return pages per file."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for source in map(Path, SHIPPED_PDFS):
        if source.is_file():
            shutil.copy(source, out / source.name)
        else:
            print(f"left out (not on this machine): {source}", file=sys.stderr)
    for source in map(Path, HTML_MANUALS):
        if source.is_file():
            print_to_pdf(source, out / f"{source.parent.name}-{source.stem}.pdf")
        else:
            print(f"left out (not on this machine): {source}", file=sys.stderr)
    return {pdf.name: page_count(pdf) for pdf in sorted(out.glob("*.pdf"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    pages = build(args.out)
    for name, count in pages.items():
        print(f"{count:5} pages  {name}")
    print(f"{sum(pages.values()):5} pages in {len(pages)} PDFs: {args.out}")


if __name__ == "__main__":
    main()
