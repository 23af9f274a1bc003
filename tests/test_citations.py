import pytest

from rag.chunking import Chunk
from rag.citations import ClaimSupport, attribute, best_sentence, evidence_sentences
from rag.prompting import PromptPassage, evidence_prompt, judge_prefix, parse_reply
from rag.retrieval import Hit


@pytest.mark.parametrize(
    ("reply", "answer", "cited", "declined"),
    [
        ("Geneva [2].", "Geneva.", [2], False),
        ("Kerry said it [1, 3] and more [3]", "Kerry said it and more", [1, 3], False),
        ("NOT FOUND", "", [], True),
        ("  ", "", [], True),
        ("No marks at all.", "No marks at all.", [], False),
        ("The convoy was not found by the monitors [2].", "The convoy was not found by the monitors.", [2], False),
        ("Not found: the passages do not say.", "", [], True),
        ("The mayor of Aleppo is NOT FOUND", "", [], True),
        ("The death toll is not mentioned in any of the passages provided.", "", [], True),
        ("The passage does not provide information about the incidents.", "", [], True),
        ("The licence does not provide any warranty [2].", "The licence does not provide any warranty.", [2], False),
        ("The fee is not specified in section 4 [1].", "The fee is not specified in section 4.", [1], False),
        ("Source is not included in the text of the notice [1].", "Source is not included in the text of the notice.",
         [1], False),
        ("A did it [1][3], then B [2].", "A did it, then B.", [1, 3, 2], False),
        ("Cut off by the token limit [1", "Cut off by the token limit", [], False),
        ("a-NEWS.txt, how.html, a-NEWS.txt, how.html, a-NEWS.txt [1]", "a-NEWS.txt, how.html", [1], False),
        ("a.txt and b.txt [1][2]", "a.txt and b.txt", [1, 2], False),
        ("NEWS, README, NEWS [1][2]", "NEWS, README", [1, 2], False),
        ("Kerry, Lavrov, Kerry [1]", "Kerry, Lavrov, Kerry", [1], False),
        ("A chain in the .xz format holds four [2].", "A chain in the .xz format holds four.", [2], False),
        ("Put it in ~/.bashrc [1], then restart.", "Put it in ~/.bashrc, then restart.", [1], False),
        ("Press . to repeat the last change [1] .", "Press . to repeat the last change.", [1], False),
        ("Versions 1.2, 1.2 and 1.3 [1].", "Versions 1.2, 1.2 and 1.3.", [1], False),
    ],
)
def test_parse_reply(reply: str, answer: str, cited: list[int], declined: bool) -> None:
    assert parse_reply(reply) == (answer, cited, declined)


def passage(number: int, text: str) -> PromptPassage:
    chunk = Chunk(f"f{number}.txt#p1", f"f{number}.txt", 1, 1, 1, 1, 0, len(text), text)
    return PromptPassage(number, Hit(chunk, 1.0, 0.5, 1.0), text)


PASSAGES = [
    passage(1, "Kerry and Lavrov met in Moscow on Thursday."),
    passage(2, "The talks in Geneva lasted more than nine hours."),
]


def test_the_supporting_passage_wins_over_the_models_habit_of_citing_1() -> None:
    [support] = attribute("The talks lasted nine hours.", "How long were the talks?", PASSAGES, cited=[1])
    assert [p.number for p in support.passages] == [2]


def test_a_chinese_claim_is_supported_by_the_passage_sharing_its_words() -> None:
    passages = [passage(1, "克里和拉夫罗夫周四在莫斯科会面。"), passage(2, "日内瓦的会谈持续了九个多小时。")]
    [support] = attribute("会谈在日内瓦持续了九个小时。", "会谈持续了多久？", passages, cited=[1])
    assert [p.number for p in support.passages] == [2]  # each sentence was one term, shared with no passage


def test_invented_passage_numbers_are_ignored() -> None:
    [support] = attribute("They met in Moscow.", "Where did they meet?", PASSAGES, cited=[7])
    assert [p.number for p in support.passages] == [1]


def test_a_sentence_without_support_has_no_citation() -> None:
    claims = attribute("They met in Moscow. Putin later flew to Beijing with Xi Jinping.", "Where?", PASSAGES, [1])
    assert [bool(c.passages) for c in claims] == [True, False]


