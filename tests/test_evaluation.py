from rag.evaluation import GoldQuestion, answer_is_correct, evaluate
from rag.results import Answer, Passage

GOLD = [
    GoldQuestion("1", "factoid", "Where?", [["Geneva"]], [("a.txt", 3)]),
    GoldQuestion("2", "unanswerable", "Who?", [], []),
]


def passage(line: int) -> Passage:
    return Passage("a.txt", 1, (line, line), "text", 1.0)


def test_aliases_match_whole_words_ignoring_case_and_punctuation() -> None:
    assert answer_is_correct(GOLD[0], "In GENEVA.")
    assert not answer_is_correct(GOLD[0], "In Genevan hotels")


def test_scores_answers_abstentions_citations_and_retrieval() -> None:
    answers = {
        "Where?": Answer("Where?", "Geneva", False, 0.9, [passage(3), passage(9)], [], [passage(9), passage(3)], {}),
        "Who?": Answer("Who?", "The documents do not answer this.", True, 0.1, [], [], [], {}),
    }
    results = evaluate(GOLD, answers.__getitem__)
    overall = results["all"]
    assert overall["answer_accuracy"] == 100.0 and overall["abstention_accuracy"] == 100.0
    assert overall["citation_precision"] == 50.0 and overall["citation_recall"] == 100.0
    assert (overall["hit@1"], overall["hit@3"], overall["mrr"]) == (0.0, 100.0, 0.5)
    assert set(results) == {"all", "factoid", "unanswerable"}


def test_answer_precision_counts_every_answer_shown_wrong_ones_to_unanswerable_questions_too() -> None:
    answers = {
        "Where?": Answer("Where?", "Geneva", False, 0.9, [], [], [], {}),
        "Who?": Answer("Who?", "Lavrov", False, 0.6, [], [], [], {}),  # answered, though nothing answers it
    }
    results = evaluate(GOLD + [GoldQuestion("3", "factoid", "When?", [["2016"]], [])],
                       {**answers, "When?": Answer("When?", "The documents do not answer this.", True, 0.1, [], [], [],
                                                   {})}.__getitem__)
    assert results["all"]["answer_precision"] == 50.0  # one right of the two shown; the abstention is not shown
    assert results["unanswerable"]["answer_precision"] == 0.0


def test_a_gold_line_of_the_wrong_shape_is_named_not_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from rag.errors import InputError
    from rag.evaluation import read_gold

    for line, reason in (("[1, 2]", "a JSON list, not an object"), ('{"question": "Q?", "must_include": "Geneva"}',
                                                                        "must_include is not a list of alias lists")):
        (tmp_path / "gold.jsonl").write_text(line + "\n")
        with pytest.raises(InputError, match=f"gold.jsonl:1: not a gold entry \\({reason}"):
            read_gold(tmp_path / "gold.jsonl")


def test_a_question_without_evidence_is_scored_on_its_answer_only() -> None:
    gold = [GOLD[0], GoldQuestion("3", "factoid", "When?", [["Friday"]], [])]
    answers = {
        "Where?": Answer("Where?", "Geneva", False, 0.9, [passage(3)], [], [passage(3)], {}),
        "When?": Answer("When?", "On Friday", False, 0.9, [passage(7)], [], [passage(7)], {}),
    }
    overall = evaluate(gold, answers.__getitem__)["all"]
    assert overall["answerable"] == 2 and overall["answer_accuracy"] == 100.0
    assert (overall["citation_precision"], overall["citation_recall"], overall["hit@1"], overall["mrr"]) == (100.0, 100.0, 100.0, 1.0)


def test_a_gold_line_without_type_is_answerable_when_it_names_an_answer_or_evidence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rag.evaluation import read_gold

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "question": "When was it built?", "must_include": [["1871"]]}\n'
                    '{"id": "b", "question": "Who built it?"}\n')
    first, second = read_gold(gold)
    assert (first.type, first.answerable) == ("factoid", True)
    assert (second.type, second.answerable) == ("unanswerable", False)


def test_gold_evidence_named_with_a_folder_is_not_met_by_a_same_named_file_elsewhere() -> None:
    from rag.evaluation import covers

    passage = Passage("b/README.md", 1, (3, 5), "text", 1.0)
    assert covers(passage, ("README.md", 4)) and covers(passage, ("b/README.md", 4))
    assert not covers(passage, ("a/README.md", 4)) and not covers(passage, ("b/README.md", 6))


def test_gold_entries_that_could_never_score_are_refused_or_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from rag.errors import InputError
    from rag.evaluation import gold_warnings, read_gold

    for line, reason in (('{"question": "Q?", "must_include": [[]]}', "a must_include group has no alias"),
                         ('{"question": "Q?", "must_include": [["!!!"]]}', "a must_include group has no alias"),
                         ('{"question": "Q?", "evidence": [{"file": "a.txt", "line": 0}]}', "evidence is not a list"),
                         ('{"question": "Q?", "evidence": [{"file": "a.txt", "line": true}]}', "evidence is not a list")):
        (tmp_path / "gold.jsonl").write_text(line + "\n")
        with pytest.raises(InputError, match=f"gold.jsonl:1: not a gold entry \\({reason}"):
            read_gold(tmp_path / "gold.jsonl")
    (tmp_path / "gold.jsonl").write_text(
        '{"id": null, "question": "Q?", "evidence": [{"file": "gone.txt", "line": 3}]}\n'
        '{"id": "x", "question": "R?"}\n{"id": "x", "question": "S?"}\n' + "[" * 3000 + "\n"
    )
    with pytest.raises(InputError, match="gold.jsonl:4: not valid JSON"):
        read_gold(tmp_path / "gold.jsonl")
    (tmp_path / "gold.jsonl").write_text("\n".join((tmp_path / "gold.jsonl").read_text().split("\n")[:3]) + "\n")
    gold = read_gold(tmp_path / "gold.jsonl")
    assert gold[0].id == "line-1"
    assert gold_warnings(gold, {"docs/gone.txt"}) == ["1 id is given to several entries (first: 'x'); give each entry its own id"]
    assert gold_warnings(gold, {"here.txt"}) == [
        "1 id is given to several entries (first: 'x'); give each entry its own id",
        "evidence names files the index does not hold: gone.txt; their citations cannot score (index the folder they "
        "are in, or fix the names)",
    ]
