"""Turn the SQuAD 2.0 sample (shared/eval/squad2-dev-part.json) into documents and questions.

One .txt file per article (its paragraphs separated by blank lines), and question rows in
the `rag eval` format, with the article's file as the expected source.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

DEFAULT_SQUAD = Path(__file__).resolve().parents[2] / "shared" / "eval" / "squad2-dev-part.json"


def load_squad(path: Path = DEFAULT_SQUAD) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"SQuAD sample not found at {path}; pass --squad PATH")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def write_articles(articles: list[dict], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for article in articles:
        name = f"{article['title']}.txt"
        text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    return names


def sample_questions(articles: list[dict], answerable: int, unanswerable: int, seed: int = 13) -> list[dict]:
    """A fixed random sample (same seed, same questions) in the `rag eval` format."""
    rows = {True: [], False: []}
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                ok = not qa.get("is_impossible", False)
                rows[ok].append({
                    "id": qa["id"],
                    "question": qa["question"],
                    "answers": sorted({a["text"] for a in qa["answers"]}),
                    "sources": [f"{article['title']}.txt"] if ok else [],
                    "answerable": ok,
                })
    rng = random.Random(seed)
    return rng.sample(rows[True], answerable) + rng.sample(rows[False], unanswerable)
