"""Candidate yes/no checks by the model, scored on drafts already recorded, before any is built in.

    .venv/bin/python bench/check_signals.py bench/results/answers-TAG.jsonl [...] --out FILE.jsonl

For each recorded draft (not a refusal) the passages are retrieved again as `rag ask` does, the
draft is attributed to them, and the model is asked, from the fixed prefix in its KV cache:

- evidence_check: the pipeline's own check (the draft's evidence sentences, the question), asked
  again on the rebuilt evidence, to show how closely the rebuild matches the recorded value;
- answer_check: the same sentences and question, plus the draft: "Do the passages state that this
  is the answer?", an entailment-style check of this answer rather than of any answer;
- responsive: the question and the draft alone, no passages: "Does the reply give what the
  question asks for?", against drafts that copy a passage on the topic without answering.

Writes one line per draft (set, split, id, answerable, draft_correct, the recorded pre-check and
evidence check, the three values) and prints
each check's AUC per corpus, for answerable against unanswerable and right against wrong drafts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answers import SETS, engine_for  # noqa: E402
from bench.calibrate import auc  # noqa: E402

ANSWER_CHECK = "Proposed answer: {answer}\n\nDo the passages state that this is the answer to the question? Reply yes or no."
RESPONSIVE = (
    "Question: {question}\n\nReply: {answer}\n\nDoes the reply give exactly what the question asks for, "
    "not just related facts? Reply yes or no."
)
ASSISTANT_OPENS = "<|im_start|>assistant\n"


def checks(engine, generator, record: dict) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from rag.citations import attribute, evidence_sentences
    from rag.prompting import _numbered, _question_turn, _turn, evidence_prompt, select_passages, system_prefix

    question, draft = record["question"], record["draft"]
    hits = engine.search(question)
    passages = select_passages(question, hits, engine.settings.context_words)
    evidence = evidence_sentences(attribute(draft, question, passages, []))
    generator.start_from(system_prefix())
    values = {"evidence_check": 0.0, "answer_check": 0.0}
    if evidence:
        values["evidence_check"] = generator.yes_probability(evidence_prompt(question, evidence))
        numbered = _numbered([(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)])
        values["answer_check"] = generator.yes_probability(
            _question_turn(question, numbered) + "\n\n" + ANSWER_CHECK.format(answer=draft) + "<|im_end|>\n"
            + ASSISTANT_OPENS
        )
    values["responsive"] = generator.yes_probability(
        system_prefix() + _turn("user", RESPONSIVE.format(question=question, answer=draft)) + ASSISTANT_OPENS
    )
    return {k: round(v, 4) for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", default="", help="only these question sets (comma-separated), in this order")
    args = parser.parse_args()
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    records = [json.loads(line) for path in args.records for line in path.open(encoding="utf-8")]
    records = [r for r in records if r.get("draft") and r["set"] in SETS]
    if args.sets:
        order = args.sets.split(",")
        records = sorted((r for r in records if r["set"] in order), key=lambda r: order.index(r["set"]))
    embedder = MiniLMEmbedder()
    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    engines: dict[str, object] = {}
    rows = []
    with args.out.open("w", encoding="utf-8") as sink:
        for number, record in enumerate(records, 1):
            name = record["set"]
            if name not in engines:
                engines[name] = engine_for(SETS[name][0], embedder, generator)
            row = {k: record[k] for k in ("set", "split", "id", "answerable", "draft_correct")}
            row["recorded_evidence_check"] = record["signals"]["evidence_check"]
            row["precheck"] = record["signals"]["precheck"]
            row.update(checks(engines[name], generator, record))
            rows.append(row)
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(f"{number}/{len(records)} {name} {record['id']}", file=sys.stderr)
    generator.close()
    report(rows)


def report(rows: list[dict]) -> None:
    names = ("precheck", "recorded_evidence_check", "evidence_check", "answer_check", "responsive")
    for corpus in sorted({r["set"] for r in rows}):
        chosen = [r for r in rows if r["set"] == corpus]
        answerable = np.array([int(r["answerable"]) for r in chosen])
        right = np.array([int(bool(r["draft_correct"])) for r in chosen])
        cells = []
        for name in names:
            values = np.array([r[name] for r in chosen])
            a, b = auc(values, answerable), auc(values, right)
            cells.append(f"{name} {a if a is None else round(a, 2)}|{b if b is None else round(b, 2)}")
        print(f"{corpus:12} ({len(chosen)})  " + "  ".join(cells))


if __name__ == "__main__":
    main()
