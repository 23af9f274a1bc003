"""Fake models for a server spawned as a subprocess (RAG_SERVER_MODELS=server_fakes:models).

RAG_FAKE_REPLY scripts the generator's reply; RAG_FAKE_TOKEN_SECONDS slows each streamed word,
so tests can hold the server busy while another client waits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from conftest import FakeEmbedder, ScriptedGenerator

DEFAULT_REPLY = "They spoke for more than nine hours in Geneva [1]."


class SlowGenerator(ScriptedGenerator):
    def generate(self, prompt: str, **options: Any) -> Any:
        delay = float(os.environ.get("RAG_FAKE_TOKEN_SECONDS", "0"))
        on_token = options.pop("on_token", None)

        def slow(piece: str) -> None:
            time.sleep(delay)
            if on_token:
                on_token(piece)

        return super().generate(prompt, on_token=slow, **options)


def models() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    reply = os.environ.get("RAG_FAKE_REPLY", DEFAULT_REPLY)
    return (lambda settings: FakeEmbedder()), (lambda settings: SlowGenerator(reply))
