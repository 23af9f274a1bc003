"""Engine.ask's own steps with the fake models: the second part of a two-part question."""

from pathlib import Path

import pytest

from conftest import SEEDS, FakeEmbedder, ScriptedGenerator
from rag.config import Settings
from rag.indexing import build_index
from rag.pipeline import MAX_ANSWER_TOKENS, Engine, shown_cut_off
from rag.prompting import judge_prefix, system_prefix
from rag.questions import question_parts

TWO_PARTS = "How long did Kerry and Lavrov talk in Geneva, and what did Kerry announce afterwards?"


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (TWO_PARTS, ("How long did Kerry and Lavrov talk in Geneva", "What did Kerry announce afterwards?")),
        ("Which flag is mandatory and how often does the TSC elect a chair?",
         ("Which flag is mandatory", "How often does the TSC elect a chair?")),
        ("Where did Kerry and Lavrov meet?", None),
        ("Did Kerry and Lavrov meet, and why?", None),  # a part of under three words is no question
        ("Which options are deprecated and do nothing now?", None),  # one question with two verbs
        ("Which files mention the library, and what does each say about it?", None),  # points back
        ('Which files say "Kerry and what Lavrov said"?', None),  # inside quotes
    ],
)
def test_a_question_asking_two_things_is_split_into_its_parts(question: str, parts: tuple[str, str] | None) -> None:
    assert question_parts(question) == parts


def engine_replying(tmp_path: Path, reply) -> tuple[Engine, ScriptedGenerator]:  # type: ignore[no-untyped-def]
    generator = ScriptedGenerator(reply)
    settings = Settings(index_dir=tmp_path / "index")
    build_index(SEEDS, settings.index_dir, FakeEmbedder(), settings.chunking)
    return Engine.open(settings, FakeEmbedder(), lambda: generator), generator


def asked(prompt: str) -> str:
    return prompt.rsplit("Question: ", 1)[1].split("<|im_end|>", 1)[0]


def test_the_second_part_is_answered_on_its_own_when_the_draft_lacks_it(tmp_path: Path) -> None:
    replies = {
        TWO_PARTS: "They spoke for more than nine hours [1].",
        "What did Kerry announce afterwards?": "Kerry announced clarity on the path forward [1].",
    }
    engine, generator = engine_replying(tmp_path, lambda prompt: replies[asked(prompt)])
    answer = engine.ask(TWO_PARTS)
    assert [asked(p) for p in generator.prompts] == [TWO_PARTS, "What did Kerry announce afterwards?"]
    assert answer.draft == "They spoke for more than nine hours. Kerry announced clarity on the path forward."
    assert "second_part" in answer.timings


@pytest.mark.parametrize(
    "second_reply",
    ["NOT FOUND", "Kerry announced clarity [1]."],  # declined; nothing the draft does not say
)
def test_the_draft_stands_when_the_second_part_adds_nothing(tmp_path: Path, second_reply: str) -> None:
    draft = "They spoke for more than nine hours, and Kerry announced clarity [1]."
    engine, generator = engine_replying(tmp_path, lambda prompt: draft if asked(prompt) == TWO_PARTS else second_reply)
    answer = engine.ask(TWO_PARTS)
    assert len(generator.prompts) == 2 and answer.draft == "They spoke for more than nine hours, and Kerry announced clarity."


def test_a_question_asking_one_thing_is_drafted_once(tmp_path: Path) -> None:
    engine, generator = engine_replying(tmp_path, "They spoke for more than nine hours [1].")
    engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    assert len(generator.prompts) == 1


def test_the_evidence_check_starts_from_its_own_fixed_prefix_and_the_next_question_from_the_answers(
    tmp_path: Path,
) -> None:
    engine, generator = engine_replying(tmp_path, "They spoke for more than nine hours [1].")
    engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    precheck, evidence = generator.checks
    assert generator.checks_from == [system_prefix(), judge_prefix()]
    assert precheck.startswith(system_prefix()) and evidence.startswith(judge_prefix())
    assert "nine hours" in evidence.removeprefix(judge_prefix())  # the sentence the draft came from
    engine.ask("Where did Kerry and Lavrov meet?")
    assert generator.checks_from[2] == system_prefix()


@pytest.mark.parametrize(
    ("draft", "second_reply", "abstained", "answer"),
    [
        # an invented draft stays withheld: a supported second part does not rescue it
        ("The talks were chaired by Ambassador Ivanova Petrenko [1].", "Kerry announced clarity on the path forward [1].",
         True, None),
        # an invented second part is not added to a supported draft
        ("They spoke for more than nine hours [1].", "Kerry announced a ceasefire starting Monday with Iran's backing.",
         False, "They spoke for more than nine hours."),
        # a second part cut off mid-sentence is not added
        ("They spoke for more than nine hours [1].", "Kerry announced clarity on the path forward, but offered no",
         False, "They spoke for more than nine hours."),
    ],
)
def test_a_second_part_is_added_only_to_a_supported_draft_and_only_when_supported_and_whole(
    tmp_path: Path, draft: str, second_reply: str, abstained: bool, answer: str | None
) -> None:
    engine, _ = engine_replying(tmp_path, lambda prompt: draft if asked(prompt) == TWO_PARTS else second_reply)
    result = engine.ask(TWO_PARTS)
    assert result.abstained == abstained
    if answer is not None:
        assert result.answer == answer


