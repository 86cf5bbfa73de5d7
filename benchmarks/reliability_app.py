"""The campaign's chat page: the real app served on a free local port, requests to it, and
8 concurrent chats through `gradio_client` with a re-index in the middle.

Each chat asks its own question in its own session. Before the run, every question is
asked directly of the Assistant, once without and once with the document the re-index
adds; under load each chat's final message must equal one of its own two, and a message
equal to another question's counts as cross-talk.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import reliability_state  # noqa: F401 (puts tests/ on the path)
from rag.chat_view import answer_message
from served_app import handler, request, upload  # noqa: F401 (tests/ is on the path via reliability_state)
from served_app import served_app as served

FACTS = [("The codename of the {0} project is {1}.", "What is the codename of the {0} project?"),
         ("The {0} team meets every {1} in the library.", "When does the {0} team meet?")]
TOPICS = [("Aster", "Bluefin"), ("Birch", "Tuesday"), ("Cedar", "Marlin"), ("Dahlia", "Friday"),
          ("Elm", "Heron"), ("Fern", "Monday"), ("Gorse", "Osprey"), ("Hazel", "Sunday")]
ADDED = "The harvest festival in Lindenfeld lasts three days and ends with a lantern parade.\n"


def _text(content) -> str:
    """A chat message's text; Gradio gives it as text or as a list of typed parts."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def chat_corpus(docs: Path) -> list[str]:
    """One document per chat; returns the questions, in order."""
    docs.mkdir(parents=True, exist_ok=True)
    questions = []
    for n, (name, value) in enumerate(TOPICS):
        fact, question = FACTS[n % 2]
        (docs / f"{name.lower()}.txt").write_text(fact.format(name, value) + "\n")
        questions.append(question.format(name))
    return questions


def expected_messages(assistant, questions: list[str]) -> list[set[str]]:
    return [{answer_message(assistant.ask(q), 1, asked=q)} for q in questions]


def run_chats(assistant, questions: list[str], rounds: int = 2) -> tuple[Counter, list[str]]:
    """8 clients, `rounds` questions each, with a document added and re-indexed midway."""
    from gradio_client import Client

    docs = assistant.docs
    expected = expected_messages(assistant, questions)
    (docs / "zz-festival.txt").write_text(ADDED)
    assistant.reindex()
    for mine, more in zip(expected, expected_messages(assistant, questions)):
        mine |= more
    (docs / "zz-festival.txt").unlink()
    assistant.reindex()
    counts, problems = Counter(), []
    lock = threading.Lock()
    with served(assistant) as (_app, port, _folder):
        url = f"http://127.0.0.1:{port}/"
        started, midway = threading.Barrier(len(questions) + 1), threading.Barrier(len(questions) + 1)
        spans = []

        def chat(n: int) -> None:
            client = Client(url, verbose=False)
            started.wait()
            for r in range(rounds):
                if r == rounds // 2:
                    midway.wait()
                client.reset_session()
                begun = time.perf_counter()
                try:
                    result = client.predict(questions[n], [], 4, None, "Normal", api_name="/respond")
                    messages = result[0]
                    user, reply = _text(messages[0]["content"]), _text(messages[-1]["content"])
                    outcome = "own answer" if reply in expected[n] and questions[n] in str(user) else (
                        "cross-talk" if any(reply in e for e in expected) else "unexpected answer")
                except Exception as exc:  # noqa: BLE001 -- any failure of a chat counts as an error
                    outcome = "error"
                    reply = f"{type(exc).__name__}: {exc}"
                with lock:
                    spans.append((begun, time.perf_counter()))
                    counts["answers"] += 1
                    counts[outcome] += 1
                    if outcome != "own answer":
                        problems.append(f"chat {n}: {outcome}: {str(reply)[:200]}")

        threads = [threading.Thread(target=chat, args=(n,)) for n in range(len(questions))]
        for thread in threads:
            thread.start()
        started.wait()
        admin = Client(url, verbose=False)
        midway.wait()  # half the questions answered, the rest being asked: add a document, re-index
        (docs / "zz-festival.txt").write_text(ADDED)
        begun = time.perf_counter()
        admin.predict(api_name="/reindex")
        reindexed = (begun, time.perf_counter())
        for thread in threads:
            thread.join()
        counts["answers overlapping the re-index"] = sum(
            start < reindexed[1] and end > reindexed[0] for start, end in spans)
        if "zz-festival.txt" not in assistant.store.sources:
            problems.append("the re-index did not add the document")
    (docs / "zz-festival.txt").unlink()
    return counts, problems
