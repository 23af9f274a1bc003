"""Answer quality on a gold file, scored twice: by `rag eval` and by the shared score.py.

    .venv/bin/python bench/dev_eval.py [--gold ../shared/eval/dev.jsonl] [--corpus seeds]
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "seeds")
    parser.add_argument("--scorer", type=Path, default=ROOT.parent / "shared" / "eval" / "score.py")
    args = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = args.gold.stem
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX": str(ROOT / "bench" / "work" / f"index-{args.corpus.name}")}
    rag = str(ROOT / ".venv" / "bin" / "rag")
    subprocess.run([rag, "index", str(args.corpus)], env=env, check=True)
    predictions = results / f"{name}-predictions.jsonl"
    table = subprocess.run([rag, "eval", str(args.gold), "-o", str(predictions)], env=env, check=True,
                           capture_output=True, text=True).stdout
    (results / f"{name}-rag-eval.txt").write_text(table)
    print(table)
    if args.scorer.exists():
        scored = subprocess.run(["python3", str(args.scorer), str(args.gold), str(predictions), "--corpus",
                                 str(args.corpus), "--show-failures"], check=True, capture_output=True, text=True).stdout
        (results / f"{name}-score.txt").write_text(scored)
        print(scored)


if __name__ == "__main__":
    main()
