"""The warm background server: one process per index keeps the engine loaded between commands.

`rag ask` and `rag search` start it on demand (see rag/client.py). It listens on INDEX/.server/sock
(owner-only, never TCP), answers one request at a time (others wait their turn), loads the LLM
only when a question needs it, reloads the index when it was rebuilt, and exits after an idle
timeout. Requests are JSON lines:

    {"command": "ask", "protocol", "build", "fingerprint", "settings", "question", "k", "mode", "stream"}
    {"command": "search", ... "query", "k", "mode"}
    {"command": "status"}            {"command": "stop"}

Replies: {"token": "..."} while generating, then {"answer": {...}}, {"hits": [...]},
{"status": {...}}, {"stopped": pid}, {"error": "...", "during": "load"|"request"} or
{"stale": "why"} when the request needs a server with other code or settings.

    python -m rag.server --settings JSON [--idle SECONDS] [--preload-generator]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import importlib
import json
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag import channel, wire
from rag.config import Settings
from rag.errors import Cancelled, RagError
from rag.generation import PromptStates

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.generation import Generator
    from rag.pipeline import Engine

ACCEPT_POLL_SECONDS = 0.2
LOCK_WAIT_SECONDS = 10.0
REQUEST_SECONDS = 30.0  # for a client's request to arrive once it has connected
DRAIN_SECONDS = 600.0  # the longest a stopping server waits for its running answers
MODELS_HOOK = "RAG_SERVER_MODELS"  # tests only: "module:function" returning (make_embedder, make_generator)


class Server:
    """The engine and the socket; `serve` runs until stopped or idle for `idle` seconds."""

    def __init__(
        self,
        settings: Settings,
        *,
        idle: float = channel.DEFAULT_IDLE_SECONDS,
        make_embedder: Callable[[Settings], Embedder] | None = None,
        make_generator: Callable[[Settings], Generator] | None = None,
    ) -> None:
        from rag import models

        self.settings = settings
        self.idle = idle
        self.owner = os.getuid()  # the only user whose requests are served
        self._make_embedder = make_embedder or models.make_embedder
        self._make_generator = make_generator or models.make_generator
        self.fingerprint = channel.fingerprint(settings)
        self.build = channel.build()
        self._work = threading.Lock()  # one request at a time
        self._generator_lock = threading.Lock()
        self._stopping = threading.Event()
        self._embedder: Embedder | None = None
        self._generator: Generator | None = None
        self._engine: Engine | None = None
        self._signature: tuple[Any, ...] | None = None
        self._unreported: dict[str, float] = {}  # load seconds not yet shown in an answer's timings
        self._started = time.monotonic()
        self._last_active = time.monotonic()
        self._busy = 0  # requests being answered
        self._connections = 0  # connections accepted and not yet closed
        self._counting = threading.Lock()
        self._requests = 0
        self.ready = threading.Event()
        self.stopped = threading.Event()

    # --- life cycle

    def serve(self, *, preload_generator: bool = False) -> None:
        """Bind the socket, warm up in the background, and answer until stopped or idle.

        Raises:
            OSError: another server holds the index's lock, or the socket cannot be made.
        """
        directory = channel.private_folder(self.settings.index_dir)
        with open(directory / channel.LOCK, "a") as lock:
            _lock_or_wait(lock, self.settings.index_dir)
            listener = self._bind(directory / channel.SOCKET)
            bound = _identity(directory / channel.SOCKET)
            _log(f"pid {os.getpid()} serving {self.fingerprint['index_dir']} (idle timeout {self.idle:g}s)")
            threading.Thread(target=self._warm_up, args=(preload_generator,), daemon=True).start()
            try:
                self.ready.set()
                self._accept(listener, directory / channel.SOCKET, bound)
            finally:
                if _identity(directory / channel.SOCKET) == bound:  # not a newer server's socket
                    with contextlib.suppress(OSError):
                        (directory / channel.SOCKET).unlink()
                listener.close()
                self._drain()
                _log("stopped")
                self.stopped.set()

    def stop(self) -> None:
        self._stopping.set()

    def _drain(self) -> None:
        """Let every accepted connection finish (a running answer too) before the process ends,
        so no request is cut off; a client that never sends its request is given up on."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._connections and time.monotonic() < deadline:
            time.sleep(ACCEPT_POLL_SECONDS / 10)

    def _bind(self, path: Path) -> socket.socket:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a killed server; we hold the lock, so it is not a live one's
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            with channel.address(path) as name:
                listener.bind(name)
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(16)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        return listener

    def _accept(self, listener: socket.socket, path: Path, bound: tuple[int, int] | None) -> None:
        """Answer connections until stopped, idle, or the socket file is gone: with the index
        folder deleted no client can reach this server, nor `rag server stop` find it."""
        while not self._stopping.is_set():
            # idle while no answer runs (a connection not yet read, or a status request, is let
            # finish by _drain: counting it here let a client polling status keep the server up)
            if not self._busy and time.monotonic() - self._last_active > self.idle:
                _log(f"idle for {self.idle:g}s")
                return
            if not self._busy and _identity(path) != bound:
                _log(f"{path} was removed (the index folder deleted?); no client can reach this server")
                return
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with self._counting:  # counted from now: a stopping server waits for it
                self._connections += 1
            threading.Thread(target=self._connection, args=(connection,), daemon=True).start()

    def _warm_up(self, preload_generator: bool) -> None:
        """Load the models before the first request needs them; the LLM loads alongside."""
        if preload_generator:
            threading.Thread(target=self._generator_now, daemon=True).start()
        with self._work, contextlib.suppress(Exception):
            self._engine_now()

    # --- one connection

    def _connection(self, connection: socket.socket) -> None:
        try:
            self._converse(connection)
        finally:
            with self._counting:
                self._connections -= 1

    def _converse(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(REQUEST_SECONDS)  # a client that connects and says nothing is let go
                with contextlib.closing(channel.messages(connection)) as incoming:
                    request = next(incoming, None)  # read first: closing on unread data resets the reply
                connection.settimeout(None)
                if channel.peer(connection)[1] != self.owner:
                    channel.send(connection, {"error": "refused: this server belongs to another user", "during": "peer"})
                elif request is not None:
                    self._dispatch(connection, request)
            except (OSError, ValueError) as error:
                _log(f"connection dropped ({error})")

    def _dispatch(self, connection: socket.socket, request: dict[str, Any]) -> None:
        command = request.get("command")
        if command == "status":
            channel.send(connection, {"status": wire.to_dict(self.status())})
            return
        if command == "stop":
            channel.send(connection, {"stopped": os.getpid()})
            self.stop()
            return
        reason = self._stale_reason(request)
        if reason:
            channel.send(connection, {"stale": reason})
            return
        if command not in ("ask", "search"):
            channel.send(connection, {"stale": f"unknown command {command!r}"})
            return
        with self._counting:
            self._busy += 1
        try:
            with self._work:
                self._requests += 1
                started = time.perf_counter()
                self._answer(connection, request)
                _log(f"{command} in {time.perf_counter() - started:.2f}s")
        finally:
            with self._counting:
                self._busy -= 1
                self._last_active = time.monotonic()  # a status request is no activity

    def _stale_reason(self, request: dict[str, Any]) -> str | None:
        if request.get("protocol") != channel.PROTOCOL:
            return f"protocol {request.get('protocol')} requested, this server speaks {channel.PROTOCOL}"
        if request.get("build") != self.build:
            return "the rag code changed since this server started"
        if request.get("fingerprint") != self.fingerprint:
            return "the request needs another model or settings"
        return None

    def _answer(self, connection: socket.socket, request: dict[str, Any]) -> None:
        try:
            engine = self._engine_now()
        except RagError as error:  # the client loads in-process, which words it with its own paths
            channel.send(connection, {"error": str(error), "during": "load"})
            _log(f"stopping: cannot open the index or its embedder ({error})")
            self.stop()  # with no index it can serve nothing; the next call after a repair starts afresh
            return
        try:
            if request["command"] == "ask":
                self._generator_now()
        except RagError as error:
            channel.send(connection, {"error": str(error), "during": "load"})
            return
        engine.reconfigure(wire.from_dict(Settings, request["settings"]))
        try:
            if request["command"] == "search":
                hits = engine.search(request["query"], request.get("k"), request.get("mode", "hybrid"))
                channel.send(connection, {"hits": [wire.to_dict(h) for h in hits]})
                return

            def on_token(piece: str) -> None:
                if request.get("stream"):
                    channel.send(connection, {"token": piece})
                elif channel.closed(connection):
                    raise Cancelled("the client left")  # Ctrl-C or killed: stop answering

            answer = engine.ask(
                request["question"], k=request.get("k"), mode=request.get("mode", "hybrid"), on_token=on_token,
                cancelled=lambda: channel.closed(connection),
            )
        except Cancelled:
            _log("the client left; answer stopped")
            return
        except RagError as error:
            channel.send(connection, {"error": str(error), "during": "request"})
            return
        except OSError:
            raise
        except Exception as error:  # a bug: the client redoes the request in-process, which shows it
            _log(traceback.format_exc())
            channel.send(connection, {"error": f"internal error: {error!r}", "during": "internal"})
            return
        timings = {**self._unreported, **answer.timings}
        self._unreported.clear()
        channel.send(connection, {"answer": wire.to_dict(dataclasses.replace(answer, timings=timings))})

    # --- models

    def _engine_now(self) -> Engine:
        """The engine for the index as it is on disk now, reloading it after a rebuild.

        Raises:
            IndexNotFoundError, IndexMismatchError, ModelError
        """
        from rag.models import open_engine

        signature = channel.index_signature(self.settings.index_dir)
        if self._engine is not None and signature == self._signature:
            return self._engine
        if self._embedder is None:
            started = time.perf_counter()
            self._embedder = self._make_embedder(self.settings)
            self._unreported["embedder_load"] = time.perf_counter() - started
        engine = open_engine(self.settings, self._embedder, self._generator_now)
        self._unreported["index_load"] = engine.load_timings["index_load"]
        _log(f"loaded index: {engine.index.count} passages" + (" (rebuilt)" if self._engine else ""))
        self._engine, self._signature = engine, signature
        return engine

    def _generator_now(self) -> Generator:
        """The LLM, loaded on first use (or by the warm-up thread, whichever comes first)."""
        with self._generator_lock:
            if self._generator is None:
                started = time.perf_counter()
                try:
                    self._generator = self._make_generator(self.settings)
                except RagError as error:
                    _log(f"cannot load the model: {error}")
                    raise
                self._unreported["llm_load"] = time.perf_counter() - started
                _log(f"loaded model {self.settings.model_path.name}")
            return self._generator

    # --- status

    def status(self) -> channel.ServerStatus:
        engine = self._engine
        now = time.monotonic()
        idle_left = self.idle - (now - self._last_active) if not self._busy else self.idle
        rss, peak = _memory_mb()
        states = getattr(self._generator, "prompt_states", None)
        if states is None:  # no model loaded yet, or a test's fake
            states = PromptStates(0)
        return channel.ServerStatus(
            pid=os.getpid(),
            uptime_seconds=round(now - self._started, 1),
            idle_seconds_left=round(max(0.0, idle_left), 1),
            index=self.fingerprint["index_dir"],
            passages=engine.index.count if engine else 0,
            model=self.fingerprint["model_path"],
            llm_loaded=self._generator is not None,
            rss_mb=rss,
            peak_rss_mb=peak,
            requests=self._requests,
            cached_prompts=len(states),
            prompt_cache_mb=round(states.bytes / 2**20, 1),
            prompt_cache_budget_mb=round(states.budget_bytes / 2**20, 1),
            restored_prompts=states.hits,
            index_loaded=engine is not None,
            index_rebuilt=engine is not None and channel.index_signature(self.settings.index_dir) != self._signature,
        )


def _lock_or_wait(lock: Any, index_dir: Path) -> None:
    """Take the index's server lock, waiting briefly for a server that is stopping.

    Raises:
        ChannelError: another server is running (it answers on the socket) or never let go.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        try:
            channel.connect(index_dir).close()
        except OSError:
            pass  # not listening yet, or stopping
        else:
            raise channel.AlreadyServing("another server is already running for this index")
        if time.monotonic() > deadline:
            raise channel.ChannelError("another server holds the lock")
        time.sleep(0.05)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode, or None when it is gone."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _memory_mb() -> tuple[float, float]:
    """Resident and peak resident memory of this process, from /proc."""
    values = {}
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = round(int(rest.split()[0]) / 1024, 1)
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", file=sys.__stderr__, flush=True)


def _model_makers() -> tuple[Any, Any]:
    """The test hook: RAG_SERVER_MODELS=module:function gives fake models to a spawned server."""
    hook = os.environ.get(MODELS_HOOK)
    if not hook:
        return None, None
    module, _, function = hook.partition(":")
    return getattr(importlib.import_module(module), function)()  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.server", description="The rag background server.")
    parser.add_argument("--settings", required=True, help="Settings as JSON (the client's, with absolute paths)")
    parser.add_argument("--idle", type=float, default=None, help="Stop after this many idle seconds")
    parser.add_argument("--preload-generator", action="store_true", help="Load the LLM at once")
    args = parser.parse_args(argv)
    settings = wire.from_dict(Settings, json.loads(args.settings))
    make_embedder, make_generator = _model_makers()
    server = Server(
        settings,
        idle=args.idle if args.idle is not None else channel.idle_seconds(),
        make_embedder=make_embedder,
        make_generator=make_generator,
    )
    try:
        server.serve(preload_generator=args.preload_generator)
    except channel.AlreadyServing as error:  # the client that started this one reaches that one
        _log(f"not starting: {error}")
        return 0
    except channel.ChannelError as error:  # the client answers in process rather than wait for it
        _log(f"not starting: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
