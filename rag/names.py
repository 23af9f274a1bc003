"""Whether the files an answer cites ever mention the names its question gives.

A question that names its subject ("Under the MPL 2.0, ...", "How many days does the Apache
License give ...?", "... mkosi's Ssh=yes option ...") is about the documents that use that name.
When the 1.5B model answers it from a passage of a file that never uses the name (the 30 days of
the GPL given as the Apache License's, the LGPL's ten lines as the MPL's), the answer is about
something else, however well its sentence is supported. Only names that tell files apart count:
a capitalised word (not a sentence's first) that some but at most half of the folder's files hold.
A reworded question's own names ("ARM" for a README that says "aarch64") are in no file, or in
files the answer does not cite along with other names it does; the rule asks that a cited file
hold at least one of the question's distinctive names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath

from rag.store import IndexStore
from rag.text import STOP_WORDS, terms

NO_NAMES = 0.5  # the question names nothing that tells the folder's files apart
MAX_FILE_SHARE = 0.5  # a name more than this share of the files hold tells none apart
MAX_ROWS = 2000  # a name in more passages than this is too common to judge, and costs a long read

_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“(]\s*)$")


def question_names(question: str) -> list[str]:
    """The question's capitalised words (one with a capital inside, "mkosi's" aside, or a capital
    first when no sentence starts there), possessives dropped, stop words and numbers left out."""
    question = unicodedata.normalize("NFKC", question)
    names: list[str] = []
    for found in _WORD.finditer(question):
        word = re.sub(r"['’]s$", "", found.group())
        if word.lower() in STOP_WORDS or not any(ch.isalpha() for ch in word):
            continue
        capital_inside = any(ch.isupper() for ch in word[1:])
        starts_sentence = bool(_SENTENCE_START.search(question[: found.start()]))
        if (capital_inside or (word[0].isupper() and not starts_sentence)) and word not in names:
            names.append(word)
    return names


def names_in_cited(index: IndexStore, question: str, cited_files: Iterable[str]) -> float:
    """1 when a cited file holds one of the question's distinctive names, 0 when none does,
    NO_NAMES when the question has no distinctive name (see the module docstring)."""
    cited = set(cited_files)
    if not cited:
        return NO_NAMES
    most_files = max(1.0, MAX_FILE_SHARE * index.manifest.file_count)
    distinctive = False
    for name in question_names(question):
        holders = _files_holding(index, name)
        if holders is None or not holders or len(holders) > most_files:
            continue
        if cited & holders or any(_named_by_file(name, file) for file in cited):
            return 1.0
        distinctive = True
    return 0.0 if distinctive else NO_NAMES


def _files_holding(index: IndexStore, name: str) -> set[str] | None:
    """The files whose passages hold the name's keyword term; None when it is too common to read."""
    wanted = terms(name)
    if len(wanted) != 1:
        return None
    rows = [row for row, _ in index.keyword_search(name, MAX_ROWS + 1)]
    if len(rows) > MAX_ROWS:
        return None
    return {chunk.file for chunk in index.chunks(rows)}


def _named_by_file(name: str, file: str) -> bool:
    return set(terms(name)) <= set(terms(PurePath(file).stem.replace("-", " ").replace("_", " ")))
