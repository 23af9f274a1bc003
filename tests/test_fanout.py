"""Ray fan-out on a small local cluster started in-process: exactly-once answers, a killed worker,
resumed output, parallel embedding. The answering engine is the real one with fake models."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ray_fakes
from conftest import NEEDS_RAY, SEEDS, FakeEmbedder
from rag.batch import Question
from rag.config import ChunkSettings, Settings
from rag.indexing import build_index
from rag.store import open_index

pytestmark = NEEDS_RAY
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """Two CPUs of local Ray for the whole module; workers import the test fakes from tests/."""
    from rag import fanout

    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), before) if p)
    fanout.start(None, 2)
    yield
    fanout.stop()
    if before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = before


def questions(count: int) -> list[Question]:
    return [Question(f"q{i}", f"How long did Kerry and Lavrov talk in Geneva, take {i}?") for i in range(count)]


def in_process_answers(settings: Settings, items: list[Question]) -> dict[str, str]:
    from rag.models import open_engine

    engine = open_engine(settings, FakeEmbedder(), lambda: ray_fakes.make_generator(settings))
    return {q.id: engine.ask(q.question).answer for q in items}


def test_every_question_answered_once_though_a_worker_is_killed(cluster: None, isolated_index: Path) -> None:
    import ray

    from rag import fanout

    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    settings = Settings(index_dir=isolated_index)
    items = questions(16)
    pool = fanout.AnswerPool(fanout.Job(settings), workers=2, models=ray_fakes.models())
    written: list[tuple[str, str]] = []

    def on_answer(question: Question, answer: object) -> None:
        written.append((question.id, answer.answer))  # type: ignore[attr-defined]
        if len(written) == 3:
            ray.kill(pool.actors[0])

    try:
        pool.run(items, on_answer)
    finally:
        pool.close()
    assert pool.replaced >= 1
    assert sorted(i for i, _ in written) == sorted(q.id for q in items)
    assert dict(written) == in_process_answers(settings, items)


def test_cli_batch_with_ray_resumes_and_matches_one_process(cluster: None, isolated_index: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.cli import app

    monkeypatch.setattr("rag.fanout.default_models", ray_fakes.models)
    build_index(SEEDS, isolated_index, FakeEmbedder(), ChunkSettings())
    items = questions(8)
    source = tmp_path / "q.jsonl"
    source.write_text("".join(json.dumps({"id": q.id, "question": q.question}) + "\n" for q in items))
    out = tmp_path / "answers.jsonl"
    out.write_text(json.dumps({"id": "q0", "answer": "kept"}) + "\n" + '{"id": "q1", "answ')
    result = CliRunner().invoke(app, ["batch", str(source), "-o", str(out), "--ray", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "resuming: 1 of 8 already answered" in result.output and "7 answered, 1 from an earlier run" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == [q.id for q in items]
    expected = in_process_answers(Settings(index_dir=isolated_index), items)
    assert all(r["answer"] == (expected[r["id"]] if r["id"] != "q0" else "kept") for r in rows)


def test_lite_store_with_two_workers_is_refused(cluster: None, tmp_path: Path) -> None:
    from rag import fanout
    from rag.errors import RagError

    settings = Settings(index_dir=tmp_path / "index", store=f"milvus:{tmp_path / 'm.db'}")
    with pytest.raises(RagError, match=r"Milvus Lite \(.*m\.db\) opens its file in one process at a time; use --workers 1"):
        fanout.AnswerPool(fanout.Job(settings), workers=2, models=ray_fakes.models())


def test_index_with_ray_embeds_the_same_vectors(cluster: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag import fanout

    monkeypatch.setattr(fanout, "EMBED_PIECE", 7)  # several pieces per batch, spread over both workers
    settings = Settings(index_dir=tmp_path / "ray")
    embedder = fanout.RayEmbedder(FakeEmbedder.name, FakeEmbedder.dimension, settings, workers=2,
                                  make_embedder=ray_fakes.make_embedder)
    report = build_index(SEEDS, settings.index_dir, embedder, ChunkSettings())
    build_index(SEEDS, tmp_path / "local", FakeEmbedder(), ChunkSettings())
    distributed, local = open_index(settings.index_dir), open_index(tmp_path / "local")
    rows = list(range(local.count))
    assert report.embedded == local.count == distributed.count
    assert distributed.vectors(rows).tolist() == local.vectors(rows).tolist()


def test_each_batch_the_indexer_commits_is_spread_over_every_worker() -> None:
    from rag.fanout import EMBED_PIECE, embedding_pieces
    from rag.indexing import EMBED_BATCH

    batch = [f"passage {i}" for i in range(EMBED_BATCH)]
    assert [len(piece) for piece in embedding_pieces(batch, 2)] == [EMBED_BATCH // 2] * 2
    assert [len(piece) for piece in embedding_pieces(batch[:10], 4)] == [3, 3, 3, 1]
    assert [len(piece) for piece in embedding_pieces(batch[:3], 8)] == [1, 1, 1]
    assert all(len(piece) <= EMBED_PIECE for piece in embedding_pieces(batch * 8, 2))
    assert sum(embedding_pieces(batch, 3), []) == batch


def test_an_unreachable_ray_address_is_one_line_at_once() -> None:
    import socket

    from rag.errors import RagError
    from rag.fanout import _check_reachable

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RagError, match=f"cannot reach Ray at 127.0.0.1:{port} \\(Connection refused\\)"):
        _check_reachable(f"127.0.0.1:{port}")
    with pytest.raises(RagError, match="cannot reach Ray at ray://127.0.0.1"):
        _check_reachable(f"ray://127.0.0.1:{port}")
