"""The model's state after the fixed instructions, kept on disk from one process to the next.

Every fresh process (the first `rag ask`, each `--no-server` call, every `batch` and `chat`, a
restarted server) would evaluate the instructions and worked examples again: about 465 tokens,
some 13 s on two cores, and 574 more for the evidence check's own. Each state is the same every
time for one model file, llama.cpp build, CPU and set of load parameters, so it is written once
(about 13 and 16 MB) and read back in a few
hundredths of a second; the numbers that follow are the same to the last digit as after
evaluating it. A file is named by a hash of everything those numbers depend on and carries a
checksum of its bytes: a truncated or altered file is ignored and replaced, never loaded. The
folder must be this user's own and closed to others (it is made so), since a state is fed to
llama.cpp as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

MAGIC = b"rag-llama-state-1\n"
DIGEST_BYTES = 32
KEEP_FILES = 16  # two prefixes (answer, evidence check) per model, build and thread count in use; older ones are removed
MAX_STATE_BYTES = 1 << 30
STALE_TEMPORARY_SECONDS = 3600


class StateFiles:
    """States saved under folder, keyed by identity (what the numbers depend on) and the tokens.

    Best effort throughout: a folder that cannot be used only means the instructions are
    evaluated again, never a failed answer. folder None keeps nothing.
    """

    def __init__(self, folder: Path | None, identity: str) -> None:
        self.folder = folder
        self.identity = identity
        self.loaded = 0

    def path_for(self, tokens: Sequence[int]) -> Path | None:
        """The file for tokens: a hash of the identity and the tokens names it."""
        if self.folder is None:
            return None
        digest = hashlib.sha256(self.identity.encode() + b"\0" + b",".join(str(t).encode() for t in tokens))
        return self.folder / f"prefix-{digest.hexdigest()[:32]}.state"

    def read(self, tokens: Sequence[int]) -> bytes | None:
        """The saved state for tokens, or None when there is none, the folder or file is not this
        user's own, or the file fails its checksum."""
        path = self.path_for(tokens)
        if path is None or not _private_folder(path.parent):
            return None
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(descriptor, "rb") as source:
            info = os.fstat(source.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > MAX_STATE_BYTES:
                return None
            data = source.read()
        header = len(MAGIC) + DIGEST_BYTES
        payload = data[header:]
        if len(data) <= header or not data.startswith(MAGIC) or data[len(MAGIC) : header] != _digest(payload):
            return None
        return payload

    def write(self, tokens: Sequence[int], state: bytes) -> None:
        """Save state for tokens atomically (a reader sees the old file or the whole new one)."""
        path = self.path_for(tokens)
        if path is None:
            return
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private_folder(path.parent):
            return
        temporary: str | None = None
        try:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as sink:
                temporary = sink.name
                sink.write(MAGIC + _digest(state) + state)
            os.replace(temporary, path)
            temporary = None
            _prune(path.parent, keep=path)
        except OSError:
            pass
        finally:
            if temporary is not None:  # also on Ctrl-C: no half-written file is left behind
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def discard(self, tokens: Sequence[int]) -> None:
        """Remove the state for tokens (llama.cpp refused it)."""
        path = self.path_for(tokens)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


def _private_folder(folder: Path) -> bool:
    """Whether folder is a real folder of this user's that others cannot write to (they could
    plant a state). Its permissions are left as they are: RAG_STATE_DIR may name a folder the user
    shares on purpose, and rag then keeps no states there rather than lock the others out."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _prune(folder: Path, keep: Path) -> None:
    """Keep the KEEP_FILES newest states (always keep) and drop temporary files an interrupted
    writer left more than an hour ago; a file another process removes meanwhile is skipped."""
    dated: list[tuple[float, str, Path]] = []
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            modified = path.stat().st_mtime
            if path.name.startswith("prefix-") and path.name.endswith(".state") and path != keep:
                dated.append((modified, path.name, path))
            elif path.name.startswith(".tmp-") and modified < time.time() - STALE_TEMPORARY_SECONDS:
                path.unlink()
    for _, _, stale in sorted(dated, reverse=True)[KEEP_FILES - 1 :]:
        with contextlib.suppress(OSError):
            stale.unlink()


def _digest(data: bytes) -> bytes:
    """The checksum a state file carries of its state."""
    return hashlib.sha256(data).digest()


def default_folder() -> Path | None:
    """$XDG_CACHE_HOME/rag (when absolute, as the XDG spec asks), else ~/.cache/rag; None when
    there is no home folder to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base and Path(base).is_absolute():
        return Path(base) / "rag"
    try:
        return Path.home() / ".cache" / "rag"
    except RuntimeError:
        return None
