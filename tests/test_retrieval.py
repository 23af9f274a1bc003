from pathlib import Path

from conftest import SEEDS, FakeEmbedder
from rag.config import ChunkSettings
from rag.indexing import build_index
from rag.retrieval import Retriever
from rag.store import load_index
from rag.text import terms


def retriever_for(corpus: Path, index_dir: Path) -> Retriever:
    build_index(corpus, index_dir, FakeEmbedder(), ChunkSettings())
    return Retriever(load_index(index_dir), FakeEmbedder())


def test_each_mode_finds_the_paragraph(isolated_index: Path) -> None:
    retriever = retriever_for(SEEDS, isolated_index)
    def found(hit: object) -> bool:
        chunk = hit.chunk  # type: ignore[attr-defined]
        return chunk.file == "000_8d13b83e7b516537.txt" and chunk.start_line <= 3 <= chunk.end_line

    question = "How many hours did Kerry and Lavrov speak in Geneva?"
    dense = retriever.search(question, 5, "dense")
    assert len(dense) == 5 and [h.score for h in dense] == sorted((h.score for h in dense), reverse=True)
    assert found(retriever.search(question, 3, "keyword")[0])
    assert found(retriever.search(question, 3, "hybrid")[0])


def test_duplicates_do_not_crowd_results(tmp_path: Path, isolated_index: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    same = "The ceasefire began on the twelfth of September in Aleppo and held for a week."
    (corpus / "a.txt").write_text(same + "\n")
    (corpus / "b.txt").write_text(same + "\n")
    (corpus / "c.txt").write_text("Aleppo ceasefire talks were held in Geneva over several days of meetings.\n")
    hits = retriever_for(corpus, isolated_index).search("When did the Aleppo ceasefire begin?", 3)
    assert len(hits) == 2 and {h.chunk.file for h in hits} == {"a.txt", "c.txt"}


def test_numbers_written_as_words_match_digits() -> None:
    assert terms("nine hours") == terms("9 hours") == ["9", "hour"]
    assert terms("470,000 people") == ["470000", "peopl"]


def test_hybrid_over_candidates_equals_fusion_over_every_chunk(isolated_index: Path) -> None:
    """Fusing the two top-candidate lists ranks like the full-corpus formula it replaced."""
    import numpy as np

    from rag.retrieval import _scaled

    retriever = retriever_for(SEEDS, isolated_index)
    index = retriever.index
    vectors = index.vectors(range(index.count))
    for question in ["How many hours did Kerry and Lavrov speak in Geneva?", "Darayya surrender siege",
                     "What did Putin hope for?"]:
        dense = vectors @ FakeEmbedder().embed_query(question)
        keyword = np.zeros(index.count, np.float32)
        for row, score in index.keyword_search(question, index.count):
            keyword[row] = score
        full = 0.5 * _scaled(dense) + 0.5 * _scaled(keyword)
        expected = [index.chunks([int(r)])[0].id for r in np.argsort(-full, kind="stable")[:4]]
        assert [h.chunk.id for h in retriever.search(question, 4, "hybrid")] == expected


def test_search_reads_only_candidate_rows(isolated_index: Path) -> None:
    class Spy:
        def __init__(self, inner: object) -> None:
            self.inner, self.asked = inner, []

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def vectors(self, rows):  # type: ignore[no-untyped-def]
            self.asked.append(len(rows))
            return self.inner.vectors(rows)  # type: ignore[attr-defined]

    retriever = retriever_for(SEEDS, isolated_index)
    spy = Spy(retriever.index)
    retriever.index = spy  # type: ignore[assignment]
    hits = retriever.search("Kerry Lavrov Geneva", 3)
    assert len(hits) == 3 and sum(spy.asked) <= 16 < retriever.index.count
