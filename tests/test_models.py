"""The model file and the llama-cpp-python internals the decoding loop relies on."""

import inspect
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import rag.weights
from conftest import SEEDS, ScriptedGenerator
from rag.cli import app
from rag.errors import ModelError
from rag.generation import (
    LLAMA_CPP_VERSION,
    MIN_SAVED_TOKENS,
    NEUTRAL_CHECK,
    LlamaGenerator,
    PromptStates,
    chat_template_problem,
    check_llama_api,
)

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
QWEN_TEMPLATE = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"
LLAMA3_TEMPLATE = "{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>{% endfor %}"


def test_the_tested_llama_cpp_version_is_the_pinned_and_installed_one() -> None:
    from importlib.metadata import version

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"llama-cpp-python=={LLAMA_CPP_VERSION}" in dependencies
    assert version("llama-cpp-python") == LLAMA_CPP_VERSION


def test_llama_cpp_still_has_the_internals_we_read() -> None:
    """Fails on an upgrade that renames what generation.py reads, without loading a model."""
    from llama_cpp import Llama
    from llama_cpp._internals import LlamaContext

    init = inspect.getsource(Llama.__init__)
    for attribute in ("self.n_tokens", "self.input_ids", "self.metadata", "self._ctx"):
        assert attribute in init, attribute
    assert "kv_cache_seq_rm(-1, self.n_tokens, -1)" in inspect.getsource(Llama.eval)
    assert hasattr(LlamaContext, "get_logits_ith") and hasattr(LlamaContext, "kv_cache_seq_rm")


def test_missing_internals_fail_with_the_version_to_install() -> None:
    changed = SimpleNamespace(input_ids=None, metadata={}, _ctx=SimpleNamespace(get_logits_ith=None))
    with pytest.raises(ModelError) as error:
        check_llama_api(changed)
    message = str(error.value)
    assert "lacks n_tokens, _ctx.kv_cache_seq_rm, which rag's decoding uses" in message
    assert message.endswith(f"install the tested version: pip install llama-cpp-python=={LLAMA_CPP_VERSION}")


def test_chat_template_check() -> None:
    assert chat_template_problem({"tokenizer.chat_template": QWEN_TEMPLATE}) is None
    assert chat_template_problem({}) == "declares no chat template, so it is not a chat model"
    assert "other than ChatML" in (chat_template_problem({"tokenizer.chat_template": LLAMA3_TEMPLATE}) or "")


class FakeLlama:
    """Just enough of llama_cpp.Llama for the prefix-reuse and self-check bookkeeping."""

    def __init__(self, cached: list[int], *, removable: bool = True, n_ctx: int = 4096) -> None:
        self.input_ids = np.array(cached + [0] * 16, dtype=np.intc)
        self.n_tokens = len(cached)
        self.removable = removable
        self.evaluated: list[list[int]] = []
        self._n_ctx = n_ctx
        self._ctx = SimpleNamespace(kv_cache_seq_rm=lambda seq, p0, p1: self.removable)

    def n_ctx(self) -> int:
        return self._n_ctx

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
        return list(range(len(text.split())))

    def eval(self, tokens: list[int]) -> None:
        self.evaluated.append(list(tokens))
        self.n_tokens += len(tokens)


def generator_with(llm: FakeLlama) -> LlamaGenerator:
    generator = object.__new__(LlamaGenerator)
    generator._llm = llm  # type: ignore[attr-defined]
    generator._states = PromptStates(0)  # type: ignore[attr-defined]
    return generator


def test_prompt_prefix_is_reused_only_when_the_cache_tail_was_removed() -> None:
    llm = FakeLlama([1, 2, 3, 9])
    assert generator_with(llm)._evaluate_prompt([1, 2, 3, 4, 5]) == 2
    assert llm.evaluated == [[4], [5]]  # the last token always alone, as after a restored state
    llm = FakeLlama([1, 2, 3, 9], removable=False)
    assert generator_with(llm)._evaluate_prompt([1, 2, 3, 4, 5]) == 5
    assert llm.evaluated == [[1, 2, 3, 4], [5]]


