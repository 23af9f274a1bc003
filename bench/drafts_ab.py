"""Draft accuracy (before any abstention decision) of prompt variants, paired on the same questions.

    .venv/bin/python bench/drafts_ab.py [--sets seeds,licenses,abstracts] [--split fit]
                                        [--per-set 35] [--variants current,no_examples,...]

Every question is retrieved once; each variant then builds its own prompt from the same hits and
drafts greedily from its own instructions checkpoint. Reported per corpus and type: share of
answerable questions whose draft is right, share of those declined, share of unanswerable ones
declined, prompt tokens and seconds. Runs on the fit split by default, so the tune and test
splits stay untouched. Records go to bench/results/drafts-TAG.jsonl, the table to drafts-TAG.txt.

In run ab2 (`--per-set 25 --unanswerable 8 --variants current,top_heavy,global_rarity`) `current`
gave every passage a third of the budget and ranked sentences by shared terms; `top_heavy` is what
`select_passages` does since (two thirds for the first passage, the question's rarer terms first).
In run ab3 (`--types paraphrase --per-set 40 --unanswerable 0`) `wider_if_reworded` gave 360 words
instead of 240 when no retrieved passage holds half of the question's terms; `select_passages` has
done so since (REWORDED_BUDGET_FACTOR), so `current` now includes it.
In run ab4 (`--per-set 20 --unanswerable 6 --variants current,labels_once,labels_if_asked`) a
passage's file was named only at its file's first passage, or only for a question about files:
prompt tokens 921 -> 903 / 870 (seeds' hashed names cost ~22 tokens each), seconds 11.6 -> 11.0 /
10.6, right drafts 68 -> 67 / 65 % (seeds 18 -> 16 of 20 both); not adopted.
In run ab5 (`--per-set 20 --unanswerable 6 --variants current,question_first`) the question also
came before the passages (in the worked examples too): right drafts 68 -> 55 % (seeds 90 -> 75,
licences 65 -> 50, abstracts 50 -> 40 %), 70 more prompt tokens; not adopted.
In run ab6 (`--per-set 20 --unanswerable 6 --variants current,evidence_first`, stopped after the
seeds set) the reply first copied the sentence stating the answer, then answered ("its sentence
first", as the issue suggests), judged on the Answer line: right drafts 18 -> 11 of 20; 6 of the 20
replies were a bare citation ("[1]"), and the sentinel's first-token probability rose (median 0.28
-> 0.79), which would blind the refusal signal; +3.4 s median for the longer reply. Not adopted.
In run ab7 (`--per-set 14 --unanswerable 12 --variants current,two_near_misses`) a second worked
near miss (passages naming the museum, a year and the weaving room, asked when the room closed;
reply NOT FOUND) came before the file-names example: right drafts 74 -> 71 % (abstracts 50 -> 43,
seeds 93 and licences 79 unchanged), unanswerable ones declined 25 -> 28 % (seeds 6 -> 7 of 12),
91 more prefix tokens; not adopted.
In run ab8 (`--sets techdocs --split fit|tune --per-set 40 --unanswerable 10 --variants
current,headed`) each passage's label also named its section heading (`(guide.rst, section
"Options")`) when its text does not open with it: right drafts fit 68 -> 70 % (25 -> 26 of 37), tune
57 -> 48 % (12 -> 10 of 21; reworded 6 -> 3 of 12), 37 more prompt tokens; not adopted.
In run ab9 (`--sets seeds,licenses,abstracts,techdocs --per-set 14 --unanswerable 5 --types
paraphrase,multi_para,cross_doc,unanswerable --variants current,later_passage,later_and_two_part`,
stopped after seeds and licences, 38 questions) a worked reworded question answered from the third
passage while the first shares its words, and then also a two-part question answered from two
passages, joined the fixed examples: right drafts 12 / 12 / 12 of 28, unanswerable declined 1 / 1
/ 1 of 10, though 28 of the 38 replies changed; 141 / 276 more prefix tokens. Not adopted.
In run ab10 (`--sets seeds,licenses,abstracts,techdocs --split fit,tune --per-set 200 --unanswerable 0
--variants current,cosine_if_reworded,eight_cosine_if_reworded --worded-unlike-only`, stopped before
techdocs; 64 answerable questions no retrieved passage holds half the terms of, 49 of them reworded)
such a question's passages were trimmed to their sentences closest in meaning (MiniLM cosine)
instead of those richest in its rarer terms, from the best six or eight hits: right drafts 21 / 20 /
19 (seeds 6 / 6 / 6 of 29, licences 5 / 5 / 4 of 19, abstracts 10 / 9 / 9 of 16). With eight hits
the 360 words are spent before the seventh. Not adopted.
In runs s29-files and s29-files2 (`--sets seeds | techdocs,licenses,abstracts --split fit,tune --per-set
25 --unanswerable 8 --variants current,files_first,files_if_asked`, stopped before abstracts) the
file-names example came first instead of second (`files_first`), or it and its instruction were shown
only to a question about files (`files_if_asked`): right drafts 59 / 63 / 61 of 75 (seeds 20 / 23 / 23,
techdocs 21 / 21 / 21, licences 18 / 19 / 17 of 25); in `current` the model answered "Which NATO
communique ...?" and "On what date was ... published?" with "002.txt". `files_first` was adopted: the
examples' order since, so `current` now has it and `files_second` gives the order before.
In run s31-two-part (`--sets calibration,seeds,licenses,abstracts,techdocs --split fit,tune --per-set
200 --unanswerable 0 --types multi_para,cross_doc --variants current,wider_if_two_part,widest_if_two_part`,
stopped during the last variant's techdocs) a question asking two things (split in two parts, two
question words, or "each"/"both") got 360 or 480 words instead of 240, since for 19 of the 53
two-part fit+tune questions some gold line was trimmed out of the prompt (360 words: 33 -> 38 of
53 with every gold line in it; 480: 41). Right drafts 21 / 22 of 53 (5 turned right, 4 wrong) and
15 / 16 of 44; +94 / +173 prompt tokens, +0.9 / +2.1 s a question. Not adopted.
In runs s33-plain and s33-plain-unanswerable (`--sets seeds,licenses,abstracts,techdocs --split fit,tune
--per-set 200 --unanswerable 0 | --per-set 0 --unanswerable 200 --worded-unlike-only --variants
current,plain_question_if_reworded,both_questions_if_reworded`) a worded-unlike question was first
rewritten by the model in plain words (its own three worked examples, REWRITE_EXAMPLES; 1.18 s median)
and the draft asked the rewrite instead of the question, or the question followed by "In plain words:"
and the rewrite. Right drafts of the 92 answerable questions 35 / 40 / 39 (plain: 10 turned right, 5
wrong, seeds 7 / 8 / 11 of 29, licences 5 / 6 / 5 of 19, abstracts 12 / 12 / 11 of 19, techdocs 11 /
14 / 12 of 25); answerable declined 11 / 13 / 1 %, the 14 unanswerable ones declined 2 / 3 / 0. The
rewrite mostly shortens the question; it drops a qualifier now and then ("church-based", "systemd's
analysis tool") and the draft follows it. Given both, the model almost never declines. Run
s33-plain-test (`--sets seeds,seeds2,licenses,abstracts,techdocs,manuals,docs3,docs4 --split test
--per-set 200 --unanswerable 200 --worded-unlike-only --variants current,plain_question_if_reworded`),
held out: right drafts 60 -> 53 of 131 (8 turned right, 15 wrong; manuals 15 -> 10 of 30, docs4 13 ->
9 of 30, docs3 5 -> 3 of 17, seeds and seeds2 17 -> 20 of 34), unanswerable declined 6 -> 4 of 21.
The gain on fit+tune did not hold off it. Not adopted.
"""

