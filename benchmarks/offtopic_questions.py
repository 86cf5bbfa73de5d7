"""Write the off-topic question set (benchmarks/data/offtopic_qa.jsonl) from the SQuAD sample.

    python benchmarks/offtopic_questions.py [--squad PATH] [--per-article 60] [--check]

Off-topic questions are real, answerable SQuAD questions asked of a corpus that does not cover
them, so the right behaviour is to abstain: every row is written with "answerable": false and
no answers or sources. They serve two corpora:

- the real-documents corpus (benchmarks/data/realdocs/): no Wikipedia article is in it;
- the SQuAD benchmark corpus, once the HELD_OUT articles are left out of it. The SQuAD
  benchmark (squad_corpus.py) uses all 10 articles of shared/eval/squad2-dev-part.json, so two
  are held out: Yuan_dynasty (article 9, a dev article) and Immune_system (article 10, a test
  article). Leaving out the last two keeps the other articles' numbers, and so their
  odd/even split, unchanged. A benchmark that asks these questions against the SQuAD corpus
  must build it from `without_held_out(load_squad())`.

Questions come only from the held-out articles, and each takes its article's split (Yuan_dynasty
dev, Immune_system test), so dev and test get half each. The sample is fixed (seeded), drops
repeated questions and keeps only those that are full questions (ending in '?', 5+ words).
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_corpus import DEFAULT_SQUAD, load_squad, write_jsonl  # noqa: E402

HELD_OUT = {"Yuan_dynasty": "dev", "Immune_system": "test"}  # article title -> split
OUT = Path(__file__).resolve().parent / "data" / "offtopic_qa.jsonl"
SEED = 29


def without_held_out(articles: list[dict]) -> list[dict]:
    """The SQuAD articles a benchmark corpus may contain when it uses the off-topic set."""
    return [a for a in articles if a["title"] not in HELD_OUT]


def usable(question: str) -> bool:
    return question.strip().endswith("?") and len(question.split()) >= 5


def offtopic_rows(articles: list[dict], per_article: int, seed: int = SEED) -> list[dict]:
    """`per_article` answerable questions from each held-out article, marked unanswerable."""
    rng = random.Random(seed)
    rows = []
    for article in articles:
        if article["title"] not in HELD_OUT:
            continue
        seen, candidates = set(), []
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                text = " ".join(qa["question"].split())
                key = re.sub(r"\W+", " ", text.lower()).strip()
                if not qa.get("is_impossible", False) and usable(text) and key not in seen:
                    seen.add(key)
                    candidates.append((qa["id"], text))
        for qa_id, text in sorted(rng.sample(candidates, per_article)):
            rows.append({"id": f"offtopic-{qa_id}", "question": text, "answers": [],
                         "sources": [], "answerable": False, "split": HELD_OUT[article["title"]],
                         "kind": "offtopic", "article": article["title"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--per-article", type=int, default=60)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the committed file differs")
    args = parser.parse_args()
    articles = load_squad(args.squad)
    missing = set(HELD_OUT) - {a["title"] for a in articles}
    if missing:
        raise SystemExit(f"held-out articles not in {args.squad}: {sorted(missing)}")
    rows = offtopic_rows(articles, args.per_article)
    if args.check:
        tmp = args.out.with_suffix(".check.tmp")
        write_jsonl(rows, tmp)
        same = args.out.is_file() and tmp.read_bytes() == args.out.read_bytes()
        tmp.unlink()
        print("same" if same else f"differs: {args.out}")
        raise SystemExit(0 if same else 1)
    write_jsonl(rows, args.out)
    print(f"{len(rows)} off-topic questions in {args.out}")


if __name__ == "__main__":
    main()
