"""`rag doctor`: one line per check with its fix, exit 0 when healthy and 1 otherwise, --json."""

import contextlib
import json
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rag.doctor
from conftest import SEEDS, ScriptedGenerator
from rag import config
from rag.cli import app
from rag.doctor import Check, check_disk, check_index, check_llama, check_server
from rag.store import KEPT_EMBEDDINGS

runner = CliRunner()
QWEN = {"tokenizer.chat_template": "<|im_start|>{{ message.content }}<|im_end|>", "general.name": "Qwen"}


@pytest.fixture
def healthy_setup(fake_models: ScriptedGenerator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index built from a copy of the seeds; model checks stubbed so no real model is read."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    monkeypatch.setattr("rag.embedding.DEFAULT_EMBEDDING_MODEL", "fake-embedder")
    monkeypatch.setattr(rag.doctor, "check_model", lambda path: Check("model file", True, str(path)))
    monkeypatch.setattr(rag.doctor, "gguf_metadata", lambda path: QWEN)
    monkeypatch.setenv("RAG_THREADS", "1")
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("RAG_MODEL", str(model))
    return corpus


def test_healthy_setup_exits_0_with_one_line_per_check(healthy_setup: Path) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line.startswith("ok   ") for line in lines)
    names = [line[5:].split(":")[0] for line in lines]
    assert {"python", "package llama-cpp-python", "settings", "model file", "chat template", "llama.cpp", "index", "server", "disk"} <= set(names)
    assert "ok   server: not running" in lines
    assert any(line.startswith("ok   index: ") and line.endswith(f"77 passages from 5 files in {healthy_setup}, up to date") for line in lines)


def test_json_output(healthy_setup: Path) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    report = json.loads(result.output)
    assert report["healthy"] is True and result.exit_code == 0
    assert {"name", "ok", "detail", "fix"} == set(report["checks"][0])


def test_changed_corpus_and_bad_settings_exit_1_with_the_fix(healthy_setup: Path, monkeypatch: pytest.MonkeyPatch, isolated_index: Path) -> None:
    (healthy_setup / "000_8d13b83e7b516537.txt").write_text("rewritten\n")
    (healthy_setup / "new.txt").write_text("a new file\n")
    (healthy_setup / "empty.txt").write_text("")  # skipped by the indexer, so not news
    (healthy_setup / "001_f826f06c135a9a1b.txt").unlink()
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("FAIL index:"))
    assert line == (f"FAIL index: {isolated_index}: 1 file added, 1 file changed, 1 file removed in {healthy_setup} since it was indexed"
                    f" → run `rag index {healthy_setup} --index {isolated_index}`")
    monkeypatch.setenv("RAG_TOP_K", "abc")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL settings: RAG_TOP_K='abc' is not a whole number → set it to one such as 6 or unset it" in result.output
    assert f"index: {isolated_index}:" in result.output and "disk:" in result.output  # the later checks still run
    monkeypatch.setenv("RAG_SERVER_IDLE", "never")
    lines = [line for line in runner.invoke(app, ["doctor"]).output.splitlines() if line.startswith("FAIL settings:")]
    assert len(lines) == 2 and "RAG_TOP_K='abc'" in lines[1] and "RAG_SERVER_IDLE=never" in lines[0]


def test_a_moved_corpus_is_named_by_doctor_and_noted_by_search(healthy_setup: Path, isolated_index: Path) -> None:
    moved = healthy_setup.with_name("moved")
    healthy_setup.rename(moved)
    result = runner.invoke(app, ["doctor"])
    line = next(line for line in result.output.splitlines() if line.startswith("FAIL index:"))
    assert line == (f"FAIL index: {isolated_index}: {healthy_setup}, the folder it was built from, is gone"
                    f" → restore the folder, or index it where it is now: `rag index DIR --index {isolated_index}`")
    result = runner.invoke(app, ["search", "Geneva"])
    assert result.exit_code == 0
    assert (f"note: {healthy_setup}, the folder this index was built from, is gone; answers come from the index as it "
            f"was (if the folder moved: `rag index DIR --index {isolated_index}`)") in result.output


