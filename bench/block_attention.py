"""Measured, not built: passages encoded as independent blocks, so each passage's KV cache could be
computed once and reused by every question that retrieves it.

    .venv/bin/python bench/block_attention.py PER_SET UNANSWERABLE [WORDS] [TAG]

Each question's trimmed passages (the same text `rag ask` gives the model) are drafted two ways
from the same fixed instructions: `concat`, the prompt as built today (every passage attends to
the ones before it), and `blocks`, each passage evaluated in its own sequence after the fixed
prefix (attending to the prefix and itself only), then shifted into place with llama.cpp's
position shift and joined, the question evaluated after them with full attention. With blocks a
passage's state would not depend on the question, so it could be cached per passage, making a
warm question cost only its own tokens. Writes bench/results/TAG.jsonl (fit split, the first
PER_SET answerable and UNANSWERABLE unanswerable questions of each set).

Run of 2026-12-03 (`6 2 240 block-attention-fit`): right drafts concat 15 / 18, blocks 11 / 18
(seeds 5 -> 4, licences 6 -> 3, abstracts 4 -> 4 of 6); with two passages the model cites the
second for the first's sentence, and one draft opened with a file name. Without fine-tuning for
it, this model needs passages to see each other; not built.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import llama_cpp  # noqa: E402
import llama_cpp.llama_cpp as low  # noqa: E402
import numpy as np  # noqa: E402

from answers import SETS, engine_for, split_of  # noqa: E402

from rag import prompting  # noqa: E402
from rag.evaluation import answer_is_correct, read_gold  # noqa: E402
from rag.prompting import PromptPassage, parse_reply, select_passages  # noqa: E402

SEQUENCES = 8  # sequence 0 is the prompt; 1..7 hold one passage each while it is evaluated alone
BATCH = 512
_default_parameters = low.llama_context_default_params


def _parameters_with_sequences():  # type: ignore[no-untyped-def]
    """Llama() offers no n_seq_max; its context parameters come from this function."""
    parameters = _default_parameters()
    parameters.n_seq_max = SEQUENCES
    parameters.kv_unified = True
    return parameters


low.llama_context_default_params = _parameters_with_sequences
LLM = llama_cpp.Llama(
    model_path=str(ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
    n_ctx=8192, n_threads=2, n_threads_batch=2, n_batch=BATCH, verbose=False,
)
MEMORY = llama_cpp.llama_get_memory(LLM._ctx.ctx)


def tokens(text: str) -> list[int]:
    return LLM.tokenize(text.encode(), add_bos=False, special=True)


END = {LLM.token_eos(), *tokens("<|im_end|>")}
NOT_FOUND = tokens(prompting.NOT_FOUND)[0]
HEADER = tokens(prompting.system_prefix() + "<|im_start|>user\nPassages:\n")
TAIL = "Question: {question}<|im_end|>\n<|im_start|>assistant\n"


def last_logits() -> np.ndarray:
    return np.ctypeslib.as_array(LLM._ctx.get_logits_ith(-1), shape=(LLM.n_vocab(),)).astype(np.float32)


def back_to_header() -> None:
    """The KV cache holds the fixed instructions and the user turn's opening, in sequence 0 only."""
    if LLM.n_tokens < len(HEADER) or LLM.input_ids[: len(HEADER)].tolist() != HEADER:
        LLM.n_tokens = 0
        low.llama_memory_clear(MEMORY, True)
        LLM.eval(HEADER)
    for sequence in range(1, SEQUENCES):
        low.llama_memory_seq_rm(MEMORY, sequence, -1, -1)
    low.llama_memory_seq_rm(MEMORY, 0, len(HEADER), -1)
    LLM.n_tokens = len(HEADER)


def greedy(max_tokens: int = 80) -> tuple[str, float]:
    """The reply, the sentinel's first-token probability suppressed as `rag ask` does."""
    logits = last_logits()
    shifted = logits - logits.max()
    refusal = float(math.exp(shifted[NOT_FOUND] - np.log(np.exp(shifted).sum())))
    logits[NOT_FOUND] = -np.inf
    reply: list[int] = []
    for _ in range(max_tokens):
        token = int(np.argmax(logits))
        if token in END:
            break
        reply.append(token)
        LLM.eval([token])
        logits = last_logits()
    return LLM.detokenize(reply).decode("utf-8", "replace"), refusal


