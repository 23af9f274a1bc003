"""The default index store: FAISS for dense search, SQLite for rows, bm25s for keywords.

Layout of an index directory:
    CURRENT                 the name of the live generation, replaced atomically
    vectors-<model>.sqlite  embeddings by chunk-text hash, shared by all generations (the work
                            area: batches are committed as they are embedded, so a killed run
                            resumes; entries that neither the live generation's chunks nor those of
                            the one it replaced use are pruned after each commit)
    gen-*/manifest.json     format, embedding model, chunking, counts, dense index type and params
    gen-*/meta.sqlite       tables chunks (row = FAISS id; indexed by file and by text hash),
                            paragraphs, files (hash, size, mtime)
    gen-*/dense.faiss       the FAISS index: exact inner product for small corpora, HNSW over
                            8-bit scalar-quantised vectors above DENSE_EXACT_MAX chunks
    gen-*/dense-rows.npy    only when the HNSW index was carried over from the previous generation
                            (new chunks' vectors added, dropped ones masked): FAISS label -> row
    gen-*/keyword/          the BM25 index (rag.keyword's arrays, memory-mapped when opened)
    gen-*/sizes.json        the byte size of each dense and keyword file as written, so that an
                            unchanged-folder `rag index` can tell a damaged generation by a stat
    dense-build.checkpoint.faiss, dense-build.checkpoint.json
                            an HNSW index half built by a run that was stopped, and what it holds
                            (see _build_dense); deleted by the next commit
A new generation is written beside the live one and only then named in CURRENT. Unchanged files'
rows are copied inside SQLite and their vectors come from the cache, so nothing is re-read or
re-embedded; when nothing changed, no generation is written at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.chunking import Chunk, embedding_text, under_table_header
from rag.corpus import Document, Paragraph
from rag.errors import IndexBusyError, IndexDamagedError, IndexMismatchError, IndexNotFoundError, OutputError, RagError, cannot_read
from rag.keyword import KeywordIndex
from rag.store import FORMAT_VERSION, FileState, Manifest, ProgressStart, Scored, no_index_error, rebuild_hint

if TYPE_CHECKING:
    import faiss
    import numpy as np

CURRENT = "CURRENT"
MAX_COSINE = 1.05  # unit vectors' inner product, with room for SQ8 codes' rounding
GENERATION_NAME = re.compile(r"gen-[\w-]+")  # one folder inside the index (FaissWriter: gen-DATE-TIME-HEX)
DENSE_EXACT_MAX = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 512
HNSW_EF_SEARCH_LARGE = 1024  # from HNSW_LARGE chunks on: a bigger graph needs a longer walk for the same recall
HNSW_LARGE = 500_000
TRAIN_SAMPLE = 65_536
MAX_DELETED = 0.2  # share of an HNSW index's vectors that may be masked before it is rebuilt
READ_AHEAD_BYTES = 16 << 20
LABELS = "dense-rows.npy"  # FAISS label -> chunk row (-1: masked), when they differ
SIZES = "sizes.json"  # relative path -> bytes of each file written once (not meta.sqlite, updated in place)
ROW_BATCH = 4096
CHECKPOINT = "dense-build.checkpoint.faiss"  # beside the generations: a new run removes .partial folders
CHECKPOINT_SIDECAR = "dense-build.checkpoint.json"
CHECKPOINT_SECONDS = 120.0  # at most this long of HNSW building lost to a kill; a save costs seconds at 1M
_SEARCH_ONLY = ("efSearch", "deleted")  # dense spec entries that do not change a built index
_CHUNK_COLUMNS = (
    "id, file, first_paragraph, last_paragraph, start_line, end_line, start, end_, text, "
    "format, page, page_paragraph, heading, table_header"
)
_CHUNK_VALUES = ", ".join("?" * (len(_CHUNK_COLUMNS.split(",")) + 2))  # the row, the columns, the hash
_PARAGRAPH_COLUMNS = "number, start_line, end_line, start, end_, page, page_paragraph, heading"

SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, id TEXT NOT NULL, file TEXT NOT NULL,
    first_paragraph INTEGER, last_paragraph INTEGER, start_line INTEGER, end_line INTEGER,
    start INTEGER, end_ INTEGER, text TEXT NOT NULL, format TEXT NOT NULL, page INTEGER,
    page_paragraph INTEGER, heading TEXT, table_header TEXT, hash INTEGER NOT NULL);
CREATE INDEX chunks_file ON chunks(file);
CREATE TABLE paragraphs (
    file TEXT NOT NULL, number INTEGER NOT NULL, start_line INTEGER, end_line INTEGER,
    start INTEGER, end_ INTEGER, page INTEGER, page_paragraph INTEGER, heading TEXT,
    PRIMARY KEY (file, number)) WITHOUT ROWID;
CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER, mtime_ns INTEGER) WITHOUT ROWID;
"""


def hash_key(text_hash: str) -> int:
    """A chunk's 16-hex-digit text hash as a signed 64-bit SQLite integer key."""
    return int(text_hash, 16) - (1 << 63)


def dense_spec(count: int) -> dict[str, Any]:
    """The FAISS index for a corpus of `count` chunks: exact when small, HNSW (SQ8) above.

    Exact search is about 60 ms per query at 1M x 384 on one core; HNSW with 8-bit codes keeps
    the index near 0.6 GB at 1M. Its recall@10 against exact search at 100k passages (bench/scale.py,
    efConstruction 64): 0.93 at efSearch 128, 0.97 at 256, 0.98 at 512 for about 4 ms a query;
    the 8-bit codes themselves cost little (0.99 searched exhaustively), the graph walk the rest.
    At 1M passages: 0.918 at 256, 0.947 at 512, 0.961 at 768, 0.968 at 1024 (5.0 ms a query; the
    by_ef_search figures of `bench/scale.py --passages 1000000`), hence the longer walk there.
    """
    if count <= DENSE_EXACT_MAX:
        return {"type": "flat", "factory": "Flat"}
    return {
        "type": "hnsw",
        "factory": f"HNSW{HNSW_M},SQ8",
        "M": HNSW_M,
        "efConstruction": HNSW_EF_CONSTRUCTION,
        "efSearch": HNSW_EF_SEARCH_LARGE if count >= HNSW_LARGE else HNSW_EF_SEARCH,
    }


# --- reading ----------------------------------------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None when CURRENT is missing or does not name one of this
    index's generations (garbled, a folder, or a path elsewhere: never followed out of the index)."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, UnicodeDecodeError):
        return None
    if not GENERATION_NAME.fullmatch(name):
        return None
    generation = index_dir / name
    return generation if generation.is_dir() else None


