"""The prompt: fixed instructions and worked examples first (evaluated once, then reused from the
KV cache), then the numbered passages, each labelled with its file, and the question.

Passages are trimmed to whole sentences within a word budget, because every prompt token costs
time on a laptop CPU; the best-ranked passage gets the largest share, and the sentences kept are
those holding most of the question's rarer terms, the shorter first among equals, so that a long
opening sentence does not crowd out the one that answers.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass

from rag.chunking import headed_tables, sentence_spans, table_row_spans, under_table_header
from rag.file_labels import file_labels
from rag.file_labels import with_file_names as named_back
from rag.retrieval import REWORDED_COVERAGE, Hit, term_share
from rag.text import STOP_WORDS, terms, words

NOT_FOUND = "NOT FOUND"
ABSTENTION = "The documents do not answer this."

INSTRUCTIONS = (
    "You answer questions using only the numbered passages the user gives you, never your own "
    "knowledge. Each passage starts with its number and the file it comes from. Reply with one short "
    "sentence in the words of the passages that answers exactly what is asked, and put the number of "
    "the passage it comes from in brackets after it, like: The terminal cost 14 million euros [1]. "
    "When the answer needs two passages, take each part from its own passage and cite both. When "
    "asked which files say something, name the files. A passage that uses the question's words but "
    f"does not state what is asked does not answer it. If the passages do not state the answer, "
    f"reply exactly: {NOT_FOUND}"
)

# Worked examples, fixed for every question so they stay in the KV cache. Invented text, so that
# nothing here overlaps any corpus the tool is evaluated on. The file-names example comes first: in
# second place, nearer the question, it led the 1.5B model to answer "Who wrote the article on X?" or
# "According to the report, which city ...?" with a file's name, or to open with "notes.txt says"
# (bench/drafts_ab.py runs s29-files and s29-files2 on fit and tune questions: right drafts 59 -> 63
# of 75 over seeds, techdocs and licences).
EXAMPLES = (
    (
        "[1] (council-minutes.txt) Councillors voted 7 to 2 to keep the library open on Sundays.\n\n"
        "[2] (harbour-report.txt) The library next to the harbour will host a ferry history exhibition.\n\n"
        "[3] (budget-2020.txt) The ferry terminal's running costs are paid by the port authority.",
        "Which files mention the library, and what does each say about it?",
        "council-minutes.txt says the library stays open on Sundays [1], and harbour-report.txt says "
        "it will host a ferry history exhibition [2].",
    ),
    (
        "[1] (harbour-report.txt) The new ferry terminal opened in March 2019 after two years of "
        "construction. It cost 14 million euros, paid mostly by the regional government.\n\n"
        "[2] (council-minutes.txt) Councillors voted 7 to 2 to keep the library open on Sundays.",
        "How much did it cost to build the place where the boats now dock?",
        "The new ferry terminal cost 14 million euros [1].",
    ),
    (
        "[1] (harbour-report.txt) The new ferry terminal opened in March 2019 after two years of "
        "construction.\n\n"
        "[2] (council-minutes.txt) The mayor thanked the engineers who designed the ferry terminal.",
        "Who was the chief engineer of the ferry terminal?",
        NOT_FOUND,
    ),
)

# The evidence check's own prefix: instructions for judging, not answering, and worked judgements,
# four of them near misses of the kinds adversarial unanswerable questions are written as (another
# condition or method, a detail named but not given, the smallest for the biggest, another thing).
# Invented like EXAMPLES. Against the check asked after the answering prefix, on the same recorded
# drafts (bench/judge_ab.py): AUC for right drafts against unanswerable questions 0.809 -> 0.872 on
# nine held-out sets, higher on eight; fit+tune 0.863 -> 0.884.
JUDGE_INSTRUCTIONS = (
    "You check whether numbered passages state the answer to a question. Reply yes when they "
    "state what the question asks, for exactly the thing, time, place, person, method or condition "
    "it asks about, even in other words. Reply no when they only use the question's words: when "
    "they give the fact for something else than what is asked, name the detail without giving it, "
    "or do not say it at all."
)
JUDGE_EXAMPLES = (
    ("[1] (trial.txt) Measured with the indoor test, the battery lasted 11 hours.",
     "How long did the battery last in the outdoor test?", "no"),
    ("[1] (trial.txt) Measured with the indoor test, the battery lasted 11 hours.",
     "For how many hours did the cell keep going when it was tested inside?", "yes"),
    ("[1] (minutes.txt) The council discussed the budget of the new library at length and asked "
     "for a second estimate.", "How much is the budget of the new library?", "no"),
    ("[1] (parks.txt) The smallest of the town's three parks covers 2 hectares.",
     "How large is the town's biggest park?", "no"),
    ("[1] (survey.txt) In the 2018 survey, 64 % of residents said they took the ferry every week.",
     "What share of residents took the ferry every week according to the 2018 survey?", "yes"),
    ("[1] (harbour.txt) The ferry terminal was designed by Marta Lindqvist and opened in 2019.",
     "Who designed the bus station?", "no"),
    ("[1] (harbour.txt) The ferry terminal opened in 2019.\n\n[2] (budget.txt) Its running costs are "
     "paid by the port authority.", "When did the ferry terminal open, and who pays for running it?", "yes"),
)

PRECHECK_QUESTION = "Do the passages state the answer to this question? Reply yes or no."
CHECK_QUESTION = "Is your answer stated in the passages? Reply yes or no."
MIN_PASSAGE_WORDS = 15
FIRST_PASSAGE_SHARE = 2 / 3
LATER_PASSAGE_SHARE = 1 / 3
# A reworded question gets half as many words again: on 36 reworded fit questions, paired on the
# same passages (bench/drafts_ab.py --types paraphrase, drafts-ab3-reworded), right drafts 25 -> 42 %
# for 176 more prompt tokens (~2.8 s on 2 cores); the answer reached the prompt 56 -> 72 % (seeds).
REWORDED_BUDGET_FACTOR = 1.5
CITATION_MARK = re.compile(r"\s*\[(\d+(?:\s*(?:,|\]\s*\[)\s*\d+)*)\]")
_MARK_NUMBER = re.compile(r"\d+")
# A mark with the space after it when punctuation follows ("nine hours [1] ." -> "nine hours."); the
# model's own spaces elsewhere stay ("the .xz format", "Press . to repeat").
_MARK_AND_SPACE = re.compile(CITATION_MARK.pattern + r"(?:\s+(?=[.,;:!?](?:[\s\"'”’)\]]|$)))?")
# A mark cut off by the answer's token limit ("... air campaign [1"), not a number of the answer.
_CUT_MARK = re.compile(r"\s*\[[\d,\s]*$")


@dataclass(frozen=True)
class PromptPassage:
    """A hit as shown to the model: its number in the prompt and the text it was given (under the
    header row of the table the chunk continues, when it continues one)."""

    number: int
    hit: Hit
    text: str


def _turn(role: str, text: str) -> str:
    return f"<|im_start|>{role}\n{text}<|im_end|>\n"


def _user_message(question: str, body: str) -> str:
    return f"Passages:\n{body}\n\nQuestion: {question.strip()}"


@functools.cache
def system_prefix() -> str:
    """Instructions and worked examples in Qwen's ChatML template: the same for every question."""
    shots = "".join(
        _turn("user", _user_message(question, passages)) + _turn("assistant", reply)
        for passages, question, reply in EXAMPLES
    )
    return _turn("system", INSTRUCTIONS) + shots


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOP_WORDS and not re.fullmatch(r"\w|\d\d?", w)]


