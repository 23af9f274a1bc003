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

from rag.chunking import Chunk
from rag.store import IndexStore
from rag.text import is_distinctive, terms

# Keyword candidates checked for the phrase: BM25 ranks every passage holding its terms, so those
# holding the phrase come first; a phrase in more passages than this is listed from these only.
CANDIDATES = 500
MAX_PHRASE_WORDS = 6  # longer unquoted subjects are descriptions ("writers for The Duran who ...")
MAX_QUOTED_WORDS = 16

_FILE_NOUNS = r"(?:files?|documents?|articles?|abstracts?|papers?|reports?|texts?|pages?|sources?|licen[cs]es?)"
_VERBS = r"(?:mentions?|quotes?|cites?|contains?|refers? to)"
_WHICH_FILES = re.compile(
    rf"^\s*(?:which|what)\s+(?:\w+\s+){{0,2}}?{_FILE_NOUNS}(?:\s*\((?:files?|documents?)\))?"
    rf"(?:\s+(?:in|of)\s+(?:the|this)\s+\w+)?\s+(?P<verb>{_VERBS}(?:\s+or\s+{_VERBS})?|says?)\s+"
    r"(?P<subject>.+?)\s*\?*\s*$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]|(?:^|\s)['‘]([^'‘’]+)['’](?=\W|$)")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A file that holds the phrase, and its first passage that does."""

    file: str
    chunk: Chunk
    phrase: str


def asked_phrases(question: str) -> list[str]:
    """The phrases a which-files question asks about: its quoted words, else its subject split at
    "or"; empty when the question is not of that kind or names no short phrase."""
    match = _WHICH_FILES.match(question)
    if not match:
        return []
    subject = match.group("subject")
    quoted = [a or b for a, b in _QUOTED.findall(subject)]
    if match.group("verb").lower().startswith("say") and not quoted:
        return []  # what a file "says" is meaning, not words, unless the words are quoted
    phrases = quoted or [_ARTICLE.sub("", part).strip(" ,.;:") for part in re.split(r"\s+or\s+", subject)]
    longest = MAX_QUOTED_WORDS if quoted else MAX_PHRASE_WORDS
    if not phrases or any(not _is_phrase(p, longest) for p in phrases):
        return []
    return phrases


def _is_phrase(text: str, longest: int) -> bool:
    return 0 < len(text.split()) <= longest and any(is_distinctive(t) for t in terms(text))


def find_mentions(index: IndexStore, phrases: list[str]) -> list[Mention]:
    """Every file holding one of the phrases verbatim (case and spacing aside), by file name, each
    with the best-ranked passage that holds it."""
    first: dict[str, Mention] = {}
    for phrase in map(_plain_quotes, phrases):
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, phrase.split())) + r"(?!\w)", re.IGNORECASE)
        rows = [row for row, _ in index.keyword_search(phrase, CANDIDATES)]
        for chunk in index.chunks(rows):
            if chunk.file not in first and pattern.search(_plain_quotes(chunk.text)):
                first[chunk.file] = Mention(chunk.file, chunk, phrase)
    return [first[file] for file in sorted(first)]


def _plain_quotes(text: str) -> str:
    return text.translate(str.maketrans("‘’“”", "''\"\""))
