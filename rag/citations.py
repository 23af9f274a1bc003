"""Everything about citations: which passage supports each answer sentence, which paragraph of it
is cited, and the verbatim quote shown beside it.

The model's own passage numbers are a hint, not the truth: each answer sentence is matched to the
passage(s) whose words and names written as code (`--debug`, `max_bandwidth`) support it, a
sentence stating a number that neither those passages nor the question hold is supported by
none, numbers that point at no passage are ignored, and quotes are cut verbatim from the file text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TypeVar

from rag.chunking import (
    SECTION_LABEL, Chunk, header_above, is_lead_in, sentence_spans, table_row_spans, under_table_header,
)
from rag.corpus import Paragraph
from rag.file_labels import named_files, only_file_names
from rag.numbers import claimed_readings, stated_numbers, unstated
from rag.prompting import PromptPassage
from rag.results import LINE_FORMATS, Claim, Clause, Passage
from rag.text import is_distinctive, terms

# "3. Reboot.": a list or section number before a claim is no word of it
_LEADING_LABEL = re.compile(rf"^\s*{SECTION_LABEL}\s+")
_LIST_LABELS = re.compile(rf"(?m)^\s*{SECTION_LABEL}\s+")  # "1. a.txt\n2. b.txt"

Sources = TypeVar("Sources")  # a clause's passages, or its citations' numbers

SUPPORTED = 0.6
SECOND_PASSAGE_MIN_TERMS = 2
ONE_PASSAGE_ENOUGH = 0.8  # a claim this well covered by one passage gets no second citation
QUESTION_WEIGHT = 0.3
CITED_BONUS = 0.1
QUOTE_CHARS = 240

# `PYENV_VIRTUALENV_PROMPT`, `--smc-check=all`, `gpl-3.0.txt`, `Rules-Requires-Root`: a name written
# as code. Its words alone ("pyenv", "prompt") are in many passages; the whole name is in the one
# that defines it.
_CODE_TOKEN = re.compile(r"[\w~./:=-]+")
_JOINED = re.compile(r"[^\W_][_./:=]+[\w~]")
_NAME_PART = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ClaimSupport:
    """One answer sentence and the passages that support it (empty when none does).

    `answer_terms` are the claim's terms the question does not hold, what the answer adds: the
    paragraph and sentence cited must hold them, not merely restate the question. Among paragraphs
    equal on those and on the claim's words, the one holding most `question_terms` is cited.
    """

    claim: str
    passages: tuple[PromptPassage, ...]
    support: float
    answer_terms: frozenset[str] = frozenset()
    question_terms: frozenset[str] = frozenset()
    narrowed: bool = False  # the claim is less than the model wrote: files it named wrongly left out
    clauses: tuple[tuple[str, tuple[PromptPassage, ...]], ...] = ()  # (clause, its own passages): see _clause_sources


def split_claims(answer: str) -> list[str]:
    return [answer[a:b].strip() for a, b in sentence_spans(answer)] or ([answer] if answer else [])


@lru_cache(maxsize=4096)
def distinctive_terms(text: str) -> frozenset[str]:
    """Cached: the same passages are read by attribution, citation and abstention signals."""
    return frozenset(t for t in terms(text) if is_distinctive(t))


def passage_terms(passage: PromptPassage) -> frozenset[str]:
    """A passage's terms, with its file name's and those of the table header it carries: the model
    sees them, and may name the file or a column."""
    chunk = passage.hit.chunk
    return frozenset().union(*map(distinctive_terms, _shown_parts(chunk)), distinctive_terms(chunk.file))


def _shown_parts(chunk: Chunk) -> tuple[str, ...]:
    """What the model is shown of a chunk: its text, and the header row of the table it continues."""
    return (chunk.text, chunk.table_header) if chunk.table_header else (chunk.text,)


@lru_cache(maxsize=4096)
def identifiers(text: str) -> frozenset[str]:
    """Names written as code in text, lower-cased, each marked with a leading "=" so that it never
    equals a word's stem: options (`--debug`), words joined by `_ . / : =` (not abbreviations such
    as "e.g."), and hyphenated words holding a digit (`COVID-19`) or of three parts or more with a
    capital after the first letter (`Rules-Requires-Root`, not "Up-to-date"); "command-line" and
    "US-Russia" stay words. A path's file name is a name of its own as well."""
    found = set()
    for token in _CODE_TOKEN.findall(text):
        token = token.rstrip(".,:;=/-")
        parts = _NAME_PART.findall(token)
        if all(len(part) < 2 and part.isalpha() for part in parts):
            continue
        hyphenated = "-" in token and (
            any(ch.isdigit() for ch in token) or (len(parts) >= 3 and any(ch.isupper() for ch in token[1:]))
        )
        if (token.startswith("-") and len(token) > 2) or _JOINED.search(token) or hyphenated:
            found.add("=" + token.lower())
            tail = token.rsplit("/", 1)[-1]
            if tail != token and _JOINED.search(tail):  # a path's file name, as an answer may give it
                found.add("=" + tail.lower())
    return frozenset(found)


