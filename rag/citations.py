"""Pure: a drafted answer + the retrieved passages -> verified citations, or abstention.

The model is never trusted to cite, or to stay within the passages. For each claim (a
sentence of the draft) we look for one sentence, in the current text of a retrieved file,
that holds the claim's new information (its content words that are not already in the
question) and sits near words of the question. That sentence, copied from the file, is
the quote. Claims nothing supports are dropped; an answer with no supported claim is an
abstention. This catches the model's own knowledge ("Astana" for Kazakhstan's capital: in
no passage) and answers that only restate the question.

No I/O: callers pass the files' current text. Nothing here knows about models.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import line_of, line_starts, split_sentences
from .types import Citation, Hit

_TOKEN = re.compile(r"[^\W_]+")
_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_NO_ANSWER = re.compile(
    r"\bnot found\b|\bno (?:information|answer|mention)\b|\bnot (?:mentioned|stated|provided|"
    r"given|specified|included|available)\b|\bcannot (?:be )?(?:found|determined|answer)|"
    r"\bdo(?:es)? not (?:say|mention|contain|specify|state|provide)|\bdon'?t know\b|\bunknown\b",
    re.IGNORECASE,
)
_MONTHS = "january february march april may june july august september october november december"
_NUMBER_WORDS = "one two three four five six seven eight nine ten hundred thousand million billion"
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into onto over under between among
    and or but nor so yet if then than that this these those there here it its it's they them
    their he him his she her hers we us our you your i me my is are was were be been being am
    do does did done has have had having will would shall should can could may might must
    what which who whom whose when where why how whatever whoever also not no yes only just
    very more most much many some any each all both either neither such same other own
    answer question passage passages according document documents text""".split()
)


@dataclass(frozen=True)
class Verdict:
    text: str  # the supported claims, as the answer to show
    citations: tuple[Citation, ...]
    abstained: bool
    reason: str = ""
    only_restates: bool = False  # every claim merely repeated the question's own words


