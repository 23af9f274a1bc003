"""The index store: what retrieval, indexing and the pipeline may ask of an index, and nothing more.

Two small protocols hide where the index lives. The default implementation is FAISS + SQLite on
local disk (rag/faiss_store.py); another backend (a Milvus store, say) implements the same two
protocols and nothing else in rag/ has to change.

`IndexStore` (reading; every method is safe to call for each question):
    manifest                  the `Manifest` of the live index (model, chunking, dense index type)
    count                     number of chunks; chunk rows are the integers 0 .. count-1
    dense_search(vector, k)   best k rows by inner product with a normalised query vector, as
                              (row, score) pairs, best first; never a scan of every vector in Python
    keyword_search(query, k)  best k rows by BM25 (only rows sharing a term), (row, score), best first
    chunks(rows)              the `Chunk` of each row, in the order asked
    vectors(rows)             the embedding of each row (a len(rows) x dimension float32 array);
                              used for near-duplicate checks among candidates only
    paragraphs(file)          every `Paragraph` of one file, in order (for paragraph citations)
    chunks_from(file, paragraph, line, after)   the chunk of file holding that paragraph from
                              that line on, and up to `after` chunks after it, in reading order (a
                              chat follow-up reads on from a cited passage)
    files()                   path -> `FileState` (sha256, size, mtime_ns) of every indexed file
    close()                   release files and connections

`IndexWriter` (building; one writer per index directory, see `write_lock`):
    keep_files(states)        carry the chunks and paragraphs of unchanged files (path -> current
                              `FileState`) over from the live index without reading or embedding
                              them again
    add_document(doc, chunks, state)   a new or changed file, chunked
    new_hashes()              text hashes of this generation's chunks with no cached vector yet
    texts(hashes)             what to embed for each hash: the chunk text under its heading
    vectors                   the `VectorCache`: embeddings by chunk-text hash, kept between runs,
                              written batch by batch, so a killed run resumes and an unchanged
                              chunk is never embedded twice
    commit(manifest)          build the dense and keyword indexes and make the result live in one
                              atomic step; until then readers see the previous index
    abort()                   drop the unfinished work (the cached vectors stay, and so may a
                              backend's checkpoint of a half-built dense index)

Functions here choose the implementation that their `store` argument names ("faiss", the default,
or "milvus:URI", rag/milvus_store.py): `open_index`, `read_manifest`, `live_files`,
`open_vector_cache`, `begin_write`, `update_file_states`. `write_lock` is local to the index
directory for both: one writer per machine and index name.
"""

from __future__ import annotations

import dataclasses
import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rag.chunking import PASSAGE_RULES, Chunk
from rag.config import DEFAULT_INDEX_DIR, DEFAULT_STORE, ChunkSettings, milvus_uri
from rag.corpus import Document, Paragraph
from rag.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError, RagError

# Called with the number of items a long step will process; returns the callback it advances by
# the items done (the CLI draws a progress bar with ETA from it).
ProgressStart = Callable[[int], Callable[[int], None]]

if TYPE_CHECKING:
    import numpy as np

FORMAT_VERSION = 3


@dataclass(frozen=True)
class FileState:
    """What decides whether a file changed: size and mtime first, the content hash second."""

    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Manifest:
    """The live index's description. `dense` names the FAISS index type and its search parameters
    (e.g. {"type": "hnsw", "M": 32, "efSearch": 96}) so a reader knows how to open and tune it."""

    format_version: int
    embedding_model: str
    dimension: int
    chunking: dict[str, int]
    corpus_root: str
    chunk_count: int
    file_count: int
    created: str
    dense: dict[str, Any] = field(default_factory=dict)
    passage_rules: int = 1  # rag.chunking.PASSAGE_RULES when built; 1 before it was recorded
    text_suffixes: list[str] = field(default_factory=list)  # other extensions read as plain text (`--as-text`)


# new rules may change what every passage is embedded as (its file's name, heading): no reuse promised
KEPT_EMBEDDINGS = "a passage embedded with the same text and context as before keeps its embedding"


def outdated_rules_note(manifest: Manifest, index_dir: Path | None = None, store: str = DEFAULT_STORE) -> str | None:
    """What to do when the index's passages were split by other rules than this rag's, else None."""
    if manifest.passage_rules == PASSAGE_RULES:
        return None
    return (f"the index's passages were split by another version of rag's rules; run `rag index "
            f"{manifest.corpus_root}{index_option(index_dir, store)}` to split them again ({KEPT_EMBEDDINGS})")


