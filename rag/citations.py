"""Checking what the model cited: each answer sentence is matched to the passage(s) whose words
support it, invented passage numbers are ignored, and quotes are cut verbatim from the file text.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from rag.chunking import sentence_spans
from rag.corpus import Paragraph
from rag.prompting import PromptPassage
from rag.text import is_distinctive, terms

SUPPORTED = 0.6
SECOND_PASSAGE_MIN_TERMS = 2
ONE_PASSAGE_ENOUGH = 0.8  # a claim this well covered by one passage gets no second citation
QUESTION_WEIGHT = 0.3
CITED_BONUS = 0.1


@dataclass(frozen=True)
class ClaimSupport:
    """One answer sentence and the passages that support it (empty when none does)."""

    claim: str
    passages: tuple[PromptPassage, ...]
    support: float


def split_claims(answer: str) -> list[str]:
    return [answer[a:b].strip() for a, b in sentence_spans(answer)] or ([answer] if answer else [])


@lru_cache(maxsize=4096)
def distinctive_terms(text: str) -> frozenset[str]:
    """Cached: the same passages are read by attribution, citation and abstention signals."""
    return frozenset(t for t in terms(text) if is_distinctive(t))


def attribute(
    answer: str, question: str, passages: list[PromptPassage], cited: list[int]
) -> list[ClaimSupport]:
    """Support for each sentence of the answer, from the passages the model was given."""
    passage_terms = {p.number: distinctive_terms(p.hit.chunk.text) for p in passages}
    question_terms = distinctive_terms(question)
    results = []
    for claim in split_claims(answer):
        claim_terms = distinctive_terms(claim)
        results.append(_support(claim, claim_terms, question_terms, passages, passage_terms, cited))
    return results


def _support(
    claim: str,
    claim_terms: AbstractSet[str],
    question_terms: AbstractSet[str],
    passages: list[PromptPassage],
    passage_terms: dict[int, AbstractSet[str]],
    cited: list[int],
) -> ClaimSupport:
    if not passages:
        return ClaimSupport(claim, (), 0.0)
    if not claim_terms:
        valid = [p for p in passages if p.number in cited] or passages[:1]
        return ClaimSupport(claim, (valid[0],), 1.0)

    def coverage(terms_: AbstractSet[str], number: int) -> float:
        return len(terms_ & passage_terms[number]) / len(terms_) if terms_ else 0.0

    def rank(p: PromptPassage) -> float:
        return (
            coverage(claim_terms, p.number)
            + QUESTION_WEIGHT * coverage(question_terms, p.number)
            + (CITED_BONUS if p.number in cited else 0.0)
        )

    best = max(passages, key=rank)
    chosen = [best]
    uncovered = claim_terms - passage_terms[best.number]
    if len(uncovered) >= SECOND_PASSAGE_MIN_TERMS and coverage(claim_terms, best.number) < ONE_PASSAGE_ENOUGH:
        others = [p for p in passages if p is not best]
        if others:
            second = max(others, key=lambda p: len(uncovered & passage_terms[p.number]))
            if len(uncovered & passage_terms[second.number]) * 2 >= len(uncovered):
                chosen.append(second)
    covered = set().union(*(passage_terms[p.number] for p in chosen)) & claim_terms
    support = len(covered) / len(claim_terms)
    if support < SUPPORTED:
        return ClaimSupport(claim, (), support)
    return ClaimSupport(claim, tuple(chosen), support)


def best_paragraph(text_of: dict[int, str], claim: str) -> int:
    """Of a chunk's paragraphs (number -> text), the one sharing most words with the claim."""
    claim_terms = distinctive_terms(claim)
    return max(text_of, key=lambda n: (len(claim_terms & distinctive_terms(text_of[n])), len(text_of[n])))


def best_sentence(text: str, claim: str, max_chars: int = 240) -> str:
    """The verbatim sentence of text sharing most words with the claim, cut at max_chars."""
    claim_terms = distinctive_terms(claim)
    spans = sentence_spans(text) or [(0, len(text))]
    a, b = max(spans, key=lambda s: len(claim_terms & distinctive_terms(text[s[0] : s[1]])))
    sentence = text[a:b].strip()
    if len(sentence) <= max_chars:
        return sentence
    return _best_window(sentence, claim_terms, max_chars)


def _best_window(sentence: str, claim_terms: AbstractSet[str], max_chars: int) -> str:
    """The run of whole words, at most max_chars long, holding the most claim terms."""
    starts = [0] + [m.end() for m in re.finditer(r"\s+", sentence)]
    best, best_count = sentence[:max_chars], -1
    for start in starts:
        window = sentence[start : start + max_chars]
        if start + max_chars < len(sentence):
            window = re.sub(r"\s+\S*$", "", window) or window
        count = len(claim_terms & distinctive_terms(window))
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