@functools.cache
def _example_pairs() -> frozenset[tuple[str, str]]:
    """Each two content words that follow one another in a worked example ("ferry terminal",
    "march 2019", "million euros"): single words ("place", "after") are too common to tell."""
    pairs: set[tuple[str, str]] = set()
    for example in EXAMPLES:
        for text in example:
            found = _content_words(text)
            pairs.update(zip(found, found[1:]))
    return frozenset(pairs)


@functools.cache
def _example_numbers() -> frozenset[str]:
    """The worked examples' numbers of three digits or more ("2019"; shorter ones are not content words)."""
    return frozenset(w for pair in _example_pairs() for w in pair if w.isdigit())


def borrowed_from_examples(reply: str, question: str, passages: list[PromptPassage]) -> list[str]:
    """The words a reply took from the worked examples, when it took an example's content rather
    than the passages': two content words in a row of an example, or an example's number of three
    digits or more, that neither the question nor any passage (nor its file's name) holds ("March
    2019", "14 million euros", "The new ferry terminal opened ..."). The 1.5B model does so on
    about 2 % of questions, mostly short or generic ones ("What was the naval base called?");
    [] otherwise.
    """
    found = _content_words(reply)
    borrowed = {w for pair in zip(found, found[1:]) if pair in _example_pairs() for w in pair}
    borrowed.update(w for w in found if w in _example_numbers())
    if not borrowed:  # nearly every reply: the passages need not be read
        return []
    shown = set(words(question))
    for passage in passages:
        shown.update(words(passage.text), words(passage.hit.chunk.file))
    return [w for w in dict.fromkeys(found) if w in borrowed and w not in shown]


