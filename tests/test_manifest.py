"""The manifest schema on its own: what a well-formed manifest is, and what is refused."""
import json

import pytest

from rag.errors import IndexCorruptError, IndexVersionError
from rag.manifest import FORMAT_VERSION, FileEntry, Manifest, data_file_generation, data_file_name


def _valid() -> dict:
    manifest = Manifest("m", 8, {"max_words": 150}, "/docs",
                        {"a.txt": FileEntry("ab" * 32, 10, "2024-01-02", [0, 1])},
                        generation=3, next_chunk_id=2, vectors_file="vectors-3.faiss",
                        chunks_file="chunks-3.json", lexical_file="lexical-3.npz")
    return json.loads(manifest.to_json())


def test_a_manifest_survives_its_own_json():
    data = _valid()
    manifest = Manifest.from_json(json.dumps(data))
    assert manifest.files["a.txt"] == FileEntry("ab" * 32, 10, "2024-01-02", [0, 1])
    assert json.loads(manifest.to_json()) == data
    assert [name for name, _ in manifest.data_files()] == ["vectors-3.faiss", "chunks-3.json", "lexical-3.npz"]


@pytest.mark.parametrize("change,named", [
    ({"dimension": "8"}, "dimension"),
    ({"dimension": True}, "dimension"),
    ({"chunking": []}, "chunking"),
    ({"generation": -1}, "generation"),
    ({"embedding_model": None}, "embedding_model"),
    ({"files": []}, "files"),
    ({"files": {"a.txt": 3}}, "a.txt"),
    ({"files": {"a.txt": {"sha256": "x", "size": 1, "date": None, "chunk_ids": "0"}}}, "chunk_ids"),
    ({"files": {"a.txt": {"sha256": "x", "size": 1, "chunk_ids": []}}}, "date"),
    ({"chunks_file": "../../etc/passwd"}, "chunks_file"),
    ({"vectors_file": "chunks-3.json"}, "vectors_file"),
    ({"lexical_sha256": 5}, "lexical_sha256"),
])
def test_a_field_of_the_wrong_shape_is_named(change, named):
    data = {**_valid(), **change}
    with pytest.raises(IndexCorruptError, match=named):
        Manifest.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"format_version": "2"}', '{"format_version": 2}'])
def test_text_that_is_no_manifest_is_corrupt(text):
    with pytest.raises(IndexCorruptError):
        Manifest.from_json(text)


def test_a_newer_format_is_a_version_error_that_names_the_rebuild():
    with pytest.raises(IndexVersionError, match="--rebuild"):
        Manifest.from_json(json.dumps({**_valid(), "format_version": FORMAT_VERSION + 1}))


def test_a_format_1_manifest_needs_no_lexical_file():
    data = {**_valid(), "format_version": 1, "lexical_file": "", "lexical_sha256": ""}
    assert [name for name, _ in Manifest.from_json(json.dumps(data)).data_files()] == [
        "vectors-3.faiss", "chunks-3.json"]


def test_data_file_names_and_their_generations():
    assert [data_file_name(k, 12) for k in ("vectors", "chunks", "lexical")] == [
        "vectors-12.faiss", "chunks-12.json", "lexical-12.npz"]
    assert [data_file_generation(n) for n in ("chunks-7.json", "chunks-7.json.tmp", "manifest.json",
                                              "vectors-x.faiss", "lexical-1.json")] == [7, None, None, None, None]
