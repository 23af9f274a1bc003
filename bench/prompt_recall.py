"""How often the gold answer's words reach the prompt at all: the ceiling on right drafts.

    .venv/bin/python bench/prompt_recall.py [--splits fit,tune] [--budgets 240,360,480]

For each answerable question, the hybrid top 6 are retrieved as `rag ask` does; reported per corpus
and type is the share whose gold must-include words are all in: the six whole passages, the top
three whole, and the trimmed passages the prompt gets at each word budget. No language model.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answers import answerable_questions, set_arguments  # noqa: E402

from rag.evaluation import GoldQuestion, contains_alias  # noqa: E402
from rag.prompting import select_passages  # noqa: E402


def holds_answer(question: GoldQuestion, text: str) -> bool:
    return all(any(contains_alias(text, alias) for alias in group) for group in question.must_include)


def main() -> None:
    from rag.embedding import MiniLMEmbedder

    set_names, splits, args = set_arguments(__doc__, budgets="240,360,480")
    budgets = [int(b) for b in args.budgets.split(",")]
    embedder = MiniLMEmbedder()
    table: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for name, engine, question in answerable_questions(set_names, splits, embedder):
        if not question.must_include:
            continue
        hits = engine.search(question.question, 6, "hybrid")
        found = {
            "whole 6": holds_answer(question, " ".join(h.chunk.text for h in hits)),
            "whole 3": holds_answer(question, " ".join(h.chunk.text for h in hits[:3])),
        }
        for budget in budgets:
            passages = select_passages(question.question, hits, budget)
            found[f"trim {budget}"] = holds_answer(question, " ".join(p.text for p in passages))
        for group in ("all", question.type):
            for key, value in found.items():
                table[(name, group)][key].append(value)
    keys = list(next(iter(table.values())))
    print(f"{'set':<11}{'type':<13}{'n':>4}" + "".join(f"{k:>10}" for k in keys))
    for (name, group), results in sorted(table.items()):
        n = len(results[keys[0]])
        print(f"{name:<11}{group:<13}{n:>4}" + "".join(f"{100 * sum(results[k]) / n:>10.0f}" for k in keys))


if __name__ == "__main__":
    main()
