"""Candidate yes/no checks by the model, scored on drafts already recorded, before any is built in.

    .venv/bin/python bench/check_signals.py bench/results/answers-TAG.jsonl [...] --out FILE.jsonl

For each recorded draft (not a refusal) the passages are retrieved again as `rag ask` does, the
draft is attributed to them, and the model is asked, from the fixed prefix in its KV cache:

- evidence_check: the pipeline's own check (the draft's evidence sentences, the question), asked
  again on the rebuilt evidence, to show how closely the rebuild matches the recorded value;
- answer_check: the same sentences and question, plus the draft: "Do the passages state that this
  is the answer?", an entailment-style check of this answer rather than of any answer;
- responsive: the question and the draft alone, no passages: "Does the reply give what the
  question asks for?", against drafts that copy a passage on the topic without answering;
- judged_evidence: the pipeline's evidence check asked after a judge's own instructions and six
  worked yes/no judgements (three near misses that share a question's words but state another
  fact), instead of after the answering instructions and examples.

- missing / evidence_missing: the pre-check and the evidence check asked the other way round, "Is
  the answer to this question missing from the passages?", to cancel the model's lean to yes.

- precheck_again / null_precheck / null_evidence: contextual calibration (Zhao et al., "Calibrate
  Before Use", 2021): the pre-check recomputed, and the pre-check and the evidence check asked with
  a content-free question ("N/A") on the same passages and sentences. The model's lean to yes
  differs with the text it reads; its P(yes) to a question that asks nothing measures that lean,
  and the check's value relative to it may tell answered from not better. The content-free
  pre-check costs only its own few tokens: the passages are still in the KV cache. Run of
  2026-12-05 on 290 fit+tune drafts (bench/README.md, "The checks calibrated against a question
  that asks nothing"): the lifts tell answered from not worse than the checks themselves on seeds,
  techdocs and licences (all: answerable AUC 0.77 -> 0.74 for the two summed); not adopted.

- question_gain / generic_gain: the draft scored token by token after its passages and question,
  against after a question that asks nothing ("N/A") or a request any passage answers ("What do
  the passages say?"); the difference in mean log-probability (per-token values are written too).
  Run of 2026-12-05 on 217 fit+tune drafts of answers-s30-fittune (bench/README.md, "The answer's
  gain from its question"): AUC answerable 0.50 and 0.49 over all three corpora; not adopted.

- sentence_check (with sentence_check_first / sentence_check_min): the issue's "yes/no that one
  specific cited sentence answers the question, scored per candidate sentence with the passages
  already in the KV cache": after the passages and the question (the pre-check's prefix), each of
  the draft's evidence sentences is quoted with its passage number, "Does this sentence state the
  answer to the question?"; the largest, first and smallest P(yes). Run of 2026-12-06 on the 288
  fit+tune drafts of seeds, licences, techdocs and abstracts in answers-s30-fittune (4.6 s a draft,
  bench/results/sentence-check-fittune.txt), AUC answerable|right-draft, evidence check -> largest:
  seeds 0.67|0.76 -> 0.56|0.72, licences 0.70|0.68 -> 0.58|0.67, techdocs 0.90|0.88 -> 0.82|0.78,
  abstracts 0.72|0.75 -> 0.66|0.80; all 0.74|0.77 -> 0.64|0.75, and added to the pre-check and
  evidence check 0.75|0.78 -> 0.74|0.79. Weaker than the evidence check on every corpus at telling
  unanswerable questions; not adopted.
- evidence_noting_missing / evidence_noting_missing_names: the evidence check with one more line
  naming the question's words (or only its names, numbers and code words) that no evidence
  sentence or file name holds ("Words of the question these sentences do not contain: GNU,
  Guile."), for a draft that answers about Python what was asked about Guile. Run of 2026-12-06 on all 384 fit+tune
  drafts of answers-s30-fittune (bench/results/noting-missing-fittune.txt), AUC answerable|right-draft,
  evidence check asked again -> noting missing words -> noting missing names: seeds 0.67|0.75 ->
  0.60|0.70 -> 0.57|0.67, licences 0.67|0.67 -> 0.68|0.64 -> 0.67|0.64, techdocs 0.88|0.87 ->
  0.89|0.86 -> 0.85|0.84, abstracts 0.72|0.74 -> 0.73|0.74 -> 0.66|0.68, calibration 0.92|0.88 ->
  0.87|0.83 -> 0.89|0.85. The note lowers P(yes) about as much for right drafts as for the others
  (median, noting missing words: right drafts of reworded questions 0.711 -> 0.598, other right
  drafts 0.751 -> 0.647, unanswerable 0.615 -> 0.531, wrong 0.679 -> 0.595); not adopted.

`--checks` picks which are computed (each costs a prompt a draft).

Run of 2026-12-03 (`--checks judged_evidence` on answers-v8-fittune and answers-v8-test, results in
bench/results/judged-*.jsonl): AUC answerable|right-draft on fit+tune, evidence check -> judged:
seeds 0.70|0.77 -> 0.76|0.81, licences 0.66|0.70 -> 0.72|0.77, abstracts 0.66|0.66 -> 0.63|0.62,
calibration 0.91|0.91 -> 0.94|0.93. Refitted in its place (bench/calibrate.py, pre-check and the
judged check) the decision handles 57.25 % of fit+tune questions right against 57.64 % today, and
58.3 % beside both checks; not adopted. (The held-out test AUCs, read after that choice: seeds
0.64|0.73 -> 0.85|0.85, licences 0.85|0.68 -> 0.78|0.58, abstracts 0.81|0.93 -> 0.85|0.94.)

Writes one line per draft (set, split, id, answerable, draft_correct, the recorded pre-check and
evidence check, the three values) and prints
each check's AUC per corpus, for answerable against unanswerable and right against wrong drafts.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from pathlib import Path
from statistics import fmean

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answers import SETS, engine_for  # noqa: E402
from bench.calibrate import auc  # noqa: E402
from rag import prompting  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402

ANSWER_CHECK = "Proposed answer: {answer}\n\nDo the passages state that this is the answer to the question? Reply yes or no."
RESPONSIVE = (
    "Question: {question}\n\nReply: {answer}\n\nDoes the reply give exactly what the question asks for, "
    "not just related facts? Reply yes or no."
)
ASSISTANT_OPENS = "<|im_start|>assistant\n"
# The pre-check asked the other way round: a small model says yes to most yes/no questions, so
# its yes to the opposite question may cancel that lean (contrastive calibration).
MISSING_QUESTION = "Is the answer to this question missing from the passages? Reply yes or no."

JUDGE_INSTRUCTIONS = (
    "You check whether numbered sentences state the answer to a question. Reply yes only when they "
    "state exactly what is asked, in any words. Sentences about the same people, things or numbers "
    "that state a different fact, or leave out the asked detail, do not answer it: reply no."
)

# Worked judgements for the judge, invented like EXAMPLES: three answered in other words than the
# question's, three near misses that share the question's words but state another fact.
JUDGEMENTS = (
    ("[1] (orchard-notes.txt) The cider press was repaired in April and has since produced 900 litres.",
     "How much cider has come out of the press since it was fixed?", "yes"),
    ("[1] (orchard-notes.txt) The orchard's 40 apple trees were planted by the founder's grandson in 1962.",
     "How many pear trees grow in the orchard?", "no"),
    ("[1] (museum-guide.txt) The new wing, opened by the mayor in 2015, houses the textile collection.",
     "Who designed the museum's new wing?", "no"),
    ("[1] (rail-bulletin.txt) From June, trains on the coastal line will run every 20 minutes.",
     "How frequent will coastal line services be once June comes?", "yes"),
    ("[1] (rail-bulletin.txt) The coastal line was closed for three weeks after a storm damaged its bridge.",
     "How much did repairing the coastal line's bridge cost?", "no"),
    ("[1] (museum-guide.txt) The museum's oldest map was drawn by a monk and shows the river before it "
     "was straightened.",
     "Who made the oldest map the museum holds?", "yes"),
)

@functools.cache
def judge_prefix() -> str:
    """The judge's instructions and worked judgements: the same for every draft."""
    ask = prompting.PRECHECK_QUESTION
    shots = "".join(
        prompting._turn("user", f"{prompting._user_message(question, body)}\n\n{ask}")
        + prompting._turn("assistant", verdict)
        for body, question, verdict in JUDGEMENTS
    )
    return prompting._turn("system", JUDGE_INSTRUCTIONS) + shots


