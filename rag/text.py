"""Word-level text analysis shared by keyword search, citation checks and abstention evidence.

One tokenizer for documents and questions: lower case, Unicode-normalised, number words as digits
("nine hours" and "9 hours" match), English stop words and question words dropped, Snowball stems.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")

STOP_WORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing done for from had has
    have having he her hers him his how i if in into is it its itself just me more most my no nor
    not of on once only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up very was we
    were what when where which while who whom whose why will with would you your yours also
    according article articles""".split()
)

# What a sentence the model finished ends with: a reply cut off by the token limit without one
# stopped mid-sentence (its last word may be half a number).
SENTENCE_ENDS = (".", "!", "?", ")", "]", '"', "'", "”", "’")

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000",
}


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words with apostrophes and digit separators folded ("470,000" -> "470000")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    found = []
    for word in _WORD.findall(text):
        if "," in word or "." in word:  # the only words the substitution can change (indexing speed)
            word = _DIGIT_SEPARATOR.sub("", word)
        if word.endswith("'s"):
            word = word[:-2]
        found.append(NUMBER_WORDS.get(word, word))
    return found


# What a question calls the documents themselves ("which articles ...", "what files ..."): a regex
# alternation for the questions about files (rag.abstention, rag.mentions).
DOCUMENT_NOUNS = r"files?|documents?|articles?|abstracts?|papers?|reports?|sources?|texts?|pages?|licen[cs]es?"


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of keyword search and of lexical support."""
    kept = [w for w in words(text) if w not in STOP_WORDS]
    return _stemmer().stemWords(kept)


def stem(word: str) -> str:
    """One lower-cased word's Snowball stem: "excludes" and "exclude" are the same word."""
    return _stemmer().stemWord(word.lower())


def is_distinctive(term: str) -> bool:
    """Digits and longer words carry meaning; one or two letters rarely do."""
    return any(ch.isdigit() for ch in term) or len(term) > 2