def test_an_answer_echoing_a_reworded_question_is_judged_on_what_it_adds() -> None:
    question = "How long did the two top diplomats confer in the Swiss city?"
    [support] = attribute("The two top diplomats conferred in the Swiss city for nine hours.", question, PASSAGES, [])
    assert [p.number for p in support.passages] == [2]
    [made_up] = attribute("The two top diplomats conferred in the Swiss city for three days.", question, PASSAGES, [])
    assert made_up.passages == ()


def test_a_sentence_stating_a_number_no_passage_holds_is_unsupported() -> None:
    question = "How long were the talks in Geneva?"
    [invented] = attribute("The talks in Geneva lasted more than 12 hours.", question, PASSAGES, [2])
    assert invented.passages == ()
    [written_as_a_word] = attribute("The talks in Geneva lasted more than 9 hours.", question, PASSAGES, [2])
    assert [p.number for p in written_as_a_word.passages] == [2]


def test_a_number_only_another_passage_holds_does_not_support_a_sentence() -> None:
    news = [
        passage(1, "The ceasefire of February 27 collapsed within weeks, after fighting near Aleppo."),
        passage(2, "The 7 ministers met in Vienna."),
    ]
    question = "How long did the February ceasefire last?"
    [borrowed] = attribute("The ceasefire of February 27 collapsed within 7 weeks, after fighting near Aleppo.", question, news, [1])
    assert borrowed.passages == ()
    [own] = attribute("The February 27 ceasefire collapsed within weeks.", question, news, [1])
    assert [p.number for p in own.passages] == [1]


def test_a_number_in_a_cited_passage_or_the_next_paragraph_supports_the_sentence() -> None:
    turnout = [passage(1, "Turnout in the referendum was high across the country."),
               passage(2, "Official figures put turnout at 72%.")]
    [cited] = attribute("Turnout in the referendum was 72%.", "What was the turnout?", turnout, [2])
    assert 2 in [p.number for p in cited.passages]
    [uncited] = attribute("Turnout in the referendum was 72%.", "What was the turnout?", turnout, [])
    assert uncited.passages == ()
    # cited, but sharing nothing with the claim but the number (tester-s47 H2: a maintainer's years
    # in another file gave the MPL 2.0 a year of publication the licence never states)
    licence = [passage(1, "Mozilla Public License Version 2.0, as published by the Mozilla Foundation."),
               passage(2, "Copyright 2004-2011 Anibal Monsalve Salazar")]
    [borrowed] = attribute("The MPL 2.0 was published by the Mozilla Foundation in 2004.", "When was the MPL 2.0 published?",
                           licence, [1, 2])
    assert borrowed.passages == ()
    first = passage(1, "The annual licence fee for commercial users of the software")
    second = passage(2, "is $500, payable in advance.")
    second.hit.chunk.__dict__.update(file="f1.txt", first_paragraph=2, last_paragraph=2)
    [split] = attribute("The annual licence fee for commercial users is $500.", "What is the fee?", [first, second], [1])
    assert sorted(p.number for p in split.passages) == [1, 2]


def test_a_list_number_is_not_a_word_to_support() -> None:
    steps = [passage(1, "To upgrade, first stop the daemon, then reinstall the package and reboot.")]
    [reboot] = attribute("3. Reboot.", "How do I upgrade?", steps, [])
    assert [p.number for p in reboot.passages] == [1]


def test_a_comma_between_numbers_may_be_a_list_or_a_decimal() -> None:
    clauses = [passage(1, "Clauses 3 and 4 of the contract cover termination.")]
    [listed] = attribute("Clauses 3,4 of the contract cover termination.", "Which clauses cover termination?", clauses, [])
    assert listed.passages


def test_a_bare_number_is_cited_to_the_passage_stating_it() -> None:
    numbers = [passage(1, "The talks lasted long."), passage(2, "Some 30,000 troops took part.")]
    [bare] = attribute("30,000.", "How many troops took part?", numbers, [])
    assert [p.number for p in bare.passages] == [2]
    [nowhere] = attribute("40,000.", "How many troops took part?", numbers, [2])
    assert nowhere.passages == ()


