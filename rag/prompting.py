"""The prompt: fixed instructions first (evaluated once, then reused from the KV cache), then the
numbered passages and the question. Passages are trimmed to whole sentences within a word budget,
because every prompt token costs time on a laptop CPU.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import sentence_spans
from rag.retrieval import Hit
from rag.text import terms

NOT_FOUND = "NOT FOUND"
ABSTENTION = "The documents do not answer this."

SYSTEM = (
    "You answer questions using only the numbered passages the user gives you, never your own "
    "knowledge. Reply with a short, complete answer in the words of the passages, in one or two "
    "sentences, and put the number of the passage it comes from in brackets after it, like: "
    "Adam Smith wrote it [2]. If the passages do not contain the answer, reply exactly: "
    f"{NOT_FOUND}"
)

MIN_PASSAGE_WORDS = 15
CHECK_QUESTION = "Is your answer stated in the passages? Reply yes or no."
_CITATION_MARK = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class PromptPassage:
    """A hit as shown to the model: its number in the prompt and the text it was given."""

    number: int
    hit: Hit
    text: str


def chat(system: str, user: str) -> str:
    """Qwen's ChatML template, ending where the assistant starts to speak."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{user}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def select_passages(question: str, hits: list[Hit], word_budget: int) -> list[PromptPassage]:
    """Passages in rank order within word_budget. A passage longer than its share (half the
    budget, so that at least two passages fit) or than what remains is cut to its sentences
    richest in question terms."""
    wanted = set(terms(question))
    chosen: list[PromptPassage] = []
    remaining = word_budget
    share = max(word_budget // 2, MIN_PASSAGE_WORDS)
    for hit in hits:
        if remaining < MIN_PASSAGE_WORDS:
            break
        text = hit.chunk.text
        limit = min(share, remaining)
        if len(text.split()) > limit:
            text = _best_sentences(text, wanted, limit)
        if not text:
            continue
        chosen.append(PromptPassage(len(chosen) + 1, hit, text))
        remaining -= len(text.split())
    return chosen


def _best_sentences(text: str, wanted: set[str], budget: int) -> str:
    """The sentences sharing most terms with the question, in their original order, within budget."""
    spans = sentence_spans(text)
    ranked = sorted(
        range(len(spans)),
        key=lambda i: (-len(wanted & set(terms(text[spans[i][0] : spans[i][1]]))), i),
    )
    keep: list[int] = []
    used = 0
    for i in ranked:
        words = len(text[spans[i][0] : spans[i][1]].split())
        if used + words <= budget:
            keep.append(i)
            used += words
    if not keep and ranked:
        return " ".join(text[spans[ranked[0]][0] : spans[ranked[0]][1]].split()[:budget])
    return " ".join(text[spans[i][0] : spans[i][1]].strip() for i in sorted(keep))


def check_turn() -> tuple[str, str, str]:
    """The follow-up turn that asks the model to judge its own reply, and the two answers."""
    return (f"<|im_end|>\n<|im_start|>user\n{CHECK_QUESTION}<|im_end|>\n<|im_start|>assistant\n", "yes", "no")


def build_prompt(question: str, passages: list[PromptPassage]) -> str:
    body = "\n\n".join(f"[{p.number}] {' '.join(p.text.split())}" for p in passages)
    return chat(SYSTEM, f"Passages:\n{body}\n\nQuestion: {question.strip()}")


def parse_reply(reply: str) -> tuple[str, list[int], bool]:
    """(answer without citation marks, cited passage numbers, whether the model declined)."""
    text = reply.strip()
    if NOT_FOUND in text.upper() or not text:
        return "", [], True
    numbers = [int(n) for mark in _CITATION_MARK.findall(text) for n in mark.split(",")]
    answer = _CITATION_MARK.sub("", text).strip()
    answer = re.sub(r"\s+([.,;:!?])", r"\1", answer)
    return answer, list(dict.fromkeys(numbers)), False
