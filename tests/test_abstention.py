import json
from pathlib import Path

import pytest

from conftest import FakeEmbedder
from rag.abstention import SIGNALS, Evidence, Model, answer_type_match, decide, fitted_model, signals
from rag.chunking import Chunk
from rag.citations import attribute
from rag.prompting import PromptPassage, build_prompt, precheck_prompt
from rag.retrieval import Hit


def passage(number: int, text: str, dense: float = 0.6) -> PromptPassage:
    chunk = Chunk(f"f{number}.txt#p1", f"f{number}.txt", 1, 1, 1, 1, 0, len(text), text)
    return PromptPassage(number, Hit(chunk, 1.0, dense, 1.0), text)


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("How many hours did they talk?", "more than nine hours", 1.0),
        ("How many hours did they talk?", "in Geneva", 0.0),
        ("When did the siege end?", "in August 2016", 1.0),
        ("In what year was it signed?", "by the council", 0.0),
        ("What percentage of patients improved?", "42 %", 1.0),
        ("Who met Lavrov?", "Kerry", 0.5),
        ("Under the GPLv3, how often may you convey binaries?", "Modified versions must be marked.", 0.0),
        ("According to the MESOP article, how many talks were held?", "Three rounds.", 1.0),
        ("Under the licence, when may the package be sold?", "If it is not advertised as yours.", 0.5),
        ("In what year was it signed, according to the article?", "by the council", 0.0),
        ("When python-build is installed with install.sh, into which prefix does it go?", "/usr/local", 0.5),
        ("When the talks in Geneva ended, what did Kerry say?", "That a deal was near.", 0.5),
        ("When the talks in Geneva ended, how many hours had they lasted?", "in Geneva", 0.0),
        ("When, after the talks, did Kerry fly home?", "On Friday", 1.0),
        ("When did Kerry, after the talks, fly home?", "by plane", 0.0),
        # "when" is answered by a clock time, a span or a moment as well as a date; "on what date" is not
        ("When does the Elm Street depot open?", "The Elm Street depot opens at 07:30.", 1.0),
        ("When does the depot open on Sundays?", "At 9 a.m.", 1.0),
        ("When must the notice be given?", "Within 30 days of the breach.", 1.0),
        ("When is the cache cleared?", "Once the index is rebuilt.", 1.0),
        ("When is the cache cleared?", "By the server.", 0.0),
        ("On what date did the base fall?", "The base fell only recently.", 0.0),
        ("On what date did the base fall?", "On the 5th.", 1.0),
        # a date itself, not a moment relative to another; a weekday for "which day of the week"
        ("On what date did the exercises end?", "They ended a few days before the ceasefire began.", 0.0),
        ("On what date did the exercises end?", "On 12 September 2016.", 1.0),
        ("On which day of the week were the talks held?", "The talks were held in March 2019.", 0.0),
        ("On which day of the week were the talks held?", "On Friday.", 1.0),
        ("On which day did the paper break the story?", "Two days after the talks.", 1.0),
        ("On what day of the week is the bin collected?", "Every Tue.", 1.0),
        ("On what date was it signed?", "On 9/12.", 1.0),
        ("When does the office open each day of the week?", "At 9 am.", 1.0),  # asks a time, not a weekday
        # the question asked is the last sentence: a story told with "When ..." before it asks nothing
        ("When I pass -j, every test runs one at a time. How do I run them concurrently?", "Drop the option.", 0.5),
        ("The pills cost weight. How much did they put back on?", "They put back on weight.", 0.0),
        ("How often must the kitchen be cleaned?", "Every Friday after the last shift.", 1.0),
        ("How often is the fridge emptied?", "On the first Monday of each month.", 1.0),
        ("How often is the rota posted?", "On Fridays and on weekends.", 1.0),
        ("How often is the rota posted?", "Each rota is posted on the board.", 0.0),
        ("How frequently is the index rebuilt?", "Only when you run rag index.", 0.5),
        ("How often is the rota posted?", "Weekly, on the notice board.", 1.0),
        ("How often is the rota posted?", "On the notice board.", 0.0),
        ("How many cleaners are there each week?", "Every cleaner on the rota.", 0.0),
        ("Which minimum version of libassuan does GnuPG require?", "libassuan (https://gnupg.org/).", 0.0),
        ("In which pip release was the search command removed?", "pip 21.0.", 1.0),
        ("Which versions of autoconf are needed to build from a Git checkout?", "autoconf, from a Git checkout.", 0.0),
        ("Which version applies when the program names none?", "Any one ever published.", 1.0),
        ("According to the README, what release of Make fixed it?", "The current one.", 1.0),
        ("Which version of the bill passed the Senate?", "The House version.", 0.5),
        ("What version control system does the project use?", "Git.", 0.5),
        ("What version of events did the ministry give?", "That rebels fired first.", 0.5),
        ("What press release did the ministry issue?", "A statement condemning the strike.", 0.5),
        ("Which minimum version of libassuan does GnuPG need?", "All of them need libassuan.", 0.0),
        ("What do the release notes say about the cache?", "It is kept for a week.", 0.5),
        # a reply that only restates the question holds no answer
        ("Which hotel in Geneva hosted the talks?", "The hotel in Geneva hosted the talks [1].", 0.0),
        ("Which country led the exercises along Poland's border with Russia?", "Russia.", 0.0),
        ("My debugger starts too late under QEMU. What can I change?", "The debugger starts too late.", 0.0),
        ("Which country led the exercises along Poland's border with Russia?", "Germany.", 0.5),
        ("What license does zlib use?", "The zlib License.", 0.5),  # capitalised into a name: says something
        ("Which hotel hosted the talks?", "The hotel hosted the talks.", 0.0),
        ("Which variable makes systemd tools read another fstab?", "$SYSTEMD_FSTAB", 0.5),
        # ... but a yes/no question, also after a "When ..." clause, and a choice may be answered so
        ("Can the switch to the GPL be undone?", "The switch to the GPL can be undone.", 0.5),
        ("When I remove my package, should its scripts delete the account?", "Its scripts should delete the account.",
         0.5),
        ("Which is older, the harbour or the station?", "The harbour.", 0.5),
        # a name or a title asked for is a word the question lacks: capitalised, quoted or an identifier
        ("What was the title of the document leaked to the AP?", "The document was leaked to the AP yesterday.", 0.0),
        ("What is the name of the source who spoke to the Daily Beast?", "The source told the Daily Beast [1].", 0.0),
        ("What name is given to the six-point score?", "The six-point score is derived at the hospital.", 0.0),
        ("What is the name of the source who spoke to the Daily Beast?", "Colonel Smith [2].", 1.0),
        ("What is the name of the image file mkosi builds?", "image.raw", 1.0),
        ("What is the name of the remote for your own fork?", "It is called 'yourgit'.", 1.0),
        ("What is the name of the command that lists environments?", "pyenv virtualenvs", 1.0),
        ("According to the guide, what is the title of the book?", 'The book is "Deep Politics".', 1.0),
        # a preposition before "how many" still asks for a number; "Besides X," is a qualifier, and
        # naming X alone answers nothing; a restatement in other inflections ("excludes") is one
        ("In how many areas would the planes be grounded?", "The planes would be grounded in designated areas.", 0.0),
        ("For how many years must the offer stay valid?", "For at least three years.", 1.0),
        ("Within how many days must you cure it?", "Within 30 days.", 1.0),
        ("Besides PowerPC, on which architectures are flushes honoured?", "PowerPC.", 0.0),
        ("Besides PowerPC, on which architectures are flushes honoured?", "On x86 and amd64.", 0.5),
        ("Besides being a cellist, what is his other role?", "He is a conductor.", 0.5),
        ("Why does the licence exclude trademarks from the permissions it grants?",
         "The licence excludes trademarks from the permissions it grants.", 0.0),
        ("Why does the licence exclude trademarks?", "To protect the licensor's reputation.", 0.5),
        # a call's own arguments and a quoted literal may be the answer (tester-s47 H1: right answers withheld)
        ("What does median_high([1, 3, 5, 7]) return?", "median_high() returns 5.", 0.5),
        ("What does mode([1, 1, 2, 3, 3, 3, 3, 4]) return?", "3", 0.5),
        ("What placeholder does textwrap append to truncated text?", "The placeholder is ' [...]'.", 0.5),
        ("What separators does the compact example pass to json.dumps?", "It passes the separators ',' and ':'.", 0.5),
        ("Which placeholder does textwrap append, ' [...]'?", "The placeholder ' [...]'.", 0.0),
        # a follow-up's opening "And" asks as the question without it (tester-s47 M2)
        ("And when was the MPL 2.0 published?", "The MPL 2.0 was published by the Mozilla Foundation.", 0.0),
        ("And how many days does it give?", "It gives a grace period.", 0.0),
        ("So how many days does it give?", "30 days.", 1.0),
        # the other end of the scale asked about answers another question (an adversarial antonym)
        ("What is the largest unit the bureau publishes data for?", "The smallest unit it publishes is a block group.", 0.0),
        ("How long at most may a package stay in Unstable?", "It stays there for at least 5 days.", 0.0),
        ("What is the maximum number of days a package can stay?", "At least 5 days [1].", 0.0),
        ("When did sales fall?", "Sales rose in 2019.", 0.0),
        ("What is the largest unit the bureau publishes data for?", "The block group, its largest and smallest.", 0.5),
        ("What is the most the offer may charge, and for at least how long?", "No more than the cost, for at least three years.", 0.5),
        ("How many copies at most, and what is the most they may charge?", "At most three, and at least the cost.", 1.0),
        ("What is the largest unit the bureau publishes data for?", "The block group.", 0.5),
    ],
)
def test_answer_type(question: str, answer: str, expected: float) -> None:
    assert answer_type_match(question, answer) == expected


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Where did Kerry and Lavrov meet?", "004_72c3.txt", 0.0),
        ("Who wrote the article on the pact?", "002_4e5a.txt", 0.0),  # mentions an article, asks a name
        ("Which Iranian official, according to the article, spoke?", "002_4e5a.txt", 0.0),
        ("Which files mention Hezbollah?", "004_72c3.txt and 001_f826.txt", 0.5),
        ("In which two articles is Hezbollah named?", "004_72c3.txt, 001_f826.txt", 0.5),
        ("Where did they meet?", "news/004_72c3.txt", 0.0),
        ("Where did they meet?", "004_72c3.txt", 0.0),  # the name without its folder
        ("Who met Lavrov?", "Kerry, according to 004_72c3.txt", 0.5),
        ("How many hours did they talk?", "004_72c3.txt", 0.0),
        ("In which article is Hezbollah named?", "004_72c3.txt", 0.5),
        ("Which article reports the ceasefire?", "001_f826.txt", 0.5),
        ("Which abstract studies melatonin in mice?", "001_f826.txt", 0.5),
        ("In which file is the lock defined?", "004_72c3.txt", 0.5),
        # a file the documents describe, not a document: the model's file label answers nothing
        ("Which file serves as the lock of the trigger system?", "004_72c3.txt", 0.0),
        ("A reader reports odd results. Which file from their machine should I ask for?", "002_4e5a.txt", 0.0),
    ],
)
def test_only_file_names_answer_no_question_but_one_about_files(question: str, answer: str, expected: float) -> None:
    assert answer_type_match(question, answer, {"news/004_72c3.txt", "001_f826.txt", "002_4e5a.txt"}) == expected