def test_file_names_shown_may_be_named_with_their_digits() -> None:
    files = [passage(1, "Kerry met Lavrov in Moscow."), passage(2, "Lavrov met Kerry in Geneva.")]
    [names] = attribute("f1.txt and f2.txt mention Lavrov.", "Which files mention Lavrov?", files, [])
    assert names.passages


def test_a_number_from_the_question_or_the_whole_question_is_not_invented() -> None:
    [from_question] = attribute("Kerry and Lavrov met in Moscow in 2016.", "Where did they meet in 2016?", PASSAGES, [])
    assert [p.number for p in from_question.passages] == [1]
    question = "Who met in 2016, and where did they meet?"
    [part] = attribute("Kerry and Lavrov met in Moscow in 2016.", "where did they meet?", PASSAGES, [], context=question)
    assert [p.number for p in part.passages] == [1]


def test_quote_is_a_verbatim_sentence() -> None:
    text = "First sentence here. The talks lasted nine hours in Geneva. Last one."
    assert best_sentence(text, "nine hours") == "The talks lasted nine hours in Geneva."


def test_long_passages_are_cut_to_the_sentences_about_the_question() -> None:
    from rag.prompting import select_passages

    filler = " ".join(f"Filler sentence number {i} about nothing much." for i in range(20))
    long_text = filler + " The talks in Geneva lasted nine hours."
    chunk = Chunk("a.txt#p1", "a.txt", 1, 1, 1, 1, 0, len(long_text), long_text)
    passages = select_passages("How long did the talks in Geneva last?", [Hit(chunk, 1.0, 0.5, 1.0)] * 3, 40)
    assert len(passages) == 2
    assert "The talks in Geneva lasted nine hours." in passages[0].text
    assert len(passages[0].text.split()) <= 40 * 2 // 3


def test_a_second_passage_is_cited_only_when_one_is_not_enough() -> None:
    passages = [
        passage(1, "Putin hoped for progress in the talks with Kerry in Moscow."),
        passage(2, "Vladimir Putin and John Kerry met in Moscow."),
        passage(3, "The talks also covered Aleppo and the Castello road."),
    ]
    [well_covered] = attribute("Putin hoped for progress in the Moscow talks.", "What did Putin hope?", passages, [1])
    assert [p.number for p in well_covered.passages] == [1]
    [spread] = attribute("Putin hoped for progress; the talks covered Aleppo and the Castello road.", "What?", passages, [1])
    assert sorted(p.number for p in spread.passages) == [1, 3]


def test_a_second_passage_sharing_only_the_questions_words_is_not_cited() -> None:
    passages = [
        passage(1, "Kerry announced clarity over the 5 1/2-year conflict after talks with Lavrov."),
        passage(2, "Since this is what happened during the last Syrian ceasefire, nobody was surprised."),
    ]
    question = "How long had the Syrian conflict lasted when Kerry announced clarity?"
    [claim] = attribute("The Syrian conflict lasted 5 1/2 years.", question, passages, [1, 2])
    assert [p.number for p in claim.passages] == [1]


def test_an_answer_naming_files_is_supported_by_those_files() -> None:
    passages = [passage(1, "The library opens on Sundays."), passage(2, "The ferry costs two euros.")]
    [support] = attribute("f1.txt mentions the library.", "Which file mentions the library?", passages, [1])
    assert [p.number for p in support.passages] == [1]


def test_a_reply_listing_files_keeps_only_the_files_holding_what_is_asked() -> None:
    passages = [passage(1, "The ferry costs two euros."), passage(2, "The library opens on Sundays."),
                passage(3, "Ferries leave every hour.")]
    [wrong] = attribute("f2.txt", "Which files mention the ferry?", passages, [2])
    assert wrong.passages == ()
    [right] = attribute("f1.txt and f3.txt", "Which files mention the ferry?", passages, [])
    assert [p.number for p in right.passages] == [1, 3] and not right.narrowed
    [narrowed] = attribute("f1.txt, f2.txt, f3.txt", "Which files mention the ferry?", passages, [1, 2])
    assert (narrowed.claim, [p.number for p in narrowed.passages]) == ("f1.txt and f3.txt.", [1, 3])
    for reply in ("1. F1.txt\n2. f2.txt", "- f1.txt\n- f2.txt"):  # a list, any case
        [listed] = attribute(reply, "Which files talk about the ferry?", passages, [])  # "about" asks nothing
        assert (listed.claim, [p.number for p in listed.passages]) == ("f1.txt.", [1])


