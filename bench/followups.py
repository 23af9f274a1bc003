"""Chat follow-ups: is the second turn of a conversation answered, with and without reading on?

    .venv/bin/python bench/followups.py [--limit N] [--tag NAME]

Each conversation of bench/data/followups.jsonl (written 2026-12-07 by a helper over corpora of our
question sets, held out whole: nothing is fitted or tuned on it) is asked as `rag chat` asks it, in
a ChatSession with the real models. Its second turn, a follow-up leaning on the first ("How can I
change it?"), is asked twice after the same first answer: reading on from that answer's citations
(rag.pipeline.FOLLOWED_PASSAGES cited passages and the chunks after each) and not. Reported per
"where" (the follow-up's answer in the same paragraph as the first's, in the next ones, later in
the file, in another file): turns answered right, abstained on, and whose citations hold the
answer's line. Records go to bench/results/followups-TAG.jsonl, the table to followups-TAG.txt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from answers import engine_for  # noqa: E402

from rag import pipeline  # noqa: E402
from rag.evaluation import GoldQuestion, answer_is_correct, citations_holding_evidence  # noqa: E402
from rag.repl import ChatSession  # noqa: E402
from rag.results import Answer  # noqa: E402

DATA = ROOT / "bench" / "data" / "followups.jsonl"
RESULTS = ROOT / "bench" / "results"
VARIANTS = {"read on": pipeline.FOLLOWED_PASSAGES, "not": 0}


def gold_turn(conversation: dict, number: int) -> GoldQuestion:
    turn = conversation["turns"][number]
    evidence = turn.get("evidence")
    return GoldQuestion(f"{conversation['id']}.{number + 1}", turn.get("where", "first"), turn["question"],
                        turn["must_include"], [(evidence["file"], evidence["line"])] if evidence else [])


def outcome(gold: GoldQuestion, answer: Answer) -> dict:
    return {
        "id": gold.id, "where": gold.type, "question": gold.question, "answer": answer.answer,
        "abstained": answer.abstained, "right": not answer.abstained and answer_is_correct(gold, answer.answer),
        "cited_evidence": citations_holding_evidence(answer.citations, gold.evidence) > 0,
        "draft": answer.draft, "confidence": round(answer.confidence, 4),
        "retrieved": [f"{p.file} ¶{p.paragraph}" for p in answer.retrieved],
    }


def run(conversations: list[dict], out: Path) -> list[dict]:
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    embedder = MiniLMEmbedder()
    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    engines = {}
    records = []
    with open(out, "w", encoding="utf-8") as sink:
        for number, conversation in enumerate(conversations, 1):
            corpus = conversation["corpus"]
            if corpus not in engines:
                engines[corpus] = engine_for(ROOT / "bench" / "corpora" / corpus, embedder, generator)
                engines[corpus].all_signals = False  # only what `rag chat` computes
            session = ChatSession(engines[corpus], write=lambda _text: None)
            first = gold_turn(conversation, 0)
            session.handle(first.question, stream=False)
            assert session.last is not None
            record = {"conversation": conversation["id"], "corpus": corpus, "first": outcome(first, session.last)}
            follow_up = gold_turn(conversation, 1)
            for variant, followed in VARIANTS.items():
                pipeline.FOLLOWED_PASSAGES = followed
                asked = dataclasses.replace(session, history=list(session.history))
                asked.handle(follow_up.question, stream=False)
                assert asked.last is not None
                record[variant] = outcome(follow_up, asked.last)
            pipeline.FOLLOWED_PASSAGES = VARIANTS["read on"]
            records.append(record)
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            print(f"{number}/{len(conversations)} {conversation['id']} "
                  + " ".join(f"{v}: {'right' if record[v]['right'] else 'abstained' if record[v]['abstained'] else 'wrong'}"
                             for v in VARIANTS), file=sys.stderr)
    generator.close()
    return records


def table(records: list[dict]) -> str:
    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        groups[record["read on"]["where"]].append(record)
        groups["all"].append(record)
    lines = [f"{'second turn':<12} {'n':>3}  {'first right':>11}  "
             + "  ".join(f"{v + ': right / abst / cited':>26}" for v in VARIANTS)]
    for where in ["all", *sorted(k for k in groups if k != "all")]:
        rows = groups[where]
        cells = []
        for variant in VARIANTS:
            right = sum(r[variant]["right"] for r in rows)
            abstained = sum(r[variant]["abstained"] for r in rows)
            cited = sum(r[variant]["cited_evidence"] for r in rows)
            cells.append(f"{right:>12} / {abstained:>4} / {cited:>5}")
        lines.append(f"{where:<12} {len(rows):>3}  {sum(r['first']['right'] for r in rows):>11}  " + "  ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--tag", default="latest")
    args = parser.parse_args()
    conversations = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    records = run(conversations[: args.limit], RESULTS / f"followups-{args.tag}.jsonl")
    text = table(records)
    (RESULTS / f"followups-{args.tag}.txt").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
