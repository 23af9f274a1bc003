"""Fan-out over Ray: questions answered by actors that each hold their models, passages embedded
by a pool of embedding actors. Ray is imported here only, when a command asks for it.

Answering keeps the batch contract: only the driver writes, one record per question as its
answer arrives, so the output file stays resumable exactly as without Ray. A question is in
flight on one actor at a time; when an actor dies its questions go back to the queue and a new
actor takes its place, so a killed worker costs time, never a lost or repeated answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings, available_cpus
from rag.errors import RagError

if TYPE_CHECKING:
    import numpy as np

    from rag.batch import Question
    from rag.embedding import Embedder
    from rag.generation import Generator
    from rag.results import Answer

DEFAULT_WORKERS = 2
READY_SECONDS = 300.0  # for every actor to load its models
IN_FLIGHT = 2  # questions queued on each actor, so none waits for the driver between answers
EMBED_PIECE = 256  # passages per embedding task at most
REACH_SECONDS = 5.0  # to open a TCP connection to a Ray head given by address
Models = tuple[Callable[[Settings], "Embedder"] | None, Callable[[Settings], "Generator"] | None]


@dataclass(frozen=True)
class Job:
    """What every answering actor needs to answer like `rag batch` does in one process."""

    settings: Settings
    k: int | None = None
    mode: str = "hybrid"
    retrieve_only: bool = False


def start(address: str | None, workers: int) -> None:
    """Join the Ray cluster at address, or start a local one with room for `workers` workers of
    cpus_per_worker CPUs each; offline (no usage reports, no dashboard) and quiet.

    Raises:
        RagError: Ray is not installed or the cluster cannot be reached.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise RagError("ray is not installed; run `pip install ray` or leave out --ray") from None
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False,
                               "runtime_env": {"env_vars": {"PYTHONPATH": _python_path()}}}
    if address and address != "auto":
        _check_reachable(address)
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=workers * cpus_per_worker(workers), **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = address or "a local cluster"
        raise RagError(f"cannot start Ray on {where} ({error}); check the address or run `ray status`") from None


def _check_reachable(address: str) -> None:
    """Ray retries an unreachable head for minutes and ignores SIGTERM meanwhile: try it first.

    Raises:
        RagError: nothing listens at address (host:port, or ray://host:port).
    """
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not (port.isascii() and port.isdigit()):
        return  # Ray's own parsing reports a malformed address
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_SECONDS).close()
    except OSError as error:
        raise RagError(f"cannot reach Ray at {address} ({error.strerror or error}); start the cluster "
                       "(`ray start --head`) or pass its address") from None


def _python_path() -> str:
    """This rag's folder first, so every worker imports the same code as the driver."""
    here = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)


def stop() -> None:
    import ray

    ray.shutdown()


