"""How the index behaves at 10k, 100k and 1M passages: build, disk, memory, open time, latency, recall.

    nice -n 10 .venv/bin/python bench/scale.py --passages 100000

Everything is written under a fresh temporary folder, removed at the end (--keep leaves it); the
MiniLM vectors of the base sentences are kept in the system temporary folder for the next run.
The last line printed is one JSON object (also written to bench/results/scale-<N>.json).

The corpus is as hard as a real one, without embedding a million passages on a laptop:
  * base: BASE_SENTENCES real sentences from SciFact abstracts, embedded with the real MiniLM;
  * passages: 3-6 of those sentences recombined (text for BM25 is real prose), each passage's
    vector the normalised mean of its sentences' real embeddings plus Gaussian noise (NOISE per
    dimension, seeded by the text): the geometry of real embeddings, neither well-separated
    clusters (on which any approximate index looks perfect) nor uniform noise;
  * queries: the 300 real SciFact test claims, embedded with MiniLM, searched as text for BM25.
The passages go through the real `rag index` library path (files on disk, chunking, SQLite rows,
the vector cache, FAISS, BM25) with a deterministic embedder that computes the vector above from
the text. Embedding throughput of the real model on real passages is measured separately.

Figures: build_s (build_index wall time), disk_mb (the whole index folder), peak_rss_mb (the
building process), open_s (open_index in a fresh process right after the build, while the
build's writes are still being flushed), open_again_s (the same in a second fresh process: the
index's files in the page cache, as on a machine that used the index recently), open_cold_s
(the same after evicting the index's files from the page cache), index_rss_mb (that process's resident
memory after opening and running every query, minus its size before opening), dense_p50/p99_ms
(IndexStore.dense_search top 10), retriever_dense_p50_ms (Retriever.search mode dense, k 10:
candidates, duplicate check, rows read), hybrid_p50/p99_ms (Retriever.search hybrid, k 10),
recall_at_10 (dense_search top 10 against exact inner-product search over all vectors); by_ef_search
(HNSW only: recall@10 and dense p50 at each efSearch of EF_SWEEP, read per query, so no rebuild).
On a shared machine wall times say little: build_cpu_s and the *_cpu_ms latencies are the CPU
time of the process (all threads), and load_average the 1-minute load before and after the build.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = next((p / "shared" / "bench" / "scifact" for p in (ROOT.parent, ROOT.parent.parent)
             if (p / "shared" / "bench" / "scifact").is_dir()), ROOT.parent / "shared" / "bench" / "scifact")
RESULTS = ROOT / "bench" / "results"
BASE_SENTENCES = 4000
PER_FILE = 1000
NOISE = 0.03  # per dimension; a passage's noise vector has norm ~0.6 against a mean of norm ~0.7-0.9
WARMUP = 20
EF_SWEEP = (256, 512, 768, 1024)  # HNSW efSearch values whose recall and latency are also measured


def base_sentences(data: Path, count: int) -> list[str]:
    """Real sentences from SciFact abstracts, 8-60 words, in a fixed random order."""
    from rag.chunking import sentence_spans

    sentences = []
    for line in (data / "corpus.jsonl").open(encoding="utf-8"):
        text = json.loads(line)["text"]
        for a, b in sentence_spans(text):
            sentence = " ".join(text[a:b].split())
            if (8 <= len(sentence.split()) <= 60 and sentence.endswith(".") and sentence[0].isupper()
                    and _stands_alone(sentence)):
                sentences.append(sentence)
    random.Random(7).shuffle(sentences)
    return list(dict.fromkeys(sentences))[:count]


def _stands_alone(sentence: str) -> bool:
    """Whether rag's splitter cuts the sentence off from one before and one after it, as passages
    join them: one ending in an initial ("Cantley, L. C.") runs on into the next."""
    from rag.chunking import sentence_spans

    for joined, parts in ((f"{sentence} Zebras run.", [sentence, "Zebras run."]),
                          (f"Zebras run. {sentence}", ["Zebras run.", sentence])):
        if [joined[a:b] for a, b in sentence_spans(joined)] != parts:
            return False
    return True


class SyntheticEmbedder:
    """Passage vector = normalised(mean of its sentences' real embeddings + noise seeded by the text)."""

    name = "scale-bench-minilm-noise"
    dimension = 384

    def __init__(self, sentences: list[str], vectors, queries: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
        self.row = {s: i for i, s in enumerate(sentences)}
        self.base = vectors
        self.queries = queries

    def passage_vector(self, text: str):  # type: ignore[no-untyped-def]
        import numpy as np

        from rag.chunking import sentence_spans

        name, _, passage = text.partition("\n")
        if passage and name not in self.row:  # the file name's words above it (rag.chunking.embedding_text)
            text = passage
        rows = [row for a, b in sentence_spans(text) for row in self._rows_of(text[a:b])]
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        vector = self.base[rows].mean(axis=0) + np.random.default_rng(seed).normal(0, NOISE, self.dimension)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def _rows_of(self, span: str) -> list[int]:
        """The base sentences of one span the splitter gave: a sentence ending in a capital's
        initial ("anaphase B.") runs on into the next ("H. pylori ..."), whichever follows it."""
        if span in self.row:
            return [self.row[span]]
        for stop in re.finditer(r"\. ", span):
            if (head := span[: stop.start() + 1]) in self.row:
                return [self.row[head], *self._rows_of(span[stop.end() :])]
        raise KeyError(span)

    def embed_passages(self, texts, progress=None):  # type: ignore[no-untyped-def]
        import numpy as np

        out = np.stack([self.passage_vector(t) for t in texts]) if texts else np.zeros((0, self.dimension), np.float32)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str):  # type: ignore[no-untyped-def]
        return self.queries[text]


def passage_text(rng: random.Random, sentences: list[str]) -> str:
    """3-6 real sentences, at least 40 words (so the chunker keeps one passage per paragraph)."""
    chosen: list[str] = []
    while len(chosen) < 3 or (sum(len(s.split()) for s in chosen) < 40 and len(chosen) < 6):
        chosen.append(sentences[rng.randrange(len(sentences))])
    return " ".join(chosen)


def write_corpus(folder: Path, passages: int, sentences: list[str]) -> None:
    rng = random.Random(11)
    folder.mkdir(parents=True)
    for first in range(0, passages, PER_FILE):
        texts = [passage_text(rng, sentences) for _ in range(min(PER_FILE, passages - first))]
        (folder / f"doc{first // PER_FILE:05d}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")


def embed_real(sentences: list[str], queries: list[str]):  # type: ignore[no-untyped-def]
    """MiniLM vectors of the base sentences and the queries (kept in the system's temporary folder
    between runs: they do not depend on --passages), and passages/s on real recombined passages."""
    import numpy as np

    from rag.embedding import MiniLMEmbedder

    key = hashlib.sha256("\n".join(sentences + queries).encode()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / f"rag-scale-minilm-{key}.npz"
    model = MiniLMEmbedder()
    if cached.is_file():
        saved = np.load(cached)
        base, query_vectors = saved["base"], saved["queries"]
    else:
        base = model.embed_passages(sentences)
        query_vectors = model.embed_passages(queries)
        np.savez(cached, base=base, queries=query_vectors)
    sample = [passage_text(random.Random(3), sentences) for _ in range(256)]
    started = time.perf_counter()
    model.embed_passages(sample)
    throughput = len(sample) / (time.perf_counter() - started)
    return base, query_vectors, throughput


def exact_top10(index_dir: Path, query_vectors) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Ground truth: exact inner-product top 10 over every row's vector, read batch by batch."""
    import sqlite3

    import faiss
    import numpy as np

    from rag.faiss_store import current_generation, vector_cache_path

    generation = current_generation(index_dir)
    assert generation is not None
    db = sqlite3.connect(generation / "meta.sqlite")
    db.execute("ATTACH DATABASE ? AS cache", (str(vector_cache_path(index_dir, SyntheticEmbedder.name)),))
    best_scores = np.full((len(query_vectors), 10), -np.inf, dtype=np.float32)
    best_rows = np.full((len(query_vectors), 10), -1, dtype=np.int64)
    step = 50_000
    (count,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()
    for begin in range(0, count, step):
        blobs = db.execute(
            "SELECT v.vector FROM chunks c JOIN cache.vectors v ON v.hash = c.hash "
            "WHERE c.row >= ? AND c.row < ? ORDER BY c.row", (begin, begin + step)).fetchall()
        block = np.frombuffer(b"".join(b for (b,) in blobs), dtype=np.float32).reshape(-1, 384)
        scores, rows = faiss.knn(query_vectors, block, min(10, len(block)), metric=faiss.METRIC_INNER_PRODUCT)
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged_rows = np.concatenate([best_rows, rows + begin], axis=1)
        order = np.argsort(-merged_scores, axis=1)[:, :10]
        best_scores = np.take_along_axis(merged_scores, order, axis=1)
        best_rows = np.take_along_axis(merged_rows, order, axis=1)
    db.close()
    return best_rows.tolist()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(index_dir: Path, queries_file: Path) -> dict[str, float]:
    """Run in a fresh process: open time, resident memory of the open index, latencies, recall."""
    import numpy as np

    import faiss  # noqa: F401  (imported before the baseline, as any search process would)
    from rag.retrieval import Retriever
    from rag.store import open_index

    data = json.loads(queries_file.read_text())
    texts = data["texts"]
    vectors = np.asarray(data["vectors"], dtype=np.float32)
    truth = data["truth"]
    baseline = rss_mb()
    started = time.perf_counter()
    store = open_index(index_dir)
    open_s = time.perf_counter() - started

    class Precomputed:
        name, dimension = SyntheticEmbedder.name, 384

        def embed_query(self, text: str):  # type: ignore[no-untyped-def]
            return vectors[texts.index(text)]

    retriever = Retriever(store, Precomputed())  # type: ignore[arg-type]

    def timed(call) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
        """Wall and CPU (all threads of this process) milliseconds of each query."""
        for i in range(WARMUP):
            call(i)
        times, cpu = [], []
        for i in range(len(texts)):
            started, cpu_started = time.perf_counter(), time.process_time()
            call(i)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        return times, cpu

    def p(values: list[float], q: int) -> float:
        return round(float(np.percentile(values, q)), 2)

    dense, dense_cpu = timed(lambda i: store.dense_search(vectors[i], 10))
    found = [[r for r, _ in store.dense_search(vectors[i], 10)] for i in range(len(texts))]
    recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
    by_ef = {}
    if store.manifest.dense.get("type") == "hnsw":  # efSearch is read per query: no rebuild to try others
        chosen = store.manifest.dense["efSearch"]
        for ef in EF_SWEEP:
            store.manifest.dense["efSearch"] = ef
            times, _ = timed(lambda i: store.dense_search(vectors[i], 10))
            swept = [[r for r, _ in store.dense_search(vectors[i], 10)] for i in range(len(texts))]
            hits = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(swept, truth, strict=True)])
            by_ef[ef] = {"recall_at_10": round(float(hits), 4), "dense_p50_ms": p(times, 50)}
        store.manifest.dense["efSearch"] = chosen
    retriever_dense, retriever_dense_cpu = timed(lambda i: retriever.search(texts[i], 10, "dense"))
    hybrid, hybrid_cpu = timed(lambda i: retriever.search(texts[i], 10, "hybrid"))
    keyword, keyword_cpu = timed(lambda i: store.keyword_search(texts[i], 200))
    return {
        "open_s": round(open_s, 3),
        "index_rss_mb": round(rss_mb() - baseline, 1),
        "dense_p50_ms": p(dense, 50),
        "dense_p99_ms": p(dense, 99),
        "retriever_dense_p50_ms": p(retriever_dense, 50),
        "keyword_top200_p50_ms": p(keyword, 50),
        "hybrid_p50_ms": p(hybrid, 50),
        "hybrid_p99_ms": p(hybrid, 99),
        "dense_p50_cpu_ms": p(dense_cpu, 50),
        "retriever_dense_p50_cpu_ms": p(retriever_dense_cpu, 50),
        "keyword_top200_p50_cpu_ms": p(keyword_cpu, 50),
        "hybrid_p50_cpu_ms": p(hybrid_cpu, 50),
        "hybrid_p99_cpu_ms": p(hybrid_cpu, 99),
        "recall_at_10": round(recall, 4),
        "by_ef_search": by_ef,
        "dense_index": store.manifest.dense,
    }


def du_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--keep", action="store_true", help="leave the temporary folder")
    parser.add_argument("--reindex", action=argparse.BooleanOptionalAction, default=None,
                        help="also time re-indexing with one paragraph changed (default: up to 100k)")
    parser.add_argument("--interrupt-after", type=float, default=None, metavar="SECONDS",
                        help="stop the first build this long into its HNSW step, once a checkpoint is saved "
                             "(as Ctrl-C would), then time the build that continues from it")
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-cold", nargs=2, type=Path, metavar=("INDEX", "QUERIES"),
                        help="measure a kept index (--keep) in a fresh process after evicting its files "
                             "from the page cache")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    if args.measure_cold:
        evict_from_page_cache(args.measure_cold[0])
        print(json.dumps(measure_in_fresh_process(*args.measure_cold)))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="rag-scale-"))
    try:
        report = run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scale-{args.passages}{'-resumed' if args.interrupt_after else ''}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    import numpy as np

    from rag.config import ChunkSettings
    from rag.indexing import build_index

    sentences = base_sentences(args.data, BASE_SENTENCES)
    claims = [json.loads(line)["text"] for line in (args.data / "queries_test.jsonl").open(encoding="utf-8")]
    started = time.perf_counter()
    base, query_vectors, throughput = embed_real(sentences, claims)
    print(f"embedded {len(sentences)} sentences and {len(claims)} queries in {time.perf_counter() - started:.0f}s; "
          f"MiniLM {throughput:.1f} passages/s", file=sys.stderr, flush=True)
    embedder = SyntheticEmbedder(sentences, base, dict(zip(claims, query_vectors, strict=True)))
    corpus, index_dir = work / "corpus", work / "index"
    write_corpus(corpus, args.passages, sentences)
    load_before = os.getloadavg()[0]
    interrupted = interrupted_build(corpus, index_dir, embedder, args.interrupt_after) if args.interrupt_after else {}
    started, cpu_started = time.perf_counter(), cpu_seconds()
    report = build_index(corpus, index_dir, embedder, ChunkSettings(), on_embedding=progress_lines("embedded"),
                         on_building=progress_lines("indexed (vectors, then BM25)"))
    build_s, build_cpu_s = time.perf_counter() - started, cpu_seconds() - cpu_started
    print(f"built {report.chunks} passages in {build_s:.0f}s ({build_cpu_s:.0f}s CPU)", file=sys.stderr, flush=True)
    result: dict[str, object] = {
        **interrupted,
        "passages": report.chunks,
        "build_s": round(build_s, 1),
        "build_cpu_s": round(build_cpu_s, 1),
        "build_embed_s": round(report.embed_seconds, 1),
        "disk_mb": du_mb(index_dir),
        "vector_cache_mb": round(sum(p.stat().st_size for p in index_dir.glob("vectors-*")) / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "minilm_passages_per_s": round(throughput, 1),
    }
    started = time.perf_counter()
    unchanged = build_index(corpus, index_dir, embedder, ChunkSettings())
    result["reindex_unchanged_s"] = round(time.perf_counter() - started, 3)
    assert unchanged.embedded == 0 and unchanged.up_to_date
    if args.reindex or (args.reindex is None and args.passages <= 100_000):
        first = corpus / "doc00000.txt"
        paragraphs = first.read_text(encoding="utf-8").split("\n\n")
        paragraphs[0] = passage_text(random.Random(99), sentences)
        first.write_text("\n\n".join(paragraphs), encoding="utf-8")
        started = time.perf_counter()
        changed = build_index(corpus, index_dir, embedder, ChunkSettings())
        result["reindex_one_change_s"] = round(time.perf_counter() - started, 1)
        result["reindex_one_change_embedded"] = changed.embedded
    queries_file = work / "queries.json"
    truth = exact_top10(index_dir, np.asarray(query_vectors, dtype=np.float32))
    queries_file.write_text(json.dumps({"texts": claims, "vectors": np.asarray(query_vectors).tolist(), "truth": truth}))
    result.update(measure_in_fresh_process(index_dir, queries_file))
    result["open_again_s"] = measure_in_fresh_process(index_dir, queries_file)["open_s"]
    evict_from_page_cache(index_dir)
    result["open_cold_s"] = measure_in_fresh_process(index_dir, queries_file)["open_s"]
    result["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return result


def interrupted_build(corpus: Path, index_dir: Path, embedder, seconds: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Build until `seconds` into the HNSW step with a checkpoint saved, then stop as Ctrl-C does;
    returns how far it got. The build timed after it (build_s) is the one that continues."""
    from rag.config import ChunkSettings
    from rag.faiss_store import CHECKPOINT_SIDECAR
    from rag.indexing import build_index

    steps = 0

    def on_building(total: int):  # type: ignore[no-untyped-def]
        nonlocal steps
        steps += 1
        step_started = time.perf_counter()

        def advance(count: int) -> None:
            checkpoint = index_dir / CHECKPOINT_SIDECAR
            if steps == 1 and time.perf_counter() - step_started >= seconds and checkpoint.is_file():
                raise KeyboardInterrupt

        return advance

    started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        build_index(corpus, index_dir, embedder, ChunkSettings(), on_embedding=progress_lines("embedded"),
                    on_building=on_building)
    except KeyboardInterrupt:
        saved = json.loads((index_dir / CHECKPOINT_SIDECAR).read_text(encoding="utf-8"))
        print(f"stopped after {time.perf_counter() - started:.0f}s; checkpoint holds {saved['ntotal']} vectors",
              file=sys.stderr, flush=True)
        return {"interrupted_build_s": round(time.perf_counter() - started, 1),
                "interrupted_build_cpu_s": round(cpu_seconds() - cpu_started, 1),
                "checkpoint_vectors": saved["ntotal"]}
    raise SystemExit("the build ended before a checkpoint was saved; use a smaller --interrupt-after")


def measure_in_fresh_process(index_dir: Path, queries_file: Path) -> dict[str, object]:
    """measure() in a new Python process, so that open time and memory start from nothing."""
    measured = subprocess.run(
        [sys.executable, __file__, "--measure", str(index_dir), str(queries_file)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(measured.stdout.strip().splitlines()[-1])


def evict_from_page_cache(folder: Path) -> None:
    """Drop the folder's files from the page cache (clean pages; no privileges needed), so that
    the next open reads them from disk, as on a machine that has not used the index lately."""
    for path in folder.rglob("*"):
        if path.is_file():
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def cpu_seconds() -> float:
    """CPU time of this process, all threads: what a build costs whatever else runs beside it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def progress_lines(verb: str):  # type: ignore[no-untyped-def]
    """A build_index progress callback printing to stderr about every 5 %."""

    def start(total: int):  # type: ignore[no-untyped-def]
        done, step = 0, max(total // 20, 1)

        def advance(count: int) -> None:
            nonlocal done
            if (done + count) // step != done // step:
                print(f"{verb} {done + count}/{total}", file=sys.stderr, flush=True)
            done += count

        return advance

    return start


if __name__ == "__main__":
    main()
