"""The `rag` command with the test fakes in place of the real models, for tests that need a real
process (to kill it). FAKE_DELAY seconds of sleep per answer make a run slow enough to interrupt."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rag.embedding  # noqa: E402
import rag.pipeline  # noqa: E402
from conftest import FakeEmbedder, ScriptedGenerator  # noqa: E402


class SlowGenerator(ScriptedGenerator):
    def generate(self, prompt, **options):  # type: ignore[no-untyped-def]
        time.sleep(float(os.environ.get("FAKE_DELAY", "0")))
        return super().generate(prompt, **options)


generator = SlowGenerator("They spoke for more than nine hours in Geneva [1].")
rag.embedding.MiniLMEmbedder = FakeEmbedder  # type: ignore[misc]
rag.generation.LlamaGenerator = lambda *a, **k: generator  # type: ignore[misc]

if __name__ == "__main__":
    from rag.cli import app

    app()
