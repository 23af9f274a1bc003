"""The model picks the passage that answers, and that passage leads the prompt (measured, scratch).

    .venv/bin/python bench/select_first.py [--sets seeds,licenses,abstracts,techdocs] [--split fit]
                                           [--per-set 20] [--unanswerable 6] [--tag select1]

Per question, paired on the same retrieved hits: the draft from today's prompt (`current`); the
model's first-token distribution over the passage numbers after "Which passage states the answer
... or 0 if none does?" asked on that prompt (one short tail, the passages are in the KV cache);
`first`: the chosen passage moved to the front (largest word share), the rest in their order,
drafted again only when the choice is not already first; `alone`: the chosen passage by itself.
Records to bench/results/select-TAG.jsonl, the table to select-TAG.txt.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answers import SETS, engine_for, split_of  # noqa: E402

from rag import prompting  # noqa: E402
from rag.evaluation import answer_is_correct, read_gold  # noqa: E402
from rag.generation import _log_softmax  # noqa: E402
from rag.prompting import build_prompt, parse_reply, question_prefix, select_passages  # noqa: E402

SELECT_QUESTION = (
    "Which passage states the answer to this question? Reply with the passage's number, or 0 if no "
    "passage states it."
)


def choice_distribution(generator, question: str, passages) -> list[float]:  # type: ignore[no-untyped-def]
    """P(0), P(1) .. P(n) for the reply's first token, renormalised over those digits."""
    prompt = question_prefix(question, passages) + f"\n\n{SELECT_QUESTION}<|im_end|>\n<|im_start|>assistant\n"
    generator._evaluate_prompt(generator.tokens(prompt))
    log_probs = _log_softmax(generator._last_logits())
    ids = [generator.tokens(str(n))[0] for n in range(len(passages) + 1)]
    mass = [math.exp(float(log_probs[i])) for i in ids]
    total = sum(mass) or 1.0
    return [m / total for m in mass]


def draft(generator, question: str, passages) -> tuple[str, bool, float, int]:  # type: ignore[no-untyped-def]
    generation = generator.generate(
        build_prompt(question, passages), max_tokens=80, probe=[prompting.NOT_FOUND], suppress_probe=True
    )
    text, _, declined = parse_reply(generation.text)
    return text, declined, generation.probe_probability, generation.prompt_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="seeds,licenses,abstracts,techdocs")
    parser.add_argument("--split", default="fit")
    parser.add_argument("--per-set", type=int, default=20)
    parser.add_argument("--unanswerable", type=int, default=6)
    parser.add_argument("--tag", default="select1")
    args = parser.parse_args()

    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    settings = Settings()
    embedder = MiniLMEmbedder()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    out = ROOT / "bench" / "results" / f"select-{args.tag}.jsonl"
    records = []
    with open(out, "w", encoding="utf-8") as sink:
        for name in args.sets.split(","):
            corpus, gold_file, _ = SETS[name]
            engine = engine_for(corpus, embedder, generator)
            gold = [q for q in read_gold(gold_file) if split_of(name, q.id) == args.split]
            chosen = [q for q in gold if q.answerable][: args.per_set]
            chosen += [q for q in gold if not q.answerable][: args.unanswerable]
            for question in chosen:
                hits = engine.search(question.question)
                passages = select_passages(question.question, hits, settings.context_words)
                if not passages:
                    continue
                started = time.perf_counter()
                generator.start_from(prompting.system_prefix())
                shares = choice_distribution(generator, question.question, passages)
                pick = max(range(1, len(shares)), key=lambda n: shares[n]) if len(shares) > 1 else 0
                record = {
                    "set": name, "id": question.id, "type": question.type, "answerable": question.answerable,
                    "shares": [round(s, 4) for s in shares], "pick": pick,
                }
                for variant in ("current", "first", "alone"):
                    if variant == "current" or (variant == "first" and pick == 1):
                        ordered = hits
                    elif variant == "first":
                        ordered = [passages[pick - 1].hit] + [
                            h for h in hits if h is not passages[pick - 1].hit
                        ]
                    else:
                        ordered = [passages[pick - 1].hit]
                    shown = select_passages(question.question, ordered, settings.context_words)
                    if variant == "alone":
                        shown = [prompting.PromptPassage(1, ordered[0], prompting._best_sentences(
                            ordered[0].chunk.text, prompting._term_weights(question.question, hits), settings.context_words))]
                    text, declined, refusal, tokens = draft(generator, question.question, shown)
                    record[variant] = {
                        "draft": text, "declined": declined, "refusal": round(refusal, 4),
                        "correct": question.answerable and answer_is_correct(question, text), "prompt_tokens": tokens,
                    }
                record["seconds"] = round(time.perf_counter() - started, 2)
                records.append(record)
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
            print(f"{name} done", file=sys.stderr)
    generator.close()
    report = table(records)
    (ROOT / "bench" / "results" / f"select-{args.tag}.txt").write_text(report, encoding="utf-8")
    print(report)


def auc(positives: list[float], negatives: list[float]) -> float:
    pairs = [(p > n) + 0.5 * (p == n) for p in positives for n in negatives]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def table(records: list[dict]) -> str:
    lines = ["set / type: right drafts current / first / alone (of answerable); pick=1 share; AUC of 1-P(0)"]
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        for key in ((r["set"], "all"), (r["set"], r["type"]), ("ALL", "all"), ("ALL", r["type"])):
            groups[key].append(r)
    for (name, kind), rows in sorted(groups.items()):
        answerable = [r for r in rows if r["answerable"]]
        unanswerable = [r for r in rows if not r["answerable"]]
        right = {v: sum(r[v]["correct"] for r in answerable) for v in ("current", "first", "alone")}
        firsts = sum(r["pick"] == 1 for r in rows)
        score = auc([1 - r["shares"][0] for r in answerable], [1 - r["shares"][0] for r in unanswerable])
        declined = {v: sum(r[v]["declined"] for r in unanswerable) for v in ("current", "first", "alone")}
        lines.append(
            f"{name:10} {kind:12} n={len(answerable):3}/{len(unanswerable):2}  right {right['current']:3} / "
            f"{right['first']:3} / {right['alone']:3}   unanswerable declined {declined['current']} / "
            f"{declined['first']} / {declined['alone']}   pick=1 {firsts}/{len(rows)}   AUC {score:.2f}"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
