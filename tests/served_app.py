"""The chat app served in this process on a free port, as `app_gradio.main()` serves it
(private upload folder, request guard, limits): for tests and benchmarks that drive it."""
import contextlib
import os
import sys
from pathlib import Path

from local_ports import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402


@contextlib.contextmanager
def served_app(assistant, *args: str):
    """Yields (app, port, upload folder); `args` are further app_gradio command-line flags."""
    before = os.environ.get("GRADIO_TEMP_DIR")
    port = free_port()
    folder = app_gradio.private_upload_folder()
    app = app_gradio.build_app(assistant, str(folder))
    app_gradio.serve(app, app_gradio.parse_args(["--port", str(port), *args]), str(folder), block=False)
    try:
        yield app, port, folder
    finally:
        app.close()
        if before is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = before