def _live(index_dir: Path) -> Path:
    generation = current_generation(index_dir)
    if generation is None:
        orphan = _newest_generation(index_dir)
        if orphan is not None:  # the pointer to it is lost, not the index
            root = _corpus_root_of(index_dir, orphan)
            raise IndexDamagedError(
                f"the index at {index_dir} is damaged ({CURRENT} is missing or names no generation); "
                f"{rebuild_hint(root, index_dir)}", f"{CURRENT} is missing or names no generation",
                "" if root == "DIR" else root)
        if _being_built(index_dir):
            raise IndexBusyError(f"the index at {index_dir} is being built by `rag index`; wait for it to finish")
        elsewhere = " (or, if it was built with --store milvus:URI, pass that --store again)" if _has_files(index_dir) else ""
        raise no_index_error(index_dir, elsewhere)
    return generation


def _unreadable_file(paths: Iterable[Path]) -> Path | None:
    """The first of the index's files this user may not read."""
    return next((p for p in paths if p.is_file() and not os.access(p, os.R_OK)), None)


def _newest_generation(index_dir: Path) -> Path | None:
    """The newest complete generation folder (one with a manifest), by name (they sort by time)."""
    try:
        complete = [p for p in index_dir.glob("gen-*") if p.is_dir() and (p / "manifest.json").is_file()]
    except OSError:
        return None
    return max(complete, key=lambda p: p.name, default=None)


def _being_built(index_dir: Path) -> bool:
    """Whether a first `rag index` is writing here now: its generation is partial, its lock held."""
    import fcntl

    if not any(index_dir.glob("gen-*.partial")):
        return False
    try:
        with open(index_dir / ".lock", "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _has_files(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:
        return False


def read_manifest(index_dir: Path, generation: Path | None = None) -> Manifest:
    """See rag.store.read_manifest; of the given generation, else of the live one."""
    generation = generation or _live(index_dir)
    try:
        data = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _unreadable(index_dir, error) from error
    if not isinstance(data, dict) or type(data.get("format_version")) is not int:
        raise _unreadable(index_dir, ValueError("manifest.json is not an index's manifest"))
    if data["format_version"] != FORMAT_VERSION:
        version = data["format_version"]
        newer = version > FORMAT_VERSION
        raise IndexMismatchError(
            f"the index has format {version}, this rag reads {FORMAT_VERSION}; "
            + ("it was written by a newer rag: upgrade rag, or " if newer else "")
            + rebuild_hint(str(data.get("corpus_root", "DIR")), index_dir)
        )
    try:
        manifest = Manifest(**data)
    except TypeError as error:
        raise _unreadable(index_dir, error) from error
    wrong = [f.name for f in dataclasses.fields(Manifest) if not _of_type(getattr(manifest, f.name), f.type)]
    if wrong:  # a hand edit: "chunk_count": "x" would fail far from here
        raise _unreadable(index_dir, ValueError(f"manifest.json gives {', '.join(wrong)} a value of the wrong type"))
    negative = [name for name in _COUNTS if getattr(manifest, name) < 0]
    if negative:
        raise _unreadable(index_dir, ValueError(f"manifest.json gives {', '.join(negative)} a negative value"))
    return manifest


def _of_type(value: Any, annotation: Any) -> bool:
    """Whether a manifest value has its field's JSON type: `true` is no count, though Python's
    bool is an int."""
    wanted = _MANIFEST_TYPES.get(annotation, object)
    return isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))


_MANIFEST_TYPES: dict[Any, type | tuple[type, ...]] = {"int": int, "str": str, "dict[str, int]": dict, "dict[str, Any]": dict,
                                                    "list[str]": list}
_COUNTS = ("format_version", "dimension", "chunk_count", "file_count", "passage_rules")


def _unreadable(index_dir: Path, error: Exception) -> IndexDamagedError:
    """A manifest that cannot be read names no folder: the fix asks for it."""
    return IndexDamagedError(f"the index at {index_dir} is unreadable ({error}); {rebuild_hint('DIR', index_dir, rebuild=True)}",
                             f"manifest.json is unreadable: {error}")


def read_only_uri(path: Path) -> str:
    """A SQLite URI opening path read-only, whatever characters the path holds."""
    from urllib.parse import quote

    return f"file:{quote(os.fsencode(path.resolve()))}?mode=ro"  # bytes: a name that is not UTF-8 too


def _connect_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise sqlite3.OperationalError(f"{path.name} is missing")
    roll_back_interrupted_write(path)
    return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)


def roll_back_interrupted_write(path: Path) -> None:
    """A write killed mid-transaction leaves its rollback journal beside the file, and a read-only
    connection cannot undo it ("attempt to write a readonly database"): the index would look
    damaged though it is sound. A read through a writable connection makes SQLite roll the
    journal back (only when no live writer holds it: its own locks say so)."""
    if not path.with_name(path.name + "-journal").exists():
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()


def damaged_index(index_dir: Path, error: Exception, corpus_root: str = "DIR") -> IndexDamagedError:
    return IndexDamagedError(f"the index at {index_dir} is damaged ({error}); {rebuild_hint(corpus_root, index_dir, rebuild=True)}",
                             str(error))


def disk_failed(index_dir: Path, error: Exception) -> OutputError:
    """A full or failing disk under the index: rebuilding would fail the same way."""
    return OutputError(
        f"cannot write the index at {index_dir} ({error}); free disk space (or check the disk) and run "
        "`rag index` again; the index in use is unchanged"
    )


def _disk_fault(error: sqlite3.DatabaseError) -> bool:
    """SQLite's code for a full disk or an I/O error (extended codes keep the primary in the low byte)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR)


def _reports_damage(method: Callable[..., Any]) -> Callable[..., Any]:
    """A SQLite read or write that fails once the index is open is told in one line naming the
    fix, not a traceback: a full or failing disk as such, anything else as the index's damage."""

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as error:
            manifest = getattr(self, "manifest", None)
            raise _failure(self.index_dir, error, manifest.corpus_root if manifest else None) from error

    return checked


def _failure(index_dir: Path, error: sqlite3.DatabaseError, corpus_root: str | None = None) -> RagError:
    """A failed SQLite call on the index as the user's problem: the disk, else the index's damage."""
    if _disk_fault(error):
        return disk_failed(index_dir, error)
    return damaged_index(index_dir, error, corpus_root or _corpus_root_of(index_dir))


def _corpus_root_of(index_dir: Path, generation: Path | None = None) -> str:
    """The indexed folder (of the live generation, or the one given), for a fix to name; "DIR"
    when the manifest cannot tell."""
    try:
        return read_manifest(index_dir, generation).corpus_root
    except RagError:
        return "DIR"