def attribution_terms(text: str) -> frozenset[str]:
    """The terms attribution matches: stems of distinctive words, and names written as code."""
    return distinctive_terms(text) | identifiers(text)


# The words of a "which files mention ...?" question about the files, not about what they hold.
_ASKING_TERMS = attribution_terms(
    "file document article abstract paper report source text page pdfs webpage licence license mention refer "
    "cite quote say discuss describe talk about deal cover contain name list note information something "
    "anything written word words"
)


def _passage_attribution_terms(passage: PromptPassage) -> frozenset[str]:
    return passage_terms(passage).union(*map(identifiers, _shown_parts(passage.hit.chunk)))


def term_weight(term: str) -> int:
    """A name written as code counts as many words as it has parts: finding the whole name in a
    passage is as strong as finding each of its words there together."""
    return len(_NAME_PART.findall(term)) if term.startswith("=") else 1


def _weighted(found: AbstractSet[str]) -> int:
    return sum(term_weight(t) for t in found)


def _share(wanted: AbstractSet[str], found: AbstractSet[str]) -> float:
    """The share of wanted in found, a name counting as many words as it has parts; a name not
    found whole (written otherwise there: `max_bandwidth` for `s3.max_bandwidth`, "3.11" for
    "3.11.7") counts for nothing, never against the words that are found."""
    if not wanted:
        return 0.0
    words = {term for term in wanted if not term.startswith("=")}
    with_names = _weighted(wanted & found) / _weighted(wanted)
    return max(with_names, len(words & found) / len(words)) if words else with_names


def attribute(
    answer: str,
    question: str,
    passages: list[PromptPassage],
    cited: list[int],
    context: str = "",
    cut_off: bool = False,
) -> list[ClaimSupport]:
    """Support for each sentence of the answer, from the passages the model was given. The name of
    a passage's file in a claim ("guide.md says ...") is the label the model was shown, not
    content to support, so it counts as its words only, as it did before names were matched.

    A sentence stating a number that neither the question (nor `context`, the whole question a
    part was split from, nor a file name shown) nor the passages its words are found in state is
    supported by none, however many of its words are: the number is what it asserts
    (rag.numbers), and one from an unrelated passage answers another question. A passage the
    model cited or the paragraph next to a supporting one may supply it (_with_passage_stating).
    `cut_off`: the reply was cut off by the token limit, so its last word may be half a number.
    """
    terms_of = {p.number: _passage_attribution_terms(p) for p in passages}
    question_terms = attribution_terms(question)
    labels = frozenset().union(*(identifiers(p.hit.chunk.file) for p in passages))
    # the question's numbers and those of the file names shown (labels, not content) may be said anywhere
    asked = stated_numbers(question).union(stated_numbers(context), *(stated_numbers(p.hit.chunk.file) for p in passages))
    supports = []
    claims = split_claims(answer)
    for position, claim in enumerate(claims, 1):
        claim_terms = attribution_terms(_LEADING_LABEL.sub("", claim, count=1)) - labels
        last = cut_off and position == len(claims)
        readings = [unstated(reading, asked) for reading in claimed_readings(claim, len(passages), last)]
        support = _with_clauses(_support(claim, claim_terms, question_terms, passages, terms_of, cited),
                                labels, question_terms, passages, terms_of, cited)
        if support.passages and not any(_states(support.passages, reading) for reading in readings):
            support = _with_passage_stating(support, readings, passages, cited)
        supports.append(replace(support, clauses=_clause_sources(support, labels, terms_of)))
    return supports


