"""Two abstention weight files judged on the same recorded drafts, without the language model.

    .venv/bin/python bench/redecide.py bench/results/answers-v8-test.jsonl \
        --before OLD_abstention.json [--after rag/data/abstention.json]

A refit changes only the decision, never a draft, so its effect can be read off answers already
recorded by bench/answers.py: each record's signals go through rag.abstention's decision with each
weights file (a draft the model declined or no passage supports is abstained on, as `rag ask`
does). Prints, per corpus, answered right among answerable questions, abstained among
unanswerable ones, and answered right among reworded questions (with --by-type, per question type).

With --rules-now, the decision's rules (the kind of answer the question asks for, the forms of a
reply that declines) are recomputed by this checkout's code instead of read as recorded: run in
two checkouts with the same weights, it compares a change to the rules on the same drafts.

With --names, the "after" decision also asks whether the files each answered draft cites mention
a name its question gives, or state a number it gives in digits (rag.names), read from the
corpus's index that bench/answers.py built (bench/work/index-CORPUS): run with --before and
--after the same weights file, it shows those rules' effect alone.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.abstention import WEIGHTS_FILE, answer_type_match, decide, fitted_model  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402
from rag.names import names_in_cited, numbers_in_cited  # noqa: E402
from rag.prompting import is_refusal  # noqa: E402
from rag.store import IndexStore, open_index  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from answers import SETS, index_dir_of  # noqa: E402


@functools.cache
def corpus_index(set_name: str) -> IndexStore:
    """The index bench/answers.py built for a question set's corpus."""
    return open_index(index_dir_of(SETS[set_name][0]))


def with_names(record: dict) -> dict:
    """The record's signals with names_in_cited and numbers_in_cited computed from the files its
    answer cites (and, for numbers, the retrieved passages of those files)."""
    files = {citation["file"] for citation in record["citations"]}
    index = corpus_index(record["set"])
    texts = [passage["text"] for passage in record["retrieved"] if passage["file"] in files]
    return {
        **record["signals"],
        "names_in_cited": names_in_cited(index, record["question"], files),
        "numbers_in_cited": numbers_in_cited(index, record["question"], files, texts),
    }


def abstains(record: dict, weights: Path, rules_now: bool = False, names: bool = False) -> bool:
    """rag.abstention's decision with weights, declining as `rag ask` does."""
    signals = with_names(record) if names and record["citations"] else dict(record["signals"])
    if MENTIONS_SIGNAL in signals:
        return False  # listed from the index (rag/mentions.py): no draft, no decision
    draft = record["draft"] or ""
    declined = not draft or signals.get("claims_supported", 1.0) == 0.0
    if rules_now:
        signals["answer_type"] = answer_type_match(record["question"], draft, {p["file"] for p in record["retrieved"]})
        declined = declined or is_refusal(draft)
    return decide(signals, None, declined, fitted_model(weights)).abstain


def tally(
    records: list[dict], weights: Path, rules_now: bool = False, by_type: bool = False, names: bool = False
) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for record in records:
        count = counts.setdefault(f"{record['set']}/{record['type']}" if by_type else record["set"], Counter())
        abstained = abstains(record, weights, rules_now, names)
        answered_right = not abstained and record["draft_correct"]
        if record["answerable"]:
            count["answerable"] += 1
            count["right"] += answered_right
            count["reworded"] += record["type"] == "paraphrase"
            count["reworded_right"] += record["type"] == "paraphrase" and answered_right
        else:
            count["unanswerable"] += 1
            count["abstained"] += abstained
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--rules-now", action="store_true", help="recompute answer_type and refusals with this code")
    parser.add_argument("--by-type", action="store_true", help="one line per corpus and question type")
    parser.add_argument("--names", action="store_true", help="after: also the check of names in cited files")
    args = parser.parse_args()
    records = [json.loads(line) for path in args.records for line in path.read_text().splitlines() if line.strip()]
    for label, weights in (("before", args.before), ("after", args.after)):
        names = args.names and label == "after"
        for corpus, c in sorted(tally(records, weights, args.rules_now, args.by_type, names).items()):
            print(f"{corpus:<24} {label:<7} answered right {c['right']}/{c['answerable']}"
                  f" = {100 * c['right'] / max(c['answerable'], 1):.1f} %   abstained {c['abstained']}/"
                  f"{c['unanswerable']} = {100 * c['abstained'] / max(c['unanswerable'], 1):.1f} %"
                  f"   reworded right {c['reworded_right']}/{c['reworded']}")


if __name__ == "__main__":
    main()
