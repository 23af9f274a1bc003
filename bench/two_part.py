"""Two-part questions ("..., and which ...?") answered with and without searching each part.

    .venv/bin/python bench/two_part.py [--sets seeds,licenses,abstracts] [--splits fit,tune]

The variant tried here ("parts"): a question asking two things ("..., and which ...?") is also
searched part by part, and each part's best PART_HITS passages are moved or added into the top k
(at its last places), since the passage answering the second part shares few of the whole
question's words. Only the questions `question_parts` splits are asked, each twice in the same run
(the library's search, then the part search), so the two differ in nothing but the passages the
model is given; when the part search changes no passage, the first answer stands for both.

Measured 2026-12-03 on 39 such questions (bench/results/two-part.txt): the answer reached the
prompt more often (licences fit+tune 44 -> 67 %), but right answers fell (licences 44 -> 33 %,
seeds 54 -> 46 %): not adopted.
Writes bench/results/answers-two-part-{whole,parts}.jsonl in the format of bench/answers.py, and a
table per set and split: whether the gold words reached the prompt, right drafts, right answers,
abstentions on unanswerable questions, citation precision and recall, seconds a question.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, answer_of, engine_for, record_of, set_arguments, split_of  # noqa: E402
from prompt_recall import holds_answer  # noqa: E402

from dataclasses import replace  # noqa: E402

from rag.evaluation import Scores, read_gold, score_one  # noqa: E402
from rag.questions import question_parts as split_question  # noqa: E402
from rag.retrieval import Hit, keep_in_first  # noqa: E402

VARIANTS = ("whole", "parts")
PART_HITS = 2


def question_parts(question: str) -> list[str]:
    """The two questions of "X, and which Y?", else []."""
    return list(split_question(question) or [])


def with_part_hits(hits: list[Hit], part_hits: list[Hit], k: int) -> list[Hit]:
    """hits with every part hit moved or added into the top k, at its last places; scores capped
    so they stay in order."""
    by_id = {hit.chunk.id: hit for hit in part_hits} | {hit.chunk.id: hit for hit in hits}
    ranked = list(dict.fromkeys([hit.chunk.id for hit in hits] + [hit.chunk.id for hit in part_hits]))
    chosen = [by_id[i] for i in keep_in_first(ranked, [hit.chunk.id for hit in part_hits], k)[:k]]
    for i in range(1, len(chosen)):
        if chosen[i].score > chosen[i - 1].score:
            chosen[i] = replace(chosen[i], score=chosen[i - 1].score)
    return chosen


def part_search(library_search):  # type: ignore[no-untyped-def]
    """A Retriever.search that also searches each part of a two-part question."""

    def search(query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        hits = library_search(query, k, mode)
        parts = question_parts(query)
        if not parts or k <= PART_HITS:
            return hits
        return with_part_hits(hits, [h for part in parts for h in library_search(part, PART_HITS, mode)], k)

    return search


def main() -> None:
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator
    from rag.prompting import select_passages

    set_names, splits, _ = set_arguments(__doc__)
    embedder = MiniLMEmbedder()
    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    records: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for name in set_names:
        corpus, gold_file, _ = SETS[name]
        engine = engine_for(corpus, embedder, generator)
        searches = {"whole": engine.retriever.search, "parts": part_search(engine.retriever.search)}
        gold = [q for q in read_gold(gold_file) if split_of(name, q.id) in splits and question_parts(q.question)]
        for number, question in enumerate(gold, 1):
            passages_of = {}
            for variant in VARIANTS:
                engine.retriever.search = searches[variant]
                hits = engine.search(question.question, settings.top_k)
                passages_of[variant] = [h.chunk.id for h in hits]
                if variant == "parts" and passages_of["parts"] == passages_of["whole"]:
                    record = {**records["whole"][-1], "same_passages": True}  # the same prompt: the same answer
                else:
                    answer = engine.ask(question.question)
                    shown = " ".join(p.text for p in select_passages(question.question, hits, settings.context_words))
                    record = record_of(name, question, answer)
                    record["answer_in_prompt"] = bool(question.must_include) and holds_answer(question, shown)
                records[variant].append(record)
                print(f"{name} {number}/{len(gold)} {question.id} {variant} {record['timings']['total']:.1f}s",
                      file=sys.stderr)
    generator.close()
    results = ROOT / "bench" / "results"
    for variant in VARIANTS:
        with open(results / f"answers-two-part-{variant}.jsonl", "w", encoding="utf-8") as sink:
            sink.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records[variant])
    golds = {(name, q.id): q for name in set_names for q in read_gold(SETS[name][1])}
    text = table(records, golds)
    (results / "two-part.txt").write_text(text + "\n", encoding="utf-8")
    print(text)


def table(records: dict[str, list[dict]], golds: dict) -> str:  # type: ignore[type-arg]
    """One row per set, split group and variant."""
    lines = [f"{'set':<10}{'splits':<9}{'variant':<8}{'n':>4}{'unans':>6}{'in prompt':>10}{'drafts':>8}"
             f"{'answered':>9}{'abstain':>8}{'cite P':>7}{'cite R':>7}{'s med':>7}"]
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for variant, rows in records.items():
        for r in rows:
            for split_group in ("fit+tune" if r["split"] != "test" else "test", "all"):
                groups[(r["set"], split_group, variant)].append(r)
    for (name, split_group, variant), rows in sorted(groups.items()):
        scores = Scores()
        for r in rows:
            score_one(scores, golds[(name, r["id"])], answer_of(r))
        rates = scores.rates()
        answerable = [r for r in rows if r["answerable"]]
        share = lambda key: 100 * sum(r[key] for r in answerable) / len(answerable) if answerable else 0.0  # noqa: E731
        lines.append(
            f"{name:<10}{split_group:<9}{variant:<8}{len(rows):>4}{len(rows) - len(answerable):>6}"
            f"{share('answer_in_prompt'):>10.0f}{share('draft_correct'):>8.0f}{share('final_correct'):>9.0f}"
            f"{rates['abstention_accuracy'] or 0.0:>8.0f}{(rates['citation_precision'] or 0.0):>7.0f}"
            f"{(rates['citation_recall'] or 0.0):>7.0f}"
            f"{statistics.median(r['timings']['total'] for r in rows):>7.1f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
