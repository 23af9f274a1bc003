"""What the background server and its clients share: where the socket lives, who may use it,
how messages are framed, and how a client tells that a running server is the one it needs.

Everything sits in INDEX/.server/, a 0700 folder owned by the user: `sock` (the 0600 Unix socket),
`lock` (held by the live server, so there is never a second one) and `server.log`. Messages are
one JSON object per line. Nothing here listens on a network.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import socket
import stat
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import SettingsError

PROTOCOL = 1
DEFAULT_IDLE_SECONDS = 600.0
MIN_IDLE_SECONDS = 1.0
MAX_IDLE_SECONDS = 7 * 24 * 3600.0
FOLDER = ".server"
SOCKET = "sock"
LOCK = "lock"
LOG = "server.log"
_MAX_SOCKET_PATH = 100  # AF_UNIX allows 107 bytes; longer paths go through /proc/self/fd
_IGNORED = {FOLDER, ".lock"}


@dataclass(frozen=True)
class ServerStatus:
    """What `rag server status` shows."""

    pid: int
    uptime_seconds: float
    idle_seconds_left: float
    index: str
    passages: int
    model: str
    llm_loaded: bool
    rss_mb: float
    peak_rss_mb: float
    requests: int
    cached_prompts: int = 0
    prompt_cache_mb: float = 0.0
    prompt_cache_budget_mb: float = 0.0
    restored_prompts: int = 0
    index_loaded: bool = True  # False while a new server still opens the index
    index_rebuilt: bool = False  # rebuilt on disk since it was loaded; the next request loads it


class ChannelError(OSError):
    """The server folder or socket cannot be trusted or reached."""


class AlreadyServing(ChannelError):
    """Another server answers on the index's socket: a client reaches that one instead."""


def folder(index_dir: Path) -> Path:
    return index_dir / FOLDER


def idle_seconds() -> float:
    """RAG_SERVER_IDLE, else the default of ten minutes.

    Raises:
        SettingsError: it is not a number of seconds from 1 to a week.
    """
    value = os.environ.get("RAG_SERVER_IDLE", "").strip()
    if not value:
        return DEFAULT_IDLE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not MIN_IDLE_SECONDS <= seconds <= MAX_IDLE_SECONDS:  # NaN fails too
        raise SettingsError(
            f"RAG_SERVER_IDLE={value} is not a number of seconds from {MIN_IDLE_SECONDS:g} to {MAX_IDLE_SECONDS:g}; "
            f"set it to one such as {DEFAULT_IDLE_SECONDS:g} or unset it"
        )
    return seconds


def private_folder(index_dir: Path) -> Path:
    """INDEX/.server, created 0700 if missing.

    Raises:
        ChannelError: it is a symlink or belongs to another user.
    """
    path = folder(index_dir)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    check_private(path)
    os.chmod(path, 0o700)
    return path


def check_private(path: Path) -> None:
    """Raises: ChannelError unless path is a real folder owned by this user."""
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ChannelError(f"{path} is not a folder owned by this user; remove it (rag makes it again)")


@contextlib.contextmanager
def address(path: Path) -> Iterator[str]:
    """A name for bind/connect: the path itself, or /proc/self/fd/N/NAME when it is too long."""
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        yield str(path)
        return
    descriptor = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{descriptor}/{path.name}"
    finally:
        os.close(descriptor)


