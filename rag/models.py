"""The one place that creates the embedder, the generator and the engine from Settings.

The CLI (every command), chat's /reindex, benchmarks and the background server all come here, so
a change of model or of how one is loaded is made once. The model classes are looked up when a
model is made, not at import, so `rag --help` stays light and tests can swap in fakes by patching
`rag.embedding.MiniLMEmbedder` and `rag.generation.LlamaGenerator`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.generation import Generator
    from rag.pipeline import Engine


def make_embedder(settings: Settings) -> Embedder:
    """The sentence embedder for passages and queries.

    Raises:
        ModelError: the embedding model is not installed.
    """
    from rag import embedding

    return embedding.MiniLMEmbedder()


class LazyEmbedder:
    """The embedder's name and size without loading it: `rag index` on an unchanged folder
    never needs the model, and calls this only when something must be embedded."""

    def __init__(self, settings: Settings) -> None:
        from rag import embedding

        self.settings = settings
        self.name = embedding.MiniLMEmbedder.name
        self.dimension = embedding.MiniLMEmbedder.dimension

    def __call__(self) -> Embedder:
        return make_embedder(self.settings)


def make_generator(settings: Settings) -> Generator:
    """The local GGUF model at settings.model_path, with settings.threads CPU threads.

    Raises:
        ModelError: the model file is missing or cannot be loaded.
    """
    from rag import generation

    return generation.LlamaGenerator(
        settings.model_path,
        threads=settings.threads,
        prompt_cache_bytes=settings.prompt_cache_mb * 2**20,
        state_dir=settings.state_dir,
    )


def generator_factory(settings: Settings) -> Callable[[], Generator]:
    """A deferred make_generator: the engine calls it only when a question needs the LLM."""
    return lambda: make_generator(settings)


def reindexed(engine: Engine, settings: Settings, writable_fix: str) -> Engine:
    """The index of the folder engine's index was built from, brought up to date and opened again
    with the models engine has loaded (neither loads twice); the old index is closed, so the files
    of its generation, which the rebuild deleted, free their disk space.

    Raises:
        OutputError: the index folder cannot be written (the message ends with writable_fix).
        RagError: what `rag index` would raise; the old index is then still whole and open.
    """
    from rag.indexing import build_index
    from rag.writable import ensure_writable_dir

    ensure_writable_dir(settings.index_dir, writable_fix)
    embedder = engine.retriever.embedder
    build_index(Path(engine.index.manifest.corpus_root), settings.index_dir, embedder, settings.chunking,
                store=settings.store)
    fresh = open_engine(settings, embedder, lambda: engine.generator)
    engine.index.close()
    return fresh


def open_engine(
    settings: Settings,
    embedder: Embedder | None = None,
    generator: Callable[[], Generator] | None = None,
) -> Engine:
    """Load the index with an embedder (made here unless given) and a lazily made generator.

    Raises:
        IndexNotFoundError, IndexMismatchError, ModelError
    """
    from rag.pipeline import Engine

    return Engine.open(settings, embedder, generator or generator_factory(settings))
