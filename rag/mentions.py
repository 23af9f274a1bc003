"""Questions that ask which files mention a name or phrase, answered from the index.

"Which articles mention Hezbollah?" asks for every file holding some words, which the keyword
index knows exactly and a 1.5B model reading six passages does not: on our cross-document
questions it listed files whose passages lack the name and missed others. So when a question asks
which files mention, quote, cite, contain or refer to a short phrase (or which files say a quoted
phrase), every file whose text holds the phrase verbatim (case and spacing aside) is named and
cited at the first passage that holds it, without the model. When no passage holds it, the
question goes to the model as any other: the phrase may be a description rather than words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import Chunk, sentence_spans
from rag.store import IndexStore
from rag.text import DOCUMENT_NOUNS, is_distinctive, terms

# Keyword candidates checked for the phrase: BM25 ranks every passage holding its terms, so those
# holding the phrase come first; when this many are checked, the answer says more files may hold it.
CANDIDATES = 2000
MAX_PHRASE_WORDS = 6  # longer unquoted subjects are descriptions ("writers for The Duran who ...")
MAX_QUOTED_WORDS = 16
SIGNAL = "files_mentioning"  # the one signal of an answer from the index: how many files hold it
MIN_SAID_WORDS = 3  # "which files say 'rebels' are terrorists" asks about a claim, not the word

_FILE_NOUNS = rf"(?:{DOCUMENT_NOUNS})"
_VERBS = r"(?:mentions?|quotes?|cites?|refers? to)"
_WHICH_FILES = re.compile(
    rf"^(?:which|what)\s+(?:\w+\s+){{0,2}}?{_FILE_NOUNS}(?:\s*\((?:files?|documents?)\))?"
    rf"(?:\s+(?:in|of)\s+(?:the|this)\s+\w+)?\s+(?P<verb>{_VERBS}(?:\s+or\s+{_VERBS})?|says?)\s+"
    r"(?P<subject>.+)$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]|(?:^|\s)['‘]([^'‘’]+)['’](?=\W|$)")
_LEADING = re.compile(r"^(?:either|both|the|a|an)\s+", re.IGNORECASE)
_NAME_LIKE = re.compile(r"(?<!^)\b[A-Z0-9]|^[A-Z0-9]")
# "qmail", "mysql", "libffi": one word asked as it is written, no article before it, is a word to find
_BARE_WORD = re.compile(r"[^\W\d_][\w.+-]*")


@dataclass(frozen=True)
class Mention:
    """A file that holds the phrase: its best-ranked passage that does, and the sentence there."""

    file: str
    chunk: Chunk
    phrase: str
    sentence: str


@dataclass(frozen=True)
class Mentions:
    """The files holding every asked phrase; `complete` is False when the candidate limit was hit."""

    found: list[Mention]
    complete: bool


def asked_phrases(question: str) -> list[str]:
    """The phrases a which-files question asks about: its quoted words, else the names its subject
    lists (split at commas and "or"); empty when the question is not of that kind or asks about
    anything but words a file may hold verbatim."""
    match = _WHICH_FILES.match(" ".join(question.split()).rstrip("?!. "))
    if not match:
        return []
    subject = match.group("subject")
    quoted = [a or b for a, b in _QUOTED.findall(subject)]
    if match.group("verb").lower().startswith("say"):
        if len(quoted) != 1 or len(quoted[0].split()) < MIN_SAID_WORDS:
            return []  # what a file "says" is meaning, not words, unless a phrase of its is quoted
    if len(quoted) > 1 and re.search(r"\band\b", subject, re.IGNORECASE):
        return []  # files holding all of several phrases: a question for the model
    if quoted:
        phrases = [q.strip() for q in quoted]
        longest = MAX_QUOTED_WORDS
    else:
        parts = [part.strip(" ,.;:") for part in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", subject)]
        phrases = [_LEADING.sub("", _LEADING.sub("", part)).strip(" ,.;:") for part in parts]
        longest = MAX_PHRASE_WORDS
        if not all(_NAME_LIKE.search(p) or _BARE_WORD.fullmatch(part) for p, part in zip(phrases, parts)):
            return []  # "mention the leader", "mention a fix": topics, not words
    if not phrases or any(not _is_phrase(p, longest) for p in phrases):
        return []
    return phrases


def _is_phrase(text: str, longest: int) -> bool:
    return 0 < len(text.split()) <= longest and any(is_distinctive(t) for t in terms(text))


def find_mentions(index: IndexStore, phrases: list[str]) -> Mentions:
    """Every file holding one of the phrases verbatim (case and spacing aside), by file name, each
    with the best-ranked passage that holds it; nothing when some phrase is in no passage (the
    question may use other words than the documents, and a partial list would mislead)."""
    first: dict[str, Mention] = {}
    complete = True
    for phrase in map(_plain_quotes, phrases):
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", re.IGNORECASE)
        rows = [row for row, _ in index.keyword_search(phrase, CANDIDATES)]
        complete = complete and len(rows) < CANDIDATES
        holding = 0
        for chunk in index.chunks(rows):
            found = pattern.search(_plain_quotes(chunk.text))
            if not found:
                continue
            holding += 1
            if chunk.file not in first:
                first[chunk.file] = Mention(chunk.file, chunk, phrase, _sentence_at(chunk.text, found.start()))
        if not holding:
            return Mentions([], True)
    return Mentions([first[file] for file in sorted(first)], complete)


def shown_phrase(phrase: str) -> str:
    """A phrase files mention, as the answer names it: a name as it is ("Hezbollah"), words that
    are no name in quotes ("mentions “hardware-accelerated deflation”", not a sentence that runs
    on into them)."""
    return phrase if phrase[:1].isupper() else f"“{phrase}”"


def _sentence_at(text: str, offset: int) -> str:
    """The sentence of text around a character offset."""
    for start, end in sentence_spans(text):
        if start <= offset < end:
            return text[start:end].strip()
    return text.strip()


_PLAIN_QUOTES = str.maketrans("‘’“”", "''\"\"")


def _plain_quotes(text: str) -> str:
    return text.translate(_PLAIN_QUOTES)
