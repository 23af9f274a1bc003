"""llama.cpp's plain weight buffers against its extra (repacked) ones, paired on the same questions.

    .venv/bin/python bench/weight_buffers.py [--gold ../shared/eval/dev.jsonl | --set seeds2]

Both models are loaded in one process; each question is answered by both, over `seeds/` for
--gold, or over a question set's corpus (bench/answers.py SETS, its test split) for --set; the order
alternating question by question, so load and heat fall on both alike. Reports seconds a question
(median, mean), the passages' reading (the pre-check), whether the answers are the same, and the
questions handled right (answerable ones answered right, unanswerable ones abstained on); writes
results/weight-buffers.json. `rag` loads plain buffers (rag.generation.plain_weight_buffers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answers import SETS, engine_for, split_of  # noqa: E402

import rag.generation as generation  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedding import MiniLMEmbedder  # noqa: E402
from rag.evaluation import answer_is_correct, read_gold  # noqa: E402


def generators() -> dict[str, generation.LlamaGenerator]:
    """The model as rag loads it, and again with llama.cpp's default (extra) buffers."""
    settings = Settings()
    plain = generation.LlamaGenerator(settings.model_path, threads=settings.threads)
    kept = generation.plain_weight_buffers
    generation.plain_weight_buffers = contextlib.nullcontext  # type: ignore[assignment]
    try:
        extra = generation.LlamaGenerator(settings.model_path, threads=settings.threads)
    finally:
        generation.plain_weight_buffers = kept
    return {"plain": plain, "extra": extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--set", default="", help="a question set of bench/answers.py instead (its test split)")
    args = parser.parse_args()
    corpus, questions = ROOT / "seeds", read_gold(args.gold)
    if args.set:
        corpus, gold_file, _ = SETS[args.set]
        questions = [q for q in read_gold(gold_file) if split_of(args.set, q.id) == "test"]
    embedder = MiniLMEmbedder()
    engines = {name: engine_for(corpus, embedder, model) for name, model in generators().items()}
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    reading: dict[str, list[float]] = {name: [] for name in engines}
    same = 0
    handled = dict.fromkeys(engines, 0)  # answerable ones answered right, unanswerable ones abstained on
    for number, question in enumerate(questions):
        answers = {}
        for name in sorted(engines, reverse=number % 2 == 1):
            answers[name] = engines[name].ask(question.question)
            seconds[name].append(answers[name].timings["total"])
            reading[name].append(answers[name].timings["precheck"])
        same += answers["plain"].answer == answers["extra"].answer
        for name, answer in answers.items():
            handled[name] += (
                not answer.abstained and answer_is_correct(question, answer.answer) if question.answerable
                else answer.abstained
            )
        print(question.id, {name: round(values[-1], 2) for name, values in seconds.items()}, file=sys.stderr)
    report = {
        name: {
            "seconds_median": round(statistics.median(seconds[name]), 2),
            "seconds_mean": round(statistics.mean(seconds[name]), 2),
            "passages_read_s_median": round(statistics.median(reading[name]), 2),
            "handled_right": handled[name],
        }
        for name in engines
    } | {"same_answers": f"{same} of {len(questions)}", "questions": len(questions), "cpu": _cpu()}
    out = ROOT / "bench" / "results" / f"weight-buffers{'-' + args.set if args.set else ''}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report))


def _cpu() -> str:
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
        return next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")


if __name__ == "__main__":
    main()
