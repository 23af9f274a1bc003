"""Whether the question's form, given to the fitted decision, tells right drafts apart better.

    .venv/bin/python bench/decision_forms.py [HELD-OUT RECORDS ...]

The decision weighs the model's pre-check and evidence check. A reworded question (no retrieved
passage holds half its terms, `rag.prompting._worded_unlike`) gets lower P(yes) for a right draft
than a worded-alike one, whose words alone raise it; a two-part question (`rag.questions`) is
drafted right less often. So each form is tried as an input (alone, and crossed with the checks):
fitted on the `fit` drafts of answers-s30-fittune, threshold chosen on fit+tune as
bench/calibrate.py does, then scored once on the held-out records (by default the four files of
bench/results/heldout-s31.md), as the share of questions handled right per corpus, averaged.

Run of 2026-12-06 (no language model): fit+tune objective / held out, today's two checks 0.6135 /
0.5933; + worded-unlike 0.6135 / 0.5973; + crossed with the checks 0.6162 / 0.5919; + two-part
0.6135 / 0.5933; + both 0.6125 / 0.6021; + the checks' product 0.6122 / 0.5883. The one gain on
fit+tune, where a choice would have to be made (the forms crossed with the checks, +0.003: about
one question), loses held out; not adopted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate import answers, choose_strength, final_right, fit_logistic, objective  # noqa: E402

from rag.chunking import Chunk  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402
from rag.prompting import _worded_unlike  # noqa: E402
from rag.questions import question_parts  # noqa: E402
from rag.retrieval import Hit  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HELD_OUT = [RESULTS / f"answers-{tag}.jsonl" for tag in ("s30-seeds", "s30-la", "s29-docs", "s31-docs4")]
CANDIDATES = (
    ["precheck", "evidence_check"],
    ["precheck", "evidence_check", "worded_unlike"],
    ["precheck", "evidence_check", "worded_unlike", "precheck_if_unlike", "evidence_if_unlike"],
    ["precheck", "evidence_check", "two_part"],
    ["precheck", "evidence_check", "worded_unlike", "two_part"],
    ["precheck", "evidence_check", "checks_product"],
)


def records(paths: list[Path]) -> list[dict]:
    rows = [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["signals"] and MENTIONS_SIGNAL not in r["signals"]]


def with_forms(record: dict) -> dict:
    """The record's signals plus the question's form, from its recorded passages."""
    hits = [Hit(Chunk(str(i), p["file"], p["paragraph"], p["paragraph"], p["lines"][0], p["lines"][1], 0, 0, p["text"]),
                p["score"], 0.0, 0.0) for i, p in enumerate(record["retrieved"])]
    s = dict(record["signals"])
    s["worded_unlike"] = float(_worded_unlike(record["question"], hits))
    s["two_part"] = float(question_parts(record["question"]) is not None)
    s["precheck_if_unlike"] = s["precheck"] * s["worded_unlike"]
    s["evidence_if_unlike"] = s["evidence_check"] * s["worded_unlike"]
    s["checks_product"] = s["precheck"] * s["evidence_check"]
    return {**record, "signals": s}


def main() -> None:
    held = [with_forms(r) for r in records([Path(a) for a in sys.argv[1:]] or HELD_OUT)]
    fit_tune = [with_forms(r) for r in records([RESULTS / "answers-s30-fittune.jsonl"])]
    fit = [r for r in fit_tune if r["split"] == "fit"]
    both = fit + [r for r in fit_tune if r["split"] == "tune"]
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    for names in CANDIDATES:
        matrix = lambda rows: np.array([[r["signals"][n] for n in names] for r in rows])  # noqa: E731
        labels = np.array([float(bool(r["draft_correct"])) for r in fit])
        strength = choose_strength(matrix(fit), labels)
        weights, bias = fit_logistic(matrix(fit), labels, strength)
        p = lambda rows: 1 / (1 + np.exp(-(matrix(rows) @ weights + bias)))  # noqa: E731
        chosen, _, threshold = max((objective(both, p(both), t), -abs(t - 0.5), t) for t in grid)
        held_p = p(held)
        right = np.mean([answers(r, q, threshold) and final_right(r) for r, q in zip(held, held_p) if r["answerable"]])
        print(f"{'+'.join(names):<70} fit+tune {chosen:.4f}  held out {objective(held, held_p, threshold):.4f}  "
              f"(answered right {right:.3f}, threshold {threshold})")


if __name__ == "__main__":
    main()
