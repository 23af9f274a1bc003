"""Does a model-written hypothetical answer (HyDE) added to the search query raise Hit@5, and at
what cost? Measured per corpus and question type on the fit and tune splits.

    .venv/bin/python bench/hyde.py [--splits fit,tune] [--sets seeds,licenses,abstracts]

The model writes one sentence that could answer the question (after the cached instructions, so
only the question and the sentence cost time); the search then runs on the question and that
sentence together. `weak` is the share of questions whose best keyword passage holds fewer than
half of the question's key terms: the questions a conditional rewrite would touch.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import answerable_questions, set_arguments  # noqa: E402
from retrieval_types import found  # noqa: E402

from rag.prompting import NOT_FOUND, system_prefix  # noqa: E402
from rag.text import terms  # noqa: E402

HYDE = (
    "<|im_start|>user\nWrite one sentence, in the style of the documents, that could answer this "
    "question. Use the names and terms such a document would use. Invent details if needed; do not "
    "say you do not know.\nQuestion: {question}<|im_end|>\n<|im_start|>assistant\n"
)
WEAK_COVERAGE = 0.5


def keyword_coverage(engine, question: str) -> float:  # type: ignore[no-untyped-def]
    """Share of the question's key terms found in its best keyword passage."""
    wanted = set(terms(question))
    best = engine.index.keyword_search(question, 1)
    if not wanted or not best:
        return 0.0
    return len(wanted & set(terms(engine.index.chunks([best[0][0]])[0].text))) / len(wanted)


def main() -> None:
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    set_names, splits, _ = set_arguments(__doc__)
    embedder = MiniLMEmbedder()
    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    table: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    seconds = []
    for name, engine, question in answerable_questions(set_names, splits, embedder):
        generator.start_from(system_prefix())
        started = time.perf_counter()
        sentence = generator.generate(
            system_prefix() + HYDE.format(question=question.question), max_tokens=48,
            probe=[NOT_FOUND], suppress_probe=True,  # there are no passages to refuse on
        ).text.strip()
        seconds.append(time.perf_counter() - started)
        weak = keyword_coverage(engine, question.question) < WEAK_COVERAGE
        expanded = question.question + " " + sentence
        plain = engine.search(question.question, 5, "hybrid")
        rewritten = engine.search(expanded, 5, "hybrid")
        results = {
            "hybrid(q)": found(plain, question.evidence),
            "dense(q)": found(engine.search(question.question, 5, "dense"), question.evidence),
            "hybrid(q+h)": found(rewritten, question.evidence),
            "dense(q+h)": found(engine.search(expanded, 5, "dense"), question.evidence),
            "hybrid(q+h if weak)": found(rewritten if weak else plain, question.evidence),
            "weak": weak,
        }
        for group in ("all", question.type):
            for key, value in results.items():
                table[(name, group)][key].append(value)
        print(name, question.id, round(seconds[-1], 1), sentence[:100], file=sys.stderr, flush=True)
    generator.close()
    out = {}
    keys = list(next(iter(table.values())))
    print(f"{'set':<11}{'type':<13}{'n':>4}" + "".join(f"{k:>21}" for k in keys))
    for (name, group), results in sorted(table.items()):
        n = len(results[keys[0]])
        cells = {k: round(100 * sum(v) / n, 1) for k, v in results.items()}
        out[f"{name}/{group}"] = {"n": n, **cells}
        print(f"{name:<11}{group:<13}{n:>4}" + "".join(f"{cells[k]:>21}" for k in keys))
    out["hyde_seconds_median"] = round(statistics.median(seconds), 2)
    print("hypothetical sentence: median", out["hyde_seconds_median"], "s")
    tag = "-".join(sorted(splits))
    (ROOT / "bench" / "results" / f"hyde-{tag}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
