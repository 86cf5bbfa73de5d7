"""A GGUF with a chat template goes through the template, and stays grounded.

No instruct model ships with this project, so the test gives the default model a Gemma
chat template (conftest.chat_gguf, with the `gguf` package's gguf-new-metadata) and
drives that file for real. A base model behind a chat template answers poorly; the point
is the path (the template is detected and used) and the guarantee (whatever it says,
nothing unverified reaches the user).
"""
from pathlib import Path

import pytest

from rag import Assistant
from rag.citations import quote_in_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(chat_gguf, tmp_path_factory):
    import shutil

    docs = tmp_path_factory.mktemp("docs") / "seeds"
    shutil.copytree(Path(__file__).resolve().parent.parent / "seeds", docs)
    return Assistant.open(docs, docs.parent / "index", model=str(chat_gguf))


def test_template_is_detected_and_used(assistant, monkeypatch):
    generator = assistant.generator
    assert generator.uses_chat_template
    prompts = []
    real_generate = generator.generate
    monkeypatch.setattr(generator, "generate", lambda prompt: (prompts.append(prompt), real_generate(prompt))[1])
    stream = assistant.stream("Who is the Minister of Foreign Affairs of Turkmenistan?")
    pieces = list(stream)
    answer = stream.answer
    assert len(pieces) > 1 and answer.draft == "".join(pieces) and answer.draft.strip()
    # one chat prompt with every passage, not one completion prompt per sentence window
    (prompt,) = prompts
    assert [m["role"] for m in prompt.messages] == ["system", "user"]
    assert all(f"[{n}]" in prompt.messages[1]["content"] for n in range(1, 5))
    for c in answer.citations:
        assert quote_in_file(c, (assistant.docs / c.source).read_text(encoding="utf-8"))
        assert any(w in c.quote for w in answer.text.replace(".", " ").split() if len(w) > 3)


def test_chat_model_never_answers_from_outside_the_documents(assistant):
    answer = assistant.ask("What is the capital of Kazakhstan?")
    assert answer.abstained and answer.citations == ()