def normalize_word(word: str) -> str:
    """Lower-case, drop leading zeros and possessives, and strip common suffixes, so that
    "pledged"/"pledge", "meetings"/"meeting" and "02"/"2" compare equal.

    >>> [normalize_word(w) for w in ["Meetings", "02", "Hajiyev's", "class", "pledged", "pledge"]]
    ['meet', '2', 'hajiyev', 'class', 'pledg', 'pledg']
    """
    word = word.lower()
    if word.isdigit():
        return word.lstrip("0") or "0"
    if word.endswith("'s") or word.endswith("’s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """
    >>> sorted(content_words("Who is the Minister of Foreign Affairs?"))
    ['affair', 'foreign', 'minister']
    """
    words = set()
    for token in _TOKEN.findall(text.replace("’", "'")):
        if token.lower() in STOPWORDS:
            continue
        words.add(normalize_word(token))
    return words


def split_claims(answer: str) -> list[str]:
    """Sentences of an answer, with [n] markers removed.

    >>> split_claims("Rashid Meredov [1]. He met Hajiyev [2, 3].")
    ['Rashid Meredov.', 'He met Hajiyev.']
    """
    clean = _CITATION_MARK.sub("", answer).strip()
    return [clean[a:b] for a, b in split_sentences(clean)]


def says_not_found(draft: str) -> bool:
    """
    >>> says_not_found("NOT FOUND"), says_not_found("The passages do not mention it."), says_not_found("Tashkent")
    (True, True, False)
    """
    return not draft.strip() or bool(_NO_ANSWER.search(draft))


def wrong_answer_type(question: str, claim: str) -> str | None:
    """Why a claim can't answer the question's type, or None.

    >>> wrong_answer_type("How much funding was pledged?", "The IOM pledged support.")
    'the question asks for an amount but the answer holds no number'
    >>> wrong_answer_type("When did they meet?", "On 2 April 2024") is None
    True
    """
    q = question.lower().strip()
    has_number = bool(re.search(r"\d", claim)) or any(w in claim.lower().split() for w in _NUMBER_WORDS.split())
    if re.match(r"(how (much|many|long|old|far)|what (percentage|amount|number))\b", q):
        return None if has_number else "the question asks for an amount but the answer holds no number"
    if re.match(r"(when|(what|which) (date|day|year|years|month|time))\b", q):
        has_month = any(m in claim.lower() for m in _MONTHS.split())
        return None if has_number or has_month else "the question asks for a date but the answer holds none"
    return None


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    start: int
    end: int
    words: frozenset[str]
    nearby: frozenset[str]  # words of this sentence and its neighbours, for relevance


def _sentences(hits: list[Hit], file_texts: dict[str, str]) -> list[_Sentence]:
    """Sentences of every hit whose chunk still matches its file (stale chunks are skipped)."""
    found = []
    for hit in hits:
        chunk = hit.chunk
        text = file_texts.get(chunk.source)
        if text is None or text[chunk.start_char:chunk.end_char] != chunk.text:
            continue
        spans = split_sentences(text, chunk.start_char, chunk.end_char)
        words = [frozenset(content_words(text[a:b])) for a, b in spans]
        for i, (a, b) in enumerate(spans):
            nearby = frozenset().union(*words[max(0, i - 1): i + 2])
            found.append(_Sentence(hit, a, b, words[i], nearby))
    return found


def verify_answer(question: str, draft: str, hits: list[Hit], file_texts: dict[str, str],
                  min_support: float = 0.75, min_relevance: float = 0.3) -> Verdict:
    """Keep the claims of `draft` that the passages support, each with a verified citation.

    >>> from rag.types import Chunk, Hit
    >>> text = "Rashid Meredov is the Minister of Foreign Affairs of Turkmenistan. Rain fell."
    >>> hit = Hit(Chunk(0, "t.txt", text, 0, len(text), 1, 1), 0.7)
    >>> v = verify_answer("Who is the Minister of Foreign Affairs of Turkmenistan?", "Rashid Meredov", [hit], {"t.txt": text})
    >>> v.abstained, v.citations[0].quote
    (False, 'Rashid Meredov is the Minister of Foreign Affairs of Turkmenistan.')
    >>> verify_answer("What is the capital of Turkmenistan?", "Ashgabat", [hit], {"t.txt": text}).abstained
    True
    """
    if says_not_found(draft):
        return Verdict("", (), True, "the model found no answer in the passages")
    question_words = content_words(question)
    sentences = _sentences(hits, file_texts)
    kept, citations, reasons = [], {}, []
    checked = restated = 0
    for claim in split_claims(draft):
        words = content_words(claim)
        if not words:
            continue
        checked += 1
        novel = words - question_words
        if not novel:
            restated += 1
            reasons.append(f"{claim!r} only restates the question")
            continue
        wrong_type = wrong_answer_type(question, claim)
        if wrong_type:
            reasons.append(wrong_type)
            continue
        best, best_key = None, None
        for sentence in sentences:
            support = len(novel & sentence.words) / len(novel)
            relevance = (len(question_words & sentence.nearby) / len(question_words)) if question_words else 1.0
            if support < min_support or relevance < min_relevance:
                continue
            key = (support, relevance, sentence.hit.score)
            if best_key is None or key > best_key:
                best, best_key = sentence, key
        if best is None:
            reasons.append(f"no passage supports {claim!r}")
            continue
        kept.append(claim)
        citations.setdefault((best.hit.chunk.source, best.start), _citation(best, file_texts))
    if not kept:
        return Verdict("", (), True, "; ".join(reasons) or "the answer holds no checkable claim",
                       only_restates=checked > 0 and restated == checked)
    return Verdict(" ".join(kept), tuple(citations.values()), False, "; ".join(reasons))


def _citation(sentence: _Sentence, file_texts: dict[str, str]) -> Citation:
    source = sentence.hit.chunk.source
    text = file_texts[source]
    starts = line_starts(text)
    return Citation(
        source=source,
        start_line=line_of(starts, sentence.start),
        end_line=line_of(starts, sentence.end - 1),
        quote=text[sentence.start:sentence.end],
        score=sentence.hit.similarity,
        start_char=sentence.start,
        end_char=sentence.end,
    )


def quote_in_file(citation: Citation, file_text: str) -> bool:
    """True when the quote is exactly the file's text at the cited span and lines."""
    if file_text[citation.start_char:citation.end_char] != citation.quote:
        return False
    starts = line_starts(file_text)
    return (line_of(starts, citation.start_char), line_of(starts, citation.end_char - 1)) == (
        citation.start_line, citation.end_line)
