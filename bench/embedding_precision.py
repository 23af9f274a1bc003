"""The embedding model in float32 against bfloat16, paired in one run on real text.

Embeds the SciFact abstracts (title and text, as `bench/scifact.py` writes them) both ways, in
alternating rounds so the machine's drift falls on both alike, and reports passages a second, a
query's latency, how far the vectors move (cosine between the two), and dense retrieval over the
300 test claims scored as SciFact is (nDCG@10, Recall@10), plus how many claims keep the same
top 10.

    .venv/bin/python bench/embedding_precision.py [--passages 5183] [--rounds 2]

Writes bench/results/embedding-precision.json.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "bench" / "scifact"
RESULT = ROOT / "bench" / "results" / "embedding-precision.json"


def load(data: Path, limit: int) -> tuple[list[str], list[str], list[str], list[str], dict[str, dict[str, int]]]:
    """Abstract ids and texts, claim ids and texts, and the graded relevance of abstracts to claims."""
    ids, texts = [], []
    for line in (data / "corpus.jsonl").open(encoding="utf-8"):
        doc = json.loads(line)
        ids.append(doc["_id"])
        texts.append(f"{doc['title'].strip()}\n\n{doc['text'].strip()}")
        if len(ids) >= limit:
            break
    qrels: dict[str, dict[str, int]] = {}
    for line in (data / "qrels_test.tsv").open(encoding="utf-8").read().splitlines()[1:]:
        query, doc, score = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(score)
    queries = [json.loads(line) for line in (data / "queries_test.jsonl").open(encoding="utf-8")]
    queries = [q for q in queries if q["_id"] in qrels]
    return ids, texts, [q["_id"] for q in queries], [q["text"] for q in queries], qrels


def ndcg_recall(ranked: list[str], relevant: dict[str, int], k: int = 10) -> tuple[float, float]:
    gains = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sum(score / math.log2(rank + 2) for rank, score in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    found = len(set(ranked[:k]) & set(relevant)) / len(relevant)
    return (gains / ideal if ideal else 0.0), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--passages", type=int, default=5183, help="abstracts embedded (all 5,183 by default)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of float32 and bfloat16")
    args = parser.parse_args()
    import numpy as np

    from rag.embedding import MiniLMEmbedder, bf16_wanted

    ids, texts, query_ids, queries, qrels = load(args.data, args.passages)
    embedder = MiniLMEmbedder()
    speeds: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    query_ms: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    vectors: dict[str, np.ndarray] = {}
    query_vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, bf16 in (("float32", False), ("bfloat16", True)):
            embedder._bf16 = bf16
            started = time.perf_counter()
            vectors[name] = embedder.embed_passages(texts)
            speeds[name].append(len(texts) / (time.perf_counter() - started))
            rows = []
            for query in queries:
                started = time.perf_counter()
                rows.append(embedder.embed_query(query))
                query_ms[name].append((time.perf_counter() - started) * 1000)
            query_vectors[name] = np.stack(rows)
    cosines = (vectors["float32"] * vectors["bfloat16"]).sum(axis=1)
    retrieval = {}
    tops = {}
    for name in speeds:
        scores = query_vectors[name] @ vectors[name].T
        tops[name] = [[ids[i] for i in np.argsort(-row)[:10]] for row in scores]
        pairs = [ndcg_recall(top, qrels[q]) for q, top in zip(query_ids, tops[name], strict=True)]
        retrieval[name] = {"ndcg_at_10": round(statistics.mean(p[0] for p in pairs), 4),
                           "recall_at_10": round(statistics.mean(p[1] for p in pairs), 4)}
    report = {
        "passages": len(texts), "queries": len(queries), "cpu_has_bf16": bf16_wanted(),
        "passages_per_s": {name: [round(s, 1) for s in values] for name, values in speeds.items()},
        "speedup": round(statistics.median(speeds["bfloat16"]) / statistics.median(speeds["float32"]), 2),
        "query_ms_p50": {name: round(statistics.median(values), 1) for name, values in query_ms.items()},
        "query_ms_p90": {name: round(statistics.quantiles(values, n=10)[-1], 1) for name, values in query_ms.items()},
        "cosine_min": round(float(cosines.min()), 6), "cosine_mean": round(float(cosines.mean()), 6),
        "dense_retrieval": retrieval,
        "same_top10": sum(a == b for a, b in zip(tops["float32"], tops["bfloat16"], strict=True)),
        "same_top10_as_sets": sum(set(a) == set(b) for a, b in zip(tops["float32"], tops["bfloat16"], strict=True)),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
