"""The warm background server over its real Unix socket, with the fake models.

Most tests run the server in a thread of this process; the ones about starting, replacing and
killing it spawn `python -m rag.server` with fakes (tests/server_fakes.py). A fixture stops every
server a test started.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import SEEDS, FakeEmbedder, ScriptedGenerator
from rag import channel, client, wire
from rag.cli import app
from rag.config import Settings
from rag.errors import RagError, ServerHungError
from rag.indexing import build_index
from rag.models import open_engine
from rag.pipeline import Answer
from rag.render import server_status_text
from rag.server import Server

QUESTION = "How long did Kerry and Lavrov talk in Geneva?"
REPLY = "They spoke for more than nine hours in Geneva [1]."
TESTS = Path(__file__).resolve().parent


class TimedGenerator(ScriptedGenerator):
    """Records when each answer starts and ends, taking `seconds` per streamed word."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(REPLY)
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []

    def generate(self, prompt: str, **options: Any) -> Any:
        started = time.monotonic()
        on_token = options.pop("on_token", None)

        def slow(piece: str) -> None:
            time.sleep(self.seconds)
            if on_token:
                on_token(piece)

        result = super().generate(prompt, on_token=slow, **options)
        self.spans.append((started, time.monotonic()))
        return result


@pytest.fixture
def settings(isolated_index: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """An indexed seeds/ with the server allowed; any spawned server gets the fake models."""
    monkeypatch.delenv("RAG_NO_SERVER")
    monkeypatch.setenv("RAG_SERVER_MODELS", "server_fakes:models")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    current = Settings()
    build_index(SEEDS, current.index_dir, FakeEmbedder(), current.chunking)
    yield current
    client.stop(current.index_dir)
    assert client.status(current.index_dir) is None


@pytest.fixture
def serve(settings: Settings) -> Iterator[Callable[..., Server]]:
    """Start a server in a thread of this process; returns the starter."""
    running: list[tuple[Server, threading.Thread]] = []

    def start(generator: ScriptedGenerator | None = None, **options: Any) -> Server:
        made = generator or TimedGenerator()
        server = Server(settings, make_embedder=lambda s: FakeEmbedder(), make_generator=lambda s: made, **options)
        server.generator_used = made  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        assert server.ready.wait(10)
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.stop()
        thread.join(10)


def in_process(settings: Settings, **options: Any) -> Answer:
    return client.ask(settings, QUESTION, use_server=False, **options)


def without_timings(answer: Answer) -> Answer:
    return dataclasses.replace(answer, timings={})


def raw_request(settings: Settings, request: dict[str, Any]) -> list[dict[str, Any]]:
    with channel.connect(settings.index_dir) as connection:
        channel.send(connection, request)
        return list(channel.messages(connection))


def test_answers_searches_and_streams_as_in_process(settings: Settings, serve: Callable[..., Server], fake_models: ScriptedGenerator) -> None:
    server = serve()
    streamed: list[str] = []
    answer = client.ask(settings, QUESTION, on_token=streamed.append)
    assert without_timings(answer) == without_timings(in_process(settings))
    assert "".join(streamed).split() == REPLY.split()
    assert {"embedder_load", "index_load", "retrieval", "total"} <= set(answer.timings)
    assert "embedder_load" not in client.ask(settings, QUESTION).timings  # loading is reported once
    hits = client.search(settings, "nine hours Geneva", k=3, mode="dense")
    assert hits == open_engine(settings).search("nine hours Geneva", 3, "dense")
    assert client.status(settings.index_dir).requests == 3  # type: ignore[union-attr]
    assert len(server.generator_used.prompts) == 2  # type: ignore[attr-defined]


def test_socket_is_owner_only_and_status_and_stop_work(settings: Settings, serve: Callable[..., Server]) -> None:
    serve(idle=300)
    folder = channel.folder(settings.index_dir)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / channel.SOCKET).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(folder / channel.SOCKET).st_mode)
    client.search(settings, "Geneva")
    status = client.status(settings.index_dir)
    assert status is not None and status.pid == os.getpid() and status.passages == 77 and status.requests == 1
    assert 290 < status.idle_seconds_left <= 300 and status.rss_mb > 0 and status.index_loaded
    assert client.stop(settings.index_dir) == os.getpid()
    assert client.status(settings.index_dir) is None
    assert not (folder / channel.SOCKET).exists()


