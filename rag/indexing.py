"""Building the index incrementally: only changed files are read, only new chunk texts embedded.

A file is unchanged when its size and mtime match the index (nothing is read), or, failing that,
when its sha256 does. Changed and added files are re-chunked; a chunk whose text hash already has
a cached vector is not embedded again. Embedding runs in batches of EMBED_BATCH chunks, each
committed to the vector cache at once, so memory stays bounded and a killed run resumes from the
batches it finished. When nothing changed, no model is loaded and nothing is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag import store as stores
from rag.chunking import PASSAGE_RULES, chunk_document
from rag.config import DEFAULT_STORE, ChunkSettings
from rag.corpus import (
    REPORT_IT,
    Document,
    check_corpus_root,
    iter_files,
    list_folder,
    no_documents_error,
    read_document,
)
from rag.embedding import Embedder
from rag.errors import CorpusError, IndexDamagedError, IndexMismatchError, IndexNotFoundError, RagError
from rag.store import FORMAT_VERSION, KEPT_EMBEDDINGS, FileState, IndexStore, Manifest, ProgressStart
EMBED_BATCH = 256  # ~6 s of MiniLM on 2 cores: what a Ctrl-C or a kill can lose (2048 lost 49 s)
SKIPPED_FILES = "skipped-files.json"


class EmbedderFactory(Protocol):
    """Makes the embedder only when something must be embedded (an Embedder class is one)."""

    name: str
    dimension: int

    def __call__(self) -> Embedder: ...


@dataclass(frozen=True)
class IndexReport:
    """What `rag index` did, for the user and for benchmarks. With dry_run, what it would do:
    `chunks` are those of added and changed files, `embedded` those of them not cached."""

    index_dir: str
    files: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    embed_seconds: float
    warnings: tuple[str, ...]
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    read_again: tuple[str, ...] = ()  # unchanged files split anew (--rebuild, or other passage rules)
    dry_run: bool = False
    passages: dict[str, tuple[str, int]] = field(default_factory=dict)  # file read this run -> (format, count)

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.changed or self.removed or self.read_again)


@dataclass
class _Scan:
    """The corpus folder compared with the live index."""

    kept: dict[str, FileState] = field(default_factory=dict)
    touched: dict[str, FileState] = field(default_factory=dict)
    new_files: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    read_again: list[str] = field(default_factory=list)
    read: dict[str, str] = field(default_factory=dict)  # each file read and indexed -> its sha256
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, tuple[int, int]] = field(default_factory=dict)  # read and left out -> (size, mtime_ns)
    # why each was left out, when that is its content (not a permission or a reader's bug), with its ctime
    skip_notes: dict[str, tuple[int, list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class FolderChanges:
    """How the indexed folder differs from the index, judged by size and mtime only: a file of
    the same size with a new mtime is touched, which may or may not be a change."""

    corpus_root: str
    changed: int
    added: int
    removed: int
    touched: int = 0

    @property
    def any(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.touched)


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder | EmbedderFactory,
    chunking: ChunkSettings,
    on_embedding: ProgressStart | None = None,
    *,
    on_building: ProgressStart | None = None,
    dry_run: bool = False,
    store: str = DEFAULT_STORE,
    rebuild: bool = False,
    text_suffixes: Sequence[str] | None = None,
) -> IndexReport:
    """Bring the index up to date with the folder; the previous index stays live until the new
    one is complete, and an unchanged folder costs a stat of each file.

    Args:
        embedder: an Embedder, or a factory with the model's `name` and `dimension`, called only
            when there is something to embed.
        on_embedding: called with the number of chunks to embed; returns a per-batch callback.
        on_building: the same for building the search indexes (vectors, then passages for BM25):
            at a million passages that step takes minutes.
        dry_run: report what would be added, changed, removed and embedded; write nothing.
        store: where the index lives ("faiss" or "milvus:URI", see rag.store).
        rebuild: read every file again and build a new index without the live one (for a damaged
            index, which an unchanged folder would otherwise leave as it is); a damaged embedding
            cache is set aside, sound cached embeddings are still reused.
        text_suffixes: other extensions to read as plain text (".py", ".conf"), recorded in the
            manifest; None keeps the live index's.

    Raises:
        CorpusError: the folder is missing or has no readable file.
        RagError: another `rag index` holds the index.
    """
    started = time.perf_counter()
    kind = store
    check_corpus_root(corpus_dir)
    root = str(corpus_dir.resolve())
    if index_dir.resolve() == corpus_dir.resolve():
        raise CorpusError(f"{index_dir} is both the folder of documents and the index, which would index itself; "
                          f"pass another --index, such as {index_dir / '.rag'}")
    suffixes = live_text_suffixes(index_dir, root, kind) if text_suffixes is None else sorted(set(text_suffixes))
    if dry_run:
        damage = None if rebuild else _live_damage(index_dir, kind)
        return _dry_run(corpus_dir, index_dir, embedder, chunking, started, kind, rebuild=rebuild, damage=damage,
                        text_suffixes=suffixes)
    with stores.write_lock(index_dir):
        damage = None if rebuild else _live_damage(index_dir, kind)
        rebuild = rebuild or damage is not None
        previous = None if rebuild else _reusable_files(index_dir, embedder.name, chunking, root, kind)
        resplit = previous is None and not rebuild and _built_by_other_rules(index_dir, kind)
        replaced = _other_folders_files(index_dir, root, kind)
        # every file is read when nothing is reused (--rebuild, other rules or chunk settings); an
        # index of another folder: its files count as removed (_note_replaced), not as read again
        known = _last_names(index_dir, kind) if previous is None and not replaced else {}
        set_aside = stores.set_aside_damaged_cache(index_dir, embedder.name, kind) if rebuild else None
        writer: stores.IndexWriter | None = None
        passages: dict[str, tuple[str, int]] = {}

        def add(document: Document, state: FileState) -> None:
            nonlocal writer
            if writer is None:
                writer = _begin(index_dir, previous is not None, embedder, kind)
            chunks = chunk_document(document, chunking)
            passages[document.path] = (document.format, len(chunks))
            writer.add_document(document, chunks, state)

        try:
            scan = _scan(corpus_dir, previous or {}, add, skipped_before(index_dir) if previous is not None else {},
                         suffixes)
            _sort_read_again(scan, known)
            _note_why_read_again(scan, index_dir, root, set_aside=set_aside, damage=damage, replaced=replaced,
                                 resplit=resplit)
            files = len(scan.kept) + scan.new_files
            _check_files_left(files, scan, previous is not None, corpus_dir, index_dir)
            if previous is not None and not (scan.added or scan.changed or scan.removed):
                stores.update_file_states(index_dir, scan.touched, kind)
                record_skipped(index_dir, scan)
                count = stores.read_manifest(index_dir, kind).chunk_count
                return _report(index_dir, scan, files, count, 0, started, 0.0)
            if writer is None:
                writer = _begin(index_dir, previous is not None, embedder, kind)
            writer.keep_files(scan.kept)
            embed_started = time.perf_counter()
            embedded = _embed_missing(writer, embedder, on_embedding)
            embed_seconds = time.perf_counter() - embed_started
            manifest = writer.commit(_manifest(embedder, chunking, root, files, suffixes), on_building)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        record_skipped(index_dir, scan)
    return _report(index_dir, scan, files, manifest.chunk_count, embedded, started, embed_seconds, passages=passages)


def _note_why_read_again(
    scan: _Scan, index_dir: Path, root: str, *, set_aside: str | None, damage: str | None,
    replaced: tuple[str, list[str]] | None, resplit: bool,
) -> None:
    """Warnings, first in the report, for why files were read again rather than kept: a damaged
    cache set aside, a damaged index, another folder's index replaced, other passage rules."""
    if set_aside:
        scan.warnings.insert(0, set_aside)
    if damage:
        scan.warnings.insert(0, f"the index at {index_dir} was damaged ({damage}); every file is read again "
                                f"to rebuild it (sound cached embeddings are reused)")
    _note_replaced(scan, index_dir, root, replaced)
    if resplit:
        scan.warnings.insert(0, f"every file is split into passages again: the index was built by another "
                                f"version of rag's rules ({KEPT_EMBEDDINGS})")


