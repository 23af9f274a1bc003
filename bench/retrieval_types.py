"""Hit@5 of the gold paragraph per corpus and question type, for each retrieval mode; no language
model, so it runs in a minute.

    .venv/bin/python bench/retrieval_types.py [--splits fit,tune] [--sets seeds,licenses,abstracts]

Every mode goes through `Engine.search`, exactly as `rag search --mode MODE` does.
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


def main() -> None:
    from rag.embedding import MiniLMEmbedder

    set_names, splits, _ = set_arguments(__doc__)
    embedder = MiniLMEmbedder()
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
    (ROOT / "bench" / "results" / f"retrieval-types-{tag}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