Scored = tuple[int, float]


class VectorCache(Protocol):
    """Embeddings by chunk-text hash, persisted as soon as they are written."""

    def missing(self, hashes: Sequence[str]) -> list[str]: ...

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None: ...

    def get(self, hashes: Sequence[str]) -> np.ndarray: ...

    def close(self) -> None: ...


class IndexStore(Protocol):
    """Read access to one built index (see the module docstring)."""

    manifest: Manifest

    @property
    def count(self) -> int: ...

    def dense_search(self, vector: np.ndarray, k: int) -> list[Scored]: ...

    def keyword_search(self, query: str, k: int) -> list[Scored]: ...

    def chunks(self, rows: Sequence[int]) -> list[Chunk]: ...

    def vectors(self, rows: Sequence[int]) -> np.ndarray: ...

    def paragraphs(self, file: str) -> list[Paragraph]: ...

    def chunks_from(self, file: str, paragraph: int, line: int, after: int) -> list[Chunk]: ...

    def files(self) -> dict[str, FileState]: ...

    def close(self) -> None: ...


class IndexWriter(Protocol):
    """One new generation of an index being written (see the module docstring)."""

    vectors: VectorCache

    def keep_files(self, states: dict[str, FileState]) -> None: ...

    def add_document(self, document: Document, chunks: Sequence[Chunk], state: FileState) -> None: ...

    def new_hashes(self) -> list[str]: ...

    def texts(self, hashes: Sequence[str]) -> list[str]: ...

    def commit(self, manifest: Manifest, on_building: ProgressStart | None = None) -> Manifest: ...

    def abort(self) -> None: ...


def index_option(index_dir: Path | None, store: str = DEFAULT_STORE) -> str:
    """` --index DIR` (and ` --store URI`) for a command suggested to the user, when the index is
    not the default one (or not kept by FAISS: without --store, rag index would build a FAISS index)."""
    option = "" if index_dir is None or index_dir.resolve() == DEFAULT_INDEX_DIR.resolve() else f" --index {shell_word(index_dir)}"
    return option + ("" if store == DEFAULT_STORE else f" --store {shell_word(store)}")


def shell_word(value: object) -> str:
    """A path or value as one word of a command to copy into a shell (quoted when it has spaces)."""
    import shlex

    return shlex.quote(str(value))


def no_index_error(index_dir: Path, hint: str = "") -> IndexNotFoundError:
    """There is no index at index_dir: a file given where the folder belongs, or a folder without one."""
    if index_dir.is_file():
        return IndexNotFoundError(f"{index_dir} is a file, not an index folder; pass a folder to --index")
    return IndexNotFoundError(f"no index at {index_dir}; build one with `rag index DIR{index_option(index_dir)}`{hint}")


def rebuild_hint(corpus_root: str, index_dir: Path | None = None, *, rebuild: bool = False) -> str:
    """The command that rebuilds the index, naming --index when it is not the default one."""
    return f"rebuild it with `rag index {shell_word(corpus_root)}{index_option(index_dir)}" + (" --rebuild`" if rebuild else "`")


def check_compatible(manifest: Manifest, embedding_model: str, chunking: ChunkSettings, index_dir: Path | None = None) -> None:
    """Refuse an index that the current code or settings would not have built.

    Raises:
        IndexMismatchError: the format, embedding model or chunk settings differ.
    """
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index has format {manifest.format_version}, this rag reads {FORMAT_VERSION}; "
            + rebuild_hint(manifest.corpus_root, index_dir)
        )
    if manifest.embedding_model != embedding_model:
        raise IndexMismatchError(
            f"the index was built with {manifest.embedding_model}, not {embedding_model}; "
            + rebuild_hint(manifest.corpus_root, index_dir)
        )
    if manifest.chunking != dataclasses.asdict(chunking):
        raise IndexMismatchError(
            f"the index was built with {_chunking_difference(manifest.chunking, chunking)}; "
            + rebuild_hint(manifest.corpus_root, index_dir)
            + ", or set the chunk settings it was built with"
        )


def _chunking_difference(built: dict[str, int], asked: ChunkSettings) -> str:
    """"max_words 400, not 200 (RAG_CHUNK_WORDS)": each chunk setting that differs, with its variable."""
    parts = []
    for spec in dataclasses.fields(asked):
        now, then = getattr(asked, spec.name), built.get(spec.name)
        if now != then:
            env = spec.metadata.get("env")
            parts.append(f"{spec.name} {then}, not {now}" + (f" ({env})" if env else ""))
    return ", ".join(parts) or f"chunk settings {built}"