def test_index_problems(fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch, isolated_index: Path) -> None:
    settings = config.Settings()
    check = check_index(settings)
    assert (check.ok, check.detail, check.fix) == (False, f"no index at {isolated_index}", f"build one with `rag index DIR --index {isolated_index}`")
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    check = check_index(settings)
    assert (check.ok, check.detail) == (False, "the index was built with fake-embedder, not all-MiniLM-L6-v2")
    assert check.fix == f"rebuild it with `rag index {SEEDS} --index {isolated_index}`"
    import dataclasses

    import rag.store

    manifest = rag.store.read_manifest(isolated_index)
    monkeypatch.setattr(rag.store, "read_manifest", lambda *args: dataclasses.replace(manifest, format_version=99))
    assert check_index(settings).detail == f"the index has format 99, this rag reads {rag.store.FORMAT_VERSION}"
    monkeypatch.setattr("rag.embedding.DEFAULT_EMBEDDING_MODEL", "fake-embedder")
    monkeypatch.setattr(rag.store, "read_manifest", lambda *args: dataclasses.replace(manifest, passage_rules=1))
    check = check_index(settings)
    assert check.detail == "the index's passages were split by another version of rag's rules"
    assert check.fix == f"run `rag index {SEEDS} --index {isolated_index}` to split them again ({KEPT_EMBEDDINGS})"


def test_server_running_stale_or_absent(tmp_path: Path) -> None:
    from rag import channel

    assert check_server(tmp_path / "none").detail == "not running"
    path = channel.private_folder(tmp_path) / channel.SOCKET
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        answering = threading.Thread(target=_answer_status, args=(server,), daemon=True)
        answering.start()
        assert check_server(tmp_path).detail.startswith("running (pid 7, LLM not loaded yet")
        answering.join()
    check = check_server(tmp_path)  # closed, the file left behind
    assert check.ok and check.detail.startswith(f"not running (the socket {path} left by a stopped server")


def _answer_status(server: socket.socket) -> None:
    """One reply as the real server gives it to a status request."""
    from rag import channel, wire

    connection, _ = server.accept()
    with connection:
        next(channel.messages(connection))
        status = channel.ServerStatus(7, 1.0, 600.0, "idx", 3, "m.gguf", False, 1.0, 1.0, 0)
        channel.send(connection, {"status": wire.to_dict(status)})


def test_low_disk_and_too_many_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import collections
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10**6, 10**6))
    check = check_disk(tmp_path / "not" / "yet")
    assert not check.ok and check.detail == f"0.0 GB free at {tmp_path}"
    check = check_llama(config.available_cpus() + 1)
    assert not check.ok and check.fix.startswith(f"set RAG_THREADS to at most {config.available_cpus()}")
    assert "CPU features" in check.detail


def test_a_non_chat_model_fails(healthy_setup: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.doctor, "gguf_metadata", lambda path: {"general.name": "base"})
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL chat template: model.gguf declares no chat template, so it is not a chat model" in result.output


def test_a_server_that_accepts_no_connection_is_named_with_the_kill_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped server's backlog fills and connecting gives up: no pid to stop by, so kill -9."""
    from rag import channel, client

    monkeypatch.setattr(client, "REPLY_SECONDS", 0.3)
    path = channel.private_folder(tmp_path) / channel.SOCKET
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(0)  # never accepted: the backlog is full after one or two connections
        queued = []
        with contextlib.suppress(OSError):
            for _ in range(8):
                waiting = socket.socket(socket.AF_UNIX)
                waiting.setblocking(False)
                queued.append(waiting)
                waiting.connect(str(path))
        check = check_server(tmp_path)
        for waiting in queued:
            waiting.close()
    assert not check.ok and check.detail == f"the server for {tmp_path} accepts no connection (hung)"
    assert check.fix.startswith("`kill -9 PID`, PID from the last 'serving' line of")
