"""`rag serve`'s OpenAI-compatible API, driven by the official `openai` client over real
HTTP (uvicorn on 127.0.0.1), with the fake models: plain, streamed, follow-ups, citations,
the key, errors, the queue. The real models are driven in test_api_serve_real.py."""
import threading

import httpx
import openai
import pytest

from fakes import ScriptedGenerator
from rag import ModelError
from rag.api_server import Catalog, create_api
from rag.app_guard import allowed_hosts
from rag.chat_collections import OpenCollections
from served_api import served

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
SCRIPT = {"Who did Rashid Meredov": "Zeynal Hajiyev", "Minister of Foreign Affairs": "Rashid Meredov"}


@pytest.fixture
def assistant(scripted_assistant):
    return scripted_assistant(SCRIPT)


def api(assistant, **options):
    return create_api(Catalog(OpenCollections(assistant)), **options)


@pytest.fixture
def client(assistant):
    with served(api(assistant)) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)


def ask(client, *messages, **options):
    return client.chat.completions.create(
        model="rag", messages=[{"role": r, "content": c} for r, c in messages], **options)


def test_a_plain_completion_leads_with_the_quote_and_carries_verified_citations(client):
    reply = ask(client, ("user", MINISTER_Q))
    content = reply.choices[0].message.content
    assert reply.object == "chat.completion" and reply.choices[0].finish_reason == "stop"
    assert content.startswith("> ") and "**Rashid Meredov**" in content
    assert "Answer: **Rashid Meredov** [1]" in content and "[1] 003_064eea4f1c13281f.txt:" in content
    citations = reply.model_extra["citations"]
    assert citations and citations[0]["source"] == "003_064eea4f1c13281f.txt"
    assert "Rashid Meredov" in citations[0]["quote"]
    assert {"page", "start_line", "end_line", "score"} <= set(citations[0])
    assert reply.model_extra["rag"]["short_answer"] == "Rashid Meredov"
    assert reply.model_extra["rag"]["kind"] == "short"


