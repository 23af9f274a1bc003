"""The index in Milvus: Milvus Lite in a local file, or a Milvus server or cluster, one code path.

`pymilvus.MilvusClient(uri)` takes a file path (Milvus Lite, embedded) or a server URL with the
same calls. Collections, all named from BASE (the index directory's name, made a legal name):
    BASE__meta                 one row, key "live": the live generation and its manifest (JSON)
    BASE__vectors_<model>      the vector cache: embedding by chunk-text hash (primary key), kept
                               between runs and written batch by batch, so a killed run resumes
    BASE__g<stamp>_chunks      one generation's chunks: row (primary key, 0..count-1), citation
                               fields, text, keyword_text (analysed: the text under the header row
                               of a table it continues, as the FAISS store's keyword index reads
                               it), vector (dense, inner product) and sparse (filled by Milvus's
                               own BM25 function from keyword_text), so both dense and keyword
                               search run inside Milvus
    BASE__g<stamp>_paragraphs  every paragraph of every file, for paragraph citations
    BASE__g<stamp>_files       path -> sha256, size, mtime_ns
A new generation is written beside the live one and made live by one upsert of the meta row;
readers keep the generation they opened. Unchanged files' chunks are copied with their vectors
from the live generation, their keyword_text written anew (so a generation written before that
field, whose BM25 read text alone, is brought up to date); deleted files are simply not copied.
Milvus insists on a vector field in every collection, so paragraphs, files and meta carry a
two-dimensional zero vector `nil`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.chunking import Chunk, embedding_text, under_table_header
from rag.corpus import Document, Paragraph
from rag.errors import IndexMismatchError, IndexNotFoundError, RagError
from rag.store import FORMAT_VERSION, FileState, Manifest, ProgressStart, Scored, rebuild_hint

if TYPE_CHECKING:
    import numpy as np
    from pymilvus import MilvusClient

BATCH = 1000
TEXT_MAX = 65_535
PATH_MAX = 4_096
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase"]}
DENSE = {"type": "milvus", "index": "AUTOINDEX", "metric": "IP", "keyword": "BM25"}
_NIL = [0.0, 0.0]
_CHUNK_FIELDS = ["row", "id", "file", "first_paragraph", "last_paragraph", "start_line", "end_line", "start",
                 "end", "text", "format", "location", "hash"]


def collection_base(index_dir: Path) -> str:
    """The index directory as a Milvus collection name (letters, digits, underscores): its name,
    readable, and a digest of its whole path, so that two folders of one name (every project's
    `.rag`) sharing one Milvus keep apart."""
    digest = hashlib.sha256(str(index_dir.resolve()).encode()).hexdigest()[:10]
    return f"{_legacy_base(index_dir)}_{digest}"


def _legacy_base(index_dir: Path) -> str:
    """The name alone, as indexes built before 2026-12-04 were named."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", index_dir.name).strip("_") or "rag"
    return name if not name[0].isdigit() else "rag_" + name


def names_for(client: MilvusClient, index_dir: Path) -> Names:
    """The collections of index_dir's index: by name and path digest, or by name alone for an
    index built before the digest was added (which keeps its collections until rebuilt elsewhere)."""
    names = Names(collection_base(index_dir))
    legacy = Names(_legacy_base(index_dir))
    if not client.has_collection(names.meta) and client.has_collection(legacy.meta):
        return legacy
    return names


_OPEN: dict[str, int] = {}


def is_lite(uri: str) -> bool:
    return uri.endswith(".db") and "://" not in uri


def connect_existing(uri: str, index_dir: Path) -> MilvusClient:
    """connect, for reading: a Milvus Lite file that does not exist holds no index, and opening it
    would create it (an empty store left in whatever folder a search ran from).

    Raises:
        IndexNotFoundError: the file does not exist.
        RagError: as connect.
    """
    if is_lite(uri) and not Path(uri).exists():
        raise IndexNotFoundError(f"no index for {index_dir} at {uri}: no such file; build one with "
                                 f"`rag index DIR --store milvus:{uri}`")
    return connect(uri)


