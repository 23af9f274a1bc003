"""Hit@1 and Hit@5 of the gold paragraph per corpus and question type, hybrid search with and
without the best-sentence re-scoring (`Settings.rerank_pool`), and the seconds it adds.

    .venv/bin/python bench/sentence_rerank.py [--splits fit,tune] [--sets seeds,licenses,abstracts]

No language model; the search goes through `Engine.search` as `rag search` does. Writes
bench/results/sentence-rerank-SPLITS.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import answerable_questions, set_arguments  # noqa: E402
from retrieval_types import found  # noqa: E402

from rag.config import RERANK_POOL  # noqa: E402

K = 5
VARIANTS = {"fused": 0, "sentence": RERANK_POOL}


def main() -> None:
    from rag.embedding import MiniLMEmbedder

    set_names, splits, _ = set_arguments(__doc__)
    embedder = MiniLMEmbedder()
    table: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    seconds: dict[str, list[float]] = defaultdict(list)
    for name, engine, question in answerable_questions(set_names, splits, embedder):
        for variant, pool in VARIANTS.items():
            engine.retriever.rerank_pool = pool
            engine.retriever._sentence_vectors.clear()  # every query pays for its sentences
            started = time.perf_counter()
            hits = engine.search(question.question, K, "hybrid")
            seconds[variant].append(time.perf_counter() - started)
            for group in ("all", question.type):
                table[(name, group)][f"{variant} hit@1"].append(found(hits[:1], question.evidence))
                table[(name, group)][f"{variant} hit@5"].append(found(hits, question.evidence))
    columns = [f"{v} hit@{k}" for v in VARIANTS for k in (1, 5)]
    print(f"{'set':<12}{'type':<14}{'n':>4}" + "".join(f"{c:>17}" for c in columns))
    out: dict[str, object] = {}
    for (name, group), results in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1] != "all", kv[0][1])):
        n = len(results[columns[0]])
        cells = {c: round(100 * sum(results[c]) / n, 1) for c in columns}
        out[f"{name}/{group}"] = {"n": n, **cells}
        print(f"{name:<12}{group:<14}{n:>4}" + "".join(f"{cells[c]:>17}" for c in columns))
    out["median_search_ms"] = {v: round(1000 * statistics.median(s), 1) for v, s in seconds.items()}
    print("median search ms:", out["median_search_ms"])
    tag = "-".join(sorted(splits))
    (ROOT / "bench" / "results" / f"sentence-rerank-{tag}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