def test_a_streamed_completion_sends_the_same_reply_in_pieces_and_citations_on_the_last_chunk(client):
    plain = ask(client, ("user", MINISTER_Q)).choices[0].message.content
    chunks = list(ask(client, ("user", MINISTER_Q), stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain
    assert len(chunks) > 4, "the reply comes in pieces"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["source"] == "003_064eea4f1c13281f.txt"
    assert all("citations" not in c.model_extra for c in chunks[:-1])


def test_a_follow_up_is_answered_from_the_conversation_the_client_sends(client):
    first = ask(client, ("user", MINISTER_Q)).choices[0].message.content
    reply = ask(client, ("user", MINISTER_Q), ("assistant", first), ("user", "and who did he meet?"))
    assert "Answer: **Zeynal Hajiyev**" in reply.choices[0].message.content
    assert reply.model_extra["rag"]["question"].startswith("Who did Rashid Meredov")
    assert "Zeynal Hajiyev" in reply.model_extra["citations"][0]["quote"]


def test_a_follow_up_on_a_reply_this_server_never_gave_reads_the_answer_line(client):
    earlier = "> ... [1]\n\nAnswer: **Rashid Meredov** [1]\n\n[1] 003_064eea4f1c13281f.txt:7"
    reply = ask(client, ("user", MINISTER_Q), ("assistant", earlier), ("user", "and who did he meet?"),
                stream=True)
    last = list(reply)[-1]
    assert last.model_extra["rag"]["question"].startswith("Who did Rashid Meredov")


def test_an_unanswerable_question_abstains_with_no_citations(client):
    reply = ask(client, ("user", "What is the capital of Kazakhstan?"))
    assert reply.choices[0].message.content.startswith("I could not find the answer in the documents.")
    assert reply.model_extra["citations"] == [] and reply.model_extra["rag"]["abstained"] is True


def test_models_lists_one_id_per_collection_and_an_unknown_model_is_a_404_naming_them(client):
    assert [m.id for m in client.models.list()] == ["rag"]
    with pytest.raises(openai.NotFoundError, match="this server has: rag"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": MINISTER_Q}])


@pytest.mark.parametrize("messages,message", [
    ([{"role": "assistant", "content": "Hi"}], "the last message must be the user's question"),
    ([{"role": "user", "content": "   "}], "the question is empty"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], "only text is read"),
    ([], "messages must be a non-empty list"),
])
def test_a_bad_request_is_a_400_that_names_the_problem(client, messages, message):
    with pytest.raises(openai.BadRequestError, match=message):
        client.chat.completions.create(model="rag", messages=messages)


def test_with_a_key_every_v1_request_needs_it(assistant):
    with served(api(assistant, api_key="s3cret")) as url:
        wrong = openai.OpenAI(base_url=url + "/v1", api_key="guess", max_retries=0)
        with pytest.raises(openai.AuthenticationError, match="Authorization: Bearer KEY"):
            wrong.models.list()
        with pytest.raises(openai.AuthenticationError):
            ask(wrong, ("user", MINISTER_Q))
        assert httpx.post(url + "/v1/search", json={"query": "migration"}).status_code == 401
        right = openai.OpenAI(base_url=url + "/v1", api_key="s3cret", max_retries=0)
        assert "Rashid Meredov" in ask(right, ("user", MINISTER_Q)).choices[0].message.content
        assert httpx.get(url + "/health").json() == {"status": "ok"}


def test_a_host_name_that_is_not_served_is_refused(assistant):
    with served(api(assistant, hosts=allowed_hosts("127.0.0.1", 1))) as url:
        port = int(url.rsplit(":", 1)[1])
    with served(api(assistant, hosts=allowed_hosts("127.0.0.1", port)), port=port) as url:
        assert httpx.get(url + "/v1/models").status_code == 200
        refused = httpx.get(url + "/v1/models", headers={"Host": "evil.example"})
        assert refused.status_code == 421 and "--allow-host" in refused.json()["error"]["message"]


def test_search_and_documents_endpoints(client):
    base = str(client.base_url).rstrip("/")
    hits = httpx.post(base + "/search", json={"query": MINISTER_Q, "k": 2}).json()["data"]
    assert len(hits) == 2 and any("Rashid Meredov" in h["text"] for h in hits)
    assert {"source", "start_line", "end_line", "page", "score", "text"} <= set(hits[0])
    documents = httpx.get(base + "/documents").json()["data"]
    assert sorted(d["source"] for d in documents) == ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]
    assert httpx.post(base + "/search", json={"query": ""}).status_code == 400


class BlockingGenerator(ScriptedGenerator):
    """Answers once `release` is set; counts the completions under way."""

    def __init__(self, script, fail: Exception | None = None):
        super().__init__(script)
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail = fail

    def generate(self, prompt):
        self.started.set()
        self.release.wait(10)
        if self.fail:
            raise self.fail
        yield from super().generate(prompt)


def test_a_full_queue_answers_busy_at_once_and_slow_answers_keep_the_stream_alive(scripted_assistant, seeds_copy,
                                                                                tmp_path, embedder):
    from rag import Assistant

    generator = BlockingGenerator(SCRIPT)
    slow = Assistant.open(seeds_copy, tmp_path / "idx2", embedder=embedder, generator=generator)
    with served(api(slow, queue_size=1, keep_alive=0.05)) as url:
        body = {"model": "rag", "stream": True, "messages": [{"role": "user", "content": MINISTER_Q}]}
        with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=20) as first:
            lines = first.iter_lines()
            assert next(lines).startswith("data: ")
            assert generator.started.wait(10)
            busy = httpx.post(url + "/v1/chat/completions", json={**body, "stream": False}, timeout=5)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
            assert "busy, try again" in busy.json()["error"]["message"]
            assert ": keep-alive" in [next(lines) for _ in range(2)]
            generator.release.set()
            rest = list(lines)
        assert "data: [DONE]" in rest and any('"finish_reason": "stop"' in line for line in rest)
        again = httpx.post(url + "/v1/chat/completions", json={**body, "stream": False}, timeout=20)
        assert again.status_code == 200, "the slot is free again"


