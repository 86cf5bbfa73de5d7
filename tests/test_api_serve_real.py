"""`rag serve` as users start it (a subprocess, the real models, the seeds), driven by the
official `openai` client: a plain reply, a streamed one and a follow-up, each with its
verified citations. Slow: it indexes the seeds and loads both models.

At temperature 0 the model's words can change with the llama.cpp build, so these check
what holds on any build: the cited sentence holds the answer, and a short answer, when
one is given, is the right one.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from local_ports import free_port

ROOT = Path(__file__).resolve().parent.parent
MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    shutil.copytree(ROOT / "seeds", folder / "docs")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--docs", str(folder / "docs"), "--index", str(folder / "index"),
         "--port", str(port), "--api-key", "k3y"],
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"rag serve did not start:\n{server.stdout.read() if server.poll() else ''}")
            time.sleep(0.5)
        yield openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k3y", max_retries=0, timeout=300)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "serving the OpenAI-compatible API on http://127.0.0.1:" in output


def ask(client, *messages, **options):
    return client.chat.completions.create(
        model="rag", messages=[{"role": r, "content": c} for r, c in messages], **options)


def check_minister(extra: dict) -> None:
    citation = extra["citations"][0]
    assert citation["source"] == "003_064eea4f1c13281f.txt" and citation["start_line"] == 7
    assert "Rashid Meredov" in citation["quote"]
    assert extra["rag"]["short_answer"] in (None, "Rashid Meredov", "Meredov")


def test_plain_streamed_and_follow_up_replies_through_rag_serve_carry_verified_citations(client):
    assert [m.id for m in client.models.list()] == ["rag"]
    plain = ask(client, ("user", MINISTER_Q))
    check_minister(plain.model_extra)
    content = plain.choices[0].message.content
    assert content.startswith("> ") and "Rashid Meredov" in content

    chunks = list(ask(client, ("user", MINISTER_Q), stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    check_minister(chunks[-1].model_extra)

    later = ask(client, ("user", MINISTER_Q), ("assistant", content), ("user", "and who did he meet?"))
    extra = later.model_extra
    assert "Meredov" in extra["rag"]["question"], "the follow-up was made to stand alone"
    assert not extra["rag"]["abstained"] and "Zeynal Hajiyev" in extra["citations"][0]["quote"]
    assert extra["rag"]["short_answer"] in (None, "Zeynal Hajiyev")
