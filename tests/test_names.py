"""The names and numbers a question gives, and whether the files an answer cites hold them (rag.names)."""

from pathlib import Path

import pytest

from conftest import FakeEmbedder, ScriptedGenerator
from rag.config import Settings
from rag.indexing import build_index
from rag.names import NO_NAMES, NO_NUMBERS, names_in_cited, numbers_in_cited, question_names, question_numbers
from rag.pipeline import Engine
from rag.store import open_index

LICENCES = {
    "apache.txt": "The Apache License lets you use the work. Each contributor grants a patent licence to you.",
    "gpl.txt": "Your licence is reinstated if you cure the violation within 30 days of the notice.",
    "mpl.txt": "The Mozilla Public License (MPL) covers source files. Recipients get the source code.",
    "artistic.txt": "You may distribute the Standard Version of the package as you received it.",
}


@pytest.fixture
def licences(tmp_path: Path) -> Path:
    folder = tmp_path / "licences"
    folder.mkdir()
    for name, text in LICENCES.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("question", "names", "openers"),
    [
        ("Under the MPL 2.0, how many days may pass?", ["MPL"], []),
        ("Which Syrian province appears where Darayya's rebels went?", ["Syrian", "Darayya"], []),
        ("How do I make the AWS CLI use a proxy? Give the file names.", ["AWS", "CLI"], ["Give"]),
        ("On which port does mkosi's Ssh=yes option listen?", ["Ssh"], []),
        ("Does the iPhone app sync?", ["iPhone"], []),
        ("Kerry met whom in 2016?", [], ["Kerry"]),  # a question's first word
        ("what did the minister say?", [], []),
        ("What should I do if I'm late with a refund in January?", [], []),  # "I'm", a month
        ("1) Describe the refund window.\n- Explain it", [], ["Describe", "Explain"]),  # list items
        ("Which licence (Apache or MIT) grants a patent licence?", ["MIT"], ["Apache"]),  # an aside opens
        ("What did Mr. Smith say about the U.S. Army?", ["U.S"], ["Smith", "Army"]),  # after a title or initial
        ("How often do the Wi-Fi passwords rotate?", ["Wi-Fi"], []),
        ("HOW DO I INSTALL THE APACHE SERVER?", [], ["INSTALL", "APACHE", "SERVER"]),  # capitals throughout
    ],
)
def test_a_questions_names_are_its_capitalised_words_not_a_sentences_first(
    question: str, names: list[str], openers: list[str]
) -> None:
    found = question_names(question)
    assert (list(found.names), list(found.openers)) == (names, openers)