def judged_evidence_prompt(question: str, evidence: list[tuple[str, str]]) -> str:
    """The evidence check asked of the judge rather than of the answering assistant."""
    numbered = prompting._numbered([(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)])
    question_turn = f"<|im_start|>user\n{prompting._user_message(question, numbered)}"
    return judge_prefix() + prompting._asking_precheck(question_turn)


CHECKS = (
    "evidence_check", "answer_check", "responsive", "judged_evidence", "missing", "evidence_missing",
    "precheck_again", "null_precheck", "null_evidence", "question_gain", "sentence_check",
    "evidence_noting_missing", "evidence_noting_missing_names",
)
NOTE_MISSING = "Words of the question these sentences do not contain: {words}."
MAX_NOTED = 5


def missing_words(question: str, evidence: list[tuple[str, str]], names_only: bool) -> list[str]:
    """The question's content words (as written) whose stems no evidence sentence or file name holds;
    with names_only, only capitalised words (not the first), words with digits or written as code."""
    from rag.text import is_distinctive, terms

    held = set()
    for file, sentence in evidence:
        held |= set(terms(sentence)) | set(terms(re.sub(r"[\W_]+", " ", file)))
    found = []
    for position, word in enumerate(re.findall(r"[\w][\w.\-/]*[\w]|\w", question)):
        stems = [t for t in terms(word) if is_distinctive(t)]
        if not stems or all(t in held for t in stems) or word in found:
            continue
        if names_only and not (
            (position > 0 and word[0].isupper()) or any(ch.isdigit() for ch in word) or re.search(r"[_./-]", word)
        ):
            continue
        found.append(word)
    return found[:MAX_NOTED]
