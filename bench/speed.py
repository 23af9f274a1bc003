"""Speed of the warm path and of one cold `rag ask`, and the tool's overhead over raw llama.cpp.

Warm: one Engine answers every question of a gold file; per question we record retrieval,
prompt processing and generation seconds and prompt tokens. Then the very same prompts go through
`llama_cpp.Llama` directly (same model, threads and context) in this process: each prompt is
evaluated from the same cached instructions, and the tool's number of generated tokens is costed
at llama.cpp's own measured decoding speed (raw greedy decoding may stop at once where the tool
goes on to draft an answer it then judges). The ratio of total seconds is the tool's overhead.
Cold: `rag ask --json` five times as a user runs it, split into imports, loading and answering.

One-shot (`--mode oneshot`): `rag ask` as a user runs it, one process per question, through the
warm background server: the first call starts the server (cold), the next ones find it loaded;
wall times against `rag ask --no-server` (everything loaded per call), warm seconds per question
of `rag batch` (models loaded once, in-process), and raw llama.cpp on the very same prompts from
the cached instructions (as the server evaluates them). Writes bench/results/speed-oneshot.json.

    .venv/bin/python bench/speed.py [--gold ../shared/eval/dev.jsonl] [--cold 5]
    .venv/bin/python bench/speed.py --mode oneshot [--calls 10] [--no-server-calls 3] [--repeats 5]

Fresh process (`--mode fresh`): `rag ask --no-server` (everything loaded per call, as a first call
or a `batch`/`chat` start pays) with the instructions' state read from disk (rag.state_files)
against evaluating them (`RAG_STATE_DIR=off`), alternating call by call on the same questions.
Writes bench/results/speed-fresh.json.

    .venv/bin/python bench/speed.py --mode fresh [--calls 6]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / "work"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "p90": round(percentile(values, 0.9), 3)}


def raw_seconds_per_token(llm, prompt: str) -> float:  # type: ignore[no-untyped-def]
    """llama.cpp's own decoding speed: 64 forced tokens (end-of-text banned) minus the first."""
    ends = [llm.token_eos(), *llm.tokenize(b"<|im_end|>", add_bos=False, special=True)]
    bias = {token: -1e9 for token in ends}
    llm(prompt, max_tokens=1, temperature=0.0)
    started = time.perf_counter()
    llm(prompt, max_tokens=1, temperature=0.0, top_k=1)
    one = time.perf_counter() - started
    started = time.perf_counter()
    llm(prompt, max_tokens=65, temperature=0.0, top_k=1, logit_bias=bias)
    return (time.perf_counter() - started - one) / 64


def raw_from_prefix(model_path: Path, threads: int, prompts: list[tuple[str, int]]) -> list[float]:
    """Seconds of raw llama.cpp per prompt, each evaluated from the cached instructions and
    examples (as the tool starts every question) plus the tool's number of generated tokens."""
    from llama_cpp import Llama

    from rag.generation import plain_weight_buffers
    from rag.prompting import system_prefix

    with plain_weight_buffers():  # as the tool loads it
        llm = Llama(model_path=str(model_path), n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                    n_batch=512, verbose=False)
    per_token = raw_seconds_per_token(llm, prompts[0][0])
    raw = []
    for prompt, new_tokens in prompts:
        llm(system_prefix(), max_tokens=1)  # leave only the instructions in the cache, as the tool finds it
        started = time.perf_counter()
        llm(prompt, max_tokens=1, temperature=0.0, top_k=1)
        raw.append(time.perf_counter() - started + max(0, new_tokens - 1) * per_token)
    llm.close()
    return raw