def test_an_answer_citing_only_files_that_never_use_the_questions_name_is_flagged(
    licences: Path, tmp_path: Path
) -> None:
    build_index(licences, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    index = open_index(tmp_path / "index")
    question = "How many days does the Apache License give you to cure a violation?"
    assert names_in_cited(index, question, {"gpl.txt"}) == 0.0  # the GPL's 30 days, asked of Apache
    assert names_in_cited(index, question, {"apache.txt"}) == 1.0
    assert names_in_cited(index, question, {"gpl.txt", "apache.txt"}) == 1.0
    # one named file cited is enough when the question names two
    assert names_in_cited(index, "What do the Apache License and the MPL say about patents?", {"mpl.txt"}) == 1.0


@pytest.mark.parametrize(
    "question",
    [
        "How many days do you have to cure a violation?",  # no name at all
        "On an ARM machine, how many days do you have to cure a violation?",  # a name no file holds
        "Under the License, how many days do you have to cure a violation?",  # a name most files hold
    ],
)
def test_no_name_that_tells_the_files_apart_means_no_judgement(licences: Path, tmp_path: Path, question: str) -> None:
    (licences / "apache.txt").write_text("The Apache License lets you use the work.\n", encoding="utf-8")
    (licences / "artistic.txt").write_text("The Artistic License is a license for the package.\n", encoding="utf-8")
    build_index(licences, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    assert names_in_cited(open_index(tmp_path / "index"), question, {"gpl.txt"}) == NO_NAMES


@pytest.mark.parametrize("cited", ["widget-faq.txt", "Widget/faq.txt", "WidgetFAQ.txt", "README.Widget.txt"])
def test_a_file_whose_path_holds_the_name_counts_as_mentioning_it(licences: Path, tmp_path: Path, cited: str) -> None:
    (licences / cited).parent.mkdir(exist_ok=True)
    (licences / cited).write_text("Restarting it clears the cache.\n", encoding="utf-8")
    (licences / "notes.txt").write_text("The Widget team meets on Mondays.\n", encoding="utf-8")
    build_index(licences, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    assert names_in_cited(open_index(tmp_path / "index"), "How do I clear the Widget cache?", {cited}) == 1.0


def test_a_name_written_with_dots_or_hyphens_is_also_looked_up_without_them(licences: Path, tmp_path: Path) -> None:
    (licences / "router.txt").write_text("The WiFi password of the US office rotates weekly.\n", encoding="utf-8")
    (licences / "notes.txt").write_text("The WiFi in the U.S. Army base is slow.\n", encoding="utf-8")
    build_index(licences, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    index = open_index(tmp_path / "index")
    assert names_in_cited(index, "How often does the Wi-Fi password rotate?", {"router.txt"}) == 1.0
    assert names_in_cited(index, "How often does the U.S. office rotate passwords?", {"router.txt"}) == 1.0


def test_a_word_that_only_opens_a_sentence_can_show_the_right_file_but_not_a_wrong_one(
    licences: Path, tmp_path: Path
) -> None:
    build_index(licences, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    index = open_index(tmp_path / "index")
    assert names_in_cited(index, "Which licence (Apache or MPL) grants a patent licence?", {"apache.txt"}) == 1.0
    assert names_in_cited(index, "Apache: how long do you have to cure a violation?", {"gpl.txt"}) == NO_NAMES


def _engine_drafting_from(folder: Path, tmp_path: Path, file: str, sentence: str) -> Engine:
    """An engine over the folder whose confident model drafts the sentence from the file's passage."""
    settings = Settings(index_dir=tmp_path / "index")
    build_index(folder, settings.index_dir, FakeEmbedder(), settings.chunking)

    def reply(prompt: str) -> str:
        number = next(line[1] for line in prompt.splitlines()[::-1] if line.startswith("[") and f"{file})" in line)
        return f"{sentence} [{number}]."

    return Engine.open(settings, FakeEmbedder(), lambda: ScriptedGenerator(reply, yes=0.99))


@pytest.mark.parametrize(
    ("corpus", "file", "sentence", "question", "signal", "reason", "other_question"),
    [
        (
            "licences", "gpl.txt", "You must cure the violation within 30 days",
            "How many days does the Apache License give you to cure a violation?", "names_in_cited",
            "the files the draft cites never mention what the question names",
            "How many days do you have to cure a violation?",  # no name: not judged
        ),
        (
            "releases", "gnupg.txt", "GnuPG reached end-of-life on 2017-12-31",
            "On what date did the GnuPG 1.4 series reach end-of-life?", "numbers_in_cited",
            "the files the draft cites never state the number the question gives",
            # 2.0 is also looked up as 2, which most of the files hold: it tells none apart
            "On what date did the GnuPG 2.0 series reach end-of-life?",
        ),
    ],
)
def test_the_engine_abstains_on_a_draft_from_a_file_that_never_holds_the_questions_name_or_number(
    request: pytest.FixtureRequest, tmp_path: Path, corpus: str, file: str, sentence: str, question: str,
    signal: str, reason: str, other_question: str,
) -> None:
    engine = _engine_drafting_from(request.getfixturevalue(corpus), tmp_path, file, sentence)
    answer = engine.ask(question)
    assert answer.abstained and answer.signals[signal] == 0.0
    assert answer.abstained_because == reason
    kept = engine.ask(other_question)
    assert not kept.abstained and kept.signals[signal] == 0.5


def test_both_stores_find_a_name_in_another_form_of_the_word(tmp_path: Path, store: str) -> None:
    """Milvus's keyword analyser does not stem: the name is also searched by its stem."""
    folder = tmp_path / "zoo"
    folder.mkdir()
    (folder / "snakes.txt").write_text("The Python eats once a week.\n", encoding="utf-8")
    (folder / "zoo.txt").write_text("Our Pythons live in the reptile house.\n", encoding="utf-8")
    for name in ("birds.txt", "fish.txt", "cats.txt"):
        (folder / name).write_text(f"Nothing about snakes in {name}.\n", encoding="utf-8")
    build_index(folder, tmp_path / "index", FakeEmbedder(), Settings().chunking, store=store)
    assert names_in_cited(open_index(tmp_path / "index", store), "How often do Pythons eat?", {"snakes.txt"}) == 1.0


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("On what date did the GnuPG 1.4 series reach end-of-life?", ["1.4"]),
        ("Which release dropped Python 3.5 and 3.11.0?", ["3.5", "3.11.0"]),
        ("How many of the 1,000 users logged in on 2016-09-12?", ["1000", "1", "000", "2016", "09", "12"]),
        ("Which service listens on ports 80,443 and weighs 1,5 kg?", ["80443", "80", "443", "1", "5"]),
        ("How many files may users upload, \u0663\u0660?", []),  # digits of another script are not read
        ("What applies to children aged 0-15 within a 30-day period?", ["0", "15", "30"]),
        ("Which group drives the modem on the RS-232 port under GPLv3 in bash-5.2?", []),  # a name's number
        ("What happened on February 27th after four years?", []),  # ordinals and words are not judged
    ],
)
def test_a_questions_numbers_are_those_in_digits_standing_alone(question: str, numbers: list[str]) -> None:
    assert list(question_numbers(question)) == numbers


@pytest.fixture
def releases(tmp_path: Path) -> Path:
    folder = tmp_path / "releases"
    folder.mkdir()
    texts = {
        "gnupg.txt": "The 2.0 series of GnuPG reached end-of-life on 2017-12-31.",
        "gnupg-old.txt": "GnuPG 1.4 is the classic series. GnuPG 1.4.23 is its last release.",
        "xz.txt": "xz 5 needs about 65 MiB of memory to decompress at level 6, in 2 passes.",
        "make.txt": "GNU Make 4 reads the makefile in 2 passes.",
        "zlib.txt": "zlib 1 compresses in 2 steps.",
    }
    for name, text in texts.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def test_an_answer_citing_only_files_that_never_state_the_questions_number_is_flagged(
    releases: Path, tmp_path: Path
) -> None:
    build_index(releases, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    index = open_index(tmp_path / "index")
    question = "On what date did the GnuPG 1.4 series reach end-of-life?"
    assert numbers_in_cited(index, question, {"gnupg.txt"}) == 0.0  # the 2.0 series' date, asked of 1.4
    assert numbers_in_cited(index, question, {"gnupg-old.txt"}) == 1.0
    # "1.4.23" states 1.4 in a passage of a cited file, where the keyword index holds only "1.4.23"
    assert numbers_in_cited(index, question, {"notes.txt"}, ["GnuPG 1.4.23 is the last release."]) == 1.0
    # a path that states the number holds it
    assert numbers_in_cited(index, question, {"gnupg-1.4/notes.txt"}) == 1.0
    assert numbers_in_cited(index, "How much memory does xz need at level 6?", {"xz.txt"}) == 1.0
    # "5.0" is 5 as rag.numbers reads it
    assert numbers_in_cited(index, "Does xz 5.0 need 65 MiB?", {"xz.txt"}, ["xz 5 needs about 65 MiB."]) == 1.0


@pytest.mark.parametrize(
    "question",
    [
        "How much memory does xz need to decompress?",  # no number
        "In how many passes does Make read the makefile, 2?",  # a number most files hold
        "How much memory does xz need at level six?",  # a number in words
        "If I keep 4096 entries, how much memory does xz need?",  # 4096, in no file, is the user's own
    ],
)
def test_no_number_that_tells_the_files_apart_means_no_judgement(releases: Path, tmp_path: Path, question: str) -> None:
    build_index(releases, tmp_path / "index", FakeEmbedder(), Settings().chunking)
    assert numbers_in_cited(open_index(tmp_path / "index"), question, {"gnupg.txt"}) == NO_NUMBERS
