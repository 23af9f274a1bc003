"""What prompt-lookup decoding would save on our answers, without building it.

    .venv/bin/python bench/lookup_decoding.py [--records bench/results/answers-v8-fittune.jsonl]

Prompt-lookup decoding guesses the next few tokens by finding the last generated n-gram in the
prompt and copying what followed it there; the model checks the guesses in one batch and keeps the
ones greedy decoding would have chosen. Answers quote their passages, so guesses should often be
right; but on a CPU a batch of tokens costs more than one token. This script measures both:

1. the cost of evaluating a batch of 1..12 tokens after ~800 tokens of context (the real model,
   best of four runs each), and
2. on recorded drafts (their text stands for greedy output), how many guessed tokens greedy
   decoding would accept, for each n-gram length and guess length,

and prints the generation time the drafts would take with and without lookup decoding.
Measured 2026-12-03 (results/lookup-decoding.json): at best 17 % of the generation time, about
0.3 s of a ~12 s question, so it was not built. Measured again 2026-12-06 on a Xeon whose memory
reads ~10 GB/s (one generated token 96 ms, plain weight buffers as `rag` loads them): a batch of 2,
3 and 4 tokens costs 137, 202 and 216 ms, so the best setting (2-gram lookup, 3 guesses) takes 0.91
of the generation time; still not worth building.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.prompting import system_prefix  # noqa: E402

BATCHES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
CONTEXT_TOKENS = 800


def batch_costs(llm) -> dict[int, float]:  # type: ignore[no-untyped-def]
    """Milliseconds to evaluate a batch of n tokens after CONTEXT_TOKENS of seed text."""
    text = " ".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "seeds").iterdir()))
    tokens = llm.tokenize(text.encode("utf-8"))[: CONTEXT_TOKENS + max(BATCHES)]
    llm.eval(tokens[:CONTEXT_TOKENS])
    costs = {}
    for n in BATCHES:
        runs = []
        for _ in range(4):
            llm._ctx.kv_cache_seq_rm(-1, CONTEXT_TOKENS, -1)
            llm.n_tokens = CONTEXT_TOKENS
            started = time.perf_counter()
            llm.eval(tokens[CONTEXT_TOKENS : CONTEXT_TOKENS + n])
            runs.append(time.perf_counter() - started)
        costs[n] = round(1000 * min(runs), 1)
    return costs


def guess(sequence: list[int], longest: int, shortest: int, length: int) -> list[int]:
    """The tokens that followed the latest earlier occurrence of the sequence's last n-gram."""
    for n in range(longest, shortest - 1, -1):
        if len(sequence) <= n:
            continue
        pattern = sequence[-n:]
        for start in range(len(sequence) - n - 1, -1, -1):
            if sequence[start : start + n] == pattern:
                return sequence[start + n : start + n + length]
    return []


def simulated_ms(source: list[int], reply: list[int], costs: dict[int, float], shortest: int, length: int) -> float:
    """Generation time of reply with lookup decoding (its first token comes with the prompt)."""
    total, i = 0.0, 0
    while i < len(reply) - 1:
        guessed = guess(source + reply[: i + 1], 3, shortest, length)
        accepted = 0
        for j, token in enumerate(guessed):
            if i + 1 + j < len(reply) and reply[i + 1 + j] == token:
                accepted += 1
            else:
                break
        total += costs[1 + len(guessed)]
        i += 1 + accepted
    return total


def main() -> None:
    from llama_cpp import Llama

    from rag.config import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=Path, default=ROOT / "bench" / "results" / "answers-v8-fittune.jsonl")
    args = parser.parse_args()
    settings = Settings()
    from rag.generation import plain_weight_buffers

    with plain_weight_buffers():  # as rag loads it
        llm = Llama(model_path=str(settings.model_path), n_ctx=4096, n_threads=settings.threads,
                    n_threads_batch=settings.threads, n_batch=512, verbose=False)
    costs = batch_costs(llm)
    print("batch ms", costs)

    def tokens(text: str) -> list[int]:
        return llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    prefix = tokens(system_prefix())
    end = tokens("<|im_end|>")
    pairs = []
    for line in args.records.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not record.get("draft"):
            continue
        passages = "\n\n".join(p["text"] for p in record["retrieved"][:6])
        source = prefix + tokens(f"Passages:\n{passages}\n\nQuestion: {record['question']}")
        pairs.append((source, tokens(record["draft"].rstrip(".") + " [1].") + end))
    plain = sum(costs[1] * (len(reply) - 1) for _, reply in pairs)
    rows = []
    for shortest in (1, 2, 3):
        for length in (2, 3, 4, 6):
            looked_up = sum(simulated_ms(source, reply, costs, shortest, length) for source, reply in pairs)
            rows.append({"shortest_ngram": shortest, "guess_tokens": length, "ratio": round(looked_up / plain, 3)})
            print(f"n-gram >= {shortest}, guess {length}: generation time x {looked_up / plain:.3f}")
    result = {"drafts": len(pairs), "batch_ms": costs, "plain_generation_s": round(plain / 1000, 1), "variants": rows}
    (ROOT / "bench" / "results" / "lookup-decoding.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
