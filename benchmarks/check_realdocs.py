"""Check the real-documents question set (and the off-topic set) against the corpus.

    python benchmarks/check_realdocs.py

For benchmarks/data/realdocs_qa.jsonl it checks that
- every row has the fields of tests/data/seeds_qa.jsonl plus `split` and `kind`, ids are unique;
- every source file exists in benchmarks/data/realdocs/, and the row's split is its document's;
- every expected answer of an answerable question occurs in its source as whole tokens:
  case-insensitive, whitespace folded, not inside a longer alphanumeric token ("10" does not
  match in "1024");
- unanswerable rows have no answers and no sources;
- each split holds at least MIN_ANSWERABLE answerable and MIN_UNANSWERABLE unanswerable rows.
For benchmarks/data/offtopic_qa.jsonl (when present) it checks the fields, that no row is
answerable, and that both splits are used. Exits 1 and lists the problems if any.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from realdocs_corpus import CORPUS, SOURCES

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "data" / "realdocs_qa.jsonl"
OFFTOPIC = HERE / "data" / "offtopic_qa.jsonl"
FIELDS = {"id", "question", "answers", "sources", "answerable", "split", "kind"}
KINDS = {"option_effect", "default_value", "which_option", "who", "when", "version", "how_many",
         "what_is", "where", "summary"}
SPLITS = ("dev", "test")
MIN_ANSWERABLE, MIN_UNANSWERABLE = 40, 12


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def occurs_as_tokens(answer: str, text: str) -> bool:
    """Whether `answer` is in `text` (both folded) with no letter or digit right before or after.

    >>> occurs_as_tokens("10", "the first 10 lines")
    True
    >>> occurs_as_tokens("10", "K 1024")
    False
    >>> occurs_as_tokens("-v", "--verbose")
    False
    >>> occurs_as_tokens("Two  Spaces", "(default is two\\n spaces)")
    True
    """
    pattern = r"(?<![^\W_])" + re.escape(fold(answer)) + r"(?![^\W_])"
    return re.search(pattern, fold(text)) is not None


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def check_rows(rows: list[dict]) -> list[str]:
    """Problems with the realdocs questions, one line each."""
    problems = []
    split_of = {s.file: s.split for s in SOURCES}
    texts: dict[str, str] = {}
    for id_, n in Counter(r.get("id") for r in rows).items():
        if n > 1:
            problems.append(f"id {id_} used {n} times")
    for row in rows:
        where = f"{row.get('id')}:"
        if set(row) != FIELDS:
            problems.append(f"{where} fields {sorted(row)} are not {sorted(FIELDS)}")
            continue
        if row["split"] not in SPLITS or row["kind"] not in KINDS:
            problems.append(f"{where} split {row['split']!r} or kind {row['kind']!r} unknown")
        if not row["answerable"]:
            if row["answers"] or row["sources"]:
                problems.append(f"{where} unanswerable but has answers or sources")
            continue
        if not row["answers"] or not row["sources"]:
            problems.append(f"{where} answerable without answers or sources")
        for source in row["sources"]:
            path = CORPUS / source
            if not path.is_file():
                problems.append(f"{where} source {source} does not exist")
                continue
            if split_of.get(source) != row["split"]:
                problems.append(f"{where} split {row['split']} but {source} is {split_of.get(source)}")
            texts.setdefault(source, path.read_text(encoding="utf-8"))
        corpus_text = " ".join(texts.get(s, "") for s in row["sources"])
        for answer in row["answers"]:
            if not occurs_as_tokens(answer, corpus_text):
                problems.append(f"{where} answer {answer!r} not found in {row['sources']}")
    for split in SPLITS:
        counts = Counter(r.get("answerable") for r in rows if r.get("split") == split)
        if counts[True] < MIN_ANSWERABLE or counts[False] < MIN_UNANSWERABLE:
            problems.append(f"split {split}: {counts[True]} answerable, {counts[False]} "
                            f"unanswerable (need {MIN_ANSWERABLE} and {MIN_UNANSWERABLE})")
    return problems


def check_offtopic(rows: list[dict]) -> list[str]:
    problems = [f"offtopic {r.get('id')}: should be unanswerable with no answers or sources"
                for r in rows if r.get("answerable") or r.get("answers") or r.get("sources")]
    if len({r.get("id") for r in rows}) != len(rows):
        problems.append("offtopic: ids are not unique")
    if {r.get("split") for r in rows} != set(SPLITS):
        problems.append("offtopic: both splits should be used")
    return problems


def summary(rows: list[dict]) -> str:
    lines = []
    for split in SPLITS:
        part = [r for r in rows if r["split"] == split]
        kinds = Counter(r["kind"] for r in part if r["answerable"])
        lines.append(f"{split}: {sum(r['answerable'] for r in part)} answerable "
                     f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), "
                     f"{sum(not r['answerable'] for r in part)} unanswerable, "
                     f"{len({s for r in part for s in r['sources']})} documents")
    return "\n".join(lines)


def main() -> None:
    rows = load(QUESTIONS)
    problems = check_rows(rows)
    if OFFTOPIC.is_file():
        problems += check_offtopic(load(OFFTOPIC))
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(summary(rows))
    print("ok")


if __name__ == "__main__":
    main()