# One sentence the draft was drawn from, asked about after the passages and the question (still in
# the KV cache from the pre-check, so each sentence costs only its own tokens).
SENTENCE_CHECK = 'Sentence {where}: "{sentence}"\n\nDoes this sentence state the answer to the question? Reply yes or no.'

CONTENT_FREE = "N/A"
# A request any passage answers: what a draft copied from a passage on the topic would also answer.
GENERIC_QUESTION = "What do the passages say?"


def draft_log_probs(generator, prompt: str, draft: str) -> list[float]:  # type: ignore[no-untyped-def]
    """log P of each of the draft's tokens after prompt, one token evaluated at a time (the prompt's
    shared part stays in the KV cache)."""
    from rag.generation import _log_softmax

    prompt_tokens, draft_tokens = generator.tokens(prompt), generator.tokens(draft)
    values = []
    for i, token in enumerate(draft_tokens):
        generator._evaluate_prompt(prompt_tokens + draft_tokens[:i])
        values.append(round(float(_log_softmax(generator._last_logits())[token]), 4))
    return values


def question_gains(generator, question: str, passages, draft: str) -> dict:  # type: ignore[no-untyped-def]
    """The draft's log-probability given the question, against given a question that asks nothing
    and a request any passage answers, on the same passages (file labels as for the question).

    A draft copied from a passage that shares the question's words, without stating what is asked,
    may be nearly as likely whatever is asked; a right answer should need its question."""
    from rag import prompting

    body = prompting.passage_body(passages, question)

    def instead_of_question(request: str) -> str:
        return prompting._question_turn(request, body) + "<|im_end|>\n" + ASSISTANT_OPENS

    generator.start_from(prompting.system_prefix())
    asked = draft_log_probs(generator, prompting.build_prompt(question, passages), draft)
    null = draft_log_probs(generator, instead_of_question(CONTENT_FREE), draft)
    generic = draft_log_probs(generator, instead_of_question(GENERIC_QUESTION), draft)
    return {
        "question_gain": fmean(asked) - fmean(null) if asked else 0.0,
        "generic_gain": fmean(asked) - fmean(generic) if asked else 0.0,
        "token_log_probs": {"asked": asked, "null": null, "generic": generic},
    }


