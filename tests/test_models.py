"""The model file and the llama-cpp-python internals the decoding loop relies on."""

import inspect
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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
    first_tokens,
)
from rag.state_files import KEEP_FILES, StateFiles

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


def test_the_weights_load_without_extra_buffers_and_the_defaults_come_back() -> None:
    import llama_cpp.llama_cpp as bindings

    from rag.generation import plain_weight_buffers

    original = bindings.llama_model_default_params
    with plain_weight_buffers():
        assert bindings.llama_model_default_params().use_extra_bufts is False
    assert bindings.llama_model_default_params is original and original().use_extra_bufts


def test_words_to_avoid_ban_their_first_pieces_but_not_a_letter_that_opens_other_words() -> None:
    """"march" written without a space is "m" + "arch" to the default model's tokenizer: banning
    "m" made "Mara Olsen" come out "mara Olsen"."""
    vocabulary = {"March": [1], " March": [2], "m": [3], " march": [4], "F": [5], "f": [6], " ferry": [7], " Ferry": [8]}
    pieces = {1: "March", 2: " March", 3: "m", 4: " march", 5: "F", 6: "f", 7: " ferry", 8: " Ferry", 9: "arch", 10: "erry"}

    def tokenize(text: str) -> list[int]:
        return vocabulary.get(text) or {"march": [3, 9], "Ferry": [5, 10], "ferry": [6, 10]}[text]

    assert first_tokens(["march", "ferry"], tokenize, pieces.__getitem__) == [1, 2, 4, 7, 8]
    assert first_tokens(["of"], lambda text: {"of": [11], "Of": [12], " of": [13], " Of": [14]}[text],
                        lambda token: "o" if token == 11 else "Of") == [12, 13, 14]  # a short word keeps its own


def test_chat_template_check() -> None:
    assert chat_template_problem({"tokenizer.chat_template": QWEN_TEMPLATE}) is None
    assert chat_template_problem({}) == "declares no chat template, so it is not a chat model"
    assert "other than ChatML" in (chat_template_problem({"tokenizer.chat_template": LLAMA3_TEMPLATE}) or "")


class FakeLlama:
    """Just enough of llama_cpp.Llama for the prefix-reuse and self-check bookkeeping."""

    def __init__(self, cached: list[int], *, removable: bool = True, n_ctx: int = 4096) -> None:
        self.input_ids = np.zeros(n_ctx, dtype=np.intc)
        self.input_ids[: len(cached)] = cached
        self.n_tokens = len(cached)
        self.removable = removable
        self.evaluated: list[list[int]] = []
        self._n_ctx = n_ctx
        self._ctx = SimpleNamespace(kv_cache_seq_rm=lambda seq, p0, p1: self.removable, ctx=None)

    def n_ctx(self) -> int:
        return self._n_ctx

    def tokenize(self, text: bytes, add_bos: bool = False, special: bool = True) -> list[int]:
        return list(range(len(text.split())))

    def eval(self, tokens: list[int]) -> None:
        self.evaluated.append(list(tokens))
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)


def generator_with(llm: FakeLlama) -> LlamaGenerator:
    generator = object.__new__(LlamaGenerator)
    generator._llm = llm  # type: ignore[attr-defined]
    generator.prompt_states = PromptStates(0)
    generator.state_files = StateFiles(None, "")
    generator._spans = []  # type: ignore[attr-defined]
    generator._prefix_states = {}  # type: ignore[attr-defined]
    generator._stop = None  # type: ignore[attr-defined]
    generator._quieted_log_level = None  # type: ignore[attr-defined]
    return generator


def test_prompt_prefix_is_reused_only_when_the_cache_tail_was_removed() -> None:
    llm = FakeLlama([1, 2, 3, 9])
    assert generator_with(llm)._evaluate_prompt([1, 2, 3, 4, 5]) == 2
    assert llm.evaluated == [[4], [5]]  # the last token always alone, as after a restored state
    llm = FakeLlama([1, 2, 3, 9], removable=False)
    assert generator_with(llm)._evaluate_prompt([1, 2, 3, 4, 5]) == 5
    assert llm.evaluated == [[1, 2, 3, 4], [5]]


