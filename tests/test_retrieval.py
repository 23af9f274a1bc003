import pytest
from pathlib import Path

from conftest import SEEDS, FakeEmbedder, write_depots_table
from rag.config import ChunkSettings
from rag.indexing import build_index
from rag.retrieval import Retriever
from rag.store import open_index
from rag.text import is_distinctive, terms


def retriever_for(corpus: Path, index_dir: Path) -> Retriever:
    build_index(corpus, index_dir, FakeEmbedder(), ChunkSettings())
    return Retriever(open_index(index_dir), FakeEmbedder())


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


def test_a_passage_close_to_a_better_one_is_dropped_only_when_it_repeats_it_word_for_word(
    tmp_path: Path, isolated_index: Path
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    clause = ("Sets the Python version for {} by writing the version name to the {} file; "
              "the setting applies to every shell that reads it, until it is changed again.")
    # names without words ("a1" for local, "b2" for global, "c3" for the copy): no file name embedded
    (corpus / "a1.md").write_text(clause.format("the current project", ".python-version") + "\n")
    (corpus / "b2.md").write_text(clause.format("the whole user account", "~/.pyenv/version") + "\n")
    (corpus / "c3.md").write_text(clause.format("The current project", ".python-version").upper() + "\n")
    retriever = retriever_for(corpus, isolated_index)
    vectors = retriever.index.vectors(range(retriever.index.count))
    assert float(vectors[0] @ vectors[1]) > 0.95 and float(vectors[0] @ vectors[2]) > 0.95
    hits = retriever.search("Which file holds the Python version of the current project?", 3)
    assert sorted(h.chunk.file for h in hits) == ["a1.md", "b2.md"] or sorted(
        h.chunk.file for h in hits) == ["b2.md", "c3.md"]


def test_numbers_written_as_words_match_digits() -> None:
    assert terms("nine hours") == terms("9 hours") == ["9", "hour"]
    assert terms("470,000 people") == ["470000", "peopl"]


ENGLISH_TERMS = {  # as the tokenizer cut them before it cut CJK runs into pairs
    "The cat’s 470,000 people don't": ["cat", "470000", "peopl", "don't"],
    "U.S. e-mail v2.0 Wi-Fi at 3.5 GHz": ["u.", "e", "mail", "v2.0", "wi", "fi", "3.5", "ghz"],
    "Naïve café, Straße; ＦＵＬＬ１２": ["naïv", "café", "straße", "full12"],
    "snake_case 1,5 and 1.000.000": ["snake", "case", "1,5", "1000000"],
    "Москва и Київ": ["москва", "и", "київ"],
}


def test_english_and_other_spaced_scripts_are_cut_as_before_even_beside_cjk() -> None:
    for text, expected in ENGLISH_TERMS.items():
        assert terms(text) == expected
        assert terms(f"{text} 北京") == [*expected, "北京", "北", "京"]  # the tokenizer's CJK path reads them alike


def test_a_cjk_run_is_cut_into_overlapping_character_pairs_and_its_characters() -> None:
    assert terms("我们明天去北京") == ["我们", "们明", "明天", "天去", "去北", "北京", "我", "们", "明", "天", "去", "北", "京"]
    assert terms("東京都に") == ["東京", "京都", "都に", "東", "京", "都", "に"]
    assert terms("서울에서 만나요") == ["서울", "울에", "에서", "서", "울", "에", "서", "만나", "나요", "만", "나", "요"]
    assert terms("ｺｰﾋｰ") == terms("コーヒー") == ["コー", "ーヒ", "ヒー", "コ", "ー", "ヒ", "ー"]  # half-width kana folded by NFKC
    assert terms("他说：“好。”") == ["他说", "他", "说", "好"]  # a lone character stays a term


def test_latin_and_cjk_written_together_are_cut_apart() -> None:
    assert terms("iPhone用户") == ["iphon", "用户", "用", "户"]
    assert terms("COVID-19疫情") == ["covid", "19", "疫情", "疫", "情"]
    assert terms("1,000元 in 東京's wards") == ["1000", "元", "東京", "東", "京", "ward"]


def test_cjk_pairs_and_lone_characters_are_distinctive() -> None:
    assert is_distinctive("北京") and is_distinctive("元") and is_distinctive("에서")
    assert not is_distinctive("ab") and is_distinctive("abc") and is_distinctive("5")


def test_keyword_search_finds_a_chinese_word_inside_a_sentence(tmp_path: Path, isolated_index: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "trip.txt").write_text("我们明天去北京看看长城。\n", encoding="utf-8")
    (corpus / "weather.txt").write_text("上海今天的天气很好。\n", encoding="utf-8")
    hits = retriever_for(corpus, isolated_index).search("北京", 2, "keyword")
    assert [h.chunk.file for h in hits] == ["trip.txt"]


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


def test_a_chunk_an_approximate_dense_search_missed_is_fused_with_its_true_cosine(
    tmp_path: Path, isolated_index: Path
) -> None:
    """HNSW can miss a chunk unlike the rest of the corpus; keyword search finding it restores its
    dense score, so it is not fused at the dense list's floor."""
    import dataclasses

    corpus = tmp_path / "docs"
    corpus.mkdir()
    for n in range(6):
        (corpus / f"soup{n}.txt").write_text(f"Market stone water field cloud number {n} and more of the same words.\n")
    (corpus / "zz-birds.txt").write_text("The cormorant colony on the cliffs has three hundred nesting pairs.\n")
    retriever = retriever_for(corpus, isolated_index)
    index = retriever.index
    birds = next(r for r in range(index.count) if index.chunks([r])[0].file == "zz-birds.txt")

    class MissesTheBirds:
        manifest = dataclasses.replace(index.manifest, dense={"type": "hnsw"})

        def __getattr__(self, name: str) -> object:
            return getattr(index, name)

        def dense_search(self, vector, k):  # type: ignore[no-untyped-def]
            return [(row, score) for row, score in index.dense_search(vector, k) if row != birds]

    retriever.index = MissesTheBirds()  # type: ignore[assignment]
    first, second = retriever.search("cormorant colony", 2, "hybrid")
    assert first.chunk.file == "zz-birds.txt" and first.score == 1.0 > 2 * second.score  # first in both lists
    assert retriever.search("cormorant colony", 1, "dense")[0].chunk.file != "zz-birds.txt"  # dense alone cannot know


def test_sentence_units_split_blank_lines_and_skip_headings() -> None:
    from rag.retrieval import sentence_units

    text = "Termination\n\nYour rights end if you break the terms of this licence. They return later."
    assert sentence_units(text) == ["Your rights end if you break the terms of this licence."]
    assert sentence_units("Short title\n\nTwo words.") == ["Short title", "Two words."]


def test_a_passage_with_one_matching_sentence_moves_up() -> None:
    """Re-scoring by the best sentence lifts a passage that states the asked fact in one sentence
    over one that shares scattered words with the question."""
    from rag.chunking import Chunk
    from rag.retrieval import Hit

    def hit(text: str, score: float) -> Hit:
        chunk = Chunk(text[:8], "a.txt", 1, 1, 1, 1, 0, len(text), text)
        return Hit(chunk, score, 0.0, 0.0)

    question = "Which country fended off an attempted military coup?"
    scattered = hit("The country held talks. A military parade was attempted in spring. Officials met.", 1.0)
    stated = hit("Trade grew by a tenth over the year. Turkey fended off an attempted military coup.", 0.8)
    unrelated = hit("Rain fell on the harbour for most of the week in the north.", 0.0)
    embedder = FakeEmbedder()
    retriever = Retriever(None, embedder, rerank_pool=3)  # type: ignore[arg-type]
    ranked = retriever._by_best_sentence([scattered, stated, unrelated], embedder.embed_query(question))
    assert [h.chunk.text for h in ranked] == [h.chunk.text for h in (stated, scattered, unrelated)]


def test_a_continued_tables_header_row_is_one_of_its_sentences_when_rescored() -> None:
    from rag.chunking import Chunk
    from rag.retrieval import Hit

    header = "| City | Population density | Area |"
    holding = f"{header}\n| Bergen | 62 | 465 |\n| Tromso | 31 | 2521 |"
    continued = "| Alta | 5 | 3849 |\n| Oslo | 1645 | 454 |"

    def hit(text: str, table_header: str | None, fused: float) -> Hit:
        return Hit(Chunk(text[:8], "t.md", 1, 1, 1, 1, 0, len(text), text, table_header=table_header), fused, 0.0, 0.0)

    embedder = FakeEmbedder()
    retriever = Retriever(None, embedder, rerank_pool=2)  # type: ignore[arg-type]
    query = embedder.embed_query("What is the population density of Oslo?")
    ranked = retriever._by_best_sentence([hit(holding, None, 0.9), hit(continued, header, 1.0)], query)
    assert [h.chunk.text for h in ranked] == [continued, holding]  # its header matches as the other's does


def test_only_reworded_queries_are_rescored_and_each_sentence_embedded_once(isolated_index: Path) -> None:
    class Counting(FakeEmbedder):
        embedded = 0

        def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
            Counting.embedded += len(texts)
            return super().embed_passages(texts, progress)

    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    retriever = Retriever(open_index(isolated_index), Counting(), rerank_pool=10)
    reworded = "Which elite unit lately seized the gunnery post south of the northern metropolis?"
    first = retriever.search(reworded, 3, "hybrid")
    embedded = Counting.embedded
    assert len(first) == 3 and 10 <= embedded
    assert retriever.search(reworded, 3, "hybrid") == first
    assert Counting.embedded == embedded
    retriever.search("How many hours did Kerry and Lavrov speak in Geneva?", 3, "hybrid")
    assert Counting.embedded == embedded  # worded like its passage: the fused order stands


def test_the_fusion_weight_is_the_one_the_sweep_wrote() -> None:
    import json

    from rag.retrieval import FUSION_FILE, fitted_dense_weight

    data = json.loads(FUSION_FILE.read_text(encoding="utf-8"))
    best = max(data["swept"], key=lambda row: row["nDCG@10"])
    assert fitted_dense_weight() == data["dense_weight"] == best["dense_weight"] and "retrieval_sweep.py" in data["about"]


def test_keyword_search_reads_a_continued_tables_header_with_its_rows(tmp_path: Path, isolated_index: Path) -> None:
    """The first passage of a long table holds the column names; a later one is found by them too."""
    retriever = retriever_for(write_depots_table(tmp_path), isolated_index)
    hits = retriever.search("parcels per week at the Alesund depot", 3, "keyword")
    assert hits[0].chunk.table_header == "| Depot | Staff | Parcels per week |" and "Alesund" in hits[0].chunk.text


def test_a_continued_tables_header_counts_when_telling_a_reworded_question() -> None:
    """"Revenue of order 105432": the row holds the number, the header it carries "Revenue" and
    "Order", as keyword search reads them; the question is worded like the passage, so its best
    keyword passage stays among the hits (it had been re-scored away, a sheet's passages being
    alike to the embedder)."""
    from rag import prompting
    from rag.chunking import Chunk
    from rag.retrieval import Hit

    row = "105432 | 2024-11-04 | North | Sprocket | 326.7"
    header = "Order | Date | Region | Product | Revenue"
    chunk = Chunk("s#p9.2", "sales.xlsx", 9, 9, 1, 1, 0, len(row), row, "xlsx", table_header=header)

    class OneChunk:
        def chunks(self, rows: list[int]) -> list[Chunk]:
            return [chunk]

    retriever = Retriever(OneChunk(), FakeEmbedder(), rerank_pool=10)  # type: ignore[arg-type]
    question = "What was the revenue of order 105432?"
    assert not retriever._worded_unlike(question, [(0, 2.5)])
    assert not prompting._worded_unlike(question, [Hit(chunk, 1.0, 0.4, 2.5)])
    bare = Chunk("s#p9.2", "sales.xlsx", 9, 9, 1, 1, 0, len(row), row, "xlsx")
    assert prompting._worded_unlike(question, [Hit(bare, 1.0, 0.4, 2.5)])  # the row alone holds one of three terms


def test_the_best_passage_naming_a_rare_word_of_the_query_is_kept_in_the_results(
    tmp_path: Path, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tester-s49 M2: "What uid is reserved for the ceph user?" had the uid table (ceph in one row
    of 25) ranked under passages full of "uid", "reserved" and "user"."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for n in range(4):
        (corpus / f"prose{n}.txt").write_text(
            f"Each user gets a uid; a reserved uid is reserved for a system user, and the user keeps its uid number {n}.\n")
    for n in range(30):
        (corpus / f"other{n}.txt").write_text(f"The weather report {n} tells of rain, wind and sunshine over the hills.\n")
    names = ["mysql", "ceph"] + [f"daemon{n}" for n in range(60)]
    rows = "".join(f"{64000 + n} | {name} | service account\n" for n, name in enumerate(names))
    (corpus / "table.txt").write_text("Reserved ids:\n\n" + rows)
    retriever = retriever_for(corpus, isolated_index)
    question = "What uid is reserved for the ceph user?"
    assert "table.txt" in [h.chunk.file for h in retriever.search(question, 3)]
    monkeypatch.setattr("rag.retrieval.RARE_TERM_PASSAGES", 0)
    assert "table.txt" not in [h.chunk.file for h in retriever.search(question, 3)]  # the ranking it mends


def test_dense_cosines_all_alike_do_not_outrank_a_passage_holding_the_query_word() -> None:
    import numpy as np

    from rag.retrieval import fuse

    # tester-s50 M4, `rag search Oniguruma` on 54,663 passages: rows 0 and 1 hold the word; rows 2
    # and 3 do not, with cosines of noise only a little above the other candidates'
    dense = np.asarray([0.226, 0.141, 0.274, 0.272] + [0.2] * 100, dtype=np.float32)
    keyword = np.asarray([6.16, 5.65, 0.0, 0.0] + [0.0] * 100, dtype=np.float32)
    fused = fuse(dense, keyword, "hybrid", 0.5)
    assert fused[0] > fused[1] > max(fused[2], fused[3])
