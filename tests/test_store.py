import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import NEEDS_MILVUS, SEEDS, FakeEmbedder, write_depots_table
from rag import faiss_store
from rag.chunking import Chunk
from rag.config import ChunkSettings
from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.indexing import build_index
from rag.store import IndexStore, check_compatible, open_index, read_manifest


def test_build_then_load_round_trip(isolated_index: Path, store: str) -> None:
    report = build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    index = open_index(isolated_index, store)
    assert report.files == 5 and report.chunks == index.count == index.manifest.chunk_count
    assert set(index.files()) == {p.name for p in SEEDS.glob("*.txt")}
    assert index.manifest.embedding_model == "fake-embedder"
    from rag.milvus_store import collection_base

    expected = {"type": "flat", "factory": "Flat"} if store == "faiss" else {
        "type": "milvus", "index": "AUTOINDEX", "metric": "IP", "keyword": "BM25",
        "collection": collection_base(isolated_index)}
    assert index.manifest.dense == expected
    chunks = index.chunks(range(index.count))
    assert all(c.text == (SEEDS / c.file).read_text(encoding="utf-8")[c.start : c.end] for c in chunks)
    assert [c.id for c in index.chunks([3, 1])] == [chunks[3].id, chunks[1].id]
    first = chunks[0]
    assert index.paragraphs(first.file)[0].number == 1
    assert index.vectors([0]).tolist() == FakeEmbedder().embed_passages([first.text]).tolist()
    query = "How many hours did Kerry and Lavrov speak in Geneva?"
    assert index.dense_search(FakeEmbedder().embed_query(first.text), 1)[0][0] == 0
    keyword = index.keyword_search(query, 5)
    assert len(keyword) == 5 and "Geneva" in index.chunks([keyword[0][0]])[0].text
    assert [s for _, s in keyword] == sorted((s for _, s in keyword), reverse=True) and keyword[-1][1] > 0
    assert index.keyword_search("zzzunknownword", 5) == []


def test_a_cited_paragraphs_chunk_and_those_after_it_are_found_after_other_files_changed(
        tmp_path: Path, isolated_index: Path, store: str) -> None:
    corpus = tmp_path / "docs"
    shutil.copytree(SEEDS, corpus)
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    changed = sorted(corpus.glob("*.txt"))[0]  # its chunks are written after the others' carried-over rows
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA paragraph added at the end.\n", encoding="utf-8")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    index = open_index(isolated_index, store)
    chunks = index.chunks(range(index.count))
    for file in {c.file for c in chunks}:
        own = sorted((c for c in chunks if c.file == file), key=lambda c: c.start)
        assert index.chunks_from(file, own[0].first_paragraph, own[0].start_line, 2) == own[:3]
        assert index.chunks_from(file, own[1].last_paragraph, own[1].end_line, 1) == own[1:3]
        assert index.chunks_from(file, own[-1].last_paragraph, own[-1].end_line, 2) == own[-1:]
        if file == changed.name:
            assert own[-1].text.endswith("A paragraph added at the end.")
    assert index.chunks_from("gone.txt", 1, 1, 2) == []


def test_rebuild_reuses_unchanged_vectors(tmp_path: Path, isolated_index: Path, store: str) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A Title\n\nAlpha paragraph about cats and dogs living together.\n\nBeta paragraph about birds and fish living apart.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    (corpus / "b.txt").write_text("Gamma paragraph about lizards and snakes living in deserts.\n")
    report = build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    assert (report.embedded, report.reused) == (1, 2)


def test_interrupted_write_leaves_previous_index_live(isolated_index: Path, monkeypatch: pytest.MonkeyPatch,
                                                     store: str) -> None:
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    before = read_manifest(isolated_index, store)

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    if store == "faiss":
        monkeypatch.setattr(faiss_store, "_fsync_tree", crash)
    else:
        from rag.milvus_store import MilvusWriter

        monkeypatch.setattr(MilvusWriter, "_switch", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings(max_words=50), store=store)
    assert read_manifest(isolated_index, store) == before
    assert open_index(isolated_index, store).count == before.chunk_count
    assert leftovers(isolated_index, store) == []


