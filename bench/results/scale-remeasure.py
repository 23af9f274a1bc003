"""On a --keep'd bench/scale.py folder: change one paragraph, re-index with this code (timed, wall
and CPU), recompute the exact top 10, and run bench/scale.py's measure step in a fresh process.

    .venv/bin/python bench/results/scale-remeasure.py /tmp/rag-scale-XXXX [SEED]
"""
import hashlib, json, os, random, subprocess, sys, tempfile, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]; sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench"))
import numpy as np, scale
from rag.config import ChunkSettings
from rag.indexing import build_index
work = Path(sys.argv[1])
sentences = scale.base_sentences(scale.DATA, scale.BASE_SENTENCES)
claims = [json.loads(l)["text"] for l in (scale.DATA / "queries_test.jsonl").open()]
key = hashlib.sha256("\n".join(sentences + claims).encode()).hexdigest()[:16]
saved = np.load(Path(tempfile.gettempdir()) / f"rag-scale-minilm-{key}.npz")
embedder = scale.SyntheticEmbedder(sentences, saved["base"], dict(zip(claims, saved["queries"])))
corpus, index_dir = work / "corpus", work / "index"
first = corpus / "doc00000.txt"
paragraphs = first.read_text(encoding="utf-8").split("\n\n")
paragraphs[0] = scale.passage_text(random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 98), sentences)
first.write_text("\n\n".join(paragraphs), encoding="utf-8")
result = {}
started, cpu = time.perf_counter(), scale.cpu_seconds()
changed = build_index(corpus, index_dir, embedder, ChunkSettings())
result["reindex_one_change_s"] = round(time.perf_counter() - started, 1)
result["reindex_one_change_cpu_s"] = round(scale.cpu_seconds() - cpu, 1)
result["reindex_one_change_embedded"] = changed.embedded
print(result, file=sys.stderr, flush=True)
truth = scale.exact_top10(index_dir, np.asarray(saved["queries"], dtype=np.float32))
qf = work / "queries.json"
qf.write_text(json.dumps({"texts": claims, "vectors": np.asarray(saved["queries"]).tolist(), "truth": truth}))
out = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--measure", str(index_dir), str(qf)],
                     check=True, capture_output=True, text=True)
result.update(json.loads(out.stdout.strip().splitlines()[-1]))
result["load_average_after"] = round(os.getloadavg()[0], 1)
print(json.dumps(result))