def test_a_file_listed_for_a_which_files_question_is_quoted_where_it_holds_what_is_asked() -> None:
    from rag.citations import cite
    from rag.corpus import Paragraph

    text = "The library opens at nine on weekdays. The ferry to the island leaves every hour."
    supports = attribute("f1.txt", "Which files mention the ferry?", [passage(1, text)], [1])
    citations, _ = cite(supports, lambda file: [Paragraph(1, 1, 1, 0, len(text))])
    assert citations[0].quote == "The ferry to the island leaves every hour."


def test_claims_cite_their_own_passages_and_share_numbers() -> None:
    from rag.citations import attribute, cite

    passages = [passage(1, "Kerry and Lavrov met in Moscow on Thursday."),
                passage(2, "The talks in Geneva lasted more than nine hours.")]
    supports = attribute("They met in Moscow. The Geneva talks lasted nine hours. They met on Thursday in Moscow.",
                         "?", passages, [1, 2])
    citations, claims = cite(supports, lambda file: [])
    assert [c.file for c in citations] == ["f1.txt", "f2.txt"]
    assert [c.citations for c in claims] == [(0,), (1,), (0,)]
    assert all(c.quote and c.quote in c.text for c in citations)


def test_a_claims_clauses_cite_their_own_paragraphs() -> None:
    from rag.citations import attribute, cite

    passages = [passage(1, "Kerry and Lavrov met in Moscow on Thursday."),
                passage(2, "The talks in Geneva lasted more than nine hours.")]
    supports = attribute("Kerry and Lavrov met in Moscow on Thursday, and the Geneva talks lasted nine hours.",
                         "?", passages, [1, 2])
    _, [claim] = cite(supports, lambda file: [])
    assert claim.citations == (0, 1)
    assert [(c.text[-12:], c.citations) for c in claim.clauses] == [(" on Thursday", (0,)), (" nine hours.", (1,))]


def test_the_evidence_check_sees_only_the_sentences_each_claim_was_drawn_from() -> None:
    text = "Lavrov spoke first. The talks in Geneva lasted more than nine hours. Reporters waited outside."
    passages = [passage(1, text), passage(2, "Kerry and Lavrov met in Moscow on Thursday.")]
    supports = attribute("The talks lasted nine hours. They met in Moscow.", "How long were the talks?", passages, [1])
    evidence = evidence_sentences(supports)
    assert evidence == [("f1.txt", "The talks in Geneva lasted more than nine hours."),
                        ("f2.txt", "Kerry and Lavrov met in Moscow on Thursday.")]
    prompt = evidence_prompt("How long were the talks?", evidence)
    assert prompt.startswith(judge_prefix())  # the fixed prefix stays in the KV cache
    assert "[1] (f1.txt) The talks in Geneva lasted" in prompt and "Reporters waited" not in prompt
    assert evidence_sentences(attribute("Paris is large.", "Where?", passages, [])) == []


def cited_paragraph(text: str, paragraph_count: int, answer: str, question: str):  # type: ignore[no-untyped-def]
    """The one citation of an answer drawn from a passage holding the whole of text."""
    from rag.citations import cite
    from rag.corpus import split_paragraphs

    paragraphs = list(split_paragraphs(text))
    chunk = Chunk("doc.txt#p1", "doc.txt", 1, paragraph_count, 1, text.count("\n"), 0, len(text), text)
    supports = attribute(answer, question, [PromptPassage(1, Hit(chunk, 1.0, 0.5, 1.0), text)], [1])
    [citation], _ = cite(supports, lambda file: paragraphs)
    return citation


def test_a_paragraph_two_claims_cite_is_quoted_for_both() -> None:
    from rag.citations import cite
    from rag.corpus import split_paragraphs

    text = ("There is a 4 GB limit only if the compiler's long type is 32 bits. The FAQ was last updated in 2017. "
            "If the compiler's long type is 64 bits, then the limit is 16 exabytes.\n")
    chunk = Chunk("faq.txt#p1", "faq.txt", 1, 1, 1, 1, 0, len(text), text)
    answer = "There is a 4 GB limit when long is 32 bits. When long is 64 bits the limit is 16 exabytes."
    supports = attribute(answer, "How much data can zlib handle?", [PromptPassage(1, Hit(chunk, 1.0, 0.5, 1.0), text)], [1])
    [citation], claims = cite(supports, lambda file: list(split_paragraphs(text)))
    assert [c.citations for c in claims] == [(0,), (0,)]
    assert "4 GB limit" in citation.quote and "16 exabytes" in citation.quote and citation.quote in text  # verbatim


