"""Warm seconds a question of two checkouts of rag, measured in one run on the same questions.

This machine's speed drifts by 10–40 % from one day (or hour) to the next, so a time per question
is compared only with one measured beside it. For each question set, the held-out test questions
go through `rag batch` of each checkout in turn (models loaded once per batch, as in `chat`), the
checkouts alternating set by set so that a slow spell falls on both. Reports the median and mean
of each answer's own `timings.total` and the ratio of medians. Each checkout indexes the set's
corpus into its own folder under bench/work/same-run/.

    .venv/bin/python bench/same_run_time.py --before /path/to/old/checkout [--after .]
                                            [--sets seeds,licenses,abstracts] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, split_of  # noqa: E402

from rag.evaluation import read_gold  # noqa: E402

WORK = ROOT / "bench" / "work" / "same-run"


def run_rag(checkout: Path, *args: str) -> str:
    """stdout of `python -m rag ARGS` run from checkout's own code, in-process (no server)."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "RAG_NO_SERVER": "1", "HF_HUB_OFFLINE": "1",
           "RAG_MODEL": str(ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")}
    result = subprocess.run([sys.executable, "-m", "rag", *args], cwd=checkout, env=env, capture_output=True,
                            text=True, check=True)
    return result.stdout


def batch_seconds(checkout: Path, label: str, set_name: str, questions: Path) -> list[float]:
    """Each answer's timings.total from one `rag batch` of checkout over questions."""
    corpus = SETS[set_name][0]
    index = WORK / f"{label}-{set_name}"
    run_rag(checkout, "index", str(corpus), "--index", str(index))
    out = run_rag(checkout, "batch", str(questions), "--index", str(index), "--format", "jsonl")
    return [json.loads(line)["timings"]["total"] for line in out.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--sets", default="seeds,licenses,abstracts")
    parser.add_argument("--limit", type=int, default=0, help="at most N test questions a set (0: all)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    report = {"before": str(args.before.resolve()), "after": str(args.after.resolve()), "sets": {}}
    for set_name in args.sets.split(","):
        gold = [g for g in read_gold(SETS[set_name][1]) if split_of(set_name, g.id) == "test"]
        gold = gold[: args.limit] if args.limit else gold
        questions = WORK / f"{set_name}-test.txt"
        questions.write_text("".join(g.question + "\n" for g in gold), encoding="utf-8")
        seconds = {label: batch_seconds(path.resolve(), label, set_name, questions)
                   for label, path in (("before", args.before), ("after", args.after))}
        row = {label: {"questions": len(values), "median_s": round(statistics.median(values), 2),
                       "mean_s": round(statistics.fmean(values), 2)} for label, values in seconds.items()}
        row["after_over_before_median"] = round(row["after"]["median_s"] / row["before"]["median_s"], 3)
        report["sets"][set_name] = row
        print(set_name, json.dumps(row), flush=True)
    (ROOT / "bench" / "results" / "same-run-time.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
