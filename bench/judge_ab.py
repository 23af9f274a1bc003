"""The evidence check asked with worked yes/no examples of its own, against today's, on recorded drafts.

The evidence check shows the model only the sentences a draft was drawn from and asks whether they
state the answer. Until 2026-12-06 it started from the answer prompt's fixed prefix (instructions
for writing an answer, and three worked answers): variant "current". Variant "fewshot" asks the
same question after a prefix made for the judgement (rag.prompting.judge_prefix, shipped since):
what counts as stating the answer, and invented worked judgements, most of them near misses of
the kinds adversarial unanswerable questions are written as (another condition or method, a
detail named but not given, the smallest where the biggest is asked, another thing). Like the
answer prefix it is evaluated once per loaded model.

Drafts are not generated again: each recorded draft is attributed to its passages by today's code
(the retrieval is deterministic, so the passages are the recorded ones; checked), which gives the
sentences the evidence check is asked on. Then both prompts are scored by the real model, each in
a pass of its own, so every question starts from the same cached prefix. Variants "more" (three more worked
judgements) and "context" (each evidence sentence after the one before it in its passage) were
measured on 2026-12-06 and not adopted (bench/README.md, "Adversarial questions to fit on, a clean
held-out set, and three gaps in the rules"). The output JSONL holds,
per record, both P(yes); `--apply` writes copies of the records with the new value as the
`evidence_check` signal, for bench/calibrate.py and bench/redecide.py to refit and judge.

    .venv/bin/python bench/judge_ab.py RECORDS.jsonl [...] --out bench/results/judge-TAG.jsonl
    .venv/bin/python bench/judge_ab.py RECORDS.jsonl --apply bench/results/judge-TAG.jsonl \
        --variant fewshot --written-to bench/work/records-fewshot.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, engine_for  # noqa: E402

from rag import pipeline  # noqa: E402
from rag.generation import Generation  # noqa: E402
from rag.prompting import (  # noqa: E402
    JUDGE_EXAMPLES, _asking_precheck, _numbered, _question_turn, evidence_prompt, judge_prefix,
    system_prefix,
)


def answer_prefix_prompt(question: str, evidence: list[tuple[str, str]]) -> str:
    """The evidence check as asked until 2026-12-06: after the answer prompt's fixed prefix."""
    numbered = [(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)]
    return _asking_precheck(_question_turn(question, _numbered(numbered, question)))


# Three more invented judgements (2026-12-06, late): a cause asked where only the outcome is stated,
# another version's behaviour, and a reworded question the sentence does answer.
MORE_EXAMPLES = JUDGE_EXAMPLES + (
    ("[1] (mill.txt) The old paper mill closed in 1998 after ninety years.",
     "Why did the old paper mill close?", "no"),
    ("[1] (notes.txt) Version 2 of the app keeps its settings in a single file in the home folder.",
     "Where does version 3 of the app keep its settings?", "no"),
    ("[1] (clinic.txt) Patients over 65 were given half the usual dose.",
     "How much of the normal amount did the elderly patients receive?", "yes"),
)


def more_prefix() -> str:
    """judge_prefix() with MORE_EXAMPLES."""
    return judge_prefix(MORE_EXAMPLES)


def more_prompt(question: str, evidence: list[tuple[str, str]]) -> str:
    numbered = [(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)]
    return _asking_precheck(_question_turn(question, _numbered(numbered, question), more_prefix()))


def with_sentence_before(item: dict, record: dict) -> list[tuple[str, str]]:
    """Each evidence sentence with the one before it in its passage (when the sentence is found
    there): the sentence alone often lacks what the question names ("it was leaked by the State
    Department" for "which branch leaked the truce paper?")."""
    from rag.chunking import sentence_spans

    widened = []
    for file, sentence in item["evidence"]:
        texts = [p["text"] for p in record["retrieved"] if p["file"] == file and sentence in p["text"]]
        if not texts:
            widened.append((file, sentence))
            continue
        text = texts[0]
        at = text.index(sentence)
        before = [(a, b) for a, b in sentence_spans(text) if b <= at and text[a:b].strip()]
        previous = text[before[-1][0] : before[-1][1]].strip() if before else ""
        widened.append((file, f"{previous} {sentence}".strip() if previous else sentence))
    return widened


# "current" is the check before this comparison, "fewshot" the one shipped since (rag.prompting)
VARIANTS = {"current": (system_prefix, answer_prefix_prompt), "fewshot": (judge_prefix, evidence_prompt),
            "more": (more_prefix, more_prompt), "context": (judge_prefix, evidence_prompt)}
