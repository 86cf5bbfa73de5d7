"""`rag serve`: the Assistant behind an OpenAI-compatible HTTP API (FastAPI).

    GET  /v1/models              one model id per collection: "rag" (the default), "rag:NAME"
    POST /v1/chat/completions    the last user message is the question, earlier turns the
                                 conversation; plain or `stream: true` (server-sent events)
    POST /v1/search              the best passages, without the answering model
    GET  /v1/documents           the indexed files of a model's collection
    GET  /health                 liveness, without the key

Any OpenAI client works unchanged (base URL http://127.0.0.1:8000/v1). Citations ride in
extension fields (openai_shapes.py). With an API key set, every /v1 request must send
`Authorization: Bearer KEY`. Only verified replies are sent: a stream carries the checked
answer once it is ready, never the model's unchecked drafts, with SSE comments as
keep-alives meanwhile. A full queue answers 503 with Retry-After at once, like the chat.
"""
from __future__ import annotations

import hmac
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from .app_guard import RETRY_AFTER_SECONDS
from .errors import CollectionError, ConfigError, ModelError, QuestionError, RagError
from .openai_shapes import (
    RecentAnswers,
    RequestError,
    chunk,
    completion,
    completion_id,
    content_pieces,
    extension,
    read_messages,
    reply_markdown,
)

DEFAULT_MODEL = "rag"
KEEP_ALIVE_SECONDS = 10.0  # an SSE comment this often while the answer is worked out
QUEUE_SIZE = 32  # questions waiting or running at once; past that: 503, try again


def model_id(collection: str) -> str:
    """The model id of a collection.

    >>> model_id("default"), model_id("work")
    ('rag', 'rag:work')
    """
    return DEFAULT_MODEL if collection == "default" else f"{DEFAULT_MODEL}:{collection}"


def collection_of(model: str) -> str | None:
    """The collection a model id names, or None if it names none.

    >>> collection_of("rag"), collection_of("rag:work"), collection_of("gpt-4o")
    ('default', 'work', None)
    """
    if model == DEFAULT_MODEL:
        return "default"
    prefix = DEFAULT_MODEL + ":"
    return model[len(prefix):] or None if model.startswith(prefix) else None


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.kind, self.code, self.param, self.headers = status, kind, code, param, headers

    def body(self) -> dict:
        return {"error": {"message": str(self), "type": self.kind, "param": self.param, "code": self.code}}