def _check_files_left(files: int, scan: _Scan, reusing: bool, corpus_dir: Path, index_dir: Path) -> None:
    """Raises:
        CorpusError: no readable file is left to index (every indexed file deleted, or none ever)."""
    if not files and reusing:  # every indexed file was deleted: say what to do with the index
        raise CorpusError(
            f"no readable documents left in {corpus_dir}; the index at {index_dir} still holds the "
            f"{len(scan.removed)} file(s) deleted from it: add documents, or delete the index (`rm -r {index_dir}`)")
    if not files:
        raise no_documents_error(corpus_dir, scan.warnings, len(scan.skipped))


def _begin(index_dir: Path, reuse_live: bool, embedder: Embedder | EmbedderFactory, kind: str) -> stores.IndexWriter:
    return stores.begin_write(index_dir, reuse_live=reuse_live, model=embedder.name, dimension=embedder.dimension,
                             store=kind)


def live_text_suffixes(index_dir: Path, root: str, kind: str = DEFAULT_STORE) -> list[str]:
    """The extensions the live index of root reads as plain text ([] when there is no readable
    index of that folder)."""
    try:
        manifest = stores.read_manifest(index_dir, kind)
    except (RagError, IndexMismatchError):
        return []
    return manifest.text_suffixes if manifest.corpus_root == root else []


