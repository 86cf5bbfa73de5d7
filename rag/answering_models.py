"""The Assistant's answering models: the default GGUF, others chosen per question, a model
server instead, warm-up.

Kept apart from the question path (pipeline.py). A GGUF is loaded once per process and
only when first needed (indexing never needs one); before that, llama_check makes sure
the llama.cpp build runs it without crashing. With `models.llm_base_url` set, a model
server answers (remote_generation.py) and no GGUF is looked for, assembled or loaded.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .concurrency import completion_pieces
from .config import Settings
from .generation import Generator, LlamaGenerator, default_models_dir, resolve_gguf
from .prompting import build_prompt, build_reading_prompt


def load_generator(settings: Settings) -> Generator:
    """The model these settings answer with: the model server they name, else a GGUF."""
    if settings.models.llm_base_url:
        from .remote_generation import OpenAIServerGenerator

        return OpenAIServerGenerator.from_settings(settings.models, settings.generation)
    return LlamaGenerator(resolve_gguf(settings.models), settings.generation)


class AnsweringModels:
    """Mixed into Assistant; needs .settings, ._generator, ._generators, ._models_lock,
    .embedder and .store."""

    @property
    def generator(self) -> Generator:
        """The answering model, loaded on first use (indexing never needs it)."""
        if self._generator is None:
            self._generator = load_generator(self.settings)
        return self._generator

    def _generator_for(self, settings: Settings) -> Generator:
        """The Assistant's model, or the other GGUF or model server these settings name
        (each loaded once)."""
        if settings is self.settings:
            return self.generator
        if settings.models.llm_base_url:
            from .remote_generation import server_key

            key = server_key(settings.models)
            if key == server_key(self.settings.models):
                return self.generator
            return self._loaded_once(key, settings)
        path = settings.models.gguf_path
        if not path or path == self.settings.models.gguf_path:
            return self.generator
        if Path(path) == getattr(self.generator, "path", None):
            return self.generator
        return self._loaded_once(path, settings)

    def _loaded_once(self, key, settings: Settings) -> Generator:
        """The model `settings` name, loaded the first time `key` (its path or server) is asked for."""
        with self._models_lock:
            if key not in self._generators:
                self._generators[key] = load_generator(settings)
            return self._generators[key]

    def use_models_of(self, other: "AnsweringModels") -> None:
        """Answer with `other`'s models from now on: its model, and every other GGUF either
        of them loads for a question's settings (one set, one lock). Another collection
        open in the same process (chat_collections.py) then never loads a model twice."""
        self._generator = other.generator
        self._generators = other._generators
        self._models_lock = other._models_lock

    def model_choices(self) -> list[Path]:
        """GGUF files to answer with: the one in use and those in the models folder; none
        when a model server answers (the server's model is the only one)."""
        if self.settings.models.llm_base_url:
            return []
        folder = Path(self.settings.models.models_dir) if self.settings.models.models_dir else default_models_dir()
        current = getattr(self.generator, "path", None)
        found = sorted(folder.glob("*.gguf"))
        return ([current] if current and current not in found else []) + found

    def warm_up(self, settings: Settings | None = None) -> None:
        """Load both models and run each once, so the first question pays no hidden load.

        For a base model this also evaluates the reading prompt's fixed worked examples,
        which llama.cpp then reuses from its cache for every question. A model server is
        asked for one token: one that is down or refuses the key fails here, at start.
        """
        self.embedder.embed(["warm up"])
        self.store.prepare()
        generator = self._generator_for(settings or self.settings)
        prompt = (build_prompt("Hello?", []) if generator.uses_chat_template
                  else build_reading_prompt("Who?", "Ana met Bo.", max_tokens=1))
        for _piece in completion_pieces(generator, dataclasses.replace(prompt, max_tokens=1)):
            pass
