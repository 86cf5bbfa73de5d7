"""A draft is checked against the one sentence it was read from (grounding.check_reading),
in the current text of its file: the model's own knowledge, a restated question, the wrong
kind of answer and a stale passage never become a short answer."""
import functools

import pytest

from rag.chunking import chunk_document
from rag.citations import quote_in_file
from rag.config import ChunkingSettings
from rag.evidence import score_windows, sentence_windows
from rag.grounding import Reading, check_reading, compose, is_current
from rag.loading import parse_date_header
from rag.types import Document, Hit

SEED = "003_064eea4f1c13281f.txt"
MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"


@pytest.fixture
def seed(seeds_copy):
    text = (seeds_copy / SEED).read_text(encoding="utf-8")
    date, start = parse_date_header(text)
    chunks = chunk_document(Document(SEED, text, "sha", start, date), ChunkingSettings())
    return text, [Hit(c, 0.6 - i * 0.05, dense=0.6 - i * 0.05) for i, c in enumerate(chunks)]


def _windows(question, hits):
    windows = sentence_windows(hits)
    return score_windows(question, windows, [0.5] * len(windows), lambda stems: {s: 1.0 for s in stems})


def _check(question, draft, text, hits, containing):
    """The draft checked against the window whose sentence holds `containing`."""
    scored = next(s for s in _windows(question, hits) if containing in s.window.sentence)
    return check_reading(question, Reading(scored, draft), text, min_coverage=0.0)


def test_supported_answer_is_highlighted_in_a_verbatim_quote_with_its_lines(seed):
    text, hits = seed
    checked = _check(MINISTER_Q, "Rashid Meredov", text, hits, "Rashid Meredov")
    e = checked.evidence
    assert checked.problem is None and e.highlighted == "Rashid Meredov"
    assert (e.source, e.start_line, e.end_line) == (SEED, 7, 7)
    assert text[e.start_char:e.end_char] == e.quote == text.splitlines()[6]
    reply = compose(MINISTER_Q, _windows(MINISTER_Q, hits), [checked], {SEED: text}, min_evidence=0.0)
    assert reply.short_answer == "Rashid Meredov"
    assert all(quote_in_file(c, text) for c in reply.citations)


def test_models_own_knowledge_is_not_cited(seed):
    text, hits = seed
    checked = _check("What is the capital of Turkmenistan?", "Ashgabat", text, hits, "MFA of Turkmenistan")
    assert checked.evidence is None and "is not in the sentence it was read from" in checked.problem


def test_restating_the_question_is_not_an_answer(seed):
    text, hits = seed
    checked = _check("Who did Rashid Meredov negotiate with?", "Rashid Meredov", text, hits, "Rashid Meredov")
    assert checked.evidence is None and "only repeats the question" in checked.problem


def test_amount_question_needs_a_number(seed):
    text, hits = seed
    checked = _check("How much funding did the IOM pledge to Turkmenistan?", "Plan of projects", text, hits,
                     "Plan of projects")
    assert checked.evidence is None and "asks for a number" in checked.problem


@pytest.mark.parametrize("draft", ["NOT FOUND", "", "The passages do not mention this."])
def test_model_saying_it_does_not_know_is_no_answer(seed, draft):
    text, hits = seed
    checked = _check(MINISTER_Q, draft, text, hits, "Rashid Meredov")
    assert checked.evidence is None


def test_stale_passage_is_never_quoted(seed):
    text, hits = seed
    changed = text.replace("Rashid Meredov", "Someone Else")
    scored = _windows(MINISTER_Q, hits)
    assert not any(is_current(s, {SEED: changed}) for s in scored if "Meredov" in s.window.sentence)
    reply = compose(MINISTER_Q, scored, [], {SEED: changed}, min_evidence=0.0)
    assert all("Meredov" not in e.quote and "Someone Else" not in e.quote for e in reply.evidence)


def _manual_windows(text, question, **weights):
    from rag.grounding import order_evidence
    from rag.types import Chunk

    hit = Hit(Chunk(0, "man_tool.txt", text, 0, len(text), 1, text.count("\n") + 1), 0.6)
    windows = sentence_windows([hit])
    idf = lambda stems: {s: (2.0 if s in {"kdf", "header", "verbos"} else 1.0) for s in stems}  # noqa: E731
    return order_evidence(question, score_windows(question, windows, [0.3] * len(windows), idf, **weights))


def test_an_option_line_that_describes_its_option_is_evidence_not_a_label():
    text = ("-c, --bytes=NUM print the first NUM bytes of each file\n"
            "-v, --verbose always print headers giving file names\n"
            "-q, --quiet never print headers giving file names\n"
            "With more than one FILE, precede each with a header giving the file name.\n")
    top = _manual_windows(text, "Which option always prints the file name headers?")[0]
    assert top.window.sentence.startswith("-v, --verbose")


def test_a_short_sentence_is_read_with_the_option_it_continues_and_quoted_with_it():
    text = ("-a rounds When saving a private key, this option specifies the number of KDF rounds used.\n"
            "The default is 16 rounds.\n"
            "For example, saving the key with 100 rounds is slower.\n")
    question = "How many KDF rounds are used by default when saving a private key?"
    top = _manual_windows(text, question, context_weight=0.5)[0]
    assert top.window.sentence == "The default is 16 rounds."
    assert top.window.quoted_text.startswith("-a rounds When saving")  # the quote shows what it is about
    alone = _manual_windows(text, question, context_weight=0.0)[0]
    assert alone.window.sentence.startswith("For example")  # what the context weight fixes


