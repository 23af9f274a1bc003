"""Prompt-size experiments: passages per question (k) and words of passage text, measured on our
calibration questions (never the dev set) for answer accuracy, abstention and seconds per question.

    .venv/bin/python bench/experiments.py --configs 4:200,4:260,6:340
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.evaluation import read_gold, score_one, Scores  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=ROOT / "bench" / "data" / "calibration.jsonl")
    parser.add_argument("--configs", default="4:200,4:260,6:340")
    args = parser.parse_args()
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import build_index
    from rag.pipeline import Engine

    base = Settings(index_dir=ROOT / "bench" / "work" / "seeds-index")
    embedder = MiniLMEmbedder()
    build_index(ROOT / "seeds", base.index_dir, embedder, base.chunking)
    gold = read_gold(args.gold)
    engine = None
    results = []
    for config in args.configs.split(","):
        k, words = (int(x) for x in config.split(":"))
        settings = dataclasses.replace(base, top_k=k, context_words=words)
        fresh = Engine.open(settings, embedder, (lambda e=engine: e.generator) if engine else None)
        engine = fresh
        scores, seconds = Scores(), []
        for question in gold:
            answer = engine.ask(question.question)
            score_one(scores, question, answer)
            seconds.append(answer.timings["total"])
        row = {"k": k, "words": words, **scores.rates(), "median_seconds": round(statistics.median(seconds), 2)}
        results.append(row)
        print(json.dumps(row), flush=True)
    out = ROOT / "bench" / "results" / "prompt-size.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
