"""llama.cpp's flash attention on against off, in one run on the same questions (paired).

    .venv/bin/python bench/flash_attention.py [--gold ../shared/eval/dev.jsonl] [--rounds 2]

Two engines over one index, each with its own copy of the model (one with flash attention, one
without), answer every question of the gold file in turn, alternating which goes first; per
question: seconds reading the passages (the pre-check prompt), drafting and in all, and whether
the two drafts are the same text. Writes bench/results/flash-attention.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answers import engine_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.evaluation import read_gold
    from rag.generation import LlamaGenerator

    settings = Settings()
    embedder = MiniLMEmbedder()
    engines = {
        name: engine_for(ROOT / "seeds", embedder, LlamaGenerator(settings.model_path, threads=settings.threads, flash_attention=on))
        for name, on in (("flash", True), ("plain", False))
    }
    for engine in engines.values():
        engine.all_signals = False
    questions = [q.question for q in read_gold(args.gold)]
    rows: dict[str, list[dict]] = {name: [] for name in engines}
    same = 0
    for round_number in range(args.rounds):
        for i, question in enumerate(questions):
            order = list(engines) if (i + round_number) % 2 == 0 else list(reversed(engines))
            drafts = {}
            for name in order:
                engines[name].generator.prompt_states.budget_bytes = 0  # every question read afresh
                answer = engines[name].ask(question)
                drafts[name] = answer.draft or answer.text
                rows[name].append({key: answer.timings[key] for key in ("precheck", "generation", "total", "prompt_tokens")})
            same += drafts["flash"] == drafts["plain"]
    report = {
        name: {
            key: round(statistics.median(r[key] for r in rows[name]), 3)
            for key in ("precheck", "generation", "total", "prompt_tokens")
        }
        for name in engines
    }
    report["questions"] = len(questions) * args.rounds
    report["same_draft"] = same
    report["total_ratio_flash_over_plain"] = round(
        statistics.median(f["total"] / p["total"] for f, p in zip(rows["flash"], rows["plain"])), 3
    )
    text = json.dumps(report, indent=2)
    (ROOT / "bench" / "results" / "flash-attention.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