def warm(gold: Path) -> dict:
    from rag.config import Settings
    from rag.evaluation import read_gold
    from rag.indexing import build_index
    from rag.models import make_embedder, open_engine
    from rag.prompting import build_prompt, select_passages

    settings = Settings(index_dir=WORK / "seeds-index")
    embedder = make_embedder(settings)
    build_index(ROOT / "seeds", settings.index_dir, embedder, settings.chunking)
    engine = open_engine(settings, embedder)
    questions = [g.question for g in read_gold(gold)]
    engine.ask(questions[0])  # load the model and fill the KV cache with the instructions
    rows, prompts = [], []
    for question in questions:
        answer = engine.ask(question)
        rows.append(answer.timings)
        hits = engine.search(question)
        prompts.append((build_prompt(question, select_passages(question, hits, settings.context_words)),
                        int(answer.timings["completion_tokens"])))
    engine.generator.close()  # type: ignore[attr-defined]
    raw = raw_from_prefix(settings.model_path, settings.threads, prompts)
    tool_total = sum(r["total"] for r in rows)
    llm_only = sum(r["prompt"] + r["generation"] for r in rows)
    return {
        "questions": len(rows),
        "seconds_per_question": summary([r["total"] for r in rows]),
        "retrieval": summary([r["retrieval"] for r in rows]),
        "prompt_processing": summary([r["prompt"] for r in rows]),
        "generation": summary([r["generation"] for r in rows]),
        **{step: summary([r.get(step, 0.0) for r in rows]) for step in ("precheck", "redraft", "second_part", "evidence_check")},
        "generation_seconds_per_token": summary([r["generation"] / max(1, r["completion_tokens"]) for r in rows]),
        "prompt_tokens": summary([r["prompt_tokens"] for r in rows]),
        "evaluated_prompt_tokens": summary([r["evaluated_tokens"] for r in rows]),
        "completion_tokens": summary([r["completion_tokens"] for r in rows]),
        "raw_llama_seconds_per_question": summary(raw),
        "overhead_ratio_total": round(tool_total / sum(raw), 3),
        "overhead_ratio_llm_calls": round(llm_only / sum(raw), 3),
    }


def cold(runs: int, question: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(WORK / "seeds-index")}
    walls, splits = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "rag"), "ask", question, "--json"],
                                env=env, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        splits.append(json.loads(result.stdout)["timings"])
    loads = ["index_load", "embedder_load", "llm_load", "retrieval", "prompt", "generation"]
    median_split = {key: round(statistics.median(s.get(key, 0.0) for s in splits), 2) for key in loads}
    median_wall = statistics.median(walls)
    accounted = sum(median_split.values())
    return {"runs": runs, "wall_seconds_median": round(median_wall, 2),
            "split_median": {"imports_and_start": round(median_wall - accounted, 2), **median_split}}


