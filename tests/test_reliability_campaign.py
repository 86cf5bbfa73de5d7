"""The reliability campaign's machinery (benchmarks/reliability.py, docs/reliability.md):
the save checkpoints it kills at, its I/O fault injection, the checks that judge a run,
and the whole campaign in a tiny configuration, so that none of it rots."""
import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import reliability  # noqa: E402,I001  (puts this checkout first on sys.path)
import reliability_corruption  # noqa: E402
import reliability_ioerr  # noqa: E402
import reliability_kills  # noqa: E402
from reliability_state import make_corpus, mutate_corpus, state_of, update  # noqa: E402

import rag.store_files  # noqa: E402
from rag.store_files import SAVE_CHECKPOINTS  # noqa: E402


def test_an_update_passes_every_save_checkpoint_in_order(tmp_path, monkeypatch):
    import random

    make_corpus(tmp_path / "docs", random.Random(1), 3)
    update(tmp_path / "docs", tmp_path / "index")
    passed = []
    monkeypatch.setattr(rag.store_files, "save_checkpoint", passed.append)
    mutate_corpus(tmp_path / "docs", random.Random(2))
    update(tmp_path / "docs", tmp_path / "index")
    assert passed == list(SAVE_CHECKPOINTS)


def test_a_child_killed_at_a_checkpoint_leaves_the_old_state(tmp_path):
    import random

    docs, index = tmp_path / "docs", tmp_path / "index"
    make_corpus(docs, random.Random(1), 3)
    old = state_of(update(docs, index))
    mutate_corpus(docs, random.Random(2))
    child = reliability_kills.start_child("cli", docs, index, kill_at="manifest-tmp-written")
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == -9 and reliability_kills.last_checkpoint(stderr) == "manifest-tmp-written"
    tally = reliability_kills.KillTally()
    tally.check(docs, index, old, "a state it can't have", stderr)
    assert tally.counts["old state"] == 1 and tally.counts["killed inside the save"] == 1
    assert tally.counts["recovery differs from a clean build"] == 1 and tally.bad == 1  # the made-up new state


def test_every_write_fails_once_and_each_failure_is_a_clear_error(tmp_path):
    counts, problems = reliability_ioerr.run_ioerrors(tmp_path, 1, codes=(errno.ENOSPC,), files=2)
    assert problems == []
    assert counts["injections"] == counts["writes_per_update"] + 1  # + FAISS's own error
    assert counts["clear IndexStoreError"] > counts["absorbed, new state saved"] > 0


def test_the_fault_injection_catches_an_error_that_escapes_unmapped(tmp_path, monkeypatch):
    monkeypatch.setattr(rag.store_files, "write_error", lambda folder, exc: exc)  # raise the raw error
    counts, problems = reliability_ioerr.run_ioerrors(tmp_path, 1, codes=(errno.EIO,), files=2)
    assert counts["other exception"] > 0 and any("OSError" in p for p in problems)


@pytest.mark.parametrize("returncode, stdout, stderr, verdict", [
    (2, "", "rag: error: index file x does not match its checksum; rebuild it", "clear error"),
    (0, json.dumps({"hits": [{"source": "a.txt"}]}), "", "same hits as undamaged"),
    (0, json.dumps({"hits": [{"source": "b.txt"}]}), "", "silent wrong result"),
    (1, "", "Traceback (most recent call last):\n  ...", "crash"),
    (-11, "", "", "crash"),
])
def test_a_search_on_a_damaged_index_is_judged_by_its_output(returncode, stdout, stderr, verdict):
    result = subprocess.CompletedProcess([], returncode, stdout, stderr)
    assert reliability_corruption.outcome(result, [{"source": "a.txt"}]) == verdict


@pytest.mark.slow
def test_the_campaign_runs_in_a_tiny_configuration(capsys):
    code = reliability.main(["--kills", "3", "--corruptions", "5", "--chats", "2", "--chat-rounds", "2",
                             "--fake-models", "--json",
                             "--parts", "kills,corruptions,ioerrors,hostile,chats"])
    out = capsys.readouterr().out  # Gradio prints "Closing server ..." lines before the rows
    rows = json.loads(out[out.index("[\n"):])
    assert code == 0, rows
    assert [r["runs"] for r in rows][:2] == ["3 kills", "5 damaged indexes"]
    assert all(r["ok"] for r in rows)