def error_for(exc: Exception) -> ApiError:
    """Our errors as OpenAI-style HTTP errors: the caller's fault 400, a model server 502."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestError):
        return ApiError(400, str(exc), param=exc.param)
    if isinstance(exc, (QuestionError, ConfigError)):
        return ApiError(400, str(exc))
    if isinstance(exc, ModelError):
        return ApiError(502, str(exc), "model_error", "model_unavailable")
    if isinstance(exc, RagError):
        return ApiError(500, str(exc), "server_error")
    return ApiError(500, f"internal error: {type(exc).__name__}: {exc}", "server_error")


def question_options(body: dict) -> dict:
    """The keyword arguments a request adds to `ask`/`search`: `top_k`, `mode`, and the
    filters `sources`, `since`, `until` (extension fields; OpenAI clients send them with
    `extra_body`). Unknown OpenAI fields (temperature, max_tokens, ...) are ignored."""
    options = {}
    for name in ("top_k", "mode", "sources", "since", "until"):
        if body.get(name) is not None:
            options[name] = body[name]
    if isinstance(options.get("sources"), str):
        options["sources"] = [options["sources"]]
    return options


class Catalog:
    """The collections a server answers from, as model ids (chat_collections.OpenCollections:
    each opened once, on first use, with the first one's models)."""

    def __init__(self, collections):
        self.collections = collections

    def model_ids(self) -> list[str]:
        return [model_id(name) for name in self.collections.names()]

    def assistant(self, model: str | None):
        name = collection_of(model or DEFAULT_MODEL)
        if name is None:
            raise self.not_found(model, "no collection has that id")
        try:
            return self.collections.get(name)
        except CollectionError as exc:
            raise self.not_found(model, str(exc)) from exc

    def not_found(self, model: str | None, why: str) -> ApiError:
        return ApiError(404, f"model {model!r} does not exist or can't be opened ({why}); this server has: "
                             f"{', '.join(self.model_ids())} (GET /v1/models)", code="model_not_found", param="model")


def create_api(catalog: Catalog, api_key: str | None = None, hosts: frozenset[str] | None = None,
               queue_size: int = QUEUE_SIZE, keep_alive: float = KEEP_ALIVE_SECONDS):
    """The FastAPI app; serve it with `run`. `hosts`: the Host header values answered
    (app_guard.allowed_hosts; None answers any), so a web page can't reach a loopback
    server through a DNS name of its own."""
    app = FastAPI(title="rag", description="Your documents, answered with verified citations "
                                           "(OpenAI-compatible).", docs_url=None, redoc_url=None)
    recent = RecentAnswers()
    slots = threading.BoundedSemaphore(queue_size)
    started = int(time.time())

    @app.exception_handler(ApiError)
    async def api_error(_request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.middleware("http")
    async def check_key(request: Request, call_next):
        if hosts is not None and request.headers.get("host", "").lower() not in hosts:
            exc = ApiError(421, "this address is not served here; start rag serve with --allow-host NAME "
                                "to answer it", code="host_not_allowed")
            return JSONResponse(exc.body(), status_code=421)
        if api_key and request.url.path.startswith("/v1"):
            sent = request.headers.get("authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {api_key}".encode()):
                exc = ApiError(401, "missing or wrong API key: send the header 'Authorization: Bearer KEY' "
                                    "with the key rag serve was started with (--api-key or RAG_API_KEY)",
                               code="invalid_api_key")
                return JSONResponse(exc.body(), status_code=401)
        return await call_next(request)

    async def json_body(request: Request) -> dict:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"the request body is not JSON ({exc}); send a JSON object") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def take_slot() -> None:
        if not slots.acquire(blocking=False):
            raise ApiError(503, "busy, try again in a few seconds: every question slot is taken",
                           "server_error", "busy", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [
            {"id": ident, "object": "model", "created": started, "owned_by": "rag"} for ident in catalog.model_ids()]}

    @app.get("/v1/models/{model:path}")
    def one_model(model: str):
        if model not in catalog.model_ids():
            catalog.assistant(model)  # a collection made since the listing opens; else the 404 with the list
        return {"id": model, "object": "model", "created": started, "owned_by": "rag"}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        body = await json_body(request)
        model = body.get("model") or DEFAULT_MODEL
        try:
            question, turns = read_messages(body.get("messages"))
            options = question_options(body)
        except RequestError as exc:
            raise error_for(exc) from exc
        assistant = catalog.assistant(model)
        history = recent.history(turns)

        def ask() -> tuple[object, str]:
            answer = assistant.ask(question, history=history, **options)
            reply = reply_markdown(answer)
            recent.remember(question, answer, reply)
            return answer, reply

        take_slot()
        if not body.get("stream"):
            try:
                answer, reply = await run_in_threadpool(ask)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an HTTP error
                raise error_for(exc) from exc
            finally:
                slots.release()
            return completion(answer, reply, model)
        return StreamingResponse(stream_events(ask, model, slots, keep_alive), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/v1/search")
    async def search(request: Request):
        body = await json_body(request)
        query = body.get("query")
        assistant = catalog.assistant(body.get("model"))
        options = question_options(body)
        k = options.pop("top_k", None) or body.get("k")
        try:
            hits = await run_in_threadpool(lambda: assistant.search(query, k, **options))
        except Exception as exc:  # noqa: BLE001
            raise error_for(exc) from exc
        return {"object": "list", "data": [
            {"source": h.chunk.source, "start_line": h.chunk.start_line, "end_line": h.chunk.end_line,
             "page": assistant.store.place(h.chunk.source, h.chunk.start_line)[0], "score": round(h.score, 4),
             "similarity": round(h.similarity, 4), "text": h.chunk.text} for h in hits]}

    @app.get("/v1/documents")
    def documents(model: str = DEFAULT_MODEL):
        assistant = catalog.assistant(model)
        return {"object": "list", "model": model, "data": [
            {"source": d.source, "date": d.date, "chunks": d.chunks, "size": d.size} for d in assistant.documents()]}

    return app


def sse(payload: dict | str) -> str:
    return f"data: {payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)}\n\n"


def stream_events(ask: Callable[[], tuple], model: str, slots, keep_alive: float) -> Iterator[str]:
    """The SSE events of a streamed reply: the role at once, keep-alive comments while the
    answer is worked out (in a thread), then the verified text in pieces, then the final
    chunk with finish_reason "stop" and the citations, then [DONE]. A failure midway is an
    `error` event (the status line has gone out already), then [DONE]."""
    ident, created = completion_id(), int(time.time())
    outcome: queue.Queue = queue.Queue()

    def work():
        try:
            outcome.put((ask(), None))
        except Exception as exc:  # noqa: BLE001 - reported in the stream
            outcome.put((None, exc))
        finally:
            slots.release()

    threading.Thread(target=work, name="rag-api-answer", daemon=True).start()
    yield sse(chunk(ident, model, created, {"role": "assistant", "content": ""}))
    while True:
        try:
            done, failure = outcome.get(timeout=keep_alive)
            break
        except queue.Empty:
            yield ": keep-alive\n\n"
    if failure is not None:
        yield sse(error_for(failure).body())
        yield sse("[DONE]")
        return
    answer, reply = done
    for piece in content_pieces(reply):
        yield sse(chunk(ident, model, created, {"content": piece}))
    yield sse(chunk(ident, model, created, {}, "stop", extension(answer)))
    yield sse("[DONE]")


def run(app, host: str = "127.0.0.1", port: int = 8000, log=print) -> None:
    """Serve `app` with uvicorn until interrupted (Ctrl-C)."""
    import uvicorn

    log(f"serving the OpenAI-compatible API on http://{host}:{port}/v1 (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
