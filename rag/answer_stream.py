"""The stream an Assistant answers with, and the per-question settings keywords.

AnswerStream hands out the model's text as it is generated and, once iterated to the
end, the final Answer. `settings_keywords` gives `ask`/`stream` their `top_k=` and `mode=`,
and `sources=`/`since=`/`until=`, which limit the files that may answer (filters.py).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from .config import Settings
from .errors import FilterError
from .filters import DocumentFilter
from .types import Answer


class AnswerStream:
    """Iterate to receive the model's text as it is generated; then read `.answer`.

    The pieces are the model's draft (for base models, one line per sentence read). The
    final `Answer` (evidence, a verified short answer if any, or an abstention) is ready
    once the iteration ends. Iterating again replays the same pieces; the model is not run
    twice.
    """

    def __init__(self, pieces: Iterator[str], finish: Callable[[str], Answer], question: str | None = None):
        self._pieces = pieces
        self._finish = finish
        self._seen: list[str] = []
        self.answer: Answer | None = None
        self.question = question  # what was searched for: a follow-up made to stand alone

    def __iter__(self) -> Iterator[str]:
        if self.answer is not None:
            yield from self._seen
            return
        for piece in self._pieces:
            self._seen.append(piece)
            yield piece
        self.answer = self._finish("".join(self._seen))


def settings_keywords(method):
    """`top_k=` and `mode=` on a question: its settings with those applied, like
    `settings=assistant.settings.with_top_k(2)`; the Assistant's own stay as they are.
    `sources=`, `since=` and `until=` become the question's `document_filter`
    (filters.py), checked here, before any work."""
    @functools.wraps(method)
    def with_keywords(self, question, *, settings: Settings | None = None, top_k: int | None = None,
                      mode: str | None = None, sources=None, since=None, until=None,
                      document_filter: DocumentFilter | None = None, **kwargs):
        if top_k is not None or mode is not None:
            settings = (settings or self.settings).with_top_k(top_k).with_mode(mode)
        return method(self, question, settings=settings,
                      document_filter=question_filter(document_filter, sources, since, until), **kwargs)
    return with_keywords


def question_filter(document_filter: DocumentFilter | None, sources, since, until) -> DocumentFilter | None:
    """A question's filter: `document_filter` as given, or one made of the keywords.

    >>> question_filter(None, ["*.md"], None, "2024-12-31").until
    datetime.date(2024, 12, 31)
    >>> question_filter(None, None, None, None) is None
    True
    """
    built = DocumentFilter.of(sources, since, until)
    if built is not None and document_filter is not None:
        raise FilterError("give either document_filter= or sources=/since=/until=, not both")
    return built or document_filter
