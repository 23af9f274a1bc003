"""A damaged or busy index ends in one line naming the fix, through the CLI, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS, FakeEmbedder, ScriptedGenerator
from rag.config import ChunkSettings
from rag.faiss_store import current_generation
from rag.indexing import build_index
from rag.store import FORMAT_VERSION, read_manifest, write_lock

FAKE_CLI = Path(__file__).parent / "fake_cli.py"


def rag(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKE_CLI), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def built(isolated_index: Path) -> Path:
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    generation = current_generation(isolated_index)
    assert generation is not None
    return generation


def one_line_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("part", ["dense", "metadata"])
def test_truncated_index_file_is_one_line_naming_the_rebuild(built: Path, part: str) -> None:
    damaged = next(p for p in built.iterdir() if (p.suffix == ".faiss") == (part == "dense") and p.suffix in (".faiss", ".sqlite"))
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3])
    message = one_line_failure(rag("search", "Geneva"))
    assert message.endswith(f"rebuild it with `rag index {SEEDS} --index {built.parent} --rebuild`")
    assert "faiss::" not in message and ".cpp" not in message  # what failed, not where in FAISS's C++
    assert rag("index", str(SEEDS), "--rebuild").returncode == 0
    assert rag("search", "Geneva").returncode == 0


@pytest.mark.parametrize("damage", ["truncate dense.faiss", "delete keyword/docs.npy", "truncate cache", "miscount manifest.json",
                                    "miscount keyword/meta.json"])
def test_an_unchanged_folder_indexed_again_repairs_a_damaged_index(built: Path, isolated_index: Path, damage: str) -> None:
    action, name = damage.split(" ")
    damaged = next(isolated_index.glob("vectors-*.sqlite")) if name == "cache" else built / name
    if action == "delete":
        damaged.unlink()
    elif action == "miscount":  # an edited passage count was reported as the index's on every run
        count = read_manifest(isolated_index).chunk_count
        manifest = built / "manifest.json"
        manifest.write_text(manifest.read_text().replace(f'"chunk_count": {count}', '"chunk_count": 1000'))
        if name == "keyword/meta.json":  # both counts edited alike (tester-s46 M2): the metadata's rows tell
            damaged.write_text(damaged.read_text().replace(f'"count": {count}', '"count": 1000'))
        searched = one_line_failure(rag("search", "Geneva"))
        assert f"is inconsistent (manifest.json says 1,000 passages, meta.sqlite holds {count:,}, dense.faiss {count:,}" in searched
    else:
        damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3])
    assert rag("search", "Geneva").returncode == 1
    dry = rag("index", str(SEEDS), "--dry-run")
    assert dry.returncode == 0 and "is damaged (" in dry.stderr and "would read every file again" in dry.stderr
    repaired = rag("index", str(SEEDS))
    assert repaired.returncode == 0, repaired.stderr
    assert f"warning: the index at {isolated_index} was damaged (" in repaired.stderr
    assert "every file is read again to rebuild it" in repaired.stderr
    assert "files: 0 added, 0 changed, 0 removed, 5 read again" in repaired.stdout
    assert rag("search", "Geneva").returncode == 0
    again = rag("index", str(SEEDS))
    assert "nothing changed" in again.stdout and "damaged" not in again.stderr


def test_an_index_written_before_sizes_were_recorded_is_still_checked_and_trusted(built: Path) -> None:
    from rag.faiss_store import SIZES, live_damage

    (built / SIZES).unlink()
    assert live_damage(built.parent) is None
    (built / "dense.faiss").unlink()
    assert live_damage(built.parent) == "dense.faiss is missing"


@pytest.mark.parametrize(("name", "content"), [("terms.sqlite", b"garbage " * 64), ("indptr.npy", b""), ("scores.npy", None)])
def test_a_damaged_keyword_index_is_one_line_naming_the_rebuild(built: Path, name: str, content: bytes | None) -> None:
    damaged = built / "keyword" / name
    damaged.write_bytes(damaged.read_bytes()[:500] if content is None else content)
    message = one_line_failure(rag("search", "Geneva"))
    if content is None:  # cut short: the file is named, not only numpy's "file seems not fully written"
        assert "(keyword/scores.npy: " in message
    assert message.endswith(f"rebuild it with `rag index {SEEDS} --index {built.parent} --rebuild`")
    assert rag("index", str(SEEDS), "--rebuild").returncode == 0
    assert rag("search", "Geneva").returncode == 0


def test_a_damaged_embedding_cache_is_one_line_then_set_aside_by_a_rebuild(built: Path, isolated_index: Path) -> None:
    cache = next(isolated_index.glob("vectors-*.sqlite"))
    cache.write_bytes(cache.read_bytes()[:3000])
    message = one_line_failure(rag("search", "Geneva"))
    assert message.endswith(f"is damaged (database disk image is malformed); rebuild it with `rag index {SEEDS} --index {isolated_index} --rebuild`")
    result = rag("index", str(SEEDS), "--rebuild")
    assert result.returncode == 0, result.stderr
    assert f"the embedding cache {cache.name} was damaged; set aside as {cache.name}.damaged" in result.stderr
    assert "77 embedded, 0 unchanged or repeated" in result.stdout and "files: 0 added, 0 changed, 0 removed, 5 read again" in result.stdout
    assert rag("search", "Geneva").returncode == 0


def test_an_update_that_finds_a_cache_that_is_not_a_database_sets_it_aside(isolated_index: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "notes"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry leaves at noon.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    cache = next(isolated_index.glob("vectors-*.sqlite"))
    cache.write_bytes(b"garbage")
    (corpus / "b.txt").write_text("The lighthouse was built in 1871.\n")  # something to embed
    result = rag("index", str(corpus))
    assert result.returncode == 0, result.stderr
    assert f"(the embedding cache {cache.name} is not a SQLite file)" in result.stderr
    assert f"set aside as {cache.name}.damaged" in result.stderr
    assert "2 embedded, 0 unchanged or repeated" in result.stdout


def test_newer_format_is_refused_with_the_upgrade_named(built: Path) -> None:
    manifest = built / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text.replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 99'))
    message = one_line_failure(rag("search", "Geneva"))
    assert "format 99" in message and "newer rag: upgrade rag" in message


def test_second_index_run_says_another_is_writing_and_leaves_the_index_whole(
    built: Path, isolated_index: Path, fake_models: ScriptedGenerator
) -> None:
    with write_lock(isolated_index):
        message = one_line_failure(rag("index", str(SEEDS)))
    assert "another `rag index` is writing" in message
    assert current_generation(isolated_index) == built
    assert rag("search", "Geneva").returncode == 0


def test_doctor_finds_a_damaged_index_as_a_search_would(built: Path) -> None:
    (built / "dense.faiss").write_bytes((built / "dense.faiss").read_bytes()[:5000])
    result = subprocess.run([sys.executable, str(FAKE_CLI), "doctor"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "FAIL index: the index at" in result.stdout and "is damaged" in result.stdout
    assert f"rebuild it with `rag index {SEEDS}" in result.stdout


def test_an_index_folder_that_is_the_corpus_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The lamp was lit at dusk by the keeper of the tower.\n")
    result = rag("index", str(tmp_path), "--index", str(tmp_path))
    message = one_line_failure(result)
    assert message == (f"error: {tmp_path} is both the folder of documents and the index, which would index itself; "
                       f"pass another --index, such as {tmp_path / '.rag'}")
    assert not (tmp_path / "CURRENT").exists()


def _killed_mid_write(database: Path, table: str) -> None:
    """A process that dies inside a write transaction big enough to reach the file, as `kill -9`
    during `rag index` would: its rollback journal stays beside the database."""
    code = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('PRAGMA cache_size=1')\n"
        f"db.execute('DELETE FROM {table}')\n"
        "db.execute('CREATE TABLE filler (x)')\n"
        "db.executemany('INSERT INTO filler VALUES (?)', [('x' * 900,)] * 400)\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(database)], timeout=60)
    assert database.with_name(database.name + "-journal").stat().st_size > 0


def test_a_write_killed_midway_leaves_a_sound_index_not_a_damaged_one(built: Path, isolated_index: Path) -> None:
    _killed_mid_write(built / "meta.sqlite", "files")
    _killed_mid_write(next(isolated_index.glob("vectors-*.sqlite")), "vectors")
    result = rag("search", "Geneva")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1. ")
    result = rag("index", str(SEEDS), "--rebuild")
    assert result.returncode == 0 and "damaged" not in result.stderr, result.stderr
    assert "0 embedded, 77 unchanged or repeated" in result.stdout


def test_a_lost_pointer_to_the_live_generation_is_damage_not_a_missing_index(built: Path, isolated_index: Path) -> None:
    (isolated_index / "CURRENT").unlink()
    message = one_line_failure(rag("search", "Geneva"))
    assert message == (f"error: the index at {isolated_index} is damaged (CURRENT is missing or names no generation); "
                       f"rebuild it with `rag index {SEEDS} --index {isolated_index}`")
    repaired = rag("index", str(SEEDS))  # the repair is told in a warning; its files were in the index
    assert repaired.returncode == 0 and "was damaged (CURRENT is missing or names no generation)" in repaired.stderr
    assert "files: 0 added, 0 changed, 0 removed, 5 read again" in repaired.stdout, repaired.stdout
    assert rag("search", "Geneva").returncode == 0


@pytest.mark.parametrize("pointer", [b"\xff\xfe garbage\n", b"../elsewhere\n", b"/etc\n", "folder"])
def test_a_garbled_pointer_to_the_live_generation_is_damage_and_never_followed_out(
    built: Path, isolated_index: Path, tmp_path: Path, pointer: bytes | str
) -> None:
    current = isolated_index / "CURRENT"
    current.unlink()
    if pointer == "folder":
        current.mkdir()
    else:
        (tmp_path / "elsewhere").mkdir()
        current.write_bytes(pointer)  # type: ignore[arg-type]
    message = one_line_failure(rag("search", "Geneva"))
    assert "is damaged (CURRENT is missing or names no generation); rebuild it with" in message
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr and "FAIL index:" in doctor.stdout
    if pointer != "folder":
        assert rag("index", str(SEEDS)).returncode == 0 and rag("search", "Geneva").returncode == 0


@pytest.mark.parametrize("name", ["keyword/docs.npy", "dense.faiss"])
def test_bytes_changed_in_place_are_damage_not_a_traceback_or_wild_scores(built: Path, name: str) -> None:
    import numpy as np

    damaged = built / name
    data = bytearray(damaged.read_bytes())
    if name == "dense.faiss":  # stored floats past the header made huge: the size stays
        data[1000:5000] = np.full(1000, 3.0e37, dtype=np.float32).tobytes()
    else:
        data[200:4200] = bytes([0xFF]) * 4000  # negative document numbers
    damaged.write_bytes(bytes(data))
    mode = "dense" if name == "dense.faiss" else "keyword"
    message = one_line_failure(rag("search", "Lavrov talks", "--mode", mode))
    assert message.startswith(f"error: the index at {built.parent} is damaged (") and message.endswith("--rebuild`")


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
@pytest.mark.parametrize("damage", ["row past the end", "row negative", "score not a number", "score negative",
                                    "score huge", "postings backwards"])
def test_keyword_arrays_written_over_in_place_are_damage_not_a_traceback_or_nan(built: Path, damage: str, mode: str) -> None:
    import numpy as np

    folder = built / "keyword"
    if damage.startswith("row"):  # a passage number the metadata does not hold, the size kept
        docs = np.load(folder / "docs.npy", mmap_mode="r+")
        docs[:] = read_manifest(built.parent).chunk_count if damage == "row past the end" else -5
        docs.flush()
    elif damage.startswith("score"):  # tester-s46 M3: a negative or huge score ranked its passage first
        scores = np.load(folder / "scores.npy", mmap_mode="r+")
        scores[:] = {"score not a number": np.nan, "score negative": -0.011, "score huge": 1e38}[damage]
        scores.flush()
    else:
        indptr = np.load(folder / "indptr.npy", mmap_mode="r+")
        indptr[:] = indptr[::-1].copy()
        indptr.flush()
    message = one_line_failure(rag("search", "Lavrov talks", "--mode", mode))
    assert message.startswith(f"error: the index at {built.parent} is damaged (") and message.endswith("--rebuild`")
    assert "keyword/" in message or "meta.sqlite" in message
    if damage == "row negative":  # the wrong number, not the largest, which may be a sound one
        assert "keyword/docs.npy names passage -5 of" in message
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "FAIL index:" in doctor.stdout and "Traceback" not in doctor.stderr


def test_a_missing_embedding_cache_is_damage_not_zero_scores(built: Path, isolated_index: Path) -> None:
    next(isolated_index.glob("vectors-*.sqlite")).unlink()
    message = one_line_failure(rag("search", "Lavrov talks"))
    assert "is damaged (the embedding cache vectors-" in message and "is missing)" in message
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "FAIL index:" in doctor.stdout and "Traceback" not in doctor.stderr
    assert rag("index", str(SEEDS)).returncode == 0 and rag("search", "Lavrov talks").returncode == 0


def test_doctor_reports_a_damaged_metadata_page_and_goes_on_with_the_other_checks(built: Path) -> None:
    meta = built / "meta.sqlite"
    data = bytearray(meta.read_bytes())
    data[20000:50000] = bytes(range(256)) * (30000 // 256) + bytes(30000 % 256)
    meta.write_bytes(bytes(data))
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr, doctor.stderr
    assert "FAIL index:" in doctor.stdout and "is damaged (" in doctor.stdout and "disk" in doctor.stdout


@pytest.mark.parametrize("manifest", ["garbage", "{}", "[1, 2]", '"x"', "true", "-1"])
def test_an_unreadable_manifest_is_named_and_never_refreshed_from_seeds(built: Path, isolated_index: Path, manifest: str) -> None:
    path = built / "manifest.json"
    if manifest in ('"x"', "true", "-1"):  # a hand edit of the count (tester-s46 L8: `true` was shown as 1 passage)
        path.write_text(path.read_text().replace('"chunk_count": 77', f'"chunk_count": {manifest}'))
    else:
        path.write_text(manifest)
    searched = one_line_failure(rag("search", "Geneva"))
    assert f"the index at {isolated_index} is unreadable (" in searched and "format None" not in searched
    assert "says 1 passages" not in searched and "-1 passages" not in searched
    if manifest in ("true", "-1"):
        assert "gives chunk_count a " in searched
    refreshed = one_line_failure(rag("index"))  # no folder given: not seeds/ in place of the one it held
    assert refreshed.endswith(f"pass the folder it was built from: `rag index DIR --index {isolated_index} --rebuild`")
    assert rag("index", str(SEEDS), "--rebuild").returncode == 0 and rag("search", "Geneva").returncode == 0


def test_an_index_file_this_user_may_not_read_is_named_not_called_damaged(
    built: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import sqlite3

    from rag import faiss_store
    from rag.errors import IndexNotFoundError
    from rag.store import open_index

    meta = built / "meta.sqlite"

    def refused(path: Path) -> sqlite3.Connection:  # what SQLite says of a file it may not open (root may open any)
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(faiss_store, "_connect_read_only", refused)
    readable = os.access
    monkeypatch.setattr(faiss_store.os, "access", lambda path, mode: Path(path) != meta and readable(path, mode))
    with pytest.raises(IndexNotFoundError, match=rf"^cannot read {meta} \(permission denied\); fix its permissions"):
        open_index(isolated_index)


def test_searching_while_the_first_index_is_built_says_so(isolated_index: Path) -> None:
    from rag.errors import IndexBusyError
    from rag.store import open_index

    (isolated_index / "gen-20261206-120000-0123abcd.partial").mkdir(parents=True)
    with write_lock(isolated_index), pytest.raises(IndexBusyError, match="is being built by `rag index`; wait"):
        open_index(isolated_index)
    with pytest.raises(Exception, match="no index at"):  # a partial left by a killed run: no index yet
        open_index(isolated_index)


def test_rag_index_with_no_folder_repairs_a_lost_pointer_from_the_folder_its_generation_names(built: Path, isolated_index: Path) -> None:
    (isolated_index / "CURRENT").write_bytes(b"\xff\xfe")
    repaired = rag("index")
    assert repaired.returncode == 0 and "was damaged (CURRENT is missing" in repaired.stderr, repaired.stderr
    assert rag("search", "Geneva").returncode == 0
    assert read_manifest(isolated_index).corpus_root == str(SEEDS)


def test_doctor_searches_as_a_search_does(built: Path) -> None:
    import numpy as np

    dense = built / "dense.faiss"
    data = bytearray(dense.read_bytes())
    data[1000:5000] = np.full(1000, 3.0e37, dtype=np.float32).tobytes()  # the size stays
    dense.write_bytes(bytes(data))
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "FAIL index:" in doctor.stdout and "not unit length" in doctor.stdout


def test_doctor_finds_a_vector_zeroed_in_place(built: Path) -> None:
    import faiss

    dense = built / "dense.faiss"
    index = faiss.read_index(str(dense))
    header = len(dense.read_bytes()) - index.ntotal * index.d * 4  # an exact index: its floats end the file
    data = bytearray(dense.read_bytes())
    data[header : header + index.d * 4] = bytes(index.d * 4)  # the first passage's vector, the size kept
    dense.write_bytes(bytes(data))
    doctor = rag("doctor")
    assert doctor.returncode == 1 and "FAIL index:" in doctor.stdout
    assert "searched with passage 0's own vector, its dense index finds nothing nearer than a cosine of 0." in doctor.stdout
    assert doctor.stdout.split("FAIL index:")[1].splitlines()[0].endswith("--rebuild`")


def test_an_empty_vector_written_into_the_cache_is_dropped_and_embedded_again_by_the_next_run(
    built: Path, isolated_index: Path
) -> None:
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(built / "meta.sqlite")) as meta:
        (key,) = meta.execute("SELECT hash FROM chunks WHERE row = 0").fetchone()
    with contextlib.closing(sqlite3.connect(next(isolated_index.glob("vectors-*.sqlite")))) as cache:
        (blob,) = cache.execute("SELECT vector FROM vectors WHERE hash = ?", (key,)).fetchone()
        cache.execute("UPDATE vectors SET vector = ? WHERE hash = ?", (bytes(len(blob)), key))
        cache.commit()
    doctor = rag("doctor")  # not the dense index's damage, as it was named
    assert "(the embedding cache holds an empty vector for passage 0)" in doctor.stdout
    first = one_line_failure(rag("index", str(SEEDS), "--rebuild"))  # every later run failed so (tester-s46 H1)
    assert first == "error: 1 cached embeddings were empty (the cache was written over) and are dropped; run `rag index` again to embed them"
    again = rag("index", str(SEEDS), "--rebuild")
    assert again.returncode == 0, again.stderr
    assert "(1 embedded," in again.stdout and rag("search", "Geneva").returncode == 0
