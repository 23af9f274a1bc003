"""Fit the abstention decision on data and write it to rag/data/abstention.json.

Reads answers recorded by bench/answers.py (every signal, the draft, and whether the draft was
right). The label is "the draft is a right answer": an unanswerable question, or a wrong draft,
should be abstained on. An L2-regularised logistic regression is fitted on the `fit` split (its
strength chosen by 5-fold cross-validation there), then the threshold is chosen on `fit` and
`tune` together (the tune split alone holds only 3 to 6 unanswerable questions per corpus): the
one that maximises, averaged over corpora, the share of questions handled right (an answerable
one answered right, an unanswerable one abstained on). The `test` split is never read here.

    .venv/bin/python bench/calibrate.py bench/results/answers-TAG.jsonl [--signals a,b,c]

Also prints each signal's AUC, per corpus, for telling answerable from unanswerable questions and
right from wrong drafts, so that every signal is seen on both kinds of unanswerable question.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.abstention import SIGNAL_HELP, SIGNALS, WEIGHTS_FILE, withheld_by_rule  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402

STRENGTHS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    if not len(positive) or not len(negative):
        return None
    greater = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(greater + ties / 2)


def fit_logistic(x: np.ndarray, y: np.ndarray, strength: float, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log-likelihood (C = strength, bias unpenalised)."""
    rows, columns = x.shape
    design = np.hstack([x, np.ones((rows, 1))])
    weights = np.zeros(columns + 1)
    penalty = np.eye(columns + 1) / strength
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(columns + 1)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights[:-1], float(weights[-1])


