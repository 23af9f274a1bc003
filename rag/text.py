"""Word-level text analysis shared by keyword search, citation checks and abstention evidence.

One tokenizer for documents and questions: lower case, Unicode-normalised, number words as digits
("nine hours" and "9 hours" match), English stop words and question words dropped, Snowball stems.
Chinese, Japanese and Korean write words without spaces between them, so a run of Han, kana or
Hangul characters is cut into overlapping character pairs and its single characters, as Lucene's
CJKAnalyzer does with unigrams kept ("我们去北京" -> 我们, 们去, 去北, 北京, 我, 们, 去, 北, 京): a
query word of two characters is then found inside a sentence by its pair, one of one character by
itself.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
# Han ideographs (with 々 and 〇), Hiragana, Katakana (with ー) and Hangul, as they stand after
# NFKC (which folds half-width kana, Kangxi radicals and compatibility jamo into these).
_CJK = (
    "\u1100-\u11ff\u3005\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096\u309d-\u309f"
    "\u30a1-\u30fa\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97c"
    "\uac00-\ud7a3\ud7b0-\ud7fb\uf900-\ufaff\U0001b000-\U0001b16f\U00020000-\U0003ffff"
)
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
# A CJK run (with an English possessive, "東京's"), or a _WORD of the other characters: "iPhone用户"
# is "iphone" and "用户".
_WORD_OR_CJK_RUN = re.compile(rf"[{_CJK}]+(?:'s(?![^\W_]))?|[^\W_{_CJK}]+(?:[.,'’][^\W_{_CJK}]+)*", re.UNICODE)
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
    """Lower-cased words with apostrophes and digit separators folded ("470,000" -> "470000"); a
    run of CJK characters as its overlapping pairs and its characters ("北京市" -> 北京, 京市, 北, 京, 市)."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    found = []
    has_cjk = bool(_CJK_CHARACTER.search(text))  # text without is read by _WORD as before, at its speed
    for word in (_WORD_OR_CJK_RUN if has_cjk else _WORD).findall(text):
        if has_cjk and _CJK_CHARACTER.match(word):
            found.extend(_cjk_terms(word.removesuffix("'s")))
            continue
        if "," in word or "." in word:  # the only words the substitution can change (indexing speed)
            word = _DIGIT_SEPARATOR.sub("", word)
        if word.endswith("'s"):
            word = word[:-2]
        found.append(NUMBER_WORDS.get(word, word))
    return found


def _cjk_terms(run: str) -> list[str]:
    """Each two neighbouring characters of a CJK run, then each character: a word of two or more
    characters is found by its pairs, one of one character (税, 书) by itself."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + list(run)


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
    """Digits and longer words carry meaning; one or two letters rarely do. A CJK term (one or two
    characters) is a word or most of one."""
    return any(ch.isdigit() for ch in term) or len(term) > 2 or bool(_CJK_CHARACTER.match(term))
