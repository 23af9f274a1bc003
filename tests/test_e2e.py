"""End to end with the real MiniLM embedder and the real GGUF model on seeds/ (slow: ~30 s)."""

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SEEDS, real_engine
from rag.pipeline import Engine
from rag.text import terms

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return real_engine(SEEDS, tmp_path_factory.mktemp("e2e") / "index")


def test_answers_with_a_correct_verbatim_citation(engine: Engine) -> None:
    answer = engine.ask("How long had the Syrian conflict lasted when Kerry announced clarity with Russia?")
    assert not answer.abstained
    assert {"5", "year"} <= set(terms(answer.answer))
    citation = answer.citations[0]
    assert (citation.file, citation.lines) == ("000_8d13b83e7b516537.txt", (3, 3))
    assert citation.text in (SEEDS / citation.file).read_text(encoding="utf-8")
    assert citation.quote and citation.quote in citation.text


def test_abstains_when_the_documents_do_not_answer(engine: Engine) -> None:
    answer = engine.ask("What is the boiling point of mercury in kelvin?")
    assert answer.abstained and answer.citations == []
    assert answer.answer == "The documents do not answer this."


def test_hybrid_search_ranks_the_evidence_first(engine: Engine) -> None:
    hits = engine.search("Which newspaper said Al Nusra was one of the most effective anti-Assad forces?", 3)
    assert hits[0].chunk.file == "002_4e5ac2a29323691a.txt" and hits[0].chunk.start_line <= 22 <= hits[0].chunk.end_line


def test_streamed_tokens_make_up_the_reply(engine: Engine) -> None:
    pieces: list[str] = []
    answer = engine.ask("In which city did Kerry and Lavrov talk for nine hours?", on_token=pieces.append)
    assert len(pieces) > 1 and "Geneva" in "".join(pieces)
    assert not answer.abstained and "Geneva" in answer.answer


def test_abstains_on_a_near_miss_that_shares_the_documents_words(engine: Engine) -> None:
    answer = engine.ask("Who is Syria's ambassador to the United Nations?")
    assert answer.abstained and answer.citations == []
    assert answer.draft is not None  # the withheld draft stays inspectable
    assert set(answer.signals) >= {"precheck", "evidence_check", "self_check", "model_refusal"}


def test_a_fresh_process_reads_the_instructions_state_from_disk_and_answers_the_same(
    engine: Engine, tmp_path: Path
) -> None:
    question = "How long did Kerry and Lavrov talk in Geneva?"
    settings = replace(engine.settings, state_dir=tmp_path / "states", prompt_cache_mb=0)
    writer = Engine.open(settings, engine.retriever.embedder)
    first = writer.ask(question)
    assert writer.generator.state_files.loaded == 0  # type: ignore[attr-defined]
    writer.generator.close()  # type: ignore[attr-defined]
    assert len(list((tmp_path / "states").glob("prefix-*.state"))) == 2  # the answer's and the evidence check's
    reader = Engine.open(settings, engine.retriever.embedder)
    again = reader.ask(question)
    assert reader.generator.state_files.loaded == 2  # type: ignore[attr-defined]
    reader.generator.close()  # type: ignore[attr-defined]
    assert (again.answer, again.confidence, again.signals) == (first.answer, first.confidence, first.signals)


def test_the_same_question_gets_the_same_answer_whatever_was_asked_before(engine: Engine) -> None:
    question = "What did Lavrov say about the ceasefire?"
    first_stream: list[str] = []
    first = engine.ask(question, on_token=first_stream.append)
    engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    restored_before = engine.generator.prompt_states.hits  # type: ignore[attr-defined]
    again_stream: list[str] = []
    again = engine.ask(question, on_token=again_stream.append)
    assert again_stream == first_stream  # streamed again, piece by piece
    assert engine.generator.prompt_states.hits > restored_before  # type: ignore[attr-defined]
    assert again.timings["generation"] == 0.0  # the reply was replayed, not decoded again
    assert (again.answer, again.confidence, again.signals) == (first.answer, first.confidence, first.signals)
    no_cache = Engine.open(replace(engine.settings, prompt_cache_mb=0), engine.retriever.embedder)
    fresh = no_cache.ask(question)
    no_cache.generator.close()  # type: ignore[attr-defined]
    assert (fresh.answer, fresh.confidence, fresh.signals) == (first.answer, first.confidence, first.signals)


@pytest.mark.parametrize("stopped_at_poll", [2, 40])  # reading the passages; writing the reply
def test_a_question_stopped_midway_leaves_later_answers_unchanged(engine: Engine, stopped_at_poll: int) -> None:
    from rag.errors import Cancelled
    from rag.prompting import system_prefix

    uncached = Engine.open(replace(engine.settings, prompt_cache_mb=0), engine.retriever.embedder)
    question = "What did Kerry say about the Syrian opposition groups?"
    before = uncached.ask(question)
    polls: list[int] = []

    def cancelled() -> bool:
        polls.append(1)
        return len(polls) >= stopped_at_poll  # the first poll is the pipeline's, before the model starts

    with pytest.raises(Cancelled):
        uncached.ask("Which aid convoy was attacked near Aleppo, and by whom?", cancelled=cancelled)
    generator = uncached.generator
    assert len(polls) == stopped_at_poll  # polled while the model computed: between steps, 4 polls at most
    kept = generator._llm.n_tokens  # type: ignore[attr-defined]
    prefix = len(generator._prefix_tokens(system_prefix()))  # type: ignore[attr-defined]
    # the fixed instructions stay in the cache; the step stopped midway is dropped
    assert kept == prefix if stopped_at_poll == 2 else kept >= prefix
    after = uncached.ask(question)
    generator.close()  # type: ignore[attr-defined]
    assert (after.answer, after.confidence, after.signals) == (before.answer, before.confidence, before.signals)


def test_bfloat16_embeddings_agree_with_float32_and_rank_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passages embedded in bfloat16 (where the CPU has it) and in float32 mix in one index: the
    vectors agree, so a query ranks the passages alike either way."""
    import numpy as np

    from rag.embedding import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    texts = [p.read_text(encoding="utf-8")[:1500] for p in sorted(SEEDS.glob("*.txt"))]
    query = "Who announced clarity with Russia on Syria?"
    embedder._bf16 = False
    exact, exact_query = embedder.embed_passages(texts), embedder.embed_query(query)
    embedder._bf16 = True
    fast, fast_query = embedder.embed_passages(texts), embedder.embed_query(query)
    assert float((exact * fast).sum(axis=1).min()) > 0.999 and float(exact_query @ fast_query) > 0.999
    assert list(np.argsort(-(exact @ exact_query))) == list(np.argsort(-(fast @ fast_query)))
    monkeypatch.setenv("RAG_EMBED_BF16", "0")
    assert MiniLMEmbedder()._bf16 is False
