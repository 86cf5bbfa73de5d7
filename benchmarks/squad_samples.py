"""The two SQuAD samples the grounding settings are chosen and reported on.

    python benchmarks/squad_corpus.py && python benchmarks/squad_samples.py

writes, from benchmarks/results/squad/questions-{dev,test}.jsonl (squad_corpus.py):

    tune-dev.jsonl      60 answerable + 40 unanswerable dev-article questions (tuning)
    report-test.jsonl   100 answerable + 50 unanswerable test-article questions (reporting)

each line marked with its split, drawn with random.Random(7) so the files are the same
every time (docs/quality.md).
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SQUAD = Path(__file__).resolve().parent / "results" / "squad"
SAMPLES = {"tune-dev.jsonl": ("dev", 60, 40), "report-test.jsonl": ("test", 100, 50)}


def sample(rows: list[dict], answerable: int, unanswerable: int, seed: int = 7) -> list[dict]:
    """`answerable` + `unanswerable` questions drawn from `rows`, answerable ones first.

    >>> rows = [{"id": i, "answerable": i % 2 == 0} for i in range(10)]
    >>> [r["id"] for r in sample(rows, 2, 1)]
    [4, 2, 7]
    """
    rng = random.Random(seed)
    yes = [r for r in rows if r["answerable"]]
    no = [r for r in rows if not r["answerable"]]
    return rng.sample(yes, answerable) + rng.sample(no, unanswerable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=SQUAD, help="squad_corpus.py's output folder")
    args = parser.parse_args()
    for name, (split, answerable, unanswerable) in SAMPLES.items():
        source = args.squad / f"questions-{split}.jsonl"
        if not source.is_file():
            raise SystemExit(f"{source} is missing; run python benchmarks/squad_corpus.py first")
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        picked = sample(rows, answerable, unanswerable)
        with open(args.squad / name, "w", encoding="utf-8") as out:
            for row in picked:
                out.write(json.dumps({**row, "split": split}) + "\n")
        print(f"{args.squad / name}: {len(picked)} questions")


if __name__ == "__main__":
    main()
