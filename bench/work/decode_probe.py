"""Scratch: raw llama.cpp decoding ms/token (plain buffers) against rag's Generator.generate."""
import sys, time
sys.path.insert(0, "bench")
from speed import raw_seconds_per_token
from llama_cpp import Llama
from rag.generation import plain_weight_buffers
from rag.config import DEFAULT_MODEL_PATH, Settings
from rag.prompting import system_prefix
with plain_weight_buffers():
    llm = Llama(model_path=str(DEFAULT_MODEL_PATH), n_ctx=4096, n_threads=2, n_threads_batch=2, n_batch=512, verbose=False)
prompt = system_prefix() + "<|im_start|>user\nWrite a long story about a harbour.<|im_end|>\n<|im_start|>assistant\n"
print("raw ms/token", round(1000 * raw_seconds_per_token(llm, prompt), 1))
llm.close()
from rag.models import generator_factory
gen = generator_factory(Settings())()
gen.start_from(system_prefix())
t = time.perf_counter()
g = gen.generate(prompt, max_tokens=64)
print("rag generate: tokens", g.completion_tokens, "gen s", round(g.generation_seconds, 2), "ms/token", round(1000 * g.generation_seconds / max(1, g.completion_tokens), 1))
g = gen.generate(prompt + " ", max_tokens=64, probe=["not found"], suppress_probe=True)
print("with probe: tokens", g.completion_tokens, "ms/token", round(1000 * g.generation_seconds / max(1, g.completion_tokens), 1))
