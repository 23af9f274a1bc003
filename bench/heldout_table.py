"""The held-out table of the closing notes: per set and per question type, from recorded drafts.

    .venv/bin/python bench/heldout_table.py bench/results/answers-TAG.jsonl [...]

Each record written by bench/answers.py is decided again by this checkout's rules and shipped
weights (`redecide.abstains` with the rules and the names check recomputed), so records of runs
before a decision change count as the tool decides today; a draft is never made again. Prints two
Markdown tables: answered right and drafts right among answerable questions, unanswerable ones
abstained on, citation precision (the share of the answered answerable questions' citations that
hold a gold evidence line) and citation recall (per answerable question, the share of its gold
evidence lines some citation holds, 0 when abstained on; averaged, as `rag eval` does).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS  # noqa: E402
from redecide import abstains  # noqa: E402

from rag.abstention import WEIGHTS_FILE  # noqa: E402
from rag.evaluation import citations_holding_evidence, evidence_recall, read_gold  # noqa: E402
from rag.results import Passage  # noqa: E402

TYPES = ("factoid", "numeric", "paraphrase", "multi_para", "cross_doc", "unanswerable")


def evidence_lines(set_names: Iterable[str]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(set, question id) -> the gold evidence (file, line) pairs."""
    return {
        (name, gold.id): list(gold.evidence)
        for name in set_names
        for gold in read_gold(SETS[name][1])
    }


def tally(records: list[dict], evidence: dict[tuple[str, str], list[tuple[str, int]]]) -> Counter:
    counts: Counter = Counter()
    for record in records:
        abstained = abstains(record, WEIGHTS_FILE, rules_now=True, names=True)
        if not record["answerable"]:
            counts["unanswerable"] += 1
            counts["abstained"] += abstained
            continue
        counts["answerable"] += 1
        counts["drafts_right"] += bool(record["draft_correct"])
        counts["right"] += bool(record["draft_correct"]) and not abstained
        gold = evidence[(record["set"], record["id"])]
        counts["with_evidence"] += bool(gold)
        if not abstained:
            cited = [Passage(**{**citation, "lines": tuple(citation["lines"])}) for citation in record["citations"]]
            counts["citations"] += len(cited)
            counts["citations_right"] += citations_holding_evidence(cited, gold)
            counts["recall"] += evidence_recall(cited, gold)
    return counts


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f} %" if whole else "–"


def row(label: str, counts: Counter) -> str:
    cells = (
        share(counts["right"], counts["answerable"]),
        share(counts["drafts_right"], counts["answerable"]),
        share(counts["abstained"], counts["unanswerable"]),
        share(counts["citations_right"], counts["citations"]),
        f"{100 * counts['recall'] / counts['with_evidence']:.1f} %" if counts["with_evidence"] else "–",
    )
    return f"| {label} | " + " | ".join(cells) + " |"


def main() -> None:
    records = [json.loads(line) for path in sys.argv[1:] for line in Path(path).read_text().splitlines() if line.strip()]
    evidence = evidence_lines({record["set"] for record in records})
    header = ("| answered right | drafts right | unanswerable abstained on | citation precision | citation recall |\n"
              "|---|---|---|---|---|---|")
    print("| set " + header)
    for name in sorted({record["set"] for record in records}):
        print(row(name, tally([r for r in records if r["set"] == name], evidence)))
    print(row("**all**", tally(records, evidence)))
    print("\n| type " + header)
    for kind in TYPES:
        print(row(kind, tally([r for r in records if r["type"] == kind], evidence)))


if __name__ == "__main__":
    main()