@functools.cache
def judge_prefix(examples: tuple[tuple[str, str, str], ...] = JUDGE_EXAMPLES) -> str:
    """The evidence check's instructions and worked judgements in ChatML: the same for every draft
    (other examples only for benchmarks that compare them)."""
    shots = "".join(
        _asking_precheck(_question_turn(question, passages, prefix="")) + f"{verdict}<|im_end|>\n"
        for passages, question, verdict in examples
    )
    return _turn("system", JUDGE_INSTRUCTIONS) + shots


def _numbered(sources: list[tuple[int, str, str]], question: str = "") -> str:
    """(number, file, text) as the model sees a passage: its number, its file's label
    (rag.file_labels), its text on one line but for a table's rows."""
    labels = file_labels((file for _, file, _ in sources), question)
    return "\n\n".join(f"[{n}] ({labels[file]}) {_flowed(text)}" for n, file, text in sources)


def _flowed(text: str) -> str:
    """The text on one line, as a hard-wrapped source's own breaks would leave it ragged; but each
    row of a table (rag.chunking.table_row_spans) on a line of its own: run together, a row's last
    cell reads as the next row's first ("Hillcrest | Uplands | 08:00 | 6 Riverside | ...") and a
    small model misreads the columns."""
    rows = table_row_spans(text)
    if not rows:
        return " ".join(text.split())
    pieces: list[str] = []
    cursor = 0
    for row_start, row_end in rows:
        pieces.extend((" ".join(text[cursor:row_start].split()), " ".join(text[row_start:row_end].split())))
        cursor = row_end
    pieces.append(" ".join(text[cursor:].split()))
    return "\n".join(piece for piece in pieces if piece)


def passage_body(passages: list[PromptPassage], question: str = "") -> str:
    return _numbered([(p.number, p.hit.chunk.file, p.text) for p in passages], question)


def with_file_names(reply: str, question: str, passages: list[PromptPassage]) -> str:
    """The model's reply to a prompt built from passages, with the file labels it wrote put back
    as the files' names."""
    return named_back(reply, (p.hit.chunk.file for p in passages), question)


_FIRST_WORD = re.compile(r"[a-z][\w'-]*")


def cased_as_written(reply: str, passages: list[PromptPassage]) -> str:
    """The reply with its first word capitalised as the passages write it: the model sometimes
    opens with a lower-case name ("mara Olsen retired in 2019", the passage says "Mara Olsen").
    A word the passages write in lower case too ("npm", "iPhone") stays as it is."""
    first = _FIRST_WORD.match(reply)
    if first is None:
        return reply
    word = first.group()
    capitalised = word[0].upper() + word[1:]
    text = " ".join(p.text for p in passages)
    if re.search(rf"\b{re.escape(capitalised)}\b", text) and not re.search(rf"\b{re.escape(word)}\b", text):
        return capitalised + reply[len(word):]
    return reply


def _question_turn(question: str, body: str, prefix: str | None = None) -> str:
    """The user's turn after a fixed prefix (the answer's instructions unless another is given)."""
    return (system_prefix() if prefix is None else prefix) + f"<|im_start|>user\n{_user_message(question, body)}"


def _asking_precheck(question_turn: str) -> str:
    return question_turn + f"\n\n{PRECHECK_QUESTION}<|im_end|>\n<|im_start|>assistant\n"


def question_prefix(question: str, passages: list[PromptPassage]) -> str:
    """Everything up to the end of the question: shared by the pre-check and the answer prompt."""
    return _question_turn(question, passage_body(passages, question))


