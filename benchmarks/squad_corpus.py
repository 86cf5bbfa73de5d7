"""Turn the SQuAD 2.0 sample (shared/eval/squad2-dev-part.json) into documents and questions.

    python benchmarks/squad_corpus.py [--squad PATH] [--out benchmarks/results/squad]

writes, from the data file alone (nothing is edited by hand, nothing large is committed):

    OUT/docs/<Title>.txt         one file per article, its paragraphs in order, blank-line separated
    OUT/questions-all.jsonl      every question, in the `rag eval` format (seeds_qa.jsonl)
    OUT/questions-dev.jsonl      articles 1, 3, 5, 7, 9: where thresholds and chunking are tuned
    OUT/questions-test.jsonl     articles 2, 4, 6, 8, 10: where the tuned choices are reported

Splitting by article (not by question) keeps a tuned threshold from having seen the same
paragraphs it is judged on. Unanswerable questions have no expected answers or sources.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DEFAULT_SQUAD = Path(__file__).resolve().parents[2] / "shared" / "eval" / "squad2-dev-part.json"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "squad"
SPLITS = ("dev", "test")


def load_squad(path: Path = DEFAULT_SQUAD) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"SQuAD sample not found at {path}; pass --squad PATH")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def article_file(article: dict) -> str:
    return f"{article['title']}.txt"


def write_articles(articles: list[dict], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for article in articles:
        text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
        (folder / article_file(article)).write_text(text, encoding="utf-8")
        names.append(article_file(article))
    return names


def question_rows(articles: list[dict]) -> list[dict]:
    """Every question in the `rag eval` format, with the split its article belongs to."""
    rows = []
    for number, article in enumerate(articles):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                ok = not qa.get("is_impossible", False)
                rows.append({
                    "id": qa["id"],
                    "question": qa["question"],
                    "answers": sorted({a["text"] for a in qa["answers"]}) if ok else [],
                    "sources": [article_file(article)] if ok else [],
                    "answerable": ok,
                    "split": SPLITS[number % 2],
                })
    return rows


def sample_questions(articles: list[dict], answerable: int, unanswerable: int, seed: int = 13,
                     split: str | None = None) -> list[dict]:
    """A fixed random sample (same seed, same questions), optionally from one split."""
    rows = {True: [], False: []}
    for row in question_rows(articles):
        if split is None or row["split"] == split:
            rows[row["answerable"]].append(row)
    rng = random.Random(seed)
    return rng.sample(rows[True], answerable) + rng.sample(rows[False], unanswerable)


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def build(squad: Path = DEFAULT_SQUAD, out: Path = DEFAULT_OUT) -> dict[str, Path]:
    """Write the corpus and the question files; return where they are."""
    articles = load_squad(squad)
    write_articles(articles, out / "docs")
    rows = question_rows(articles)
    paths = {"docs": out / "docs", "all": out / "questions-all.jsonl"}
    write_jsonl(rows, paths["all"])
    for split in SPLITS:
        paths[split] = out / f"questions-{split}.jsonl"
        write_jsonl([r for r in rows if r["split"] == split], paths[split])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    paths = build(args.squad, args.out)
    for name, path in paths.items():
        print(f"{name:5} {path}")


if __name__ == "__main__":
    main()
