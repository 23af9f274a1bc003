"""What three sampled replies cost when decoded together: one llama.cpp batch of three sequences
sharing the prompt's KV cache, against one sequence (measured, not built; see bench/consistency.py).

    .venv/bin/python bench/batched_sampling.py

Each setting runs in a fresh process: the model loaded as rag loads it, with the context made for
1 sequence (as rag does) or for 4 with one unified KV cache; a 622-token prompt (the first seed
article and a question) evaluated; then 20 decoding steps of one sequence, or of three sampled
sequences copied from the prompt's cells. Also checks that the prompt's last logits are the same
either way (rag's answers must not change when the context holds more sequences). Writes
bench/results/batched-sampling.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = 20


def measure(sequences: int) -> dict[str, float]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import llama_cpp
    import llama_cpp.llama_cpp as bindings
    from llama_cpp import Llama

    from rag.config import DEFAULT_MODEL_PATH
    from rag.generation import plain_weight_buffers

    original = bindings.llama_context_default_params

    def defaults():  # type: ignore[no-untyped-def]
        params = original()
        params.n_seq_max, params.kv_unified = sequences, sequences > 1
        return params

    bindings.llama_context_default_params = defaults
    with plain_weight_buffers():
        llm = Llama(model_path=str(DEFAULT_MODEL_PATH), n_ctx=4096, n_threads=2, n_threads_batch=2, n_batch=512,
                    verbose=False)
    text = (ROOT / "seeds" / "000_8d13b83e7b516537.txt").read_text(encoding="utf-8")[:3500]
    prompt = llm.tokenize(f"<|im_start|>user\n{text}\nQuestion: How long did they talk?<|im_end|>\n"
                          "<|im_start|>assistant\n".encode(), special=True)
    started = time.perf_counter()
    llm.eval(prompt)
    prompt_seconds = time.perf_counter() - started
    vocabulary = llm.n_vocab()
    last = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(vocabulary,)).copy()
    result = {"sequences": sequences, "prompt_tokens": len(prompt), "prompt_s": round(prompt_seconds, 2),
              "last_logits_sum": float(last.astype(np.float64).sum())}
    token = int(last.argmax())
    started = time.perf_counter()
    if sequences == 1:
        for _ in range(STEPS):
            llm.eval([token])
            token = int(np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(vocabulary,)).argmax())
        result["ms_per_step"] = round((time.perf_counter() - started) / STEPS * 1000, 1)
        return result
    context = llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(context)
    for sequence in range(1, 4):
        llama_cpp.llama_memory_seq_cp(memory, 0, sequence, -1, -1)
    batch = llama_cpp.llama_batch_init(3, 0, 4)
    rng = np.random.default_rng(0)
    tokens = [token] * 3
    started = time.perf_counter()
    for step in range(STEPS):
        batch.n_tokens = 3
        for i in range(3):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = tokens[i], len(prompt) + step, 1, True
            batch.seq_id[i][0] = i + 1
        if llama_cpp.llama_decode(context, batch) != 0:
            raise RuntimeError("llama_decode failed")
        for i in range(3):
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(context, i), shape=(vocabulary,)) / 0.7
            top = np.argpartition(logits, -40)[-40:]
            weights = np.exp(logits[top] - logits[top].max())
            tokens[i] = int(top[rng.choice(40, p=weights / weights.sum())])
    result["ms_per_step"] = round((time.perf_counter() - started) / STEPS * 1000, 1)
    llama_cpp.llama_batch_free(batch)
    return result


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(measure(int(sys.argv[1]))))
        return
    runs = []
    for sequences in (1, 4, 1, 4):
        output = subprocess.run([sys.executable, __file__, str(sequences)], capture_output=True, text=True, check=True)
        runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
        print(runs[-1])
    same = len({run["last_logits_sum"] for run in runs}) == 1
    summary = {"runs": runs, "same_prompt_logits": same}
    (ROOT / "bench" / "results" / "batched-sampling.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"same prompt logits with 1 and 4 sequences: {same}")


if __name__ == "__main__":
    main()
