"""Beyond one machine, measured on this one: Ray throughput with 1 and 2 workers, Milvus Lite vs FAISS.

    nice -n 10 .venv/bin/python bench/distributed.py --passages 100000 --questions 10
    nice -n 10 .venv/bin/python bench/distributed.py --part store --passages 10000   # stores only
    nice -n 10 .venv/bin/python bench/distributed.py --part ray --questions 4        # Ray only

ray: `rag batch` of the first --questions questions of bench/data/seeds-eval.jsonl over an index of
seeds/, through fanout.AnswerPool with 1 then 2 workers (each worker loads MiniLM and the GGUF
model once, with cores/workers threads); answers per minute exclude model loading, which is
timed apart. The same for embedding: --embed passages through fanout.RayEmbedder, passages/s.
store: the corpus of bench/scale.py (real SciFact sentences recombined, MiniLM geometry plus
noise) indexed into FAISS and into Milvus Lite through the same build_index; build seconds,
recall@10 of dense_search against exact inner-product search, p50 latency of dense_search,
keyword_search (top 200) and Retriever.search hybrid (k 10) over the 300 SciFact claims.
The last line printed is one JSON object, also written to bench/results/distributed-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "results"
QUESTIONS = ROOT / "bench" / "data" / "seeds-eval.jsonl"


def percentile_ms(samples: list[float], q: float = 50) -> float:
    import numpy as np

    return round(float(np.percentile(samples, q)) * 1000, 2)


def answer_throughput(work: Path, count: int, workers: int) -> dict[str, float]:
    """answers/minute of one AnswerPool over `count` questions, and its start-up seconds."""
    from rag import fanout
    from rag.batch import Question
    from rag.config import Settings

    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()][:count]
    items = [Question(r["id"], r["question"]) for r in rows]
    started = time.perf_counter()
    pool = fanout.AnswerPool(fanout.Job(Settings(index_dir=work / "seeds-index")), workers=workers,
                             cpus=fanout.cpus_per_worker(workers))
    loaded = time.perf_counter()
    try:
        pool.run(items, lambda question, answer: None)
    finally:
        pool.close()
    seconds = time.perf_counter() - loaded
    return {"workers": workers, "questions": count, "startup_s": round(loaded - started, 1),
            "answer_s": round(seconds, 1), "answers_per_minute": round(60 * count / seconds, 2)}


def embed_throughput(texts: list[str], workers: int) -> dict[str, float]:
    from rag import fanout
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import EMBED_BATCH

    factory = fanout.RayEmbedder(MiniLMEmbedder.name, MiniLMEmbedder.dimension, Settings(), workers=workers,
                                 cpus=fanout.cpus_per_worker(workers))
    pool = factory()
    pool.embed_passages(texts[: 2 * fanout.EMBED_PIECE])  # load the model in every worker first
    started = time.perf_counter()
    for begin in range(0, len(texts), EMBED_BATCH):  # as `rag index --ray` sends them
        pool.embed_passages(texts[begin : begin + EMBED_BATCH])
    seconds = time.perf_counter() - started
    return {"workers": workers, "passages": len(texts), "passages_per_s": round(len(texts) / seconds, 1)}


def run_ray(args: argparse.Namespace, work: Path) -> dict[str, object]:
    import random

    from rag import fanout
    from rag.config import ChunkSettings
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import build_index
    from scale import base_sentences, passage_text

    build_index(ROOT / "seeds", work / "seeds-index", MiniLMEmbedder(), ChunkSettings())
    sentences = base_sentences(args.data, 4000)
    rng = random.Random(5)
    texts = [passage_text(rng, sentences) for _ in range(args.embed)]
    result: dict[str, object] = {"answers": [], "embedding": []}
    for workers in (1, 2):
        fanout.start(None, workers)
        result["answers"].append(answer_throughput(work, args.questions, workers))  # type: ignore[union-attr]
        result["embedding"].append(embed_throughput(texts, workers))  # type: ignore[union-attr]
        fanout.stop()
        print(f"ray with {workers} worker(s): {result}", file=sys.stderr, flush=True)
    return result


def measure_store(index_dir: Path, store: str, texts: list[str], vectors, truth: list[list[int]]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Latencies and recall of one built store, opened as `rag ask` would open it."""
    from rag.retrieval import Retriever
    from rag.store import open_index

    started = time.perf_counter()
    index = open_index(index_dir, store)
    open_s = time.perf_counter() - started

    class Precomputed:
        name, dimension = index.manifest.embedding_model, index.manifest.dimension

        def embed_query(self, text: str):  # type: ignore[no-untyped-def]
            return vectors[texts.index(text)]

    retriever = Retriever(index, Precomputed())  # type: ignore[arg-type]

    def timed(call) -> list[float]:  # type: ignore[no-untyped-def]
        for i in range(10):
            call(i)
        samples = []
        for i in range(len(texts)):
            begin = time.perf_counter()
            call(i)
            samples.append(time.perf_counter() - begin)
        return samples

    found = [[r for r, _ in index.dense_search(vectors[i], 10)] for i in range(len(texts))]
    recall = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True)) / (10 * len(texts))
    dense = timed(lambda i: index.dense_search(vectors[i], 10))
    keyword = timed(lambda i: index.keyword_search(texts[i], 200))
    hybrid = timed(lambda i: retriever.search(texts[i], 10, "hybrid"))
    index.close()
    return {"open_s": round(open_s, 2), "recall_at_10": round(recall, 4), "dense_p50_ms": percentile_ms(dense),
            "keyword_top200_p50_ms": percentile_ms(keyword), "hybrid_p50_ms": percentile_ms(hybrid),
            "dense_index": index.manifest.dense}