def build_prompt(question: str, passages: list[PromptPassage]) -> str:
    """The prompt that asks for the answer, ending where the assistant starts to speak."""
    return question_prefix(question, passages) + "<|im_end|>\n<|im_start|>assistant\n"


def precheck_prompt(question: str, passages: list[PromptPassage]) -> str:
    """Before answering, ask whether the passages state the answer; shares the answer prompt's prefix."""
    return _asking_precheck(question_prefix(question, passages))


def evidence_prompt(question: str, evidence: list[tuple[str, str]]) -> str:
    """The pre-check asked again on only the sentences the answer was drawn from, as (file,
    sentence) pairs: a sentence that shares the question's words without stating what is asked
    is easier to see for what it is alone than among six passages. Starts from judge_prefix()."""
    numbered = [(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)]
    return _asking_precheck(_question_turn(question, _numbered(numbered, question), judge_prefix()))


def check_prompt(answer_prompt: str, reply: str) -> str:
    """After the reply, ask whether it is stated in the passages (the passages stay in the KV cache)."""
    return answer_prompt + reply + "<|im_end|>\n" + _turn("user", CHECK_QUESTION) + "<|im_start|>assistant\n"


def select_passages(question: str, hits: list[Hit], word_budget: int) -> list[PromptPassage]:
    """Passages in rank order within word_budget (half as much again for a reworded question). The
    first may take two thirds of the budget (it holds the answer most often, and a long passage cut
    to a third lost it), each later one a third (an answer drawing on two passages needs the
    second); a passage longer than its share or than what remains is cut to its sentences richest
    in the question's rarer terms. A passage that continues a table, or whose table's header row the
    cut left out, is shown under that header row, which counts against the budget: its rows alone
    do not say what their numbers are."""
    weights = _term_weights(question, hits)
    if _worded_unlike(question, hits):
        word_budget = round(word_budget * REWORDED_BUDGET_FACTOR)
    chosen: list[PromptPassage] = []
    remaining = word_budget
    for rank, hit in enumerate(hits):
        if remaining < MIN_PASSAGE_WORDS:
            break
        share = FIRST_PASSAGE_SHARE if rank == 0 else LATER_PASSAGE_SHARE
        text = _best_sentences(hit.chunk.text, weights, min(max(int(word_budget * share), MIN_PASSAGE_WORDS), remaining))
        if not text:
            continue
        text = under_table_header(text, hit.chunk.table_header or _header_cut_off(hit.chunk.text, text))
        chosen.append(PromptPassage(len(chosen) + 1, hit, text))
        remaining -= len(text.split())
    return chosen


def _header_cut_off(text: str, kept: str) -> str | None:
    """The header row of a table in text that cutting it to kept left out while keeping some of the
    table's rows: those rows alone do not say what their numbers are."""
    if kept == text:
        return None
    for header, rows in headed_tables(text):
        header_row = text[header[0] : header[1]].strip()
        if header_row not in kept and any(text[a:b].strip() in kept for a, b in rows if (a, b) != header):
            return header_row
    return None


def _worded_unlike(question: str, hits: list[Hit]) -> bool:
    """No retrieved passage holds half of the question's terms: a reworded question, whose
    answer sits in a lower-ranked passage more often than a worded-alike question's does (the
    header row a continued table's passage carries is read with it, as keyword search reads it)."""
    wanted = set(terms(question))
    best = max((term_share(wanted, under_table_header(hit.chunk.text, hit.chunk.table_header)) for hit in hits),
               default=0.0)
    return not wanted or best < REWORDED_COVERAGE


def _term_weights(question: str, hits: list[Hit]) -> dict[str, float]:
    """Each question term weighted by how few of the retrieved sentences hold it: a name that is in
    every passage ("Kerry") says less about which sentence answers than a term found in one."""
    wanted = set(terms(question))
    held = [wanted & _sentence_terms(sentence) for hit in hits for sentence in _sentences(hit.chunk.text)]
    counts = Counter(term for found in held for term in found)
    return {term: math.log(1 + len(held) / max(counts[term], 1)) for term in wanted}


def _sentences(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in sentence_spans(text)]


@functools.lru_cache(maxsize=1024)
def _sentence_terms(sentence: str) -> frozenset[str]:
    """Cached: the weights read every retrieved sentence, and trimming reads the long ones again."""
    return frozenset(terms(sentence))