def test_every_signal_is_computed_and_bounded() -> None:
    passages = [passage(1, "Kerry and Lavrov talked for nine hours in Geneva.")]
    question, answer = "How long did Kerry and Lavrov talk?", "Nine hours in Geneva"
    values = signals(Evidence(question, answer, passages, attribute(answer, question, passages, [1]),
                              0.1, 0.8, 0.9, -0.2, -1.0))
    assert set(values) == set(SIGNALS)
    assert all(0.0 <= v <= 1.0 for v in values.values())
    assert values["answer_type"] == 1.0 and values["claims_supported"] == 1.0 and values["precheck"] == 0.8


def test_the_fitted_model_is_a_data_file_naming_known_signals() -> None:
    data = json.loads((Path(__file__).parent.parent / "rag" / "data" / "abstention.json").read_text())
    assert set(data["weights"]) <= set(SIGNALS) and 0.0 < data["threshold"] < 1.0
    assert fitted_model().weights == data["weights"]


def test_decision_follows_the_threshold_and_declines() -> None:
    model = Model({"precheck": 4.0}, -2.0, 0.5)
    assert model.probability({"precheck": 1.0}) > 0.5 > model.probability({"precheck": 0.0})
    high = {name: 1.0 for name in SIGNALS} | {"model_refusal": 0.0}
    assert decide(high, threshold=0.0).abstain is False and decide(high, threshold=0.0).reason is None
    below = decide(high, threshold=1.0)
    assert below.abstain is True and below.reason == f"confidence {below.probability:.2f} is below the threshold 1.00"
    assert decide(high, threshold=0.0, declined=True).reason == "the model found no answer in the passages"
    assert decide(high, threshold=0.0, unsupported=True).reason == "no passage supports the draft"