def _manifest(
    embedder: Embedder | EmbedderFactory, chunking: ChunkSettings, root: str, files: int, text_suffixes: list[str]
) -> Manifest:
    return Manifest(
        format_version=FORMAT_VERSION,
        embedding_model=embedder.name,
        dimension=embedder.dimension,
        chunking=dataclasses.asdict(chunking),
        corpus_root=root,
        chunk_count=0,
        file_count=files,
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        passage_rules=PASSAGE_RULES,
        text_suffixes=text_suffixes,
    )


def _report(
    index_dir: Path, scan: _Scan, files: int, chunks: int, embedded: int, started: float, embed_seconds: float,
    *, dry_run: bool = False, passages: dict[str, tuple[str, int]] | None = None,
) -> IndexReport:
    return IndexReport(
        index_dir=str(index_dir),
        files=files,
        chunks=chunks,
        embedded=embedded,
        reused=max(chunks - embedded, 0),
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
        warnings=tuple(scan.warnings),
        added=tuple(scan.added),
        changed=tuple(scan.changed),
        removed=tuple(scan.removed),
        read_again=tuple(scan.read_again),
        dry_run=dry_run,
        passages=passages or {},
    )


def _live_damage(index_dir: Path, kind: str) -> str | None:
    """What is wrong with the live index that this run repairs by reading every file again: a file
    of another size than written, or a pointer, manifest or metadata it cannot read (a repair
    told as a warning, not as files simply added)."""
    damage = stores.live_damage(index_dir, kind)
    if damage:
        return damage
    try:
        stores.read_manifest(index_dir, kind)
        stores.live_files(index_dir, kind)
    except IndexDamagedError as error:
        return error.problem
    except RagError:  # no index yet, another format or model: said elsewhere
        return None
    return None


def _reusable_files(
    index_dir: Path, model: str, chunking: ChunkSettings, root: str, kind: str
) -> dict[str, FileState] | None:
    """The live index's files when it was built the same way from the same folder, else None."""
    try:
        manifest = stores.read_manifest(index_dir, kind)
        stores.check_compatible(manifest, model, chunking)
        if manifest.corpus_root != root or stores.outdated_rules_note(manifest):
            return None
        return stores.live_files(index_dir, kind)
    except (RagError, IndexMismatchError):
        return None


def _last_names(index_dir: Path, kind: str) -> dict[str, str]:
    """The files of the index last written and their sha256 ({} when there is none)."""
    try:
        return {name: state.sha256 for name, state in stores.last_files(index_dir, kind).items()}
    except RagError:
        return {}