def draft_concat(question: str, passages: list[PromptPassage]) -> tuple[str, float]:
    back_to_header()
    LLM.eval(tokens(prompting.passage_body(passages) + "\n\n" + TAIL.format(question=question.strip())))
    return greedy()


def _decode_alone(segments: list[list[int]], start: int) -> None:
    """Each segment in its own sequence (1, 2, ...) at positions from start, after the header,
    which every sequence shares; segments go to llama.cpp in batches of at most BATCH tokens."""
    groups: list[list[int]] = [[]]
    for index, segment in enumerate(segments):
        low.llama_memory_seq_cp(MEMORY, 0, index + 1, 0, start)
        if groups[-1] and sum(len(segments[i]) for i in groups[-1]) + len(segment) > BATCH:
            groups.append([])
        groups[-1].append(index)
    for group in groups:
        batch = llama_cpp.llama_batch_init(BATCH, 0, SEQUENCES)
        count = 0
        for index in group:
            for offset, token in enumerate(segments[index]):
                batch.token[count] = token
                batch.pos[count] = start + offset
                batch.n_seq_id[count] = 1
                batch.seq_id[count][0] = index + 1
                batch.logits[count] = False
                count += 1
        batch.n_tokens = count
        batch.logits[count - 1] = True
        assert low.llama_decode(LLM._ctx.ctx, batch) == 0
        llama_cpp.llama_batch_free(batch)


def draft_blocks(question: str, passages: list[PromptPassage]) -> tuple[str, float]:
    back_to_header()
    start = len(HEADER)
    segments = [
        tokens(f"[{p.number}] ({p.hit.chunk.file}) {' '.join(p.text.split())}\n\n") for p in passages
    ]
    _decode_alone(segments, start)
    position, joined = start, list(HEADER)
    for index, segment in enumerate(segments):  # shifted into place and moved into sequence 0
        if position != start:
            low.llama_memory_seq_add(MEMORY, index + 1, start, start + len(segment), position - start)
        low.llama_memory_seq_cp(MEMORY, index + 1, 0, position, position + len(segment))
        position += len(segment)
        joined += segment
    for index in range(len(segments)):
        low.llama_memory_seq_rm(MEMORY, index + 1, -1, -1)
    LLM.input_ids[: len(joined)] = joined
    LLM.n_tokens = len(joined)
    LLM.eval(tokens(TAIL.format(question=question.strip())))
    return greedy()


def main() -> None:
    from rag.embedding import MiniLMEmbedder

    per_set, unanswerable = int(sys.argv[1]), int(sys.argv[2])
    words = int(sys.argv[3]) if len(sys.argv) > 3 else 240
    tag = sys.argv[4] if len(sys.argv) > 4 else "block-attention"
    embedder = MiniLMEmbedder()
    with open(ROOT / "bench" / "results" / f"{tag}.jsonl", "w", encoding="utf-8") as sink:
        for name in ("seeds", "licenses", "abstracts"):
            corpus, gold_file, _ = SETS[name]
            engine = engine_for(corpus, embedder, None)
            gold = [q for q in read_gold(gold_file) if split_of(name, q.id) == "fit"]
            chosen = [q for q in gold if q.answerable][:per_set] + [q for q in gold if not q.answerable][:unanswerable]
            for question in chosen:
                passages = select_passages(question.question, engine.search(question.question), words)
                record = {"set": name, "id": question.id, "type": question.type, "answerable": question.answerable}
                for variant, draft in (("concat", draft_concat), ("blocks", draft_blocks)):
                    started = time.perf_counter()
                    reply, refusal = draft(question.question, passages)
                    text, _, declined = parse_reply(reply)
                    record[variant] = {
                        "reply": reply, "probe": round(refusal, 3), "declined": declined or refusal > 0.5,
                        "correct": question.answerable and answer_is_correct(question, text),
                        "s": round(time.perf_counter() - started, 2),
                    }
                sink.write(json.dumps(record) + "\n")
                sink.flush()
                print(name, question.id, {v: record[v]["correct"] for v in ("concat", "blocks")}, flush=True)


if __name__ == "__main__":
    main()
