"""SciFact retrieval benchmark (BEIR test split) through the tool itself.

Writes the corpus as one file per abstract (title as the first paragraph), indexes it with
`rag index`, runs the 300 claims through `rag batch --retrieve-only`, and scores documents by
their best passage: nDCG@10, Recall@10, MRR@10 per retrieval mode. Also times `rag index`
against raw SentenceTransformer.encode of the same passages in the same run.

    .venv/bin/python bench/scifact.py [--data ../shared/bench/scifact] [--modes dense,keyword,hybrid]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "scifact"
RESULTS = ROOT / "bench" / "results"
PASSAGES_PER_QUERY = 30
TAG = f"words{os.environ.get('RAG_CHUNK_WORDS', '400')}"
INDEX = WORK / f"index-{TAG}"


def write_corpus(data: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for line in (data / "corpus.jsonl").open(encoding="utf-8"):
        doc = json.loads(line)
        target = folder / f"{doc['_id']}.txt"
        body = f"{doc['title'].strip()}\n\n{doc['text'].strip()}\n"
        if not target.exists() or target.read_text(encoding="utf-8") != body:
            target.write_text(body, encoding="utf-8")
        count += 1
    return count


def write_queries(data: Path, target: Path) -> dict[str, str]:
    queries = {}
    with target.open("w", encoding="utf-8") as out:
        for line in (data / "queries_test.jsonl").open(encoding="utf-8"):
            query = json.loads(line)
            queries[query["_id"]] = query["text"]
            out.write(json.dumps({"id": query["_id"], "question": query["text"]}) + "\n")
    return queries


def read_qrels(data: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (data / "qrels_test.tsv").open(encoding="utf-8").readlines()[1:]:
        qid, did, score = line.strip().split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, {})[did] = int(score)
    return qrels


def rag(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(INDEX)}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "rag"), *args], env=env, check=True,
                          capture_output=True, text=True)


def ranked_documents(predictions: Path) -> dict[str, list[str]]:
    """Per query, documents in order of their best passage."""
    ranking = {}
    for line in predictions.open(encoding="utf-8"):
        row = json.loads(line)
        docs: list[str] = []
        for passage in row["retrieved"]:
            doc = Path(passage["file"]).stem
            if doc not in docs:
                docs.append(doc)
        ranking[row["id"]] = docs[:10]
    return ranking


def score(ranking: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    ndcg = recall = mrr = 0.0
    for qid, relevant in qrels.items():
        docs = ranking.get(qid, [])
        dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(docs))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
        ndcg += dcg / ideal
        recall += len(set(docs) & set(relevant)) / len(relevant)
        mrr += next((1 / (i + 1) for i, d in enumerate(docs) if d in relevant), 0.0)
    n = len(qrels)
    return {"nDCG@10": round(ndcg / n, 4), "Recall@10": round(recall / n, 4), "MRR@10": round(mrr / n, 4)}


def raw_encode_seconds() -> tuple[float, int]:
    """SentenceTransformer.encode of the indexed passages' texts, nothing else, for the overhead ratio."""
    sys.path.insert(0, str(ROOT))
    from rag.embedding import MiniLMEmbedder
    from rag.store import open_index

    index = open_index(INDEX)
    texts = [c.text for c in index.chunks(range(index.count))]
    model = MiniLMEmbedder()._model
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started, len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench" / "scifact")
    parser.add_argument("--modes", default="dense,keyword,hybrid")
    parser.add_argument("--skip-index", action="store_true", help="reuse the existing index")
    args = parser.parse_args()

    corpus = WORK / "corpus"
    documents = write_corpus(args.data, corpus)
    queries_file = WORK / "queries.jsonl"
    write_queries(args.data, queries_file)
    qrels = read_qrels(args.data)
    report: dict[str, object] = {"documents": documents, "queries": len(qrels), "chunking": TAG}

    if not args.skip_index:
        import shutil

        shutil.rmtree(INDEX, ignore_errors=True)
        started = time.perf_counter()
        output = rag("index", str(corpus)).stdout.strip()
        index_seconds = time.perf_counter() - started
        encode_seconds, passages = raw_encode_seconds()
        report["index"] = {
            "rag_index_seconds": round(index_seconds, 1),
            "raw_encode_seconds": round(encode_seconds, 1),
            "passages": passages,
            "passages_per_second": round(passages / index_seconds, 1),
            "raw_passages_per_second": round(passages / encode_seconds, 1),
            "overhead": f"{(index_seconds / encode_seconds - 1) * 100:.1f}% (includes process start and model load)",
            "output": output,
        }
        print(json.dumps(report["index"], indent=2), flush=True)

    for mode in args.modes.split(","):
        predictions = WORK / f"retrieved-{TAG}-{mode}.jsonl"
        predictions.unlink(missing_ok=True)
        started = time.perf_counter()
        rag("batch", str(queries_file), "--retrieve-only", "--k", str(PASSAGES_PER_QUERY), "--mode", mode,
            "-o", str(predictions))
        seconds = time.perf_counter() - started
        report[mode] = {**score(ranked_documents(predictions), qrels), "batch_seconds": round(seconds, 1)}
        print(mode, report[mode], flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scifact-{TAG}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
