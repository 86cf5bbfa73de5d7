"""What the chat page lets a browser (or anything else) do to the machine it runs on.

- Its own upload folder: a fresh private folder per run (GRADIO_TEMP_DIR, mode 0700), not
  the /tmp/gradio every Gradio app on the machine shares; emptied when the app exits.
- Uploads: only files inside that folder are taken, and each is deleted once handled.
- Requests: `Host` and `Origin` must name the address the app serves on (or an
  --allow-host name), which closes DNS rebinding and cross-site uploads; `file=` serves
  only files from the app's own folder, never a URL; uploads over MAX_UPLOAD_BYTES are
  refused before their body is read; /monitoring does not exist.
- A full queue: Gradio refuses the join at once with HTTP 503; the reply names BUSY and
  carries `Retry-After` (the page itself shows Gradio's "currently busy, try again").

The limits are here so docs/chat.md and the tests name the same numbers. It does not
decide what is indexed: rag.documents does.
"""
from __future__ import annotations

import atexit
import ipaddress
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .documents import AddedFile
from .loading import inside_folder

MAX_UPLOAD_MB = 50
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
QUEUE_SIZE = 32  # events waiting beyond the running ones; the next gets "busy, try again"
BUSY = "The app is busy (too many requests waiting); try again in a moment."
RETRY_AFTER_SECONDS = 5
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def private_upload_folder() -> Path:
    """A new folder only this user can read, made Gradio's temp folder (GRADIO_TEMP_DIR)
    and removed when the process exits. Call it before the app is built."""
    folder = Path(tempfile.mkdtemp(prefix="rag-app-uploads-")).resolve()
    os.chmod(folder, 0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` (links resolved) is a file under `folder`.

    >>> inside("/tmp/a/../b/x.txt", "/tmp/a"), inside("/tmp/a/x/y.txt", "/tmp/a")
    (False, True)
    """
    return inside_folder(os.path.realpath(folder), os.path.realpath(path))


def split_uploads(paths: list[str], folder: str | Path) -> tuple[list[str], list[AddedFile]]:
    """The paths inside the upload folder, and a refusal for each one outside it.

    >>> ok, refused = split_uploads(["/up/a.txt", "/tmp/gradio/b.txt"], "/up")
    >>> ok, [r.message for r in refused]
    (['/up/a.txt'], ['not added: not uploaded through this page'])
    """
    ok, refused = [], []
    for p in paths:
        if inside(p, folder):
            ok.append(p)
        else:
            refused.append(AddedFile(Path(p).name, None, "not added: not uploaded through this page"))
    return ok, refused


def discard_uploads(paths: list[str], folder: str | Path) -> None:
    """Delete handled uploads (refused ones too), and their per-upload folders if empty;
    never anything outside the upload folder."""
    for p in paths:
        if not inside(p, folder):
            continue
        Path(p).unlink(missing_ok=True)
        parent = Path(p).parent
        if parent.resolve() != Path(folder).resolve():
            try:
                parent.rmdir()
            except OSError:
                pass


def allowed_hosts(bound: str, port: int, extra: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    """The `Host` values the app answers: its address (and the loopback names when it is
    served on loopback) and each --allow-host name, with or without the port.

    >>> sorted(allowed_hosts("127.0.0.1", 7860))[:3]
    ['127.0.0.1', '127.0.0.1:7860', '[::1]']
    >>> "evil.example:7860" in allowed_hosts("127.0.0.1", 7860)
    False
    """
    names = {bound.lower(), *(n.lower() for n in extra)}
    if is_loopback(bound) or bound in ("0.0.0.0", "::"):
        names |= set(LOOPBACK_NAMES)
    names -= {"0.0.0.0", "::"}  # a browser never sends these as the host it asked for
    return frozenset(n2 for n in names for n2 in (n, f"{n}:{port}"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_allowed(origin: str, hosts: frozenset[str]) -> bool:
    """
    >>> hosts = allowed_hosts("127.0.0.1", 7860)
    >>> origin_allowed("http://localhost:7860", hosts), origin_allowed("http://evil.example", hosts)
    (True, False)
    >>> origin_allowed("null", hosts)
    False
    """
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() in hosts


def file_allowed(path: str, folders: list[str | Path]) -> bool:
    """Whether a `file=` request may be served: a path inside the app's own folders; never a
    URL (Gradio would fetch it for the caller).

    >>> file_allowed("http://127.0.0.1:9/x", ["/up"]), file_allowed("//host/x", ["/up"])
    (False, False)
    >>> file_allowed("/up/abc/a.txt", ["/up"]), file_allowed("/tmp/gradio/a.txt", ["/up"])
    (True, False)
    """
    path = unquote(path)
    if _SCHEME.match(path) or path.startswith(("//", "\\\\")):
        return False
    return any(inside(path, folder) for folder in folders)


class RequestGuard:
    """ASGI middleware that applies the rules above before any Gradio route runs."""

    def __init__(self, app, hosts: frozenset[str], folders: list[str | Path],
                 max_upload: int = MAX_UPLOAD_BYTES):
        self.app, self.hosts, self.folders, self.max_upload = app, hosts, folders, max_upload

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            refusal = self.refusal(scope)
            if refusal is not None:
                status, text = refusal
                return await _plain(send, scope, status, text)
            if scope["type"] == "http" and scope.get("path", "").endswith("/queue/join"):
                send = _busy_reply(send)
        await self.app(scope, receive, send)

    def refusal(self, scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if headers.get("host", "").lower() not in self.hosts:
            return 421, "This address is not served here (see --allow-host)."
        origin = headers.get("origin")
        if origin is not None and not origin_allowed(origin, self.hosts):
            return 403, "Requests from other sites are refused."
        path = scope.get("path", "")
        if path.rstrip("/").endswith("/monitoring"):
            return 404, "Not found."
        if "/file=" in path and not file_allowed(path.split("/file=", 1)[1], self.folders):
            return 403, "File not allowed."
        if path.endswith("/upload") and int(headers.get("content-length") or 0) > self.max_upload:
            return 413, f"Uploads are limited to {self.max_upload // (1024 * 1024)} MB."
        return None


def _busy_reply(send):
    """`send` with Gradio's queue-full refusal (503, "Queue is full. Max size is ...")
    replaced by BUSY and a Retry-After: the same status, so every Gradio client still sees
    a full queue, in words that say what to do."""
    replacing = False

    async def send_busy(message):
        nonlocal replacing
        if message["type"] == "http.response.start" and message["status"] == 503:
            replacing = True
            body = json.dumps({"detail": BUSY}).encode()
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()),
                                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode())]})
            await send({"type": "http.response.body", "body": body})
        elif not (replacing and message["type"] == "http.response.body"):
            await send(message)

    return send_busy


async def _plain(send, scope, status: int, text: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
