"""Pure: the phrases of an evidence sentence that could be its short answer.

The span-ranking reader (readers/span_ranking.py) lets the model choose among these
instead of writing freely: names (runs of capitalised words), dates, numbers with their
measure, options (-x, --long-opt), upper-case identifiers, paths, quoted text, and short
runs of content words (a rough noun phrase, with its article). `plausible_spans` keeps
those the rules of answer_rules.py would not reject on sight (the kind of answer asked
for, not only the question's own words), so the model scores only real contenders.

Rule-based on purpose: no tagger, no model. Whether a span is the answer is for the model
to rank and for grounding.py to check, as for any draft.
"""
from __future__ import annotations

import re

from .answer_rules import length_problem, restates_question
from .answer_types import _IDENTIFIER, _MONTHS, _OPTION, type_problem
from .lexical import terms

# Words that end a content-word run: articles, prepositions, conjunctions, auxiliaries,
# pronouns, question words.
_FUNCTION = set("""a an the this that these those is are was were be been being am do does did
done has have had having will would can could should may might must shall of in on at by for
with from to into onto over under about as and or but nor if then than so such not no it its
he she they them his her their we our you your i which who whom whose what when where why how
while also there here all any each some other both either neither per via using used""".split())
_ARTICLES = {"the", "a", "an"}
_NAME_LINKS = {"of", "for", "and", "de", "du", "von", "van", "the"}  # inside a name: Ministry of Foreign Affairs
_EDGE = "\"'“”‘’`()[]{}<>,;:.!?"
_BREAK_AFTER = re.compile(r"[,;:.!?)\]}\"”’]$")
_BREAK_BEFORE = re.compile(r"^[(\[{\"“‘]")
_MONTH = "|".join(sorted((m for m in _MONTHS), key=len, reverse=True))
_DATE = re.compile(rf"(?<!\w)(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{_MONTH})\b\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?"
                   rf"(?:,?\s+\d{{4}}\b)?", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,:]\d+)*(?:\s*[-–]\s*\d+(?:[.,]\d+)*)?%?(?![\w-])")
_RANGE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*\s+(?:to|through|and)\s+\d+(?:[.,]\d+)*(?![\w-])")
_UNIT = re.compile(r"\s+([^\W\d_][\w/-]*)")
_QUOTED = re.compile(r"[\"“`]([^\"”`]{1,80})[\"”`]|(?<!\w)[‘']([^'’]{1,60})['’](?!\w)")
_PATH = re.compile(r"(?<!\S)[~$.]?[\w.-]*/[\w./~-]+")


def candidate_spans(text: str, most_words: int = 5) -> list[str]:
    """Every phrase of `text` that could be a short answer, once each, most specific
    kinds first (quoted, options, identifiers, paths, dates, numbers, names, then runs of
    content words of up to `most_words` words, with their article).

    >>> candidate_spans("On April 2, 2024, Rashid Meredov met the Sub-Regional coordinator in Ashgabat.")
    ['April 2, 2024', '2', '2024', 'Rashid Meredov', 'Sub-Regional', 'Ashgabat', 'April 2', 'Rashid Meredov met', 'the Sub-Regional coordinator']
    >>> candidate_spans("Use -k or --keep to keep 10 lines of $HOME/.xz (XZ_DEFAULTS).")
    ['-k', '--keep', 'HOME', 'XZ_DEFAULTS', '$HOME/.xz', '10', '10 lines', 'Use', 'Use -k', 'keep 10 lines']
    >>> candidate_spans("Levels 1 to 12 work.")[:3]
    ['1 to 12', '1', '12']
    """
    found: list[str] = []
    for m in _QUOTED.finditer(text):
        found.append(m.group(1) or m.group(2))
    found += _OPTION.findall(text)
    found += _IDENTIFIER.findall(text)
    found += [p.rstrip(".,;:)") for p in _PATH.findall(text)]
    found += [m.group().strip(" ,.") for m in _DATE.finditer(text) if re.search(r"\d", m.group())]
    found += _RANGE.findall(text)
    for m in _NUMBER.finditer(text):
        found.append(m.group())
        unit = _UNIT.match(text, m.end())
        if unit and unit.group(1).lower() not in _FUNCTION:
            found.append(f"{m.group()} {unit.group(1)}")
    found += _names(text)
    found += _content_runs(text, most_words)
    seen, spans = set(), []
    for span in found:
        span = " ".join(span.split())
        if span and span.lower() not in seen:
            seen.add(span.lower())
            spans.append(span)
    return spans