CURL_PAGE = ("OPTIONS\n"
             "       --create-dirs\n"
             "              When used with -o, curl creates the local directory hierarchy as needed.\n\n"
             "              Created dirs are made with mode 0750 on unix style file systems.\n\n"
             "       --create-file-mode <mode>\n"
             "              When curl creates files remotely, this sets their mode.\n\n"
             "              Files are made with mode 0644 by default.\n")


def _page_windows(text, question):
    from rag.types import Chunk

    hit = Hit(Chunk(0, "man_curl.txt", text, 0, len(text), 1, text.count("\n") + 1), 0.6, dense=0.6)
    windows = sentence_windows([hit])
    return score_windows(question, windows, [0.5] * len(windows), lambda stems: {s: 1.0 for s in stems})


def test_a_sentence_of_an_option_entry_answers_for_its_option_without_naming_it():
    question = "With what mode does curl --create-dirs create directories?"
    scored = _page_windows(CURL_PAGE, question)
    inside = next(s for s in scored if s.window.sentence.startswith("Created dirs"))
    checked = check_reading(question, Reading(inside, "mode 0750"), CURL_PAGE, min_coverage=0.0)
    assert checked.problem is None and checked.evidence.highlighted == "mode 0750"
    reply = compose(question, scored, [checked], {"man_curl.txt": CURL_PAGE}, min_evidence=0.0)
    assert reply.short_answer == "mode 0750" and reply.evidence[0].quote.startswith("Created dirs")


def test_a_sentence_of_another_options_entry_is_refused():
    question = "With what mode does curl --create-dirs create directories?"
    other = next(s for s in _page_windows(CURL_PAGE, question) if s.window.sentence.startswith("Files are made"))
    checked = check_reading(question, Reading(other, "0644"), CURL_PAGE, min_coverage=0.0)
    assert checked.evidence is None and "does not mention '--create-dirs'" in checked.problem


def test_a_name_with_a_number_attached_names_the_name():
    text = "## Contributing\n\nAll code must conform to C89 and pass the CI tests.\n"
    question = "Which C standard must all code conform to?"
    scored = _page_windows(text, question)
    inside = next(s for s in scored if "C89" in s.window.sentence)
    checked = check_reading(question, Reading(inside, "C89"), text, min_coverage=0.0)
    assert checked.problem is None and checked.evidence.highlighted == "C89"


def test_an_abstention_says_why_the_closest_sentences_were_set_aside():
    question = "With what mode does curl --turbo-dirs create directories?"
    scored = _page_windows(CURL_PAGE, question)
    reply = compose(question, scored, [], {"man_curl.txt": CURL_PAGE}, min_evidence=0.0)
    assert reply.kind == "abstained"
    assert reply.reason.startswith("the closest sentences were set aside: the sentence does not mention '--turbo-dirs'")


SSH_PAGE = ("OPTIONS\n"
            "       -a rounds\n"
            "              When saving a private key, this option specifies the number of KDF rounds used.\n\n"
            "              Higher numbers result in slower passphrase verification.\n\n"
            "              The default is 16 rounds.\n\n"
            "       -b bits\n"
            "              Specifies the number of bits in the key to create. The default is 3072 bits.\n")


def _scored(pages: dict[str, str], question: str, **weights):
    from rag.grounding import entry_head_of, order_evidence
    from rag.types import Chunk

    hits = [Hit(Chunk(i, name, text, 0, len(text), 1, text.count("\n") + 1), 0.6) for i, (name, text) in
            enumerate(pages.items())]
    windows = sentence_windows(hits)
    idf = lambda stems: {s: (2.0 if s in {"kdf", "round", "gzip"} else 1.0) for s in stems}  # noqa: E731
    return order_evidence(question, score_windows(question, windows, [0.3] * len(windows), idf,
                                                  entry_of=functools.partial(entry_head_of, texts=pages), **weights))


def test_a_sentence_deep_in_an_option_entry_counts_the_terms_of_the_entry_head():
    question = "How many KDF rounds are used by default when saving a private key?"

    def checked(weight):
        scored = _scored({"man_ssh-keygen.txt": SSH_PAGE}, question, entry_weight=weight)
        assert scored[0].window.sentence == "The default is 16 rounds."
        return check_reading(question, Reading(scored[0], "16"), SSH_PAGE, min_coverage=0.5)

    assert checked(0.5).problem is None and checked(0.5).evidence.highlighted == "16"
    assert "carries too few of the question's terms" in checked(0.0).problem  # what the entry's head fixes


def test_a_manual_naming_another_tools_page_is_not_about_that_tool():
    pages = {"man_zstd.txt": "zstd is a fast lossless compression algorithm, with syntax similar to gzip(1).\n",
             "man_gzip.txt": "Compression is done with Lempel-Ziv coding (LZ77), the same as in zip.\n"}
    top = _scored(pages, "Which compression algorithm does gzip use?")[0]
    assert top.window.hit.chunk.source == "man_gzip.txt"


def test_a_reply_of_evidence_alone_can_be_held_to_a_higher_bar():
    question = "With what mode does curl --create-dirs create directories?"
    scored = _page_windows(CURL_PAGE, question)
    texts = {"man_curl.txt": CURL_PAGE}
    assert compose(question, scored, [], texts, min_evidence=0.0).kind == "evidence"
    strict = compose(question, scored, [], texts, min_evidence=0.0, min_evidence_only=scored[0].score + 0.01)
    assert strict.kind == "abstained" and "close enough to quote alone" in strict.reason
    inside = next(s for s in scored if s.window.sentence.startswith("Created dirs"))
    checked = check_reading(question, Reading(inside, "mode 0750"), CURL_PAGE, min_coverage=0.0)
    short = compose(question, scored, [checked], texts, min_evidence=0.0, min_evidence_only=scored[0].score + 0.01)
    assert short.short_answer == "mode 0750"  # a verified short answer keeps the usual bar
