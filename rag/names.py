"""Whether the files an answer cites ever mention the names and numbers its question gives.

A question that names its subject ("Under the MPL 2.0, ...", "How many days does the Apache
License give ...?", "... mkosi's Ssh=yes option ...") is about the documents that use that name.
When the 1.5B model answers it from a passage of a file that never uses the name (the 30 days of
the GPL given as the Apache License's, the LGPL's ten lines as the MPL's), the answer is about
something else, however well its sentence is supported. Only names that tell files apart count:
a capitalised word (not a sentence's first) that some but at most half of the folder's files hold.
A reworded question's own names ("ARM" for a README that says "aarch64") are in no file, or in
files the answer does not cite along with other names it does; the rule asks that a cited file
hold at least one of the question's names, and a capitalised word that may only open a sentence
("Kerry arrived where?") can show that a cited file is the right one but never that it is not.

A number the question gives in digits ("GnuPG 1.4", "Python 3.5", "LGPL 2.1") names its subject
the same way: the 2.0 series' end of life given for the 1.4 series' cites a file that never states
1.4. Numbers are read as rag.numbers reads them (so "3.11.7" states 3.11, "512MB" 512), in a cited
file's text or its path; one that some but at most half of the files hold tells files apart (one
in no file is the user's own: "if I upload 45 files, ..."). A number written in words, or joined
to a name ("RS-232", "GPLv3", "bash-5.2"), is not judged: words are how a reworded question
speaks, and a name's number is the name's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rag.numbers import canonical, stated_numbers
from rag.store import IndexStore
from rag.text import STOP_WORDS, terms

NO_NAMES = 0.5  # the question names nothing that tells the folder's files apart
NO_NUMBERS = 0.5  # the question gives no number in digits that tells the folder's files apart
MAX_FILE_SHARE = 0.5  # a name more than this share of the files hold tells none apart
MAX_ROWS = 2000  # a name in more passages than this is too common to judge, and costs a long read
MOSTLY_CAPITALS = 0.6  # a question this much in capitals ("HOW DO I ...") capitalises no name

_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*", re.UNICODE)
# A number in digits standing alone: not inside a word ("GPLv3", "Caucasus2016") nor after a name's
# hyphen ("RS-232", "bash-5.2"); "1,000" and "2016-09-12" are numbers, "30-day" gives 30.
_DIGITS = re.compile(r"(?<![\w.,])(?<![^\W\d_]-)[0-9]+(?:[.,][0-9]+)*(?![\w])(?![.,][0-9])", re.ASCII)
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
# A sentence, a line, a list item or a bracketed or quoted aside starts before the word.
_SENTENCE_START = re.compile(r"(?:(?:^|\n)\s*(?:(?:[-*•]|\d+[.)]|[a-z][.)])\s*)?|[.!?:;]\s+|[\"“‘(\[]\s*|[-–—•*]\s+)$")
# Capitalised without naming anything that tells files apart.
_NOT_NAMES = frozenset(
    """mr mrs ms dr prof st mt no fig vs etc please january february march april may june july
    august september october november december monday tuesday wednesday thursday friday saturday
    sunday""".split()
)


@dataclass(frozen=True)
class QuestionNames:
    """Names that judge (`names`) and capitalised words that may only open a sentence (`openers`)."""

    names: tuple[str, ...]
    openers: tuple[str, ...]


def question_names(question: str) -> QuestionNames:
    """The question's capitalised words (or with a capital inside, as "iPhone"), possessives and
    contractions dropped, stop words, months, titles and numbers left out; those that open a
    sentence, a line or a quote are only `openers`."""
    question = unicodedata.normalize("NFKC", question)
    letters = [ch for ch in question if ch.isalpha()]
    shouting = bool(letters) and sum(ch.isupper() for ch in letters) >= MOSTLY_CAPITALS * len(letters)
    names: list[str] = []
    openers: list[str] = []
    for found in _WORD.finditer(question):
        word = re.sub(r"['’](?:s|m|re|ve|ll|d|t)$", "", found.group(), flags=re.IGNORECASE).rstrip(".")
        if word.lower() in STOP_WORDS | _NOT_NAMES or not any(ch.isalpha() for ch in word):
            continue
        capital_inside = any(ch.isupper() for ch in word[1:]) and any(ch.islower() for ch in word)
        if not (word[0].isupper() or capital_inside):
            continue
        opens = bool(_SENTENCE_START.search(question[: found.start()])) or _after_abbreviation(question, found.start())
        kind = openers if (opens or shouting) and not capital_inside else names
        if word not in names and word not in openers:
            kind.append(word)
    return QuestionNames(tuple(names), tuple(openers))


def _after_abbreviation(text: str, start: int) -> bool:
    """Whether the word at start follows a title or an initial ("Mr. Smith", "U.S. Army")."""
    before = re.search(r"([^\W\d_]+)\.\s+$", text[:start])
    return bool(before) and (before.group(1).lower() in _NOT_NAMES or len(before.group(1)) == 1)


def names_in_cited(index: IndexStore, question: str, cited_files: Iterable[str]) -> float:
    """1 when a cited file holds one of the question's distinctive names, 0 when none does,
    NO_NAMES when the question has no distinctive name (see the module docstring)."""
    cited = set(cited_files)
    asked = question_names(question)
    if not cited or not asked.names:
        return NO_NAMES
    most_files = max(1.0, MAX_FILE_SHARE * index.manifest.file_count)
    distinctive = False
    for name in (*asked.names, *asked.openers):
        holders = _files_holding(index, name)
        if not holders or len(holders) > most_files:
            continue
        if cited & holders or any(_named_by_path(name, file) for file in cited):
            return 1.0
        distinctive = distinctive or name in asked.names
    return 0.0 if distinctive else NO_NAMES


def _forms(name: str) -> dict[str, str]:
    """The name as written and without its dots and hyphens ("U.S." as "US", "Wi-Fi" as "WiFi"),
    each that is one keyword term, with that term."""
    found: dict[str, str] = {}
    for form in (name, re.sub(r"[.\-]", "", name)):
        wanted = terms(form)
        if len(wanted) == 1:
            found[form] = wanted[0]
    return found


def _files_holding(index: IndexStore, name: str) -> set[str]:
    """The files whose passages hold one of the name's forms; none when it is too common to read."""
    holders: set[str] = set()
    for form, term in _forms(name).items():
        # the stem and the word as written: a store whose own analyser does not stem finds both forms
        found = _files_matching(index, (form, term))
        if found is None:
            return set()
        holders |= found
    return holders


