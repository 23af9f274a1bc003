"""Running the local GGUF model: greedy decoding with prefix reuse, streaming and first-token odds.

The decoding loop is ours rather than `create_completion`'s so that one pass gives everything the
pipeline needs: the probability that the reply opens with the cannot-answer sentinel (read from the
logits of the last prompt position, without `logits_all`, which would slow every prompt), the
log-probability of each generated token, streamed text, and timings split into prompt and generation.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import functools
import logging
import math
import os
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from rag.errors import Cancelled, ModelError
from rag.state_files import StateFiles
from rag.weights import check_model_file

CONTEXT_TOKENS = 4096
BATCH_TOKENS = 512
# The decoding loop reads llama-cpp-python internals; this is the version they were checked against
# (pinned in pyproject.toml, where a test keeps the two equal).
LLAMA_CPP_VERSION = "0.3.36"
LLAMA_ATTRIBUTES = ("n_tokens", "input_ids", "metadata", "_ctx")
LLAMA_CONTEXT_METHODS = ("get_logits_ith", "kv_cache_seq_rm")
# The prompt is written in ChatML; a model whose template uses other markers would read it as noise.
CHATML_MARKERS = ("<|im_start|>", "<|im_end|>")
NEUTRAL_CHECK = 0.5  # P(yes) when the model cannot be asked (the prompt does not fit): neither yes nor no
# A prompt that adds fewer new tokens than this costs less to evaluate again than to keep.
MIN_SAVED_TOKENS = 64
MAX_PREFIXES = 4  # fixed prefixes kept in memory (the answer's and the evidence check's; 13 and 16 MB)
# How often, while llama.cpp computes, the asker is checked for having left (a socket poll).
STOP_POLL_SECONDS = 0.05
LLAMA_DECODE_ABORTED = 2  # llama_decode's return code when its abort callback said stop


@dataclass(frozen=True)
class Generation:
    """One reply and what it cost."""

    text: str
    probe_probability: float
    mean_logprob: float
    min_logprob: float
    prompt_tokens: int
    evaluated_tokens: int
    completion_tokens: int
    prompt_seconds: float
    generation_seconds: float


class Generator(Protocol):
    """Anything that continues a prompt greedily; tests use a scripted fake."""

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int,
        probe: Sequence[str] = (),
        suppress_probe: bool = False,
        on_token: Callable[[str], None] | None = None,
        avoid: Sequence[str] = (),
    ) -> Generation: ...

    def yes_probability(self, prompt: str) -> float:
        """P(yes) / (P(yes) + P(no)) for the token that follows prompt."""
        ...

    def start_from(self, prefix: str) -> None:
        """Make the next prompt (which begins with prefix) evaluate as it would after a fresh load."""
        ...

    def stop_when(self, cancelled: Callable[[], bool] | None) -> None:
        """Until called again, stop an evaluation midway (raising Cancelled) once cancelled() is true."""
        ...


# What a saved state holds: its tokens, and the [start, end) of each evaluation call that computed
# them (llama.cpp's numbers depend slightly on how tokens were split into calls).
StateKey = tuple[tuple[int, ...], tuple[tuple[int, int], ...]]


# A reply is replayed only for the same prompt, computed the same way, with the same options.
ReplyKey = tuple[tuple[int, ...], tuple[tuple[int, int], ...], int, tuple[str, ...], bool, tuple[str, ...]]
MAX_REPLIES = 64


@dataclass(frozen=True)
class Reply:
    """A generated reply, its streamed pieces, and the key of the state it left."""

    generation: Generation
    pieces: tuple[str, ...]
    state_key: StateKey


class PromptStates:
    """The model's state after recently evaluated prompts, newest last, within a byte budget.

    Reading the passages is most of a question's time on a CPU. A question asked again (a repeated
    one-shot `rag ask` reaching the warm server, a question repeated in one chat or batch) restores
    the state its prompts left instead of evaluating them again. Each process holds its own, up to
    the budget, for as long as it runs; a budget of 0 keeps nothing.
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self.hits = 0
        self._states: OrderedDict[StateKey, Any] = OrderedDict()
        self._bytes = 0

    def get(self, key: StateKey) -> Any | None:
        """The state saved under key (now the newest), or None."""
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
            self.hits += 1
        return state

    def fits(self, size: int) -> bool:
        """Whether a state of size bytes can be kept at all (checked before copying one)."""
        return 0 < size <= self.budget_bytes

    def put(self, key: StateKey, state: Any) -> None:
        """Keep state under key, dropping the oldest states to stay within the budget."""
        if not self.fits(len(state)):
            return
        self.drop(key)
        self._states[key] = state
        self._bytes += len(state)
        while self._bytes > self.budget_bytes:
            _, oldest = self._states.popitem(last=False)
            self._bytes -= len(oldest)

    def __contains__(self, key: object) -> bool:
        return key in self._states

    def drop(self, key: StateKey) -> None:
        state = self._states.pop(key, None)
        if state is not None:
            self._bytes -= len(state)

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._states)