_CLAUSE_BREAK = re.compile(r",\s+(?:and|while|but|whereas)\s+|;\s+")
MIN_CLAUSE_WORDS = 4


def _with_clauses(
    support: ClaimSupport,
    labels: AbstractSet[str],
    question_terms: AbstractSet[str],
    passages: list[PromptPassage],
    terms_of: dict[int, AbstractSet[str]],
    cited: list[int],
) -> ClaimSupport:
    """A sentence of two clauses, each supported by a passage of its own ("X produces a debug
    build, and CMake's Y should be set"), cites both passages, even when the passage that best
    supports the whole sentence holds most of both clauses' words; one that no two passages
    support whole is supported when each clause is, as the two sentences it joins would be."""
    clauses = [c for c in _CLAUSE_BREAK.split(support.claim) if len(c.split()) >= MIN_CLAUSE_WORDS]
    if len(clauses) < 2:
        return support
    parts = [_support(c, attribution_terms(c) - labels, question_terms, passages, terms_of, cited) for c in clauses]
    if not support.passages:
        return _by_clauses(support, parts, passages, terms_of)
    if not all(part.passages and part.support >= SUPPORTED for part in parts):
        return support
    found = list(support.passages)
    for part in parts:
        found.extend(p for p in part.passages[:1] if p not in found)
    return replace(support, passages=tuple(found))


def _clause_sources(
    support: ClaimSupport, labels: AbstractSet[str], terms_of: dict[int, AbstractSet[str]]
) -> tuple[tuple[str, tuple[PromptPassage, ...]], ...]:
    """The claim's clauses, each with the passage among its support that best holds what the clause
    adds to the question (then its words), when that tells them apart: every passage backs a
    clause, every clause has one holding SUPPORTED of what it adds, and the clauses' passages
    differ. Otherwise none, and the claim's citations back it whole.

    Each clause after the first opens with the separator before it (", and the listmasters ..."),
    so the clauses' texts joined are the claim."""
    if len(support.passages) < 2:
        return ()
    starts = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(support.claim)), len(support.claim)]
    texts = [support.claim[a:b] for a, b in zip(starts, starts[1:])]
    words = [_CLAUSE_BREAK.sub("", text, count=1) if i else text for i, text in enumerate(texts)]
    if len(texts) < 2 or any(len(w.split()) < MIN_CLAUSE_WORDS for w in words):
        return ()
    found = []
    for text, clause in zip(texts, words):
        wanted = attribution_terms(clause) - labels
        adds = wanted - support.question_terms or wanted
        scores = {p.number: (_share(adds, terms_of[p.number]), _share(wanted, terms_of[p.number]))
                  for p in support.passages}
        best = max(scores.values())
        found.append((text, tuple(p for p in support.passages if scores[p.number] == best and best[0] >= SUPPORTED)))
    used = {p.number for _, held in found for p in held}
    if any(not held for _, held in found) or used != {p.number for p in support.passages}:
        return ()
    return _joined_alike(found)


def _joined_alike(clauses: list[tuple[str, Sources]]) -> tuple[tuple[str, Sources], ...]:
    """Neighbouring clauses with the same passages as one ("A, but B [3], and C. [4]"); none when
    all have the same."""
    joined = [clauses[0]]
    for text, held in clauses[1:]:
        if held == joined[-1][1]:
            joined[-1] = (joined[-1][0] + text, held)
        else:
            joined.append((text, held))
    return tuple(joined) if len(joined) > 1 else ()


def _by_clauses(
    support: ClaimSupport, parts: list[ClaimSupport], passages: list[PromptPassage], terms_of: dict[int, AbstractSet[str]]
) -> ClaimSupport:
    """An answer to a two-part question drawn from three passages or more ("The ftpmasters check
    the licences ..., and the listmasters run the mail server ..."), each clause's support found
    alone; unsupported when any clause is, or when what a clause adds to the question ("the
    listmasters") is in none of the passages (a clause that adds nothing, "The attack was the
    subject of his must-read in, and ...", adds nothing any passage holds)."""
    found: list[PromptPassage] = []
    for part in parts:
        holding = _holding_what_it_adds(part, passages, terms_of)
        if not holding:
            return support
        found.extend(p for p in holding if p not in found)
    return replace(support, passages=tuple(found), support=min(part.support for part in parts))


