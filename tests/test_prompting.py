"""What reaches the model: passages trimmed to the sentences that answer."""

from rag.chunking import Chunk
from rag.prompting import _best_sentences, select_passages
from rag.retrieval import Hit


def _hit(name: str, text: str) -> Hit:
    return Hit(Chunk(f"{name}#p1", name, 1, 1, 1, 1, 0, len(text), text), 1.0, 0.5, 1.0)


def test_a_long_opening_sentence_does_not_crowd_out_the_answer() -> None:
    opening = (
        "Following his latest talks on Friday with the foreign minister, the secretary announced clarity "
        "on the path forward over the long conflict, but offered no details on a resolution of any kind."
    )
    answer = "The two ministers spoke for nine hours in Geneva."
    weights = {"long": 1.0, "minist": 1.0, "talk": 1.0, "geneva": 1.0}
    kept = _best_sentences(f"{opening} {answer} The weather was fine.", weights, 20)
    assert answer in kept and "Following" not in kept


def test_the_first_passage_gets_the_largest_share() -> None:
    sentences = [f"Sentence {i} about the Geneva talks and their many long sessions." for i in range(12)]
    text = " ".join(sentences)
    passages = select_passages("How long were the Geneva talks?", [_hit("a.txt", text), _hit("b.txt", text)], 90)
    first, second = (len(p.text.split()) for p in passages)
    assert 40 < first <= 60 and second <= 30


def test_a_term_found_in_few_sentences_outweighs_one_found_in_all() -> None:
    common = [f"Kerry met Lavrov in Geneva, meeting number {i}." for i in range(8)]
    answer = "The ceasefire began on Monday."
    passages = [_hit("a.txt", " ".join(common[:4] + [answer])), _hit("b.txt", " ".join(common[4:]))]
    chosen = select_passages("When did Kerry's ceasefire in Geneva begin?", passages, 24)
    assert answer in chosen[0].text


def test_a_reworded_question_gets_half_as_many_words_again() -> None:
    from rag.chunking import Chunk
    from rag.prompting import select_passages
    from rag.retrieval import Hit

    def hit(text: str) -> Hit:
        return Hit(Chunk(text[:8], "a.txt", 1, 1, 1, 1, 0, len(text), text), 1.0, 0.5, 0.5)

    hits = [hit(" ".join(f"Sentence {i} of passage {p} says little of note." for i in range(20))) for p in range(6)]
    worded_alike = sum(len(p.text.split()) for p in select_passages("What does passage sentence say?", hits, 120))
    reworded = sum(len(p.text.split()) for p in select_passages("Which harbour opened in spring?", hits, 120))
    assert worded_alike <= 120 < reworded <= 180



def test_a_hashed_file_name_reaches_the_model_short_and_comes_back_whole() -> None:
    from rag.prompting import PromptPassage, passage_body, with_file_names

    passage = PromptPassage(1, _hit("000_8d13b83e7b516537.txt", "Kerry met Lavrov."), "Kerry met Lavrov.")
    assert passage_body([passage]) == "[1] (000.txt) Kerry met Lavrov."
    assert with_file_names("000.txt says so [1].", "Who met?", [passage]) == "000_8d13b83e7b516537.txt says so [1]."
    asked = "What does 000_8d13b83e7b516537.txt say?"  # a question naming the file sees its name
    assert passage_body([passage], asked) == "[1] (000_8d13b83e7b516537.txt) Kerry met Lavrov."


def test_a_passage_is_one_line_in_the_prompt_but_a_tables_rows_each_keep_a_line() -> None:
    from rag.prompting import _flowed

    assert _flowed("Plain text,\nhard-wrapped.\n\nA second paragraph.") == "Plain text, hard-wrapped. A second paragraph."
    rows = ("The depots follow.\n\nDepot | Opens | Staff\n\nNorthgate | 06:00 | 14\n\nRiverside | 05:45 | 22"
            "\n\nDepots close\nat 20:00.")
    assert _flowed(rows) == ("The depots follow.\nDepot | Opens | Staff\nNorthgate | 06:00 | 14\n"
                             "Riverside | 05:45 | 22\nDepots close at 20:00.")
    assert _flowed("Sizes:\n\n| Size | Mass |\n|---|---|\n| S | 2 kg |\n\nAll in\nstock.") == (
        "Sizes:\n| Size | Mass |\n|---|---|\n| S | 2 kg |\nAll in stock.")
    assert _flowed("We add a field:\n\nRules-Requires-Root: no | binary-targets | <keywords>\n\nThe values are:") == (
        "We add a field: Rules-Requires-Root: no | binary-targets | <keywords> The values are:")  # one line: no table
    aligned = "Support ends:\nVersion   End of support\n4.2       2025-03-01\n4.1       2024-09-15\nThen none.  Really."
    assert _flowed(aligned) == "Support ends:\nVersion End of support\n4.2 2025-03-01\n4.1 2024-09-15\nThen none. Really."
    assert _flowed("Ends:\nVersion\tEnd\n4.2\t2025-03-01\nThen none.") == "Ends:\nVersion End\n4.2 2025-03-01\nThen none."
    justified = ("The  tenant  must  give  one  month  of  notice  in  writing\nbefore   leaving   the   flat,   and   the"
                 "   deposit   is   returned\nwithin thirty days.")  # wide spaces, but no columns
    assert _flowed(justified) == " ".join(justified.split())


