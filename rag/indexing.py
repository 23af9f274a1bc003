"""Building the index from a corpus folder, reusing vectors of chunks whose text is unchanged."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import Chunk, chunk_document
from rag.config import ChunkSettings
from rag.corpus import Corpus, read_corpus
from rag.embedding import Embedder
from rag.errors import RagError
from rag.keyword import KeywordIndex
from rag.store import FORMAT_VERSION, Manifest, load_index, save_index, write_lock

ProgressStart = Callable[[int], Callable[[int], None]]


@dataclass(frozen=True)
class IndexReport:
    """What `rag index` did, for the user and for benchmarks."""

    index_dir: str
    files: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    embed_seconds: float
    warnings: tuple[str, ...]
    passages: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)  # file -> (format, count)


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkSettings,
    on_embedding: ProgressStart | None = None,
) -> IndexReport:
    """Read, chunk, embed and save; the previous index stays live until the new one is complete.

    Args:
        on_embedding: called with the number of chunks to embed; returns a per-batch callback.
    """
    started = time.perf_counter()
    corpus = read_corpus(corpus_dir)
    chunks = [c for d in corpus.documents for c in chunk_document(d, chunking)]
    with write_lock(index_dir):
        previous = _previous_vectors(index_dir, embedder.name, chunking)
        missing = [c for c in chunks if c.text_hash not in previous]
        embed_started = time.perf_counter()
        fresh = _embed(embedder, missing, on_embedding)
        embed_seconds = time.perf_counter() - embed_started
        vectors = _assemble(chunks, previous | fresh, embedder.dimension)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            embedding_model=embedder.name,
            dimension=embedder.dimension,
            chunking=dataclasses.asdict(chunking),
            corpus_root=str(corpus_dir.resolve()),
            files={d.path: d.sha256 for d in corpus.documents},
            chunk_count=len(chunks),
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        keyword = KeywordIndex.build([c.text for c in chunks])
        paragraphs = {d.path: list(d.paragraphs) for d in corpus.documents}
        save_index(index_dir, manifest, chunks, paragraphs, vectors, keyword)
    return IndexReport(
        index_dir=str(index_dir),
        files=len(corpus.documents),
        chunks=len(chunks),
        embedded=len(missing),
        reused=len(chunks) - len(missing),
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
        warnings=corpus.warnings,
        passages=_passages_per_file(corpus, chunks),
    )


def _passages_per_file(corpus: Corpus, chunks: list[Chunk]) -> dict[str, tuple[str, int]]:
    counts = Counter(c.file for c in chunks)
    return {d.path: (d.format, counts[d.path]) for d in corpus.documents}


def _previous_vectors(index_dir: Path, model: str, chunking: ChunkSettings) -> dict:
    """Vectors of the live index by chunk-text hash, when it was built the same way."""
    try:
        index = load_index(index_dir)
    except RagError:
        return {}
    if index.manifest.embedding_model != model or index.manifest.chunking != dataclasses.asdict(chunking):
        return {}
    vectors = index.vectors()
    return {chunk.text_hash: vectors[i] for i, chunk in enumerate(index.chunks)}


def _embed(embedder: Embedder, chunks: list[Chunk], on_embedding: ProgressStart | None) -> dict:
    if not chunks:
        return {}
    progress = on_embedding(len(chunks)) if on_embedding else None
    vectors = embedder.embed_passages([c.text for c in chunks], progress)
    return {chunk.text_hash: vectors[i] for i, chunk in enumerate(chunks)}


def _assemble(chunks: list[Chunk], by_hash: dict, dimension: int):  # type: ignore[no-untyped-def]
    import numpy as np

    if not chunks:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack([by_hash[c.text_hash] for c in chunks]).astype(np.float32)
