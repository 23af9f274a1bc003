"""`rag ask` and `rag search` through the warm background server, or in this process.

The first call starts the server for the index (detached, its own session, output to
INDEX/.server/server.log) and waits for its socket; later calls find the models loaded. Whatever
goes wrong with the server (none yet, killed, hung, socket file left behind, older code, other
model settings) the call starts a new one or answers in-process: the server is an optimisation,
never a reason to fail. A server that is silent while an answer is awaited is asked for its
status every QUIET_SECONDS (it answers on a thread of its own, busy or not); one that twice in a
row gives none is hung (stopped, swapping) and is killed, and the call goes on without it.
Results are the same dataclasses either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag import channel, wire
from rag.config import DEFAULT_STORE, Settings, env_yes_no
from rag.errors import RagError, ServerHungError
from rag.store import index_option, no_index_error

if TYPE_CHECKING:
    from rag.pipeline import Answer
    from rag.retrieval import Hit

START_SECONDS = 20.0  # for the socket to appear; loading happens after, while the client waits
STOP_SECONDS = 10.0
REPLY_SECONDS = 5.0  # for a status or stop reply: a server that gives none is hung (stopped, swapping)
QUIET_SECONDS = 15.0  # of silence while an answer is awaited before asking whether the server lives


class Unavailable(Exception):
    """The server cannot serve this call; the caller answers in-process instead."""


def enabled(no_server: bool = False) -> bool:
    """Whether to use the server: not with --no-server or RAG_NO_SERVER=1.

    Raises:
        SettingsError: RAG_NO_SERVER is neither a yes nor a no.
    """
    return not no_server and not env_yes_no("RAG_NO_SERVER", "set it to 1 to answer in-process, or unset it")


def ask(
    settings: Settings,
    question: str,
    *,
    k: int | None = None,
    mode: str = "hybrid",
    on_token: Callable[[str], None] | None = None,
    use_server: bool = True,
) -> Answer:
    """One checked answer, from the warm server when possible; timings include any model loading.

    Raises:
        RagError: as Engine.open and Engine.ask.
    """
    from rag.pipeline import Answer

    if use_server:
        request = {"command": "ask", "question": question, "k": k, "mode": mode, "stream": on_token is not None}
        try:
            return wire.from_dict(Answer, call(settings, request, on_token)["answer"])
        except Unavailable:
            pass
    from rag.models import open_engine

    engine = open_engine(settings)
    answer = engine.ask(question, k=k, mode=mode, on_token=on_token)  # type: ignore[arg-type]
    return dataclasses.replace(answer, timings={**engine.load_timings, **answer.timings})


def search(settings: Settings, query: str, *, k: int | None = None, mode: str = "hybrid", use_server: bool = True) -> list[Hit]:
    """The k best passages, from the warm server when possible (it never loads the LLM for this).

    Raises:
        RagError: as Engine.open.
    """
    from rag.retrieval import Hit

    if use_server:
        try:
            reply = call(settings, {"command": "search", "query": query, "k": k, "mode": mode})
            return [wire.from_dict(Hit, hit) for hit in reply["hits"]]
        except Unavailable:
            pass
    from rag.models import open_engine

    return open_engine(settings).search(query, k, mode)  # type: ignore[arg-type]


def call(settings: Settings, request: dict[str, Any], on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Send one request to the index's server (starting or replacing it as needed); its last reply.

    Raises:
        Unavailable: no server could serve it; answer in-process.
        SettingsError: RAG_SERVER_IDLE is not a number of seconds.
        IndexMismatchError: the chunk settings cannot work with the index (no server is stopped
            for them).
        RagError: the server answered with an error the in-process path would give too.
    """
    channel.idle_seconds()  # a bad RAG_SERVER_IDLE is the user's to fix, not a server that never starts
    if settings.store != DEFAULT_STORE or not channel.has_index(settings.index_dir):
        raise Unavailable("no local index (a Milvus store is opened in-process): the in-process path says so")
    if request["command"] == "ask":
        _check_model_header(settings)
    request = {
        **request,
        "protocol": channel.PROTOCOL,
        "build": channel.build(),
        "fingerprint": channel.fingerprint(settings),
        "settings": wire.to_dict(settings),
    }
    for _attempt in range(2):
        connection = _connect_or_start(settings, preload_generator=request["command"] == "ask")
        pid = _peer_pid(connection)
        try:
            reply = _exchange(connection, request, on_token, still_alive=lambda: _answers_status(settings.index_dir))
        except (OSError, ValueError) as error:
            if isinstance(error, ValueError):  # speaks something else: an old server
                _stop(settings.index_dir, pid)
            elif isinstance(error, TimeoutError):  # silent, and no status either: hung
                _kill(pid)
            continue  # it died or went idle meanwhile: start another
        finally:
            connection.close()
        if "stale" in reply:
            _check_index_settings(settings)  # before the warm server is stopped for them
            _stop(settings.index_dir, pid)
            continue
        if "error" in reply:
            if reply.get("during") == "request":
                raise RagError(reply["error"])
            raise Unavailable(reply["error"])  # load problems and bugs: in-process reports them its way
        return reply
    raise Unavailable("the server did not answer")


