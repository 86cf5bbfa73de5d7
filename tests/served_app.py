"""The chat app served in this process on a free port, as `app_gradio.main()` serves it
(private upload folder, request guard, limits): for tests and benchmarks that drive it."""
import contextlib
import http.client
import os
import sys
import uuid
from pathlib import Path

from local_ports import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402


@contextlib.contextmanager
def served_app(assistant, *args: str, collections=None):
    """Yields (app, port, upload folder); `args` are further app_gradio command-line flags,
    `collections` the others it serves (rag.chat_collections), as main() gives them."""
    before = os.environ.get("GRADIO_TEMP_DIR")
    port = free_port()
    folder = app_gradio.private_upload_folder()
    app = app_gradio.build_app(assistant, str(folder), collections)
    app_gradio.serve(app, app_gradio.parse_args(["--port", str(port), *args]), str(folder), block=False)
    try:
        yield app, port, folder
    finally:
        app.close()
        if before is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = before


@contextlib.contextmanager
def served_url(docs: Path, index: Path, script: dict[str, str]):
    """The app served over `docs` with the fake models (a hashing embedder, a generator
    answering by `script`, as fakes.ScriptedGenerator); yields its URL."""
    from fakes import HashingEmbedder, ScriptedGenerator
    from rag import Assistant

    assistant = Assistant.open(str(docs), str(index), embedder=HashingEmbedder(), generator=ScriptedGenerator(script))
    with served_app(assistant) as (_app, port, _folder):
        yield f"http://127.0.0.1:{port}/"


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None,
            timeout: float = 30) -> tuple[int, bytes]:
    """One HTTP request to the served app, with a Host header naming the bound address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def upload(port: int, name: str | bytes, data: bytes, headers=None) -> tuple[int, bytes]:
    """A file sent to Gradio's upload route as the browser sends it (`name` may be raw bytes)."""
    boundary = uuid.uuid4().hex
    raw_name = name if isinstance(name, bytes) else name.encode()
    body = (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + raw_name
            + b"\"\r\nContent-Type: text/plain\r\n\r\n" + data + f"\r\n--{boundary}--\r\n".encode())
    return request(port, "POST", "/gradio_api/upload", body,
                   {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})


def handler(app, name: str):
    """The app's event handler function called `name`."""
    return next(f.fn for f in app.fns.values() if getattr(f.fn, "__name__", "") == name)