def connect(uri: str) -> MilvusClient:
    """A client for uri, with pymilvus's own error logging silenced (errors become RagErrors);
    close it with `disconnect`.

    Raises:
        RagError: pymilvus is not installed, or Milvus cannot be reached.
    """
    import logging

    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise RagError("pymilvus is not installed; run `pip install pymilvus milvus-lite` or use --store faiss") from None
    for name in ("pymilvus", "milvus_lite"):  # their own error logs print tracebacks; errors become RagErrors
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        client = MilvusClient(uri)
    except Exception as error:  # pymilvus raises MilvusException or plain connection errors
        busy = " (Milvus Lite lets one process open a file at a time)" if is_lite(uri) else ""
        raise RagError(f"cannot open Milvus at {uri} ({_first_line(error)}){busy}; "
                       "start it, wait for the other process, or pass another --store") from None
    _OPEN[uri] = _OPEN.get(uri, 0) + 1
    return client


def disconnect(client: MilvusClient, uri: str) -> None:
    """Close a client. The last one of a Milvus Lite file in this process also stops the embedded
    engine, which holds the file locked, so the next process (a command, a worker) can open it."""
    client.close()
    _OPEN[uri] = _OPEN.get(uri, 1) - 1
    if _OPEN[uri] <= 0 and is_lite(uri):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _literal(values: Sequence[str] | str) -> str:
    """Strings as a filter-expression literal (JSON's escaping is what Milvus reads)."""
    return json.dumps(values, ensure_ascii=False)


def _rows_of(client: MilvusClient, collection: str, expression: str, fields: list[str]) -> Iterator[dict[str, Any]]:
    """Every row matching expression, page by page (a plain query is capped at 16,384 rows)."""
    pages = client.query_iterator(collection, batch_size=BATCH, filter=expression, output_fields=fields)
    try:
        while page := pages.next():
            yield from page
    finally:
        pages.close()


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


def _nil_index(client: MilvusClient) -> Any:
    params = client.prepare_index_params()
    params.add_index(field_name="nil", index_type="FLAT", metric_type="L2")
    return params


def _create(client: MilvusClient, name: str, schema: Any, index: Any) -> None:
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")


def _schema(fields: list[tuple[str, Any, dict[str, Any]]]) -> Any:
    from pymilvus import MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    for name, kind, options in fields:
        schema.add_field(name, kind, **options)
    return schema


def _create_meta(client: MilvusClient, name: str) -> None:
    from pymilvus import DataType

    schema = _schema([("key", DataType.VARCHAR, {"is_primary": True, "max_length": 64}),
                      ("value", DataType.VARCHAR, {"max_length": TEXT_MAX}),
                      ("nil", DataType.FLOAT_VECTOR, {"dim": 2})])
    _create(client, name, schema, _nil_index(client))


def _create_chunks(client: MilvusClient, name: str, dimension: int) -> None:
    from pymilvus import DataType, Function, FunctionType

    integer: dict[str, Any] = {}
    schema = _schema([
        ("row", DataType.INT64, {"is_primary": True}),
        ("id", DataType.VARCHAR, {"max_length": PATH_MAX + 64}),
        ("file", DataType.VARCHAR, {"max_length": PATH_MAX}),
        *[(f, DataType.INT64, integer) for f in ("first_paragraph", "last_paragraph", "start_line", "end_line",
                                                  "start", "end")],
        ("text", DataType.VARCHAR, {"max_length": TEXT_MAX}),
        ("keyword_text", DataType.VARCHAR, {"max_length": TEXT_MAX, "enable_analyzer": True,
                                            "analyzer_params": ANALYZER}),
        ("format", DataType.VARCHAR, {"max_length": 16}),
        ("location", DataType.JSON, {}),
        ("hash", DataType.VARCHAR, {"max_length": 16}),
        ("vector", DataType.FLOAT_VECTOR, {"dim": dimension}),
        ("sparse", DataType.SPARSE_FLOAT_VECTOR, {}),
    ])
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["keyword_text"],
                                 output_field_names=["sparse"]))
    index = client.prepare_index_params()
    index.add_index(field_name="vector", index_type="AUTOINDEX", metric_type="IP")
    index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    _create(client, name, schema, index)


