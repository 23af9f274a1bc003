"""Would dropping redundant citations raise citation precision? Offline, on recorded answers.

A claim the model cited to several passages keeps a citation only if no other citation of the same
claim holds every one of the answer's distinctive terms it holds ("proper subset": only when the
other holds more; "subset or equal": also when both hold the same, the later one dropped). Scored
as bench/heldout_table.py scores precision (answered answerable questions' citations holding a gold
evidence line), with the share of gold lines some citation holds beside it.

    .venv/bin/python bench/citation_pruning.py bench/results/answers-s30-fittune.jsonl

Run on fit+tune records (2026-12-06): precision 0.837 -> 0.838 / 0.843, gold lines cited
0.802 -> 0.790 / 0.779. Not adopted, and so not run on held-out records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from heldout_table import evidence_lines  # noqa: E402
from redecide import abstains  # noqa: E402

from rag.abstention import WEIGHTS_FILE  # noqa: E402
from rag.citations import distinctive_terms  # noqa: E402
from rag.evaluation import covers  # noqa: E402
from rag.results import Passage  # noqa: E402


def kept(record: dict, equal_too: bool) -> set[int]:
    """The citations left when a claim's redundant ones are dropped."""
    keep = set(range(len(record["citations"])))
    asked = distinctive_terms(record["question"])
    for claim in record.get("claims") or []:
        cited = claim["citations"]
        if len(cited) < 2:
            continue
        wanted = distinctive_terms(claim["text"]) - asked or distinctive_terms(claim["text"])
        held = {i: wanted & distinctive_terms(record["citations"][i]["text"]) for i in cited}
        for i in cited:
            if any(held[i] < held[j] or (equal_too and held[i] == held[j] and j < i) for j in cited if j != i):
                keep.discard(i)
    return keep


def main() -> None:
    records = [json.loads(line) for name in sys.argv[1:] for line in open(name, encoding="utf-8")]
    evidence = evidence_lines({r["set"] for r in records})
    for label, equal_too in (("as shipped", None), ("proper subset", False), ("subset or equal", True)):
        citations = right = lines = lines_cited = 0
        for record in records:
            gold = evidence.get((record["set"], record["id"]))
            if not record["answerable"] or gold is None or abstains(record, WEIGHTS_FILE, rules_now=True, names=True):
                continue
            keep = set(range(len(record["citations"]))) if equal_too is None else kept(record, equal_too)
            passages = [Passage(**{**c, "lines": tuple(c["lines"])}) for i, c in enumerate(record["citations"]) if i in keep]
            citations += len(passages)
            right += sum(any(covers(p, line) for line in gold) for p in passages)
            lines += len(gold)
            lines_cited += sum(any(covers(p, line) for p in passages) for line in gold)
        print(f"{label:16s} citations {citations}, holding gold {right} = {right / citations:.3f}; "
              f"gold lines cited {lines_cited}/{lines} = {lines_cited / lines:.3f}")


if __name__ == "__main__":
    main()
