"""llama-cpp-python's own OpenAI-compatible server as the answering model (slow: the real
models). The default GGUF served over HTTP must answer seed questions as it does in this
process: the same drafts, short answer and citations; so must a GGUF with a chat template,
through /chat/completions."""
import dataclasses
import json
from pathlib import Path

import pytest

from rag import Assistant
from rag.config import ModelSettings
from rag.generation import resolve_gguf
from served_llama import served_llama

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {q["id"]: q["question"] for q in map(json.loads, (ROOT / "tests/data/seeds_qa.jsonl").open())}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    with served_llama(resolve_gguf(ModelSettings()), tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["dev04", "dev01"])  # dev01: the retry that forbids the first draft's start
def test_the_default_model_served_by_llama_cpp_python_answers_as_in_process(llama_server, seed, seeds_copy,
                                                                              tmp_path):
    local = Assistant.open(seeds_copy, tmp_path / "idx")
    models = dataclasses.replace(local.settings.models, llm_base_url=llama_server)
    remote = Assistant.open(seeds_copy, tmp_path / "idx", settings=dataclasses.replace(local.settings, models=models),
                            embedder=local.embedder.wrapped, update=False)
    here, there = local.ask(SEEDS[seed]), remote.ask(SEEDS[seed])
    assert remote.generator.api == "completions" and remote.generator.model_id == local.generator.model_id
    assert there.draft == here.draft and there.draft.strip()
    assert (there.kind, there.short_answer) == (here.kind, here.short_answer)
    assert [(c.source, c.start_line, c.end_line, c.quote) for c in there.citations] == \
        [(c.source, c.start_line, c.end_line, c.quote) for c in here.citations]
    if seed == "dev04":
        assert there.short_answer == "Rashid Meredov"


@pytest.mark.slow
def test_a_chat_template_model_served_answers_through_chat_as_in_process(chat_gguf, seeds_copy, tmp_path):
    local = Assistant.open(seeds_copy, tmp_path / "idx", model=str(chat_gguf))
    question = SEEDS["dev04"]
    here = local.ask(question)
    with served_llama(chat_gguf, tmp_path / "server.log") as url:
        models = dataclasses.replace(local.settings.models, gguf_path=None, llm_base_url=url)
        remote = Assistant.open(seeds_copy, tmp_path / "idx", embedder=local.embedder.wrapped, update=False,
                                settings=dataclasses.replace(local.settings, models=models))
        there = remote.ask(question)
    assert remote.generator.api == "chat", "auto: a model that is not the bundled base model gets chat"
    assert there.draft == here.draft and there.draft.strip()
    assert (there.kind, there.short_answer, [c.quote for c in there.citations]) == \
        (here.kind, here.short_answer, [c.quote for c in here.citations])