def _create_paragraphs(client: MilvusClient, name: str) -> None:
    from pymilvus import DataType

    schema = _schema([
        ("key", DataType.VARCHAR, {"is_primary": True, "max_length": PATH_MAX + 16}),
        ("file", DataType.VARCHAR, {"max_length": PATH_MAX}),
        ("number", DataType.INT64, {}),
        ("paragraph", DataType.JSON, {}),
        ("nil", DataType.FLOAT_VECTOR, {"dim": 2}),
    ])
    _create(client, name, schema, _nil_index(client))


def _create_files(client: MilvusClient, name: str) -> None:
    from pymilvus import DataType

    schema = _schema([
        ("path", DataType.VARCHAR, {"is_primary": True, "max_length": PATH_MAX}),
        ("sha256", DataType.VARCHAR, {"max_length": 64}),
        ("size", DataType.INT64, {}),
        ("mtime_ns", DataType.INT64, {}),
        ("nil", DataType.FLOAT_VECTOR, {"dim": 2}),
    ])
    _create(client, name, schema, _nil_index(client))


def _create_vectors(client: MilvusClient, name: str, dimension: int) -> None:
    from pymilvus import DataType

    schema = _schema([("hash", DataType.VARCHAR, {"is_primary": True, "max_length": 16}),
                      ("vector", DataType.FLOAT_VECTOR, {"dim": dimension})])
    index = client.prepare_index_params()
    index.add_index(field_name="vector", index_type="AUTOINDEX", metric_type="IP")
    _create(client, name, schema, index)


def _chunk_row(row: int, chunk: Chunk, vector: Sequence[float]) -> dict[str, Any]:
    values = dataclasses.asdict(chunk)
    location = {k: values.pop(k) for k in ("page", "page_paragraph", "heading", "table_header")}
    return {**values, "row": row, "location": location, "hash": chunk.text_hash, "vector": vector,
            "keyword_text": keyword_text(chunk.text, chunk.table_header)}


def keyword_text(text: str, table_header: str | None) -> str:
    """What BM25 reads for a chunk: its text under the header row of the table it continues, whose
    column names its rows alone lack (as the FAISS store's keyword index reads it). The header is
    cut at a space to fit TEXT_MAX bytes with the text (a Milvus server counts a VARCHAR's bytes),
    and left out when the text alone fills them."""
    if not table_header:
        return text
    room = TEXT_MAX - len(text.encode("utf-8")) - 1
    if room <= 0:
        return text
    header = table_header.encode("utf-8")
    if len(header) > room:
        cut = header[: room + 1].decode("utf-8", errors="ignore")  # one byte over: a space there ends a word
        table_header = cut[: cut.rfind(" ")]  # with no space, all but its last character
    return under_table_header(text, table_header)


def _chunk_of(row: dict[str, Any]) -> Chunk:
    fields = {f.name for f in dataclasses.fields(Chunk)}
    return Chunk(**{k: v for k, v in row.items() if k in fields}, **row["location"])


def _file_row(path: str, state: FileState) -> dict[str, Any]:
    return {"path": path, **dataclasses.asdict(state), "nil": _NIL}


def _paragraph_row(file: str, paragraph: Paragraph) -> dict[str, Any]:
    return {"key": f"{file}\x00{paragraph.number}", "file": file, "number": paragraph.number,
            "paragraph": dataclasses.asdict(paragraph), "nil": _NIL}


@dataclasses.dataclass(frozen=True)
class Names:
    """The collections of one index (see the module docstring)."""

    base: str

    @property
    def meta(self) -> str:
        return f"{self.base}__meta"

    def vectors(self, model: str) -> str:
        return f"{self.base}__vectors_{re.sub(r'[^A-Za-z0-9_]+', '_', model)}"

    def generation(self, stamp: str) -> str:
        return f"{self.base}__g{stamp}"

    def is_generation(self, collection: str) -> bool:
        return collection.startswith(f"{self.base}__g")