class LlamaGenerator:
    """A llama.cpp model kept warm in memory; consecutive prompts reuse their common prefix."""

    def __init__(
        self,
        model_path: Path,
        *,
        threads: int,
        context_tokens: int = CONTEXT_TOKENS,
        prompt_cache_bytes: int = 0,
        state_dir: Path | None = None,
        flash_attention: bool = False,
    ) -> None:
        check_model_file(model_path)
        self.prompt_states = PromptStates(prompt_cache_bytes)
        self._spans: list[tuple[int, int]] = []  # the evaluation calls behind the KV cache's contents
        self._replies: OrderedDict[ReplyKey, Reply] = OrderedDict()
        self._prefix_states: dict[tuple[int, ...], Any] = {}  # start_from's prefixes, at most MAX_PREFIXES
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelError("llama-cpp-python is not installed; run `make setup`") from error
        # Everything the model's numbers depend on is passed from here, and keys its saved states.
        parameters = {
            "n_ctx": context_tokens, "n_threads": threads, "n_threads_batch": threads, "n_batch": BATCH_TOKENS,
            "flash_attn": flash_attention,
        }
        self.state_files = StateFiles(state_dir, _state_identity(model_path, parameters) if state_dir else "")
        try:
            with quiet_stderr(), plain_weight_buffers():
                self._llm = Llama(model_path=str(model_path), verbose=False, **parameters)
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"cannot load model {model_path} ({error}); is it a GGUF file?") from error
        try:
            check_llama_api(self._llm)
            problem = chat_template_problem(self._llm.metadata)
            if problem:
                raise ModelError(f"{model_path} {problem}; pass a ChatML chat model (such as Qwen2.5 Instruct) with --model")
        except ModelError:
            self._llm.close()
            raise
        self._end_tokens = {self._llm.token_eos(), *self._special_ids("<|im_end|>", "<|endoftext|>")}
        self._cancelled: Callable[[], bool] | None = None
        self._stop: BaseException | None = None
        self._next_poll = 0.0
        self._quieted_log_level: int | None = None
        import llama_cpp

        # kept as long as the model (llama.cpp holds only its address); a weak reference, so that
        # the callback does not keep a dropped generator and its gigabyte alive
        this = weakref.ref(self)
        self._stop_callback = llama_cpp.ggml_abort_callback(
            lambda _data: bool((generator := this()) and generator._should_stop())
        )
        self._no_callback = llama_cpp.ggml_abort_callback()  # a null pointer: llama.cpp asks nothing

    def stop_when(self, cancelled: Callable[[], bool] | None) -> None:
        """Only while a cancelled() is given does llama.cpp call back into Python during a
        computation, so a Ctrl-C elsewhere still arrives as it always did, after the computation."""
        import llama_cpp

        self._cancelled = cancelled
        self._next_poll = 0.0
        self._stop = None
        self._restore_log_level()
        callback = self._stop_callback if cancelled is not None else self._no_callback
        llama_cpp.llama_set_abort_callback(self._llm._ctx.ctx, callback, None)

    def _restore_log_level(self) -> None:
        if self._quieted_log_level is not None:
            _llama_logger().setLevel(self._quieted_log_level)
            self._quieted_log_level = None

    def _should_stop(self) -> bool:
        """Asked by llama.cpp between the steps of a computation (a prompt of 500 tokens is one
        computation of seconds): stop once cancelled() says so, polled every STOP_POLL_SECONDS."""
        try:
            if self._cancelled is None or time.monotonic() < self._next_poll:
                return False
            self._next_poll = time.monotonic() + STOP_POLL_SECONDS
            if self._cancelled():
                self._stop = Cancelled("the asker left")
        except BaseException as error:  # nothing may raise into C: stop, and raise it after
            self._stop = error
        if self._stop is None:
            return False
        # llama.cpp logs the stopped computation as an error; it is on purpose, so keep it quiet
        if self._quieted_log_level is None:
            self._quieted_log_level = _llama_logger().level
            _llama_logger().setLevel(logging.CRITICAL)
        return True

    def _special_ids(self, *pieces: str) -> list[int]:
        ids = []
        for piece in pieces:
            tokens = self._llm.tokenize(piece.encode(), add_bos=False, special=True)
            if len(tokens) == 1:
                ids.append(tokens[0])
        return ids

    def tokens(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int,
        probe: Sequence[str] = (),
        suppress_probe: bool = False,
        on_token: Callable[[str], None] | None = None,
        avoid: Sequence[str] = (),
    ) -> Generation:
        """Greedy continuation of prompt; `probe` strings get their first-token probability summed.

        With suppress_probe the reply may not open with a probe string: the model's best other
        reply is generated, and the caller decides with the probability it was given. The words in
        `avoid` may not be generated anywhere in the reply (their first token, in the usual casings,
        with and without a space before it).
        """
        import numpy as np

        tokens = self.tokens(prompt)
        if len(tokens) + max_tokens > self._llm.n_ctx():
            raise ModelError(
                f"the prompt has {len(tokens)} tokens, too many for the model's context; use a smaller --k"
            )
        started = time.perf_counter()
        evaluated = self._evaluate_prompt(tokens)
        prompt_seconds = time.perf_counter() - started
        reply_key: ReplyKey = (tuple(tokens), tuple(self._spans), max_tokens, tuple(probe), suppress_probe,
                               tuple(avoid))
        replayed = self._replay(reply_key, on_token)
        if replayed is not None:
            return replace(replayed, evaluated_tokens=evaluated, prompt_seconds=prompt_seconds, generation_seconds=0.0)
        logits = self._last_logits()
        log_probs = _log_softmax(logits)
        probe_ids = {self.tokens(p)[0] for p in probe if p}
        probe_probability = float(sum(math.exp(log_probs[i]) for i in probe_ids))
        if suppress_probe:
            logits[list(probe_ids)] = -np.inf
        avoided = self._first_tokens(avoid)

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces: list[str] = []
        token_logprobs: list[float] = []
        started = time.perf_counter()
        try:
            for _ in range(max_tokens):
                if avoided:
                    logits[avoided] = -np.inf
                token = int(np.argmax(logits))
                if token in self._end_tokens:
                    break
                token_logprobs.append(float(log_probs[token]))
                piece = decoder.decode(self._llm.detokenize([token], special=False))
                pieces.append(piece)
                if on_token and piece:
                    on_token(piece)
                self._eval([token])
                logits = self._last_logits()
                log_probs = _log_softmax(logits)
        finally:
            generation_seconds = time.perf_counter() - started
        text = "".join(pieces) + decoder.decode(b"", final=True)
        generation = Generation(
            text=text,
            probe_probability=probe_probability,
            mean_logprob=sum(token_logprobs) / len(token_logprobs) if token_logprobs else 0.0,
            min_logprob=min(token_logprobs, default=0.0),
            prompt_tokens=len(tokens),
            evaluated_tokens=evaluated,
            completion_tokens=len(token_logprobs),
            prompt_seconds=prompt_seconds,
            generation_seconds=generation_seconds,
        )
        self._keep_reply(reply_key, generation, pieces)
        return generation

    def _first_tokens(self, words: Sequence[str]) -> list[int]:
        """See first_tokens."""
        return first_tokens(words, self.tokens, lambda token: self._llm.detokenize([token]).decode("utf-8", "replace"))

    def _replay(self, key: ReplyKey, on_token: Callable[[str], None] | None) -> Generation | None:
        """The reply generated before from this very state, with the state it left restored, or None.

        Greedy decoding from the same state gives the same tokens, so a question asked again needs
        no decoding: its pieces are streamed again at once.
        """
        reply = self._replies.get(key)
        if reply is None:
            return None
        if not self._restore(reply.state_key):
            del self._replies[key]
            if self._llm.n_tokens == 0:  # llama.cpp refused the state and emptied the cache
                self._evaluate_prompt(list(key[0]))
            return None
        for piece in reply.pieces:
            if on_token and piece:
                on_token(piece)
        return reply.generation

    def _keep_reply(self, key: ReplyKey, generation: Generation, pieces: list[str]) -> None:
        """Save the state after a reply and remember the reply, when the prompt cache is on."""
        if not self.prompt_states.budget_bytes:
            return
        state_key: StateKey = (tuple(self._llm.input_ids[: self._llm.n_tokens].tolist()), tuple(self._spans))
        self._save(state_key)
        if state_key in self.prompt_states:
            self._replies[key] = Reply(generation, tuple(pieces), state_key)
            while len(self._replies) > MAX_REPLIES:
                self._replies.popitem(last=False)

    def yes_probability(self, prompt: str) -> float:
        """P(yes) against P(no) for the token after prompt. Only the part of prompt that differs
        from the KV cache is evaluated, so a question asked after the passages costs its own
        tokens only. A prompt too long for the context gives the neutral 0.5."""
        import numpy as np

        tokens = self.tokens(prompt)
        if len(tokens) + 1 > self._llm.n_ctx():
            return NEUTRAL_CHECK
        self._evaluate_prompt(tokens)
        log_probs = _log_softmax(self._last_logits())

        def probability(word: str) -> float:
            ids = {self.tokens(variant)[0] for variant in (word, word.capitalize(), " " + word)}
            return float(sum(np.exp(log_probs[i]) for i in ids))

        p_yes, p_no = probability("yes"), probability("no")
        return p_yes / (p_yes + p_no) if p_yes + p_no > 0 else NEUTRAL_CHECK

    def _evaluate_prompt(self, tokens: list[int]) -> int:
        """Bring the KV cache to tokens, evaluating only what neither it nor a saved state holds;
        return the count evaluated.

        All but the last token are evaluated first (and their state saved when the prompt cache is
        on), then the last token alone, whether the rest was evaluated or restored. A state is
        restored only when it was computed by the same evaluation calls as this prompt would be,
        so the logits a prompt ends with are the same to the last digit, restored or not.
        """
        body = tokens[:-1]
        common = min(self._tokens_in_cache(tokens), len(body))
        if common and not self._llm._ctx.kv_cache_seq_rm(-1, common, -1):
            common = 0  # this model's cache cannot drop a suffix: start again from nothing
        self._cut(common)
        restored = False
        if common < len(body):
            key: StateKey = (tuple(body), (*self._spans, (common, len(body))))
            restored = self._restore(key)
            if not restored:
                common = self._llm.n_tokens  # 0 when a failed restore emptied the cache
                self._eval(body[common:])
                if len(body) - common >= MIN_SAVED_TOKENS and key[1][-1][0] == common:
                    self._save(key)
        self._eval(tokens[-1:])
        return 1 if restored else len(tokens) - common

    def _eval(self, tokens: Sequence[int]) -> None:
        """Evaluate tokens after the cache's contents, recording the call's span. A computation
        stopped midway (see _should_stop) leaves the cache as it was before the call and raises
        why it stopped."""
        start = self._llm.n_tokens
        try:
            self._llm.eval(tokens)
        except BaseException as error:
            stop, self._stop = self._stop, None
            aborted = isinstance(error, RuntimeError) and str(error).endswith(f"returned {LLAMA_DECODE_ABORTED}")
            if stop is None and not aborted:
                raise
            # keep what came before this call (the fixed instructions at least); drop the rest
            self._llm._ctx.kv_cache_seq_rm(-1, start, -1)
            self._cut(start)
            # no reason recorded: an exception (a Ctrl-C) reached the callback before its own code ran
            raise (stop or KeyboardInterrupt()) from None
        finally:
            self._restore_log_level()
        self._spans.append((start, start + len(tokens)))

    def _cut(self, length: int) -> None:
        """Keep the first length tokens of the cache (the caller has removed the rest)."""
        self._llm.n_tokens = length
        self._spans = [span for span in self._spans if span[0] < length]

    def _tokens_in_cache(self, tokens: list[int]) -> int:
        """How many leading tokens of tokens the KV cache already holds."""
        common = 0
        for cached, wanted in zip(self._llm.input_ids[: self._llm.n_tokens].tolist(), tokens):
            if cached != wanted:
                break
            common += 1
        return common

    def _save(self, key: StateKey) -> None:
        """Copy the context's state (its KV cache) into the prompt cache, when the budget allows."""
        import llama_cpp

        size = llama_cpp.llama_state_get_size(self._llm._ctx.ctx)  # a dry run of the copy: asked once
        if not self.prompt_states.fits(size):
            return
        buffer = self._snapshot(size)
        if buffer is not None:
            self.prompt_states.put(key, buffer)

    def _snapshot(self, size: int) -> Any | None:
        """A copy of the context's state (size bytes), or None when llama.cpp could not write it whole."""
        import llama_cpp

        buffer = (ctypes.c_uint8 * size)()
        return buffer if llama_cpp.llama_state_get_data(self._llm._ctx.ctx, buffer, size) == size else None

    def _restore(self, key: StateKey) -> bool:
        """Load the state saved under key, if any; a state llama.cpp refuses is dropped."""
        buffer = self.prompt_states.get(key)
        if buffer is None:
            return False
        if not self._load(buffer, *key):
            self.prompt_states.drop(key)
            return False
        return True

    def _load(self, buffer: Any, tokens: Sequence[int], spans: Sequence[tuple[int, int]]) -> bool:
        """Make buffer the context's state, holding tokens computed by spans. When llama.cpp
        refuses it, it has emptied the cache, so the prompt is evaluated from nothing."""
        import llama_cpp

        if llama_cpp.llama_state_set_data(self._llm._ctx.ctx, buffer, len(buffer)) != len(buffer):
            self._llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            self._cut(0)
            return False
        self._llm.input_ids[: len(tokens)] = tokens
        self._llm.n_tokens = len(tokens)
        self._spans = list(spans)
        return True

    @functools.lru_cache(maxsize=MAX_PREFIXES)  # noqa: B019 - a few fixed prefixes, kept while it lives
    def _prefix_tokens(self, prefix: str) -> list[int]:
        return self.tokens(prefix)

    def _last_logits(self) -> Any:
        import numpy as np

        pointer = self._llm._ctx.get_logits_ith(-1)
        return np.ctypeslib.as_array(pointer, shape=(self._llm.n_vocab(),)).astype(np.float32)

    def start_from(self, prefix: str) -> None:
        """Cut the KV cache back to exactly prefix, evaluating prefix on its own when absent.

        llama.cpp's numbers depend slightly on how a prompt is split into evaluation batches. Every
        question starts from the same checkpoint (the fixed instructions and examples), so its
        answer is the same to the last digit whatever was asked before, in chat, batch, the server
        or a fresh process, while the prefix is evaluated once per loaded model, or read from the
        state a process before saved on disk (rag.state_files). Each prefix's state is also kept
        in memory, so that moving between the answer's prefix and the evidence check's costs a
        copy of some megabytes, not an evaluation.
        """
        tokens = self._prefix_tokens(prefix)
        computed_alone = self._spans[:1] == [(0, len(tokens))]
        if (
            computed_alone
            and self._tokens_in_cache(tokens) == len(tokens)
            and self._llm._ctx.kv_cache_seq_rm(-1, len(tokens), -1)
        ):
            self._cut(len(tokens))
            return
        self._cut(0)
        key = tuple(tokens)
        kept = self._prefix_states.get(key)
        if kept is not None:
            if self._load(kept, tokens, [(0, len(tokens))]):
                return
            del self._prefix_states[key]
        saved = self.state_files.read(tokens)
        if saved is not None:
            buffer = (ctypes.c_uint8 * len(saved)).from_buffer_copy(saved)
            if self._load(buffer, tokens, [(0, len(tokens))]):
                self.state_files.loaded += 1
                self._keep_prefix(key, buffer)
                return
            self.state_files.discard(tokens)
        self._eval(tokens)
        import llama_cpp

        snapshot = self._snapshot(llama_cpp.llama_state_get_size(self._llm._ctx.ctx))
        if snapshot is not None:
            self._keep_prefix(key, snapshot)
            if self.state_files.folder is not None:
                self.state_files.write(tokens, bytes(snapshot))

    def _keep_prefix(self, key: tuple[int, ...], state: Any) -> None:
        while len(self._prefix_states) >= MAX_PREFIXES:
            del self._prefix_states[next(iter(self._prefix_states))]
        self._prefix_states[key] = state

    def close(self) -> None:
        self._llm.close()


