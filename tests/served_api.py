"""An ASGI app served by uvicorn on a free 127.0.0.1 port, in a thread, for the duration
of a `with` block: how the API tests reach `rag serve`'s app (or a fake model server) over
real HTTP."""
from __future__ import annotations

import contextlib
import threading
import time

from local_ports import free_port


@contextlib.contextmanager
def served(app, port: int | None = None):
    """Yield the base URL (http://127.0.0.1:PORT) while uvicorn serves `app`."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