@pytest.fixture
def saved_states(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """llama.cpp's state copy and restore, faked: each state is 40 bytes; calls are recorded."""
    calls: dict[str, Any] = {"copied": [], "restored": [], "refuse_restore": False}

    def copy(ctx: object, buffer: bytearray, size: int) -> int:
        calls["copied"].append(size)
        return size

    def restore(ctx: object, buffer: bytearray, size: int) -> int:
        calls["restored"].append(size)
        return 0 if calls["refuse_restore"] else size

    monkeypatch.setattr("llama_cpp.llama_state_get_size", lambda ctx: 40)
    monkeypatch.setattr("llama_cpp.llama_state_get_data", copy)
    monkeypatch.setattr("llama_cpp.llama_state_set_data", restore)
    return calls


def cached_generator(budget: int) -> tuple[FakeLlama, LlamaGenerator]:
    """A generator whose cache holds the instructions (3 tokens) as start_from leaves them."""
    llm = FakeLlama([0, 1, 2])
    generator = generator_with(llm)
    generator.prompt_states = PromptStates(budget)
    generator._spans = [(0, 3)]  # type: ignore[attr-defined]
    return llm, generator


def instructions_then(start: int) -> list[int]:
    return [0, 1, 2, *range(start, start + MIN_SAVED_TOKENS + 1)]


def test_a_repeated_prompt_restores_its_saved_state_and_evaluates_only_its_last_token(
    saved_states: dict[str, Any],
) -> None:
    llm, generator = cached_generator(100)
    prompts = [instructions_then(start) for start in (100, 200, 300)]
    for prompt in prompts:
        generator._evaluate_prompt(prompt)
        generator._cut(3)  # type: ignore[attr-defined]  # back to the instructions' checkpoint
    assert len(generator.prompt_states) == 2 and generator.prompt_states.bytes == 80  # the oldest went
    llm.evaluated = []
    assert generator._evaluate_prompt(prompts[2]) == 1
    assert llm.evaluated == [prompts[2][-1:]] and saved_states["restored"] == [40]
    assert llm.n_tokens == len(prompts[2]) and llm.input_ids[: llm.n_tokens].tolist() == prompts[2]
    generator._cut(3)  # type: ignore[attr-defined]
    assert generator._evaluate_prompt(prompts[0]) == len(prompts[0]) - 3  # dropped: evaluated again


def test_a_state_computed_by_other_evaluation_calls_is_not_restored(saved_states: dict[str, Any]) -> None:
    llm, generator = cached_generator(100)
    prompt = instructions_then(100)
    generator._evaluate_prompt(prompt)
    generator._cut(5)  # type: ignore[attr-defined]  # the same tokens, but 3 and 4 came from the call before
    llm.evaluated = []
    assert generator._evaluate_prompt(prompt) == len(prompt) - 5
    assert saved_states["restored"] == [] and llm.evaluated == [prompt[5:-1], prompt[-1:]]


def test_a_state_llama_cpp_refuses_is_dropped_and_the_prompt_evaluated_from_nothing(
    saved_states: dict[str, Any],
) -> None:
    llm, generator = cached_generator(100)
    prompt = instructions_then(100)
    generator._evaluate_prompt(prompt)
    generator._cut(3)  # type: ignore[attr-defined]
    saved_states["refuse_restore"] = True
    llm.evaluated = []
    assert generator._evaluate_prompt(prompt) == len(prompt)
    assert llm.evaluated == [prompt[:-1], prompt[-1:]] and len(generator.prompt_states) == 0


def test_a_prompt_cache_of_zero_bytes_never_copies_the_state(saved_states: dict[str, Any]) -> None:
    llm, generator = cached_generator(0)
    generator._evaluate_prompt(instructions_then(100))
    assert saved_states["copied"] == [] and len(generator.prompt_states) == 0


def fresh_generator(folder: Path | None) -> tuple[FakeLlama, LlamaGenerator]:
    """A generator as just loaded (empty cache) that keeps instruction states in folder."""
    llm = FakeLlama([])
    generator = generator_with(llm)
    generator.state_files = StateFiles(folder, "model-a|threads 2")
    return llm, generator


def test_a_fresh_process_reads_the_instructions_state_a_process_before_saved(
    saved_states: dict[str, Any], tmp_path: Path
) -> None:
    llm, generator = fresh_generator(tmp_path)
    generator.start_from("the fixed instructions")
    assert llm.evaluated == [[0, 1, 2]] and len(list(tmp_path.glob("prefix-*.state"))) == 1
    llm, generator = fresh_generator(tmp_path)
    generator.start_from("the fixed instructions")
    assert llm.evaluated == [] and generator.state_files.loaded == 1 and saved_states["restored"] == [40]
    assert llm.n_tokens == 3 and llm.input_ids[:3].tolist() == [0, 1, 2]
    assert generator._spans == [(0, 3)]  # type: ignore[attr-defined]  # as if computed alone


def test_moving_between_two_fixed_prefixes_restores_each_from_memory(saved_states: dict[str, Any]) -> None:
    llm, generator = fresh_generator(None)  # no state folder: memory alone
    generator.start_from("the answer prefix")
    generator.start_from("the evidence check's longer prefix")
    assert llm.evaluated == [[0, 1, 2], [0, 1, 2, 3, 4]]
    generator.start_from("the answer prefix")
    assert llm.evaluated == [[0, 1, 2], [0, 1, 2, 3, 4]] and saved_states["restored"] == [40]
    assert llm.n_tokens == 3 and generator._spans == [(0, 3)]  # type: ignore[attr-defined]  # as if computed alone
    generator.start_from("the evidence check's longer prefix")
    assert len(llm.evaluated) == 2 and saved_states["restored"] == [40, 40] and llm.n_tokens == 5
    saved_states["refuse_restore"] = True  # a state llama.cpp refuses is dropped and evaluated again
    generator.start_from("the answer prefix")
    assert llm.evaluated[-1] == [0, 1, 2] and llm.n_tokens == 3


def test_a_damaged_or_refused_state_file_is_never_loaded_and_is_replaced(
    saved_states: dict[str, Any], tmp_path: Path
) -> None:
    llm, generator = fresh_generator(tmp_path)
    generator.start_from("the fixed instructions")
    (path,) = tmp_path.glob("prefix-*.state")
    path.write_bytes(path.read_bytes()[:-1] + b"x")
    llm, generator = fresh_generator(tmp_path)
    generator.start_from("the fixed instructions")
    assert llm.evaluated == [[0, 1, 2]] and saved_states["restored"] == []  # failed its checksum
    saved_states["refuse_restore"] = True
    llm, generator = fresh_generator(tmp_path)
    generator.start_from("the fixed instructions")
    assert llm.evaluated == [[0, 1, 2]] and generator.state_files.loaded == 0
    assert llm.n_tokens == 3 and generator._spans == [(0, 3)]  # type: ignore[attr-defined]
    assert StateFiles(tmp_path, "model-a|threads 2").read([0, 1, 2]) is not None  # written again


def test_a_saved_state_depends_on_the_model_file_and_how_it_is_loaded(tmp_path: Path) -> None:
    from rag.generation import _state_identity

    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    two, four = _state_identity(model, {"n_threads": 2}), _state_identity(model, {"n_threads": 4})
    assert two != four and two == _state_identity(model, {"n_threads": 2})
    model.write_bytes(b"GGUF again")
    assert _state_identity(model, {"n_threads": 2}) != two


def test_state_files_are_read_only_from_a_private_folder_and_never_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "states"
    states = StateFiles(folder, "model-a")
    states.write([1], b"state")
    assert (folder.stat().st_mode & 0o777) == 0o700
    folder.chmod(0o777)  # others may write to it: not used, and left as the user set it
    assert states.read([1]) is None and (folder.stat().st_mode & 0o777) == 0o777
    folder.chmod(0o755)  # others may read the folder only
    assert states.read([1]) == b"state"
    path = states.path_for([1])
    assert path is not None
    path.rename(tmp_path / "elsewhere.state")
    path.symlink_to(tmp_path / "elsewhere.state")
    assert states.read([1]) is None


def test_state_files_are_kept_per_model_and_threads_and_only_the_newest(tmp_path: Path) -> None:
    states = StateFiles(tmp_path, "model-a|threads 2")
    states.write([1, 2], b"state")
    assert states.read([1, 2]) == b"state" and states.read([1, 3]) is None
    assert StateFiles(tmp_path, "model-a|threads 4").read([1, 2]) is None
    for n in range(KEEP_FILES + 3):
        states.write([n], b"x")
    assert len(list(tmp_path.glob("prefix-*.state"))) == KEEP_FILES
    off = StateFiles(None, "model-a")
    off.write([1], b"x")
    assert off.read([1]) is None


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
    result = runner.invoke(app, ["ask", "How long in Geneva?", "--model", str(tmp_path)])
    assert result.output == f"error: {tmp_path} is a folder, not a GGUF model file; pass the .gguf file inside it with --model or RAG_MODEL\n"


def test_index_built_with_another_embedding_model_says_rebuild(
    fake_models: ScriptedGenerator, isolated_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0

    class OtherEmbedder(type(__import__("conftest").FakeEmbedder())):  # type: ignore[misc]
        name = "other-embedder"

    monkeypatch.setattr("rag.embedding.MiniLMEmbedder", OtherEmbedder)
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1
    assert result.output == f"error: the index was built with fake-embedder, not other-embedder; rebuild it with `rag index {SEEDS} --index {isolated_index}`\n"


def test_set_up_fetches_the_model_only_when_it_is_missing_not_after_a_venv_reinstall(tmp_path: Path) -> None:
    """A venv reinstalled (pyproject.toml changed) is newer than the model; the model is still in
    place and must not be fetched again (1.1 GB without pip's cache)."""
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    model = tmp_path / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    installed = tmp_path / ".venv" / ".installed"
    for path, age in ((tmp_path / "pyproject.toml", 300), (tmp_path / "models" / "requirements.txt", 300),
                      (model, 200), (installed, 100)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - age))

    def planned() -> str:
        return subprocess.run(["make", "-n", "setup"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout

    assert "models/requirements.txt" not in planned()
    model.unlink()
    assert "pip install --quiet --no-cache-dir -r models/requirements.txt" in planned()


def test_joining_the_weight_parts_leaves_no_partial_file_when_it_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    parts = [tmp_path / f"part{i:02d}.bin" for i in (1, 2)]
    for number, part in enumerate(parts):
        part.write_bytes(bytes([number]) * 1000)
    joined = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(rag.weights, "part_paths", lambda: parts)
    monkeypatch.setattr(rag.weights, "MODEL_SIZE", len(joined))
    monkeypatch.setattr(rag.weights, "MODEL_SHA256", hashlib.sha256(joined).hexdigest())
    (tmp_path / "models").write_text("a file where the folder should be")
    with pytest.raises(ModelError, match=r"cannot write model file .*; free disk space"):
        rag.weights.assemble(tmp_path / "models" / "m.gguf")
    parts[1].write_bytes(b"altered" * 100)
    with pytest.raises(ModelError, match="does not match sha256"):
        rag.weights.assemble(tmp_path / "out" / "m.gguf")
    assert list((tmp_path / "out").iterdir()) == []  # no 1.1 GB .partial left on the disk
    parts[1].write_bytes(bytes([1]) * 1000)
    assert rag.weights.assemble(tmp_path / "out" / "m.gguf").read_bytes() == joined
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["m.gguf"]
