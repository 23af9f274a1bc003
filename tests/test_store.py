from pathlib import Path

import pytest

from conftest import SEEDS, FakeEmbedder
from rag import faiss_store
from rag.config import ChunkSettings
from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.indexing import build_index
from rag.store import check_compatible, load_index, read_manifest


def test_build_then_load_round_trip(isolated_index: Path) -> None:
    report = build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    index = load_index(isolated_index)
    assert report.files == 5 and report.chunks == index.count == index.manifest.chunk_count
    assert set(index.files()) == {p.name for p in SEEDS.glob("*.txt")}
    assert index.manifest.embedding_model == "fake-embedder"
    assert index.manifest.dense == {"type": "flat", "factory": "Flat"}
    chunks = index.chunks(range(index.count))
    assert all(c.text == (SEEDS / c.file).read_text(encoding="utf-8")[c.start : c.end] for c in chunks)
    assert [c.id for c in index.chunks([3, 1])] == [chunks[3].id, chunks[1].id]
    first = chunks[0]
    assert index.paragraphs(first.file)[0].number == 1
    assert index.vectors([0]).tolist() == FakeEmbedder().embed_passages([first.text]).tolist()


def test_rebuild_reuses_unchanged_vectors(tmp_path: Path, isolated_index: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("A Title\n\nAlpha paragraph about cats and dogs living together.\n\nBeta paragraph about birds and fish living apart.\n")
    build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    (corpus / "b.txt").write_text("Gamma paragraph about lizards and snakes living in deserts.\n")
    report = build_index(corpus, isolated_index, FakeEmbedder(), ChunkSettings())
    assert (report.embedded, report.reused) == (1, 2)


def test_interrupted_write_leaves_previous_index_live(isolated_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    before = read_manifest(isolated_index)

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(faiss_store, "_fsync_tree", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings(max_words=50))
    assert read_manifest(isolated_index) == before
    assert load_index(isolated_index).count == before.chunk_count
    assert not list(isolated_index.glob("*.partial"))


def test_index_from_other_model_or_settings_is_refused(isolated_index: Path) -> None:
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    manifest = read_manifest(isolated_index)
    with pytest.raises(IndexMismatchError, match="built with fake-embedder, not all-MiniLM-L6-v2; rebuild it with `rag index"):
        check_compatible(manifest, "all-MiniLM-L6-v2", ChunkSettings())
    with pytest.raises(IndexMismatchError, match="chunk settings"):
        check_compatible(manifest, "fake-embedder", ChunkSettings(max_words=10))


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match=r"no index at .*; build one with `rag index DIR`"):
        load_index(tmp_path / "none")
