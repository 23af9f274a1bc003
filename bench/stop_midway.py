"""How soon an answer stops once its asker leaves, and what the stop check costs a question.

    .venv/bin/python bench/stop_midway.py [--questions 8] [--stops 8]

The warm server asks `cancelled()` (has the client hung up?) between the model's steps and, since
2026-12-04, from inside llama.cpp's computation every STOP_POLL_SECONDS, through an abort callback
that is installed only while an answer runs with a `cancelled`. Two measurements on seeds/, one
process, the prompt cache off so that every question is computed:

- the cost: each dev question answered with no `cancelled` (no callback) and with one that never
  says stop (the callback polled throughout), alternating which goes first; seconds and answers;
- the delay: a new question stopped at a random moment 0.3-3 s in, with the callback and with the
  generator's stop_when made a no-op (only the checks between steps, as before); seconds from the
  stop to `Cancelled`.

Writes bench/results/stop-midway.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.config import Settings  # noqa: E402
from rag.errors import Cancelled  # noqa: E402
from rag.evaluation import read_gold  # noqa: E402
from rag.indexing import build_index  # noqa: E402
from rag.pipeline import Engine  # noqa: E402


def timed_ask(engine: Engine, question: str, cancelled) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = engine.ask(question, cancelled=cancelled)
    return time.perf_counter() - started, answer.answer


def stop_delay(engine: Engine, question: str, after: float) -> float:
    """Seconds from the stop to Cancelled for a question stopped `after` seconds in."""
    stop = threading.Event()
    stopped_at: list[float] = []

    def press() -> None:
        stopped_at.append(time.perf_counter())
        stop.set()

    timer = threading.Timer(after, press)
    timer.start()
    try:
        engine.ask(question, cancelled=stop.is_set)
    except Cancelled:
        return time.perf_counter() - stopped_at[0]
    finally:
        timer.cancel()
    return float("nan")  # finished before the stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--stops", type=int, default=8)
    args = parser.parse_args()
    settings = Settings(index_dir=ROOT / "bench" / "work" / "index-seeds", prompt_cache_mb=0)
    from rag import models

    embedder = models.make_embedder(settings)
    build_index(ROOT / "seeds", settings.index_dir, embedder, settings.chunking)
    engine = Engine.open(settings, embedder)
    questions = [g.question for g in read_gold(ROOT.parent / "shared" / "eval" / "dev.jsonl")][: args.questions]
    engine.ask(questions[0])  # loads the model and the instructions' state

    plain, polled, same = [], [], 0
    for number, question in enumerate(questions):
        runs = {}
        for kind in (("plain", "polled") if number % 2 == 0 else ("polled", "plain")):
            runs[kind] = timed_ask(engine, question, None if kind == "plain" else (lambda: False))
        plain.append(runs["plain"][0])
        polled.append(runs["polled"][0])
        same += runs["plain"][1] == runs["polled"][1]
        print(f"{number + 1}/{len(questions)} plain {runs['plain'][0]:.2f} s, polled {runs['polled'][0]:.2f} s", flush=True)

    rng = random.Random(7)
    others = [g.question for g in read_gold(ROOT / "bench" / "data" / "seeds-heldout2.jsonl")]
    delays: dict[str, list[float]] = {"midway": [], "between_steps": []}
    real_stop_when = engine.generator.stop_when
    for number in range(args.stops):
        after = rng.uniform(0.3, 3.0)
        for kind in ("midway", "between_steps"):
            engine.generator.stop_when = real_stop_when if kind == "midway" else (lambda cancelled: None)  # type: ignore[method-assign]
            delays[kind].append(stop_delay(engine, others[number], after))
        print(f"stop {number + 1}/{args.stops} at {after:.2f} s: midway {delays['midway'][-1]:.2f} s, "
              f"between steps {delays['between_steps'][-1]:.2f} s", flush=True)
    engine.generator.stop_when = real_stop_when  # type: ignore[method-assign]

    def summary(values: list[float]) -> dict[str, float]:
        kept = sorted(v for v in values if v == v)
        return {"median": round(statistics.median(kept), 3), "max": round(kept[-1], 3), "runs": len(kept)}

    result = {
        "questions": len(questions),
        "seconds_per_question_no_callback": summary(plain),
        "seconds_per_question_callback_polled": summary(polled),
        "median_ratio_polled_over_plain": round(statistics.median(p / q for p, q in zip(polled, plain)), 3),
        "same_answers": f"{same} of {len(questions)}",
        "stop_delay_s_midway": summary(delays["midway"]),
        "stop_delay_s_between_steps_only": summary(delays["between_steps"]),
        "settings": dataclasses.asdict(settings) | {"index_dir": str(settings.index_dir)},
    }
    out = ROOT / "bench" / "results" / "stop-midway.json"
    out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "settings"}))


if __name__ == "__main__":
    main()