def test_search_never_loads_the_language_model(settings: Settings, serve: Callable[..., Server]) -> None:
    serve()
    client.search(settings, "Geneva")
    assert client.status(settings.index_dir).llm_loaded is False  # type: ignore[union-attr]
    client.ask(settings, QUESTION)
    assert client.status(settings.index_dir).llm_loaded is True  # type: ignore[union-attr]


def test_other_users_are_refused(settings: Settings, serve: Callable[..., Server], fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve()
    server.owner = os.getuid() + 1
    replies = raw_request(settings, {"command": "status"})
    assert replies == [{"error": "refused: this server belongs to another user", "during": "peer"}]
    assert client.ask(settings, QUESTION).answer.startswith("They spoke")  # answered in-process instead
    monkeypatch.setattr(channel, "peer", lambda connection: (1, os.getuid() + 1))
    with pytest.raises(channel.ChannelError, match="another user"):
        channel.connect(settings.index_dir)  # nor does a client talk to another user's server


def test_stale_requests_are_told_so(settings: Settings, serve: Callable[..., Server]) -> None:
    serve()
    base = {"command": "search", "query": "Geneva", "settings": wire.to_dict(settings),
            "protocol": channel.PROTOCOL, "build": channel.build(), "fingerprint": channel.fingerprint(settings)}
    assert "hits" in raw_request(settings, base)[-1]
    assert "stale" in raw_request(settings, {**base, "protocol": 99})[-1]
    assert "stale" in raw_request(settings, {**base, "build": "old"})[-1]
    other = channel.fingerprint(dataclasses.replace(settings, threads=settings.threads + 1))
    assert "stale" in raw_request(settings, {**base, "fingerprint": other})[-1]


def test_two_clients_are_served_one_after_the_other(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve(TimedGenerator(seconds=0.05))
    answers: list[Answer] = []
    threads = [threading.Thread(target=lambda: answers.append(client.ask(settings, QUESTION))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.answer for a in answers] == ["They spoke for more than nine hours in Geneva."] * 2
    (first_start, first_end), (second_start, _) = sorted(server.generator_used.spans)  # type: ignore[attr-defined]
    assert second_start >= first_end


def test_idle_server_stops_and_removes_its_socket(settings: Settings, serve: Callable[..., Server]) -> None:
    serve(idle=0.3)
    client.search(settings, "Geneva")
    deadline = time.monotonic() + 10
    while client.status(settings.index_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.status(settings.index_dir) is None
    assert not (channel.folder(settings.index_dir) / channel.SOCKET).exists()


def test_a_connection_made_as_the_server_goes_idle_is_answered_not_dropped(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve(idle=0.3)
    request = {"command": "search", "query": "Geneva", "k": 3, "mode": "hybrid", "protocol": channel.PROTOCOL,
               "build": channel.build(), "fingerprint": channel.fingerprint(settings), "settings": wire.to_dict(settings)}
    with channel.connect(settings.index_dir) as connection:
        time.sleep(1.0)  # past the idle timeout before the request is sent
        assert not server.stopped.is_set()
        channel.send(connection, request)
        connection.shutdown(socket.SHUT_WR)
        replies = list(channel.messages(connection))
    assert "stale" not in replies[-1] and "error" not in replies[-1], replies[-1]
    deadline = time.monotonic() + 10
    while not server.stopped.is_set() and time.monotonic() < deadline:  # and then it goes idle
        time.sleep(0.1)
    assert server.stopped.is_set()


def test_a_server_whose_index_folder_was_deleted_stops(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve()
    client.search(settings, "Geneva")
    shutil.rmtree(settings.index_dir)  # `rm -rf .rag` before a rebuild: no client could reach it again
    deadline = time.monotonic() + 10
    while not server.stopped.is_set() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.stopped.is_set()


def test_a_server_that_cannot_open_its_index_stops_after_saying_so(settings: Settings, serve: Callable[..., Server]) -> None:
    generation = settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()
    with open(generation / "dense.faiss", "r+b") as dense:
        dense.truncate(100)
    server = serve()
    with pytest.raises(RagError, match="is damaged"):
        client.search(settings, "Geneva")  # answered in-process after the server's error
    deadline = time.monotonic() + 10
    while not server.stopped.is_set() and time.monotonic() < deadline:  # not idle for its 10 minutes
        time.sleep(0.1)
    assert server.stopped.is_set()


def test_a_hung_server_does_not_hang_status_or_stop(
    settings: Settings, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve()
    monkeypatch.setattr(server, "_dispatch", lambda connection, request: time.sleep(5))  # as if SIGSTOPped
    monkeypatch.setattr(client, "REPLY_SECONDS", 0.3)
    monkeypatch.setattr(client, "STOP_SECONDS", 0.3)
    started = time.monotonic()
    with pytest.raises(ServerHungError, match=f"the server for {settings.index_dir} \\(pid {os.getpid()}\\) does not answer; "
                       "end it with `rag server stop"):
        client.status(settings.index_dir)
    client.stop(settings.index_dir)  # it cannot kill a server in its own process; it gives up in time
    assert time.monotonic() - started < 4


def test_a_search_through_a_hung_server_is_answered_in_process_in_bounded_time(
    settings: Settings, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch, fake_models: ScriptedGenerator
) -> None:
    server = serve()
    monkeypatch.setattr(server, "_dispatch", lambda connection, request: time.sleep(5))  # as if SIGSTOPped
    for name, seconds in (("QUIET_SECONDS", 0.2), ("REPLY_SECONDS", 0.3), ("STOP_SECONDS", 0.3)):
        monkeypatch.setattr(client, name, seconds)
    started = time.monotonic()
    hits = client.search(settings, "nine hours Geneva", k=3, mode="dense")
    assert hits == open_engine(settings).search("nine hours Geneva", 3, "dense")  # it waited no more
    assert time.monotonic() - started < 6  # twice two silences and status probes (it cannot kill itself)


def test_an_answer_that_is_not_streamed_waits_for_a_busy_server_that_still_answers_status(
    settings: Settings, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(TimedGenerator(seconds=0.05))  # ~0.5 s of silence for a reply that is not streamed
    monkeypatch.setattr(client, "QUIET_SECONDS", 0.05)
    answer = client.ask(settings, QUESTION)
    assert answer.answer.startswith("They spoke for more than nine hours")
    assert server.generator_used.spans and client.status(settings.index_dir).requests == 1  # type: ignore[attr-defined, union-attr]


def test_a_server_whose_socket_was_taken_by_a_newer_one_leaves_that_socket(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve()
    path = channel.folder(settings.index_dir) / channel.SOCKET
    path.unlink()
    with socket.socket(socket.AF_UNIX) as newer:
        newer.bind(str(path))
        assert server.stopped.wait(10)
        assert path.is_socket()  # the newer server's, left alone


def test_stopping_a_server_that_went_while_a_newer_one_answers_is_no_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    monkeypatch.setattr(client, "STOP_SECONDS", 0.3)
    path = channel.private_folder(settings.index_dir) / channel.SOCKET
    with socket.socket(socket.AF_UNIX) as newer:  # a newer server listens; the old pid has exited
        newer.bind(str(path))
        newer.listen(8)
        newer.settimeout(0.05)

        def hang_up() -> None:
            with contextlib.suppress(OSError):
                while True:
                    with contextlib.suppress(TimeoutError):
                        newer.accept()[0].close()

        threading.Thread(target=hang_up, daemon=True).start()
        client._stop(settings.index_dir, gone.pid)


def test_rebuilt_index_is_noticed(settings: Settings, serve: Callable[..., Server], tmp_path: Path) -> None:
    serve()
    assert "zeppelin" not in client.search(settings, "zeppelin", k=1)[0].chunk.text
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "airships.txt").write_text("The zeppelin flew over the lake at dawn with forty passengers.\n")
    build_index(corpus, settings.index_dir, FakeEmbedder(), settings.chunking)
    stale = client.status(settings.index_dir)
    assert stale is not None and stale.passages == 77 and stale.index_rebuilt  # status alone loads nothing
    assert "77 passages; rebuilt since, the next question loads it" in server_status_text(stale, settings.index_dir)
    assert "zeppelin" in client.search(settings, "zeppelin", k=1)[0].chunk.text
    fresh = client.status(settings.index_dir)
    assert fresh is not None and fresh.passages == 1 and not fresh.index_rebuilt


def test_cli_output_is_the_same_with_and_without_the_server(settings: Settings, serve: Callable[..., Server], fake_models: ScriptedGenerator) -> None:
    serve()
    runner = CliRunner()
    for command in (["ask", QUESTION], ["search", "nine hours Geneva", "--k", "2"], ["search", "Geneva", "--json"]):
        served = runner.invoke(app, command)
        local = runner.invoke(app, [*command, "--no-server"])
        assert (served.exit_code, served.output) == (local.exit_code, local.output) == (0, local.output)
    served, local = (json.loads(runner.invoke(app, ["ask", QUESTION, "--json", *extra]).output) for extra in ([], ["--no-server"]))
    assert {**served, "timings": {}} == {**local, "timings": {}}
    assert client.status(settings.index_dir).requests == 4  # type: ignore[union-attr]


# --- spawned servers: python -m rag.server with the fakes


def test_first_call_starts_a_detached_server_that_later_calls_reuse(settings: Settings) -> None:
    first = client.ask(settings, QUESTION)
    status = client.status(settings.index_dir)
    assert status is not None and status.pid != os.getpid()
    assert os.getsid(status.pid) == status.pid  # its own session: a closed terminal does not end it
    assert client.ask(settings, QUESTION).answer == first.answer == "They spoke for more than nine hours in Geneva."
    assert client.status(settings.index_dir).pid == status.pid  # type: ignore[union-attr]
    log = (channel.folder(settings.index_dir) / channel.LOG).read_text()
    assert f"pid {status.pid} serving" in log


def test_socket_file_left_behind_is_replaced(settings: Settings) -> None:
    folder = channel.private_folder(settings.index_dir)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(folder / channel.SOCKET))
    leftover.close()  # the file stays, nobody listens
    assert client.search(settings, "Geneva", k=1)[0].chunk.file.endswith(".txt")
    assert client.status(settings.index_dir) is not None


def test_killed_server_is_replaced(settings: Settings) -> None:
    client.search(settings, "Geneva")
    killed = client.status(settings.index_dir).pid  # type: ignore[union-attr]
    os.kill(killed, signal.SIGKILL)
    while _alive(killed):
        time.sleep(0.05)
    assert client.ask(settings, QUESTION).answer == "They spoke for more than nine hours in Geneva."
    assert client.status(settings.index_dir).pid not in (killed, None)  # type: ignore[union-attr]


def test_stopped_server_is_killed_and_replaced(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    client.search(settings, "Geneva")
    stopped = client.status(settings.index_dir).pid  # type: ignore[union-attr]
    os.kill(stopped, signal.SIGSTOP)  # it still accepts connections (the kernel does) but never replies
    for name, seconds in (("QUIET_SECONDS", 0.2), ("REPLY_SECONDS", 2.0), ("STOP_SECONDS", 2.0)):
        monkeypatch.setattr(client, name, seconds)
    try:
        assert client.ask(settings, QUESTION).answer == "They spoke for more than nine hours in Geneva."
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped, signal.SIGCONT)
    assert not _alive(stopped)
    assert client.status(settings.index_dir).pid not in (stopped, None)  # type: ignore[union-attr]


def test_server_for_other_settings_is_replaced(settings: Settings, serve: Callable[..., Server]) -> None:
    serve()
    other = dataclasses.replace(settings, threads=settings.threads + 1)
    assert client.search(other, "Geneva", k=1)
    status = client.status(settings.index_dir)
    assert status is not None and status.pid != os.getpid()


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
        return waited == 0
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_a_long_index_path_still_gets_a_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / ("very-long-folder-name-" * 5) / "index"
    monkeypatch.setenv("RAG_INDEX", str(deep))
    monkeypatch.delenv("RAG_NO_SERVER")
    settings = Settings()
    build_index(SEEDS, deep, FakeEmbedder(), settings.chunking)
    assert len(str(deep / ".server" / "sock")) > 108
    server = Server(settings, make_embedder=lambda s: FakeEmbedder(), make_generator=lambda s: TimedGenerator())
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(10)
        assert client.search(settings, "Geneva", k=1)
        assert client.status(deep).requests == 1  # type: ignore[union-attr]
    finally:
        server.stop()
        thread.join(10)


def test_answers_cross_the_wire_unchanged(settings: Settings, fake_models: ScriptedGenerator) -> None:
    answer = in_process(settings)
    assert answer.citations and answer.claims
    assert wire.from_dict(Answer, json.loads(json.dumps(wire.to_dict(answer)))) == answer
    assert wire.from_dict(Settings, json.loads(json.dumps(wire.to_dict(settings)))) == settings


def test_a_model_that_cannot_load_is_reported_as_without_the_server(
    settings: Settings, serve: Callable[..., Server], fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.errors import ModelError

    def broken(settings: Settings) -> ScriptedGenerator:
        raise ModelError("model file /elsewhere/none.gguf not found; run `make setup`")

    server = serve()
    server._make_generator = broken  # type: ignore[method-assign]
    monkeypatch.setattr("rag.generation.LlamaGenerator", LlamaGeneratorStandIn)
    result = CliRunner().invoke(app, ["ask", QUESTION])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: model file {settings.model_path} not found; run `make setup`"


class LlamaGeneratorStandIn:
    """What the in-process path loads after the server could not: fails naming the path as given."""

    def __init__(self, model_path: Path, **options: Any) -> None:
        from rag.errors import ModelError

        raise ModelError(f"model file {model_path} not found; run `make setup`")


def test_a_client_that_leaves_stops_its_answer(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve(TimedGenerator(seconds=0.2))
    request = {"command": "ask", "question": QUESTION, "settings": wire.to_dict(settings), "stream": False,
               "protocol": channel.PROTOCOL, "build": channel.build(), "fingerprint": channel.fingerprint(settings)}
    with channel.connect(settings.index_dir) as connection:
        channel.send(connection, request)
        time.sleep(0.5)
    started = time.monotonic()
    assert client.search(settings, "Geneva")  # served as soon as the abandoned answer stopped
    assert time.monotonic() - started < 1.5
    assert not server.generator_used.spans  # type: ignore[attr-defined]  # the answer never finished


def test_status_shows_the_prompt_cache_of_a_loaded_model() -> None:
    from rag.render import server_status_text

    status = channel.ServerStatus(
        pid=7, uptime_seconds=65, idle_seconds_left=300, index="/x/.rag", passages=80, model="/m.gguf",
        llm_loaded=True, rss_mb=2400, peak_rss_mb=2500, requests=4,
        cached_prompts=3, prompt_cache_mb=75.2, prompt_cache_budget_mb=512, restored_prompts=2,
    )
    assert server_status_text(status, "/x/.rag").splitlines()[-1] == "prompt cache 3 prompts, 75 of 512 MB, 2 restored"
    without = dataclasses.replace(status, prompt_cache_budget_mb=0)
    assert "prompt cache" not in server_status_text(without, "/x/.rag")


def test_a_mistyped_model_is_reported_without_replacing_the_warm_server(
    settings: Settings, serve: Callable[..., Server], fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    monkeypatch.setattr("rag.generation.LlamaGenerator", LlamaGeneratorStandIn)
    result = CliRunner().invoke(app, ["ask", QUESTION, "--model", "/nowhere/typo.gguf"])
    assert result.exit_code == 1 and "/nowhere/typo.gguf not found" in result.output
    assert client.status(settings.index_dir).pid == os.getpid()  # type: ignore[union-attr]
    notes = settings.index_dir.parent / "notes.txt"
    notes.write_text("my notes\n")
    result = CliRunner().invoke(app, ["ask", QUESTION, "--model", str(notes)])
    assert result.exit_code == 1 and str(notes) in result.output  # told in-process (here by the stand-in)
    monkeypatch.setenv("RAG_CHUNK_WORDS", "10")
    result = CliRunner().invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1 and "max_words 400, not 10 (RAG_CHUNK_WORDS)" in result.output
    assert client.status(settings.index_dir).pid == os.getpid()  # type: ignore[union-attr]  # still the warm one


def test_each_request_brings_its_own_sentence_rescoring_pool(settings: Settings, serve: Callable[..., Server]) -> None:
    server = serve()
    client.search(settings, "Geneva")
    assert server._engine.retriever.rerank_pool == settings.rerank_pool  # type: ignore[union-attr]
    client.search(dataclasses.replace(settings, rerank_pool=0), "Geneva")
    assert server._engine.retriever.rerank_pool == 0  # type: ignore[union-attr]
    assert client.status(settings.index_dir).pid == os.getpid()  # type: ignore[union-attr]  # not replaced for it


def test_a_second_server_for_the_same_index_says_one_is_running(settings: Settings, serve: Callable[..., Server]) -> None:
    serve()
    second = Server(settings, make_embedder=lambda s: FakeEmbedder(), make_generator=lambda s: TimedGenerator())
    started = time.monotonic()
    with pytest.raises(channel.ChannelError, match="another server is already running"):
        second.serve()
    assert time.monotonic() - started < 2  # told at once, not after waiting out the lock


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-5", "ten", "1e9"])
def test_a_bad_idle_timeout_is_one_line_naming_the_variable(settings: Settings, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_SERVER_IDLE", value)
    result = CliRunner().invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1
    assert result.output == (
        f"error: RAG_SERVER_IDLE={value} is not a number of seconds from 1 to 604800; set it to one such as 600 or unset it\n"
    )
    assert client.status(settings.index_dir) is None


def test_rag_no_server_takes_the_usual_words_for_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("1", "true", "yes", "on", " ON "):
        monkeypatch.setenv("RAG_NO_SERVER", value)
        assert not client.enabled()
    monkeypatch.setenv("RAG_NO_SERVER", "0")
    assert client.enabled()
    monkeypatch.setenv("RAG_NO_SERVER", "maybe")
    result = CliRunner().invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1
    assert result.output == "error: RAG_NO_SERVER=maybe is neither yes nor no; set it to 1 to answer in-process, or unset it\n"


class SlowChecks(TimedGenerator):
    """Each yes/no check of the model takes 0.6 s, like reading the passages does."""

    def yes_probability(self, prompt: str, **options: Any) -> float:
        time.sleep(0.6)
        return super().yes_probability(prompt, **options)  # type: ignore[no-any-return]


def test_a_client_that_leaves_before_the_draft_stops_the_work_at_the_next_step(
    settings: Settings, serve: Callable[..., Server]
) -> None:
    server = serve(SlowChecks())
    request = {"command": "ask", "question": QUESTION, "settings": wire.to_dict(settings), "stream": True,
               "protocol": channel.PROTOCOL, "build": channel.build(), "fingerprint": channel.fingerprint(settings)}
    client.search(settings, "Geneva")  # models loaded
    with channel.connect(settings.index_dir) as connection:
        channel.send(connection, request)
        time.sleep(0.3)  # left during the check before the draft
    started = time.monotonic()
    assert client.search(settings, "Geneva")
    assert time.monotonic() - started < 1.0
    assert not server.generator_used.prompts  # type: ignore[attr-defined]  # no draft was begun
    assert len(server.generator_used.checks) == 1  # type: ignore[attr-defined]  # only the check under way


def test_server_start_checks_the_model_and_replaces_a_server_for_other_settings(
    settings: Settings, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    result = CliRunner().invoke(app, ["server", "start", "--model", "/nowhere/typo.gguf"])
    assert result.exit_code == 1 and "model file /nowhere/typo.gguf not found" in result.output
    monkeypatch.setenv("RAG_SERVER_IDLE", "abc")
    result = CliRunner().invoke(app, ["server", "start"])
    assert result.exit_code == 1 and result.output.startswith("error: RAG_SERVER_IDLE=abc is not a number of seconds")
    assert client.status(settings.index_dir).pid == os.getpid()  # type: ignore[union-attr]  # untouched
    monkeypatch.delenv("RAG_SERVER_IDLE")
    result = CliRunner().invoke(app, ["server", "start", "--idle", "30"])
    assert result.exit_code == 0, result.output
    status = client.status(settings.index_dir)
    assert status is not None and status.pid != os.getpid() and status.idle_seconds_left <= 30


def test_a_folder_without_a_local_index_starts_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "skipped-files.json").write_text("{}")  # all a Milvus index leaves in its --index folder
    monkeypatch.setenv("RAG_INDEX", str(folder))
    monkeypatch.delenv("RAG_NO_SERVER")
    result = CliRunner().invoke(app, ["search", "Geneva"])
    assert result.exit_code == 1
    assert result.output == (f"error: no index at {folder}; build one with `rag index DIR --index {folder}` "
                             "(or, if it was built with --store milvus:URI, pass that --store again)\n")
    assert client.status(folder) is None and not channel.folder(folder).exists()


def test_status_is_shown_on_its_lines(settings: Settings, serve: Callable[..., Server]) -> None:
    serve()
    result = CliRunner().invoke(app, ["server", "status"])
    assert result.exit_code == 0 and result.output.splitlines()[0].startswith("Server pid ")
    assert result.output.splitlines()[1].startswith("index  ") and "␊" not in result.output


def test_status_says_loading_until_the_index_is_open_and_refuses_a_file_for_an_index(tmp_path: Path) -> None:
    from rag.render import server_status_text

    status = channel.ServerStatus(1, 2.0, 600.0, "/x/.rag", 0, "m.gguf", False, 500.0, 500.0, 0, index_loaded=False)
    assert "index  /x/.rag (loading)" in server_status_text(status, "/x/.rag")
    (tmp_path / "notes.txt").write_text("x")
    for command in ("status", "stop"):
        result = CliRunner().invoke(app, ["server", command, "--index", str(tmp_path / "notes.txt")])
        assert (result.exit_code, result.output) == (
            1, f"error: {tmp_path / 'notes.txt'} is a file, not an index folder; pass a folder to --index\n")


def test_status_of_a_folder_with_no_index_says_so_beside_no_server(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    result = CliRunner().invoke(app, ["server", "status", "--index", str(missing)])
    assert (result.exit_code, result.output) == (
        0, f"No server running for {missing}, and there is no index there; build one with `rag index DIR --index {missing}`.\n")


def test_only_silences_in_a_row_without_a_status_reply_end_the_wait() -> None:
    """A reply that keeps coming while status probes fail (a server swapping) is read to its end."""
    ours, theirs = socket.socketpair()
    with ours, theirs:

        def speak_slowly() -> None:
            for word in ("one", "two", "three"):
                time.sleep(0.3)
                channel.send(theirs, {"token": word})
            channel.send(theirs, {"answer": "done"})

        threading.Thread(target=speak_slowly, daemon=True).start()
        received = []
        for message in channel.messages(ours, still_alive=lambda: False, quiet_seconds=0.2):
            received.append(message)
            if "answer" in message:
                break
    assert received[-1] == {"answer": "done"} and len(received) == 4
