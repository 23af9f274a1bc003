"""Hit@5 of the gold paragraph per corpus and question type, for each retrieval mode; no language
model, so it runs in a minute.

    .venv/bin/python bench/retrieval_types.py [--splits fit,tune] [--sets seeds,licenses,abstracts]
    .venv/bin/python bench/retrieval_types.py --ranks paraphrase

Every mode goes through `Engine.search`, exactly as `rag search --mode MODE` does.

`--ranks TYPE` shows instead, for the answerable questions of one type, where hybrid search ranks
the gold paragraph (Hit@1/5/10/30) and how often it is still in the prompt after trimming. Run of
2026-12-03 (`--ranks paraphrase`, fit+tune): seeds 18 reworded questions, first 6, top 5 13, top 10
15, top 30 17, in the prompt 11; licences 15: 5, 11, 13, 15, 11; abstracts 18: 17, 18, 18, 18, 17.
The answer is usually among the candidates but ranked 2-5, behind a first passage given two
thirds of the words.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import answerable_questions, set_arguments  # noqa: E402

K = 5
MODES = ("dense", "keyword", "hybrid")


def found(hits, evidence) -> bool:  # type: ignore[no-untyped-def]
    """Whether any hit's line span holds a gold evidence line of the same file."""
    return any(
        Path(h.chunk.file).name == Path(f).name and h.chunk.start_line <= line <= h.chunk.end_line
        for h in hits
        for f, line in evidence
    )


def ranks(set_names: list[str], splits: set[str], kind: str, embedder) -> None:  # type: ignore[no-untyped-def]
    """Hit@1/5/10/30 of hybrid search, and the gold paragraph in the trimmed prompt, for one type."""
    from rag.config import Settings
    from rag.prompting import select_passages

    settings = Settings()
    depth = (1, 5, 10, 30)
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * (len(depth) + 2))
    for name, engine, question in answerable_questions(set_names, splits, embedder):
        if question.type != kind:
            continue
        hits = engine.search(question.question, max(depth))
        rank = next((i for i, hit in enumerate(hits) if found([hit], question.evidence)), len(hits))
        # the prompt's passages come from their own search of top_k, as `rag ask` makes it: the
        # keep-in-first rule depends on k, so the first top_k of a deeper search can differ
        prompt = select_passages(question.question, engine.search(question.question), settings.context_words)
        row = counts[name]
        row[0] += 1
        for i, d in enumerate(depth):
            row[i + 1] += rank < d
        row[-1] += found([p.hit for p in prompt], question.evidence)
    print(f"{'set':<12}{'n':>4}" + "".join(f"{'hit@' + str(d):>8}" for d in depth) + f"{'prompt':>8}")
    for name, row in sorted(counts.items()):
        print(f"{name:<12}" + "".join(f"{v:>8}" if i else f"{v:>4}" for i, v in enumerate(row)))


def main() -> None:
    from rag.embedding import MiniLMEmbedder

    set_names, splits, args = set_arguments(__doc__, ranks="")
    embedder = MiniLMEmbedder()
    if args.ranks:
        ranks(set_names, splits, args.ranks, embedder)
        return
    table: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for name, engine, question in answerable_questions(set_names, splits, embedder):
        for mode in MODES:
            hits = engine.search(question.question, K, mode)
            for group in ("all", question.type):
                table[(name, group)][mode].append(found(hits, question.evidence))
    print(f"{'set':<12}{'type':<14}{'n':>4}" + "".join(f"{m:>10}" for m in MODES))
    out = {}
    for (name, group), results in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1] != "all", kv[0][1])):
        n = len(results[MODES[0]])
        cells = {m: round(100 * sum(results[m]) / n, 1) for m in MODES}
        out[f"{name}/{group}"] = {"n": n, **cells}
        print(f"{name:<12}{group:<14}{n:>4}" + "".join(f"{cells[m]:>10}" for m in MODES))
    tag = "-".join(sorted(splits))
    if set_names != ["seeds", "licenses", "abstracts"]:
        tag += "-" + "-".join(set_names)  # another selection of sets must not overwrite the default file
    (ROOT / "bench" / "results" / f"retrieval-types-{tag}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