def test_the_cited_paragraph_holds_what_the_answer_adds_not_the_questions_words() -> None:
    text = ("**Default** - ``8MB``\n\nOnce the S3 commands use multipart operations, the file is divided into\n"
            "chunks. This option sets the multipart chunk size of the S3 commands.\n")
    question = "What is the default multipart chunk size of the S3 commands?"
    citation = cited_paragraph(text, 2, "The default multipart chunk size of the S3 commands is 8MB.", question)
    # the short "**Default**" line is cited with the paragraph it introduces, as any lead-in is
    assert (citation.paragraph, citation.lines) == (1, (1, 4)) and "8MB" in citation.quote


def test_a_table_row_is_cited_alone_not_with_the_next_row_as_a_lead_in_would_be() -> None:
    text = ("Path MTU values:\n\nNetwork | MTU | Rationale\n\nDial-up link (IP: PPP) | 576 | standard\n\n"
            "Ethernet link | 1500 | standard and default\n")
    citation = cited_paragraph(text, 4, "The MTU of a dial-up PPP link is 576.", "What MTU is given for a dial-up PPP link?")
    assert (citation.paragraph, citation.last_paragraph, citation.lines) == (3, 3, (5, 5)) and "576" in citation.quote


def test_an_answer_naming_a_key_is_cited_at_the_row_writing_it_not_the_longest_row_of_its_word() -> None:
    # "Ctrl-C" is the term "ctrl" to attribution, as every row is: the longest row had been cited
    text = ("key | description\n\nCtrl-D | terminate input\n\nCtrl-C | terminate a running program\n\n"
            "Ctrl-V Tab | input Tab without expansion to the command line under bash\n")
    citation = cited_paragraph(text, 4, "Ctrl-C.", "Which key terminates the top command?")
    assert citation.paragraph == 3 and citation.quote == "Ctrl-C | terminate a running program"


def test_a_row_of_a_long_table_is_cited_by_its_own_line() -> None:
    from rag.render import location

    rows = "".join(f"{64000 + n:<6}| user{n}\n" for n in range(20))
    text = "Reserved uids:\n\n" + rows.replace("user7", "mysql")
    citation = cited_paragraph(text, 2, "The mysql user has uid 64007.", "Which uid is reserved for the mysql user?")
    assert citation.lines == (3, 22) and citation.quote_lines == (10, 10) and "mysql" in citation.quote
    assert location(citation) == "doc.txt ¶2 (line 10 of lines 3–22)"


def test_a_quote_runs_on_to_the_row_holding_the_answers_other_number() -> None:
    from rag.render import location

    rows = "".join(f"{64000 + n:<6}| user{n}\n" for n in range(20)).replace("user7", "mysql").replace("user12", "nova")
    text = "Reserved uids:\n\n" + rows
    citation = cited_paragraph(text, 2, "64007 and 64012", "Which uids are reserved for mysql and nova?")
    assert citation.quote.startswith("64007 | mysql") and citation.quote.endswith("64012 | nova")  # tester-s50 q19
    assert citation.quote_lines == (10, 15) and location(citation) == "doc.txt ¶2 (lines 10–15 of lines 3–22)"


def test_a_name_written_as_code_is_found_whole_not_as_its_words() -> None:
    from rag.citations import identifiers

    found = identifiers("Set `PYENV_VIRTUALENV_PROMPT`, pass --debug, read gpl-3.0.txt, use Rules-Requires-Root, v2.3.0.")
    assert found == {"=pyenv_virtualenv_prompt", "=--debug", "=gpl-3.0.txt", "=rules-requires-root", "=v2.3.0"}
    # words joined by a hyphen, abbreviations and whole numbers are words, not names
    assert identifiers("A command-line tool for US-Russia talks, e.g. in the U.S., cost 14 million.") == set()