def _holding_what_it_adds(
    part: ClaimSupport, passages: list[PromptPassage], terms_of: dict[int, AbstractSet[str]]
) -> tuple[PromptPassage, ...]:
    """A clause's supporting passages, with the one holding the terms it adds when they lack them
    (a clause echoing the question is best covered by the passage the question was worded from)."""
    if not part.passages or not part.answer_terms:
        return ()
    if _share(part.answer_terms, set().union(*(terms_of[p.number] for p in part.passages))) >= SUPPORTED:
        return part.passages
    adding = _supports_what_it_adds(part.answer_terms, passages, terms_of)
    return (*part.passages, *adding) if adding else ()


def _states(passages: Sequence[PromptPassage], numbers: frozenset[str]) -> bool:
    return not numbers or not unstated(
        numbers, frozenset().union(*(stated_numbers(part) for p in passages for part in _shown_parts(p.hit.chunk))))


def _with_passage_stating(
    support: ClaimSupport, readings: list[frozenset[str]], passages: list[PromptPassage], cited: list[int]
) -> ClaimSupport:
    """The support with one more passage that states the claim's numbers, when the passages its
    words are found in do not: one the model cited, or the paragraph next to one of them (a
    sentence cut by a chunk boundary). None such: the number came from a passage about something
    else ("2004" of another licence), and the claim is supported by none; a cited passage sharing
    no word with the claim but the number (a maintainer's "2004-2011" for "The MPL 2.0 was
    published in 2004.") is such a passage too. (Also accepting any
    passage sharing a word the claim adds let such near misses through again on recorded drafts.)"""
    ends = {(p.hit.chunk.file, n) for p in support.passages for n in (p.hit.chunk.first_paragraph, p.hit.chunk.last_paragraph)}
    words = _words(attribution_terms(support.claim))
    for passage in passages:
        if passage in support.passages or not any(_states([*support.passages, passage], r) for r in readings):
            continue
        chunk = passage.hit.chunk
        beside = {(chunk.file, n) for n in range(chunk.first_paragraph - 1, chunk.last_paragraph + 2)} & ends
        if beside or (passage.number in cited and words & _passage_attribution_terms(passage)):
            return replace(support, passages=(*support.passages, passage))
    return ClaimSupport(support.claim, (), 0.0, support.answer_terms, support.question_terms)


def _words(terms: AbstractSet[str]) -> set[str]:
    """The terms holding a letter: a claim's words, not its numbers."""
    return {term for term in terms if any(c.isalpha() for c in term)}


def _support(
    claim: str,
    claim_terms: AbstractSet[str],
    question_terms: AbstractSet[str],
    passages: list[PromptPassage],
    terms_of: dict[int, AbstractSet[str]],
    cited: list[int],
) -> ClaimSupport:
    if not passages:
        return ClaimSupport(claim, (), 0.0)
    named = named_files(claim, (p.hit.chunk.file for p in passages))
    subject = question_terms - _ASKING_TERMS
    if named and subject and only_file_names(_LIST_LABELS.sub("", claim), named):
        return _files_holding(claim, named, subject, passages, terms_of)
    if not claim_terms:
        valid = [p for p in passages if p.number in cited] or passages[:1]
        return ClaimSupport(claim, (valid[0],), 1.0)
    answer_terms = frozenset(claim_terms - question_terms)

    def coverage(wanted: AbstractSet[str], number: int) -> float:
        return _share(wanted, terms_of[number])

    def rank(p: PromptPassage) -> float:
        return (
            coverage(claim_terms, p.number)
            + QUESTION_WEIGHT * coverage(question_terms, p.number)
            + (CITED_BONUS if p.number in cited else 0.0)
        )

    best = max(passages, key=rank)
    chosen = [best]
    uncovered = claim_terms - terms_of[best.number]
    if len(uncovered) >= SECOND_PASSAGE_MIN_TERMS and coverage(claim_terms, best.number) < ONE_PASSAGE_ENOUGH:
        others = [p for p in passages if p is not best]
        if others:
            second = max(others, key=lambda p: _weighted(uncovered & terms_of[p.number]))
            adds = uncovered & terms_of[second.number]
            # a passage that adds only the question's own words ("Syrian") supports nothing new, nor
            # one sharing no word with the claim, only its number (another file's "2004-2011")
            shares_a_word = bool(_words(claim_terms) & terms_of[second.number])
            if _weighted(adds) * 2 >= _weighted(uncovered) and adds - question_terms and shares_a_word:
                chosen.append(second)
    support = _share(claim_terms, set().union(*(terms_of[p.number] for p in chosen)))
    if support >= SUPPORTED:
        return ClaimSupport(claim, tuple(chosen), support, answer_terms, frozenset(question_terms))
    return ClaimSupport(claim, _supports_what_it_adds(answer_terms, passages, terms_of), support, answer_terms,
                        frozenset(question_terms))