def _words(text: str) -> list[tuple[str, bool, bool]]:
    """Each word without its edge punctuation, and whether a phrase may not run past its
    start or its end (a bracket, a quote, a comma or a full stop there)."""
    return [(token.strip(_EDGE), bool(_BREAK_BEFORE.search(token)), bool(_BREAK_AFTER.search(token)))
            for token in text.split() if token.strip(_EDGE)]


def _names(text: str) -> list[str]:
    """Runs of capitalised words, linked by "of", "for", "and" or "the" inside a name
    ("Ministry of Foreign Affairs"); a leading function word ("The", "On") is dropped.

    >>> _names("The talks of Carlos Ruiz and the Ministry of Foreign Affairs ended.")
    ['Carlos Ruiz', 'Ministry of Foreign Affairs']
    """
    words = _words(text)
    names, run = [], []

    def close():
        while run and run[-1].lower() in _NAME_LINKS:
            run.pop()
        if run:
            names.append(" ".join(run))
        run.clear()

    for i, (word, break_before, break_after) in enumerate(words):
        if break_before:
            close()
        capital = word[:1].isupper() and word.lower() not in _MONTHS and not (not run and word.lower() in _FUNCTION)
        if capital or (run and word.lower() in _NAME_LINKS and i + 1 < len(words) and words[i + 1][0][:1].isupper()):
            run.append(word)
        else:
            close()
        if break_after:
            close()
    close()
    return names


def _content_runs(text: str, most_words: int) -> list[str]:
    """Runs of up to `most_words` words between function words and punctuation, with the
    article before them ("the regional director").

    >>> _content_runs("Ana met the regional director, in Lima.", 5)
    ['Ana met', 'the regional director', 'Lima']
    """
    runs, run, article = [], [], ""
    words = _words(text)

    def close():
        if 0 < len(run) <= most_words:
            runs.append(" ".join(([article] if article else []) + run))
        run.clear()

    for word, break_before, break_after in words:
        if break_before:
            close()
            article = ""
        if word.lower() in _FUNCTION:
            close()
            article = word if word.lower() in _ARTICLES else ""
        else:
            run.append(word)
        if break_after:
            close()
            article = ""
    close()
    return runs


def without_question_edges(question: str, span: str) -> str:
    """The span without the question's own words (and articles) at its ends.

    >>> without_question_edges("Who is the minister of Turkmenistan?", "Turkmenistan Rashid Meredov")
    'Rashid Meredov'
    """
    asked = set(terms(question)) | {w.lower() for w in re.findall(r"\w+", question)}
    words = span.split()

    def said(word: str) -> bool:
        w = word.strip(_EDGE).lower()
        return w in _ARTICLES or w in asked or bool(set(terms(w)) and set(terms(w)) <= asked)

    while words and said(words[0]):
        words.pop(0)
    while words and said(words[-1]):
        words.pop()
    return " ".join(words)


def rules_accept(question: str, span: str) -> bool:
    """Whether a short answer passes the quick rules: not too long, not the question's own
    words, the kind of thing asked for (answer_rules, answer_types).

    >>> rules_accept("Who did Ana meet?", "Bo Li"), rules_accept("Who did Ana meet?", "Ana")
    (True, False)
    """
    return not length_problem(span) and not restates_question(question, span) and not type_problem(question, span)


def plausible_spans(question: str, text: str, most: int = 20) -> list[str]:
    """The candidates of `text` (at most `most`) that the rules don't reject on sight: of
    the kind asked for, not only the question's words, short enough; each also without
    the question's words at its ends.

    >>> plausible_spans("Who did Carlos Ruiz meet in Lima?", "In Lima, Carlos Ruiz met Mei Lin of the WFP.")
    ['WFP', 'Mei Lin', 'Carlos Ruiz met Mei Lin', 'met Mei Lin', 'the WFP']
    >>> plausible_spans("How many lines does head print?", "head prints the first 10 lines.")
    ['10', '10 lines', 'the first 10 lines', 'first 10']
    """
    spans, seen = [], set()
    for span in candidate_spans(text):
        if len(spans) >= most:
            break  # the rest would be cut anyway: no need to check them
        for variant in (span, without_question_edges(question, span)):
            if variant and variant.lower() not in seen and rules_accept(question, variant):
                seen.add(variant.lower())
                spans.append(variant)
    return spans[:most]
