"""Does the abstention gate carry over to a corpus it was not fitted on? Leave one corpus out.

    .venv/bin/python bench/gate_transfer.py bench/results/answers-v2.jsonl

For each of seeds, licences and abstracts: fit the weights (as bench/calibrate.py does) and choose
the threshold on the other corpora's fit and tune records, then report on the one left out the
share of questions handled right (answerable answered right, unanswerable abstained on), with
answered-right / abstained rates. Run for several signal sets. Reads no test-split record.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calibrate import choose_strength, fit_logistic, objective, outcome_rates  # noqa: E402

from rag.abstention import SIGNALS  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402

CORPORA = ("seeds", "licenses", "abstracts")
MODEL_SIGNALS = ["model_refusal", "precheck", "self_check", "answer_confidence", "weakest_token"]
SIGNAL_SETS = {
    "all": list(SIGNALS),
    "all but the evidence check": [s for s in SIGNALS if s != "evidence_check"],
    "model's own": MODEL_SIGNALS,
    "model's own + support": MODEL_SIGNALS + ["answer_support", "joint_support", "claims_supported"],
    "pre-check + self-check": ["precheck", "self_check"],
    "pre-check + evidence check": ["precheck", "evidence_check"],
}
GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def probabilities(rows: list[dict], names: list[str], weights: np.ndarray, bias: float) -> np.ndarray:
    x = np.array([[r["signals"].get(n, 0.0) for n in names] for r in rows], dtype=float)
    return 1 / (1 + np.exp(-(x @ weights + bias)))


def held_out(records: list[dict], names: list[str], corpus: str) -> str:
    train = [r for r in records if r["set"] != corpus]
    test = [r for r in records if r["set"] == corpus]
    x = np.array([[r["signals"].get(n, 0.0) for n in names] for r in train], dtype=float)
    y = np.array([int(bool(r["draft_correct"])) for r in train], dtype=float)
    weights, bias = fit_logistic(x, y, choose_strength(x, y))
    train_p = probabilities(train, names, weights, bias)
    threshold = max((objective(train, train_p, t), -abs(t - 0.5), t) for t in GRID)[2]
    test_p = probabilities(test, names, weights, bias)
    rates = outcome_rates(test, test_p, threshold)[corpus]
    return (f"{corpus} t={threshold:.2f} {100 * objective(test, test_p, threshold):.0f} % "
            f"({100 * rates['answered_right']:.0f}/{100 * rates['abstained']:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    args = parser.parse_args()
    records = [json.loads(line) for path in args.records for line in path.read_text().splitlines() if line.strip()]
    records = [r for r in records if MENTIONS_SIGNAL not in r["signals"]]  # answered from the index, no model signals
    records = [r for r in records if r["split"] in ("fit", "tune")]
    print("left-out corpus: threshold, share handled right (answered right / abstained on unanswerable)")
    for label, names in SIGNAL_SETS.items():
        print(f"{label:<24}" + "   ".join(held_out(records, names, corpus) for corpus in CORPORA))
    for label, threshold in (("answer every draft", 0.0), ("always abstain", 1.01)):
        cells = []
        for corpus in CORPORA:
            rows = [r for r in records if r["set"] == corpus]
            cells.append(f"{corpus} {100 * objective(rows, np.ones(len(rows)), threshold):.0f} %")
        print(f"{label:<24}" + "   ".join(cells))


if __name__ == "__main__":
    main()
