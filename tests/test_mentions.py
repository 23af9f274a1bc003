from pathlib import Path

import pytest

from conftest import SEEDS, FakeEmbedder, ScriptedGenerator
from rag.mentions import asked_phrases


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("Which articles mention Hezbollah?", ["Hezbollah"]),
        ("Which articles (files) quote or cite Alexander Mercouris?", ["Alexander Mercouris"]),
        ("Which documents mention either Hezbollah or Iran?", ["Hezbollah", "Iran"]),
        ("Which files mention Putin, Assad or Erdogan?", ["Putin", "Assad", "Erdogan"]),
        ("what files refer to the February ceasefire or cessation of hostilities", []),  # a topic beside a name
        ("Which articles mention 'rebels' and 'terrorists'?", []),  # files holding both: the model's question
        ("Which articles say that 'rebels' are terrorists?", []),  # a claim, not the quoted word
        ("Which pages contain tables?", []),
        ("Which articles mention the leader?", []),
        ("Which files mention qmail?", ["qmail"]),  # a lower-case name: package and user names are
        ("Which files mention mysql or postgres?", ["mysql", "postgres"]),
        ("Which files mention a fix?", []),
        ("Which of the documents mention the 'intermingling' of rebels with terrorists?", ["intermingling"]),
        ('Which license files say that new versions will be "similar in spirit to the present version"?',
         ["similar in spirit to the present version"]),
        ("Which reports say the talks failed?", []),  # meaning, not words: the model's question
        ("Which articles mention writers for The Duran who also wrote about the convoy?", []),  # a description
        ("Which files mention the?", []),
        ("Where did Kerry and Lavrov meet?", []),
        ("Which two articles describe the convoy attack, and what does each say?", []),
    ],
)
def test_which_files_questions_name_the_phrase_they_ask_about(question: str, phrases: list[str]) -> None:
    assert asked_phrases(question) == phrases


def _engine(tmp_path: Path, generator: ScriptedGenerator):  # type: ignore[no-untyped-def]
    from rag.config import Settings
    from rag.indexing import build_index
    from rag.pipeline import Engine

    settings = Settings(index_dir=tmp_path / "index")
    build_index(SEEDS, settings.index_dir, FakeEmbedder(), settings.chunking)
    return Engine.open(settings, FakeEmbedder(), generator_factory=lambda: generator)


def test_files_mentioning_a_name_are_listed_from_the_index_and_cited_without_the_model(tmp_path: Path) -> None:
    generator = ScriptedGenerator("004_72c3ab4a87bf830e.txt [1]")
    engine = _engine(tmp_path, generator)
    streamed: list[str] = []
    answer = engine.ask("Which articles (files) mention Hezbollah?", on_token=streamed.append)
    holding = sorted(p.name for p in SEEDS.glob("*.txt") if "hezbollah" in p.read_text(encoding="utf-8").lower())
    assert len(holding) >= 2 and not answer.abstained and answer.confidence == 1.0
    assert [c.file for c in answer.citations] == holding and all("Hezbollah" in c.quote for c in answer.citations)
    assert [claim.citations for claim in answer.claims] == [(i,) for i in range(len(holding))]
    assert answer.answer.startswith(f"{holding[0]} mentions Hezbollah.") and streamed == [answer.answer]
    assert generator.prompts == [] and engine._generator is None  # the model was never loaded
    question = "Which articles (files) mention Hezbollah?"
    assert engine.ask(question, search_query=question).answer == answer.answer  # as chat asks a first question


def test_a_mention_is_cited_at_its_own_paragraph_not_the_heading_its_sentence_runs_on_from(tmp_path: Path) -> None:
    from rag.config import Settings
    from rag.indexing import build_index
    from rag.pipeline import Engine

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "NEWS.txt").write_text(
        "* Noteworthy changes in release 1.11 (2021-09-03) [stable]\n\n** Performance improvements\n\n"
        "  IBM Z platforms now support hardware-accelerated deflation.\n\n** Bug fixes\n\n"
        "  A crash on empty input was fixed.\n",
        encoding="utf-8",
    )
    settings = Settings(index_dir=tmp_path / "index")
    build_index(folder, settings.index_dir, FakeEmbedder(), settings.chunking)
    engine = Engine.open(settings, FakeEmbedder(), generator_factory=lambda: ScriptedGenerator("NEWS.txt [1]"))
    answer = engine.ask("Which files mention 'hardware-accelerated deflation'?")
    [citation] = answer.citations
    assert (citation.paragraph, citation.lines) == (3, (5, 5))
    assert citation.quote == "IBM Z platforms now support hardware-accelerated deflation."
    assert answer.answer == "NEWS.txt mentions “hardware-accelerated deflation”."


def test_a_phrase_no_file_holds_goes_to_the_model(tmp_path: Path) -> None:
    generator = ScriptedGenerator("They spoke for more than nine hours in Geneva [1].")
    engine = _engine(tmp_path, generator)
    engine.ask("Which articles mention Zanzibar?")
    engine.ask("Which articles mention Hezbollah or Zanzibar?")  # a partial list would mislead
    engine.ask("Which articles mention Hezbollah?", search_query="What is Plan B? Which articles mention Hezbollah?")
    assert len(generator.prompts) == 3  # the last a follow-up, whose question carries the one before


def test_a_list_cut_at_the_candidate_limit_says_more_files_may_mention_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import mentions

    monkeypatch.setattr(mentions, "CANDIDATES", 3)
    answer = _engine(tmp_path, ScriptedGenerator("")).ask("Which articles mention Kerry?")
    assert answer.citations and answer.answer.endswith("only the best 3 keyword matches were read.")