def _files_matching(index: IndexStore, queries: Iterable[str]) -> set[str] | None:
    """The files whose passages the keyword index finds for any of the queries; None when they
    are in more than MAX_ROWS passages (too common to judge, and a long read)."""
    rows = {row for query in dict.fromkeys(queries) for row, _ in index.keyword_search(query, MAX_ROWS + 1)}
    if len(rows) > MAX_ROWS:
        return None
    return {chunk.file for chunk in index.chunks(sorted(rows))}


def _named_by_path(name: str, file: str) -> bool:
    """Whether the file's path names it: every folder and word of the name ("ApacheLicense.txt")."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", file)
    path_terms = set(terms(re.sub(r"[\W_]+", " ", spaced)))
    return any(term in path_terms for term in _forms(name).values())


def question_numbers(question: str) -> tuple[str, ...]:
    """The numbers the question gives in ASCII digits, in order, each once: a comma that separates
    no thousands ("1,5") as two numbers, one that may ("ports 80,443", "80,443 users") both ways."""
    text = unicodedata.normalize("NFKC", question)
    found: list[str] = []
    for number in _DIGITS.findall(text):
        found.extend(([number.replace(",", "")] if _THOUSANDS.fullmatch(number) else []) + number.split(","))
    return tuple(dict.fromkeys(found))


def numbers_in_cited(
    index: IndexStore, question: str, cited_files: Iterable[str], cited_texts: Iterable[str] = ()
) -> float:
    """1 when a cited file holds one of the question's distinctive numbers, 0 when none does,
    NO_NUMBERS when the question gives none (see the module docstring). A cited file holds a
    number its keyword index lists, its path states, or one of `cited_texts` (passages of the
    cited files the answer was drawn from) states in any form."""
    cited = set(cited_files)
    asked = question_numbers(question)
    if not cited or not asked:
        return NO_NUMBERS
    most_files = max(1.0, MAX_FILE_SHARE * index.manifest.file_count)
    stated = frozenset().union(*(stated_numbers(text) for text in cited_texts))
    distinctive = False
    for number in asked:
        holders = _files_matching(index, (number, canonical(number)))  # "2.0" and 2
        if not holders or len(holders) > most_files:
            continue  # in no file (the user's own: "if I upload 45 files"), or too common
        if cited & holders or canonical(number) in stated or any(_stated_by_path(number, file) for file in cited):
            return 1.0
        distinctive = True
    return 0.0 if distinctive else NO_NUMBERS


def _stated_by_path(number: str, file: str) -> bool:
    """Whether the file's path states the number ("minutes/2019.md", "lgpl-2.1.txt")."""
    return canonical(number) in stated_numbers(re.sub(r"[/\\_]+", " ", file))
