"""Re-judge recorded drafts with today's citation code, without the language model.

    .venv/bin/python bench/rejudge.py bench/results/answers-v2.jsonl bench/results/answers-v3-test.jsonl

For every record written by bench/answers.py, the prompt passages are rebuilt from its retrieved
passages, each draft sentence is attributed again (rag/citations.py as it is now), and the fitted
gate is re-applied with the new share of supported sentences (the other signals as recorded). A
draft no passage supports is abstained on, as `rag ask` does; records without a draft (the model
declined) are left out. Prints, per corpus and split group,
answered right among answerable questions and abstained among unanswerable ones, as recorded and
as now: the effect of a citation change, measured on the same drafts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.abstention import WEIGHTS_FILE  # noqa: E402
from rag.chunking import Chunk  # noqa: E402
from rag.citations import attribute  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.mentions import SIGNAL as MENTIONS_SIGNAL  # noqa: E402
from rag.pipeline import reached_token_limit  # noqa: E402
from rag.prompting import select_passages  # noqa: E402
from rag.retrieval import Hit  # noqa: E402


def supported_share(record: dict, context_words: int) -> float:
    hits = [
        Hit(Chunk(str(i), p["file"], p["paragraph"], p["paragraph"], p["lines"][0], p["lines"][1], 0, 0, p["text"]),
            p["score"], 0.0, 0.0)
        for i, p in enumerate(record["retrieved"])
    ]
    cut_off = reached_token_limit(record.get("timings", {}).get("completion_tokens", 0))
    passages = select_passages(record["question"], hits, context_words)
    supports = attribute(record["draft"], record["question"], passages, [], cut_off=cut_off)
    return sum(bool(s.passages) for s in supports) / len(supports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    args = parser.parse_args()
    fitted = json.loads(WEIGHTS_FILE.read_text())
    weight, threshold = fitted["weights"].get("claims_supported", 0.0), fitted["threshold"]
    context_words = Settings().context_words
    counts: dict[tuple[str, str, str], list[int]] = {}
    for path in args.records:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if not record["draft"] or record["set"] == "calibration" or MENTIONS_SIGNAL in record["signals"]:
                continue
            recorded = record["signals"]["claims_supported"]
            share = supported_share(record, context_words)
            p = min(max(record["confidence"], 1e-9), 1 - 1e-9)
            p_now = 1 / (1 + math.exp(-(math.log(p / (1 - p)) + weight * (share - recorded))))
            group = "test" if record["split"] == "test" else "fit+tune"
            for label, (supported, probability) in {"recorded": (recorded, p), "now": (share, p_now)}.items():
                answered = supported > 0 and probability >= threshold
                tally = counts.setdefault((record["set"], group, label), [0, 0, 0, 0])
                if record["answerable"]:
                    tally[0] += 1
                    tally[1] += answered and record["draft_correct"]
                else:
                    tally[2] += 1
                    tally[3] += not answered
    for (corpus, group, label), (answerable, right, unanswerable, abstained) in sorted(counts.items()):
        print(f"{corpus:<10} {group:<9} {label:<9} answered right {right}/{answerable}"
              f" = {100 * right / max(answerable, 1):.0f} %   abstained {abstained}/{unanswerable}"
              f" = {100 * abstained / max(unanswerable, 1):.0f} %")


if __name__ == "__main__":
    main()