def test_the_passage_holding_the_whole_name_supports_an_answer_that_names_it() -> None:
    # recorded on the held-out manuals: the answer's words were all in a passage about other
    # variables, and its one name only in the passage listing it
    listing = passage(1, "* `PYENV_VIRTUALENV_PROMPT`, if set, allows users to customize how `pyenv-virtualenv` "
                         "modifies their shell prompt in a virtual environment, with any user-specified text.")
    general = passage(2, "Also see the Environment variables section for the environment variables that control "
                         "Pyenv's behavior.")
    question = "How can I change the text that pyenv-virtualenv puts in my command-line prompt?"
    answer = ("The text that pyenv-virtualenv puts in your command-line prompt is controlled by the "
              "`PYENV_VIRTUALENV_PROMPT` environment variable.")
    [support] = attribute(answer, question, [listing, general], [])
    assert [p.number for p in support.passages] == [1]


def test_the_cited_paragraph_is_the_one_holding_the_named_field() -> None:
    text = ("We add a new field to the Source stanza:\n\n  Rules-Requires-Root: no | binary-targets\n\n"
            "If no, then debian/rules binary will not require root at all.\n")
    citation = cited_paragraph(text, 3, "The new field is Rules-Requires-Root.", "Which new field does the spec add?")
    assert citation.paragraph == 2 and citation.quote.startswith("Rules-Requires-Root")


@pytest.mark.parametrize(
    ("claim", "text"),
    [
        ("Set max_bandwidth to limit bandwidth.", "Set `s3.max_bandwidth` to limit the bandwidth of transfers."),
        ("It needs Python 3.11.", "It needs Python 3.11.7 or later."),
        ("The file is ~/.config/foo/settings.ini.", "The file is $HOME/.config/foo/settings.ini by default."),
        ("Up-to-date packages are listed by apt list.", "apt list shows packages that are up-to-date or upgradable."),
    ],
)
def test_a_name_written_otherwise_in_the_passage_never_costs_the_support_its_words_give(claim: str, text: str) -> None:
    [support] = attribute(claim, "What?", [passage(1, text)], [])
    assert [p.number for p in support.passages] == [1]


def test_a_file_named_without_its_folder_is_found() -> None:
    text = "Ask the user for the solver dump."
    chunk = Chunk("docs/apt/apt_solver_notes.md#p1", "docs/apt/apt_solver_notes.md", 1, 1, 1, 1, 0, len(text), text)
    [support] = attribute("According to apt_solver_notes.md, ask for the solver dump.", "Which file?",
                          [PromptPassage(1, Hit(chunk, 1.0, 0.5, 1.0), text)], [])
    assert support.passages and support.support == 1.0


def clause_passages(support: ClaimSupport) -> list[tuple[str, list[int]]]:
    return [(text, [p.number for p in held]) for text, held in support.clauses]


def test_a_sentence_of_two_clauses_cites_the_passage_of_each() -> None:
    apt = passage(1, "Set the CMake variable CMAKE_INSTALL_PREFIX to /usr so that the build finds the system "
                     "libraries; a debug build of apt needs the configure flag described below.")
    node = passage(2, "To make a debug build of Node.js, run the configure script with the --debug flag.")
    claim = ("The configure flag --debug produces a Node.js debug build, and the CMake variable "
             "CMAKE_INSTALL_PREFIX should be set to /usr.")
    [support] = attribute(claim, "Which flag gives a Node.js debug build, and which CMake variable is set?", [apt, node], [])
    assert {p.number for p in support.passages} == {1, 2}
    # each clause marked with its own passage, so a reader sees which source backs which part
    assert clause_passages(support) == [
        ("The configure flag --debug produces a Node.js debug build", [2]),
        (", and the CMake variable CMAKE_INSTALL_PREFIX should be set to /usr.", [1]),
    ]
    [one] = attribute("The CMake variable CMAKE_INSTALL_PREFIX should be set to /usr, and the build finds the "
                      "system libraries.", "Which CMake variable is set?", [apt, node], [])
    assert [p.number for p in one.passages] == [1]  # both clauses from one passage: one citation
    assert one.clauses == ()