def rag_command(*args: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds and stdout of one `python -m rag ...` run of this checkout."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "rag", *args], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def oneshot(gold: Path, calls: int, no_server_calls: int, repeats: int) -> dict:
    """`rag ask` one process per question: through the server (first call cold) and without it;
    then one of those questions asked again `repeats` times (its prompts' states come back from
    the server's prompt cache)."""
    from rag.config import Settings
    from rag.evaluation import read_gold
    from rag.indexing import build_index
    from rag.models import make_embedder, open_engine
    from rag.prompting import build_prompt, select_passages

    settings = Settings(index_dir=WORK / "seeds-index")
    embedder = make_embedder(settings)
    build_index(ROOT / "seeds", settings.index_dir, embedder, settings.chunking)
    questions = [g.question for g in read_gold(gold)]
    asked = [questions[i % len(questions)] for i in range(calls)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAG_INDEX": str(settings.index_dir),
           "PYTHONPATH": str(ROOT)}
    env.pop("RAG_NO_SERVER", None)
    rag_command("server", "stop", env=env)

    walls, timings, replies = [], [], []
    for question in asked:
        wall, out = rag_command("ask", question, "--json", env=env)
        walls.append(wall)
        timings.append(json.loads(out)["timings"])
        replies.append(json.loads(out)["answer"])
    again = [rag_command("ask", asked[-1], "--json", env=env) for _ in range(repeats)]
    _, status = rag_command("server", "status", env=env)
    rag_command("server", "stop", env=env)
    local = [rag_command("ask", q, "--json", "--no-server", env=env)[0] for q in asked[:no_server_calls]]

    batch_file = WORK / "oneshot-questions.txt"
    batch_file.write_text("\n".join(asked) + "\n", encoding="utf-8")
    _, out = rag_command("batch", str(batch_file), "--format", "jsonl", env=env)
    batch = [json.loads(line)["timings"] for line in out.splitlines()]

    engine = open_engine(settings, embedder)
    prompts = []
    for question, row in zip(asked, timings):
        hits = engine.search(question)
        prompts.append((build_prompt(question, select_passages(question, hits, settings.context_words)),
                        int(row["completion_tokens"])))
    raw = raw_from_prefix(settings.model_path, settings.threads, prompts)
    later = walls[1:]
    return {
        "calls": calls,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "first_call_wall_s": round(walls[0], 2),
        "later_calls_wall_s": summary(later),
        "later_calls_answer_s": summary([t["total"] for t in timings[1:]]),
        "later_calls_client_overhead_s": summary([w - t["total"] for w, t in zip(later, timings[1:])]),
        "same_question_again_wall_s": summary([wall for wall, _ in again]),
        "same_question_again_answer_s": summary([json.loads(out)["timings"]["total"] for _, out in again]),
        "same_question_again_same_answer": all(json.loads(out)["answer"] == replies[-1] for _, out in again),
        "no_server_wall_s": summary(local),
        "batch_warm_s_per_question": summary([t["total"] for t in batch]),
        "raw_llama_s_per_question": summary(raw),
        "server_later_answer_over_raw": round(sum(t["total"] for t in timings[1:]) / sum(raw[1:]), 3),
        "server_status": status.strip().splitlines(),
        "walls": [round(w, 2) for w in walls],
    }


def fresh(gold: Path, calls: int) -> dict:
    """`rag ask --no-server` wall and answer seconds with the instructions' state from disk and without."""
    import tempfile

    from rag.config import Settings
    from rag.evaluation import read_gold
    from rag.indexing import build_index
    from rag.models import make_embedder

    settings = Settings(index_dir=WORK / "seeds-index")
    build_index(ROOT / "seeds", settings.index_dir, make_embedder(settings), settings.chunking)
    questions = [g.question for g in read_gold(gold)][:calls]
    base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAG_INDEX": str(settings.index_dir),
            "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as folder:
        envs = {"evaluated": {**base, "RAG_STATE_DIR": "off"}, "from_disk": {**base, "RAG_STATE_DIR": folder}}
        rag_command("ask", questions[0], "--json", "--no-server", env=envs["from_disk"])  # writes the state
        runs: dict[str, list[tuple[float, dict]]] = {"evaluated": [], "from_disk": []}
        for question in questions:
            for label, env in envs.items():
                wall, out = rag_command("ask", question, "--json", "--no-server", env=env)
                runs[label].append((wall, json.loads(out)))
    same = all(a[1]["answer"] == b[1]["answer"] and a[1]["confidence"] == b[1]["confidence"]
               for a, b in zip(runs["evaluated"], runs["from_disk"]))
    return {
        "calls": len(questions),
        **{f"{label}_wall_s": summary([wall for wall, _ in rows]) for label, rows in runs.items()},
        **{f"{label}_first_prompt_s": summary([out["timings"]["precheck"] for _, out in rows])
           for label, rows in runs.items()},
        "same_answers_and_confidence": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--mode", choices=("warm", "oneshot", "fresh"), default="warm")
    parser.add_argument("--calls", type=int, default=None,
                        help="oneshot: rag ask calls through the server (10); fresh: questions (6)")
    parser.add_argument("--no-server-calls", type=int, default=3, help="oneshot: rag ask --no-server calls")
    parser.add_argument("--repeats", type=int, default=5, help="oneshot: the last question asked again")
    args = parser.parse_args()
    if args.mode == "fresh":
        result = fresh(args.gold, args.calls or 6)
        print(json.dumps(result, indent=2))
        (ROOT / "bench" / "results" / "speed-fresh.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    if args.mode == "oneshot":
        result = oneshot(args.gold, args.calls or 10, args.no_server_calls, args.repeats)
        print(json.dumps(result, indent=2))
        (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
        (ROOT / "bench" / "results" / "speed-oneshot.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    report = {"warm": warm(args.gold)}
    print(json.dumps(report["warm"], indent=2), flush=True)
    if args.cold:
        report["cold"] = cold(args.cold, "How long did Kerry and Lavrov talk in Geneva?")
        print(json.dumps(report["cold"], indent=2))
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "speed.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