def test_a_number_in_the_second_part_does_not_answer_how_long_for_the_first(tmp_path: Path) -> None:
    question = "How long did Kerry and Lavrov talk in Geneva, and what conflict was discussed there?"
    replies = {question: "Kerry and Lavrov talked in Geneva [1].",
               "What conflict was discussed there?": "The talks were about Syria's 5 1/2-year conflict [1]."}
    engine, _ = engine_replying(tmp_path, lambda prompt: replies[asked(prompt)])
    assert engine.ask(question).abstained  # the draft gives no duration


def test_a_reply_listing_files_is_cut_to_the_files_holding_what_is_asked(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text("The ferry to the island leaves every hour from the harbour.\n")
    (corpus / "library.txt").write_text("The library stays open on Sundays and lends bicycles to members.\n")
    settings = Settings(index_dir=tmp_path / "index")
    build_index(corpus, settings.index_dir, FakeEmbedder(), settings.chunking)
    engine = Engine.open(settings, FakeEmbedder(), lambda: ScriptedGenerator("harbour.txt, library.txt [1][2]"))
    answer = engine.ask("Which files mention the ferry?")
    assert not answer.abstained and answer.draft == "harbour.txt, library.txt"
    assert answer.answer == "harbour.txt." and [c.file for c in answer.citations] == ["harbour.txt"]


@pytest.mark.parametrize(
    ("claim", "shown"),
    [
        ("against Al-Nusra and ISIS;", "against Al-Nusra and ISIS…"),
        ("announced clarity on the path forward, but offered no", "announced clarity on the path forward, but offered no…"),
        ("spoke for more than nine hours —", "spoke for more than nine hours…"),
        ("spoke for more than nine hours.", "spoke for more than nine hours."),
        ("was 0.88 (95% CI, 0.80-0", "was 0.88 (95% CI…"),  # half a number is no number
        ("important features on Setuptools 4", "important features on Setuptools…"),
        ('announced "clarity on the path forward"', 'announced "clarity on the path forward"'),
    ],
)
def test_a_sentence_the_token_limit_cut_off_ends_in_an_ellipsis(claim: str, shown: str) -> None:
    assert shown_cut_off(claim) == shown


def test_an_answer_cut_off_by_the_token_limit_is_shown_ending_where_the_model_stopped(tmp_path: Path) -> None:
    first = "Kerry and Lavrov spoke for more than nine hours in Geneva [1]."
    # the fake counts a reply's words as its tokens: this one reaches the limit mid-sentence
    filler = "Kerry announced clarity on the path forward over Syria's conflict, but offered no details on a resolution,"
    last = " ".join([filler] * (1 + MAX_ANSWER_TOKENS // len(filler.split())))
    engine, _ = engine_replying(tmp_path, f"{first} {last}")
    answer = engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    assert not answer.abstained
    assert answer.claims[0].text == "Kerry and Lavrov spoke for more than nine hours in Geneva."
    assert answer.claims[-1].text.endswith("resolution…") and answer.answer.endswith("resolution…")
    assert answer.draft and answer.draft.endswith("resolution,")  # the model's own reply, as written


def test_a_draft_copied_from_a_worked_example_is_drafted_again_without_the_copied_words(tmp_path: Path) -> None:
    question = "How long did Kerry and Lavrov talk in Geneva?"
    replies = iter(["The new ferry terminal opened in March 2019 after two years of construction.",
                    "They spoke for more than nine hours [1]."])
    engine, generator = engine_replying(tmp_path, lambda prompt: next(replies))
    answer = engine.ask(question)
    assert generator.avoided[0] == ()
    assert {"ferry", "terminal", "march", "construction"} <= set(generator.avoided[1])
    assert "nine" not in generator.avoided[1]  # the passages hold it
    assert generator.prompts[0] == generator.prompts[1]
    assert answer.draft == "They spoke for more than nine hours."


@pytest.mark.parametrize(
    "reply",
    [
        "They spoke for more than nine hours [1].",  # nothing of the examples
        "The talks took place after the ceasefire collapsed [1].",  # one example word ("after") alone
        "September 19, 2019 [1].",  # a copied number alone cannot be avoided token by token
    ],
)
def test_a_draft_is_drafted_once_unless_it_copies_an_example(tmp_path: Path, reply: str) -> None:
    engine, generator = engine_replying(tmp_path, reply)
    engine.ask("When did Kerry and Lavrov talk in Geneva?")
    assert generator.avoided == [()]


def test_a_second_draft_that_copies_an_example_again_is_not_taken(tmp_path: Path) -> None:
    replies = iter(["The new ferry terminal opened in March 2019 [1].", "The new ferries sailed in spring 2019 [1]."])
    engine, generator = engine_replying(tmp_path, lambda prompt: next(replies))
    answer = engine.ask("When did Kerry and Lavrov talk in Geneva?")
    assert len(generator.avoided) == 2
    assert answer.draft == "The new ferry terminal opened in March 2019."


def test_a_cut_off_sentence_of_clauses_ends_where_the_model_stopped_in_its_last_clause() -> None:
    from rag.citations import ClaimSupport
    from rag.pipeline import _cut_off_shown

    claim = "The first study enrolled 1,148 patients, and the second one enrolled 0.80-0"
    support = ClaimSupport(claim, (), 1.0, clauses=(("The first study enrolled 1,148 patients", ()),
                                                    (", and the second one enrolled 0.80-0", ())))
    [shown] = _cut_off_shown([support], claim)
    assert shown.claim == "The first study enrolled 1,148 patients, and the second one enrolled…"
    assert "".join(text for text, _ in shown.clauses) == shown.claim