def peer(connection: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end, from the kernel (SO_PEERCRED)."""
    raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", raw)
    return pid, uid


def connect(index_dir: Path, timeout: float | None = None) -> socket.socket:
    """A connection to the server of index_dir, checked to be run by this user. A server that is
    stopped (SIGSTOP) lets the kernel accept connections until its backlog is full; then connecting
    waits, for at most `timeout` seconds when one is given.

    Raises:
        OSError: no server listens there, or it cannot be trusted (TimeoutError: none accepted
            the connection within timeout).
    """
    path = folder(index_dir)
    check_private(path)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.settimeout(timeout)
            with address(path / SOCKET) as name:
                connection.connect(name)
            connection.settimeout(None)
            break
        except BlockingIOError as error:  # with a timeout, a full backlog fails at once: try again
            connection.close()
            if deadline is None or time.monotonic() >= deadline:
                raise TimeoutError("the server accepts no connection") from error
            time.sleep(0.05)
        except BaseException:
            connection.close()
            raise
    try:
        if peer(connection)[1] != os.getuid():
            raise ChannelError(f"the server at {path} runs as another user")
    except BaseException:
        connection.close()
        raise
    return connection


def send(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))


def messages(
    connection: socket.socket, *, still_alive: Callable[[], bool] | None = None, quiet_seconds: float = 15.0
) -> Iterator[dict[str, Any]]:
    """Each JSON line received until the other side closes. With `still_alive`, each silence of
    quiet_seconds (an answer that is not streamed, or one waiting its turn) asks whether the other
    side still lives; two noes with nothing received between them (a server busy loading may be
    slow to say yes) end the wait.

    Raises:
        ValueError: a line is not a JSON object.
        TimeoutError: silent, and still_alive() said twice in a row that it is not.
    """
    lines = _lines(connection) if still_alive is None else _lines_watched(connection, still_alive, quiet_seconds)
    for line in lines:
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        yield message


def _lines(connection: socket.socket) -> Iterator[bytes]:
    with connection.makefile("rb") as stream:
        yield from stream


def _lines_watched(connection: socket.socket, still_alive: Callable[[], bool], quiet_seconds: float) -> Iterator[bytes]:
    """Lines as they arrive, read without a buffered file, so a silence can be waited out and
    the reading go on."""
    import select

    watch = select.poll()  # not select(): it refuses descriptors above 1023
    watch.register(connection, select.POLLIN)
    pending = b""
    misses = 0
    while True:
        while b"\n" not in pending:
            if not watch.poll(quiet_seconds * 1000):
                misses = 0 if still_alive() else misses + 1
                if misses < 2:
                    continue
                raise TimeoutError("the other side is silent and does not answer")
            received = connection.recv(1 << 16)
            if not received:
                if pending.strip():
                    yield pending
                return
            pending += received
            misses = 0  # it spoke: only silences in a row count
        line, pending = pending.split(b"\n", 1)
        yield line


def closed(connection: socket.socket) -> bool:
    """Whether the other side has hung up (it sends nothing more after its request)."""
    import select

    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def fingerprint(settings: Settings) -> dict[str, Any]:
    """The settings that decide what a server has loaded; a request with others needs another."""
    return {
        "index_dir": str(settings.index_dir.resolve()),
        "model_path": str(settings.model_path.resolve()),
        "model_file": _file_identity(settings.model_path),  # a model replaced under the same name
        "threads": settings.threads,
        "chunking": dataclasses.asdict(settings.chunking),
        "store": settings.store,
        "prompt_cache_mb": settings.prompt_cache_mb,
        "state_dir": str(settings.state_dir.resolve()) if settings.state_dir else None,
    }


def _file_identity(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def build() -> str:
    """Changes whenever the installed rag code or its data does (the readers, the fitted decision
    in rag/data), so a server never outlives an upgrade or a refit."""
    package = Path(__file__).parent
    digest = hashlib.sha256(str(PROTOCOL).encode())
    for path in sorted([*package.rglob("*.py"), *(package / "data").rglob("*.json")]):
        info = path.stat()
        digest.update(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def index_signature(index_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and times of the index's files two levels deep: a rebuild changes it.

    Covers a new generation named in CURRENT as well as files rewritten in place.
    """
    entries = []
    for top in _entries(index_dir):
        entries.append(top)
        if top[0].endswith("/"):
            entries.extend(_entries(index_dir / top[0], prefix=top[0]))
    return tuple(entries)


def _entries(directory: Path, prefix: str = "") -> list[tuple[str, int, int]]:
    try:
        scanned = list(os.scandir(directory))
    except OSError:
        return []
    rows = []
    for entry in scanned:
        if entry.name in _IGNORED:
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            slash = "/" if entry.is_dir(follow_symlinks=False) else ""
            rows.append((prefix + entry.name + slash, info.st_size if not slash else 0, info.st_mtime_ns))
    return sorted(rows)


def has_index(index_dir: Path) -> bool:
    """Whether index_dir holds a local index (the loader says if it is usable). A folder with only
    rag's bookkeeping, as a Milvus index leaves, has none."""
    from rag.corpus import is_index_folder

    return is_index_folder(index_dir)
