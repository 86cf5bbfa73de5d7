"""A Generator that answers through an OpenAI-compatible model server over HTTP.

llama.cpp's server, llama-cpp-python's, vLLM, Ollama or any other server of the OpenAI
API: only the prompt goes out and the streamed text comes back. Retrieval, the gates,
the evidence and every check of the answer stay in this process (pipeline.py); nothing
here decides what is shown. Base models go to POST /completions (`prompt`, `stop`),
models with a chat template to POST /chat/completions (`messages`); which one is
remote_protocol.choose_api's rule, or `llm_api`. Every failure (refused, timed out, HTTP
401/404/500) is a ModelError naming the URL, the cause and the fix; it never hangs
longer than the connect or read timeout. Nothing here starts a server or retries, but for
a stream the server cut short (no finish reason), which is asked for again unstreamed.

The words a base model's answer must not start with (`Prompt.avoid`) become a logit
bias on their first token, which needs the server's own tokenizer: llama-cpp-python's
POST /extras/tokenize or llama.cpp's and vLLM's POST /tokenize. A server with neither
(Ollama) is asked without the bias: its second try may start like the first.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from .config import LLM_API_KEY_ENV_VAR, LLM_BASE_URL_ENV_VAR, GenerationSettings, ModelSettings
from .errors import ModelError
from .generation import answer_room
from .prompting import CHARS_PER_TOKEN, Prompt, fit_prompt
from .remote_protocol import (
    api_root,
    choose_api,
    error_message,
    event_text,
    finish_reason,
    short_model_name,
    sse_data,
)


def server_key(models: ModelSettings) -> tuple:
    """What makes two settings answer through the same server generator."""
    return (models.llm_base_url, models.llm_model, models.llm_api_key, models.llm_api or "auto",
            models.llm_connect_timeout, models.llm_read_timeout)


class OpenAIServerGenerator:
    """Answers with a model behind an OpenAI-compatible server (`base_url` ends in /v1)."""

    # The server batches (vLLM) or queues (llama.cpp's servers) concurrent requests itself,
    # so completions don't take this process's model lock (concurrency.completion_pieces).
    serves_concurrently = True

    def __init__(self, base_url: str, settings: GenerationSettings, model: str | None = None,
                 api_key: str | None = None, api: str | None = "auto",
                 connect_timeout: float = 5.0, read_timeout: float = 120.0):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.timeouts = (connect_timeout, read_timeout)
        # httpx's read timeout bounds each wait for data: between streamed pieces, not in total
        self._client = httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        self.model = model or self._first_model()
        self.model_id = short_model_name(self.model)
        root = api_root(self.base_url)
        props = self._optional("GET", f"{root}/props")  # llama.cpp's server only
        self.api = choose_api(api, self.model, props if isinstance(props, dict) else None)
        self.uses_chat_template = self.api == "chat"
        self._tokenize_url, self._tokenize_field = self._find_tokenizer(root)
        # llama-cpp-python's server (the one with /extras/tokenize) cuts a stream short when
        # another request waits, and the cut costs a second request (_rest_of): under 8
        # clients that halved throughput, so it is asked without streaming, which it never cuts
        self.streams = not (self._tokenize_url or "").endswith("/extras/tokenize")
        # llama-cpp-python's server defaults repeat_penalty to 1.1 where the in-process model
        # uses 1.0 (llama.cpp's server does too): set it, so both read prompts alike.
        # Other servers get standard fields only: a strict one may refuse unknown ones.
        self.llama_cpp = isinstance(props, dict) or self._tokenize_url is not None
        self._prefix: list[int] | None = None  # what the tokenizer adds in front (BOS)
        self._first_tokens: dict[str, int | None] = {}

    @classmethod
    def from_settings(cls, models: ModelSettings, settings: GenerationSettings) -> "OpenAIServerGenerator":
        return cls(models.llm_base_url, settings, models.llm_model, models.llm_api_key, models.llm_api,
                   models.llm_connect_timeout, models.llm_read_timeout)

    def close(self) -> None:
        self._client.close()

    def generate(self, prompt: Prompt) -> Iterator[str]:
        prompt = self.fit(prompt)
        body = {"model": self.model, "max_tokens": prompt.max_tokens or self.settings.max_tokens,
                "temperature": self.settings.temperature, "stream": self.streams}
        if self.llama_cpp:
            body["repeat_penalty"] = 1.0
        if self.uses_chat_template:
            body["messages"] = list(prompt.messages)
            url = f"{self.base_url}/chat/completions"
        else:
            body.update(prompt=prompt.completion, stop=list(prompt.stop))
            bias = self._bias(prompt.avoid)
            if bias:
                body["logit_bias"] = bias
            url = f"{self.base_url}/completions"
        yield from self._stream(url, body)

    def fit(self, prompt: Prompt) -> Prompt:
        """A completion prompt with its passage cut to generation.n_ctx less the answer, by
        the character estimate; the server refuses what still does not fit its own context.
        A chat prompt is left as it is: its passages were chosen within the same estimate
        (prompting.passage_budget), and cutting by it twice would lose words for nothing."""
        if self.uses_chat_template:
            return prompt
        return fit_prompt(prompt, answer_room(self.settings, prompt), lambda p: len(p.completion) // CHARS_PER_TOKEN + 1)

    # --- HTTP ---

    def _stream(self, url: str, body: dict) -> Iterator[str]:
        import httpx

        sent, finished = [], None
        try:
            with self._client.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._http_error(url, response.status_code, response.text)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    response.read()  # a server that ignored "stream": one JSON answer
                    events = iter([response.json()])
                else:
                    events = sse_data(response.iter_lines())
                for event in events:
                    if isinstance(event, dict) and event.get("error"):
                        raise ModelError(f"the model server at {url} stopped with an error: "
                                         f"{error_message(json.dumps(event))}; see the server's log")
                    finished = finished or finish_reason(event)
                    piece = event_text(event)
                    if piece:
                        sent.append(piece)
                        yield piece
            if not finished:
                yield from self._rest_of(url, body, "".join(sent))
        except httpx.HTTPError as exc:
            raise self._transport_error(url, exc) from exc
        except ValueError as exc:  # not JSON where an event should be
            raise ModelError(
                f"the model server at {url} did not answer in the OpenAI format ({exc}); check that "
                f"--llm-base-url names its OpenAI API (it usually ends in /v1)") from exc

    def _rest_of(self, url: str, body: dict, sent: str) -> Iterator[str]:
        """The rest of a completion whose stream ended with no finish reason: cut short, as
        llama-cpp-python's server does to a stream when another request waits (its
        `interrupt_requests`, on by default). Taking the cut draft as the answer made wrong
        answers under load, so the same request is made again without streaming, which is
        never cut, and what the stream had not sent yet follows. A server whose full answer
        does not begin with what it streamed is an error, never a spliced answer."""
        response = self._checked("POST", url, json={**body, "stream": False})
        try:
            full = event_text(response.json())
        except ValueError as exc:
            raise ModelError(f"the model server at {url} did not answer in the OpenAI format ({exc})") from exc
        if not full.startswith(sent):
            raise ModelError(
                f"the model server at {url} cut its streamed answer short, and asked again it answered "
                f"differently ({full[:60]!r} after {sent[:60]!r}); if it is llama-cpp-python's server, start "
                f"it with --interrupt_requests False")
        if full[len(sent):]:
            yield full[len(sent):]

    def _request(self, method: str, url: str, **options):
        import httpx

        try:
            return self._client.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise self._transport_error(url, exc) from exc

    def _checked(self, method: str, url: str, **options):
        """The response, or the server's HTTP error (status 400 and up) as a ModelError."""
        response = self._request(method, url, **options)
        if response.status_code >= 400:
            raise self._http_error(url, response.status_code, response.text)
        return response

    def _optional(self, method: str, url: str, **options):
        """A probe's JSON, or None when the server has no such endpoint."""
        response = self._request(method, url, **options)
        if response.status_code >= 400:  # absent, or refused: a wrong key shows on the real request
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def _first_model(self) -> str:
        url = f"{self.base_url}/models"
        response = self._checked("GET", url)
        try:
            models = [m["id"] for m in response.json()["data"]]
        except (ValueError, KeyError, TypeError):
            models = []
        if not models:
            raise ModelError(f"the model server at {url} lists no models; name one with --llm-model "
                             f"(and check that --llm-base-url names its OpenAI API, usually ending in /v1)")
        return models[0]

    def _find_tokenizer(self, root: str) -> tuple[str | None, str]:
        for url, field in ((f"{root}/extras/tokenize", "input"), (f"{root}/tokenize", "content")):
            found = self._optional("POST", url, json=self._tokenize_body(field, "a"))
            if isinstance(found, dict) and isinstance(found.get("tokens"), list):
                return url, field
        return None, ""

    def _tokenize_body(self, field: str, text: str) -> dict:
        # llama.cpp reads "content", vLLM "prompt"; neither minds the other's field
        extra = {"prompt": text, "add_special": False, "add_special_tokens": False} if field == "content" else {}
        return {field: text, "model": self.model, **extra}

    def _tokens(self, text: str) -> list[int]:
        response = self._checked("POST", self._tokenize_url, json=self._tokenize_body(self._tokenize_field, text))
        tokens = [t if isinstance(t, int) else t.get("id") for t in response.json().get("tokens", [])]
        return [t for t in tokens if isinstance(t, int)]

    def _bias(self, avoid: tuple[str, ...]) -> dict[str, float] | None:
        """Forbid the first token of each word in `avoid`, with and without a leading space,
        as the in-process model does (generation.LlamaGenerator._bias)."""
        if not avoid or self._tokenize_url is None:
            return None
        if self._prefix is None:
            self._prefix = self._tokens("")  # llama-cpp-python's /extras/tokenize adds BOS
        banned = set()
        for word in avoid:
            for form in (word, " " + word):
                if form not in self._first_tokens:
                    tokens = self._tokens(form)
                    if tokens[: len(self._prefix)] == self._prefix:
                        tokens = tokens[len(self._prefix):]
                    self._first_tokens[form] = tokens[0] if tokens else None
                if self._first_tokens[form] is not None:
                    banned.add(self._first_tokens[form])
        return {str(token): -100.0 for token in sorted(banned)} or None

    # --- errors: the URL, the cause, the fix ---

    def _http_error(self, url: str, status: int, body: str) -> ModelError:
        said = f"HTTP {status}: {error_message(body)}"
        if status in (401, 403):
            return ModelError(f"the model server at {url} refused the API key ({said}); check the key "
                              f"(--llm-api-key, or {LLM_API_KEY_ENV_VAR} to keep it out of the shell history)")
        if status == 404:
            return ModelError(f"the model server at {url} has no such endpoint or model ({said}); check "
                              f"--llm-base-url (it usually ends in /v1) and --llm-model")
        if status >= 500:
            return ModelError(f"the model server at {url} failed ({said}); see the server's log")
        hint = "; a model without a chat template needs --llm-api completions" if url.endswith("/chat/completions") else ""
        return ModelError(f"the model server at {url} rejected the request ({said}); check --llm-model{hint}")

    def _transport_error(self, url: str, exc: Exception) -> ModelError:
        import httpx

        connect, read = self.timeouts
        start = (f"start the server, or point rag at the right one with --llm-base-url "
                 f"(or {LLM_BASE_URL_ENV_VAR})")
        if isinstance(exc, httpx.ConnectTimeout):
            return ModelError(f"the model server at {url} did not accept a connection within {connect:g} s "
                              f"(connect timeout); {start}")
        if isinstance(exc, httpx.ReadTimeout):
            return ModelError(f"the model server at {url} sent nothing for {read:g} s (read timeout): it is "
                              f"hung or overloaded; check its log, or raise models.llm_read_timeout")
        if isinstance(exc, httpx.TimeoutException):
            return ModelError(f"the model server at {url} timed out ({type(exc).__name__}); check its log")
        if isinstance(exc, httpx.ConnectError):
            cause = "connection refused" if "refused" in str(exc).lower() else str(exc) or "cannot connect"
            return ModelError(f"could not reach the model server at {url} ({cause}); {start}")
        if isinstance(exc, httpx.RemoteProtocolError):
            return ModelError(f"the model server at {url} closed the connection mid-answer ({exc}); "
                              f"check its log")
        return ModelError(f"the request to the model server at {url} failed ({type(exc).__name__}: {exc}); "
                          f"check --llm-base-url")