def _state_identity(model_path: Path, parameters: Mapping[str, int | bool]) -> str:
    """Everything the numbers in a saved state depend on besides its tokens: the model file, the
    load parameters, and the llama.cpp build and the CPU features it uses (its compiled library
    files and its own system report)."""
    import json

    import llama_cpp

    model = model_path.stat()
    library = Path(llama_cpp.__file__).parent / "lib"
    builds = sorted(
        (path.name, path.stat().st_size, path.stat().st_mtime_ns) for path in library.glob("*") if path.is_file()
    )
    return json.dumps(
        {
            "model": [str(model_path.resolve()), model.st_size, model.st_mtime_ns],
            "parameters": dict(parameters),
            "weight_buffers": "plain",  # states saved before this was so may hold repacked arithmetic
            "llama_cpp": [llama_cpp.__version__, builds, llama_cpp.llama_print_system_info().decode(errors="replace")],
        },
        sort_keys=True,
    )


def check_llama_api(llm: Any) -> None:
    """Fail clearly, not with an AttributeError mid-answer, when llama-cpp-python lacks what we use.

    Raises:
        ModelError: an attribute or method this module reads is missing.
    """
    missing = [name for name in LLAMA_ATTRIBUTES if not hasattr(llm, name)]
    context = getattr(llm, "_ctx", None)
    missing += [f"_ctx.{name}" for name in LLAMA_CONTEXT_METHODS if context is not None and not hasattr(context, name)]
    if missing:
        try:
            from importlib.metadata import version

            installed = version("llama-cpp-python")
        except Exception:  # noqa: BLE001 - only for the message
            installed = "unknown"
        raise ModelError(
            f"llama-cpp-python {installed} lacks {', '.join(missing)}, which rag's decoding uses; "
            f"install the tested version: pip install llama-cpp-python=={LLAMA_CPP_VERSION}"
        )