def test_a_sentence_answering_two_parts_from_three_passages_is_supported_by_its_clauses() -> None:
    # no two passages hold most of its words, so the whole sentence was unsupported and a right
    # answer withdrawn; written as two sentences, each would have been supported
    # worded otherwise than the question, as the passages of a reworded question are
    owners = passage(1, "The harbour board owns the outer quays and fixes each spring the charge ships arriving pay.")
    ferries = passage(2, "Ferry companies lease their berths from the quay owners.")
    pilots = passage(3, "The pilots' guild guides ships through the narrows and keeps the channel charts.")
    question = "Which body sets the tolls paid by every vessel entering the port, and which group keeps the channel charts?"
    claim = "The harbour board sets the tolls paid by every vessel entering the port, and the pilots' guild keeps the channel charts."
    [support] = attribute(claim, question, [owners, ferries, pilots], [])
    assert {p.number for p in support.passages} == {1, 3}
    assert [numbers for _, numbers in clause_passages(support)] == [[1], [3]]
    echo = "The body sets the tolls paid by every vessel entering the port, and the group keeps the channel charts."
    assert attribute(echo, question, [owners, ferries, pilots], [])[0].passages == ()  # adds nothing to the question
    invented = "The harbour board sets the tolls paid by every vessel entering the port, and the navy's survey office keeps the channel charts."
    assert attribute(invented, question, [owners, ferries, pilots], [])[0].passages == ()


def test_a_claim_from_a_continued_tables_row_is_supported_and_judged_under_its_header_row() -> None:
    header = "| City | Population | Area |"
    rows = "| Bergen | 285,000 | 465 |\n| Oslo | 709,000 | 454 |\n\nFigures from the 2023 census."
    chunk = Chunk("towns.md#p3.2", "towns.md", 3, 4, 40, 43, 900, 900 + len(rows), rows, table_header=header)
    passages = [PromptPassage(1, Hit(chunk, 1.0, 0.5, 1.0), f"{header}\n{rows}")]
    claim = "Oslo has a population of 709,000 and an area of 454."
    supports = attribute(claim, "What is the population of Oslo?", passages, [1])
    assert supports[0].passages == (passages[0],) and supports[0].support == 1.0  # "population", "area": the header's
    assert evidence_sentences(supports) == [("towns.md", f"{header}\n| Oslo | 709,000 | 454 |")]
    assert "(towns.md) | City | Population | Area |\n| Oslo | 709,000 | 454 |" in evidence_prompt("?", evidence_sentences(supports))
    census = attribute("The figures are from the census.", "Where are the figures from?", passages, [1])
    assert evidence_sentences(census) == [("towns.md", "Figures from the 2023 census.")]  # prose: no header


def test_clauses_backed_by_the_same_passages_are_marked_together() -> None:
    rules = passage(1, "Files produced as output of the programs do not fall under the copyright of the Package "
                       "but belong to whoever generated them.")
    sale = passage(2, "Output of the programs may be sold commercially and may be aggregated with this Package.")
    claim = ("Output of the programs does not fall under the copyright of the Package, but belongs to whoever "
             "generated it, and output may be sold commercially, and may be aggregated with this Package.")
    [support] = attribute(claim, "Who owns the output of the programs?", [rules, sale], [])
    assert [(text[:12], numbers) for text, numbers in clause_passages(support)] == [
        ("Output of th", [1]), (", and output", [2])]
    assert "".join(text for text, _ in support.clauses) == claim


def test_an_answer_marks_each_clause_with_its_own_citations() -> None:
    from rag.render import answer_text
    from rag.results import Answer, Claim, Clause, Passage

    sources = [Passage("guide.md", 3, (8, 9), "FTP masters ...", 1.0), Passage("lists.md", 5, (20, 20), "Listmasters ...", 1.0)]
    clauses = (Clause("The ftpmasters check the licences", (0,)), Clause(", and the listmasters run the mail server.", (1,)))
    claim = Claim("The ftpmasters check the licences, and the listmasters run the mail server.", True, (0, 1), clauses)
    answer = Answer("q", claim.text, False, 0.9, sources, [claim, Claim("Both are teams.", True, (0, 1))], [], {})
    assert answer_text(answer).splitlines()[0] == (
        "The ftpmasters check the licences [1], and the listmasters run the mail server. [2] Both are teams. [1][2]")
