"""Hit@5 of the gold paragraph per corpus and question type, for each way of fusing the two
retrievers; no language model, so it runs in a minute.

    .venv/bin/python bench/retrieval_types.py [--splits fit,tune]

Rankings are computed from each retriever's top candidates, as the retriever does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import SETS, engine_for, split_of  # noqa: E402

from rag.evaluation import read_gold  # noqa: E402

K = 5


def hit(chunks, order, evidence) -> bool:  # type: ignore[no-untyped-def]
    return any(
        any(Path(chunks[i].file).name == f and chunks[i].start_line <= line <= chunks[i].end_line for f, line in evidence)
        for i in order[:K]
    )


def main() -> None:
    import numpy as np

    from rag import retrieval
    from rag.embedding import MiniLMEmbedder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--splits", default="fit,tune")
    parser.add_argument("--sets", default="calibration,seeds,licenses,abstracts")
    args = parser.parse_args()
    splits = set(args.splits.split(","))
    embedder = MiniLMEmbedder()
    table: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for name in args.sets.split(","):
        corpus, gold_file, _ = SETS[name]
        engine = engine_for(corpus, embedder, None)
        chunks = engine.index.chunks
        vectors = engine.retriever._vectors
        for question in read_gold(gold_file):
            if split_of(name, question.id) not in splits or not question.answerable:
                continue
            dense = vectors @ embedder.embed_query(question.question)
            keyword = engine.index.keyword.scores(question.question)
            for method, scores in retrieval_variants(retrieval, question.question, dense, keyword, chunks).items():
                order = np.argsort(-scores, kind="stable")
                for group in ("all", question.type):
                    table[(name, group)][method].append(hit(chunks, order, question.evidence))
    methods = list(next(iter(table.values())))
    print(f"{'set':<12}{'type':<14}{'n':>4}" + "".join(f"{m:>12}" for m in methods))
    out = {}
    for (name, group), results in table.items():
        n = len(next(iter(results.values())))
        cells = {m: round(100 * sum(v) / n, 1) for m, v in results.items()}
        out[f"{name}/{group}"] = {"n": n, **cells}
        print(f"{name:<12}{group:<14}{n:>4}" + "".join(f"{cells[m]:>12}" for m in methods))
    (ROOT / "bench" / "results" / "retrieval-types.json").write_text(json.dumps(out, indent=1))


def retrieval_variants(retrieval, question, dense, keyword, chunks):  # type: ignore[no-untyped-def]
    """Each candidate fusion as one score per chunk."""
    import numpy as np

    variants = {
        "dense": dense,
        "keyword": keyword,
        "mix0.5": retrieval.fuse(dense, keyword, "hybrid", 0.5),
        "mix0.7": retrieval.fuse(dense, keyword, "hybrid", 0.7),
    }
    ranks_d = np.empty(len(dense)); ranks_d[np.argsort(-dense)] = np.arange(len(dense))
    ranks_k = np.empty(len(keyword)); ranks_k[np.argsort(-keyword)] = np.arange(len(keyword))
    variants["rrf"] = 1 / (60 + ranks_d) + 1 / (60 + ranks_k)
    return variants


if __name__ == "__main__":
    main()