def _read_live(client: MilvusClient, names: Names, where: str) -> tuple[str, Manifest]:
    """The live generation's name and manifest.

    Raises:
        IndexNotFoundError, IndexMismatchError
    """
    missing = IndexNotFoundError(f"no index in Milvus collection {names.base} at {where}; build one with "
                                 "`rag index DIR --store milvus:URI`")
    if not client.has_collection(names.meta):
        raise missing
    client.load_collection(names.meta)
    rows = client.query(names.meta, filter='key == "live"', output_fields=["value"])
    if not rows:
        raise missing
    data = json.loads(rows[0]["value"])
    manifest = data.get("manifest", {})
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(f"the index has format {manifest.get('format_version')}, this rag reads "
                                 f"{FORMAT_VERSION}; " + rebuild_hint(manifest.get("corpus_root", "DIR")))
    return data["generation"], Manifest(**manifest)


class MilvusStore:
    """rag.store.IndexStore over one generation's collections."""

    def __init__(self, client: MilvusClient, uri: str, generation: str, manifest: Manifest,
                 vectors: MilvusVectorCache) -> None:
        self.manifest = manifest
        self.uri = uri
        self._client = client
        self._chunks = f"{generation}_chunks"
        self._paragraphs = f"{generation}_paragraphs"
        self._files = f"{generation}_files"
        self._cache = vectors

    @classmethod
    def open(cls, uri: str, index_dir: Path) -> MilvusStore:
        """See rag.store.open_index."""
        client = connect_existing(uri, index_dir)
        try:
            names = names_for(client, index_dir)
            generation, manifest = _read_live(client, names, uri)
            for suffix in ("_chunks", "_paragraphs", "_files"):
                client.load_collection(generation + suffix)
        except RagError:
            disconnect(client, uri)
            raise
        except Exception as error:
            disconnect(client, uri)
            raise IndexNotFoundError(f"the Milvus index {names.base} at {uri} is damaged ({_first_line(error)}); "
                                     + rebuild_hint(manifest.corpus_root)) from None
        cache = MilvusVectorCache(client, names.vectors(manifest.embedding_model), manifest.dimension)
        return cls(client, uri, generation, manifest, cache)

    @property
    def count(self) -> int:
        return self.manifest.chunk_count

    def dense_search(self, vector: np.ndarray, k: int) -> list[Scored]:
        k = min(k, self.count)
        if k <= 0:
            return []
        found = self._client.search(self._chunks, data=[[float(x) for x in vector]], anns_field="vector", limit=k,
                                    output_fields=["row"], search_params={"metric_type": "IP"})
        return [(int(hit["row"]), float(hit["distance"])) for hit in found[0]]

    def keyword_search(self, query: str, k: int) -> list[Scored]:
        """BM25 inside Milvus; Milvus Lite reports BM25 as a negative distance, a server as the score."""
        if not query.strip() or k <= 0 or not self.count:
            return []
        found = self._client.search(self._chunks, data=[query], anns_field="sparse", limit=min(k, self.count),
                                    output_fields=["row"], search_params={"metric_type": "BM25"})
        return [(int(hit["row"]), abs(float(hit["distance"]))) for hit in found[0]]

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        found = {r["row"]: _chunk_of(r) for r in self._by_rows(rows, _CHUNK_FIELDS)}
        return [found[int(r)] for r in rows]

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        import numpy as np

        found = {r["row"]: r["vector"] for r in self._by_rows(rows, ["row", "vector"])}
        return np.asarray([found[int(r)] for r in rows], dtype=np.float32).reshape(len(rows), self.manifest.dimension)

    def _by_rows(self, rows: Sequence[int], fields: list[str]) -> list[dict[str, Any]]:
        wanted = sorted({int(r) for r in rows})
        out: list[dict[str, Any]] = []
        for batch in _batches(wanted):
            out += self._client.query(self._chunks, filter=f"row in {list(batch)}", output_fields=fields)
        return out

    def chunks_from(self, file: str, paragraph: int, line: int, after: int) -> list[Chunk]:
        same = f"file == {_literal(file)}"
        holding = f"first_paragraph <= {int(paragraph)} and last_paragraph >= {int(paragraph)} and end_line >= {int(line)}"
        found = self._client.query(self._chunks, filter=f"{same} and {holding}", output_fields=["row"], limit=16_384)
        if not found:
            return []
        row = min(int(r["row"]) for r in found)
        rows = self._client.query(self._chunks, filter=f"{same} and row >= {row} and row <= {row + after}",
                                  output_fields=_CHUNK_FIELDS)
        return [_chunk_of(r) for r in sorted(rows, key=lambda r: int(r["row"]))]

    def paragraphs(self, file: str) -> list[Paragraph]:
        rows = self._client.query(self._paragraphs, filter=f"file == {_literal(file)}", output_fields=["paragraph"],
                                  limit=16_384)
        return sorted((Paragraph(**r["paragraph"]) for r in rows), key=lambda p: p.number)

    def files(self) -> dict[str, FileState]:
        return _files(self._client, self._files)

    def close(self) -> None:
        disconnect(self._client, self.uri)