def test_a_draft_without_what_the_question_asks_for_is_abstained_on() -> None:
    confident = {name: 1.0 for name in SIGNALS} | {"model_refusal": 0.0}
    question = "How long did Kerry and Lavrov talk in Geneva?"
    wrong_kind = confident | {"answer_type": answer_type_match(question, "An agreement was at hand.")}
    right_kind = confident | {"answer_type": answer_type_match(question, "More than nine hours.")}
    assert decide(wrong_kind, threshold=0.0).abstain is True
    assert decide(wrong_kind, threshold=0.0).reason.startswith("the draft lacks what the question asks for")  # type: ignore[union-attr]
    assert decide(right_kind, threshold=0.0).abstain is False


def test_the_precheck_shares_the_answer_prompts_prefix() -> None:
    passages = [passage(1, "Kerry and Lavrov talked for nine hours in Geneva.")]
    answer_prompt = build_prompt("How long?", passages)
    check = precheck_prompt("How long?", passages)
    shared = len(answer_prompt) - len("<|im_end|>\n<|im_start|>assistant\n")
    assert check[:shared] == answer_prompt[:shared] and "f1.txt" in answer_prompt


def test_only_the_checks_the_fitted_decision_weighs_are_asked(fake_models, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    from conftest import SEEDS
    from rag import abstention
    from rag.config import Settings
    from rag.indexing import build_index
    from rag.pipeline import Engine
    from rag.prompting import CHECK_QUESTION

    settings = Settings(index_dir=tmp_path / "index")
    build_index(SEEDS, settings.index_dir, FakeEmbedder(), settings.chunking)
    engine = Engine.open(settings, FakeEmbedder())
    monkeypatch.setattr(abstention, "fitted_model", lambda: Model({"precheck": 4.0, "evidence_check": 3.0}, -3.0, 0.3))
    answer = engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    asked = fake_models.checks
    assert len(asked) == 2 and not any(CHECK_QUESTION in p for p in asked)  # pre-check and evidence check
    assert answer.signals["self_check"] == abstention.NOT_ASKED and answer.signals["evidence_check"] == 0.9
    shown = asked[1].rsplit("<|im_start|>user", 1)[1]  # the evidence check shows the cited sentence alone
    assert shown.startswith("\nPassages:\n[1] (") and "nine hours" in shown and "[2]" not in shown
    engine.all_signals = True  # evaluation runs record every signal for the next fit
    engine.ask("How long did Kerry and Lavrov talk in Geneva?")
    assert len(asked) == 5 and CHECK_QUESTION in asked[3]