def set_aside_if_damaged(path: Path) -> str | None:
    """Rename a vector cache that fails SQLite's quick check to *.damaged, so that a rebuild embeds
    afresh instead of failing on it; a warning saying so, or None when it is sound or absent."""
    if not path.is_file():
        return None
    try:
        with contextlib.closing(_connect_read_only(path)) as db:
            sound = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        sound = False
    if sound:
        return None
    aside = path.with_name(path.name + ".damaged")
    os.replace(path, aside)
    return f"the embedding cache {path.name} was damaged; set aside as {aside.name}, every passage is embedded again"


def _record_sizes(generation: Path) -> None:
    files = [generation / "dense.faiss", generation / LABELS, *sorted((generation / "keyword").rglob("*"))]
    sizes = {str(f.relative_to(generation)): f.stat().st_size for f in files if f.is_file()}
    (generation / SIZES).write_text(json.dumps(sizes, sort_keys=True), encoding="utf-8")


def live_damage(index_dir: Path) -> str | None:
    """What is wrong with the live generation's files, found by a stat of each (no file is read
    but two small ones): a dense or keyword file missing or of another size than written, or the
    embedding cache missing or shorter than its own header says. None when all look sound or
    there is no index. An unchanged folder otherwise leaves a damaged index as it is."""
    generation = current_generation(index_dir)
    if generation is None:
        return None
    try:
        manifest = read_manifest(index_dir, generation)
    except RagError:
        return None  # unreadable manifests are already rebuilt: the live index is not reused
    try:
        written: dict[str, int] = json.loads((generation / SIZES).read_text(encoding="utf-8"))
    except FileNotFoundError:  # a generation written before sizes were recorded
        written = {"dense.faiss": -1, "keyword": -1}
    except (OSError, ValueError) as error:
        return f"{SIZES} is unreadable ({error})"
    for name, size in written.items():
        found = generation / name
        if not found.exists():
            return f"{name} is missing"
        if size >= 0 and found.stat().st_size != size:
            return f"{name} is {found.stat().st_size:,} of the {size:,} bytes written"
    return _count_damage(generation, manifest.chunk_count) or _cache_damage(
        vector_cache_path(index_dir, manifest.embedding_model), manifest.chunk_count)