def _files_holding(
    claim: str,
    named: list[str],
    subject: AbstractSet[str],
    passages: list[PromptPassage],
    terms_of: dict[int, AbstractSet[str]],
) -> ClaimSupport:
    """A reply that is only file names ("a.txt, b.md") answers "which files ...?": a file it names
    counts when a passage of it shown holds some term of what the question asks about, and that
    passage supports it. Files without one are left out of the claim (a file listed only because it
    was shown is the commonest wrong reply); none left, and the claim is unsupported. What is asked
    about stands as what the claim adds, so each file's quote is the sentence holding it."""
    holding: dict[str, PromptPassage] = {}
    for file in named:
        best = max((p for p in passages if p.hit.chunk.file == file), key=lambda p: _weighted(subject & terms_of[p.number]))
        if subject & terms_of[best.number]:
            holding[file] = best
    if len(holding) == len(named):
        return ClaimSupport(claim, tuple(holding.values()), 1.0, frozenset(subject))
    if not holding:
        return ClaimSupport(claim, (), 0.0, frozenset(subject))
    *rest, last = holding
    listed = f"{', '.join(rest)} and {last}" if rest else last
    return ClaimSupport(f"{listed}.", tuple(holding.values()), 1.0, frozenset(subject), narrowed=True)


def _supports_what_it_adds(
    new_terms: AbstractSet[str], passages: list[PromptPassage], terms_of: dict[int, AbstractSet[str]]
) -> tuple[PromptPassage, ...]:
    """The passage holding what a claim adds to the question, when the claim echoes its wording.

    An answer to a reworded question repeats the question's words ("the Kremlin leader"), which no
    passage uses; the terms it adds (the answer itself) must still be found in one passage.
    """
    if not new_terms:
        return ()
    best = max(passages, key=lambda p: _share(new_terms, terms_of[p.number]))
    return (best,) if _share(new_terms, terms_of[best.number]) >= SUPPORTED else ()


EVIDENCE_SENTENCES = 3
EVIDENCE_CHARS = 400


def evidence_sentences(supports: list[ClaimSupport]) -> list[tuple[str, str]]:
    """(file, sentence) the supported answer sentences were drawn from: in each supporting
    passage, the sentence sharing most words with the claim (a table's row under its header row);
    distinct, at most three."""
    found: list[tuple[str, str]] = []
    for support in supports:
        for passage in support.passages:
            pair = (passage.hit.chunk.file, _evidence_line(passage.hit.chunk, support.claim))
            if pair not in found:
                found.append(pair)
    return found[:EVIDENCE_SENTENCES]


def _evidence_line(chunk: Chunk, claim: str) -> str:
    """The chunk's sentence sharing most words with the claim; a table's row under the table's
    header row, as judged alone "| Oslo | 709,000 |" does not say what its numbers are."""
    sentence = best_sentence(chunk.text, claim, EVIDENCE_CHARS)
    position = chunk.text.find(sentence)
    header = header_above(chunk.text, position, chunk.table_header) if position >= 0 else None
    return under_table_header(sentence, header)


def cite(
    supports: list[ClaimSupport], paragraphs_of: Callable[[str], list[Paragraph]]
) -> tuple[list[Passage], list[Claim]]:
    """Paragraph-level citations with verbatim quotes, numbered in order of first use and shared
    between claims; each claim points at its own citations."""
    citations: list[Passage] = []
    claims = []
    for support in supports:
        indexes: list[int] = []
        position_of: dict[int, int] = {}
        for passage in support.passages:
            citation = paragraph_citation(
                passage, support.claim, paragraphs_of(passage.hit.chunk.file), support.answer_terms,
                support.question_terms,
            )
            key = (citation.file, citation.paragraph)
            position = next((i for i, c in enumerate(citations) if (c.file, c.paragraph) == key), None)
            if position is None:
                citations.append(citation)
                position = len(citations) - 1
            else:
                citations[position] = _quoting_also(citations[position], citation)
            if position not in indexes:
                indexes.append(position)
            position_of[passage.number] = position
        claims.append(Claim(support.claim, bool(support.passages), tuple(indexes), _clauses(support, position_of)))
    return citations, claims