def _sort_read_again(scan: _Scan, known: dict[str, str]) -> None:
    """After a scan that read every file, tell files the index already held (read again, or
    changed when their content differs) from new ones, and count those it held that are gone as
    removed."""
    if not known:
        return
    read = set(scan.added)
    scan.read_again = [name for name in scan.added if known.get(name) == scan.read.get(name)]
    scan.changed += [name for name in scan.added if name in known and known[name] != scan.read.get(name)]
    scan.added = [name for name in scan.added if name not in known]
    scan.removed += sorted(set(known) - read)  # deleted, or now left out (emptied)


def _built_by_other_rules(index_dir: Path, kind: str) -> bool:
    try:
        return stores.outdated_rules_note(stores.read_manifest(index_dir, kind)) is not None
    except RagError:
        return False


def _note_replaced(
    scan: _Scan, index_dir: Path, root: str, replaced: tuple[str, list[str]] | None, *, dry_run: bool = False
) -> None:
    """An index that held another folder's files: they count as removed, named with their folder (a
    file of the same name in the new folder is listed as added, and must not read as the same
    file), and a warning says so."""
    if not replaced:
        return
    folder, names = replaced
    scan.removed += sorted(f"{folder.rstrip('/')}/{name}" for name in names)
    if dry_run:
        scan.warnings.insert(0, f"{index_dir} holds the index of {folder}; indexing {root} would replace it, and the "
                                f"{len(names)} files of {folder} would no longer be searched (use another --index to keep both)")
        return
    scan.warnings.insert(0, f"{index_dir} held the index of {folder}; it now holds {root} instead, and the "
                            f"{len(names)} files of {folder} are no longer searched (use another --index to keep both; "
                            f"until the next change, indexing {folder} again reuses its embeddings)")


def _other_folders_files(index_dir: Path, root: str, kind: str) -> tuple[str, list[str]] | None:
    """(folder, its indexed files) when the live index was built from another folder than root."""
    try:
        folder = stores.read_manifest(index_dir, kind).corpus_root
        return (folder, list(stores.live_files(index_dir, kind))) if folder != root else None
    except RagError:
        return None


def _scan(
    corpus_dir: Path,
    previous: dict[str, FileState],
    on_document: Callable[[Document, FileState], None],
    left_out: dict[str, tuple[int, int, int, list[str]]] | None = None,
    text_suffixes: Sequence[str] = (),
) -> _Scan:
    """Compare the folder with the index: stat every file, read only those whose stat changed,
    and hand each added or changed document to on_document at once (one file in memory at a time)."""
    scan = _Scan()
    seen = set()
    listing = list_folder(corpus_dir, text_suffixes)
    for path in listing.files:
        name = path.relative_to(corpus_dir).as_posix()
        seen.add(name)
        try:
            stat = path.stat()
        except OSError as error:
            scan.warnings.append(f"skipped {name}: {error.strerror}")
            continue
        old = previous.get(name)
        if old is not None and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            scan.kept[name] = old
            continue
        before = (left_out or {}).get(name)
        if old is None and before is not None and before[:3] == (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns):
            scan.skipped[name], scan.skip_notes[name] = before[:2], (before[2], before[3])  # as last time, unread
            scan.warnings.extend(before[3])
            continue
        document, notes = read_document(corpus_dir, path)
        scan.warnings.extend(notes)
        if document is None:
            scan.skipped[name] = (stat.st_size, stat.st_mtime_ns)
            if _for_its_content(notes):
                scan.skip_notes[name] = (stat.st_ctime_ns, notes)
            if old is not None:
                scan.removed.append(name)
            continue
        state = FileState(document.sha256, stat.st_size, stat.st_mtime_ns)
        if old is not None and old.sha256 == document.sha256:
            scan.kept[name] = scan.touched[name] = state
        else:
            on_document(document, state)
            scan.read[name] = document.sha256
            scan.new_files += 1
            (scan.changed if old is not None else scan.added).append(name)
    scan.removed += sorted(set(previous) - seen)
    notes = (listing.others_note(), listing.links_note(), listing.misnamed_note(), listing.unreadable_note(),
             listing.special_note())
    scan.warnings += [note for note in notes if note]
    return scan