def cpus_per_worker(workers: int) -> int:
    """Each local worker's share of this machine (its LLM and torch threads)."""
    return max(1, available_cpus() // workers)


def default_models() -> Models:
    """The real models (tests replace this to hand fakes to the actors)."""
    return None, None


class Answerer:
    """A Ray actor's state: one engine, loaded once, answering question after question."""

    def __init__(self, job: Job, models: Models) -> None:
        from rag import models as model_makers

        make_embedder, make_generator = models
        settings = job.settings
        self.job = job
        self.problem = ""
        try:
            embedder = (make_embedder or model_makers.make_embedder)(settings)
            generator = (lambda: make_generator(settings)) if make_generator else None
            self.engine = model_makers.open_engine(settings, embedder, generator)
        except RagError as error:
            self.problem = str(error)
        except Exception as error:  # noqa: BLE001 - told in one line by the driver, not a Ray traceback
            self.problem = f"a Ray worker could not load the models ({type(error).__name__}: {error})"

    def ready(self) -> str:
        """'' when the engine loaded, else the one-line reason it did not."""
        return self.problem

    def answer(self, question: str) -> Answer:
        job = self.job
        if job.retrieve_only:
            return self.engine.retrieve(question, job.k, job.mode)  # type: ignore[arg-type]
        return self.engine.ask(question, k=job.k, mode=job.mode)  # type: ignore[arg-type]


class AnswerPool:
    """Answering actors on the current Ray cluster (call `start` first)."""

    def __init__(self, job: Job, *, workers: int = DEFAULT_WORKERS, cpus: int = 1, models: Models | None = None) -> None:
        import ray

        from rag.config import milvus_uri

        uri = milvus_uri(job.settings.store)
        if uri is not None and uri.endswith(".db") and workers > 1:
            raise RagError(f"Milvus Lite ({uri}) opens its file in one process at a time; use --workers 1, "
                           "a Milvus server (--store milvus:http://HOST:19530) or --store faiss with --ray")
        threads = dataclasses.replace(job.settings, threads=cpus)
        self.job = dataclasses.replace(job, settings=threads)
        self.models = models or default_models()
        self._actor_class = ray.remote(num_cpus=cpus, max_restarts=0)(Answerer)
        self.actors = [self._new_actor() for _ in range(workers)]
        self.replaced = 0
        self._check_ready(self.actors)

    def _new_actor(self) -> Any:
        return self._actor_class.remote(self.job, self.models)

    def _check_ready(self, actors: list[Any]) -> None:
        import ray

        try:
            problems = ray.get([a.ready.remote() for a in actors], timeout=READY_SECONDS)
        except ray.exceptions.GetTimeoutError:
            raise RagError(f"Ray workers did not start within {READY_SECONDS:.0f} s; the cluster may lack CPUs "
                           "for --workers (see `ray status`)") from None
        except ray.exceptions.RayActorError as error:
            raise RagError(f"a Ray worker died while starting ({error.__class__.__name__}); see `ray status` and "
                           "the worker logs, or run without --ray") from None
        for problem in problems:
            if problem:
                raise RagError(problem)

    def run(self, questions: Sequence[Question], on_answer: Callable[[Question, Answer], None]) -> None:
        """Answer every question exactly once, calling on_answer in this process as answers arrive.

        Raises:
            RagError: the engine cannot load, or workers keep dying (more replacements than questions).
        """
        import ray

        queue = deque(range(len(questions)))
        running: dict[Any, tuple[int, int]] = {}  # object ref -> (question, actor slot)

        def feed(slot: int) -> None:
            while queue and sum(1 for _, s in running.values() if s == slot) < IN_FLIGHT:
                position = queue.popleft()
                running[self.actors[slot].answer.remote(questions[position].question)] = (position, slot)

        for slot in range(len(self.actors)):
            feed(slot)
        while running:
            [ref], _ = ray.wait(list(running), num_returns=1)
            position, slot = running.pop(ref)
            try:
                answer = ray.get(ref)
            except ray.exceptions.RayActorError:
                self._replace(slot, position, running, queue, len(questions))
                feed(slot)
                continue
            except ray.exceptions.RayTaskError as error:
                raise (error.cause if isinstance(error.cause, RagError) else RagError(_first_line(error))) from None
            on_answer(questions[position], answer)
            feed(slot)

    def _replace(self, slot: int, position: int, running: dict[Any, tuple[int, int]], queue: deque[int],
                 total: int) -> None:
        """Put the dead actor's questions back at the front of the queue and start a new actor."""
        lost = [position]
        for ref, (other, other_slot) in list(running.items()):
            if other_slot == slot:
                del running[ref]
                lost.append(other)
        queue.extendleft(sorted(lost, reverse=True))
        self.replaced += 1
        if self.replaced > total:
            raise RagError("Ray workers keep dying; check `ray status` and the worker logs in /tmp/ray")
        self.actors[slot] = self._new_actor()
        self._check_ready([self.actors[slot]])

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[-1][:200]


class EmbedWorker:
    """A Ray actor's state: one embedding model."""

    def __init__(self, make_embedder: Callable[[Settings], Embedder] | None, settings: Settings, cpus: int) -> None:
        from rag import models

        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(cpus)
        self.embedder = (make_embedder or models.make_embedder)(settings)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed_passages(texts)


class RayEmbedder:
    """An embedder factory for build_index (rag.indexing.EmbedderFactory) whose passages are
    embedded by `workers` actors; queries still go to one local model."""

    def __init__(self, name: str, dimension: int, settings: Settings, *, workers: int = DEFAULT_WORKERS,
                 cpus: int = 1, make_embedder: Callable[[Settings], Embedder] | None = None) -> None:
        self.name = name
        self.dimension = dimension
        self.settings = settings
        self.workers = workers
        self.cpus = cpus
        self.make_embedder = make_embedder

    def __call__(self) -> PooledEmbedder:
        import ray

        remote = ray.remote(num_cpus=self.cpus)(EmbedWorker)
        actors = [remote.remote(self.make_embedder, self.settings, self.cpus) for _ in range(self.workers)]
        return PooledEmbedder(self.name, self.dimension, actors)


def embedding_pieces(texts: Sequence[str], workers: int) -> list[list[str]]:
    """The passages of one batch in consecutive pieces, at most EMBED_PIECE each and at least one
    per worker when there are enough: the indexer commits a batch of rag.indexing.EMBED_BATCH
    (256) passages at a time, and in pieces of 256 one such batch kept a single worker busy."""
    size = max(1, min(EMBED_PIECE, -(-len(texts) // max(1, workers))))
    return [list(texts[i : i + size]) for i in range(0, len(texts), size)]


class PooledEmbedder:
    """Passages split into pieces (embedding_pieces), embedded in parallel, returned in order."""

    def __init__(self, name: str, dimension: int, actors: list[Any]) -> None:
        from ray.util import ActorPool

        self.name = name
        self.dimension = dimension
        self._workers = len(actors)
        self._pool = ActorPool(actors)

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        import numpy as np

        pieces = embedding_pieces(texts, self._workers)
        out = []
        for vectors in self._pool.map(lambda actor, piece: actor.embed.remote(piece), pieces):
            out.append(vectors)
            if progress:
                progress(len(vectors))
        return np.concatenate(out) if out else np.zeros((0, self.dimension), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        raise RagError("the Ray embedding pool embeds passages only; search with one local model")