# variants asked on other evidence than the recorded draft's sentences: item, record -> evidence
EVIDENCE_OF = {"context": with_sentence_before}


class RecordedDraft:
    """A generator that gives back a recorded draft and the recorded pre-check (collect() notes the
    evidence the pipeline would ask the model about)."""

    def __init__(self, record: dict) -> None:
        self.record = record

    def start_from(self, prefix: str) -> None:
        pass

    def stop_when(self, cancelled) -> None:  # type: ignore[no-untyped-def]
        pass

    def yes_probability(self, prompt: str) -> float:
        return self.record["signals"]["precheck"]

    def generate(self, prompt: str, **_: object) -> Generation:
        text = self.record.get("draft") or ""
        return Generation(text=text, probe_probability=self.record["signals"]["model_refusal"],
                          mean_logprob=0.0, min_logprob=0.0, prompt_tokens=0, evaluated_tokens=0,
                          completion_tokens=len(text.split()), prompt_seconds=0.0, generation_seconds=0.0)


def collect(records: list[dict]) -> list[dict]:
    """Each record's evidence sentences, from today's attribution of its recorded draft."""
    from rag.embedding import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    captured: list[list[tuple[str, str]]] = []
    real_prompt = pipeline.evidence_prompt

    def capture(question: str, evidence: list[tuple[str, str]]) -> str:
        captured.append(evidence)
        return real_prompt(question, evidence)

    pipeline.evidence_prompt = capture  # type: ignore[assignment]
    out = []
    engines: dict[str, object] = {}
    for record in records:
        corpus = SETS[record["set"]][0]
        if corpus.name not in engines:
            engines[corpus.name] = engine_for(corpus, embedder, None)
        engine = engines[corpus.name]
        fake = RecordedDraft(record)
        engine._generator = fake  # type: ignore[attr-defined]
        engine.answers_second_parts = False  # type: ignore[attr-defined]
        engine.all_signals = False  # type: ignore[attr-defined]
        captured.clear()
        answer = engine.ask(record["question"])  # type: ignore[attr-defined]
        same = [p.file for p in answer.retrieved] == [p["file"] for p in record["retrieved"]] and [
            p.paragraph for p in answer.retrieved] == [p["paragraph"] for p in record["retrieved"]]
        out.append({"set": record["set"], "id": record["id"], "question": record["question"],
                    "evidence": captured[0] if captured else [], "same_passages": same})
    pipeline.evidence_prompt = real_prompt  # type: ignore[assignment]
    return out


def score(items: list[dict], variant: str, records: dict[tuple[str, str], dict]) -> None:
    """P(yes) of one variant for every item with evidence, into item[variant]."""
    from rag.config import Settings
    from rag.generation import LlamaGenerator

    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    prefix, prompt = VARIANTS[variant]
    started = time.perf_counter()
    for number, item in enumerate(items, 1):
        if item["evidence"]:
            evidence = item["evidence"]
            if variant in EVIDENCE_OF:
                evidence = item[f"{variant}_evidence"] = EVIDENCE_OF[variant](item, records[(item["set"], item["id"])])
            generator.start_from(prefix())
            item[variant] = round(generator.yes_probability(prompt(item["question"], evidence)), 4)
        else:
            item[variant] = 0.0
        if number % 25 == 0:
            print(f"{variant} {number}/{len(items)} {time.perf_counter() - started:.0f}s", file=sys.stderr)
    generator.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--variants", default="current,fewshot")
    parser.add_argument("--apply", type=Path, help="a --out file: write the records with its values")
    parser.add_argument("--variant", default="fewshot")
    parser.add_argument("--written-to", type=Path)
    args = parser.parse_args()
    records = [json.loads(line) for path in args.records for line in path.open(encoding="utf-8")]
    if args.apply:
        values = {(i["set"], i["id"]): i[args.variant] for i in map(json.loads, args.apply.open(encoding="utf-8"))}
        with args.written_to.open("w", encoding="utf-8") as sink:
            for record in records:
                key = (record["set"], record["id"])
                if key in values:
                    record["signals"]["evidence_check"] = values[key]
                    sink.write(json.dumps(record) + "\n")
        return
    items = collect(records)
    print(f"{sum(i['same_passages'] for i in items)} of {len(items)} retrieved the recorded passages", file=sys.stderr)
    by_key = {(r["set"], r["id"]): r for r in records}
    for variant in args.variants.split(","):
        score(items, variant, by_key)
    with args.out.open("w", encoding="utf-8") as sink:
        for item in items:
            sink.write(json.dumps(item) + "\n")


if __name__ == "__main__":
    main()
