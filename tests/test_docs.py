"""Every code block in README.md and docs/*.md runs as written.

- ```python blocks run, each in a fresh Python process, in a scratch folder holding a copy
  of seeds/ (slow: they load the real models).
- ```bash blocks: every command's flags must be ones its --help lists (the `rag`
  subcommands, app_gradio.py, benchmarks/*.py, `python -m MODULE`, scripts/check); a bash
  script without --help (scripts/setup.sh, scripts/build_llama.sh) must read the flag
  itself. Files they name must exist. The README's `rag` commands also run (slow).
- ```text blocks are output, shown as it was; they are not run.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```", re.M | re.S)
# Programs the docs may call that are not ours: only their file arguments are checked
OTHERS = {".venv/bin/pip", "pip", "cd", "ls", "cat", "curl", "docker"}
# Paths a command may name that a clone does not have yet (made by set-up or a benchmark)
MADE_LATER = ("../", "/", "benchmarks/results", "index", "models/gemma")


def blocks(language: str) -> list[tuple[str, str]]:
    """(where, body) of each fenced block in that language, where = "FILE:LINE"."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def commands(body: str) -> list[list[str]]:
    """The simple commands of a shell block: continuation lines joined, comments dropped,
    split at && ; and |, environment assignments in front removed."""
    out = []
    for line in body.replace("\\\n", " ").splitlines():
        words, current = shlex.split(line, comments=True), []
        for word in [*words, "&&"]:
            if word in ("&&", ";", "|", "||"):
                while current and re.fullmatch(r"[A-Z_]+=.*", current[0]):
                    current.pop(0)
                if current:
                    out.append(current)
                current = []
            else:
                current.append(word)
    return out


@cache
def help_text(*program: str) -> str:
    done = subprocess.run([*program, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, f"{' '.join(program)} --help failed:\n{done.stderr}"
    return done.stdout


def usage(command: list[str]) -> tuple[str | None, list[str]]:
    """What the command's flags are checked against, and its arguments after the program."""
    program, rest = command[0], command[1:]
    if program in (".venv/bin/rag", "rag"):
        return help_text(sys.executable, "-m", "rag.cli", rest[0]), rest[1:]
    if program in (".venv/bin/python", "python", "python3") and rest[0] == "-m":
        return help_text(sys.executable, "-m", rest[1]), rest[2:]
    if program in (".venv/bin/python", "python", "python3"):
        assert (ROOT / rest[0]).is_file(), f"{rest[0]} does not exist"
        return help_text(sys.executable, rest[0]), rest[1:]
    if program == "bash":
        assert (ROOT / rest[0]).is_file(), f"{rest[0]} does not exist"
        return (ROOT / rest[0]).read_text(encoding="utf-8"), rest[1:]
    if program.startswith("scripts/"):
        return help_text(str(ROOT / program)), rest
    assert program in OTHERS, f"{program}: a program the docs test doesn't know; add it to OTHERS or usage()"
    return None, rest


@pytest.mark.parametrize("where,body", blocks("bash"), ids=lambda v: v if ":" in str(v) else "")
def test_shell_commands_use_flags_their_help_lists_and_files_that_exist(where, body):
    for command in commands(body):
        text, arguments = usage(command)
        for argument in arguments:
            assert not re.match(r"[\[<]|[A-Z]{3,}$", argument), f"{where}: {argument!r} is a placeholder, not a value"
            if argument.startswith("-") and len(argument) > 1 and text is not None:
                flag = argument.split("=", 1)[0]
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), \
                    f"{where}: {flag} is not an option of {' '.join(command[:2])}"
            elif re.fullmatch(r"[\w.-]+(?:/[\w.-]+)+\.(?:py|sh|jsonl|json|md|txt)", argument) \
                    and not argument.startswith(MADE_LATER):
                assert (ROOT / argument).exists(), f"{where}: {argument} does not exist"


def test_every_block_says_what_it_is():
    languages = {m.group(1) for page in PAGES for m in FENCE.finditer(page.read_text(encoding="utf-8"))}
    assert languages <= {"python", "bash", "text"}, "mark output as ```text, commands as ```bash"


def test_the_readme_fits_on_a_page_and_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= 15_000
    first, second = [body.strip() for _where, body in blocks("bash")[:2]]
    assert first == "bash scripts/setup.sh && .venv/bin/python app_gradio.py"
    assert second == "bash scripts/setup.sh --test && .venv/bin/python -m pytest -q"
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8"), "CI runs the README's test command"
    picture = re.search(r"!\[[^\]]*\]\((docs/[\w.-]+\.png)\)", readme)
    assert picture and (ROOT / picture.group(1)).stat().st_size < 200_000


def test_the_readme_links_to_files_that_exist():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith("http"):
                assert (page.parent / target).exists(), f"{page.name} links to {target}"


@pytest.fixture
def scratch(tmp_path) -> Path:
    """A folder like a fresh checkout's, for examples that write an index: seeds/ and the seed questions."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "seeds_qa.jsonl", tmp_path / "tests" / "data")
    return tmp_path


# What a block's output must hold, by a line of the block: the comments promise these
PROMISED = {'print(answer.short_answer)': ["Rashid Meredov", "short"],
            'print(added[0].message)': ["added as todo.md", "['todo.md']"]}


@pytest.mark.slow
@pytest.mark.parametrize("where,body", blocks("python"), ids=lambda v: v if ":" in str(v) else "")
def test_python_blocks_run_as_written(where, body, scratch):
    done = subprocess.run([sys.executable, "-c", body], cwd=scratch, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-3000:]}"
    for line, outputs in PROMISED.items():
        if line in body:
            assert all(o in done.stdout for o in outputs), f"{where} printed:\n{done.stdout}"


@pytest.mark.slow
def test_the_readmes_rag_commands_run(scratch):
    readme = [c for where, body in blocks("bash") if where.startswith("README") for c in commands(body)]
    rag = [c[1:] for c in readme if c[0] == ".venv/bin/rag"]
    assert len(rag) >= 4
    for arguments in rag:
        done = subprocess.run([sys.executable, "-m", "rag.cli", *arguments], cwd=scratch, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, f"rag {' '.join(arguments)}:\n{done.stderr[-2000:]}"
        assert done.stdout.strip(), f"rag {' '.join(arguments)} printed nothing"