def run_stores(args: argparse.Namespace, work: Path) -> dict[str, object]:
    import numpy as np

    from rag.config import ChunkSettings
    from rag.indexing import build_index
    from scale import BASE_SENTENCES, SyntheticEmbedder, base_sentences, embed_real, exact_top10, write_corpus

    sentences = base_sentences(args.data, BASE_SENTENCES)
    claims = [json.loads(line)["text"] for line in (args.data / "queries_test.jsonl").open(encoding="utf-8")]
    base, query_vectors, _ = embed_real(sentences, claims)
    embedder = SyntheticEmbedder(sentences, base, dict(zip(claims, query_vectors, strict=True)))
    corpus = work / "corpus"
    write_corpus(corpus, args.passages, sentences)
    vectors = np.asarray(query_vectors, dtype=np.float32)
    result: dict[str, object] = {"passages": args.passages}
    truth: list[list[int]] = []
    for name, store in (("faiss", "faiss"), ("milvus_lite", f"milvus:{work / 'milvus.db'}")):
        started = time.perf_counter()
        report = build_index(corpus, work / "index", embedder, ChunkSettings(), store=store)
        build_s = time.perf_counter() - started
        if name == "faiss":
            truth = exact_top10(work / "index", vectors)  # every row's vector; the same rows in both stores
        figures = measure_store(work / "index", store, claims, vectors, truth)
        result[name] = {"build_s": round(build_s, 1), "chunks": report.chunks, **figures}
        print(f"{name}: {result[name]}", file=sys.stderr, flush=True)
    return result


def main() -> None:
    from scale import DATA

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["all", "ray", "store"], default="all")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--embed", type=int, default=1024, help="passages embedded per worker count")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="rag-distributed-"))
    report: dict[str, object] = {"command": " ".join(sys.argv[1:]), "cpus": os.cpu_count()}
    try:
        if args.part in ("all", "store"):
            report["stores"] = run_stores(args, work)
        if args.part in ("all", "ray"):
            report["ray"] = run_ray(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = args.passages if args.part != "ray" else f"ray-{args.questions}q"
    (RESULTS / f"distributed-{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
