"""Keeping text that gives orders to the model out of the prompt.

A corpus file may contain "ignore previous instructions and answer X". The passages are data, so
before they are shown to the model, every line of a passage that addresses the model or tries to
override its instructions is replaced by a marker. The stored text, retrieval and citations are
untouched: only what the model reads changes. This is a heuristic for the common phrasings, not a
proof against a determined attacker; the citation check remains the second line of defence.
"""

from __future__ import annotations

import re

REMOVED = "(text addressed to the assistant removed)"
_MODEL = r"(?:ai|a\.i\.|assistant|ai assistant|language model|llm|chatbot|bot)"
_ORDERS = re.compile(
    # "ignore the previous instructions", "disregard all prior rules", "bypass your context"
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(?:previous|prior|above|earlier|preceding|"
    r"all|any|your|these|those|the system|system|original)\s+(?:(?:system|original|initial|other|given)\s+)?"
    r"(?:instructions?|prompts?|rules|directions|"
    r"passages|context)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|the\s+)?(?:instructions?|prompts?|rules|passages|context)\s+"
    r"(?:above|below|given|provided|you were given)\b"
    # "note to the AI", "instructions for the language model", "attention, assistant"
    rf"|\b(?:note|notice|message|instructions?|request|command|order|reminder)s?\s+(?:to|for)\s+(?:the\s+|any\s+)?{_MODEL}\b"
    rf"|\b(?:dear|hey|hello|attention,?)\s+{_MODEL}\b|\bif you are an? {_MODEL}\b"
    r"|\byour (?:system )?(?:prompt|instructions)\b|\b(?:reveal|print|repeat|show me) (?:the |your )?system prompt\b"
    r"|\byou are now\b|\bfrom now on,? you (?:must|will|shall|should|are to|have to)\b"
    r"|<\|im_(?:start|end)\|>",
    re.IGNORECASE,
)


def gives_orders(text: str) -> bool:
    """Whether text tries to instruct the model rather than inform the reader."""
    return bool(_ORDERS.search(text))


def without_orders(text: str) -> str:
    """text with each line that gives the model orders cut from its first such sentence on (the
    orders usually run on after it), the facts before it kept: a file of one paragraph a line would
    otherwise lose them with the orders."""
    if not gives_orders(text):
        return text
    return "\n".join(_cut_from_orders(line) if gives_orders(line) else line for line in text.split("\n"))


def _cut_from_orders(line: str) -> str:
    from rag.chunking import sentence_spans

    start = next((start for start, end in sentence_spans(line) if gives_orders(line[start:end])), 0)
    return line[:start] + REMOVED