def test_a_reply_borrows_from_the_worked_examples_only_with_words_the_passages_lack() -> None:
    from rag.prompting import PromptPassage, borrowed_from_examples

    passages = [PromptPassage(1, _hit("port.txt", "The naval base at Dyrrachium fell in 1082."), "The naval base at "
                              "Dyrrachium fell in 1082.")]
    question = "What was the naval base called?"
    copied = "The new ferry terminal opened in March 2019 after two years of construction [1]."
    assert {"ferry", "terminal", "march", "2019"} <= set(borrowed_from_examples(copied, question, passages))
    assert borrowed_from_examples("March 2019", question, passages) == ["march", "2019"]
    assert borrowed_from_examples("It was finished in 2019.", question, passages) == ["2019"]  # a number alone
    assert borrowed_from_examples("The naval base was called Dyrrachium [1].", question, passages) == []
    assert borrowed_from_examples("It opened after 1082 [1].", question, passages) == []  # generic words, one each
    ferry = [PromptPassage(1, _hit("ferry.txt", "The ferry terminal opened in March."), "The ferry terminal opened "
                           "in March.")]
    assert borrowed_from_examples("The ferry terminal opened in March [1].", "When?", ferry) == []


def test_a_reply_opening_with_a_lower_case_name_is_capitalised_as_the_passages_write_it() -> None:
    from rag.prompting import PromptPassage, cased_as_written

    text = "The lighthouse keeper, Mara Olsen, retired in 2019. Run npm install first; iPhone users wait."
    passages = [PromptPassage(1, _hit("notes.txt", text), text)]
    assert cased_as_written("mara Olsen retired in 2019 [1].", passages) == "Mara Olsen retired in 2019 [1]."
    assert cased_as_written("npm install comes first.", passages) == "npm install comes first."
    assert cased_as_written("iPhone users wait.", passages) == "iPhone users wait."
    assert cased_as_written("in 2019 [1].", passages) == "in 2019 [1]."  # "In" is not in the passages
    assert cased_as_written("", passages) == ""


def test_a_passage_that_continues_a_table_reaches_the_model_under_the_tables_header_row() -> None:
    rows = "| Bergen | 285,000 | 465 |\n| Oslo | 709,000 | 454 |"
    chunk = Chunk("towns.md#p3.2", "towns.md", 3, 3, 40, 41, 900, 900 + len(rows), rows,
                  table_header="| City | Population | Area |")
    [passage] = select_passages("What is the population of Oslo?", [Hit(chunk, 1.0, 0.5, 1.0)], 100)
    assert passage.text == f"| City | Population | Area |\n{rows}"
    [plain] = select_passages("What is the population of Oslo?", [_hit("towns.md", rows)], 100)
    assert plain.text == rows  # no header to carry: the passage's text as it was


def test_a_passage_cut_to_its_best_rows_keeps_its_tables_header_row_and_a_line_for_each_row() -> None:
    towns = ["Bergen", "Oslo", "Tromso", "Bodo", "Alta", "Molde", "Hamar", "Skien", "Moss", "Larvik"]
    header = "| City or town | Population in 2020 | Area in square kilometres |"
    table = "\n".join([header, "|---|---|---|"] + [f"| {town} | {100 + n},000 | {400 + n} |" for n, town in enumerate(towns)])
    text = "The towns of the survey, by size, with the land each covers.\n\n" + table
    [passage] = select_passages("How many people live in Tromso or Alta?", [_hit("towns.md", text)], 24)
    assert passage.text.startswith(f"{header}\n") and passage.text.count(header) == 1  # the cut had left it out
    assert "\n| Tromso | 102,000 | 402 |\n| Alta | 104,000 | 404 |" in passage.text and "Molde" not in passage.text
    [whole] = select_passages("How many people live in Tromso?", [_hit("towns.md", text)], 200)
    assert whole.text == text  # kept whole: the header is in its place