def _embed_missing(writer: stores.IndexWriter, embedder: Embedder | EmbedderFactory, on_embedding: ProgressStart | None) -> int:
    """Embed every chunk text with no cached vector, EMBED_BATCH at a time, each batch committed."""
    missing = writer.new_hashes()
    if not missing:
        return 0
    model = _instance(embedder)
    progress = on_embedding(len(missing)) if on_embedding else None
    for begin in range(0, len(missing), EMBED_BATCH):
        hashes = missing[begin : begin + EMBED_BATCH]
        writer.vectors.put(hashes, model.embed_passages(writer.texts(hashes), progress))
    return len(missing)


def _instance(embedder: Embedder | EmbedderFactory) -> Embedder:
    if isinstance(embedder, type) or not hasattr(embedder, "embed_passages"):
        return embedder()  # type: ignore[operator,call-arg]
    return embedder  # type: ignore[return-value]


def _dry_run(
    corpus_dir: Path, index_dir: Path, embedder: Embedder | EmbedderFactory, chunking: ChunkSettings, started: float,
    kind: str, *, rebuild: bool = False, damage: str | None = None, text_suffixes: Sequence[str] = (),
) -> IndexReport:
    """What build_index would do, computed without writing or loading a model; `damage` is what
    is wrong with the live index, which the run would rebuild."""
    root = str(corpus_dir.resolve())
    previous = None if rebuild or damage else _reusable_files(index_dir, embedder.name, chunking, root, kind)
    hashes: dict[str, None] = {}
    chunks = 0

    def count(document: Document, state: FileState) -> None:
        nonlocal chunks
        pieces = chunk_document(document, chunking)
        chunks += len(pieces)
        hashes.update((c.text_hash, None) for c in pieces)

    scan = _scan(corpus_dir, previous or {}, count, skipped_before(index_dir) if previous is not None else {},
                 text_suffixes)
    replaced = _other_folders_files(index_dir, root, kind)
    _sort_read_again(scan, _last_names(index_dir, kind) if previous is None and not replaced else {})
    _note_replaced(scan, index_dir, root, replaced, dry_run=True)
    if damage:
        scan.warnings.insert(0, f"the index at {index_dir} is damaged ({damage}); `rag index` would read every "
                                f"file again to rebuild it")
    try:
        to_embed = len(_uncached(index_dir, embedder, list(hashes), kind))
    except IndexNotFoundError:
        if damage is None:
            raise
        to_embed = len(hashes)  # the damaged cache, set aside by the run, embeds nothing
    files = len(scan.kept) + scan.new_files
    _check_files_left(files, scan, previous is not None, corpus_dir, index_dir)  # the run would fail so
    return _report(index_dir, scan, files, chunks, to_embed, started, 0.0, dry_run=True)


def _uncached(index_dir: Path, embedder: Embedder | EmbedderFactory, hashes: list[str], kind: str) -> list[str]:
    if kind == DEFAULT_STORE and not index_dir.exists():
        return hashes  # nothing cached, and a dry run creates nothing
    cache = stores.open_vector_cache(index_dir, embedder.name, embedder.dimension, kind)
    try:
        return cache.missing(hashes)
    finally:
        cache.close()


def record_skipped(index_dir: Path, scan: _Scan) -> None:
    """Remember the files the last `rag index` read and left out (empty, binary, no text), with
    their size, mtime and why, so that an unchanged one is neither reported as a change on every
    question nor read again by the next `rag index` (a broken PDF costs pypdf's import). Written
    after the index itself: a crash in between costs one needless notice, never the index. Not
    rewritten when it would not change: a warm server takes a changed index file for a rebuild."""
    record = {
        "passage_rules": PASSAGE_RULES,  # other reading rules may read what these left out
        "files": {name: [*state, *scan.skip_notes.get(name, ())] for name, state in sorted(scan.skipped.items())},
    }
    path = index_dir / SKIPPED_FILES
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")) == record:
            return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, path)


def skipped_before(index_dir: Path) -> dict[str, tuple[int, int, int, list[str]]]:
    """The files the last `rag index` left out for their content, with size, mtime, ctime (a chmod
    changes it) and the warnings; {} when other reading rules left them out (or the record is
    absent, unreadable, or of an older rag)."""
    rules, files = _skipped_record(index_dir)
    try:
        return {name: (int(state[0]), int(state[1]), int(state[2]), [str(note) for note in state[3]])
                for name, state in files.items() if len(state) == 4} if rules == PASSAGE_RULES else {}
    except (ValueError, TypeError, IndexError):
        return {}


