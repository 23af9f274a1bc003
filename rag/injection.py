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
_ORDERS = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}\b(instructions?|prompts?|rules|directions|passages|context)\b"
    r"|\b(to|for) the (assistant|ai|model|language model|chatbot)\b"
    r"|\b(system prompt|new instructions|you are now|from now on,? you)\b"
    r"|<\|im_(start|end)\|>",
    re.IGNORECASE,
)


def gives_orders(text: str) -> bool:
    """Whether text tries to instruct the model rather than inform the reader."""
    return bool(_ORDERS.search(text))


def without_orders(text: str) -> str:
    """text with each line that gives the model orders replaced by REMOVED."""
    if not gives_orders(text):
        return text
    return "\n".join(REMOVED if gives_orders(line) else line for line in text.split("\n"))