def log_loss(x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> float:
    p = np.clip(1 / (1 + np.exp(-(x @ weights + bias))), 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def choose_strength(x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    order = np.random.default_rng(0).permutation(len(y))
    losses = {}
    for strength in STRENGTHS:
        total = 0.0
        for fold in range(folds):
            held = order[fold::folds]
            kept = np.setdiff1d(order, held)
            weights, bias = fit_logistic(x[kept], y[kept], strength)
            total += log_loss(x[held], y[held], weights, bias) * len(held)
        losses[strength] = total / len(y)
    return min(losses, key=losses.__getitem__)


def corpus_of(record: dict) -> str:
    """The corpus a record's question set is over: a set of adversarial additions ("seeds-adv")
    counts with its corpus's own set, so the threshold's average gives each corpus one vote."""
    return record["set"].removesuffix("-adv")


def outcome_rates(records: list[dict], probabilities: np.ndarray, threshold: float) -> dict[str, dict[str, float]]:
    """Per corpus: share of answerable questions answered right, and of unanswerable abstained on."""
    rates: dict[str, dict[str, float]] = {}
    for name in sorted({corpus_of(r) for r in records}):
        picked = [(r, p) for r, p in zip(records, probabilities) if corpus_of(r) == name]
        answerable = [(r, p) for r, p in picked if r["answerable"]]
        unanswerable = [(r, p) for r, p in picked if not r["answerable"]]
        rates[name] = {
            "answered_right": float(np.mean([answers(r, p, threshold) and final_right(r) for r, p in answerable]))
            if answerable else float("nan"),
            "abstained": float(np.mean([not answers(r, p, threshold) for r, p in unanswerable]))
            if unanswerable else float("nan"),
        }
    return rates


def answers(record: dict, probability: float, threshold: float) -> bool:
    """Whether the tool would answer: a draft exists, some sentence is supported, no rule of
    rag.abstention.decide withholds it, and P reaches t."""
    signals = record["signals"]
    return (
        bool(record["draft"]) and signals["claims_supported"] > 0 and withheld_by_rule(signals) is None
        and probability >= threshold
    )


def final_right(record: dict) -> bool:
    """The answer shown when answering: the run's final text if it answered, else its draft."""
    return record["final_correct"] if not record["abstained"] else record["draft_correct"]


def objective(records: list[dict], probabilities: np.ndarray, threshold: float, balanced: bool = False) -> float:
    """Per corpus, the share of questions handled right; averaged over corpora. Balanced, the mean
    of the two kinds' rates (answerable answered right, unanswerable abstained on) instead, so that
    a set's share of unanswerable questions does not set the weight of abstention."""
    shares = []
    for name in sorted({corpus_of(r) for r in records}):
        picked = [(r, p) for r, p in zip(records, probabilities) if corpus_of(r) == name]
        right = [
            answers(r, p, threshold) and final_right(r) if r["answerable"] else not answers(r, p, threshold)
            for r, p in picked
        ]
        if balanced:
            kinds = [[ok for ok, (r, _) in zip(right, picked) if r["answerable"] == kind] for kind in (True, False)]
            shares.append(float(np.mean([np.mean(kind) for kind in kinds if kind])))
        else:
            shares.append(float(np.mean(right)))
    return float(np.mean(shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    parser.add_argument("--signals", default=",".join(SIGNALS))
    parser.add_argument("--output", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--balanced", action="store_true",
                        help="choose the threshold on the mean of the two kinds' rates per corpus, not the share of questions")
    parser.add_argument("--names", action="store_true",
                        help="compute names_in_cited (rag.names) for answers recorded before it existed")
    args = parser.parse_args()
    names = args.signals.split(",")
    records = [json.loads(line) for path in args.records for line in path.read_text().splitlines() if line.strip()]
    if args.names:
        from redecide import with_names

        records = [{**r, "signals": with_names(r)} if r["citations"] else r for r in records]
    records = [r for r in records if MENTIONS_SIGNAL not in r["signals"]]  # answered from the index, no model signals
    fit = [r for r in records if r["split"] == "fit"]
    tune = [r for r in records if r["split"] == "tune"]

    def matrix(rows: list[dict]) -> np.ndarray:
        return np.array([[r["signals"].get(n, 0.0) for n in names] for r in rows], dtype=float)

    def labels(rows: list[dict]) -> np.ndarray:
        return np.array([int(bool(r["draft_correct"])) for r in rows], dtype=float)

    print("signal AUC on fit+tune: answerable vs unanswerable | right vs wrong draft, per corpus")
    both = fit + tune
    for name in names:
        cells = []
        for corpus in sorted({corpus_of(r) for r in both}):
            rows = [r for r in both if corpus_of(r) == corpus]
            values = np.array([r["signals"].get(name, 0.0) for r in rows])
            a = auc(values, np.array([int(r["answerable"]) for r in rows]))
            b = auc(values, np.array([int(bool(r["draft_correct"])) for r in rows]))
            cells.append(f"{corpus} {a if a is None else round(a, 2)}|{b if b is None else round(b, 2)}")
        print(f"  {name:<18} " + "  ".join(cells))

    x, y = matrix(fit), labels(fit)
    strength = choose_strength(x, y)
    weights, bias = fit_logistic(x, y, strength)
    tune_p = 1 / (1 + np.exp(-(matrix(tune) @ weights + bias)))
    fit_p = 1 / (1 + np.exp(-(x @ weights + bias)))
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    chosen_on = fit + tune
    chosen_p = np.concatenate([fit_p, tune_p])
    scored = [(objective(chosen_on, chosen_p, t, args.balanced), -abs(t - 0.5), t) for t in grid]
    best, _, threshold = max(scored)
    result = {
        "about": "P(answerable) = logistic(bias + sum(weights[s] * signal s)); answer when it reaches "
        "threshold. Written by bench/calibrate.py; do not edit by hand.",
        "weights": {n: round(float(w), 4) for n, w in zip(names, weights)},
        "bias": round(bias, 4),
        "threshold": float(threshold),
        "signals": {n: SIGNAL_HELP[n] for n in names},
        "fitted_on": {"files": [str(p.relative_to(ROOT)) if p.is_absolute() else str(p) for p in args.records],
                      "fit_questions": len(fit), "tune_questions": len(tune), "l2_strength_C": strength},
        "fit_rates": outcome_rates(fit, fit_p, threshold),
        "tune_rates": outcome_rates(tune, tune_p, threshold),
        "objective_fit_and_tune": round(best, 4),
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("weights", "bias", "threshold", "fit_rates", "tune_rates")}, indent=2))
    print(f"C={strength}; written to {args.output}")


if __name__ == "__main__":
    main()