class Backend(Protocol):
    """One kind of store at one place: what the selector functions below hand their work to."""

    def read_manifest(self) -> Manifest: ...

    def open_index(self) -> IndexStore: ...

    def begin_write(self, *, reuse_live: bool, model: str, dimension: int) -> IndexWriter: ...

    def open_vector_cache(self, model: str, dimension: int) -> VectorCache: ...

    def set_aside_damaged_cache(self, model: str) -> str | None: ...

    def live_damage(self) -> str | None: ...

    def live_files(self) -> dict[str, FileState]: ...

    def last_files(self) -> dict[str, FileState]: ...

    def update_file_states(self, states: dict[str, FileState]) -> None: ...


def backend(index_dir: Path, store: str = DEFAULT_STORE) -> Backend:
    """The implementation that `store` names (see rag.config.normalised_store); its library is
    imported here, on first use, so `rag --help` never loads FAISS or pymilvus."""
    uri = milvus_uri(store)
    if uri is not None:
        from rag.milvus_store import MilvusBackend

        return MilvusBackend(uri, index_dir)
    from rag.faiss_store import FaissBackend

    return FaissBackend(index_dir)


def read_manifest(index_dir: Path, store: str = DEFAULT_STORE) -> Manifest:
    """The live index's manifest, without opening anything else.

    Raises:
        IndexNotFoundError: there is no index at index_dir, or it is unreadable.
        IndexMismatchError: the index has another format version.
    """
    return backend(index_dir, store).read_manifest()


def open_index(index_dir: Path, store: str = DEFAULT_STORE) -> IndexStore:
    """Open the live index for reading (memory-mapped where the index type allows).

    Raises:
        IndexNotFoundError: there is no index, or its files are damaged.
        IndexMismatchError: the index has another format version.
    """
    return backend(index_dir, store).open_index()



def begin_write(
    index_dir: Path, *, reuse_live: bool, model: str, dimension: int, store: str = DEFAULT_STORE
) -> IndexWriter:
    """Start a new generation; hold `write_lock(index_dir)` around its whole life.

    Args:
        reuse_live: whether keep_files may copy from the live index (same model and chunking).
    """
    return backend(index_dir, store).begin_write(reuse_live=reuse_live, model=model, dimension=dimension)


def open_vector_cache(index_dir: Path, model: str, dimension: int, store: str = DEFAULT_STORE) -> VectorCache:
    """The cached embeddings of one model, read-only (empty when there are none)."""
    return backend(index_dir, store).open_vector_cache(model, dimension)


def set_aside_damaged_cache(index_dir: Path, model: str, store: str = DEFAULT_STORE) -> str | None:
    """Before a rebuild: move a damaged embedding cache out of the way; a warning saying so, or None."""
    return backend(index_dir, store).set_aside_damaged_cache(model)


def live_damage(index_dir: Path, store: str = DEFAULT_STORE) -> str | None:
    """What is wrong with the live index's files, found without reading them whole (a stat each),
    or None when they look sound or there is no index."""
    return backend(index_dir, store).live_damage()


def live_files(index_dir: Path, store: str = DEFAULT_STORE) -> dict[str, FileState]:
    """path -> FileState of the live index, read without opening the dense or keyword index.

    Raises:
        IndexNotFoundError: there is no index at index_dir.
    """
    return backend(index_dir, store).live_files()


def last_files(index_dir: Path, store: str = DEFAULT_STORE) -> dict[str, FileState]:
    """The files of the index last written, {} when there is none: the live index's, or, when the
    pointer to it is lost, those of the newest complete generation (a repair reads them again; it
    does not add them).

    Raises:
        IndexNotFoundError: the index's file list cannot be read.
    """
    return backend(index_dir, store).last_files()


def update_file_states(index_dir: Path, states: dict[str, FileState], store: str = DEFAULT_STORE) -> None:
    """Record new size/mtime for files whose content hash did not change (atomic, in place)."""
    backend(index_dir, store).update_file_states(states)


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index directory; readers never wait.

    Raises:
        IndexBusyError: another process holds the lock.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IndexBusyError(
                f"another `rag index` is writing {index_dir}; wait for it to finish"
            ) from error
        yield
