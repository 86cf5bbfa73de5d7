"""Pure: where a quote sits on a PDF page, as one rectangle per line of text.

Input: the page's characters as pdfium lists them (one string per character index,
generated line breaks included) with their boxes in PDF points (left, bottom, right, top;
origin bottom-left), and a quote taken from the stored text. The stored text was made
from the same characters but its white space differs (line breaks rewritten, lines
stripped), so matching ignores white space altogether and maps each kept character back
to its index. Output rectangles are in the image's pixels (origin top-left). No pdfium or
PIL here: page_image.py reads the page and draws.
"""
from __future__ import annotations

Box = tuple[float, float, float, float]  # left, bottom, right, top, in PDF points


def folded(chars: list[str]) -> tuple[str, list[int]]:
    """The characters without white space, and for each kept character its index.

    >>> folded(["a", " ", "b", "\\r", "\\n", "c"])
    ('abc', [0, 2, 5])
    """
    kept = [(c, i) for i, c in enumerate(chars) if c and not c.isspace()]
    return "".join(c for c, _ in kept), [i for _, i in kept]


def quote_chars(chars: list[str], quote: str) -> list[int]:
    """The character indices of the quote's first occurrence on the page, white space
    ignored; [] when the page does not hold it.

    >>> page = list("The lead is\\r\\nDilnoza Karimova. She")
    >>> idx = quote_chars(page, "is Dilnoza  Karimova.")
    >>> "".join(page[i] for i in idx)
    'isDilnozaKarimova.'
    >>> quote_chars(page, "Bob")
    []
    """
    text, index = folded(chars)
    needle = "".join(quote.split())
    at = text.find(needle) if needle else -1
    return [] if at < 0 else index[at:at + len(needle)]


def line_boxes(boxes: list[Box]) -> list[Box]:
    """Character boxes (in reading order) merged into one box per line: a character starts
    a new line when its vertical middle is outside the current line's span.

    >>> line_boxes([(10, 700, 16, 712), (16, 700, 22, 712), (10, 680, 15, 692)])
    [(10, 700, 22, 712), (10, 680, 15, 692)]
    """
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if right <= left or top <= bottom:  # generated or invisible characters have no box
            continue
        middle = (bottom + top) / 2
        line = lines[-1] if lines else None
        if line is not None and line[1] <= middle <= line[3] and left >= line[0] - 1:
            line[0], line[1] = min(line[0], left), min(line[1], bottom)
            line[2], line[3] = max(line[2], right), max(line[3], top)
        else:
            lines.append([left, bottom, right, top])
    return [tuple(line) for line in lines]


def pixel_rects(lines: list[Box], page_height: float, scale: float,
                pad: float = 1.0) -> list[tuple[int, int, int, int]]:
    """PDF boxes -> image rectangles (x0, y0, x1, y1), origin top-left, `pad` points wider
    each way so the highlight covers ascenders and descenders.

    >>> pixel_rects([(10, 700, 22, 712)], page_height=792, scale=2)
    [(18, 158, 46, 186)]
    """
    return [(round((left - pad) * scale), round((page_height - top - pad) * scale),
             round((right + pad) * scale), round((page_height - bottom + pad) * scale))
            for left, bottom, right, top in lines]


def quote_rects(chars: list[str], boxes: list[Box], quote: str, page_height: float,
                scale: float) -> list[tuple[int, int, int, int]]:
    """The image rectangles that cover `quote` on the page; [] when it is not there.

    >>> chars = list("ab cd")
    >>> boxes = [(0, 0, 5, 10), (5, 0, 10, 10), (0, 0, 0, 0), (0, -20, 5, -10), (5, -20, 10, -10)]
    >>> quote_rects(chars, boxes, "b c", page_height=10, scale=1)
    [(4, -1, 11, 11), (-1, 19, 6, 31)]
    """
    return pixel_rects(line_boxes([boxes[i] for i in quote_chars(chars, quote)]), page_height, scale)