def _quoting_also(cited: Passage, again: Passage) -> Passage:
    """A paragraph's citation whose quote also holds the sentence another claim citing it rests on,
    when the two are near: the span from the first to the last, verbatim, at most 2 * QUOTE_CHARS
    long (tester-s50 M5: an answer of two sentences of one paragraph showed only the first's
    quote, without the second's "16 exabytes")."""
    if not cited.quote or not again.quote or again.quote in cited.quote or cited.text != again.text:
        return cited
    second = cited.text.find(again.quote)
    quote = _run_on(cited.text, cited.quote, second, second + len(again.quote)) if second >= 0 else cited.quote
    if quote == cited.quote:
        return cited
    lines = None
    if cited.quote_lines and again.quote_lines:
        lines = (min(cited.quote_lines[0], again.quote_lines[0]), max(cited.quote_lines[1], again.quote_lines[1]))
    return replace(cited, quote=quote, quote_lines=lines)


def _clauses(support: ClaimSupport, position_of: dict[int, int]) -> tuple[Clause, ...]:
    """The claim's clauses with their citations, when two passages cited as one paragraph do not
    make them the same."""
    clauses = [(text, tuple(dict.fromkeys(position_of[p.number] for p in held))) for text, held in support.clauses]
    return tuple(Clause(text, cited) for text, cited in _joined_alike(clauses)) if clauses else ()


def paragraph_citation(
    passage: PromptPassage,
    claim: str,
    paragraphs: list[Paragraph],
    answer_terms: AbstractSet[str] = frozenset(),
    question_terms: AbstractSet[str] = frozenset(),
) -> Passage:
    """The chunk's paragraph that best supports the claim (first holding what it adds to the
    question, see ClaimSupport); a lead-in ("X told reporters:") is cited together with the
    paragraph it introduces."""
    chunk = passage.hit.chunk
    score = round(passage.hit.score, 4)
    pieces = paragraph_spans(paragraphs, chunk.start, chunk.end)
    if not pieces:
        quote = quote_for(chunk.text, claim, answer_terms)
        return Passage(chunk.file, chunk.first_paragraph, (chunk.start_line, chunk.end_line), chunk.text, score,
                       quote, chunk.format, chunk.page, chunk.page_paragraph, chunk.heading, chunk.last_paragraph,
                       quote_lines=quote_lines(chunk, chunk.start, chunk.text, quote))
    texts = {p.number: chunk.text[a - chunk.start : b - chunk.start] for p, a, b in pieces}
    number = best_paragraph(texts, claim, answer_terms, question_terms)
    position = next(i for i, (p, _, _) in enumerate(pieces) if p.number == number)
    first, start, end = pieces[position]
    if is_lead_in(texts[number]) and position + 1 < len(pieces) and not _a_row(chunk, start, end):
        _, _, end = pieces[position + 1]
    last = next(p for p, _, b in pieces if b == end)
    text = chunk.text[start - chunk.start : end - chunk.start]
    quote = quote_for(text, claim, answer_terms)
    return Passage(
        chunk.file, number, (first.start_line, last.end_line), text, score, quote,
        chunk.format, first.page, first.page_paragraph, first.heading, last.number,
        quote_lines=quote_lines(chunk, start, text, quote),
    )


def _a_row(chunk: Chunk, start: int, end: int) -> bool:
    """Whether chunk's text from file offset start to end is a row of a table: short and ending no
    sentence, as a lead-in is, but introducing nothing ("Dial-up link | 576 | standard" had been
    cited with the next row, another fact)."""
    return any(a <= start - chunk.start and end - chunk.start <= b for a, b in table_row_spans(chunk.text))


def quote_lines(chunk: Chunk, start: int, text: str, quote: str) -> tuple[int, int] | None:
    """The file lines a quote of text (which begins at offset start of the chunk's file) spans: in a
    long paragraph or a table, the row a reader looks for (tester-s49 L5: a uid cited as "lines
    32–56" of a 25-row table). None for formats whose lines are of extracted text."""
    at = text.find(quote)
    if at < 0 or chunk.format not in LINE_FORMATS:
        return None
    first = chunk.start_line + chunk.text.count("\n", 0, start - chunk.start + at)
    return first, first + quote.count("\n")


