"""Two-part questions ("X, and which Y?") with and without their second part answered on its own.

    .venv/bin/python bench/second_part.py [--sets seeds,licenses,abstracts,techdocs] [--splits fit,tune]
                                          [--tag NAME] [--ids ID,ID]

The 1.5B model often answers a question asking two things with the first alone. The variant
(`Engine.answers_second_parts`, on in the tool) asks the second part on its own after the same
passages and adds its answer when it says something the draft does not. Only the questions that
`rag.questions.question_parts` splits are asked, each twice in one run with the prompt cache on:
first without the variant, then with it (its pre-check and first draft restored from the cache, so
the two differ only in the added part). Writes bench/results/second-part-TAG.jsonl (records in the
format of bench/answers.py, with a "variant" field) and a table per set and split.
`--rejudge RECORDS.jsonl` prints the table of a recorded run with today's rule for adding a part.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, answer_of, engine_for, record_of, set_arguments, split_of, write_record  # noqa: E402

from rag.evaluation import Scores, read_gold, score_one  # noqa: E402
from rag.questions import question_parts  # noqa: E402

VARIANTS = ("draft alone", "second part")


def main() -> None:
    names, splits, args = set_arguments(__doc__ or "", tag="run", rejudge="", ids="")
    if args.rejudge:
        print(rejudged(Path(args.rejudge)))
        return
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads, prompt_cache_bytes=768 << 20)
    embedder = MiniLMEmbedder()
    out = ROOT / "bench" / "results" / f"second-part-{args.tag}.jsonl"
    records: list[dict] = []
    golds = {}
    with open(out, "w", encoding="utf-8") as sink:
        for name in names:
            engine = engine_for(SETS[name][0], embedder, generator)
            questions = [q for q in read_gold(SETS[name][1])
                         if split_of(name, q.id) in splits and question_parts(q.question)
                         and (not args.ids or q.id in args.ids.split(","))]
            for number, question in enumerate(questions, 1):
                golds[(name, question.id)] = question
                for variant in VARIANTS:
                    engine.answers_second_parts = variant == "second part"
                    record = record_of(name, question, engine.ask(question.question)) | {"variant": variant}
                    write_record(sink, records, record)
                print(f"{name} {number}/{len(questions)} {question.id}: drafts right "
                      f"{records[-2]['draft_correct']} -> {records[-1]['draft_correct']}", file=sys.stderr)
    generator.close()
    text = table(records, golds)
    (ROOT / "bench" / "results" / f"second-part-{args.tag}.txt").write_text(text + "\n", encoding="utf-8")
    print(text)


def table(records: list[dict], golds: dict) -> str:  # type: ignore[type-arg]
    rows = ["set/split              n   drafts right    answered right   unanswerable abstained   citation P / R            s added"]
    groups = sorted({(r["set"], r["split"]) for r in records}) + [("all", "")]
    for name, split in groups:
        chosen = [r for r in records if name == "all" or (r["set"], r["split"]) == (name, split)]
        by_variant = {}
        for variant in VARIANTS:
            scores = Scores()
            for record in (r for r in chosen if r["variant"] == variant):
                score_one(scores, golds[(record["set"], record["id"])], answer_of(record))
            by_variant[variant] = scores
        off, on = by_variant[VARIANTS[0]], by_variant[VARIANTS[1]]
        added = [r["timings"].get("second_part", 0.0) for r in chosen if r["variant"] == VARIANTS[1]]
        rows.append(
            f"{name + ('/' + split if split else ''):20} {off.answerable + off.unanswerable:3}   "
            f"{off.draft_correct:2} -> {on.draft_correct:2} of {off.answerable:2}   "
            f"{off.correct:2} -> {on.correct:2} of {off.answerable:2}      "
            f"{off.correct_abstentions:2} -> {on.correct_abstentions:2} of {off.unanswerable:2}             "
            f"{_pr(off)} -> {_pr(on)}   {statistics.median(added) if added else 0:.2f}"
        )
    return "\n".join(rows)


def rejudged(path: Path) -> str:
    """A recorded run judged with today's rag.pipeline.adds_to: an added part that it refuses is
    taken back (that question counts as the draft alone)."""
    from rag.pipeline import adds_to

    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    golds = {(r["set"], r["id"]): q for r in records for q in read_gold(SETS[r["set"]][1]) if q.id == r["id"]}
    kept: list[dict] = []
    for alone, second in zip(records[::2], records[1::2]):
        added = second["draft"][len(alone["draft"] or ""):].strip() if second["draft"] != alone["draft"] else ""
        parts = question_parts(alone["question"])
        keep = bool(added) and parts is not None and adds_to(added, parts[1], alone["draft"])
        kept += [alone, second if keep else alone | {"variant": VARIANTS[1], "timings": second["timings"]}]
    return table(kept, golds)


def _pr(scores: Scores) -> str:
    rates = scores.rates()
    p, r = rates.get("citation_precision"), rates.get("citation_recall")
    return f"{p:.0f}/{r:.0f}" if p is not None and r is not None else "–/–"


if __name__ == "__main__":
    main()
