import pytest

from rag.chunking import chunk_document
from rag.citations import quote_in_file, says_not_found, split_claims, verify_answer
from rag.config import ChunkingSettings
from rag.loading import parse_date_header
from rag.types import Document, Hit

SEED = "003_064eea4f1c13281f.txt"


@pytest.fixture
def seed(seeds_copy):
    text = (seeds_copy / SEED).read_text(encoding="utf-8")
    date, start = parse_date_header(text)
    chunks = chunk_document(Document(SEED, text, "sha", start, date), ChunkingSettings())
    return text, [Hit(c, 0.6 - i * 0.05) for i, c in enumerate(chunks)]


def test_supported_answer_gets_a_verbatim_quote_with_its_lines(seed):
    text, hits = seed
    verdict = verify_answer("Who is the Minister of Foreign Affairs of Turkmenistan?",
                            "Rashid Meredov", hits, {SEED: text})
    assert not verdict.abstained and verdict.text == "Rashid Meredov"
    (citation,) = verdict.citations
    assert citation.source == SEED and "Rashid Meredov" in citation.quote
    assert citation.quote in text
    assert quote_in_file(citation, text)
    assert (citation.start_line, citation.end_line) == (7, 7)
    assert text.splitlines()[6] == citation.quote


def test_quote_check_fails_when_the_file_changes(seed):
    text, hits = seed
    verdict = verify_answer("Who is the Minister of Foreign Affairs of Turkmenistan?",
                            "Rashid Meredov", hits, {SEED: text})
    edited = text.replace("Rashid Meredov", "R. Meredov")
    assert not quote_in_file(verdict.citations[0], edited)
    assert not quote_in_file(verdict.citations[0], "\n" + text)  # same quote, other lines


def test_models_own_knowledge_is_not_cited(seed):
    text, hits = seed
    verdict = verify_answer("What is the capital of Turkmenistan?", "Ashgabat", hits, {SEED: text})
    assert verdict.abstained and not verdict.citations
    assert "no passage supports" in verdict.reason


def test_passage_word_unrelated_to_the_question_is_not_an_answer(seed):
    text, hits = seed
    # "IOM" is in the passages, but nowhere near anything about Kazakhstan or capitals
    verdict = verify_answer("What is the capital of Kazakhstan?", "IOM", hits, {SEED: text})
    assert verdict.abstained


def test_restating_the_question_is_not_an_answer(seed):
    text, hits = seed
    verdict = verify_answer("How much funding did the IOM pledge to Turkmenistan in 2024?",
                            "The IOM pledged funding to Turkmenistan in 2024.", hits, {SEED: text})
    assert verdict.abstained and verdict.only_restates and "restates" in verdict.reason


def test_amount_question_needs_a_number(seed):
    text, hits = seed
    verdict = verify_answer("How much funding did the IOM pledge to Turkmenistan?",
                            "the Plan of projects", hits, {SEED: text})
    assert verdict.abstained and "amount" in verdict.reason


def test_unsupported_sentences_are_dropped_and_supported_ones_kept(seed):
    text, hits = seed
    draft = ("Rashid Meredov is the Minister [1]. He studied in Moscow and speaks five languages [2].")
    verdict = verify_answer("Who is the Minister of Foreign Affairs of Turkmenistan?", draft, hits, {SEED: text})
    assert verdict.text == "Rashid Meredov is the Minister."
    assert len(verdict.citations) == 1 and "Moscow" in verdict.reason


def test_stale_chunk_is_never_cited(seed):
    text, hits = seed
    changed = text.replace("Rashid Meredov", "Someone Else")
    verdict = verify_answer("Who is the Minister of Foreign Affairs of Turkmenistan?",
                            "Rashid Meredov", hits, {SEED: changed})
    assert verdict.abstained


def test_date_answer_matches_despite_leading_zero(seed):
    text, hits = seed
    verdict = verify_answer("On what date did the negotiations at the MFA of Turkmenistan take place?",
                            "2 April 2024", hits, {SEED: text})
    assert not verdict.abstained
    assert all(quote_in_file(c, text) for c in verdict.citations)


@pytest.mark.parametrize("draft", ["NOT FOUND", "", "The passages do not mention this.", "Unknown."])
def test_model_saying_it_does_not_know_abstains(seed, draft):
    text, hits = seed
    assert says_not_found(draft)
    assert verify_answer("Anything?", draft, hits, {SEED: text}).abstained


def test_split_claims_removes_markers():
    assert split_claims("Meredov is minister [1][2]. Hajiyev is coordinator [3].") == [
        "Meredov is minister.", "Hajiyev is coordinator."]
