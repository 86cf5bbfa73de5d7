"""The `rag` command's output contract, with the fake models plugged in."""
import json
import re

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant
from rag.cli import main as real_main

SCRIPT = {"Minister of Foreign Affairs": "Rashid Meredov", "capital of Kazakhstan": "Astana"}


def open_with_fakes(*args, **kwargs):
    return Assistant.open(*args, embedder=HashingEmbedder(), generator=ScriptedGenerator(SCRIPT), **kwargs)


def main(argv):
    """The `rag` command with the fake models plugged in through its factory parameter."""
    return real_main(argv, open_assistant=open_with_fakes)


def test_index_prints_what_changed_with_timings(seeds_copy, tmp_path, capsys):
    assert main(["index", str(seeds_copy), "--index", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    assert "added     000_dc7361d3392e1266.txt" in out and "2 added, 0 updated, 0 removed" in out
    assert "time: scan" in out
    (seeds_copy / "000_dc7361d3392e1266.txt").unlink()
    (seeds_copy / "notes.txt").write_bytes(b"\xff\xfebad\xd8")
    (seeds_copy / "image.txt").write_bytes(b"\x89PNG\x00\x00")
    assert main(["index", str(seeds_copy), "--index", str(tmp_path / "idx"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] == ["000_dc7361d3392e1266.txt"]
    assert [s["source"] for s in report["skipped"]] == ["image.txt", "notes.txt"]
    assert report["unchanged"] == ["003_064eea4f1c13281f.txt"]


def test_ask_json_has_the_contract_keys(seeds_copy, tmp_path, capsys):
    args = ["--docs", str(seeds_copy), "--index", str(tmp_path / "idx"), "--json"]
    assert main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"] == "Rashid Meredov" and data["abstained"] is False
    assert set(data["citations"][0]) == {"source", "start_line", "end_line", "quote", "score", "page", "section"}
    assert data["kind"] == "short" and data["short_answer"] == "Rashid Meredov"
    evidence = data["evidence"][0]
    assert set(evidence) == {"source", "start_line", "end_line", "quote", "score", "answer_span", "page", "section"}
    span = evidence["answer_span"]
    assert evidence["quote"][span["start"]:span["end"]] == span["text"] == "Rashid Meredov"
    assert main(["ask", "What is the capital of Kazakhstan?", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is True and data["citations"] == [] and data["closest"]


def test_ask_text_shows_citations_and_uses_the_indexed_folder(seeds_copy, tmp_path, capsys):
    main(["index", str(seeds_copy), "--index", str(tmp_path / "idx")])
    capsys.readouterr()
    assert main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", "--index", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    # evidence first, the short answer marked inside the quote, then the answer
    assert out.startswith("[1] 003_064eea4f1c13281f.txt:7\n")
    assert "Affairs of Turkmenistan **Rashid Meredov** and the Sub-Regional" in out
    assert out.splitlines()[2] == "Answer: Rashid Meredov"


def test_search_lists_passages(seeds_copy, tmp_path, capsys):
    assert main(["search", "Rashid Meredov", "--docs", str(seeds_copy), "--index", str(tmp_path / "i"), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 4 and any("Meredov" in h["text"] for h in hits)


def test_eval_reports_every_metric(seeds_copy, tmp_path, capsys):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps({"id": "a", "question": "Who is the Minister of Foreign Affairs of Turkmenistan?",
                    "answers": ["Meredov"], "sources": ["003_064eea4f1c13281f.txt"], "answerable": True}) + "\n"
        + json.dumps({"id": "b", "question": "What is the capital of Kazakhstan?", "answers": [],
                      "sources": [], "answerable": False}) + "\n")
    assert main(["eval", str(qa), "--docs", str(seeds_copy), "--index", str(tmp_path / "i")]) == 0
    out = capsys.readouterr().out
    for key in ("answer_accuracy", "source_recall_at_4", "citation_precision", "abstention_unanswerable",
                "latency_p50_s", "latency_p95_s"):
        assert key in out
    assert re.search(r"answer_accuracy\s+100\.0%", out) and re.search(r"abstention_unanswerable\s+100\.0%", out)
    for key in ("retrieval_recall_at_1", "retrieval_recall_at_5", "retrieval_recall_at_10", "retrieval_mrr",
                "exact_match", "f1", "abstention_precision", "abstention_recall"):
        assert re.search(rf"^{key}\s+\S", out, re.M), key
    assert re.search(r"exact_match\s+0\.0%", out) and re.search(r"abstention_precision\s+100\.0%", out)
    # "Rashid Meredov" vs the expected "Meredov": contained, not exact; F1 = 2/3
    assert re.search(r"^f1\s+66\.7%", out, re.M)
    assert main(["eval", str(qa), "--docs", str(seeds_copy), "--index", str(tmp_path / "i"),
                 "--retrieval-only", "--json", "--mode", "lexical"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["mode"] == "lexical" and summary["answerable"] == 1
    assert summary["retrieval_recall_at_1"] == 1.0 and summary["retrieval_mrr"] == 1.0


def test_eval_split_scores_one_split_and_adds_the_new_figures(seeds_copy, tmp_path, capsys):
    minister = {"question": "Who is the Minister of Foreign Affairs of Turkmenistan?", "answers": ["Meredov"],
                "sources": ["003_064eea4f1c13281f.txt"]}
    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps(row) + "\n" for row in (
        {"id": "d1", **minister, "split": "dev"},
        {"id": "t1", **minister, "split": "test"},
        {"id": "t2", "question": "What is the capital of Kazakhstan?", "answerable": False, "split": "test"})))
    base = [str(qa), "--docs", str(seeds_copy), "--index", str(tmp_path / "i"), "--json"]
    assert main(["eval", *base, "--split", "test"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in out["results"]] == ["t1", "t2"] and out["summary"]["split"] == "test"
    summary = out["summary"]
    assert (summary["questions"], summary["answer_accuracy"], summary["wrong_answerable"]) == (2, 1.0, 0.0)
    assert summary["wrong_unanswerable"] == 0.0 and summary["kinds"]["abstained"] == 1
    assert sum(summary["kinds"].values()) == 2 and "evidence_at_1" in summary
    assert main(["eval", *base, "--split", "train"]) == 2
    assert "no question is in split 'train'; the splits present are: dev, test" in capsys.readouterr().err


def test_search_modes_rank_differently_and_report_both_scores(seeds_copy, tmp_path, capsys):
    base = ["--docs", str(seeds_copy), "--index", str(tmp_path / "i"), "--json", "--top-k", "3"]
    results = {}
    for mode in ("dense", "lexical", "hybrid"):
        assert main(["search", "Hajiyev Tashkent meeting", *base, "--mode", mode]) == 0
        results[mode] = json.loads(capsys.readouterr().out)["hits"]
        assert all(h["dense"] is not None for h in results[mode])
    assert all(h["lexical"] > 0 for h in results["lexical"])
    assert [h["score"] for h in results["dense"]] == [h["dense"] for h in results["dense"]]
    with pytest.raises(SystemExit):
        main(["search", "x", "--mode", "fuzzy"])


@pytest.mark.parametrize("argv,message", [
    (["index", "does-not-exist"], "does not exist"),
    (["ask", "   "], "empty"),
    (["eval", "missing.jsonl"], "does not exist"),
])
def test_bad_input_is_one_clear_line_and_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Some text.")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: error:") and message in err


def test_empty_folder_keeps_the_index(seeds_copy, tmp_path, capsys):
    main(["index", str(seeds_copy), "--index", str(tmp_path / "idx")])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["index", str(empty), "--index", str(tmp_path / "idx")]) == 2
    assert "holds no documents rag can read" in capsys.readouterr().err
    assert main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", "--index", str(tmp_path / "idx"),
                 "--no-update", "--json"]) == 0
    assert "Meredov" in json.loads(capsys.readouterr().out)["answer"]


def test_moved_documents_folder_is_an_error_not_a_silent_switch_to_seeds(seeds_copy, tmp_path, capsys, monkeypatch):
    idx = tmp_path / "idx"
    main(["index", str(seeds_copy), "--index", str(idx)])
    before = (idx / "manifest.json").read_bytes()
    seeds_copy.rename(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "other.txt").write_text("A different folder.")
    capsys.readouterr()
    assert main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", "--index", str(idx)]) == 2
    assert "no longer exists" in capsys.readouterr().err
    assert (idx / "manifest.json").read_bytes() == before


def test_index_path_that_is_a_file_and_a_garbled_manifest_are_one_line_errors(seeds_copy, tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["index", str(seeds_copy), "--index", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    idx = tmp_path / "idx"
    main(["index", str(seeds_copy), "--index", str(idx)])
    (idx / "manifest.json").write_text("[]")
    capsys.readouterr()
    assert main(["index", str(seeds_copy), "--index", str(idx)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: error:") and "--rebuild" in err
    assert main(["index", str(seeds_copy), "--index", str(idx), "--rebuild"]) == 0, "the advice given works"
    assert "rebuilt the index" in capsys.readouterr().out
    assert main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", "--index", str(idx)]) == 0


def test_unwritable_index_folder_is_a_clear_error(seeds_copy, tmp_path, capsys):
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    idx = tmp_path / "ro"
    idx.mkdir()
    idx.chmod(0o500)
    assert main(["index", str(seeds_copy), "--index", str(idx)]) == 2
    assert "rag: error:" in capsys.readouterr().err


def test_skipped_files_are_listed_once_and_not_again_on_ask(seeds_copy, tmp_path, capsys):
    (seeds_copy / "image.txt").write_bytes(b"\x89PNG\x00\x00")
    main(["index", str(seeds_copy), "--index", str(tmp_path / "idx")])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("image.txt") == 1
    main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", "--index", str(tmp_path / "idx")])
    assert "image.txt" not in capsys.readouterr().err


def test_top_k_below_one_names_the_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "Who?", "--top-k", "0"])
    assert exit_info.value.code == 2 and "--top-k 0" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["index", "ask", "search", "eval"])
def test_help_names_only_files_that_exist(command, capsys):
    from pathlib import Path

    with pytest.raises(SystemExit):
        real_main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    named = re.findall(r"[\w./-]+/[\w.-]+\.(?:jsonl|json|md|py|txt|sh)\b", text)
    root = Path(__file__).resolve().parent.parent
    assert [n for n in named if not (root / n).exists()] == []
    if command == "eval":
        assert "tests/data/seeds_qa.jsonl" in named