def _files(client: MilvusClient, collection: str) -> dict[str, FileState]:
    return {r["path"]: FileState(r["sha256"], r["size"], r["mtime_ns"])
            for r in _rows_of(client, collection, "", ["path", "sha256", "size", "mtime_ns"])}


class MilvusVectorCache:
    """rag.store.VectorCache in a Milvus collection keyed by chunk-text hash."""

    def __init__(self, client: MilvusClient, collection: str, dimension: int, *, writable: bool = False,
                 owner_uri: str | None = None) -> None:
        self._client = client
        self.collection = collection
        self.dimension = dimension
        self._owner_uri = owner_uri
        self._exists = client.has_collection(collection)
        if writable and not self._exists:
            _create_vectors(client, collection, dimension)
            self._exists = True
        if self._exists:
            client.load_collection(collection)

    def missing(self, hashes: Sequence[str]) -> list[str]:
        present = set(self._found(hashes, ["hash"]))
        return [h for h in dict.fromkeys(hashes) if h not in present]

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one batch; Milvus has it durably when the call returns, so a killed run resumes."""
        rows = [{"hash": h, "vector": [float(x) for x in v]} for h, v in zip(hashes, vectors, strict=True)]
        for batch in _batches(rows):
            self._client.upsert(self.collection, list(batch))

    def get(self, hashes: Sequence[str]) -> np.ndarray:
        """Vectors in the order asked; a zero row for a hash not cached."""
        import numpy as np

        found = self._found(hashes, ["hash", "vector"])
        out = np.zeros((len(hashes), self.dimension), dtype=np.float32)
        for i, h in enumerate(hashes):
            if h in found:
                out[i] = found[h]["vector"]
        return out

    def _found(self, hashes: Sequence[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        if not self._exists:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for batch in _batches(list(dict.fromkeys(hashes))):
            for row in self._client.query(self.collection, filter=f"hash in {_literal(list(batch))}",
                                          output_fields=fields):
                found[row["hash"]] = row
        return found

    def prune(self, keep: set[str]) -> None:
        """Drop vectors no live chunk uses."""
        unused = [r["hash"] for r in _rows_of(self._client, self.collection, "", ["hash"]) if r["hash"] not in keep]
        for batch in _batches(unused):
            self._client.delete(self.collection, filter=f"hash in {_literal(list(batch))}")

    def close(self) -> None:
        """Disconnect when this cache opened its own client."""
        if self._owner_uri is not None:
            disconnect(self._client, self._owner_uri)


class MilvusWriter:
    """rag.store.IndexWriter: a new generation's collections, made live by `commit`.

    Added documents' chunks wait in memory until their vectors exist (Milvus takes a row with its
    vector); kept files are copied collection to collection, a batch of files at a time.
    """

    def __init__(self, uri: str, index_dir: Path, *, reuse_live: bool, model: str, dimension: int) -> None:
        self.dimension = dimension
        self.uri = uri
        self._client = connect(uri)
        self.names = names_for(self._client, index_dir)
        self._live: str | None = None
        if reuse_live:
            try:
                self._live, _ = _read_live(self._client, self.names, uri)
                for suffix in ("_chunks", "_paragraphs"):
                    self._client.load_collection(self._live + suffix)
            except RagError:
                self._live = None
        self._drop_unfinished()
        self.generation = self.names.generation(f"{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}")
        _create_chunks(self._client, f"{self.generation}_chunks", dimension)
        _create_paragraphs(self._client, f"{self.generation}_paragraphs")
        _create_files(self._client, f"{self.generation}_files")
        self.vectors = MilvusVectorCache(self._client, self.names.vectors(model), dimension, writable=True)
        self._rows = 0
        self._staged: list[Chunk] = []

    def _drop_unfinished(self) -> None:
        """Collections of generations a killed run left behind (never the live one)."""
        try:
            live: str | None = _read_live(self._client, self.names, "")[0]
        except RagError:
            live = None
        for name in self._client.list_collections():
            if self.names.is_generation(name) and (live is None or not name.startswith(live + "_")):
                self._client.drop_collection(name)

    def keep_files(self, states: dict[str, FileState]) -> None:
        """Copy unchanged files' chunks (with their vectors) and paragraphs from the live generation."""
        if not states:
            return
        if self._live is None:
            raise IndexNotFoundError("no live index to keep files from; run `rag index DIR` again")
        paths = list(states)
        for batch in _batches(paths, 200):
            expression = f"file in {_literal(list(batch))}"
            rows = sorted(_rows_of(self._client, f"{self._live}_chunks", expression, [*_CHUNK_FIELDS, "vector"]),
                          key=lambda r: r["row"])
            for i, row in enumerate(rows):
                row["row"] = self._rows + i
                row["keyword_text"] = keyword_text(row["text"], row["location"].get("table_header"))
            self._insert(f"{self.generation}_chunks", rows)
            self._rows += len(rows)
            paragraphs = list(_rows_of(self._client, f"{self._live}_paragraphs", expression,
                                       ["key", "file", "number", "paragraph", "nil"]))
            self._insert(f"{self.generation}_paragraphs", paragraphs)
        self._insert(f"{self.generation}_files", [_file_row(p, s) for p, s in states.items()])

    def add_document(self, document: Document, chunks: Sequence[Chunk], state: FileState) -> None:
        self._insert(f"{self.generation}_files", [_file_row(document.path, state)])
        self._insert(f"{self.generation}_paragraphs", [_paragraph_row(document.path, p) for p in document.paragraphs])
        self._staged.extend(chunks)

    def new_hashes(self) -> list[str]:
        return self.vectors.missing([c.text_hash for c in self._staged])

    def texts(self, hashes: Sequence[str]) -> list[str]:
        by_hash = {c.text_hash: embedding_text(c.text, c.heading, c.table_header, c.file) for c in self._staged}
        return [by_hash[h] for h in hashes]

    def commit(self, manifest: Manifest, on_building: ProgressStart | None = None) -> Manifest:
        """Insert the added chunks with their cached vectors, then switch the meta row to this generation.

        on_building counts the chunks inserted.

        Returns:
            the manifest as written, with the chunk count and dense index description filled in.
        """
        advance = on_building(len(self._staged)) if on_building else None
        for batch in _batches(self._staged):
            vectors = self.vectors.get([c.text_hash for c in batch])
            if not vectors.any(axis=1).all():
                raise IndexNotFoundError("a chunk has no embedding; run `rag index DIR` again")
            rows = [_chunk_row(self._rows + i, c, v.tolist()) for i, (c, v) in enumerate(zip(batch, vectors, strict=True))]
            self._insert(f"{self.generation}_chunks", rows)
            self._rows += len(rows)
            if advance:
                advance(len(rows))
        manifest = dataclasses.replace(manifest, chunk_count=self._rows, dense={**DENSE, "collection": self.names.base})
        used = self._replaced_hashes()
        self._switch(manifest)
        self._drop_old()
        self.vectors.prune(used | {r["hash"] for r in _rows_of(self._client, f"{self.generation}_chunks", "", ["hash"])})
        disconnect(self._client, self.uri)
        return manifest

    def _replaced_hashes(self) -> set[str]:
        """The chunk hashes of the generation this one replaces: their vectors stay cached, so going
        back to the folder the index held before, or undoing an edit, embeds nothing."""
        try:
            replaced, _ = _read_live(self._client, self.names, self.uri)
            self._client.load_collection(f"{replaced}_chunks")
            return {r["hash"] for r in _rows_of(self._client, f"{replaced}_chunks", "", ["hash"])}
        except Exception:  # noqa: BLE001 - none, or unreadable: only the new generation's chunks count
            return set()

    def _switch(self, manifest: Manifest) -> None:
        """The one step that makes this generation live."""
        if not self._client.has_collection(self.names.meta):
            _create_meta(self._client, self.names.meta)
        value = json.dumps({"generation": self.generation, "manifest": dataclasses.asdict(manifest)}, ensure_ascii=False)
        self._client.upsert(self.names.meta, [{"key": "live", "value": value, "nil": _NIL}])

    def _drop_old(self) -> None:
        for name in self._client.list_collections():
            if self.names.is_generation(name) and not name.startswith(self.generation + "_"):
                self._client.drop_collection(name)

    def abort(self) -> None:
        try:
            for suffix in ("_chunks", "_paragraphs", "_files"):
                self._client.drop_collection(self.generation + suffix)
        finally:
            disconnect(self._client, self.uri)

    def _insert(self, collection: str, rows: list[dict[str, Any]]) -> None:
        for batch in _batches(rows):
            self._client.insert(collection, list(batch))


