"""Answering through an OpenAI-compatible model server (tests/fake_model_server.py, served
in this process): the requests it gets, the answers checked as local ones are, every
failure one clear ModelError, no GGUF touched, and completions that overlap."""
import dataclasses
import sys
import threading
import time
from pathlib import Path

import pytest

from fake_model_server import FakeModelServer, token
from fakes import HashingEmbedder, ScriptedGenerator
from local_ports import free_port
from rag import Assistant, ConfigError, ModelError, Settings
from rag import generation as generation_module
from rag.cli import main as rag_main
from rag.cli_args import model_server_settings
from rag.cli_args import parser as rag_parser
from rag.config import ModelSettings
from rag.prompting import build_reading_prompt
from rag.remote_generation import OpenAIServerGenerator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
MEETING_Q = "Where did the meeting between Madrakhimov and the IOM coordinator take place?"
SCRIPT = {"Minister of Foreign Affairs": "Rashid Meredov", "Where did the meeting": "Tashkent, Uzbekistan"}
BASE = {"props": {"chat_template": ""}}  # llama.cpp's server with a base model


def open_remote(seeds_copy, tmp_path, server, grounding=None, **models) -> Assistant:
    (tmp_path / "models").mkdir(exist_ok=True)
    settings = Settings(models=ModelSettings(llm_base_url=server.base_url, models_dir=str(tmp_path / "models"),
                                             **models))
    if grounding:
        settings = dataclasses.replace(settings, grounding=dataclasses.replace(settings.grounding, **grounding))
    return Assistant.open(seeds_copy, tmp_path / "idx", embedder=HashingEmbedder(), settings=settings)


