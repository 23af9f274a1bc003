"""Incremental, batched and resumable indexing, with the fake embedder."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import unittest.mock
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import NEEDS_MILVUS, SEEDS, FakeEmbedder, ScriptedGenerator
from rag import indexing
from rag.cli import app
from rag.config import ChunkSettings, Settings
from rag.errors import CorpusError
from rag.indexing import build_index, folder_changes
from rag.store import KEPT_EMBEDDINGS, live_files, open_index, read_manifest

ROOT = Path(__file__).resolve().parent.parent
CHANGED_FILE = "000_8d13b83e7b516537.txt"


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the passages it embeds."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.embedded += list(texts)
        return super().embed_passages(texts, progress)


class NeverLoaded:
    """A factory with the fake model's name that fails if anything asks it to embed."""

    name = FakeEmbedder.name
    dimension = FakeEmbedder.dimension

    def __call__(self) -> FakeEmbedder:
        raise AssertionError("the embedder was loaded")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


def test_unchanged_folder_loads_no_model_and_writes_nothing(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in isolated_index.iterdir() if p.name != ".lock")
    heavy = ["sentence_transformers", "torch"] + (["faiss"] if store == "faiss" else [])  # milvus-lite uses FAISS
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        from test_indexing import NeverLoaded
        from rag.config import ChunkSettings
        from rag.indexing import build_index
        report = build_index(Path({str(corpus)!r}), Path({str(isolated_index)!r}), NeverLoaded(), ChunkSettings(),
                             store={store!r})
        assert report.up_to_date and report.embedded == 0 and report.chunks > 0, report
        print(sorted(set({heavy!r}) & set(sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert sorted((p.name, p.stat().st_mtime_ns) for p in isolated_index.iterdir() if p.name != ".lock") == before  # the write lock aside


def test_one_changed_paragraph_embeds_one_chunk(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    path = corpus / CHANGED_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("nine hours", "ten hours"), encoding="utf-8")
    embedder = CountingEmbedder()
    report = build_index(corpus, isolated_index, embedder, ChunkSettings(), store=store)
    assert report.changed == (CHANGED_FILE,) and report.added == report.removed == ()
    assert report.embedded == 1 and len(embedder.embedded) == 1 and "ten hours" in embedder.embedded[0]
    index = open_index(isolated_index, store)
    texts = [c.text for c in index.chunks(range(index.count))]
    assert any("ten hours" in t for t in texts) and not any("nine hours" in t for t in texts)


def test_a_passage_is_embedded_under_its_section_heading(tmp_path: Path, isolated_index: Path, store: str) -> None:
    folder = tmp_path / "manual"
    folder.mkdir()
    body = "Once a file is split, each part uploaded has this size in bytes or with a suffix."
    (folder / "s3.txt").write_text(f"S3 transfers\n============\n\nmultipart_chunksize\n-------------------\n\n{body}\n\n"
                                   "The default is ``8MB`` a part.\n")
    embedder = CountingEmbedder()
    build_index(folder, isolated_index, embedder, ChunkSettings(max_words=30, min_words=2), store=store)
    assert sorted(embedder.embedded) == [f"S3 transfers\n============\n\nmultipart_chunksize\n-------------------\n\n{body}",
                                         "multipart_chunksize\nThe default is ``8MB`` a part."]
    index = open_index(isolated_index, store)
    assert [c.heading for c in index.chunks(range(index.count))] == ["multipart_chunksize"] * 2  # the title is no section


def test_touched_file_is_hashed_once_and_not_embedded(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    os.utime(corpus / CHANGED_FILE, ns=(1_000_000_000, 1_000_000_000))
    report = build_index(corpus, isolated_index, NeverLoaded(), ChunkSettings(), store=store)
    assert report.up_to_date
    assert live_files(isolated_index, store)[CHANGED_FILE].mtime_ns == 1_000_000_000


def test_deleted_and_added_files(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    (corpus / CHANGED_FILE).unlink()
    (corpus / "new.md").write_text("# New\n\nA brand new paragraph about the Geneva ceasefire arrangement.\n")
    embedder = CountingEmbedder()
    report = build_index(corpus, isolated_index, embedder, ChunkSettings(), store=store)
    assert (report.added, report.removed) == (("new.md",), (CHANGED_FILE,))
    assert report.embedded == 1
    index = open_index(isolated_index, store)
    files = {c.file for c in index.chunks(range(index.count))}
    assert CHANGED_FILE not in files and "new.md" in files and set(index.files()) == files
    assert index.paragraphs(CHANGED_FILE) == []


def test_dry_run_lists_changes_and_writes_nothing(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    manifest = read_manifest(isolated_index, store)
    path = corpus / CHANGED_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("nine hours", "ten hours"), encoding="utf-8")
    (corpus / "001_f826f06c135a9a1b.txt").unlink()
    (corpus / "new.txt").write_text("Another new paragraph, long enough to be a passage of its own here.\n")
    before = sorted(str(p) for p in isolated_index.rglob("*"))
    report = build_index(corpus, isolated_index, NeverLoaded(), ChunkSettings(), dry_run=True, store=store)
    assert report.dry_run and (report.added, report.changed, report.removed) == (
        ("new.txt",), (CHANGED_FILE,), ("001_f826f06c135a9a1b.txt",))
    assert report.embedded == 2 and report.chunks > 2
    assert sorted(str(p) for p in isolated_index.rglob("*")) == before
    assert read_manifest(isolated_index, store) == manifest
    fresh = isolated_index.parent / "not-yet"
    assert build_index(corpus, fresh, NeverLoaded(), ChunkSettings(), dry_run=True, store=store).embedded > 0
    assert not fresh.exists()  # a dry run into a new folder creates nothing
    empty = corpus.parent / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no readable documents"):  # as the run itself would fail
        build_index(empty, fresh, NeverLoaded(), ChunkSettings(), dry_run=True, store=store)


def test_cli_dry_run_and_unchanged_index(fake_models: ScriptedGenerator, corpus: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["index", str(corpus)])
    assert result.exit_code == 0 and "(0 embedded, 77 unchanged or repeated)" in result.output and "nothing changed" in result.output
    (corpus / "new.txt").write_text("Another new paragraph, long enough to be a passage of its own here.\n")
    result = runner.invoke(app, ["index", str(corpus), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 changed, 0 removed (dry run, nothing written)" in result.output
    assert "  added new.txt" in result.output and "1 passage from added and changed files, 1 of them to embed" in result.output
    result = runner.invoke(app, ["index", str(corpus), "--dry-run", "--rebuild"])
    assert "1 added, 0 changed, 0 removed, 5 read again (dry run, nothing written)" in result.output, result.output
    (corpus / CHANGED_FILE).write_text("Replaced.\n")
    result = runner.invoke(app, ["index", str(corpus), "--rebuild"])
    assert "files: 1 added, 1 changed, 0 removed, 4 read again" in result.output, result.output
    result = runner.invoke(app, ["index", str(corpus), "--dry-run"], env={"RAG_CHUNK_WORDS": "50"})
    assert "0 added, 0 changed, 0 removed, 6 read again (dry run" in result.output, result.output  # new chunk size
    deep = corpus.parent / "new" / "deeper"
    assert runner.invoke(app, ["index", str(corpus), "--dry-run", "--index", str(deep)]).exit_code == 0
    assert not (corpus.parent / "new").exists()  # the CLI creates no folder either
    a_file = corpus.parent / "index-file"
    a_file.write_text("not an index\n")
    for extra in ([], ["--dry-run"]):  # a dry run says what the run would
        result = runner.invoke(app, ["index", str(corpus), "--index", str(a_file), *extra])
        assert result.exit_code == 1 and f"{a_file} is a file, not a folder" in result.output, result.output
    empty = corpus.parent / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["index", str(empty), "--index", str(deep)]).exit_code == 1
    assert not (corpus.parent / "new").exists()  # a failed first run leaves no folder (nor lock) behind
    from rag.store import write_lock

    with write_lock(deep):  # another first run is writing: its folder and lock stay
        assert runner.invoke(app, ["index", str(corpus), "--index", str(deep)]).exit_code == 1
        assert (deep / ".lock").exists()


def test_index_names_the_files_it_leaves_out(fake_models: ScriptedGenerator, corpus: Path) -> None:
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (corpus / "NOTES").write_text("The deploy key lives in the vault, under the ops folder.\n")
    result = CliRunner().invoke(app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "warning: not indexed: 1 file of other types (.jpg 1); rag reads documents" in result.output
    assert "NOTES" in set(open_index(Settings().index_dir).files())


def test_extensions_named_with_as_text_are_read_kept_for_later_runs_and_dropped_on_request(
    fake_models: ScriptedGenerator, corpus: Path
) -> None:
    # tester-s50 L2: a folder's example code and configuration (.py, .conf) could not be indexed at all
    (corpus / "deploy.py").write_text("# The deploy script copies the build to the quay server.\nprint('deploying')\n")
    (corpus / "site.conf").write_text("mooring_fee = 42\n")
    runner = CliRunner()
    first = runner.invoke(app, ["index", str(corpus)])
    assert "not indexed: 2 files of other types (.conf 1, .py 1)" in first.output and "--as-text .py,.conf" in first.output
    added = runner.invoke(app, ["index", str(corpus), "--as-text", "py, .CONF"])
    assert added.exit_code == 0 and "files: 2 added, 0 changed, 0 removed" in added.output, added.output
    assert {"deploy.py", "site.conf"} <= set(open_index(Settings().index_dir).files())
    again = runner.invoke(app, ["index", str(corpus)])  # the index keeps its extensions
    assert "nothing changed" in again.output and "not indexed" not in again.output
    (corpus / "deploy.py").write_text("# The deploy script copies the build to the quay server at noon.\n")
    stale = runner.invoke(app, ["search", "quay server"])
    assert "0 added, 1 changed, 0 removed" in stale.output and "deploy.py" in stale.output
    dropped = runner.invoke(app, ["index", str(corpus), "--as-text", ""])
    assert "0 added, 0 changed, 2 removed" in dropped.output, dropped.output
    wrong = runner.invoke(app, ["index", str(corpus), "--as-text", ".p/y"])
    assert wrong.exit_code == 2 and ".p/y is not a file extension" in wrong.output


def test_index_tells_its_progress_in_plain_lines_when_stderr_is_a_log(
    fake_models: ScriptedGenerator, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.cli.PLAIN_PROGRESS_SECONDS", 0.0)  # every step told
    result = CliRunner().invoke(app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "indexing: embedding passages 77 of 77 (100 %)" in result.output  # a run in nohup or CI shows it is alive
    assert "indexing: building search index 77 of 77 (100 %)" in result.output


def test_search_notices_a_changed_folder(fake_models: ScriptedGenerator, corpus: Path, isolated_index: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    index = open_index(isolated_index)
    assert folder_changes(index.manifest.corpus_root, index.files()) == indexing.FolderChanges(str(corpus.resolve()), 0, 0, 0)
    result = runner.invoke(app, ["search", "Geneva"])
    assert "changed since it was indexed" not in result.output
    (corpus / "new.txt").write_text("Another new paragraph.\n")
    (corpus / CHANGED_FILE).write_text("Replaced.\n")
    assert folder_changes(index.manifest.corpus_root, index.files()) == indexing.FolderChanges(str(corpus.resolve()), 1, 1, 0)
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 0
    assert f"note: {corpus.resolve()} changed since it was indexed (1 added, 1 changed, 0 removed files); " \
           f"run `rag index {corpus.resolve()} --index {isolated_index}`" in result.output


def test_a_touched_file_is_not_called_changed(fake_models: ScriptedGenerator, corpus: Path, isolated_index: Path) -> None:
    """The note is a stat check: a file of the same size with a new mtime may be unchanged."""
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    stat = (corpus / CHANGED_FILE).stat()
    os.utime(corpus / CHANGED_FILE, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    result = runner.invoke(app, ["search", "Geneva"])
    assert f"note: {corpus.resolve()} may have changed since it was indexed (1 file of the same size with a new " \
           f"modification time); run `rag index {corpus.resolve()} --index {isolated_index}`" in result.output
    (corpus / "new.txt").write_text("Another new paragraph.\n")
    result = runner.invoke(app, ["search", "Geneva"])
    assert "changed since it was indexed (1 added, 0 changed, 0 removed files, 1 touched)" in result.output
    assert "1 added, 0 changed, 0 removed" in runner.invoke(app, ["index", str(corpus), "--dry-run"]).output


def test_notes_show_a_folder_names_escapes_harmless(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    runner = CliRunner()
    folder, index = tmp_path / "esc\x1b[31mRED", tmp_path / "idx"
    folder.mkdir()
    (folder / "a.txt").write_text("Kerry and Lavrov spoke for more than nine hours in Geneva.\n")
    assert runner.invoke(app, ["index", str(folder), "--index", str(index)]).exit_code == 0
    (folder / "b.txt").write_text("Another new paragraph about the ferry timetable.\n")
    changed = runner.invoke(app, ["search", "Geneva", "--index", str(index)])
    folder.rename(tmp_path / "moved")
    gone = runner.invoke(app, ["search", "Geneva", "--index", str(index)])
    chat = runner.invoke(app, ["chat", "--index", str(index)], input="/quit\n")
    for result, said in ((changed, "changed since it was indexed"), (gone, "is gone"), (chat, "rag chat: 1 passages")):
        assert said in result.output and "\x1b" not in result.output and "esc\u241b[31mRED" in result.output, result.output


@NEEDS_MILVUS
def test_the_changed_folder_note_of_a_milvus_index_names_its_store(fake_models: ScriptedGenerator, corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = f"milvus:{tmp_path / 'm.db'}"
    assert runner.invoke(app, ["index", str(corpus), "--store", store]).exit_code == 0
    (corpus / "new.txt").write_text("Another new paragraph.\n")
    result = runner.invoke(app, ["search", "Geneva", "--store", store])
    assert result.exit_code == 0, result.output
    assert f"--store {store}`" in result.output  # without it, rag index would build a FAISS index beside
    missing = tmp_path / "elsewhere.db"
    result = runner.invoke(app, ["search", "Geneva", "--store", f"milvus:{missing}"])
    assert result.exit_code == 1 and "no such file" in result.output and not missing.exists()  # none made


def test_search_notices_an_index_split_by_other_passage_rules(fake_models: ScriptedGenerator, corpus: Path, isolated_index: Path) -> None:
    import json

    from rag.faiss_store import current_generation

    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    manifest_file = current_generation(isolated_index) / "manifest.json"  # type: ignore[operator]
    manifest = json.loads(manifest_file.read_text())
    del manifest["passage_rules"]  # as an index built before the rules were recorded
    manifest_file.write_text(json.dumps(manifest))
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 0
    assert "note: the index's passages were split by another version of rag's rules; run `rag index" in result.output
    assert "split into passages again" in runner.invoke(app, ["index", str(corpus)]).output
    assert "note:" not in runner.invoke(app, ["search", "Geneva"]).output


def test_a_file_the_index_leaves_out_is_no_change_until_it_changes(
    fake_models: ScriptedGenerator, corpus: Path, isolated_index: Path
) -> None:
    (corpus / "empty.txt").write_text("")
    (corpus / "blob.txt").write_bytes(b"\x00\x01binary")
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 0 and "changed since it was indexed" not in result.output
    (corpus / "empty.txt").write_text("Now it has a paragraph.\n")
    result = runner.invoke(app, ["search", "Geneva"])
    assert "changed since it was indexed (1 added, 0 changed, 0 removed files)" in result.output
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    assert "changed since it was indexed" not in runner.invoke(app, ["search", "Geneva"]).output


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from conftest import FakeEmbedder
from rag import indexing
from rag.config import ChunkSettings, Settings
from rag.errors import CorpusError

indexing.EMBED_BATCH = 10

class DiesMidway(FakeEmbedder):
    calls = 0
    def embed_passages(self, texts, progress=None):
        DiesMidway.calls += 1
        if DiesMidway.calls == 4:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().embed_passages(texts, progress)

indexing.build_index(Path({corpus!r}), Path({index!r}), DiesMidway(), ChunkSettings(), store={store!r})
"""


def test_killed_run_keeps_previous_index_and_resumes(corpus: Path, isolated_index: Path, tmp_path: Path, store: str) -> None:
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.txt").write_text("One small file, indexed first, long enough to be its own passage.\n")
    build_index(small, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    before = read_manifest(isolated_index, store)
    script = KILLED_RUN.format(tests=str(ROOT / "tests"), corpus=str(corpus), index=str(isolated_index), store=store)
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert read_manifest(isolated_index, store) == before
    assert open_index(isolated_index, store).count == 1
    embedder = CountingEmbedder()
    report = build_index(corpus, isolated_index, embedder, ChunkSettings(), store=store)
    assert report.chunks == 77
    assert report.embedded == len(embedder.embedded) == 77 - 30  # three batches of 10 survived the kill
    assert not list(isolated_index.glob("*.partial"))


def test_embedding_runs_in_bounded_batches_with_progress(corpus: Path, isolated_index: Path,
                                                         monkeypatch: pytest.MonkeyPatch, store: str) -> None:
    monkeypatch.setattr(indexing, "EMBED_BATCH", 16)
    sizes: list[int] = []

    class Recording(FakeEmbedder):
        def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
            sizes.append(len(texts))
            return super().embed_passages(texts, progress)

    totals: list[int] = []
    done: list[int] = []

    def on_embedding(total: int):  # type: ignore[no-untyped-def]
        totals.append(total)
        return done.append

    building: list[tuple[int, list[int]]] = []

    def on_building(total: int):  # type: ignore[no-untyped-def]
        building.append((total, []))
        return building[-1][1].append

    build_index(corpus, isolated_index, Recording(), ChunkSettings(), on_embedding, on_building=on_building,
                store=store)
    assert totals == [77] and sum(done) == 77 and max(sizes) == 16 and sum(sizes) == 77
    # the search-index step reports its progress too, and reaches its total
    assert building and all(total >= 77 and sum(steps) == total for total, steps in building)


def test_an_index_kept_inside_its_corpus_is_not_indexed_itself(fake_models: ScriptedGenerator, corpus: Path) -> None:
    inside = corpus / "idx"
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus), "--index", str(inside)]).exit_code == 0
    result = runner.invoke(app, ["index", str(corpus), "--index", str(inside)])
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert not any(name.startswith("idx/") for name in open_index(inside).files())


def test_indexing_another_folder_into_an_index_says_what_it_drops(fake_models: ScriptedGenerator, corpus: Path,
                                                                 tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("The harbour opens at dawn.\n")
    shared = sorted(corpus.glob("*.txt"))[0]
    (other / shared.name).write_bytes(shared.read_bytes())
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    result = runner.invoke(app, ["index", str(other), "--dry-run"])
    assert f"holds the index of {corpus.resolve()}; indexing {other.resolve()} would replace it" in result.output
    # a file of the same name in both folders: added from the new one, removed with the old one's path
    assert f"added {shared.name}\n" in result.output
    assert f"removed {corpus.resolve() / shared.name}\n" in result.output
    result = runner.invoke(app, ["index", str(other)])
    assert result.exit_code == 0
    assert f"held the index of {corpus.resolve()}; it now holds {other.resolve()} instead, and the 5 files" in result.output
    assert "files: 2 added, 0 changed, 5 removed" in result.output
    back = runner.invoke(app, ["index", str(corpus)])  # its embeddings were kept: nothing to embed
    assert back.exit_code == 0 and "(0 embedded, " in back.output, back.output


def test_the_embeddings_of_the_generation_replaced_stay_cached_one_change(
    corpus: Path, isolated_index: Path, store: str, tmp_path: Path
) -> None:
    """Undoing an edit, or going back to the folder an index held before, embeds nothing; one
    change later what neither generation uses is pruned."""
    edited = corpus / CHANGED_FILE
    original = edited.read_text()
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    edited.write_text(original + "\nA paragraph added for a moment, then taken out again.\n")
    assert build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store).embedded == 1
    edited.write_text(original)
    assert build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store).embedded == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("The harbour opens at dawn, and the ferries leave on the hour.\n")
    build_index(other, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    back = build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    assert back.embedded == 0 and back.reused == back.chunks
    (other / "note.txt").write_text("The harbour closes at dusk.\n")
    build_index(other, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    build_index(other, isolated_index, FakeEmbedder(), ChunkSettings(), store=store, rebuild=True)
    assert build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store).embedded > 0


def test_an_index_split_by_other_passage_rules_is_split_again_reusing_embeddings(
    corpus: Path, isolated_index: Path, store: str
) -> None:
    import dataclasses

    from rag.chunking import PASSAGE_RULES
    from rag.store import outdated_rules_note, read_manifest

    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    old = dataclasses.replace(read_manifest(isolated_index, store), passage_rules=PASSAGE_RULES - 1)
    assert outdated_rules_note(old, isolated_index) == (
        f"the index's passages were split by another version of rag's rules; run `rag index {corpus} --index "
        f"{isolated_index}` to split them again ({KEPT_EMBEDDINGS})"
    )
    with unittest.mock.patch("rag.store.read_manifest", return_value=old):
        embedder = CountingEmbedder()
        report = build_index(corpus, isolated_index, embedder, ChunkSettings(), store=store)
    assert embedder.embedded == [] and report.reused == report.chunks > 0
    assert report.added == () and len(report.read_again) == report.files  # read again, not new
    assert report.warnings[0].startswith("every file is split into passages again")
    assert read_manifest(isolated_index, store).passage_rules == PASSAGE_RULES
    assert build_index(corpus, isolated_index, NeverLoaded(), ChunkSettings(), store=store).up_to_date


def test_a_rebuild_reports_files_read_again_and_those_gone(corpus: Path, isolated_index: Path, store: str) -> None:
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    (corpus / "001_f826f06c135a9a1b.txt").unlink()
    (corpus / "new.txt").write_text("Another new paragraph, long enough to be a passage of its own here.\n")
    report = build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store, rebuild=True)
    assert (report.added, report.removed) == (("new.txt",), ("001_f826f06c135a9a1b.txt",))
    assert len(report.read_again) == 4 and not report.up_to_date


@NEEDS_MILVUS
def test_two_index_folders_of_one_name_in_one_milvus_keep_apart(tmp_path: Path) -> None:
    store = f"milvus:{tmp_path / 'shared.db'}"
    corpora = {}
    for project, text in (("ferry", "The ferry leaves at noon from the north pier.\n"),
                          ("lighthouse", "The lighthouse was built in 1871 by the harbour board.\n")):
        corpora[project] = tmp_path / project / "docs"
        corpora[project].mkdir(parents=True)
        (corpora[project] / f"{project}.txt").write_text(text)
        build_index(corpora[project], tmp_path / project / ".rag", FakeEmbedder(), ChunkSettings(), store=store)
    for project in corpora:  # every project's default index folder is called .rag
        assert set(live_files(tmp_path / project / ".rag", store)) == {f"{project}.txt"}


@NEEDS_MILVUS
def test_a_milvus_index_named_by_folder_name_alone_still_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import milvus_store

    store, index_dir = f"milvus:{tmp_path / 'old.db'}", tmp_path / "index"
    with monkeypatch.context() as old_rules:
        old_rules.setattr(milvus_store, "collection_base", milvus_store._legacy_base)
        build_index(SEEDS, index_dir, FakeEmbedder(), ChunkSettings(), store=store)
    assert len(live_files(index_dir, store)) == 5 and open_index(index_dir, store).count == 77


def test_a_folder_emptied_of_its_indexed_files_says_what_to_do_with_the_index(tmp_path: Path, isolated_index: Path) -> None:
    from rag.errors import CorpusError

    corpus = tmp_path / "notes"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry leaves the harbour at noon every day of the week.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    (corpus / "a.txt").unlink()
    with pytest.raises(CorpusError) as raised:
        build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert str(raised.value) == (f"no readable documents left in {corpus}; the index at {isolated_index} still holds the 1 "
                                 f"file(s) deleted from it: add documents, or delete the index (`rm -r {isolated_index}`)")


def test_a_file_left_out_is_not_read_again_while_unchanged_and_its_warning_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "idx"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Kerry and Lavrov spoke for more than nine hours in Geneva.\n")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    first = build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    said = [w for w in first.warnings if w.startswith("skipped broken.pdf: broken PDF")]
    assert said
    read: list[str] = []
    real = indexing.read_document
    monkeypatch.setattr(indexing, "read_document", lambda root, path: read.append(path.name) or real(root, path))
    again = build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    assert read == [] and [w for w in again.warnings if w.startswith("skipped broken.pdf")] == said
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n2 0 obj <<")  # changed: read again
    build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    assert read == ["broken.pdf"]
    (corpus / "broken.pdf").chmod(0o644)  # its permissions changed (a chmod changes ctime): read again
    build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    assert read == ["broken.pdf", "broken.pdf"]


def test_a_file_left_out_because_it_could_not_be_read_is_tried_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "idx"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Kerry and Lavrov spoke for more than nine hours in Geneva.\n")
    (corpus / "b.txt").write_text("The ferry leaves at dawn from the northern pier every day.\n")
    real = indexing.read_document
    denied = lambda root, path: (None, [f"skipped {path.name}: Permission denied"]) if path.name == "b.txt" else real(root, path)
    monkeypatch.setattr(indexing, "read_document", denied)  # root reads any file: the refusal is made up
    build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    monkeypatch.setattr(indexing, "read_document", real)  # permission given back without touching the file
    report = build_index(corpus, index, FakeEmbedder(), ChunkSettings())
    assert report.added == ("b.txt",) or "b.txt" in report.added