def test_a_repeated_prompt_restores_its_saved_state_and_evaluates_only_its_last_token() -> None:
    llm = FakeLlama([0, 1, 2])
    generator = generator_with(llm)
    generator._states = PromptStates(100)  # type: ignore[attr-defined]
    generator._snapshot = lambda: bytearray(40)  # type: ignore[method-assign]
    restored: list[list[int]] = []
    generator._restore = lambda tokens, state: restored.append(list(tokens))  # type: ignore[method-assign]
    prompts = [[0, 1, 2, *range(start, start + MIN_SAVED_TOKENS + 1)] for start in (100, 200, 300)]
    for prompt in prompts:
        llm.n_tokens = 3  # each question starts from the instructions' checkpoint
        assert generator._evaluate_prompt(prompt) == len(prompt) - 3
    assert len(generator._states) == 2  # 3 × 40 bytes: the oldest went to stay within 100
    llm.n_tokens, llm.evaluated = 3, []
    assert generator._evaluate_prompt(prompts[2]) == 1
    assert restored == [prompts[2][:-1]] and llm.evaluated == [prompts[2][-1:]]
    llm.n_tokens = 3
    assert generator._evaluate_prompt(prompts[0]) == len(prompts[0]) - 3  # dropped: evaluated again


def test_a_prompt_cache_of_zero_bytes_never_copies_the_state() -> None:
    states = PromptStates(0)
    states.put([1, 2], lambda: pytest.fail("snapshot taken with the cache off"))
    assert len(states) == 0 and states.get([1, 2]) is None


def test_each_question_starts_from_the_instructions_checkpoint() -> None:
    llm = FakeLlama([0, 1, 2, 7, 8])  # the instructions (3 tokens) and the end of a previous question
    generator = generator_with(llm)
    generator.start_from("a b c")
    assert (llm.n_tokens, llm.evaluated) == (3, [])  # cut back to the instructions, nothing evaluated
    generator.start_from("a b c")
    assert llm.evaluated == []
    llm = FakeLlama([5, 6])  # a cache that does not hold the instructions
    generator = generator_with(llm)
    generator.start_from("a b c")
    assert (llm.n_tokens, llm.evaluated) == (3, [[0, 1, 2]])  # evaluated alone, as after a fresh load


def test_self_check_that_would_overflow_the_context_is_skipped() -> None:
    llm = FakeLlama(list(range(4090)))
    generator = generator_with(llm)
    generator.tokens = lambda text: list(range(len(text)))  # type: ignore[method-assign]
    assert generator.yes_probability("x" * 5000) == NEUTRAL_CHECK
    assert llm.evaluated == []


@pytest.fixture
def default_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small stand-in for the default GGUF, with its size and sha256 as the expected ones."""
    path = tmp_path / "default.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    monkeypatch.setattr(rag.weights, "DEFAULT_MODEL_PATH", path)
    monkeypatch.setattr(rag.weights, "MODEL_SIZE", path.stat().st_size)
    monkeypatch.setattr(rag.weights, "MODEL_SHA256", rag.weights.sha256_of(path))
    monkeypatch.setattr(rag.weights.verified, "__defaults__", (rag.weights.MODEL_SHA256,))
    return path


def test_default_model_missing_truncated_or_altered(default_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.weights import check_model_file

    check_model_file(default_model)
    with monkeypatch.context() as patch:
        patch.setattr(rag.weights, "sha256_of", lambda path: pytest.fail("hashed again"))
        check_model_file(default_model)  # verified once, remembered by size and mtime
    data = default_model.read_bytes()
    default_model.write_bytes(data[:100])
    with pytest.raises(ModelError, match="is incomplete or corrupt; delete it and run `make setup`"):
        check_model_file(default_model)
    default_model.write_bytes(data[:-1] + b"x")
    with pytest.raises(ModelError, match="does not match its sha256 .corrupt or altered.; delete it and run `make setup`"):
        check_model_file(default_model)
    default_model.unlink()
    with pytest.raises(ModelError, match="not found; run `make setup`, or pass --model PATH"):
        check_model_file(default_model)


def test_a_file_that_is_not_a_gguf_is_one_clear_line(fake_models: ScriptedGenerator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.generation.LlamaGenerator", LlamaGenerator)
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>not a model</html>")
    result = runner.invoke(app, ["ask", "How long in Geneva?", "--model", str(fake)])
    assert result.exit_code == 1
    assert result.output == f"error: {fake} is not a GGUF model file; run `make setup`, or pass --model PATH / set RAG_MODEL to a GGUF file\n"


def test_index_built_with_another_embedding_model_says_rebuild(fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0

    class OtherEmbedder(type(__import__("conftest").FakeEmbedder())):  # type: ignore[misc]
        name = "other-embedder"

    monkeypatch.setattr("rag.embedding.MiniLMEmbedder", OtherEmbedder)
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1
    assert result.output == f"error: the index was built with fake-embedder, not other-embedder; rebuild it with `rag index {SEEDS}`\n"
