"""Several users at once (fake models, threads): no model used by two threads, no mixed
answers, and a question during indexing sees the old index or the new one, whole."""
import threading
import time

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
MEETING_Q = "Where did the meeting between Madrakhimov and the IOM coordinator take place?"
NEW = "date 2024-05-10\nThe chief engineer of the Aral Sea restoration project is Dilnoza Karimova.\n"
ENGINEER_Q = "Who is the chief engineer of the Aral Sea restoration project?"


class OneUserGenerator(ScriptedGenerator):
    """Notes every time a completion starts while another one is still running."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running = 0
        self.overlaps = 0
        self._count_lock = threading.Lock()

    def generate(self, prompt):
        with self._count_lock:
            self.running += 1
            self.overlaps += self.running > 1
        try:
            for piece in super().generate(prompt):
                time.sleep(0.001)  # give the other thread every chance to cut in (not timed)
                yield piece
        finally:
            with self._count_lock:
                self.running -= 1


class TouchyEmbedder(HashingEmbedder):
    """Like a Hugging Face fast tokenizer: breaks when two threads embed at once."""

    def __init__(self):
        super().__init__()
        self.busy = False

    def embed(self, texts):
        assert not self.busy, "Already borrowed"
        self.busy = True
        try:
            time.sleep(0.001)
            return super().embed(texts)
        finally:
            self.busy = False


def _assistant(seeds_copy, tmp_path, embedder=None):
    generator = OneUserGenerator({"Minister of Foreign Affairs": "Rashid Meredov",
                                  "Where did the meeting": "Tashkent, Uzbekistan",
                                  "chief engineer": "Dilnoza Karimova"})
    return Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder or HashingEmbedder(),
                          generator=generator)


def test_questions_from_many_threads_get_their_own_answers_one_completion_at_a_time(seeds_copy, tmp_path):
    assistant = _assistant(seeds_copy, tmp_path, TouchyEmbedder())
    questions = [MINISTER_Q, MEETING_Q] * 4
    answers, errors = {}, []

    def ask(i):
        try:
            answers[i] = assistant.ask(questions[i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert assistant.generator.overlaps == 0
    for i, question in enumerate(questions):
        assert answers[i].question == question
        assert answers[i].text == ("Rashid Meredov" if question == MINISTER_Q else "Tashkent, Uzbekistan")


def test_streams_read_in_turns_do_not_mix_their_pieces(seeds_copy, tmp_path):
    assistant = _assistant(seeds_copy, tmp_path)
    first, second = assistant.stream(MINISTER_Q), assistant.stream(MEETING_Q)
    pieces = {"first": [], "second": []}
    worker = threading.Thread(target=lambda: pieces["second"].extend(second))
    it = iter(first)
    pieces["first"].append(next(it))  # the first stream holds the model now
    worker.start()
    pieces["first"].extend(it)
    worker.join()
    assert "".join(pieces["first"]).split() == ["Rashid", "Meredov"] * 3
    assert "Meredov" not in "".join(pieces["second"]) and "Tashkent" in "".join(pieces["second"])
    assert first.answer.text == "Rashid Meredov" and second.answer.text == "Tashkent, Uzbekistan"
    assert assistant.generator.overlaps == 0


def test_a_question_during_indexing_uses_the_previous_index_whole(seeds_copy, tmp_path):
    assistant = _assistant(seeds_copy, tmp_path)
    upload = tmp_path / "aral.txt"
    upload.write_text(NEW, encoding="utf-8")
    embedded, go_on = threading.Event(), threading.Event()

    def progress(event):  # called after the new file's chunks are embedded, before the swap
        if event.stage == "embedding":
            embedded.set()
            assert go_on.wait(10)

    worker = threading.Thread(target=assistant.add_documents, args=([upload],), kwargs={"progress": progress})
    worker.start()
    assert embedded.wait(10)
    during = assistant.ask(ENGINEER_Q)
    listed = [d.source for d in assistant.documents()]
    go_on.set()
    worker.join()
    assert during.abstained and "aral.txt" not in [h.chunk.source for h in during.hits]
    assert "aral.txt" not in listed
    after = assistant.ask(ENGINEER_Q)
    assert after.text == "Dilnoza Karimova" and after.citations[0].source == "aral.txt"


def test_index_updates_from_two_threads_take_turns(seeds_copy, tmp_path):
    assistant = _assistant(seeds_copy, tmp_path)
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"The {name} file says {name} things.\n")
    errors = []

    def add(name):
        try:
            assistant.add_documents([tmp_path / f"{name}.txt"])
        except Exception as exc:  # noqa: BLE001 - an IndexLockedError would land here
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {"a.txt", "b.txt"} <= set(assistant.store.sources)