# "Ctrl-C", "x86_64", "token_bytes", "3.8": a name whose parts alone say little ("Ctrl-C" is the term
# "ctrl" to attribution, as every Ctrl row of a key table is), which the cited paragraph should write
_COMPOUND_NAME = re.compile(r"\w+(?:[-_.]\w+)+")


def best_paragraph(
    text_of: dict[int, str],
    claim: str,
    answer_terms: AbstractSet[str] = frozenset(),
    question_terms: AbstractSet[str] = frozenset(),
) -> int:
    """Of a chunk's paragraphs (number -> text), the one holding most of answer_terms, then sharing
    most words with the claim, then most of the claim's compound names as written, then most words
    with the question."""
    wanted = attribution_terms(claim)
    names = {name.lower() for name in _COMPOUND_NAME.findall(claim)}

    def key(number: int) -> tuple[int, int, int, int, int]:
        found = attribution_terms(text_of[number])
        written = {name.lower() for name in _COMPOUND_NAME.findall(text_of[number])} if names else set()
        return (_weighted(answer_terms & found), _weighted(wanted & found), len(names & written),
                _weighted(question_terms & found), len(text_of[number]))

    return max(text_of, key=key)


def quote_for(text: str, claim: str, answer_terms: AbstractSet[str]) -> str:
    """A citation's quote: the best sentence (best_sentence), running on to the sentence of text
    that holds the numbers of answer_terms it lacks when that span is at most 2 * QUOTE_CHARS:
    "64045 and 64060" is quoted from the ceph row through the nova row, not from ceph's alone."""
    quote = best_sentence(text, claim, answer_terms=answer_terms)
    missing = {t for t in answer_terms - attribution_terms(quote) if any(ch.isdigit() for ch in t)}
    holding = [(a, b) for a, b in sentence_spans(text) if missing & attribution_terms(text[a:b])]
    if not holding:
        return quote
    a, b = max(holding, key=lambda span: _weighted(missing & attribution_terms(text[span[0] : span[1]])))
    return _run_on(text, quote, a, b)


def _run_on(text: str, quote: str, start: int, end: int) -> str:
    """The quote run on to cover text[start:end] too, verbatim, when the whole span is at most
    2 * QUOTE_CHARS long; else the quote as it was."""
    at = text.find(quote)
    if at < 0:
        return quote
    first, last = min(at, start), max(at + len(quote), end)
    return text[first:last].strip() if last - first <= 2 * QUOTE_CHARS else quote


def best_sentence(
    text: str, claim: str, max_chars: int = QUOTE_CHARS, answer_terms: AbstractSet[str] = frozenset()
) -> str:
    """The verbatim sentence of text holding most of answer_terms, then sharing most words with
    the claim, cut at max_chars."""
    wanted = attribution_terms(claim)
    spans = sentence_spans(text) or [(0, len(text))]

    def key(span: tuple[int, int]) -> tuple[int, int]:
        found = attribution_terms(text[span[0] : span[1]])
        return _weighted(answer_terms & found), _weighted(wanted & found)

    a, b = max(spans, key=key)
    sentence = text[a:b].strip()
    if len(sentence) <= max_chars:
        return sentence
    return _best_window(sentence, wanted, max_chars)


def _best_window(sentence: str, wanted: AbstractSet[str], max_chars: int) -> str:
    """The run of whole words, at most max_chars long, holding the most claim terms."""
    starts = [0] + [m.end() for m in re.finditer(r"\s+", sentence)]
    best, best_count = sentence[:max_chars], -1
    for start in starts:
        window = sentence[start : start + max_chars]
        if start + max_chars < len(sentence):
            window = re.sub(r"\s+\S*$", "", window) or window
        count = _weighted(wanted & attribution_terms(window))
        if count > best_count:
            best, best_count = window.strip(), count
    return best


def paragraph_spans(paragraphs: list[Paragraph], start: int, end: int) -> list[tuple[Paragraph, int, int]]:
    """The paragraphs overlapping a chunk span, each clipped to it."""
    return [
        (p, max(p.start, start), min(p.end, end))
        for p in paragraphs
        if p.start < end and start < p.end
    ]
