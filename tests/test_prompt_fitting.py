"""Prompts are cut to the model's context, never refused for length (hardening item 4).

FakeLlama stands in for llama_cpp.Llama: it counts one token per two characters of each
word, so a 20,000-character "word" is 10,000 tokens, and like llama.cpp it refuses a
prompt longer than its context.
"""
import re

import pytest

from fakes import CachingLlama, HashingEmbedder
from rag import Assistant
from rag.config import GenerationSettings, RetrievalSettings, Settings
from rag.prompting import build_prompt, build_reading_prompt
from rag.types import Chunk, Hit

GIANT = "x" * 20_000
N_CTX = 2048
TEXT = (f"Ana Torres met Bo Lin in Lima on Monday. {GIANT} The meeting in Lima was about trade.\n")
QUESTION = "Who did Ana Torres meet in Lima on Monday?"


def count_words(text: str) -> int:
    return sum(-(-len(w) // 2) for w in re.findall(r"\S+", text))


class FakeLlama(CachingLlama):
    def __init__(self, chat_template: bool = False):
        super().__init__()
        self.metadata = {"tokenizer.chat_template": "{{ messages }}"} if chat_template else {}
        self.prompts: list[str] = []

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return [7] * (count_words(data.decode("utf-8")) + int(add_bos))

    def _admit(self, text: str, max_tokens: int) -> None:
        used = len(self.tokenize(text.encode("utf-8")))
        if used >= N_CTX:
            raise ValueError(f"Requested tokens ({used}) exceed context window of {N_CTX}")
        assert used + max_tokens <= N_CTX, "no room left for the answer"
        self.prompts.append(text)

    def create_completion(self, prompt, stop=(), logit_bias=None, max_tokens=16, **_options):
        self._admit(prompt, max_tokens)
        answer = "Bo Lin" if "Bo Lin" in prompt.rsplit("Passage:", 1)[-1] else "NOT FOUND"
        yield {"choices": [{"text": answer}]}

    def create_chat_completion(self, messages, max_tokens=16, **_options):
        self._admit("".join(f"<turn {m['role']}>\n{m['content']}<end>\n" for m in messages), max_tokens)
        yield {"choices": [{"delta": {"content": "Bo Lin [1]"}}]}


@pytest.fixture
def fake_llama(monkeypatch):
    import rag.generation

    made = []

    def load(path, settings):
        made.append(FakeLlama(chat_template="chat" in str(path)))
        return made[-1]

    monkeypatch.setattr(rag.generation, "load_llama", load)
    return made


def _generator(kind: str):
    from rag.generation import LlamaGenerator

    return LlamaGenerator(f"{kind}.gguf", GenerationSettings(n_ctx=N_CTX))


def _hit(text, source="a.txt", score=0.9):
    return Hit(Chunk(0, source, text, 0, len(text), 1, 1), score, dense=score)


def test_a_giant_token_in_a_reading_window_is_cut_not_refused(fake_llama):
    generator = _generator("base")
    prompt = build_reading_prompt(QUESTION, TEXT, max_tokens=32)
    assert "".join(generator.generate(prompt)) == "Bo Lin"
    [sent] = fake_llama[0].prompts
    assert "Ana Torres met Bo Lin in Lima on Monday." in sent and GIANT not in sent


def test_a_giant_token_in_a_chat_prompt_is_cut_not_refused(fake_llama):
    generator = _generator("chat")
    prompt = build_prompt(QUESTION, [_hit(TEXT)])
    assert "".join(generator.generate(prompt)) == "Bo Lin [1]"
    [sent] = fake_llama[0].prompts
    assert "Ana Torres met Bo Lin in Lima on Monday." in sent and "about trade" in sent


@pytest.mark.parametrize("kind", ["base", "chat"])
def test_asking_next_to_a_giant_token_answers_with_top_k_1(tmp_path, fake_llama, kind):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "meeting.txt").write_text(TEXT)
    settings = Settings(retrieval=RetrievalSettings(top_k=1), generation=GenerationSettings(n_ctx=N_CTX))
    assistant = Assistant.open(docs, tmp_path / "idx", settings=settings, embedder=HashingEmbedder(),
                               generator=_generator(kind))
    answer = assistant.ask(QUESTION)
    assert not answer.abstained, answer.reason
    assert "Bo Lin" in answer.text
    assert all(GIANT not in p for p in fake_llama[0].prompts)


# ---- the pure function ------------------------------------------------------------------

def _measure(prompt) -> int:
    return count_words(prompt.completion)


def test_a_prompt_that_fits_is_left_as_it_is():
    from rag.prompting import fit_prompt

    prompt = build_prompt(QUESTION, [_hit("Ana met Bo. They talked.")])
    assert fit_prompt(prompt, 10_000, _measure) is prompt


def test_answer_prompts_lose_sentences_from_the_end_of_the_last_passage_first():
    from rag.prompting import fit_prompt

    hits = [_hit("First one here. Second one here.", "a.txt"), _hit("Third one here. Fourth one here.", "b.txt")]
    prompt = build_prompt("Q?", hits)
    fitted = fit_prompt(prompt, _measure(prompt) - 3, _measure)
    assert "Third one here." in fitted.completion and "Fourth" not in fitted.completion
    fitted = fit_prompt(prompt, _measure(prompt) - 9, _measure)  # "Fourth one here." is 8
    assert "b.txt" not in fitted.completion and "Second one here." in fitted.completion
    assert fitted.messages[1]["content"].count("[") == 1  # the emptied passage is gone whole
    assert _measure(fitted) <= _measure(prompt) - 9


def test_reading_prompts_lose_the_leading_context_sentence_first():
    from rag.prompting import fit_prompt

    prompt = build_reading_prompt("Q?", "Context sentence before. The sentence itself.")
    fitted = fit_prompt(prompt, _measure(prompt) - 2, _measure)
    assert "Passage: The sentence itself.\n" in fitted.completion


def test_a_sentence_too_long_for_any_budget_goes_first_and_the_rest_stays():
    from rag.prompting import fit_prompt

    prompt = build_prompt(QUESTION, [_hit(TEXT)])
    budget = _measure(build_prompt(QUESTION, [_hit("Ana Torres met Bo Lin in Lima on Monday.")])) + 20
    fitted = fit_prompt(prompt, budget, _measure)
    assert _measure(fitted) <= budget
    assert "Ana Torres met Bo Lin in Lima on Monday." in fitted.completion
    assert "The meeting in Lima was about trade." in fitted.completion and GIANT[:50] not in fitted.completion


def test_a_single_long_sentence_is_cut_by_tokens():
    from rag.prompting import fit_prompt

    prompt = build_reading_prompt("Q?", "one two three " * 200)
    budget = _measure(build_reading_prompt("Q?", "")) + 50
    fitted = fit_prompt(prompt, budget, _measure)
    assert budget - 3 <= _measure(fitted) <= budget
    assert "Passage: one two three one" in fitted.completion


def test_a_budget_below_the_fixed_text_leaves_no_passage_but_does_not_fail():
    from rag.prompting import fit_prompt

    prompt = build_prompt(QUESTION, [_hit(TEXT)])
    fitted = fit_prompt(prompt, 5, _measure)
    assert "Ana Torres met" not in fitted.completion and fitted.completion.endswith("Answer:")
