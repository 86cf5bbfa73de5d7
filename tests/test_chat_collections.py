"""The collections the chat app serves (rag/chat_collections.py), with the fake models:
each opened once, on first use, answering with the first one's models; one that can't be
opened says why."""
import dataclasses

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant
from rag.chat_collections import serving
from rag.collections import ROOT_ENV
from rag.errors import CollectionError


@pytest.fixture
def first(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "collections"))
    embedder, generator = HashingEmbedder(), ScriptedGenerator({"harbour": "Dilnoza Karimova"})
    for name, text in (("ships", "The harbour master of Nukus is Dilnoza Karimova.\n"),
                       ("capes", "The lighthouse keeper is Anna Berg.\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(text)
    Assistant.open(tmp_path / "ships", collection="ships", embedder=embedder, generator=generator)
    (tmp_path / "collections" / "empty").mkdir()  # listed, with a problem: no index yet
    return Assistant.open(tmp_path / "capes", tmp_path / "index", embedder=embedder, generator=generator)


def test_each_collection_opens_once_with_the_first_ones_models(first, tmp_path):
    collections = serving(first, tmp_path / "index")
    assert collections.names() == ["default", "ships"], "the one with a problem is not offered"
    ships = collections.get("ships")
    assert collections.get("ships") is ships and collections.get(None) is first and collections.get("default") is first
    assert ships.collection == "ships" and ships.ask("Who is the harbour master of Nukus?").text == "Dilnoza Karimova"
    assert ships.embedder is first.embedder and ships.generator is first.generator
    # another GGUF chosen in a tab's settings is loaded once for every collection
    other = ScriptedGenerator({})
    first._generators["other.gguf"] = other
    settings = dataclasses.replace(ships.settings, models=dataclasses.replace(ships.settings.models,
                                                                              gguf_path="other.gguf"))
    assert ships._generator_for(settings) is other


def test_a_collection_that_cant_be_opened_says_why(first, tmp_path):
    collections = serving(first, tmp_path / "index")
    with pytest.raises(CollectionError, match="'empty' can't be opened: it holds no index yet"):
        collections.get("empty")
    with pytest.raises(CollectionError, match="'nowhere' is not served by this app"):
        collections.get("nowhere")