from __future__ import annotations

import argparse
import json
import re
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answers import SETS, engine_for, split_of  # noqa: E402

from rag import prompting  # noqa: E402
from rag.evaluation import answer_is_correct, read_gold  # noqa: E402
from rag.prompting import PromptPassage, parse_reply, select_passages  # noqa: E402
from rag.questions import question_parts  # noqa: E402
from rag.text import terms  # noqa: E402

Variant = Callable[[str, list], tuple[str, str]]  # (question, hits) -> (prefix, prompt)


def _prompt(prefix: str, question: str, passages: list[PromptPassage]) -> str:
    user = prompting._user_message(question, prompting.passage_body(passages, question))
    return prefix + f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def current(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def no_examples(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting._turn("system", prompting.INSTRUCTIONS)
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def best_last(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    chosen = select_passages(question, hits, 240)
    reordered = [PromptPassage(i + 1, p.hit, p.text) for i, p in enumerate(reversed(chosen))]
    return prefix, _prompt(prefix, question, reordered)


def wider(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, select_passages(question, hits[:4], 360))


def _labelled_once(passages: list[PromptPassage]) -> str:
    """A file's name at its first passage only: seeds' hashed names cost ~22 tokens each."""
    seen: set[str] = set()
    lines = []
    for p in passages:
        file = p.hit.chunk.file
        label = "" if file in seen else f" ({file})"
        seen.add(file)
        lines.append(f"[{p.number}]{label} {' '.join(p.text.split())}")
    return "\n\n".join(lines)


def _unlabelled(passages: list[PromptPassage]) -> str:
    return "\n\n".join(f"[{p.number}] {' '.join(p.text.split())}" for p in passages)


def _prompt_with(prefix: str, question: str, body: str) -> str:
    user = prompting._user_message(question, body)
    return prefix + f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def labels_once(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt_with(prefix, question, _labelled_once(select_passages(question, hits, 240)))


def labels_if_asked(question: str, hits: list) -> tuple[str, str]:
    """File names only for a question about the files themselves (the abstention rule's test)."""
    from rag.abstention import asks_about_files

    prefix = prompting.system_prefix()
    passages = select_passages(question, hits, 240)
    if asks_about_files(question):
        return prefix, _prompt(prefix, question, passages)
    return prefix, _prompt_with(prefix, question, _unlabelled(passages))


def global_rarity(question: str, hits: list) -> tuple[str, str]:
    """The best sentences of all six passages compete for the budget, a lower rank costing up to
    30 % of a sentence's score; each passage keeps its chosen sentences in their order."""
    weights = prompting._term_weights(question, hits)
    score = lambda sentence: sum(weights.get(t, 0.0) for t in set(terms(sentence)))  # noqa: E731
    candidates = [
        (score(s) * (1 - 0.3 * rank / len(hits)), -len(s.split()), rank, i, s)
        for rank, hit in enumerate(hits)
        for i, s in enumerate(prompting._sentences(hit.chunk.text))
    ]
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    kept: dict[int, list[tuple[int, str]]] = defaultdict(list)
    used = 0
    for _, negative_words, rank, i, sentence in candidates:
        if used - negative_words <= 240:
            kept[rank].append((i, sentence))
            used -= negative_words
    chosen = [
        PromptPassage(n, hits[rank], " ".join(s for _, s in sorted(kept[rank])))
        for n, rank in enumerate(sorted(kept), 1)
    ]
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, chosen)


def _fixed_prefix(
    instructions: str = prompting.INSTRUCTIONS,
    examples: Sequence[tuple[str, str, str]] = prompting.EXAMPLES,
    message: Callable[[str, str], str] = prompting._user_message,
) -> str:
    """A variant's instructions and worked examples, built as prompting.system_prefix builds the tool's."""
    shots = "".join(
        prompting._turn("user", message(question, passages)) + prompting._turn("assistant", reply)
        for passages, question, reply in examples
    )
    return prompting._turn("system", instructions) + shots


def _question_first_message(question: str, body: str) -> str:
    return f"Question: {question.strip()}\n\n" + prompting._user_message(question, body)


def question_first(question: str, hits: list) -> tuple[str, str]:
    """The question before the passages as well as after them (so the model reads the passages
    knowing what is asked), in the worked examples too."""
    prefix = _fixed_prefix(message=_question_first_message)
    user = _question_first_message(question, prompting.passage_body(select_passages(question, hits, 240)))
    return prefix, prefix + f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


EVIDENCE_INSTRUCTIONS = prompting.INSTRUCTIONS.replace(
    "Reply with one short sentence in the words of the passages that answers exactly what is asked, "
    "and put the number of the passage it comes from in brackets after it, like: The terminal cost "
    "14 million euros [1].",
    "First copy, after 'Evidence:', the sentence of the passages that states the answer, with its "
    "passage's number in brackets; then, after 'Answer:', reply with one short sentence in the words "
    "of that sentence that answers exactly what is asked, citing the same number, like: Answer: The "
    "terminal cost 14 million euros [1].",
)
assert EVIDENCE_INSTRUCTIONS != prompting.INSTRUCTIONS, "the instruction it rewrites has changed"
EVIDENCE_REPLIES = (
    "Evidence: It cost 14 million euros, paid mostly by the regional government. [1]\n"
    "Answer: The new ferry terminal cost 14 million euros [1].",
    "Evidence: Councillors voted 7 to 2 to keep the library open on Sundays. [1] The library next to the "
    "harbour will host a ferry history exhibition. [2]\n"
    "Answer: council-minutes.txt says the library stays open on Sundays [1], and harbour-report.txt says "
    "it will host a ferry history exhibition [2].",
    prompting.NOT_FOUND,
)


def evidence_first(question: str, hits: list) -> tuple[str, str]:
    """The reply copies the sentence that states the answer before answering (the issue's 'its
    sentence first'); only the Answer line is judged."""
    examples = [(passages, q, reply) for (passages, q, _), reply in zip(prompting.EXAMPLES, EVIDENCE_REPLIES)]
    prefix = _fixed_prefix(EVIDENCE_INSTRUCTIONS, examples)
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def answer_line(reply: str) -> str:
    """The part of an evidence-first reply after 'Answer:' (the whole reply when it has none)."""
    marker = reply.rfind("Answer:")
    return reply[marker + len("Answer:"):] if marker >= 0 else reply


NEAR_MISS_EXAMPLE = (
    "[1] (museum-guide.txt) The city museum was founded in 1887 by a group of textile merchants. Its "
    "largest room holds a collection of old weaving looms.\n\n"
    "[2] (visitor-survey.txt) Most visitors said the weaving looms were the highlight of their trip.",
    "In what year did the city museum close its weaving room?",
    prompting.NOT_FOUND,
)


def two_near_misses(question: str, hits: list) -> tuple[str, str]:
    """A second worked near miss (the passages name the museum, a year and the weaving room, but
    not a closing) before the file-names example, so that the last example stays the same."""
    prefix = _fixed_prefix(examples=(prompting.EXAMPLES[0], NEAR_MISS_EXAMPLE, *prompting.EXAMPLES[1:]))
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def _headed(passages: list[PromptPassage]) -> str:
    """Each passage labelled with its section heading too, unless its text opens with it."""
    from rag.chunking import embedding_text

    lines = []
    for p in passages:
        chunk = p.hit.chunk
        shown = embedding_text(p.text, chunk.heading) != p.text
        label = f'{chunk.file}, section "{chunk.heading}"' if shown else chunk.file
        lines.append(f"[{p.number}] ({label}) {' '.join(p.text.split())}")
    return "\n\n".join(lines)


def headed(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt_with(prefix, question, _headed(select_passages(question, hits, 240)))


LATER_PASSAGE_EXAMPLE = (
    "[1] (station-guide.txt) Trains to the airport leave from platform 4 every fifteen minutes. Tickets "
    "for the airport train are sold at the machines on platform 4.\n\n"
    "[2] (station-guide.txt) Bicycles may be taken on any train outside the morning and evening rush hours.\n\n"
    "[3] (timetable-notes.txt) The first service of the day departs at 5:10 and the last at 23:40.",
    "How late in the evening can I still get to the airport by rail?",
    "The last service departs at 23:40 [3].",
)
TWO_PART_EXAMPLE = (
    "[1] (harbour-report.txt) The new ferry terminal opened in March 2019 after two years of construction.\n\n"
    "[2] (council-minutes.txt) Councillors voted 7 to 2 to keep the library open on Sundays.\n\n"
    "[3] (budget-2020.txt) The ferry terminal's running costs are paid by the port authority.",
    "When did the ferry terminal open, and who pays to run it?",
    "The ferry terminal opened in March 2019 [1], and its running costs are paid by the port authority [3].",
)


def later_passage(question: str, hits: list) -> tuple[str, str]:
    """A worked reworded question whose answer is in the third passage, while the first shares
    most of its words, after the first example."""
    prefix = _fixed_prefix(examples=(prompting.EXAMPLES[0], LATER_PASSAGE_EXAMPLE, *prompting.EXAMPLES[1:]))
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def later_and_two_part(question: str, hits: list) -> tuple[str, str]:
    """The later-passage example and a two-part question answered from two passages."""
    examples = (prompting.EXAMPLES[0], LATER_PASSAGE_EXAMPLE, TWO_PART_EXAMPLE, *prompting.EXAMPLES[1:])
    prefix = _fixed_prefix(examples=examples)
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


FILES_INSTRUCTION = " When asked which files say something, name the files."
assert FILES_INSTRUCTION in prompting.INSTRUCTIONS, "the instruction it drops has changed"


def files_second(question: str, hits: list) -> tuple[str, str]:
    """The worked examples in their order before run s29-files: the file-names example second,
    after the reworded question (what `current` was in runs s29-files and s29-files2)."""
    examples = (prompting.EXAMPLES[1], prompting.EXAMPLES[0], prompting.EXAMPLES[2])
    prefix = _fixed_prefix(examples=examples)
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


def files_if_asked(question: str, hits: list) -> tuple[str, str]:
    """The file-names example and instruction only for a question about the files themselves
    (rag.abstention.asks_about_files); any other question starts from a prefix without them (the
    file-names example is EXAMPLES[0] since run s29-files)."""
    from rag.abstention import asks_about_files

    if asks_about_files(question):
        prefix = prompting.system_prefix()
    else:
        prefix = _fixed_prefix(prompting.INSTRUCTIONS.replace(FILES_INSTRUCTION, ""), prompting.EXAMPLES[1:])
    return prefix, _prompt(prefix, question, select_passages(question, hits, 240))


# Set by main: the embedder the engine searches with, for the variants that rank sentences by meaning.
EMBEDDER = None


def _by_cosine(question: str, hits: list) -> Callable[[str, dict, int], str]:
    """A stand-in for prompting._best_sentences that keeps a passage's sentences closest in meaning
    to the question (MiniLM cosine) instead of those richest in its rarer terms: a reworded
    question shares few terms with the sentence that answers it."""
    import numpy as np

    sentences = sorted({s for hit in hits for s in prompting._sentences(hit.chunk.text)})
    vectors = EMBEDDER.embed_passages(sentences) if sentences else np.zeros((0, 1))
    query = EMBEDDER.embed_query(question)
    cosine = {s: float(v @ query) for s, v in zip(sentences, vectors)}

    def best(text: str, _weights: dict, budget: int) -> str:
        if len(text.split()) <= budget:
            return text
        own = prompting._sentences(text)
        return prompting.best_in_order(own, [cosine.get(sentence, 0.0) for sentence in own], budget)

    return best


def _select_reworded(question: str, hits: list, passages: int) -> list[PromptPassage]:
    """select_passages as shipped, except that for a worded-unlike question (the shipped test) the
    first `passages` hits are read and each is trimmed to its sentences closest in meaning."""
    if not prompting._worded_unlike(question, hits[:6]):
        return select_passages(question, hits[:6], 240)
    shipped = prompting._best_sentences
    prompting._best_sentences = _by_cosine(question, hits[:passages])
    try:
        return select_passages(question, hits[:passages], 240)
    finally:
        prompting._best_sentences = shipped


def cosine_if_reworded(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, _select_reworded(question, hits, 6))


def eight_cosine_if_reworded(question: str, hits: list) -> tuple[str, str]:
    """The same over the best eight hits (hybrid Hit@10 of held-out reworded questions is 80 of 99
    against 70 at 5), in the same words."""
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, _select_reworded(question, hits, 8))


_WH_WORDS = re.compile(r"\b(what|which|who|whom|when|where|how|why)\b", re.IGNORECASE)


def asks_two_things(question: str) -> bool:
    """A question split into two parts (rag.questions), asking with two question words, or about
    each or both of two things."""
    return (
        question_parts(question) is not None
        or len(_WH_WORDS.findall(question)) >= 2
        or re.search(r"\b(each|both)\b", question, re.IGNORECASE) is not None
    )


def _wider_if_two_part(question: str, hits: list, words: int) -> list[PromptPassage]:
    """A question asking two things gets `words` instead of 240 (a reworded one's 360 at least)."""
    if not asks_two_things(question):
        return select_passages(question, hits, 240)
    if prompting._worded_unlike(question, hits):
        words = max(words, round(240 * prompting.REWORDED_BUDGET_FACTOR))
        return select_passages(question, hits, round(words / prompting.REWORDED_BUDGET_FACTOR))
    return select_passages(question, hits, words)


def wider_if_two_part(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, _wider_if_two_part(question, hits, 360))


def widest_if_two_part(question: str, hits: list) -> tuple[str, str]:
    prefix = prompting.system_prefix()
    return prefix, _prompt(prefix, question, _wider_if_two_part(question, hits, 480))


# Set by main: the generator that drafts, for the variants that first rewrite the question.
GENERATOR = None
REWRITE_INSTRUCTIONS = (
    "You rewrite questions in plain, literal words. Replace every indirect description (a "
    "roundabout phrase for a person, place, organisation or thing) by the name or ordinary term it "
    "stands for, and keep everything else the question asks. Reply with the rewritten question only."
)
REWRITE_EXAMPLES = (
    ("What did the French capital's mayor say about two-wheeler lanes?",
     "What did the mayor of Paris say about bicycle lanes?"),
    ("How much did the software firm Bill Gates co-founded earn in its last fiscal year?",
     "How much did Microsoft earn in its last fiscal year?"),
    ("Which setting stops the editor from writing your work to disk after every keystroke?",
     "Which option disables automatic saving in the editor?"),
)
_REWRITES: dict[str, str] = {}
_REWRITE_SECONDS: dict[str, float] = {}


def rewrite_prefix() -> str:
    shots = "".join(prompting._turn("user", q) + prompting._turn("assistant", a) for q, a in REWRITE_EXAMPLES)
    return prompting._turn("system", REWRITE_INSTRUCTIONS) + shots


def plain_words(question: str) -> str:
    """The model's rewrite of question in plain words (one line), kept for the other variants."""
    if question not in _REWRITES:
        prefix = rewrite_prefix()
        started = time.perf_counter()
        GENERATOR.start_from(prefix)
        reply = GENERATOR.generate(
            prefix + prompting._turn("user", question) + "<|im_start|>assistant\n", max_tokens=60
        ).text
        _REWRITES[question] = " ".join(reply.split()) or question
        _REWRITE_SECONDS[question] = round(time.perf_counter() - started, 2)
    return _REWRITES[question]


def plain_question_if_reworded(question: str, hits: list) -> tuple[str, str]:
    """A worded-unlike question is asked in the model's plain rewrite instead (the passages are
    chosen for the question as asked)."""
    prefix = prompting.system_prefix()
    passages = select_passages(question, hits, 240)
    if not prompting._worded_unlike(question, hits):
        return prefix, _prompt(prefix, question, passages)
    return prefix, _prompt(prefix, plain_words(question), passages)


def both_questions_if_reworded(question: str, hits: list) -> tuple[str, str]:
    """A worded-unlike question is asked as written, followed by its plain rewrite."""
    prefix = prompting.system_prefix()
    passages = select_passages(question, hits, 240)
    if not prompting._worded_unlike(question, hits):
        return prefix, _prompt(prefix, question, passages)
    return prefix, _prompt(prefix, f"{question}\nIn plain words: {plain_words(question)}", passages)


# Variants given the best DEEPER hits of one search; the others get its first top_k, as shipped.
DEEPER = 8
READS_DEEPER = {"eight_cosine_if_reworded"}

VARIANTS: dict[str, Variant] = {
    "plain_question_if_reworded": plain_question_if_reworded,
    "both_questions_if_reworded": both_questions_if_reworded,
    "wider_if_two_part": wider_if_two_part,
    "widest_if_two_part": widest_if_two_part,
    "cosine_if_reworded": cosine_if_reworded,
    "eight_cosine_if_reworded": eight_cosine_if_reworded,
    "later_passage": later_passage,
    "later_and_two_part": later_and_two_part,
    "headed": headed,
    "current": current, "no_examples": no_examples, "best_last": best_last, "wider": wider,
    "global_rarity": global_rarity,
    "labels_once": labels_once,
    "labels_if_asked": labels_if_asked,
    "question_first": question_first,
    "evidence_first": evidence_first,
    "two_near_misses": two_near_misses,
    "files_second": files_second,
    "files_if_asked": files_if_asked,
}
# Variants whose reply is more than the answer: how to read the answer, and the tokens it may take.
ANSWER_OF: dict[str, Callable[[str], str]] = {"evidence_first": answer_line}
MAX_TOKENS = {"evidence_first": 160}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="seeds,licenses,abstracts")
    parser.add_argument("--split", default="fit")
    parser.add_argument("--per-set", type=int, default=35, help="answerable questions per set")
    parser.add_argument("--unanswerable", type=int, default=10, help="unanswerable questions per set")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--tag", default="ab")
    parser.add_argument("--types", default="", help="only these question types (comma-separated)")
    parser.add_argument("--worded-unlike-only", action="store_true",
                        help="only questions no retrieved passage holds half the terms of (where the reworded rules apply)")
    args = parser.parse_args()

    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    variants = {name: VARIANTS[name] for name in args.variants.split(",")}
    global EMBEDDER, GENERATOR
    embedder = EMBEDDER = MiniLMEmbedder()
    generator = GENERATOR = LlamaGenerator(Settings().model_path, threads=Settings().threads,
                                           state_dir=ROOT / "bench" / "work" / "states")
    records = []
    out = ROOT / "bench" / "results" / f"drafts-{args.tag}.jsonl"
    with open(out, "w", encoding="utf-8") as sink:
        for name in args.sets.split(","):
            corpus, gold_file, _ = SETS[name]
            engine = engine_for(corpus, embedder, generator)
            gold = [q for q in read_gold(gold_file) if split_of(name, q.id) in args.split.split(",")]
            if args.types:
                gold = [q for q in gold if q.type in args.types.split(",")]
            chosen = [q for q in gold if q.answerable][: args.per_set]
            chosen += [q for q in gold if not q.answerable][: args.unanswerable]
            retrieved = [
                (question, engine.search(question.question), engine.search(question.question, DEEPER))
                for question in chosen
            ]
            if args.worded_unlike_only:
                retrieved = [r for r in retrieved if prompting._worded_unlike(r[0].question, r[1])]
            for variant, build in variants.items():  # one variant at a time: its checkpoint stays cached
                for question, hits, deeper in retrieved:
                    prefix, prompt = build(question.question, deeper if variant in READS_DEEPER else hits)
                    started = time.perf_counter()
                    generator.start_from(prefix)
                    generation = generator.generate(
                        prompt, max_tokens=MAX_TOKENS.get(variant, 80),
                        probe=[prompting.NOT_FOUND], suppress_probe=True,
                    )
                    text, _, declined = parse_reply(ANSWER_OF.get(variant, str)(generation.text))
                    record = {
                        "set": name, "id": question.id, "type": question.type, "variant": variant,
                        "answerable": question.answerable,
                        "declined": declined or generation.probe_probability > 0.5,
                        "refusal": round(generation.probe_probability, 4),
                        "correct": question.answerable and answer_is_correct(question, text),
                        "reply": generation.text, "prompt_tokens": generation.prompt_tokens,
                        "rewrite": _REWRITES.get(question.question),
                        "rewrite_seconds": _REWRITE_SECONDS.get(question.question),
                        "seconds": round(time.perf_counter() - started, 2),
                    }
                    records.append(record)
                    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                    sink.flush()
                print(f"{name} {variant} done", file=sys.stderr)
    generator.close()
    report = table(records, list(variants))
    (ROOT / "bench" / "results" / f"drafts-{args.tag}.txt").write_text(report, encoding="utf-8")
    print(report)


def table(records: list[dict], variants: list[str]) -> str:
    """Per set and type: right drafts / declined answerable / declined unanswerable, per variant."""
    groups: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        for key in ((r["set"], "all"), (r["set"], r["type"]), ("ALL", "all")):
            groups[key][r["variant"]].append(r)
    lines = ["set / type: per variant  right% of answerable, declined% of answerable, declined% of unanswerable,"
             " mean prompt tokens, mean s"]
    for (set_name, kind), by_variant in sorted(groups.items()):
        cells = []
        for variant in variants:
            rows = by_variant.get(variant, [])
            answerable = [r for r in rows if r["answerable"]]
            unanswerable = [r for r in rows if not r["answerable"]]
            pct = lambda part, whole: f"{100 * len(part) / len(whole):3.0f}" if whole else "  -"  # noqa: E731
            cells.append(
                f"{variant} {pct([r for r in answerable if r['correct']], answerable)}"
                f"/{pct([r for r in answerable if r['declined']], answerable)}"
                f"/{pct([r for r in unanswerable if r['declined']], unanswerable)}"
                f" {sum(r['prompt_tokens'] for r in rows) / max(len(rows), 1):4.0f}t"
                f" {sum(r['seconds'] for r in rows) / max(len(rows), 1):4.1f}s"
            )
        lines.append(f"{set_name:10} {kind:13} n={len(by_variant[variants[0]]):3}  " + "  |  ".join(cells))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
