"""Citation precision and recall of this checkout's attribution on answers already recorded.

    .venv/bin/python bench/recite.py bench/results/answers-TAG.jsonl [...]

Attribution and citation change no draft, so a change to rag/citations.py can be judged on
recorded drafts without the language model: each answered draft of an answerable question is
attributed again to its six retrieved passages (rebuilt from the index bench/answers.py made) and
cited, and its citations scored against the gold evidence lines, per corpus. The model's own
passage numbers are not recorded, so none are passed (as if it cited nothing). Also lists drafts
whose support (first sentence, any sentence) differs from the recorded run's. Run it in two
checkouts to compare them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import SETS, index_dir_of  # noqa: E402

from rag.citations import attribute, cite  # noqa: E402
from rag.evaluation import covers, read_gold  # noqa: E402
from rag.pipeline import reached_token_limit  # noqa: E402
from rag.prompting import PromptPassage  # noqa: E402
from rag.retrieval import Hit  # noqa: E402
from rag.store import open_index  # noqa: E402

# every question set whose corpus bench/answers.py has indexed
CORPORA = tuple(name for name, (corpus, _, _) in SETS.items()
                if name != "dev" and index_dir_of(corpus).is_dir())


def main() -> None:
    stores = {name: open_index(index_dir_of(SETS[name][0]), "faiss") for name in CORPORA}
    chunks = {
        name: {(c.file, c.first_paragraph, c.start_line): c for c in store.chunks(list(range(store.count)))}
        for name, store in stores.items()
    }
    gold = {(name, g.id): g for name in CORPORA for g in read_gold(SETS[name][1])}
    totals: dict[str, list[float]] = {}
    changed = 0
    stale = 0
    for path in sys.argv[1:]:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            name = record["set"]
            if name not in stores or not record["draft"]:
                continue
            keys = [(p["file"], p["paragraph"], p["lines"][0]) for p in record["retrieved"][:6]]
            if any(key not in chunks[name] for key in keys):
                stale += 1  # recorded with chunks the index no longer has
                continue
            passages = [
                PromptPassage(n, Hit(chunks[name][key], p["score"], p["score"], p["score"]), p["text"])
                for n, (key, p) in enumerate(zip(keys, record["retrieved"][:6]), 1)
            ]
            cut_off = reached_token_limit(record.get("timings", {}).get("completion_tokens", 0))
            supports = attribute(record["draft"], record["question"], passages, [], cut_off=cut_off)
            changed += (any(s.passages for s in supports) != (record["signals"].get("claims_supported", 1.0) > 0))
            if not record["answerable"] or record["abstained"] or not any(s.passages for s in supports):
                continue
            citations, _ = cite([s for s in supports if s.passages], stores[name].paragraphs)
            evidence = gold[(name, record["id"])].evidence
            row = totals.setdefault(f"{name}/{record['split']}" + ("/right" if record["draft_correct"] else "/wrong"), [0, 0, 0.0, 0])
            row[0] += len(citations)
            row[1] += sum(any(covers(c, e) for e in evidence) for c in citations)
            if evidence:
                row[2] += len({e for e in evidence if any(covers(c, e) for c in citations)}) / len(evidence)
                row[3] += 1
    for name, (cited, right, recall, answered) in sorted(totals.items()):
        print(f"{name:10} citations {cited:3}  precision {100 * right / max(cited, 1):5.1f} %  "
              f"recall {100 * recall / max(answered, 1):5.1f} %")
    print(f"drafts whose support differs from the recorded run: {changed}; left out, chunked otherwise: {stale}")


if __name__ == "__main__":
    main()
