"""The chat page's hardening (rag/app_guard.py), against the real Gradio server in this
process with the fake models: its private upload folder, what `file=` serves, which
`Host`/`Origin` it answers, its upload and queue limits, and the user's question shown
literally. Every request goes to 127.0.0.1 only, with timeouts.
"""
import http.client
import http.server
import json
import stat
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant
from rag.app_guard import MAX_UPLOAD_BYTES, QUEUE_SIZE, allowed_hosts
from rag.chat_view import question_message
from served_app import handler, request, served_app, upload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app as main() serves it (private folder, serve()), on a free local port."""
    work = tmp_path_factory.mktemp("guard")
    (work / "docs").mkdir()
    (work / "docs" / "kill.txt").write_text("kill sends a signal to a process.\n")
    assistant = Assistant.open(str(work / "docs"), str(work / "index"), embedder=HashingEmbedder(),
                               generator=ScriptedGenerator({}))
    with served_app(assistant) as (app, port, folder):
        yield SimpleNamespace(port=port, folder=folder, app=app, assistant=assistant, work=work)


# 7. a private upload folder; only its own uploads are taken, and all are deleted after

def test_uploads_land_in_a_private_folder_of_this_app(served):
    status, body = upload(served.port, "note.txt", b"hello")
    assert status == 200, body
    [stored] = json.loads(body)
    assert Path(stored).resolve().is_relative_to(served.folder)
    assert not served.folder.is_relative_to(Path(tempfile.gettempdir()) / "gradio")
    assert stat.S_IMODE(served.folder.stat().st_mode) == 0o700


def test_add_takes_only_uploads_from_its_own_folder_and_deletes_them(served, tmp_path):
    shared = tmp_path / "gradio" / "abc"  # another app's file in a shared temp folder
    shared.mkdir(parents=True)
    (shared / "planted.txt").write_text("The planted secret code is 4711.\n")
    ours = served.folder / "u1"
    ours.mkdir()
    (ours / "aral.txt").write_text("The chief engineer of the Aral project is Dilnoza Karimova.\n")
    (ours / "scan.bin").write_bytes(b"\x00\x01")
    add = handler(served.app, "add")
    result = add([str(shared / "planted.txt"), str(ours / "aral.txt"), str(ours / "scan.bin")],
                 progress=lambda *a, **k: None)
    message = result[1]
    assert "planted" in message and "not uploaded through this page" in message
    sources = served.assistant.store.sources
    assert "aral.txt" in sources and not any("planted" in s for s in sources)
    assert not (ours / "aral.txt").exists() and not (ours / "scan.bin").exists()  # refused ones too
    assert (shared / "planted.txt").exists()  # never deletes outside its folder


# 8. file= serves only the app's own files, never a URL

def test_file_route_does_not_fetch_urls(served, monkeypatch):
    hits = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"fetched")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Gradio refuses loopback URLs itself but fetches public ones; make 127.0.0.1 pass its
    # public-address check, as a public host would, so the test never leaves this machine.
    import safehttpx

    async def public(host, *args, **kwargs):
        return "127.0.0.1"

    monkeypatch.setattr(safehttpx, "async_validate_url", public)
    try:
        url = f"http://127.0.0.1:{server.server_port}/x.txt"
        status, body = request(served.port, "GET", f"/gradio_api/file={url}", timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert status == 403 and b"fetched" not in body
    assert hits == []


def test_file_route_does_not_serve_the_shared_gradio_folder(served):
    shared = Path(tempfile.gettempdir()) / "gradio" / f"rag-test-{uuid.uuid4().hex}"
    shared.mkdir(parents=True)
    try:
        (shared / "other.txt").write_text("another app's upload")
        status, body = request(served.port, "GET", f"/gradio_api/file={shared / 'other.txt'}")
    finally:
        (shared / "other.txt").unlink()
        shared.rmdir()
    assert status == 403 and b"another app" not in body


# 9. the user's question is literal text

def test_the_users_question_is_shown_literally():
    shown = question_message("![x](http://203.0.113.9/x.png) [docs](http://203.0.113.9) <img src=y>")
    assert shown.startswith('<p class="question">') and shown.count("<") == 2  # one HTML block, ours
    assert "![x](http://203.0.113.9/x.png)" in shown  # the text is kept, as text


def test_the_chat_shows_the_question_escaped(served):
    respond = handler(served.app, "respond")
    first = next(respond("![x](http://203.0.113.9/x.png) hi", [], [], [], 3, None, "Normal"))
    chat = first[0]
    assert chat[0]["role"] == "user" and chat[0]["content"] == question_message("![x](http://203.0.113.9/x.png) hi")


# 10. Host and Origin, upload size, queue, monitoring, config

def test_a_foreign_host_header_is_refused(served):
    assert request(served.port, "GET", "/", headers={"Host": f"localhost:{served.port}"})[0] == 200
    assert request(served.port, "GET", "/", headers={"Host": f"rebind.example:{served.port}"})[0] == 421
    assert request(served.port, "GET", "/config", headers={"Host": "rebind.example"})[0] == 421


def test_allow_host_names_more_hosts():
    args = app_gradio.parse_args(["--allow-host", "box.lan", "--allow-host", "BOX2", "--port", "8000"])
    hosts = allowed_hosts(args.host, args.port, args.allow_host)
    assert {"box.lan:8000", "box2:8000", "127.0.0.1:8000", "localhost:8000"} <= hosts
    assert "other.lan:8000" not in hosts


def test_an_upload_from_another_site_is_refused(served):
    before = set(served.folder.rglob("*"))
    status, _ = upload(served.port, "x.txt", b"from elsewhere", {"Origin": "http://evil.example"})
    assert status == 403
    assert set(served.folder.rglob("*")) == before
    assert upload(served.port, "y.txt", b"ok", {"Origin": f"http://localhost:{served.port}"})[0] == 200


def test_an_oversized_upload_is_refused_before_its_body_is_read(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        conn.putrequest("POST", "/gradio_api/upload", skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{served.port}")
        conn.putheader("Content-Type", "multipart/form-data; boundary=b")
        conn.putheader("Content-Length", str(MAX_UPLOAD_BYTES + 1))
        conn.endheaders(b"--b\r\n")  # only the start of the body: the answer must not wait for it
        response = conn.getresponse()
        assert response.status == 413
        assert f"{MAX_UPLOAD_BYTES // 2**20} MB" in response.read().decode()
    finally:
        conn.close()
    assert served.app.max_file_size == MAX_UPLOAD_BYTES  # Gradio's own check, for chunked uploads


def test_the_queue_is_bounded(served):
    assert served.app._queue.max_size == QUEUE_SIZE


def test_monitoring_is_off(served):
    for path in ("/monitoring", "/gradio_api/monitoring"):
        status, body = request(served.port, "GET", path)
        assert status == 404, (path, body[:200])


def test_config_names_no_absolute_paths(served):
    status, body = request(served.port, "GET", "/config")
    assert status == 200
    text = body.decode()
    for path in (str(served.folder), str(served.work), str(Path.cwd())):
        assert path not in text, text[max(0, text.find(path) - 200):text.find(path) + 100]