def _check_model_header(settings: Settings) -> None:
    """A model file that is missing or no GGUF (its first 4 bytes; the server checks the rest
    once) is the in-process path's to report, or to do without for a question that needs no
    model: a server started or swapped in for it could only fail.

    Raises:
        Unavailable: the model file is missing or no GGUF.
    """
    from rag.errors import ModelError
    from rag.weights import check_gguf_header

    try:
        check_gguf_header(settings.model_path)
    except ModelError as error:
        raise Unavailable(f"{error}: the in-process path says so") from error


def _check_index_settings(settings: Settings) -> None:
    """Chunk settings the index was not built with are reported before a warm server is stopped
    to make way for a server for them, which could only fail.

    Raises:
        Unavailable: the index cannot be read (the in-process path says why).
        IndexMismatchError: as the in-process path would.
    """
    from rag.store import check_compatible, read_manifest

    try:
        manifest = read_manifest(settings.index_dir)
    except RagError as error:
        raise Unavailable(f"the index cannot be read ({error}): the in-process path says so") from error
    check_compatible(manifest, manifest.embedding_model, settings.chunking, settings.index_dir)


def _exchange(
    connection: Any, request: dict[str, Any], on_token: Callable[[str], None] | None,
    still_alive: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Send the request, pass streamed tokens on, return the final reply.

    Raises:
        OSError: the connection broke before the final reply (TimeoutError: the server went
            silent and still_alive() said it is hung).
        ValueError: the reply is not this protocol.
    """
    channel.send(connection, request)
    for message in channel.messages(connection, still_alive=still_alive, quiet_seconds=QUIET_SECONDS):
        if "token" in message:
            if on_token is not None:
                on_token(message["token"])
            continue
        return message
    raise ConnectionResetError("the server closed the connection")


def _answers_status(index_dir: Path) -> bool:
    """Whether the index's server still answers (a busy one does: status has its own thread); a
    server that has gone counts as answering, as the awaited connection then closes."""
    try:
        status(index_dir)
    except ServerHungError:
        return False
    return True


def _peer_pid(connection: Any) -> int | None:
    try:
        return channel.peer(connection)[0]
    except OSError:
        return None


def _connect_or_start(settings: Settings, *, preload_generator: bool) -> Any:
    """A connection to a live server, after starting one if none answers.

    Raises:
        Unavailable: the server folder is not ours, or no server came up in time.
    """
    try:
        return channel.connect(settings.index_dir, REPLY_SECONDS)
    except (FileNotFoundError, ConnectionRefusedError):
        pass  # no server, or a socket file left by a dead one
    except OSError as error:
        raise Unavailable(str(error)) from error
    return _wait_for(settings, start(settings, preload_generator=preload_generator))


def _wait_for(settings: Settings, process: subprocess.Popen[bytes]) -> Any:
    """A connection to the server as soon as it listens (to ours, or to one started alongside).

    Raises:
        Unavailable: it exited with an error or did not listen within START_SECONDS.
    """
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            return channel.connect(settings.index_dir, REPLY_SECONDS)
        except (FileNotFoundError, ConnectionRefusedError):
            if process.poll() not in (None, 0):
                raise Unavailable(f"the server failed to start; see {_log_path(settings)}") from None
            time.sleep(0.01)
        except OSError as error:
            raise Unavailable(str(error)) from error
    raise Unavailable(f"the server did not start in time; see {_log_path(settings)}")


def start_and_wait(settings: Settings, *, idle: float | None = None) -> int:
    """Make sure a server runs for settings.index_dir; its pid.

    A running server for another model, or any running server when `idle` is given, is replaced.

    Raises:
        IndexNotFoundError: there is no index to serve.
        ModelError: the model file is missing or not a GGUF file.
        SettingsError: RAG_SERVER_IDLE is not a number of seconds.
        RagError: the server could not be started.
    """
    from rag.weights import check_model_file

    if not channel.has_index(settings.index_dir):
        raise no_index_error(settings.index_dir)
    check_model_file(settings.model_path)
    if idle is None:
        channel.idle_seconds()
    try:
        running = status(settings.index_dir)
    except ServerHungError:
        stop(settings.index_dir)  # a hung server is replaced
        running = None
    if running is not None and (idle is not None or running.model != str(settings.model_path.resolve())):
        stop(settings.index_dir)  # asked for another model or idle time: replace it
    try:
        try:
            connection = channel.connect(settings.index_dir, REPLY_SECONDS)
        except (FileNotFoundError, ConnectionRefusedError):
            connection = _wait_for(settings, start(settings, idle=idle))
    except (Unavailable, OSError) as error:
        raise RagError(f"cannot start the server for {settings.index_dir} ({error})") from None
    with connection:
        return _peer_pid(connection) or 0


def start(settings: Settings, *, preload_generator: bool = False, idle: float | None = None) -> subprocess.Popen[bytes]:
    """Launch `python -m rag.server` detached (own session, output to the log), not waiting for it.

    Raises:
        Unavailable: the server folder cannot be made private.
    """
    try:
        directory = channel.private_folder(settings.index_dir)
        log = os.open(directory / channel.LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as error:
        raise Unavailable(str(error)) from error
    absolute = dataclasses.replace(settings, index_dir=settings.index_dir.resolve(), model_path=settings.model_path.resolve())
    command = [sys.executable, "-m", "rag.server", "--settings", _json(wire.to_dict(absolute))]
    if idle is not None:
        command += ["--idle", str(idle)]
    if preload_generator:
        command.append("--preload-generator")
    package_root = str(Path(__file__).resolve().parent.parent)  # the server runs this very code
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/",
            start_new_session=True, close_fds=True, env={**os.environ, "PYTHONPATH": path},
        )
    finally:
        os.close(log)


def status(index_dir: Path) -> channel.ServerStatus | None:
    """The running server's status, or None when no server listens for index_dir.

    Raises:
        ServerHungError: a server listens but gives no reply in REPLY_SECONDS.
    """
    try:
        connection = channel.connect(index_dir, REPLY_SECONDS)
    except TimeoutError:
        raise _not_accepting(index_dir) from None
    except OSError:
        return None
    with connection:
        connection.settimeout(REPLY_SECONDS)
        try:
            reply = _exchange(connection, {"command": "status"}, None)
            return wire.from_dict(channel.ServerStatus, reply["status"]) if "status" in reply else None
        except TimeoutError:
            pid = _peer_pid(connection)
            raise ServerHungError(f"the server for {index_dir}{f' (pid {pid})' if pid else ''} does not answer",
                                  f"`rag server stop{index_option(index_dir)}`") from None
        except (OSError, ValueError, TypeError, KeyError):  # gone meanwhile, or not this protocol's
            return None


def _not_accepting(index_dir: Path) -> ServerHungError:
    """A hung server whose backlog of connections is full: no connection tells its pid."""
    return ServerHungError(f"the server for {index_dir} accepts no connection (hung)",
                           f"`kill -9 PID`, PID from the last 'serving' line of {channel.folder(index_dir) / channel.LOG}")


def stop(index_dir: Path) -> int | None:
    """Stop the server of index_dir and wait until it is gone; its pid, or None if none ran.

    Raises:
        ServerHungError: a server is there but accepts no connection.
    """
    try:
        connection = channel.connect(index_dir, REPLY_SECONDS)
    except TimeoutError:
        raise _not_accepting(index_dir) from None
    except OSError:
        return None
    with connection:
        pid = _peer_pid(connection)
    _stop(index_dir, pid)
    return pid


def _stop(index_dir: Path, pid: int | None) -> None:
    """Ask the server to stop; kill it if it does not go, so a replacement can take its place."""
    try:
        with channel.connect(index_dir, REPLY_SECONDS) as connection:
            connection.settimeout(REPLY_SECONDS)
            _exchange(connection, {"command": "stop"}, None)
    except (OSError, ValueError):
        pass  # a hung server is killed below
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            channel.connect(index_dir, 0.2).close()
        except TimeoutError:
            pass  # hung, its backlog full: still there
        except OSError:
            return
        time.sleep(0.02)
    _kill(pid)


def _kill(pid: int | None) -> None:
    """Kill the server process (never this one, which serves in a thread in tests) and wait until
    it has exited, so the next connection is refused rather than left in a dying backlog."""
    if pid and pid != os.getpid():
        with contextlib.suppress(ProcessLookupError):  # it went, and a newer server answers
            os.kill(pid, signal.SIGKILL)
            _wait_until_dead(pid)


def _wait_until_dead(pid: int) -> None:
    """Until the killed process has exited, at most STOP_SECONDS: a zombie whose other threads
    have gone too, so its socket is closed (its main thread turns zombie first, while the others
    still hold the socket open and accept into its backlog)."""
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            fields = dict(
                line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
            )
        except FileNotFoundError:
            if Path("/proc/self").exists():
                return  # gone
            try:
                os.kill(pid, 0)  # no /proc (macOS): until the pid is gone
            except ProcessLookupError:
                return
            time.sleep(0.01)
            continue
        except OSError:
            return
        if fields.get("State", "").split()[:1] in (["Z"], ["X"]) and int(fields.get("Threads", "1")) <= 1:
            return
        time.sleep(0.01)


def _log_path(settings: Settings) -> Path:
    return channel.folder(settings.index_dir) / channel.LOG


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)
