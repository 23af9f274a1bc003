"""Scratch: prompt tokens/s by n_ubatch, alternating, one process per config load."""
import time, sys, json
from pathlib import Path
from llama_cpp import Llama
from rag.generation import plain_weight_buffers
from rag.config import DEFAULT_MODEL_PATH
text = " ".join(p.read_text() for p in sorted(Path("seeds").glob("*.txt")))
configs = [int(x) for x in sys.argv[1].split(",")]
llms = {}
for ub in configs:
    with plain_weight_buffers():
        llms[ub] = Llama(model_path=str(DEFAULT_MODEL_PATH), n_ctx=2048, n_threads=2, n_threads_batch=2, n_batch=512, n_ubatch=ub, verbose=False)
toks = llms[configs[0]].tokenize(text.encode())[:600]
res = {ub: [] for ub in configs}
logits = {}
for r in range(3):
    for ub in configs:
        llm = llms[ub]
        llm.reset()
        t = time.perf_counter()
        llm.eval(toks)
        dt = time.perf_counter() - t
        res[ub].append(len(toks) / dt)
        logits[ub] = llm.eval_logits[-1][:3] if llm.eval_logits else []
for ub in configs:
    print(ub, [round(x, 1) for x in res[ub]], logits[ub][:3])