_READ_FAILURES = frozenset(os.strerror(code) for code in errno.errorcode)  # read_document's note of an OSError


def _for_its_content(notes: list[str]) -> bool:
    """Whether a file was left out for what it holds (binary, empty, a broken PDF), which stays so
    while it is unchanged; not for a read that failed (permissions, I/O) or a reader's bug."""
    return bool(notes) and not any(REPORT_IT in note or note.partition(": ")[2] in _READ_FAILURES for note in notes)


def skipped_files(index_dir: Path) -> dict[str, tuple[int, int]]:
    """What record_skipped wrote, as (size, mtime) ({} when absent or unreadable: every unindexed
    file then counts as added); read from an older rag's record too."""
    try:
        return {name: (int(state[0]), int(state[1])) for name, state in _skipped_record(index_dir)[1].items()}
    except (ValueError, TypeError, IndexError):
        return {}


def _skipped_record(index_dir: Path) -> tuple[object, dict[str, Any]]:
    """(the reading rules that wrote it, its files) of skipped-files.json; an older rag's record
    (the files alone) has no rules; (None, {}) when it is absent or unreadable."""
    try:
        recorded = json.loads((index_dir / SKIPPED_FILES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, {}
    if not isinstance(recorded, dict):
        return None, {}
    if isinstance(recorded.get("files"), dict):
        return recorded.get("passage_rules"), {str(name): state for name, state in recorded["files"].items()}
    return None, {str(name): state for name, state in recorded.items()}


def folder_to_refresh(index_dir: Path, store: str = DEFAULT_STORE) -> Path | None:
    """The folder the index at index_dir was built from (what `rag index` alone refreshes); None
    when there is no index there yet.

    Raises:
        CorpusError: that folder is gone, or a damaged index does not say which it was.
        IndexMismatchError: the index is of another format (its message names the folder).
    """
    try:
        root = Path(stores.read_manifest(index_dir, store).corpus_root)
    except IndexDamagedError as error:  # not "no index": seeds/ would quietly replace the folder it held
        if not error.corpus_root:
            raise CorpusError(f"the index at {index_dir} is damaged ({error.problem}); pass the folder it was built "
                              f"from: `rag index DIR{stores.index_option(index_dir, store)} --rebuild`") from None
        root = Path(error.corpus_root)  # a lost pointer beside a sound generation: the run repairs it
    except IndexNotFoundError:
        return None
    if not root.is_dir():
        raise CorpusError(f"{root}, the folder this index was built from, is gone; pass the folder where it is "
                          f"now: `rag index DIR{stores.index_option(index_dir, store)}`")
    return root


def folder_changes(
    corpus_root: str, indexed: dict[str, FileState], skipped: dict[str, tuple[int, int]] | None = None,
    text_suffixes: Sequence[str] = (),
) -> FolderChanges | None:
    """Whether the indexed folder changed since the index was built: a stat of each file against
    the index's sizes and mtimes (no reading, no hashing); a file the index left out counts only
    when its stat differs from when it was left out. None when the folder is gone."""
    root = Path(corpus_root)
    if not root.is_dir():
        return None
    skipped = skipped or {}
    changed = added = touched = 0
    seen = set()
    for path in iter_files(root, text_suffixes):
        name = path.relative_to(root).as_posix()
        seen.add(name)
        state = indexed.get(name)
        if state is None:
            added += not _same_stat(path, skipped.get(name))
            continue
        try:
            stat = os.stat(path)
        except OSError:
            continue
        if stat.st_size != state.size:
            changed += 1
        elif stat.st_mtime_ns != state.mtime_ns:
            touched += 1
    return FolderChanges(str(root), changed, added, len(set(indexed) - seen), touched)


def _same_stat(path: Path, recorded: tuple[int, int] | None) -> bool:
    if recorded is None:
        return False
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == recorded
