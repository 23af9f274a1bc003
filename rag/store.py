"""The index on disk: generations swapped in atomically, JSON metadata, a manifest that is checked.

Layout of an index directory:
    CURRENT              the name of the live generation, replaced atomically
    gen-*/manifest.json  format version, embedding model, dimension, chunking, file hashes
    gen-*/chunks.json    the chunks (file, paragraph and line ranges, offsets, text)
    gen-*/paragraphs.json  every paragraph's number, line range and offsets, by file
    gen-*/dense.faiss    normalised embeddings in an inner-product index
    gen-*/keyword/       the BM25 index
A new index is written into a fresh generation and only then named in CURRENT, so an interrupted
`rag index` leaves the previous index untouched.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.chunking import Chunk
from rag.config import ChunkSettings
from rag.corpus import Paragraph
from rag.errors import IndexMismatchError, IndexNotFoundError, RagError
from rag.keyword import KeywordIndex

if TYPE_CHECKING:
    import faiss
    import numpy as np

FORMAT_VERSION = 1
CURRENT = "CURRENT"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedding_model: str
    dimension: int
    chunking: dict[str, int]
    corpus_root: str
    files: dict[str, str]
    chunk_count: int
    created: str


@dataclass
class StoredIndex:
    """A loaded index: what retrieval needs, all in memory."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    paragraphs: dict[str, list[Paragraph]]
    dense: faiss.Index
    keyword: KeywordIndex

    def vectors(self) -> np.ndarray:
        return self.dense.reconstruct_n(0, self.dense.ntotal)


def _rebuild_hint(manifest: Manifest) -> str:
    return f"rebuild it with `rag index {manifest.corpus_root}`"


def check_compatible(manifest: Manifest, embedding_model: str, chunking: ChunkSettings) -> None:
    """Refuse an index that the current code or settings would not have built.

    Raises:
        IndexMismatchError: the format, embedding model or chunk settings differ.
    """
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index has format {manifest.format_version}, this rag reads {FORMAT_VERSION}; "
            + _rebuild_hint(manifest)
        )
    if manifest.embedding_model != embedding_model:
        raise IndexMismatchError(
            f"the index was built with {manifest.embedding_model}, not {embedding_model}; "
            + _rebuild_hint(manifest)
        )
    if manifest.chunking != dataclasses.asdict(chunking):
        raise IndexMismatchError(
            f"the index was built with chunk settings {manifest.chunking}; "
            + _rebuild_hint(manifest)
        )


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    generation = index_dir / name
    return generation if generation.is_dir() else None


def read_manifest(index_dir: Path) -> Manifest:
    """The live generation's manifest.

    Raises:
        IndexNotFoundError: there is no index at index_dir.
    """
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index at {index_dir}; build one with `rag index DIR`")
    try:
        data = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as error:
        raise IndexNotFoundError(
            f"the index at {index_dir} is unreadable ({error}); rebuild it with `rag index DIR`"
        ) from error


def load_index(index_dir: Path) -> StoredIndex:
    """Load the live generation into memory.

    Raises:
        IndexNotFoundError: there is no index, or its files are damaged.
    """
    import faiss

    manifest = read_manifest(index_dir)
    generation = current_generation(index_dir)
    assert generation is not None
    try:
        rows = json.loads((generation / "chunks.json").read_text(encoding="utf-8"))
        chunks = [Chunk(**row) for row in rows]
        by_file = json.loads((generation / "paragraphs.json").read_text(encoding="utf-8"))
        paragraphs = {f: [Paragraph(*row) for row in rows] for f, rows in by_file.items()}
        dense = faiss.read_index(str(generation / "dense.faiss"))
        keyword = KeywordIndex.load(generation / "keyword")
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        raise IndexNotFoundError(
            f"the index at {index_dir} is damaged ({error}); rebuild it with `rag index DIR`"
        ) from error
    if dense.ntotal != len(chunks):
        raise IndexNotFoundError(
            f"the index at {index_dir} is inconsistent; rebuild it with `rag index DIR`"
        )
    return StoredIndex(index_dir, manifest, chunks, paragraphs, dense, keyword)


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index directory."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RagError(
                f"another `rag index` is writing {index_dir}; wait for it to finish"
            ) from error
        yield


def save_index(
    index_dir: Path,
    manifest: Manifest,
    chunks: list[Chunk],
    paragraphs: dict[str, list[Paragraph]],
    vectors: np.ndarray,
    keyword: KeywordIndex,
) -> Path:
    """Write a new generation, then make it live in one atomic rename. Returns its folder."""
    import faiss

    generation = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    partial = generation.with_name(generation.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    dense = faiss.IndexFlatIP(manifest.dimension)
    if len(vectors):
        dense.add(vectors)
    faiss.write_index(dense, str(partial / "dense.faiss"))
    keyword.save(partial / "keyword")
    _write_json(partial / "chunks.json", [dataclasses.asdict(c) for c in chunks])
    _write_json(
        partial / "paragraphs.json",
        {f: [dataclasses.astuple(p) for p in ps] for f, ps in paragraphs.items()},
    )
    _write_json(partial / "manifest.json", dataclasses.asdict(manifest))
    _fsync_tree(partial)
    partial.rename(generation)
    pointer = index_dir / (CURRENT + ".tmp")
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / CURRENT)
    _remove_old_generations(index_dir, keep=generation.name)
    return generation


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for path in index_dir.glob("gen-*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