class MilvusBackend:
    """rag.store.Backend for one index name at one Milvus URI."""

    def __init__(self, uri: str, index_dir: Path) -> None:
        self.uri = uri
        self.index_dir = index_dir

    def read_manifest(self) -> Manifest:
        client = connect_existing(self.uri, self.index_dir)
        try:
            return _read_live(client, names_for(client, self.index_dir), self.uri)[1]
        finally:
            disconnect(client, self.uri)

    def open_index(self) -> MilvusStore:
        return MilvusStore.open(self.uri, self.index_dir)

    def begin_write(self, *, reuse_live: bool, model: str, dimension: int) -> MilvusWriter:
        return MilvusWriter(self.uri, self.index_dir, reuse_live=reuse_live, model=model, dimension=dimension)

    def open_vector_cache(self, model: str, dimension: int) -> MilvusVectorCache:
        client = connect(self.uri)
        return MilvusVectorCache(client, names_for(client, self.index_dir).vectors(model), dimension, owner_uri=self.uri)

    def set_aside_damaged_cache(self, model: str) -> str | None:
        return None  # the embeddings live in Milvus, which checks its own files

    def live_damage(self) -> str | None:
        return None  # likewise

    def last_files(self) -> dict[str, FileState]:
        return self.live_files()  # the live collection's name is in Milvus itself, never lost apart from it

    def live_files(self) -> dict[str, FileState]:
        client = connect_existing(self.uri, self.index_dir)
        try:
            generation, _ = _read_live(client, names_for(client, self.index_dir), self.uri)
            client.load_collection(f"{generation}_files")
            return _files(client, f"{generation}_files")
        finally:
            disconnect(client, self.uri)

    def update_file_states(self, states: dict[str, FileState]) -> None:
        """Upsert the touched files' rows of the live generation (their chunks are unchanged)."""
        if not states:
            return
        client = connect(self.uri)
        try:
            generation, _ = _read_live(client, names_for(client, self.index_dir), self.uri)
            client.load_collection(f"{generation}_files")
            client.upsert(f"{generation}_files", [_file_row(p, s) for p, s in states.items()])
        finally:
            disconnect(client, self.uri)