def test_a_base_model_answers_through_completions_verified_and_cited(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        answer = open_remote(seeds_copy, tmp_path, server, llm_api_key="sekrit").ask(MINISTER_Q)
    assert answer.text == "Rashid Meredov" and answer.kind == "short"
    assert answer.evidence[0].highlighted == "Rashid Meredov" and answer.citations
    asked = server.completions()
    assert {r["path"] for r in asked} == {"/v1/completions"} and len(asked) == 3  # one per evidence window
    body = asked[0]["body"]
    assert body["prompt"].endswith(f"Question: {MINISTER_Q}\nAnswer:") and "messages" not in body
    assert body["stop"] == ["\n", "Question:", "</s>", "<end_of_turn>"] and body["stream"] is True
    assert body["model"] == "fake-model" and body["temperature"] == 0.0 and body["max_tokens"] == 32
    assert body["repeat_penalty"] == 1.0, "llama.cpp's servers read prompts as the in-process model does"
    assert all(r["headers"]["authorization"] == "Bearer sekrit" for r in server.requests)


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_a_stream_cut_short_is_completed_by_asking_again_without_streaming(seeds_copy, tmp_path, api):
    """llama-cpp-python's server ends a stream early ([DONE], no finish reason) when another
    request waits: a cut draft ("Rashid") must not become the answer."""
    options = {**BASE, "cut_after": 1} if api == "completions" else {"cut_after": 1}
    with FakeModelServer(SCRIPT, **options).serving() as server:
        answer = open_remote(seeds_copy, tmp_path, server, llm_api=api).ask(MINISTER_Q)
    assert answer.short_answer == "Rashid Meredov" or (api == "chat" and "Rashid Meredov" in answer.draft)
    asked = server.completions()
    assert [r["body"]["stream"] for r in asked[:2]] == [True, False]


def test_llama_cpp_pythons_server_is_asked_without_streaming_which_it_never_cuts(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, **BASE, tokenizer=True, cut_after=1).serving() as server:
        answer = open_remote(seeds_copy, tmp_path, server).ask(MINISTER_Q)
    assert answer.short_answer == "Rashid Meredov"
    assert {r["body"]["stream"] for r in server.completions()} == {False}


def test_a_chat_model_answers_through_chat_completions(seeds_copy, tmp_path):
    script = {"Minister of Foreign Affairs": "The minister is Rashid Meredov [1]."}
    with FakeModelServer(script, model="llama3.2").serving() as server:  # no /props: not llama.cpp
        assistant = open_remote(seeds_copy, tmp_path, server)
        answer = assistant.ask(MINISTER_Q)
    assert assistant.generator.uses_chat_template and assistant.generator.model_id == "llama3.2"
    assert answer.text == "Rashid Meredov" and answer.kind == "short" and answer.citations
    (request,) = server.completions()
    assert request["path"] == "/v1/chat/completions" and "authorization" not in request["headers"]
    roles = [m["role"] for m in request["body"]["messages"]]
    assert roles == ["system", "user"] and request["body"]["messages"][1]["content"].endswith(MINISTER_Q)
    assert "prompt" not in request["body"] and "repeat_penalty" not in request["body"]


def test_the_api_can_be_forced_either_way(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, model="llama3.2").serving() as server:
        open_remote(seeds_copy, tmp_path, server, llm_api="completions").ask(MINISTER_Q)
    assert {r["path"] for r in server.completions()} == {"/v1/completions"}
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        generator = OpenAIServerGenerator(server.base_url, Settings().generation, api="chat")
        assert generator.uses_chat_template


def test_a_restated_draft_is_retried_with_its_first_token_forbidden(seeds_copy, tmp_path):
    question = "Who did Muzaffar Madrakhimov meet on 29 February 2024?"
    script = {"Madrakhimov meet": ["Muzaffar Madrakhimov", "Zeynal Hajiyev"]}
    # llama-cpp-python's server with the bundled base model: /extras/tokenize, no /props
    with FakeModelServer(script, tokenizer=True, model="gemma-3-270m-q4_k_m.gguf").serving() as server:
        answer = open_remote(seeds_copy, tmp_path, server, grounding={"min_answerability": 0.0}).ask(question)
    assert answer.text == "Zeynal Hajiyev"
    biases = [r["body"]["logit_bias"] for r in server.completions() if "logit_bias" in r["body"]]
    # the tokenizer's BOS is not what gets forbidden: the word's first token, with and without a space
    assert biases and biases[0] == {str(t): -100.0 for t in sorted([token("Muzaffar"), token(" Muzaffar")])}


def test_a_long_reading_prompt_is_cut_to_the_context_not_refused():
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        generator = OpenAIServerGenerator(server.base_url, Settings().generation)
        passage = " ".join(["Ana met Bo in the long hall."] * 1000)  # 29,000 characters
        assert "".join(generator.generate(build_reading_prompt("Who met Bo?", passage, max_tokens=32)))
    sent = server.completions()[0]["body"]["prompt"]
    assert 2000 * 2 < len(sent) <= (2048 - 32 - 16) * 3, "3 characters a token, in generation.n_ctx"
    assert sent.endswith("Ana met Bo in the long hall.\nQuestion: Who met Bo?\nAnswer:")


def test_completions_through_a_server_run_side_by_side(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, pause=0.15, **BASE).serving() as server:
        assistant = open_remote(seeds_copy, tmp_path, server)
        answers = {}
        threads = [threading.Thread(target=lambda q=q: answers.update({q: assistant.ask(q)}))
                   for q in (MINISTER_Q, MEETING_Q)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.most_at_once == 2, "no process-wide model lock around a server's completions"
    assert answers[MINISTER_Q].text == "Rashid Meredov" and answers[MEETING_Q].text == "Tashkent, Uzbekistan"


def test_no_gguf_is_looked_for_assembled_or_loaded(seeds_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_MODEL", str(tmp_path / "missing.gguf"))  # set, but the server answers
    loaded = dict(generation_module._LOADED)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "other.gguf").write_bytes(b"GGUF")  # not offered: the server's model answers
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        assistant = open_remote(seeds_copy, tmp_path, server)
        assistant.warm_up()
        assert assistant.model_choices() == []
        assert assistant.ask(MINISTER_Q).text == "Rashid Meredov"
    assert server.completions()[0]["body"]["max_tokens"] == 1, "warm-up asked the server for one token"
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["other.gguf"]
    assert generation_module._LOADED == loaded


def test_a_question_may_name_another_server(seeds_copy, tmp_path):
    local = ScriptedGenerator({"Minister of Foreign Affairs": "Ana Torres"})
    assistant = Assistant.open(seeds_copy, tmp_path / "idx", embedder=HashingEmbedder(), generator=local)
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        settings = dataclasses.replace(assistant.settings, models=ModelSettings(llm_base_url=server.base_url))
        assert assistant.ask(MINISTER_Q, settings=settings).text == "Rashid Meredov"
    assert local.prompts == []


def test_a_server_that_never_answers_times_out_with_the_cause(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, hang=True, **BASE).serving() as server:
        assistant = open_remote(seeds_copy, tmp_path, server, llm_read_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ModelError) as caught:
            assistant.ask(MINISTER_Q)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"{server.base_url}/completions" in message and "sent nothing for 0.5 s (read timeout)" in message


def cli(argv, capsys) -> tuple[int, str]:
    code = rag_main(argv, open_assistant=lambda *a, **k: Assistant.open(*a, embedder=HashingEmbedder(), **k))
    return code, capsys.readouterr().err


def test_a_refused_connection_is_one_line_naming_the_url_and_the_fix(seeds_copy, tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    code, err = cli(["ask", MINISTER_Q, "--docs", str(seeds_copy), "--index", str(tmp_path / "idx"),
                     "--llm-base-url", url], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"rag: error: could not reach the model server at {url}/models (connection refused); start the " \
           f"server, or point rag at the right one with --llm-base-url" in err


def test_a_wrong_key_names_the_key_and_the_servers_message(seeds_copy, tmp_path, capsys):
    with FakeModelServer(SCRIPT, key="right", **BASE).serving() as server:
        code, err = cli(["ask", MINISTER_Q, "--docs", str(seeds_copy), "--index", str(tmp_path / "idx"),
                         "--llm-base-url", server.base_url, "--llm-api-key", "wrong"], capsys)
    assert code == 2
    assert "refused the API key (HTTP 401: Invalid API key); check the key (--llm-api-key, or RAG_LLM_API_KEY" in err


def test_a_server_error_gives_its_status_and_message(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, status=500, error="CUDA out of memory", **BASE).serving() as server:
        with pytest.raises(ModelError, match=r"/v1/completions failed \(HTTP 500: CUDA out of memory\); "
                                             r"see the server's log"):
            open_remote(seeds_copy, tmp_path, server).ask(MINISTER_Q)


def test_an_error_in_the_stream_stops_the_answer_with_the_servers_message(seeds_copy, tmp_path):
    with FakeModelServer(SCRIPT, stream_error="context overflow", **BASE).serving() as server:
        with pytest.raises(ModelError, match=r"/v1/completions stopped with an error: context overflow; "):
            open_remote(seeds_copy, tmp_path, server).ask(MINISTER_Q)


def test_cli_flags_reach_the_server(seeds_copy, tmp_path, capsys):
    with FakeModelServer(SCRIPT, model="served-name").serving() as server:
        code = rag_main(["ask", MINISTER_Q, "--docs", str(seeds_copy), "--index", str(tmp_path / "idx"), "--json",
                         "--llm-base-url", server.base_url, "--llm-model", "chosen", "--llm-api", "completions",
                         "--llm-api-key", "k1"],
                        open_assistant=lambda *a, **k: Assistant.open(*a, embedder=HashingEmbedder(), **k))
    assert code == 0 and '"short_answer": "Rashid Meredov"' in capsys.readouterr().out
    assert not [r for r in server.requests if r["path"] == "/v1/models"], "--llm-model: no need to ask"
    assert {r["body"]["model"] for r in server.completions()} == {"chosen"}
    assert {r["headers"]["authorization"] for r in server.completions()} == {"Bearer k1"}


@pytest.mark.parametrize("command", [["ask", "Who?"], ["eval", "qa.jsonl"], ["serve"]])
def test_every_command_that_answers_takes_the_server_flags(command):
    args = rag_parser().parse_args([*command, "--llm-base-url", "http://gpu:8000/v1", "--llm-model", "m",
                                    "--llm-api-key", "k", "--llm-api", "chat"])
    assert ModelSettings(**model_server_settings(args)) == ModelSettings(
        llm_base_url="http://gpu:8000/v1", llm_model="m", llm_api_key="k", llm_api="chat")


def test_the_app_takes_the_same_flags_and_warms_the_server(seeds_copy, tmp_path, capsys):
    with FakeModelServer(SCRIPT, **BASE).serving() as server:
        args = app_gradio.parse_args(["--docs", str(seeds_copy), "--index", str(tmp_path / "idx"),
                                      "--llm-base-url", server.base_url, "--llm-api", "completions"])
        assistant = app_gradio.start(args, open_assistant=lambda *a, **k: Assistant.open(
            *a, embedder=HashingEmbedder(), **k))
    assert assistant.settings.models.llm_api == "completions"
    assert [r["body"]["max_tokens"] for r in server.completions()] == [1]


def test_environment_variables_fill_the_settings_and_a_gguf_beside_a_server_is_refused(
        seeds_copy, tmp_path, monkeypatch):
    for name, value in (("RAG_LLM_BASE_URL", "http://gpu-box:8000/v1"), ("RAG_LLM_MODEL", "qwen"),
                        ("RAG_LLM_API_KEY", "k2"), ("RAG_LLM_API", "chat")):
        monkeypatch.setenv(name, value)
    models = ModelSettings().with_env()
    assert (models.llm_base_url, models.llm_model, models.llm_api_key, models.llm_api) == \
        ("http://gpu-box:8000/v1", "qwen", "k2", "chat")
    assert "k2" not in repr(models), "the key stays out of logs"
    with pytest.raises(ConfigError, match="choose one"):
        Assistant.open(seeds_copy, tmp_path / "idx", embedder=HashingEmbedder(), model="other.gguf")
    monkeypatch.setenv("RAG_LLM_API", "both")
    with pytest.raises(ConfigError, match="use one of auto, chat, completions"):
        ModelSettings().with_env()
