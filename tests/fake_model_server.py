"""A tiny OpenAI-compatible model server, served in this process on a free port.

It streams scripted answers (question substring -> answer, or a list of answers of which
it gives the first whose first token the request's logit_bias does not forbid) word by
word as server-sent events, and records every request. Switches make it behave like the
servers rag must cope with: a llama.cpp-like /props, llama-cpp-python's /extras/tokenize
(a word tokenizer that puts BOS in front), a bearer key, an HTTP error, an error event in
the stream, a pause between pieces, a server that never answers.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json

from served_api import served

BOS = 1


def token(word: str) -> int:
    """A word's one token id (with its leading space, as tokenizers keep it)."""
    return 100 + int(hashlib.md5(word.encode()).hexdigest()[:5], 16)


def tokenize(text: str, bos: bool = True) -> list[int]:
    import re

    return [BOS] * bos + [token(w) for w in re.findall(r"\s*\S+", text)]


class FakeModelServer:
    def __init__(self, script: dict, model: str = "fake-model", props: dict | None = None,
                 tokenizer: bool = False, key: str | None = None, status: int | None = None,
                 error: str = "", pause: float = 0.0, hang: bool = False, stream_error: str = "",
                 cut_after: int | None = None):
        self.script, self.model, self.props, self.tokenizer = script, model, props, tokenizer
        self.key, self.status, self.error, self.pause, self.hang = key, status, error, pause, hang
        self.stream_error = stream_error  # sent as an error event after the first piece
        # a stream ends ([DONE], no finish reason) after this many pieces, as llama-cpp-python's
        # server cuts one when another request waits; a request without streaming is whole
        self.cut_after = cut_after
        self.requests: list[dict] = []  # {"path", "headers", "body"} of each request
        self.running = 0
        self.most_at_once = 0  # completions in flight at the same time, at most
        self.base_url = ""  # set by serving()

    def completions(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("completions")]

    def draft(self, body: dict) -> str:
        text = body["prompt"] if "prompt" in body else body["messages"][-1]["content"]
        question = text.rsplit("Question:", 1)[-1]
        draft = next((a for q, a in self.script.items() if q.lower() in question.lower()), "NOT FOUND")
        if isinstance(draft, list):
            banned = {int(t) for t in body.get("logit_bias") or {}}
            draft = next(d for d in draft if tokenize(" " + d, bos=False)[0] not in banned)
        return draft

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, StreamingResponse
        from starlette.routing import Route

        async def record(request):
            body = json.loads(await request.body() or b"{}")
            self.requests.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
            return body

        def refused(request):
            if self.key and request.headers.get("authorization") != f"Bearer {self.key}":
                return JSONResponse({"error": {"message": "Invalid API key", "type": "auth"}}, 401)
            return None

        async def models(request):
            await record(request)
            return refused(request) or JSONResponse({"object": "list", "data": [{"id": self.model}]})

        async def props(request):
            await record(request)
            return JSONResponse(self.props) if self.props is not None else JSONResponse({"detail": "Not Found"}, 404)

        async def extras_tokenize(request):
            body = await record(request)
            if not self.tokenizer:
                return JSONResponse({"detail": "Not Found"}, 404)
            return refused(request) or JSONResponse({"tokens": tokenize(body["input"])})

        async def complete(request):
            body = await record(request)
            if refused(request):
                return refused(request)
            if self.status:
                return JSONResponse({"error": {"message": self.error, "code": self.status}}, self.status)
            while self.hang and not await request.is_disconnected():  # until the client gives up
                await asyncio.sleep(0.05)
            chat = request.url.path.endswith("chat/completions")
            words = self.draft(body).split(" ")
            pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
            if not body.get("stream", False):
                choice = ({"message": {"role": "assistant", "content": "".join(pieces)}} if chat
                          else {"text": "".join(pieces)})
                return JSONResponse({"choices": [{**choice, "finish_reason": "stop"}]})

            async def events():
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                try:
                    if chat:
                        yield f"data: {json.dumps({'choices': [{'delta': {'role': 'assistant'}}]})}\n\n"
                    yield ": ping\n\n"
                    for number, piece in enumerate(pieces):
                        if number == self.cut_after:
                            yield "data: [DONE]\n\n"
                            return
                        await asyncio.sleep(self.pause)
                        choice = {"delta": {"content": piece}} if chat else {"text": piece}
                        yield f"data: {json.dumps({'choices': [choice]})}\n\n"
                        if self.stream_error:
                            yield f"data: {json.dumps({'error': {'message': self.stream_error}})}\n\n"
                    last = {"delta": {}} if chat else {"text": ""}
                    yield f"data: {json.dumps({'choices': [{**last, 'finish_reason': 'stop'}]})}\n\n"
                    yield "data: [DONE]\n\n"
                finally:
                    self.running -= 1

            return StreamingResponse(events(), media_type="text/event-stream")

        return Starlette(routes=[
            Route("/v1/models", models), Route("/props", props),
            Route("/extras/tokenize", extras_tokenize, methods=["POST"]),
            Route("/v1/completions", complete, methods=["POST"]),
            Route("/v1/chat/completions", complete, methods=["POST"]),
        ])

    @contextlib.contextmanager
    def serving(self):
        """Serve it (tests/served_api.py) while the block runs; `base_url` is its /v1."""
        with served(self.app()) as root:
            self.base_url = f"{root}/v1"
            yield self