def leftovers(index_dir: Path, store: str) -> list[str]:
    """Unfinished generations: partial folders, or Milvus collections of no live generation."""
    if store == "faiss":
        return [p.name for p in index_dir.glob("*.partial")]
    from rag.milvus_store import Names, collection_base, connect, _read_live

    client = connect(store.removeprefix("milvus:"))
    names = Names(collection_base(index_dir))
    live, _ = _read_live(client, names, store)
    return [c for c in client.list_collections() if names.is_generation(c) and not c.startswith(live + "_")]


def test_index_from_other_model_or_settings_is_refused(isolated_index: Path, store: str) -> None:
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings(), store=store)
    manifest = read_manifest(isolated_index, store)
    with pytest.raises(IndexMismatchError, match="built with fake-embedder, not all-MiniLM-L6-v2; rebuild it with `rag index"):
        check_compatible(manifest, "all-MiniLM-L6-v2", ChunkSettings())
    with pytest.raises(IndexMismatchError, match="chunk settings"):
        check_compatible(manifest, "fake-embedder", ChunkSettings(max_words=10))


def test_missing_index_says_how_to_build_one(tmp_path: Path, store: str) -> None:
    with pytest.raises(IndexNotFoundError, match=r"no index (at|for) .*; build one with `rag index DIR"):
        open_index(tmp_path / "none", store)


def test_old_format_index_is_refused_with_the_rebuild_command(isolated_index: Path) -> None:
    generation = isolated_index / "gen-old"
    generation.mkdir(parents=True)
    (generation / "manifest.json").write_text('{"format_version": 1, "corpus_root": "/data/docs", "files": {}}')
    (isolated_index / "CURRENT").write_text("gen-old\n")
    with pytest.raises(IndexMismatchError, match=r"format 1, this rag reads 3; rebuild it with `rag index /data/docs --index .*index`$"):
        open_index(isolated_index)


def test_large_corpus_uses_hnsw_recorded_in_the_manifest(isolated_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faiss_store, "DENSE_EXACT_MAX", 10)
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    index = open_index(isolated_index)
    assert index.manifest.dense == {"type": "hnsw", "factory": "HNSW32,SQ8", "M": 32, "efConstruction": 64, "efSearch": 512}
    vector = index.vectors([5])[0]
    assert index.dense_search(vector, 3)[0][0] == 5


def test_a_very_large_corpus_walks_the_hnsw_graph_longer() -> None:
    assert faiss_store.dense_spec(faiss_store.HNSW_LARGE - 1)["efSearch"] == 512
    assert faiss_store.dense_spec(faiss_store.HNSW_LARGE)["efSearch"] == 1024


def test_hnsw_file_ends_with_the_vector_codes_so_only_its_graph_is_read_ahead(
    isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss
    import numpy as np

    monkeypatch.setattr(faiss_store, "DENSE_EXACT_MAX", 10)
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    index = open_index(isolated_index)
    path = index.path / "dense.faiss"
    code_bytes = faiss_store._code_bytes(index.manifest.dense, index.manifest.dimension, index.count)
    hnsw = faiss.read_index(str(path))  # kept: its storage is freed with it
    codes = faiss.vector_to_array(faiss.downcast_index(hnsw.storage).codes)
    assert code_bytes == codes.size and path.read_bytes()[-code_bytes:] == np.asarray(codes, dtype=np.uint8).tobytes()
    assert faiss_store._code_bytes({"type": "flat", "factory": "Flat"}, 384, 100) is None


def test_changed_file_carries_the_hnsw_index_over_and_masks_its_old_vectors(
    tmp_path: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faiss_store, "DENSE_EXACT_MAX", 10)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    first = sorted(corpus.glob("*.txt"))[0]
    old_text = first.read_text(encoding="utf-8")
    first.write_text(old_text.replace("\n\n", "\n\nZanzibar quokka marmalade.\n\n", 1), encoding="utf-8")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    index = open_index(isolated_index)
    deleted = index.manifest.dense["deleted"]
    assert deleted > 0 and (index.path / faiss_store.LABELS).is_file()
    _assert_every_chunk_found_once(index)
    monkeypatch.setattr(faiss_store, "MAX_DELETED", 0.5)
    first.write_text(old_text.replace("\n\n", "\n\nQuince armadillo.\n\n", 1), encoding="utf-8")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())  # carried over a second time
    index = open_index(isolated_index)
    assert index.manifest.dense["deleted"] > deleted
    chunks = _assert_every_chunk_found_once(index)
    assert any("Quince" in c.text for c in chunks) and not any("Zanzibar" in c.text for c in chunks)
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh, FakeEmbedder(), ChunkSettings())
    assert [c.text for c in open_index(fresh).chunks(range(index.count))] == [c.text for c in chunks]