def test_a_model_server_failure_is_a_502_or_an_error_event(seeds_copy, tmp_path, embedder):
    from rag import Assistant

    generator = BlockingGenerator(SCRIPT, fail=ModelError("the model server at http://x is down; start it"))
    generator.release.set()
    failing = Assistant.open(seeds_copy, tmp_path / "idx3", embedder=embedder, generator=generator)
    with served(api(failing)) as url:
        body = {"model": "rag", "messages": [{"role": "user", "content": MINISTER_Q}]}
        plain = httpx.post(url + "/v1/chat/completions", json=body, timeout=20)
        assert plain.status_code == 502 and "is down; start it" in plain.json()["error"]["message"]
        streamed = httpx.post(url + "/v1/chat/completions", json={**body, "stream": True}, timeout=20).text
        assert '"error"' in streamed and "is down; start it" in streamed and streamed.rstrip().endswith("[DONE]")


def test_each_collection_is_a_model_answering_from_its_own_documents(tmp_path, monkeypatch, embedder):
    from rag import Assistant
    from rag.chat_collections import serving

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_COLLECTIONS_DIR", raising=False)
    for folder, text in {"seeds": "The seed document talks about migration in Central Asia.",
                         "notes": "The kill command sends a signal to a process."}.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{folder}.txt").write_text(text + "\n")
    generator = ScriptedGenerator({"kill command send": "a signal"})
    Assistant.open("notes", collection="notes", embedder=embedder, generator=generator)
    (tmp_path / "collections" / "broken").mkdir()  # no index yet: not offered
    default = Assistant.open(embedder=embedder, generator=generator)
    with served(create_api(Catalog(serving(default, "index")))) as url:
        client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list()] == ["rag", "rag:notes"]
        question = ("user", "What does the kill command send to a process?")
        notes = client.chat.completions.create(model="rag:notes", messages=[{"role": "user", "content": question[1]}])
        assert "Answer: **a signal**" in notes.choices[0].message.content
        assert notes.model_extra["citations"][0]["source"] == "notes.txt"
        seeds = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": question[1]}])
        assert seeds.model_extra["rag"]["abstained"], "the default collection holds no kill command"
        with pytest.raises(openai.NotFoundError, match="rag, rag:notes"):
            client.chat.completions.create(model="rag:broken", messages=[{"role": "user", "content": question[1]}])


def test_request_filters_limit_the_files_that_may_answer(client):
    base = str(client.base_url).rstrip("/")
    only = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": MINISTER_Q}],
                                          extra_body={"sources": ["000_*"]})
    assert all(c["source"].startswith("000_") for c in only.model_extra["citations"])
    assert only.model_extra["rag"]["short_answer"] is None, "the file that holds it may not answer"
    assert "searched 1 of 2 files" in only.choices[0].message.content
    hits = httpx.post(base + "/search", json={"query": MINISTER_Q, "k": 3, "sources": "000_*"}).json()["data"]
    assert len(hits) == 3 and {h["source"] for h in hits} == {"000_dc7361d3392e1266.txt"}
    bad = httpx.post(base + "/chat/completions", json={"model": "rag", "since": "yesterday",
                                                        "messages": [{"role": "user", "content": MINISTER_Q}]})
    assert bad.status_code == 400 and "yesterday" in bad.json()["error"]["message"]
    none = httpx.post(base + "/search", json={"query": MINISTER_Q, "sources": ["nothing-*.pdf"]})
    assert none.status_code == 400 and "nothing-*.pdf" in none.json()["error"]["message"]
