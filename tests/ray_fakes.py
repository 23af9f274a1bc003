"""Fake models for Ray actors: module-level functions, so a worker process imports them by name."""

from __future__ import annotations

import time
from typing import Any

from conftest import FakeEmbedder, ScriptedGenerator

REPLY = "They spoke for more than nine hours in Geneva [1]."


class PausingGenerator(ScriptedGenerator):
    """Takes a little time per answer, so a worker can be killed while it holds questions."""

    def generate(self, prompt: str, **options: Any) -> Any:
        time.sleep(0.05)
        return super().generate(prompt, **options)


def make_embedder(settings: Any) -> FakeEmbedder:
    return FakeEmbedder()


def make_generator(settings: Any) -> PausingGenerator:
    return PausingGenerator(REPLY)


def models() -> tuple[Any, Any]:
    return make_embedder, make_generator
