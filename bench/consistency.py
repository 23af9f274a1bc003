"""Does the model give the same answer when it samples? Agreement of sampled drafts with the
greedy draft as an abstention signal, measured against the signals the decision uses today.

    .venv/bin/python bench/consistency.py [--sets seeds,licenses,abstracts,techdocs] [--splits fit,tune]
                                          [--samples 4] [--temperature 0.7] [--tag NAME]

Each question is answered as `answers.py` does (all signals recorded); then, from the very prompt
the draft was generated from (its state still in the KV cache), `--samples` more replies are
sampled at `--temperature`. Agreement is the content-word F1 of each sample's reply against the
greedy draft (question words and stop words left out; a sample that opens with NOT FOUND agrees 0).
Writes every record with its samples to bench/results/consistency-TAG.jsonl; prints the AUC of
telling right drafts from wrong ones (answerable and unanswerable alike) per corpus for the mean
agreement over the first 1..N samples, for today's decision probability and for both combined.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Sequence

from answers import ROOT, SETS, engine_for, record_of, set_arguments, split_of

from rag.evaluation import read_gold
from rag.generation import Generation, LlamaGenerator
from rag.prompting import NOT_FOUND, parse_reply
from rag.text import STOP_WORDS, terms

MAX_SAMPLE_TOKENS = 40
SENTENCE_END = re.compile(r"[.!?]\]?\s|\n")


class SamplingGenerator(LlamaGenerator):
    """The real generator; after each draft it samples `samples` more replies from the same prompt."""

    samples = 4
    temperature = 0.7
    seed = 0

    def generate(self, prompt: str, *, max_tokens: int, probe: Sequence[str] = (), suppress_probe: bool = False,
                 on_token: Callable[[str], None] | None = None) -> Generation:
        import numpy as np

        generation = super().generate(prompt, max_tokens=max_tokens, probe=probe, suppress_probe=suppress_probe,
                                      on_token=on_token)
        rng = np.random.default_rng(self.seed)
        tokens = self.tokens(prompt)
        self.sampled: list[str] = []
        started = time.perf_counter()
        banned = [self.tokens(p)[0] for p in probe if p] if suppress_probe else []
        for _ in range(self.samples):
            self._evaluate_prompt(tokens)
            pieces: list[bytes] = []
            for step in range(MAX_SAMPLE_TOKENS):
                logits = self._last_logits() / self.temperature
                if step == 0 and banned:
                    logits[banned] = -np.inf
                top = np.argpartition(logits, -40)[-40:]
                weights = np.exp(logits[top] - logits[top].max())
                token = int(top[rng.choice(len(top), p=weights / weights.sum())])
                if token in self._end_tokens:
                    break
                pieces.append(self._llm.detokenize([token], special=False))
                if SENTENCE_END.search(b"".join(pieces).decode("utf-8", errors="replace")):
                    break  # the first sentence is what agreement compares
                self._eval([token])
            self.sampled.append(b"".join(pieces).decode("utf-8", errors="replace"))
        self.sample_seconds = time.perf_counter() - started
        return generation


def content(reply: str, question: str) -> list[str]:
    """The reply's first sentence's terms that the question does not already hold."""
    text, _, _ = parse_reply(reply)
    first = text.split(". ")[0]
    asked = set(terms(question))
    words = [t for t in terms(first) if t not in asked and t not in STOP_WORDS]
    return words or terms(first)


def f1(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    common = sum(min(a.count(t), b.count(t)) for t in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def agreement(draft: str, samples: list[str], question: str) -> list[float]:
    base = content(draft, question)
    return [0.0 if s.strip().upper().startswith(NOT_FOUND) else f1(content(s, question), base) for s in samples]


def auc(positives: list[float], negatives: list[float]) -> float:
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def report(records: list[dict]) -> str:
    lines = []
    records = [r for r in records if r["agreement"]]
    for name in [*dict.fromkeys(r["set"] for r in records), "all"]:
        rows = [r for r in records if name in ("all", r["set"])]
        right = [r for r in rows if r["draft_correct"]]
        wrong = [r for r in rows if not r["draft_correct"]]
        parts = [f"{name:10} right {len(right):3} wrong {len(wrong):3}"]
        parts.append(f"decision {auc([r['confidence'] for r in right], [r['confidence'] for r in wrong]):.3f}")
        for n in range(1, len(rows[0]["agreement"]) + 1):
            score = lambda r: sum(r["agreement"][:n]) / n  # noqa: E731
            parts.append(f"agree@{n} {auc([score(r) for r in right], [score(r) for r in wrong]):.3f}")
        both = lambda r: r["confidence"] * (0.5 + sum(r["agreement"]) / len(r["agreement"]))  # noqa: E731
        parts.append(f"decision*agree {auc([both(r) for r in right], [both(r) for r in wrong]):.3f}")
        unans = [r for r in rows if not r["answerable"]]
        if unans:
            score = lambda r: sum(r["agreement"]) / len(r["agreement"])  # noqa: E731
            parts.append(f"| answerable-right vs unanswerable: decision "
                         f"{auc([r['confidence'] for r in right], [r['confidence'] for r in unans]):.3f} "
                         f"agree {auc([score(r) for r in right], [score(r) for r in unans]):.3f}")
        lines.append("  ".join(parts))
    return "\n".join(lines)


def refit_report(records: list[dict]) -> str:
    """Today's two signals against the same plus mean agreement: a logistic fit on the `fit` split,
    AUC of right against wrong drafts on the `tune` split, per corpus."""
    from sklearn.linear_model import LogisticRegression

    records = [r for r in records if r["agreement"]]

    def features(record: dict, with_agreement: bool) -> list[float]:
        values = [record["signals"]["precheck"], record["signals"]["evidence_check"]]
        return values + ([sum(record["agreement"]) / len(record["agreement"])] if with_agreement else [])

    fit = [r for r in records if r["split"] == "fit"]
    tune = [r for r in records if r["split"] == "tune"]
    lines = [f"refit on fit ({len(fit)}), AUC right|wrong drafts on tune ({len(tune)}):"]
    for with_agreement in (False, True):
        model = LogisticRegression(C=10).fit([features(r, with_agreement) for r in fit],
                                             [r["draft_correct"] for r in fit])
        parts = []
        for name in [*dict.fromkeys(r["set"] for r in tune), "all"]:
            rows = [r for r in tune if name in ("all", r["set"])]
            scores = model.predict_proba([features(r, with_agreement) for r in rows])[:, 1]
            right = [p for p, r in zip(scores, rows) if r["draft_correct"]]
            wrong = [p for p, r in zip(scores, rows) if not r["draft_correct"]]
            parts.append(f"{name} {auc(right, wrong):.3f}")
        lines.append(f"  {'pre-check + evidence check + agreement' if with_agreement else 'pre-check + evidence check':40} "
                     + "  ".join(parts))
    return "\n".join(lines)


def main() -> None:
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder

    set_names, splits, args = set_arguments(__doc__, samples="4", temperature="0.7", tag="run", rescore="")
    out = ROOT / "bench" / "results" / f"consistency-{args.tag}.jsonl"
    if args.rescore:
        records = [json.loads(line) for line in out.read_text().splitlines()]
        print(report(records) + "\n" + refit_report(records))
        return
    SamplingGenerator.samples, SamplingGenerator.temperature = int(args.samples), float(args.temperature)
    settings = Settings()
    generator = SamplingGenerator(settings.model_path, threads=settings.threads)
    embedder = MiniLMEmbedder()
    records = []
    with open(out, "w", encoding="utf-8") as sink:
        for name in set_names:
            corpus, gold_file, _ = SETS[name]
            engine = engine_for(corpus, embedder, generator)
            gold = [q for q in read_gold(gold_file) if split_of(name, q.id) in splits]
            for number, question in enumerate(gold, 1):
                generator.sampled, generator.sample_seconds = [], 0.0
                answer = engine.ask(question.question)
                record = record_of(name, question, answer)
                record["samples"] = generator.sampled
                record["sample_seconds"] = generator.sample_seconds
                record["agreement"] = agreement(record["draft"] or "", generator.sampled, question.question)
                records.append(record)
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                sink.flush()
                print(f"{name} {number}/{len(gold)} {answer.timings['total']:.1f}s + {generator.sample_seconds:.1f}s "
                      f"agree {[round(a, 2) for a in record['agreement']]}", file=sys.stderr)
    generator.close()
    print(report(records) + "\n" + refit_report(records))


if __name__ == "__main__":
    main()