def _best_sentences(text: str, weights: dict[str, float], budget: int) -> str:
    """The whole text when it fits, else the sentences with most question-term weight, in their
    original order, within budget; a table's rows kept each on a line of its own."""
    if len(text.split()) <= budget:
        return text
    sentences = _sentences(text)
    # fsum: a set's order changes with the process's hash seed, and a float sum with its order,
    # which would break ties between equal sentences differently from one run to the next
    scores = [math.fsum(weights.get(term, 0.0) for term in _sentence_terms(sentence)) for sentence in sentences]
    row_lines = {text[start:end].strip() for start, end in table_row_spans(text)}
    return best_in_order(sentences, scores, budget, frozenset(i for i, s in enumerate(sentences) if s in row_lines))


def best_in_order(sentences: list[str], scores: list[float], budget: int, rows: frozenset[int] = frozenset()) -> str:
    """The best-scored sentences that fit in budget words, in their original order (a line between
    two of the `rows`, a table's rows, else a space); the best one cut to the budget when none fits."""
    ranked = sorted(  # heaviest first; of equals, the shorter (denser) one, then the earlier
        range(len(sentences)), key=lambda i: (-scores[i], len(sentences[i].split()), i)
    )
    keep: list[int] = []
    used = 0
    for i in ranked:
        words = len(sentences[i].split())
        if used + words <= budget:
            keep.append(i)
            used += words
    if not keep and ranked:
        return " ".join(sentences[ranked[0]].split()[:budget])
    kept = sorted(keep)
    parts = [sentences[kept[0]]]
    for previous, i in zip(kept, kept[1:]):
        parts.append(("\n" if previous in rows and i in rows else " ") + sentences[i])
    return "".join(parts)


# A reply that puts the sentinel after a subject ("The mayor of Aleppo is NOT FOUND") or says in
# words that the passages do not hold the answer declines too; "not found" in lower case inside an
# answer is text ("the convoy was not found by the monitors"). Of the 409 recorded drafts of our
# three sets (v8 fit, tune and test), the 7 that match answer unanswerable questions (the decision
# withheld them all; this makes it certain).
_DECLINES_INSIDE = re.compile(rf"\b{NOT_FOUND}\b")
_SAYS_PASSAGES_LACK_IT = re.compile(
    r"\bnot (?:mentioned|stated|specified|given|provided|found|included)\b[^.]{0,30}\b(?:the|any|these) "
    r"(?:given |provided )?passages?\b|\bpassages? (?:do|does) not (?:say|state|specify|mention|give|"
    r"provide|contain)\b",
    re.IGNORECASE,
)


def is_refusal(reply: str) -> bool:
    """A reply that opens with the sentinel (any case), holds it in capitals, or says the passages
    do not state the answer."""
    text = reply.strip()
    return (
        not text
        or text.upper().startswith(NOT_FOUND)
        or bool(_DECLINES_INSIDE.search(text))
        or bool(_SAYS_PASSAGES_LACK_IT.search(text))
    )


def parse_reply(reply: str) -> tuple[str, list[int], bool]:
    """(answer without citation marks, cited passage numbers, whether the model declined)."""
    text = reply.strip()
    if is_refusal(text):
        return "", [], True
    numbers = [int(n) for mark in CITATION_MARK.findall(text) for n in _MARK_NUMBER.findall(mark)]
    answer = _CUT_MARK.sub("", _MARK_AND_SPACE.sub("", text)).strip()
    return _names_once(answer), list(dict.fromkeys(numbers)), False


_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
# a name with an extension, or one in capitals as project files go without one (README, NEWS)
_FILE_NAME = re.compile(r"[\w./-]+\.[A-Za-z]\w{0,4}|(?:[\w.-]+/)*[A-Z][A-Z0-9_-]{2,}")


def _names_once(answer: str) -> str:
    """A reply that only lists file names, each once: the model sometimes repeats them
    ("a.txt, b.html, a.txt, b.html")."""
    names = _LIST_SEPARATOR.split(answer.rstrip(". "))
    if len(names) < 2 or not all(_FILE_NAME.fullmatch(name) for name in names):
        return answer
    unique = list(dict.fromkeys(names))
    return answer if len(unique) == len(names) else ", ".join(unique)