def chat_template_problem(metadata: Mapping[str, str]) -> str | None:
    """Why a GGUF cannot take the ChatML prompt rag writes, from the template it declares; None if it can."""
    template = metadata.get("tokenizer.chat_template")
    if not template:
        return "declares no chat template, so it is not a chat model"
    if not all(marker in template for marker in CHATML_MARKERS):
        return "uses a chat template other than ChatML (<|im_start|> … <|im_end|>), which is how rag writes its prompt"
    return None


MIN_AVOIDED_PIECE = 3  # characters: a shorter first piece ("m" of "march") starts many other words


def first_tokens(words: Sequence[str], tokenize: Callable[[str], list[int]], piece: Callable[[int], str]) -> list[int]:
    """The token each of words starts with, lower-case and capitalised, after a space or not; but
    not a piece shorter than the word's first three letters: banning "m", the first piece of
    "march" written without a space, made every word that opens with it impossible ("Mara Olsen"
    came out "mara Olsen")."""
    found = set()
    for word in words:
        for spelling in {f"{space}{form}" for form in (word, word.capitalize()) for space in ("", " ")}:
            token = tokenize(spelling)[0]
            if len(piece(token).strip()) >= min(MIN_AVOIDED_PIECE, len(word)):
                found.add(token)
    return sorted(found)


def _log_softmax(logits: Any) -> Any:
    import numpy as np

    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


@contextlib.contextmanager
def plain_weight_buffers() -> Iterator[None]:
    """Load the weights into plain CPU buffers, without llama.cpp's extra (AMX, repacked) ones.

    Reading a prompt is most of a question's time, and the plain buffers read it fastest on both
    CPUs measured (500 tokens of seeds/: 152 against 105 tokens/s repacked on a Xeon, 138 against
    93 on an EPYC), while the AMX buffers crash this build (SIGSEGV in ggml_backend_amx_mul_mat).
    `Llama()` has no parameter for it, so the default model parameters it starts from are
    wrapped while it loads.
    """
    import llama_cpp.llama_cpp as bindings

    original = bindings.llama_model_default_params

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = defaults
    try:
        yield
    finally:
        bindings.llama_model_default_params = original


def _llama_logger() -> logging.Logger:
    return logging.getLogger("llama-cpp-python")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """llama.cpp prints its load log from C; keep it off the user's terminal."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