def _assert_every_chunk_found_once(index: IndexStore) -> list[Chunk]:
    """Each chunk is among the top 3 for its own vector, and a search for all finds each live row once."""
    rows = range(index.count)
    for row, vector in zip(rows, index.vectors(rows), strict=True):
        found = index.dense_search(vector, 3)
        assert len(found) == 3 and row in [r for r, _ in found] and all(0 <= r < index.count for r, _ in found)
    everything = index.dense_search(index.vectors([0])[0], index.count)
    assert sorted(r for r, _ in everything) == list(rows)
    return index.chunks(rows)


def test_keyword_scores_match_bm25s_lucene() -> None:
    import bm25s
    import numpy as np

    from rag.keyword import KeywordIndex
    from rag.text import terms

    texts = [p for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index([terms(t) for t in texts], show_progress=False)
    query = "How many hours did Kerry and Lavrov speak in Geneva?"
    expected = reference.get_scores([t for t in terms(query) if t in reference.vocab_dict])
    top = KeywordIndex.build(texts).top(query, 10)
    assert [r for r, _ in top] == list(np.argsort(-expected, kind="stable")[:10])
    assert np.allclose([s for _, s in top], np.sort(expected)[::-1][:10], rtol=1e-5)


def test_keyword_index_round_trips_memory_mapped(tmp_path: Path) -> None:
    from rag.keyword import KeywordIndex

    built = KeywordIndex.build(["cats and dogs", "dogs only", "birds"])
    built.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded.top("dogs", 5) == built.top("dogs", 5) and [r for r, _ in loaded.top("dogs", 5)] == [1, 0]
    assert loaded.top("fish", 5) == [] and loaded.document_count == 3


def test_keyword_index_finds_a_chinese_and_a_japanese_word_inside_a_sentence() -> None:
    from rag.keyword import KeywordIndex

    index = KeywordIndex.build([
        "我们明天去北京看看。", "上海的天气很好。", "東京都に住んでいます。", "京都の寺を見に行きました。", "Beijing and Tokyo.",
    ])
    assert index.top("北京", 5)[0][0] == 0 and index.top("東京", 5)[0][0] == 2  # the pair outranks a shared character
    assert [row for row, _ in index.top("海", 5)] == [1]  # a word of one character: 上海 holds it
    assert {row for row, _ in index.top("京都", 5)[:2]} == {2, 3}  # pairs across two words match too: 東京都
    assert index.top("北京在哪里？", 5)[0][0] == 0


def test_keyword_query_reads_a_name_and_its_number_as_the_documents_write_them(tmp_path: Path) -> None:
    from rag.keyword import KeywordIndex

    texts = ["The iPhone 15 case is blue", "The Pixel8 battery lasts long", "Version 15 of the tool", "NF2 binds Merlin"]
    KeywordIndex.build(texts).save(tmp_path / "kw")
    index = KeywordIndex.load(tmp_path / "kw")  # the vocabulary looked up in SQLite, as a saved index is
    assert [row for row, _ in index.top("iPhone15", 4)] == [0, 2]  # the parts, none written whole
    assert [row for row, _ in index.top("ｉＰｈｏｎｅ１５", 4)] == [0, 2]
    assert [row for row, _ in index.top("Pixel 8 battery", 4)] == [1]  # also as one word, written so
    assert [row for row, _ in index.top("NF 2", 4)] == [3]
    assert index.top("NF21", 4) == []  # a name of two letters is one name with its number: not "NF" and "21"
    assert index.top("Versionv15", 4) == []  # no "versionv" stands alone, so "15" is not looked up alone
    # a term asked twice counts twice, the joined one too (tester-s46 L9: it counted once, its parts twice)
    (_, once), = index.top("Pixel 8", 4)
    (_, twice), = index.top("Pixel 8 Pixel 8", 4)
    assert twice == pytest.approx(2 * once)


@pytest.mark.parametrize("saved", [False, True])
def test_keyword_query_finds_a_series_name_the_documents_write_only_with_numbers(tmp_path: Path, saved: bool) -> None:
    from rag.keyword import MAX_NUMBERED, KeywordIndex

    texts = ["The format is documented in RFC8878.", "zstd compresses fast", "Use python3 or python3.11", "An RFC 1950 stream"]
    index = KeywordIndex.build(texts)
    if saved:
        index.save(tmp_path / "kw")
        index = KeywordIndex.load(tmp_path / "kw")
    assert [row for row, _ in index.top("Which RFC?", 4)] == [3]  # "rfc" stands alone in row 3: no series read
    assert [row for row, _ in index.top("Which Python", 4)] == [2]  # "python" never stands alone: python3 is read
    many = KeywordIndex.build([f"See Sec{n} for more" for n in range(MAX_NUMBERED + 1)])
    assert many.top("Which sec", 4) == []  # a name with more numbers than MAX_NUMBERED names none of them


@NEEDS_MILVUS
def test_cli_index_and_search_on_milvus_lite(fake_models: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["index", str(SEEDS), "--store", "milvus:./rag.db"])
    assert result.exit_code == 0, result.output
    assert "77 passages (77 embedded, 0 unchanged or repeated)" in result.output and (tmp_path / "rag.db").exists()
    monkeypatch.setenv("RAG_STORE", "milvus:./rag.db")
    result = runner.invoke(app, ["search", "How long did Kerry and Lavrov talk in Geneva?", "--json", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 2
    result = runner.invoke(app, ["ask", "How long did they talk?", "--store", "faiss"])
    assert result.exit_code == 1 and "no index at" in result.output


# --- a stopped HNSW build resumes from its checkpoint ------------------------------------------

CHECKPOINT_FILES = "dense-build.checkpoint.*"


class Building:
    """An on_building callback recording each step's total; with `stop_at`, it raises
    KeyboardInterrupt (a Ctrl-C) once that many vectors are added."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.totals: list[int] = []
        self.done = 0

    def __call__(self, total: int) -> Callable[[int], None]:
        self.totals.append(total)
        return self.advance

    def advance(self, done: int) -> None:
        self.done += done
        if self.stop_at is not None and self.done >= self.stop_at:
            raise KeyboardInterrupt


@pytest.fixture
def hnsw_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seeds (77 chunks) built as HNSW, 16 vectors a batch, a checkpoint after each."""
    monkeypatch.setattr(faiss_store, "DENSE_EXACT_MAX", 10)
    monkeypatch.setattr(faiss_store, "ROW_BATCH", 16)
    monkeypatch.setattr(faiss_store, "CHECKPOINT_SECONDS", 0)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus


def stop_building(corpus: Path, index_dir: Path, after: int = 48) -> dict[str, Any]:
    """Build until `after` vectors are in the HNSW index, then Ctrl-C; returns the checkpoint's sidecar."""
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, index_dir, FakeEmbedder(), ChunkSettings(), on_building=Building(stop_at=after))
    assert not list(index_dir.glob("*.partial")) and (index_dir / faiss_store.CHECKPOINT).is_file()
    sidecar: dict[str, Any] = json.loads((index_dir / faiss_store.CHECKPOINT_SIDECAR).read_text())
    return sidecar


def count_added(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches added to any FAISS index made or read from now on."""
    import faiss

    added: list[int] = []

    def counting(make: Callable[..., Any]) -> Callable[..., Any]:
        def made(*args: Any, **kwargs: Any) -> Any:
            index = make(*args, **kwargs)
            add = index.add
            index.add = lambda vectors: (added.append(len(vectors)), add(vectors))
            return index

        return made

    monkeypatch.setattr(faiss, "index_factory", counting(faiss.index_factory))
    monkeypatch.setattr(faiss, "read_index", counting(faiss.read_index))
    return added


def assert_same_as_fresh_build(corpus: Path, index_dir: Path, fresh: Path) -> None:
    """The same vectors in the same order as a build from scratch, the same answers, no checkpoint left."""
    import faiss

    build_index(corpus, fresh, FakeEmbedder(), ChunkSettings())
    built, expected = open_index(index_dir), open_index(fresh)
    dense = [faiss.read_index(str(i.path / "dense.faiss")) for i in (built, expected)]
    assert dense[0].ntotal == built.count == expected.count == 77 and built.manifest.dense["type"] == "hnsw"
    assert (dense[0].reconstruct_n(0, 77) == dense[1].reconstruct_n(0, 77)).all()
    for query in ("Kerry and Lavrov in Geneva", "airstrikes against Al-Nusra", "the final say on foreign policy"):
        vector = FakeEmbedder().embed_query(query)
        found, wanted = built.dense_search(vector, 77), expected.dense_search(vector, 77)
        assert found[0][1] == wanted[0][1] and sorted(found) == sorted(wanted)  # the order of ties may differ
    assert not list(index_dir.glob(CHECKPOINT_FILES)) and not list(fresh.glob(CHECKPOINT_FILES))


def test_stopped_hnsw_build_continues_from_its_checkpoint(hnsw_corpus: Path, isolated_index: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sidecar = stop_building(hnsw_corpus, isolated_index)
    assert sidecar["ntotal"] == 48 and sidecar["model"] == "fake-embedder"
    added = count_added(monkeypatch)
    building = Building()
    build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings(), on_building=building)
    assert added == [16, 13] and building.totals[0] == 77 - 48
    assert_same_as_fresh_build(hnsw_corpus, isolated_index, tmp_path / "fresh")


@pytest.mark.parametrize(("changed", "old", "new", "train_sample", "resumed"), [
    # rows 9-26, in the checkpoint; the training sample (rows 0 and 40) is the same
    ("001_f826f06c135a9a1b.txt", "Psychopaths do that", "Sociopaths do that", 2, False),
    # rows 63-79, after the checkpoint but in the training sample (every row)
    ("004_72c3ab4a87bf830e.txt", "paved with", "lined with", faiss_store.TRAIN_SAMPLE, False),
    # rows 63-79 again, outside the training sample: the checkpoint still holds this build's first rows
    ("004_72c3ab4a87bf830e.txt", "paved with", "lined with", 2, True),
])
def test_checkpoint_is_used_only_when_it_holds_this_builds_rows_and_training(
    hnsw_corpus: Path, isolated_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    changed: str, old: str, new: str, train_sample: int, resumed: bool,
) -> None:
    monkeypatch.setattr(faiss_store, "TRAIN_SAMPLE", train_sample)
    stop_building(hnsw_corpus, isolated_index)
    path = hnsw_corpus / changed
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    added = count_added(monkeypatch)
    build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert sum(added) == (77 - 48 if resumed else 77)
    assert_same_as_fresh_build(hnsw_corpus, isolated_index, tmp_path / "fresh")


@pytest.mark.parametrize(("damaged", "content"), [
    (faiss_store.CHECKPOINT, "garbage of the same size"),
    (faiss_store.CHECKPOINT, "truncated"),
    (faiss_store.CHECKPOINT_SIDECAR, "garbage of the same size"),
    (faiss_store.CHECKPOINT_SIDECAR, '{"ntotal": "48"}'),
])
def test_damaged_checkpoint_is_ignored(hnsw_corpus: Path, isolated_index: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, damaged: str, content: str) -> None:
    stop_building(hnsw_corpus, isolated_index)
    path = isolated_index / damaged
    size = path.stat().st_size
    if content == "garbage of the same size":
        path.write_bytes((b"not a checkpoint " * size)[:size])
    elif content == "truncated":
        path.write_bytes(path.read_bytes()[: size // 2])
    else:
        path.write_text(content)
    added = count_added(monkeypatch)
    build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert sum(added) == 77
    assert_same_as_fresh_build(hnsw_corpus, isolated_index, tmp_path / "fresh")


def test_commit_removes_the_checkpoint(hnsw_corpus: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[int] = []
    save = faiss_store._save_checkpoint

    def recorded(index_dir: Path, index: Any, sidecar: dict[str, Any]) -> bool:
        saved.append(sidecar["ntotal"])
        return save(index_dir, index, sidecar)

    monkeypatch.setattr(faiss_store, "_save_checkpoint", recorded)
    build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert saved == [16, 32, 48, 64]  # none after the last batch: the commit writes the index next
    assert not list(isolated_index.glob(CHECKPOINT_FILES)) and open_index(isolated_index).count == 77


def test_checkpoints_wait_their_interval_and_a_failed_one_does_not_fail_the_build(
    hnsw_corpus: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faiss_store, "CHECKPOINT_SECONDS", 3600)
    with pytest.raises(KeyboardInterrupt):
        build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings(), on_building=Building(stop_at=48))
    assert not list(isolated_index.glob(CHECKPOINT_FILES))
    monkeypatch.setattr(faiss_store, "CHECKPOINT_SECONDS", 0)
    replace = faiss_store._replace_durably
    tried: list[str] = []

    def disk_full_for_checkpoints(path: Path, write: Callable[[Path], object]) -> None:
        if path.name.startswith("dense-build"):
            tried.append(path.name)
            write(path.with_name(path.name + ".tmp"))
            raise OSError(28, "No space left on device")
        replace(path, write)

    monkeypatch.setattr(faiss_store, "_replace_durably", disk_full_for_checkpoints)
    build_index(hnsw_corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert tried == [faiss_store.CHECKPOINT]  # tried once, then the build went on without
    assert not list(isolated_index.glob(CHECKPOINT_FILES)) and open_index(isolated_index).count == 77


def test_opening_an_index_as_a_rebuild_commits_opens_the_new_generation(
    tmp_path: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "notes"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry leaves the harbour at noon every day of the week.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    old = faiss_store.current_generation(isolated_index)
    (corpus / "b.txt").write_text("The lighthouse was built in 1871 and painted red and white.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert old is not None and not old.exists()  # the commit removed it
    live = faiss_store._live
    resolved = iter([old])
    monkeypatch.setattr(faiss_store, "_live", lambda index_dir: next(resolved, None) or live(index_dir))
    store = faiss_store.FaissStore.open(isolated_index)  # resolved the old one first, as a racing ask would
    assert store.count == 2
    store.close()


def test_a_continued_tables_header_row_is_stored_and_embedded_with_its_chunk(
    tmp_path: Path, isolated_index: Path, store: str
) -> None:
    from rag.chunking import embedding_text

    corpus = tmp_path / "docs"
    corpus.mkdir()
    rows = "".join(f"| Town {n} | {1000 + n} | {n + 30} |\n" for n in range(40))
    (corpus / "towns.md").write_text(f"| Town | Population | Area |\n|---|---|---|\n{rows}", encoding="utf-8")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(max_words=60), store=store)
    index = open_index(isolated_index, store)
    first, *continued = index.chunks(range(index.count))
    assert continued and first.table_header is None
    assert all(c.table_header == "| Town | Population | Area |" for c in continued)
    shown = embedding_text(continued[0].text, continued[0].heading, continued[0].table_header, "towns.md")
    assert shown.startswith("towns\n| Town | Population | Area |\n")
    assert index.vectors([1]).tolist() == FakeEmbedder().embed_passages([shown]).tolist()


def test_a_generation_written_before_chunks_carried_table_headers_is_still_read(isolated_index: Path) -> None:
    import contextlib
    import sqlite3

    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    generation = faiss_store.current_generation(isolated_index)
    assert generation is not None
    with contextlib.closing(sqlite3.connect(generation / "meta.sqlite")) as meta:
        meta.execute("ALTER TABLE chunks DROP COLUMN table_header")
        meta.commit()
    index = open_index(isolated_index)
    assert index.count > 0 and all(c.table_header is None for c in index.chunks(range(index.count)))


def test_faiss_errors_are_told_without_their_cpp_location_or_a_stale_errno() -> None:
    read = RuntimeError("Error in void faiss::read_index_header(...) at /project/faiss/impl/index_read.cpp:276: "
                        "Error: 'ret == (n)' failed: read error in /ix/dense.faiss: 955 != 1605120 (Success)")
    written = RuntimeError("Error in void faiss::write_index(const faiss::Index*, faiss::IOWriter*, int) at "
                           "/project/faiss/impl/index_write.cpp:499: Error: 'ret == (size * 4)' failed: write error in "
                           "/ix/dense.faiss: 12 != 1605120 (No space left on device)")
    assert faiss_store._faiss_reason(read) == "read error in /ix/dense.faiss: 955 != 1605120"
    assert faiss_store._faiss_reason(written) == "write error in /ix/dense.faiss: 12 != 1605120 (No space left on device)"


def test_keyword_search_finds_a_continued_tables_passages_by_its_header_row(
    tmp_path: Path, isolated_index: Path, store: str
) -> None:
    """A word of the header row finds every passage of the table, not only the first, which alone
    holds that row; a column and a row name find the row's passage first."""
    build_index(write_depots_table(tmp_path), isolated_index, FakeEmbedder(), ChunkSettings(max_words=60), store=store)
    index = open_index(isolated_index, store)
    assert index.count > 2 and {row for row, _ in index.keyword_search("parcels", 50)} == set(range(index.count))
    best, _ = index.keyword_search("parcels per week at the Alesund depot", 3)[0]
    chunk = index.chunks([best])[0]
    assert chunk.table_header == "| Depot | Staff | Parcels per week |" and "Alesund" in chunk.text
    index.close()


@NEEDS_MILVUS
def test_a_milvus_generation_whose_bm25_read_text_alone_is_read_and_brought_up_to_date(
    tmp_path: Path, isolated_index: Path
) -> None:
    """A chunks collection written before keyword_text (Milvus's BM25 reading text) still answers;
    the next generation written copies its passages with their table's header terms, embedding
    only the new file's."""
    from pymilvus import CollectionSchema

    from rag import milvus_store

    corpus, uri = write_depots_table(tmp_path), str(tmp_path / "milvus.db")
    store = f"milvus:{uri}"
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(max_words=60), store=store)
    client = milvus_store.connect(uri)
    live, _ = milvus_store._read_live(client, milvus_store.names_for(client, isolated_index), uri)
    chunks = f"{live}_chunks"
    client.load_collection(chunks)
    rows = list(milvus_store._rows_of(client, chunks, "", [*milvus_store._CHUNK_FIELDS, "vector"]))
    # the schema rag wrote before keyword_text: text analysed, and BM25 reading it
    described = client.describe_collection(chunks)
    analysed = next(f for f in described["fields"] if f["name"] == "keyword_text")
    described["fields"] = [{**f, "params": analysed["params"]} if f["name"] == "text" else f
                           for f in described["fields"] if f is not analysed]
    described["functions"][0]["input_field_names"] = ["text"]
    client.drop_collection(chunks)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vector", index_type="AUTOINDEX", metric_type="IP")
    index_params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    milvus_store._create(client, chunks, CollectionSchema.construct_from_dict(described), index_params)
    client.insert(chunks, rows)
    milvus_store.disconnect(client, uri)

    index = open_index(isolated_index, store)
    assert index.count == len(rows) > 2 and [row for row, _ in index.keyword_search("parcels", 50)] == [0]
    index.close()
    (corpus / "note.txt").write_text("The depots are counted every Monday morning by the night shift.\n", encoding="utf-8")
    report = build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings(max_words=60), store=store)
    assert (report.embedded, report.reused) == (1, len(rows))
    index = open_index(isolated_index, store)
    table = {i for i, c in enumerate(index.chunks(range(index.count))) if c.file == "depots.md"}
    assert len(table) == len(rows) and {row for row, _ in index.keyword_search("parcels", 50)} == table
    index.close()


def test_milvus_keyword_text_is_the_text_under_its_header_cut_to_fit_the_field() -> None:
    from rag.milvus_store import TEXT_MAX, keyword_text

    rows = "| Oslo | 709,000 |"
    assert keyword_text(rows, "| Town | Population |") == "| Town | Population |\n| Oslo | 709,000 |"
    assert keyword_text(rows, None) == rows
    cut = keyword_text(rows, "| " + " | ".join(["Befolkning"] * 10_000) + " |")
    header, _, text = cut.partition("\n")
    assert text == rows and len(cut.encode()) <= TEXT_MAX and header.split()[-1] in ("|", "Befolkning")
    full = "ø" * (TEXT_MAX // 2)  # two bytes each: the text alone fills the field
    assert keyword_text(full, "| Town |") == full