def _count_damage(generation: Path, chunks: int) -> str | None:
    """The manifest's passage count against the keyword index's own (one small file) and the
    metadata's last row (one B-tree lookup): an edited manifest would otherwise be reported as the
    index's size on every unchanged `rag index`."""
    try:
        held = int(json.loads((generation / "keyword" / "meta.json").read_text(encoding="utf-8"))["count"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"keyword/meta.json is unreadable ({error})"
    try:
        with contextlib.closing(_connect_read_only(generation / "meta.sqlite")) as meta:
            (last,) = meta.execute("SELECT MAX(row) FROM chunks").fetchone()
    except sqlite3.Error as error:
        return f"meta.sqlite is unreadable ({error})"
    rows = 0 if last is None else last + 1
    if held == chunks == rows:
        return None
    return f"manifest.json says {chunks:,} passages, the keyword index holds {held:,}, meta.sqlite {rows:,}"


def _cache_damage(path: Path, chunks: int) -> str | None:
    """A missing embedding cache, or one shorter than the page count its SQLite header gives (a
    truncated file); the header's count is trusted only when SQLite marks it valid."""
    if not path.is_file():
        return f"the embedding cache {path.name} is missing" if chunks else None
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return f"the embedding cache {path.name} is not a SQLite file"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages, counter, valid_for = (int.from_bytes(header[i : i + 4], "big") for i in (28, 24, 92))
    if counter == valid_for and path.stat().st_size < pages * page_size:
        return f"the embedding cache {path.name} is {path.stat().st_size:,} of its {pages * page_size:,} bytes"
    return None


def vector_cache_path(index_dir: Path, model: str) -> Path:
    return index_dir / f"vectors-{re.sub(r'[^A-Za-z0-9_.-]+', '_', model)}.sqlite"


class FaissStore:
    """The live generation, opened for reading: FAISS memory-mapped where its type allows,
    SQLite rows read on demand, the BM25 matrices memory-mapped."""

    def __init__(
        self,
        manifest: Manifest,
        meta: sqlite3.Connection,
        dense: faiss.Index,
        keyword: KeywordIndex,
        vectors: SqliteVectorCache,
        path: Path,
        labels: np.ndarray | None = None,
    ) -> None:
        self.manifest = manifest
        self.path = path
        self._meta = meta
        self._dense = dense
        self._keyword = keyword
        self._vectors = vectors
        self._labels = labels
        self._selector = _live_labels_selector(labels) if labels is not None else None
        self._chunk_columns = _chunk_columns_held(meta)

    @classmethod
    def open(cls, index_dir: Path) -> FaissStore:
        """See rag.store.open_index. A `rag index` that commits meanwhile deletes the generation
        being opened: the new live one is opened instead."""
        generation = _live(index_dir)
        try:
            return cls._open_generation(index_dir, generation)
        except IndexNotFoundError:
            if current_generation(index_dir) in (generation, None):
                raise
            return cls._open_generation(index_dir, _live(index_dir))

    @classmethod
    def _open_generation(cls, index_dir: Path, generation: Path) -> FaissStore:
        manifest = read_manifest(index_dir, generation)
        cache = vector_cache_path(index_dir, manifest.embedding_model)
        try:
            meta = _connect_read_only(generation / "meta.sqlite")
            (count,) = meta.execute("SELECT COUNT(*) FROM chunks").fetchone()
            labels = read_labels(generation)
            vectors_in_index = count if labels is None else len(labels)
            code_bytes = _code_bytes(manifest.dense, manifest.dimension, vectors_in_index)
            dense = _read_dense(generation / "dense.faiss", code_bytes)
            keyword = KeywordIndex.load(generation / "keyword")
            if not cache.is_file():  # its vectors would read as zeros: every dense score 0, no error
                raise FileNotFoundError(f"the embedding cache {cache.name} is missing")
            vectors = SqliteVectorCache(cache, manifest.dimension)
        except (OSError, EOFError, ValueError, TypeError, RuntimeError, sqlite3.Error) as error:
            closed = _unreadable_file([*generation.rglob("*"), cache])
            if closed is not None:  # sound, and rebuilding would not open it: its permissions would
                raise IndexNotFoundError(f"{cannot_read(str(closed))}, or use an index you own") from error
            raise damaged_index(index_dir, error, manifest.corpus_root) from error
        dense_rows = dense.ntotal if labels is None else int((labels >= 0).sum())
        if not dense_rows == count == manifest.chunk_count == keyword.document_count or (
            labels is not None and len(labels) != dense.ntotal
        ):
            counts = (f"manifest.json says {manifest.chunk_count:,} passages, meta.sqlite holds {count:,}, dense.faiss "
                      f"{dense_rows:,}" + ("" if labels is None else f" of {dense.ntotal:,} vectors and {len(labels):,} labels")
                      + f", the keyword index {keyword.document_count:,}")
            raise IndexDamagedError(f"the index at {index_dir} is inconsistent ({counts}); "
                                    f"{rebuild_hint(manifest.corpus_root, index_dir, rebuild=True)}")
        return cls(manifest, meta, dense, keyword, vectors, generation, labels)

    @property
    def count(self) -> int:
        return self.manifest.chunk_count

    @property
    def index_dir(self) -> Path:
        return self.path.parent

    def dense_search(self, vector: np.ndarray, k: int) -> list[Scored]:
        import faiss
        import numpy as np

        k = min(k, self.count)
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        params = None
        if self.manifest.dense.get("type") == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(int(self.manifest.dense["efSearch"]), k))
            if self._selector is not None:
                params.sel = self._selector
        scores, rows = self._dense.search(query, k, params=params)
        found = scores[rows >= 0]  # a slot HNSW could not fill holds -1 and an infinite score
        if not np.isfinite(found).all() or np.abs(found).max(initial=0.0) > MAX_COSINE:
            # unit vectors' inner products: bytes of dense.faiss changed in place (its size is checked)
            raise damaged_index(self.index_dir, ValueError("dense.faiss holds vectors that are not unit length"),
                                self.manifest.corpus_root)
        if self._labels is not None:
            rows = np.where(rows >= 0, self._labels[np.maximum(rows, 0)], -1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    @_reports_damage
    def keyword_search(self, query: str, k: int) -> list[Scored]:
        try:
            return self._keyword.top(query, k)
        except (ValueError, IndexError) as error:  # the BM25 arrays' bytes changed in place (sizes are checked)
            raise damaged_index(self.index_dir, error, self.manifest.corpus_root) from error

    @_reports_damage
    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        found = {}
        for batch in _batches(list(rows), 900):
            marks = ",".join("?" * len(batch))
            for row, *values in self._meta.execute(
                f"SELECT row, {self._chunk_columns} FROM chunks WHERE row IN ({marks})", batch
            ):
                found[row] = Chunk(*values)
        self._check_held(found, rows)
        return [found[int(r)] for r in rows]

    def _check_held(self, found: dict[int, Any], rows: Sequence[int]) -> None:
        """A row the dense or keyword index names that the metadata lacks: one of them written over."""
        missing = next((int(r) for r in rows if int(r) not in found), None)
        if missing is not None:
            raise damaged_index(self.index_dir, LookupError(f"meta.sqlite holds no passage {missing}"),
                                self.manifest.corpus_root)

    @_reports_damage
    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        keys = {}
        for batch in _batches(list(rows), 900):
            marks = ",".join("?" * len(batch))
            keys.update(self._meta.execute(f"SELECT row, hash FROM chunks WHERE row IN ({marks})", batch))
        self._check_held(keys, rows)
        return self._vectors.get_keys([keys[int(r)] for r in rows])

    @_reports_damage
    def chunks_from(self, file: str, paragraph: int, line: int, after: int) -> list[Chunk]:
        """The first chunk of file holding paragraph and ending at or after line, and up to `after`
        chunks after it in the file; none when the file has no such chunk. A file's chunks have
        consecutive rows."""
        found = self._meta.execute(
            "SELECT row FROM chunks WHERE file = ? AND first_paragraph <= ? AND last_paragraph >= ? AND end_line >= ? "
            "ORDER BY row LIMIT 1", (file, paragraph, paragraph, line)
        ).fetchone()
        if found is None:
            return []
        rows = self._meta.execute(
            f"SELECT {self._chunk_columns} FROM chunks WHERE row BETWEEN ? AND ? AND file = ? ORDER BY row",
            (found[0], found[0] + after, file),
        )
        return [Chunk(*values) for values in rows]

    @_reports_damage
    def paragraphs(self, file: str) -> list[Paragraph]:
        return [
            Paragraph(*row)
            for row in self._meta.execute(
                f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs WHERE file = ? ORDER BY number",
                (file,),
            )
        ]

    @_reports_damage
    def files(self) -> dict[str, FileState]:
        return {
            path: FileState(sha, size, mtime)
            for path, sha, size, mtime in self._meta.execute("SELECT path, sha256, size, mtime_ns FROM files")
        }

    def close(self) -> None:
        self._meta.close()
        self._vectors.close()


def _read_dense(path: Path, code_bytes: int | None) -> faiss.Index:
    """Memory-map the index file when this FAISS build can, else read it.

    An HNSW file's graph (all of it but the vector codes at its end, `code_bytes`) is read ahead
    in large sequential reads: FAISS checks every neighbour list as it loads, through a mapping it
    advises for random access, which from a cold cache fetches the graph 4 KB at a time. At 1M
    passages with the file evicted from the cache, open 1.6 s -> 0.19-0.38 s; 0.06 s more when
    the file is cached already.
    """
    import faiss

    if not path.is_file():
        raise OSError(f"{path.name} is missing")
    if code_bytes is not None:
        _read_ahead(path, path.stat().st_size - code_bytes)
    flag = getattr(faiss, "IO_FLAG_MMAP_IFC", 0) | faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
    try:
        return faiss.read_index(str(path), flag)
    except RuntimeError:
        pass
    try:
        return faiss.read_index(str(path))
    except RuntimeError as error:  # its text is FAISS's C++ source location: what failed is the file
        raise OSError(f"{path.name} is unreadable ({path.stat().st_size:,} bytes): {_faiss_reason(error)}") from None


def _faiss_reason(error: RuntimeError) -> str:
    """A FAISS error without its C++ function and source location ("Error in void faiss::read_...
    at .../index_read.cpp:276: Error: 'ret == (n)' failed: read error in ...": "read error in ...")."""
    text = _FAISS_LOCATION.sub("", " ".join(str(error).split()))
    return text.rsplit("failed: ", 1)[-1].strip().removesuffix(" (Success)")[:160]  # errno unset by a short read


_FAISS_LOCATION = re.compile(r"Error in .*? at \S+:\d+:\s*(?:Error:\s*)?")


def _code_bytes(spec: dict[str, Any], dimension: int, vectors: int) -> int | None:
    """The size of the 8-bit vector codes that end an HNSW file; None for an index without a graph."""
    return vectors * dimension if spec.get("type") == "hnsw" and str(spec.get("factory", "")).endswith(",SQ8") else None


def _read_ahead(path: Path, length: int) -> None:
    """Bring the first `length` bytes of path into the page cache with large sequential reads."""
    buffer = memoryview(bytearray(READ_AHEAD_BYTES))
    with path.open("rb", buffering=0) as handle:
        while length > 0:
            count = handle.readinto(buffer[: min(len(buffer), length)])
            if not count:
                break
            length -= count


def read_labels(generation: Path) -> np.ndarray | None:
    """FAISS label -> chunk row of a generation whose dense index was carried over from an older
    one (-1 for a masked vector); None when labels are the rows themselves."""
    import numpy as np

    path = generation / LABELS
    return np.load(path, mmap_mode="r", allow_pickle=False) if path.is_file() else None


def _live_labels_selector(labels: np.ndarray) -> faiss.IDSelector:
    """A FAISS selector of the labels that still stand for a chunk (the masked ones are skipped
    during search, so k results are still k chunks)."""
    import faiss
    import numpy as np

    bits = np.packbits(np.asarray(labels) >= 0, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(labels), faiss.swig_ptr(bits))
    selector.bits_array = bits  # the selector reads the numpy buffer: keep it alive with it
    return selector


def _batches(items: list, size: int) -> Iterator[list]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


# --- the vector cache -------------------------------------------------------------------------


class SqliteVectorCache:
    """Embeddings keyed by chunk-text hash in one SQLite file per embedding model."""

    @_reports_damage
    def __init__(self, path: Path, dimension: int, *, writable: bool = False) -> None:
        self.path = path
        self.index_dir = path.parent
        self.dimension = dimension
        if writable:
            # a rollback journal, not WAL: read-only openers then leave no -wal/-shm files behind
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (hash INTEGER PRIMARY KEY, vector BLOB NOT NULL)")
            self._db.commit()
        else:
            # none yet (a dry run before the first index): every vector is missing
            self._db = _connect_read_only(path) if path.is_file() else sqlite3.connect(":memory:", check_same_thread=False)
            if not path.is_file():
                self._db.execute("CREATE TABLE vectors (hash INTEGER PRIMARY KEY, vector BLOB NOT NULL)")

    @_reports_damage
    def missing(self, hashes: Sequence[str]) -> list[str]:
        by_key = {hash_key(h): h for h in hashes}
        present: set[int] = set()
        for batch in _batches(list(by_key), 900):
            marks = ",".join("?" * len(batch))
            present.update(k for (k,) in self._db.execute(f"SELECT hash FROM vectors WHERE hash IN ({marks})", batch))
        return [h for k, h in by_key.items() if k not in present]

    @_reports_damage
    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one batch and commit it, so it survives a killed run."""
        import numpy as np

        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors(hash, vector) VALUES (?, ?)",
            [(hash_key(h), rows[i].tobytes()) for i, h in enumerate(hashes)],
        )
        self._db.commit()

    def get(self, hashes: Sequence[str]) -> np.ndarray:
        return self.get_keys([hash_key(h) for h in hashes])

    @_reports_damage
    def get_keys(self, keys: Sequence[int]) -> np.ndarray:
        """Vectors in the order asked; a zero row for a key not cached."""
        import numpy as np

        found: dict[int, bytes] = {}
        for batch in _batches(list(set(keys)), 900):
            marks = ",".join("?" * len(batch))
            found.update(self._db.execute(f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", batch))
        out = np.zeros((len(keys), self.dimension), dtype=np.float32)
        for i, key in enumerate(keys):
            blob = found.get(key)
            if blob is not None:
                out[i] = np.frombuffer(blob, dtype=np.float32)
        return out

    @_reports_damage
    def drop_keys(self, keys: Sequence[int]) -> None:
        for batch in _batches(list(keys), 900):
            self._db.execute(f"DELETE FROM vectors WHERE hash IN ({','.join('?' * len(batch))})", batch)
        self._db.commit()

    def prune(self, meta_path: Path, replaced: Path | None = None) -> None:
        """Drop vectors that no chunk of the given generation uses, nor of the one it replaced when
        that can be read: going back to the folder an index held before, or undoing an edit,
        embeds nothing."""
        attached = [self._attach("live", meta_path)]
        if replaced is not None and replaced.is_file():
            try:
                attached.append(self._attach("replaced", replaced))
            except sqlite3.DatabaseError:  # what a rebuild replaces may be damaged: the live chunks count
                pass
        used = " UNION ".join(f"SELECT hash FROM {name}.chunks" for name in attached)
        self._db.execute(f"DELETE FROM vectors WHERE hash NOT IN ({used})")
        self._db.commit()
        for name in attached:
            self._db.execute(f"DETACH DATABASE {name}")

    def _attach(self, name: str, meta_path: Path) -> str:
        """name, now naming the generation at meta_path, whose chunks table was read.

        Raises:
            sqlite3.DatabaseError: it cannot be read (it is left detached).
        """
        self._db.execute(f"ATTACH DATABASE ? AS {name}", (read_only_uri(meta_path),))
        try:
            self._db.execute(f"SELECT hash FROM {name}.chunks LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            self._db.execute(f"DETACH DATABASE {name}")
            raise
        return name

    def close(self) -> None:
        self._db.close()


# --- writing ----------------------------------------------------------------------------------


class FaissWriter:
    """A new generation in a `.partial` folder, made live by `commit` (see rag.store)."""

    @_reports_damage
    def __init__(self, index_dir: Path, *, reuse_live: bool, model: str, dimension: int) -> None:
        self.index_dir = index_dir
        self.model = model
        self.dimension = dimension
        self.name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self.partial = index_dir / (self.name + ".partial")
        _remove_partials(index_dir)
        self.partial.mkdir(parents=True)
        self.vectors = SqliteVectorCache(vector_cache_path(index_dir, model), dimension, writable=True)
        self._db = sqlite3.connect(self.partial / "meta.sqlite", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(SCHEMA)
        self._rows = 0
        live = current_generation(index_dir) if reuse_live else None
        self._live_dir = live if live is not None and (live / "meta.sqlite").is_file() else None
        self._live = self._live_dir is not None
        if self._live_dir is not None:
            roll_back_interrupted_write(self._live_dir / "meta.sqlite")
            self._db.execute("ATTACH DATABASE ? AS live", (read_only_uri(self._live_dir / "meta.sqlite"),))
        self._db.execute("CREATE TEMP TABLE carried (live_row INTEGER PRIMARY KEY, row INTEGER NOT NULL)")

    @_reports_damage
    def keep_files(self, states: dict[str, FileState]) -> None:
        """Copy the chunks and paragraphs of unchanged files from the live generation, renumbering
        chunk rows; the files' states are the ones given (a touched file keeps its rows)."""
        if not states:
            return
        if not self._live:
            raise IndexNotFoundError("no live index to keep files from; run `rag index DIR` again")
        db = self._db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (path TEXT PRIMARY KEY)")
        db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", [(p,) for p in states])
        db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?)", [(p, *dataclasses.astuple(s)) for p, s in states.items()]
        )
        db.execute(
            f"INSERT INTO chunks (row, {_CHUNK_COLUMNS}, hash) "
            f"SELECT ? + ROW_NUMBER() OVER (ORDER BY c.row) - 1, {_prefixed('c.')}, c.hash "
            "FROM live.chunks c JOIN keep k ON c.file = k.path",
            (self._rows,),
        )
        db.execute(  # the same numbering: where each carried live row went (see _reuse_dense)
            "INSERT INTO carried SELECT c.row, ? + ROW_NUMBER() OVER (ORDER BY c.row) - 1 "
            "FROM live.chunks c JOIN keep k ON c.file = k.path",
            (self._rows,),
        )
        db.execute("INSERT INTO paragraphs SELECT p.* FROM live.paragraphs p JOIN keep k ON p.file = k.path")
        db.execute("DELETE FROM keep")
        (self._rows,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()

    @_reports_damage
    def add_document(self, document: Document, chunks: Sequence[Chunk], state: FileState) -> None:
        db = self._db
        db.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (document.path, *dataclasses.astuple(state)))
        db.executemany(
            "INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(document.path, *dataclasses.astuple(p)) for p in document.paragraphs],
        )
        db.executemany(
            f"INSERT INTO chunks (row, {_CHUNK_COLUMNS}, hash) VALUES ({_CHUNK_VALUES})",
            [
                (self._rows + i, *dataclasses.astuple(c), hash_key(c.text_hash))
                for i, c in enumerate(chunks)
            ],
        )
        self._rows += len(chunks)

    @_reports_damage
    def new_hashes(self) -> list[str]:
        """Distinct text hashes of this generation's chunks that have no cached vector yet.

        Indexes chunks by hash first (once all rows are in: one sort, not an index kept up on
        every insert), so that `texts` finds each hash without scanning the whole table."""
        self._db.execute("CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash)")
        self._db.commit()
        self._db.execute("ATTACH DATABASE ? AS cache", (read_only_uri(self.vectors.path),))
        try:
            keys = [
                k
                for (k,) in self._db.execute(
                    "SELECT DISTINCT c.hash FROM chunks c LEFT JOIN cache.vectors v ON v.hash = c.hash "
                    "WHERE v.hash IS NULL"
                )
            ]
        finally:
            self._db.execute("DETACH DATABASE cache")
        return [format(k + (1 << 63), "016x") for k in keys]

    @_reports_damage
    def texts(self, hashes: Sequence[str]) -> list[str]:
        """What to embed for each hash (the chunk's text under its heading and table header), in the order asked."""
        found: dict[int, str] = {}
        keys = [hash_key(h) for h in hashes]
        for batch in _batches(keys, 900):
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT hash, text, heading, table_header, file FROM chunks WHERE hash IN ({marks})", batch)
            found.update((key, embedding_text(text, heading, header, file))
                         for key, text, heading, header, file in rows)
        return [found[k] for k in keys]

    @_reports_damage
    def commit(self, manifest: Manifest, on_building: ProgressStart | None = None) -> Manifest:
        """Build the dense and keyword indexes, then make this generation live atomically.

        on_building is started twice: for the vectors added to the dense index, then for the
        passages read into BM25.

        Returns:
            the manifest as written, with the chunk count and dense index parameters filled in.
        """
        self._db.commit()
        (count,) = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()
        spec = dense_spec(count)
        manifest = dataclasses.replace(manifest, chunk_count=count, dense=spec)
        dense, labels = self._reuse_dense(spec, count, on_building) or (
            self._build_dense(spec, count, on_building), None
        )
        import faiss
        import numpy as np

        try:
            faiss.write_index(dense, str(self.partial / "dense.faiss"))
        except RuntimeError as error:  # faiss tells a short write only so
            raise disk_failed(self.index_dir, OSError(_faiss_reason(error))) from error
        if labels is not None:
            np.save(self.partial / LABELS, labels)
            spec["deleted"] = int((labels < 0).sum())
            manifest = dataclasses.replace(manifest, dense=spec)
        del dense
        keyword = KeywordIndex.build_batches(self._text_batches(on_building(count) if on_building else None), count)
        keyword.save(self.partial / "keyword")
        del keyword
        _record_sizes(self.partial)
        (self.partial / "manifest.json").write_text(
            json.dumps(dataclasses.asdict(manifest), ensure_ascii=False), encoding="utf-8"
        )
        self._db.close()
        _fsync_tree(self.partial)
        generation = self.index_dir / self.name
        replaced = current_generation(self.index_dir)
        self.partial.rename(generation)
        _replace_durably(
            self.index_dir / CURRENT, lambda pointer: pointer.write_text(generation.name + "\n", encoding="utf-8")
        )
        self.vectors.prune(generation / "meta.sqlite", replaced / "meta.sqlite" if replaced else None)
        self.vectors.close()
        _remove_old_generations(self.index_dir, keep=generation.name)
        _remove_checkpoint(self.index_dir)
        return manifest

    def abort(self) -> None:
        """Drop the generation being written. The vector cache and a dense-index checkpoint stay:
        this is what an interrupted run (Ctrl-C) ends in, and the next run resumes from them."""
        try:
            self._db.close()
            self.vectors.close()
        finally:
            shutil.rmtree(self.partial, ignore_errors=True)

    def _hash_batches(self, first: int = 0, last: int | None = None) -> Iterator[list[int]]:
        last = self._rows if last is None else last
        for begin in range(first, last, ROW_BATCH):
            yield [
                k
                for (k,) in self._db.execute(
                    "SELECT hash FROM chunks WHERE row >= ? AND row < ? ORDER BY row",
                    (begin, min(begin + ROW_BATCH, last)),
                )
            ]

    def _text_batches(self, advance: Callable[[int], None] | None = None) -> Iterator[list[str]]:
        """The chunks' keyword text, batch by batch: each chunk's text under the header row of the
        table it continues, whose column names its rows alone lack (as its first chunk holds them)."""
        for begin in range(0, self._rows, ROW_BATCH):
            texts = [
                under_table_header(text, header)
                for text, header in self._db.execute(
                    "SELECT text, table_header FROM chunks WHERE row >= ? AND row < ? ORDER BY row",
                    (begin, begin + ROW_BATCH),
                )
            ]
            yield texts
            if advance:
                advance(len(texts))

    def _reuse_dense(
        self, spec: dict[str, Any], count: int, on_building: ProgressStart | None = None
    ) -> tuple[faiss.Index, np.ndarray] | None:
        """The live HNSW index with the vectors of new rows added and those of dropped rows
        masked, when it is of the same kind and would mask at most MAX_DELETED of its vectors.

        An HNSW graph cannot drop a vector, and rebuilding it is most of a large re-index (about
        10 CPU-minutes at 1M chunks); adding a changed file's few vectors costs a read and a write
        of the index file. Returns None when a fresh build is due (nothing to reuse, another
        index type, too many masked vectors).
        """
        live = self._live_dir
        if live is None or spec["type"] != "hnsw" or not (live / "dense.faiss").is_file():
            return None
        import faiss
        import numpy as np

        try:
            old = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if _build_parameters(old.get("dense", {})) != _build_parameters(spec):
            return None
        new_row = np.full(int(old["chunk_count"]), -1, dtype=np.int64)
        for begin in range(0, len(new_row), ROW_BATCH * 16):
            pairs = np.array(self._db.execute(
                "SELECT live_row, row FROM carried WHERE live_row >= ? AND live_row < ?",
                (begin, begin + ROW_BATCH * 16)).fetchall(), dtype=np.int64).reshape(-1, 2)
            new_row[pairs[:, 0]] = pairs[:, 1]
        old_labels = read_labels(live)
        if old_labels is None:
            old_labels = np.arange(len(new_row), dtype=np.int64)
        labels = np.where(old_labels >= 0, new_row[np.maximum(old_labels, 0)], -1)
        added = np.setdiff1d(np.arange(count, dtype=np.int64), labels[labels >= 0])
        if (labels < 0).sum() > MAX_DELETED * (len(labels) + len(added)):
            return None
        index = faiss.read_index(str(live / "dense.faiss"))
        advance = on_building(len(added)) if on_building else None
        for begin in range(0, len(added), ROW_BATCH):
            rows = added[begin : begin + ROW_BATCH].tolist()
            index.add(self._vectors_of_rows(rows))
            if advance:
                advance(len(rows))
        return index, np.concatenate([labels, added])

    def _vectors_of_rows(self, rows: list[int]) -> np.ndarray:
        """The cached vectors of these rows of this generation, in that order."""
        return self._cached(self._keys_of_rows(rows))

    def _keys_of_rows(self, rows: list[int]) -> list[int]:
        """The text-hash keys of these rows of this generation, in that order."""
        keys: dict[int, int] = {}
        for batch in _batches(rows, 900):
            marks = ",".join("?" * len(batch))
            keys.update(self._db.execute(f"SELECT row, hash FROM chunks WHERE row IN ({marks})", batch))
        return [keys[r] for r in rows]

    def _cached(self, keys: list[int]) -> np.ndarray:
        """The cached vectors of these text hashes; every one must be there by now."""
        import numpy as np

        vectors = self.vectors.get_keys(keys)
        empty = sorted({keys[i] for i in np.flatnonzero(~vectors.any(axis=1))})
        if empty:  # all zeros in the cache (written over in place): dropped, so the next run embeds them
            self.vectors.drop_keys(empty)
            raise IndexNotFoundError(f"{len(empty):,} cached embeddings were empty (the cache was written over) and "
                                     "are dropped; run `rag index` again to embed them")
        return vectors

    def _build_dense(self, spec: dict[str, Any], count: int, on_building: ProgressStart | None = None) -> faiss.Index:
        """Add the cached vectors in row order, a batch at a time (never all of them in RAM twice).

        Adding to an HNSW graph is most of a large build (about 10 CPU-minutes at 1M chunks), so
        that step saves a checkpoint every CHECKPOINT_SECONDS and starts from the one a stopped run
        left when it fits this build (see _resume_hnsw); progress counts the rows still to add.
        """
        import faiss

        about: dict[str, Any] | None = None  # what a checkpoint of this build must match
        rows = hashlib.sha256()  # the keys added so far, in order: only a checkpoint needs them
        if spec["type"] == "hnsw":
            about, index, rows = self._start_hnsw(spec, count)
        else:  # no checkpoint: an exact index is quick to build again
            index = faiss.index_factory(self.dimension, spec["factory"], faiss.METRIC_INNER_PRODUCT)
        advance = on_building(count - index.ntotal) if on_building else None
        saved = time.monotonic()
        for keys in self._hash_batches(index.ntotal):
            index.add(self._cached(keys))
            if about is not None:
                rows.update(_key_bytes(keys))
                if index.ntotal < count and time.monotonic() - saved >= CHECKPOINT_SECONDS:
                    sidecar = {**about, "ntotal": index.ntotal, "rows": rows.hexdigest()}
                    if not _save_checkpoint(self.index_dir, index, sidecar):
                        about = None  # none could be written (a full disk?): build on without
                    saved = time.monotonic()
            if advance:
                advance(len(keys))
        return index

    def _start_hnsw(self, spec: dict[str, Any], count: int) -> tuple[dict[str, Any], faiss.Index, hashlib._Hash]:
        """What a checkpoint of this build must match, the index to add to (the checkpoint's, or a
        new one trained on an even sample of the rows) and the digest of the rows it holds."""
        import faiss

        step = max(1, count // TRAIN_SAMPLE)
        sample = self._keys_of_rows(list(range(0, count, step))[:TRAIN_SAMPLE])
        about = {
            "parameters": _build_parameters(spec),
            "model": self.model,
            "dimension": self.dimension,
            "training": _digest([sample]).hexdigest(),
        }
        resumed = self._resume_hnsw(about, count)
        if resumed is not None:
            return about, *resumed
        index = faiss.index_factory(self.dimension, spec["factory"], faiss.METRIC_INNER_PRODUCT)
        faiss.downcast_index(index).hnsw.efConstruction = spec["efConstruction"]
        index.train(self._cached(sample))
        return about, index, hashlib.sha256()

    def _resume_hnsw(self, about: dict[str, Any], count: int) -> tuple[faiss.Index, hashlib._Hash] | None:
        """The checkpoint's index and the digest of its rows, when a build with the same parameters,
        model and training sample saved it and its rows are this build's first rows: it then holds
        the very codes a fresh build would have added by now, in the same order (the graph may
        differ a little, levels being drawn at random). None when there is none or it does not fit;
        a damaged checkpoint is one that does not fit, never a failed build.
        """
        import faiss

        sidecar = _read_checkpoint_sidecar(self.index_dir)
        if sidecar is None or {k: sidecar.get(k) for k in about} != about:
            return None
        added = sidecar.get("ntotal")
        if not isinstance(added, int) or not 0 < added <= count:
            return None
        rows = _digest(self._hash_batches(0, added))
        if rows.hexdigest() != sidecar.get("rows"):
            return None
        path = self.index_dir / CHECKPOINT
        try:
            if path.stat().st_size != sidecar.get("bytes"):
                return None
            index = faiss.read_index(str(path))
        except (OSError, RuntimeError):
            return None
        return (index, rows) if index.ntotal == added and index.d == self.dimension else None


def _build_parameters(spec: dict[str, Any]) -> dict[str, Any]:
    """A dense spec without the entries that do not change a built index."""
    return {k: v for k, v in spec.items() if k not in _SEARCH_ONLY}


def _digest(batches: Iterable[list[int]]) -> hashlib._Hash:
    """sha256 of text-hash keys in order: what tells a checkpoint's rows from another build's."""
    digest = hashlib.sha256()
    for keys in batches:
        digest.update(_key_bytes(keys))
    return digest


def _key_bytes(keys: list[int]) -> bytes:
    import numpy as np

    return np.asarray(keys, dtype="<i8").tobytes()


def _read_checkpoint_sidecar(index_dir: Path) -> dict[str, Any] | None:
    """What the dense-index checkpoint holds; None when there is none or it is unreadable."""
    try:
        data = json.loads((index_dir / CHECKPOINT_SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save_checkpoint(index_dir: Path, index: faiss.Index, sidecar: dict[str, Any]) -> bool:
    """Write a half-built dense index, then what it holds. The old sidecar goes first, so a crash
    in between leaves an index file that nothing vouches for, never a sidecar describing another
    file. False when it could not be written (a full disk?): the checkpoint is removed."""
    import faiss

    path = index_dir / CHECKPOINT
    try:
        (index_dir / CHECKPOINT_SIDECAR).unlink(missing_ok=True)
        _fsync_folder(index_dir)
        _replace_durably(path, lambda temporary: faiss.write_index(index, str(temporary)))
        text = json.dumps({**sidecar, "bytes": path.stat().st_size})
        _replace_durably(index_dir / CHECKPOINT_SIDECAR, lambda temporary: temporary.write_text(text, "utf-8"))
    except (OSError, RuntimeError):
        _remove_checkpoint(index_dir)
        return False
    return True


def _remove_checkpoint(index_dir: Path) -> None:
    """Delete the checkpoint, its sidecar and any half-written copy; one left behind is harmless
    (the next build checks it), so failing to delete is not an error."""
    for name in (CHECKPOINT_SIDECAR, CHECKPOINT):
        for path in (index_dir / name, index_dir / (name + ".tmp")):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _chunk_columns_held(meta: sqlite3.Connection) -> str:
    """_CHUNK_COLUMNS as a generation's chunks table holds them: one written before chunks carried
    a table header (older passage rules, still read until `rag index` splits its files again) gives
    None for it."""
    held = {name for _, name, *_ in meta.execute("PRAGMA table_info(chunks)")}
    return ", ".join(c if c in held else f"NULL AS {c}" for c in (c.strip() for c in _CHUNK_COLUMNS.split(",")))


def _prefixed(prefix: str) -> str:
    return ", ".join(prefix + c.strip() for c in _CHUNK_COLUMNS.split(","))


def live_files(index_dir: Path) -> dict[str, FileState]:
    """See rag.store.live_files."""
    return _files_of(index_dir, _live(index_dir))


def last_files(index_dir: Path) -> dict[str, FileState]:
    """See rag.store.last_files."""
    generation = current_generation(index_dir) or _newest_generation(index_dir)
    return {} if generation is None else _files_of(index_dir, generation)


def _files_of(index_dir: Path, generation: Path) -> dict[str, FileState]:
    try:
        db = _connect_read_only(generation / "meta.sqlite")
        try:
            rows = db.execute("SELECT path, sha256, size, mtime_ns FROM files").fetchall()
        finally:
            db.close()
    except sqlite3.Error as error:
        raise damaged_index(index_dir, error) from error
    return {path: FileState(sha, size, mtime) for path, sha, size, mtime in rows}


def update_file_states(index_dir: Path, states: dict[str, FileState]) -> None:
    """See rag.store.update_file_states."""
    if not states:
        return
    try:
        with sqlite3.connect(_live(index_dir) / "meta.sqlite") as db:
            db.executemany(
                "UPDATE files SET sha256 = ?, size = ?, mtime_ns = ? WHERE path = ?",
                [(*dataclasses.astuple(s), path) for path, s in states.items()],
            )
        db.close()
    except sqlite3.DatabaseError as error:
        raise _failure(index_dir, error) from error


def _replace_durably(path: Path, write: Callable[[Path], object]) -> None:
    """Write path through a temporary file that is synced before it is renamed over path (and the
    folder synced after), so a crash leaves the old file or the new one, whole."""
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_partials(index_dir: Path) -> None:
    for path in index_dir.glob("gen-*.partial"):
        shutil.rmtree(path, ignore_errors=True)


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for path in index_dir.glob("gen-*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


class FaissBackend:
    """rag.store.Backend for an index directory on local disk."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def read_manifest(self) -> Manifest:
        return read_manifest(self.index_dir)

    def open_index(self) -> FaissStore:
        return FaissStore.open(self.index_dir)

    def begin_write(self, *, reuse_live: bool, model: str, dimension: int) -> FaissWriter:
        return FaissWriter(self.index_dir, reuse_live=reuse_live, model=model, dimension=dimension)

    def open_vector_cache(self, model: str, dimension: int) -> SqliteVectorCache:
        return SqliteVectorCache(vector_cache_path(self.index_dir, model), dimension)

    def set_aside_damaged_cache(self, model: str) -> str | None:
        return set_aside_if_damaged(vector_cache_path(self.index_dir, model))

    def live_damage(self) -> str | None:
        return live_damage(self.index_dir)

    def live_files(self) -> dict[str, FileState]:
        return live_files(self.index_dir)

    def last_files(self) -> dict[str, FileState]:
        return last_files(self.index_dir)

    def update_file_states(self, states: dict[str, FileState]) -> None:
        update_file_states(self.index_dir, states)
