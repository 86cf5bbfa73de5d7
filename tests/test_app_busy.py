"""A full queue, for real: the app served on a free local port with a slow fake assistant
and a queue of 2; the request past it is refused at once with "busy, try again"."""
import http.client
import json
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from local_ports import free_port
from rag import Assistant
from rag.app_guard import BUSY

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402

RUNNING = 4  # the app's concurrency_limit for questions
WAITING = 2  # the queue size these tests serve with


class SlowAssistant(Assistant):
    """Holds every question until `go` is set; `started` counts the questions running."""

    def stream(self, *args, **kwargs):
        self.started.release()
        assert self.go.wait(30)
        return super().stream(*args, **kwargs)


@pytest.fixture
def served(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kill.txt").write_text("kill sends a signal to a process.\n")
    assistant = SlowAssistant.open(str(tmp_path / "docs"), str(tmp_path / "index"), embedder=HashingEmbedder(),
                                   generator=ScriptedGenerator({}))
    assistant.started, assistant.go = threading.Semaphore(0), threading.Event()
    port = free_port()
    folder = app_gradio.private_upload_folder()
    app = app_gradio.build_app(assistant, str(folder))
    app_gradio.serve(app, app_gradio.parse_args(["--port", str(port)]), str(folder), block=False,
                     queue_size=WAITING)
    try:
        yield port, app, assistant
    finally:
        assistant.go.set()
        app.close()


def _ask(port, app, question):
    """POST one question to the queue, as the page does; (status, JSON body, seconds)."""
    fn_id = next(i for i, f in app.fns.items() if getattr(f.fn, "__name__", "") == "respond")
    # the inputs of chat_events.ASK_INPUTS: question, chat, turns, sections, top_k, model, length,
    # chat_id, store, active, picker, since, until
    data = [question, [], None, None, 4, None, "Normal", "", None, None, [], "", ""]
    body = json.dumps({"data": data, "fn_index": fn_id,
                       "session_hash": uuid.uuid4().hex[:10], "event_data": None, "trigger_id": None})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    try:
        conn.request("POST", "/gradio_api/queue/join", body=body,
                     headers={"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read()), time.perf_counter() - started, response
    finally:
        conn.close()


def _wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_request_past_the_full_queue_gets_busy_try_again_within_a_second(served):
    port, app, assistant = served
    for i in range(RUNNING):
        assert _ask(port, app, f"What does kill send? ({i})")[0] == 200
    for _ in range(RUNNING):  # all four are running (and held), so the next ones wait
        assert assistant.started.acquire(timeout=10)
    for i in range(WAITING):
        status, body, _, _ = _ask(port, app, f"waiting {i}")
        assert status == 200 and "event_id" in body
    status, body, seconds, response = _ask(port, app, "one too many")
    assert status == 503
    assert body == {"detail": BUSY} and "try again" in BUSY
    assert response.getheader("Retry-After") == "5"
    assert seconds < 1.0
    assistant.go.set()  # once the queue drains, questions are taken again
    _wait_until(lambda: len(app._queue) == 0)
    assert _ask(port, app, "after the rush")[0] == 200