def _asking(question_turn: str, ask: str) -> str:
    return question_turn + f"\n\n{ask}<|im_end|>\n" + ASSISTANT_OPENS


def checks(engine, generator, record: dict, wanted: tuple[str, ...]) -> dict[str, float]:  # type: ignore[no-untyped-def]  # noqa: E501
    from rag.citations import attribute, evidence_sentences
    from rag.prompting import _numbered, _question_turn, _turn, evidence_prompt, select_passages, system_prefix

    question, draft = record["question"], record["draft"]
    hits = engine.search(question)
    passages = select_passages(question, hits, engine.settings.context_words)
    evidence = evidence_sentences(attribute(draft, question, passages, []))
    numbered = _numbered([(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)])
    values = {name: 0.0 for name in wanted}
    if "evidence_check" in wanted and evidence:
        generator.start_from(system_prefix())
        values["evidence_check"] = generator.yes_probability(evidence_prompt(question, evidence))
    if "answer_check" in wanted and evidence:
        generator.start_from(system_prefix())
        values["answer_check"] = generator.yes_probability(
            _question_turn(question, numbered) + "\n\n" + ANSWER_CHECK.format(answer=draft) + "<|im_end|>\n"
            + ASSISTANT_OPENS
        )
    if "responsive" in wanted:
        generator.start_from(system_prefix())
        values["responsive"] = generator.yes_probability(
            system_prefix() + _turn("user", RESPONSIVE.format(question=question, answer=draft)) + ASSISTANT_OPENS
        )
    if "judged_evidence" in wanted and evidence:
        generator.start_from(judge_prefix())
        values["judged_evidence"] = generator.yes_probability(judged_evidence_prompt(question, evidence))
    if "missing" in wanted:
        generator.start_from(system_prefix())
        body = prompting.passage_body(passages)
        values["missing"] = generator.yes_probability(_asking(_question_turn(question, body), MISSING_QUESTION))
    if "precheck_again" in wanted or "null_precheck" in wanted:
        generator.start_from(system_prefix())
        if "precheck_again" in wanted:
            values["precheck_again"] = generator.yes_probability(prompting.precheck_prompt(question, passages))
        if "null_precheck" in wanted:
            body = prompting.passage_body(passages, question)
            values["null_precheck"] = generator.yes_probability(
                prompting._asking_precheck(_question_turn(CONTENT_FREE, body))
            )
    if "null_evidence" in wanted and evidence:
        generator.start_from(system_prefix())
        values["null_evidence"] = generator.yes_probability(evidence_prompt(CONTENT_FREE, evidence))
    if "evidence_missing" in wanted and evidence:
        generator.start_from(system_prefix())
        values["evidence_missing"] = generator.yes_probability(
            _asking(_question_turn(question, numbered), MISSING_QUESTION)
        )
    if "sentence_check" in wanted and evidence:
        generator.start_from(system_prefix())
        prefix = prompting.question_prefix(question, passages)
        scores = []
        for file, sentence in evidence:
            number = next((p.number for p in passages if sentence in " ".join(p.text.split()) or sentence in p.text), None)
            where = f"from passage [{number}]" if number else f"from {file}"
            scores.append(generator.yes_probability(
                _asking(prefix, SENTENCE_CHECK.format(where=where, sentence=" ".join(sentence.split())))
            ))
        values["sentence_check"] = max(scores)
        values["sentence_check_first"] = scores[0]
        values["sentence_check_min"] = min(scores)
    for name, names_only in (("evidence_noting_missing", False), ("evidence_noting_missing_names", True)):
        if name in wanted and evidence:
            generator.start_from(system_prefix())
            lacking = missing_words(question, evidence, names_only)
            note = ("\n\n" + NOTE_MISSING.format(words=", ".join(lacking))) if lacking else ""
            labelled = _numbered([(n, file, sentence) for n, (file, sentence) in enumerate(evidence, 1)], question)
            values[name] = generator.yes_probability(
                _question_turn(question, labelled) + note + f"\n\n{prompting.PRECHECK_QUESTION}<|im_end|>\n"
                + ASSISTANT_OPENS
            )
    if "question_gain" in wanted:
        gains = question_gains(generator, question, passages, draft)
        values["question_gain"], values["generic_gain"] = gains["question_gain"], gains["generic_gain"]
        values["token_log_probs"] = gains["token_log_probs"]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", default="", help="only these question sets (comma-separated), in this order")
    parser.add_argument("--splits", default="", help="only records of these splits (comma-separated)")
    parser.add_argument("--checks", default=",".join(CHECKS), help=f"which of {', '.join(CHECKS)} (comma-separated)")
    args = parser.parse_args()
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.generation import LlamaGenerator

    records = [json.loads(line) for path in args.records for line in path.open(encoding="utf-8")]
    records = [r for r in records if MENTIONS_SIGNAL not in r["signals"]]  # answered from the index, no model signals
    records = [r for r in records if r.get("draft") and r["set"] in SETS and r.get("arm", "short") == "short"]
    if args.splits:
        records = [r for r in records if r["split"] in args.splits.split(",")]
    if args.sets:
        order = args.sets.split(",")
        records = sorted((r for r in records if r["set"] in order), key=lambda r: order.index(r["set"]))
    embedder = MiniLMEmbedder()
    settings = Settings()
    generator = LlamaGenerator(settings.model_path, threads=settings.threads)
    engines: dict[str, object] = {}
    rows = []
    with args.out.open("w", encoding="utf-8") as sink:
        for number, record in enumerate(records, 1):
            name = record["set"]
            if name not in engines:
                engines[name] = engine_for(SETS[name][0], embedder, generator)
            row = {k: record[k] for k in ("set", "split", "id", "answerable", "draft_correct")}
            row["recorded_evidence_check"] = record["signals"]["evidence_check"]
            row["precheck"] = record["signals"]["precheck"]
            row.update(checks(engines[name], generator, record, tuple(args.checks.split(","))))
            rows.append(row)
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(f"{number}/{len(records)} {name} {record['id']}", file=sys.stderr)
    generator.close()
    report(rows, tuple(args.checks.split(",")))


def report(rows: list[dict], wanted: tuple[str, ...]) -> None:
    names = ("precheck", "recorded_evidence_check", *wanted, *(("generic_gain",) if "question_gain" in wanted else ()),
             *(("sentence_check_first", "sentence_check_min") if "sentence_check" in wanted else ()))
    for corpus in sorted({r["set"] for r in rows}):
        chosen = [r for r in rows if r["set"] == corpus]
        answerable = np.array([int(r["answerable"]) for r in chosen])
        right = np.array([int(bool(r["draft_correct"])) for r in chosen])
        cells = []
        for name in names:
            values = np.array([r.get(name, 0.0) for r in chosen])
            a, b = auc(values, answerable), auc(values, right)
            cells.append(f"{name} {a if a is None else round(a, 2)}|{b if b is None else round(b, 2)}")
        print(f"{corpus:12} ({len(chosen)})  " + "  ".join(cells))


if __name__ == "__main__":
    main()
