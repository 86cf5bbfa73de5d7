"""Build the real-documents evaluation corpus (benchmarks/data/realdocs/) from text on this machine.

    python benchmarks/realdocs_corpus.py            # write the documents and the provenance file
    python benchmarks/realdocs_corpus.py --check    # report documents that would come out different

The documents are man pages rendered to plain text, README files from /usr/share/doc, and the
long descriptions (READMEs) of Python packages taken from their *.dist-info/METADATA. They are
committed, so the set stays the same on machines whose packages differ; this script says how
they were made and can make them again where the same packages are installed.

Man pages are rendered with `man` in the C locale as ASCII (so hyphens are '-'), 80 columns,
without hyphenation or justification, and stripped of overstrike with `col -bx`; groff still
breaks lines after the hyphen of a hyphenated word ("non-" / "optional"), so those words are
joined again (join_hyphenated). Anything longer
than MAX_CHARS is cut at the last blank line before that size (the provenance file says so).

Each document belongs to one split, dev or test (SOURCES below), and every question about it
takes that split: tuning on dev never sees a test document. The split, the origin, the package
version and the licence of each file go to benchmarks/data/realdocs-PROVENANCE.md, which sits
outside the corpus folder so it is not indexed.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "data" / "realdocs"
PROVENANCE = HERE / "data" / "realdocs-PROVENANCE.md"
SITE_PACKAGES = Path("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages")
MAX_CHARS = 60_000


@dataclass(frozen=True)
class Source:
    kind: str     # "man" (a man page), "doc" (a file under /usr/share/doc), "pypi" (package METADATA)
    name: str     # the man page, the path under /usr/share/doc, or the distribution name
    file: str     # the corpus file it becomes
    licence: str
    split: str    # "dev" or "test"


def man(name: str, licence: str, split: str) -> Source:
    return Source("man", name, f"man_{name}.txt", licence, split)


def doc(path: str, file: str, licence: str, split: str) -> Source:
    return Source("doc", path, file, licence, split)


def pypi(name: str, file: str, licence: str, split: str) -> Source:
    return Source("pypi", name, file, licence, split)


GPL3 = "GPL-3.0-or-later"
SOURCES = [
    man("tar", GPL3, "dev"), man("grep", GPL3, "test"),
    man("head", GPL3, "dev"), man("tail", GPL3, "test"),
    man("sort", GPL3, "dev"), man("uniq", GPL3, "test"),
    man("wc", GPL3, "test"), man("cut", GPL3, "dev"),
    man("ls", GPL3, "dev"), man("cp", GPL3, "test"),
    man("date", GPL3, "test"), man("du", GPL3, "dev"),
    man("df", GPL3, "test"), man("sed", GPL3, "dev"),
    man("seq", GPL3, "dev"), man("split", GPL3, "test"),
    man("timeout", GPL3, "dev"), man("tr", GPL3, "test"),
    man("diff", GPL3, "test"), man("make", GPL3, "dev"),
    man("gzip", GPL3, "dev"), man("bzip2", "BSD-style (bzip2 licence)", "test"),
    man("xz", "public domain", "dev"), man("zstd", "BSD-3-Clause or GPL-2.0", "test"),
    man("lz4", "BSD-2-Clause (Debian copyright, Files: *)", "dev"),
    man("jq", "MIT (jq docs: CC-BY-3.0)", "test"),
    man("curl", "curl licence (MIT-style)", "dev"),
    man("sqlite3", "public domain", "test"),
    man("ssh", "OpenSSH licence (BSD-style)", "test"),
    man("ssh-keygen", "OpenSSH licence (BSD-style)", "dev"),
    man("xxd", "MIT or GPL-2.0 (src/xxd)", "dev"),
    man("file", "BSD-2-Clause-style", "test"),
    man("column", "BSD-4-Clause-UC (util-linux text-utils/column.c)", "dev"),
    doc("xz-utils/README.gz", "readme_xz-utils.txt", "public domain", "test"),
    doc("libsodium23/README.markdown", "readme_libsodium.md", "ISC", "dev"),
    doc("libjansson4/README.rst", "readme_jansson.txt", "MIT (Expat)", "test"),
    doc("libxml2/README.md", "readme_libxml2.md", "MIT", "dev"),
    doc("zlib1g-dev/README.gz", "readme_zlib.txt", "Zlib", "test"),
    doc("tmux/README", "readme_tmux.txt", "ISC", "dev"),
    doc("libffi8/README.md.gz", "readme_libffi.md", "MIT (Expat)", "test"),
    doc("libjpeg62-turbo-dev/README.md.gz", "readme_libjpeg-turbo.md",
        "BSD-style (libjpeg-turbo: IJG, BSD-3-Clause, Zlib)", "dev"),
    pypi("requests", "readme_requests.md", "Apache-2.0", "test"),
    pypi("urllib3", "readme_urllib3.md", "MIT", "dev"),
    pypi("attrs", "readme_attrs.md", "MIT", "test"),
    pypi("jmespath", "readme_jmespath.txt", "MIT", "dev"),
    pypi("sortedcontainers", "readme_sortedcontainers.txt", "Apache-2.0", "test"),
    pypi("python-dotenv", "readme_python-dotenv.md", "BSD-3-Clause", "dev"),
    pypi("xmltodict", "readme_xmltodict.md", "MIT", "test"),
    pypi("idna", "readme_idna.txt", "BSD-3-Clause", "dev"),
    pypi("python-dateutil", "readme_python-dateutil.txt", "Apache-2.0 and BSD-3-Clause", "test"),
    pypi("pycparser", "readme_pycparser.txt", "BSD-3-Clause", "dev"),
    pypi("decorator", "readme_decorator.txt", "BSD-2-Clause", "test"),
]


def run(args: list[str], stdin: str | None = None) -> str:
    env = dict(os.environ, LC_ALL="C", LANG="C", MANWIDTH="80", MAN_KEEP_FORMATTING="")
    return subprocess.run(args, input=stdin, capture_output=True, text=True, env=env,
                          check=True).stdout


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip("\n") + "\n"


def trim(text: str, limit: int = MAX_CHARS) -> str:
    """The text up to the last blank line before `limit` characters (all of it if shorter)."""
    if len(text) <= limit:
        return text
    return text[: text.rfind("\n\n", 0, limit)].rstrip("\n") + "\n"


def join_hyphenated(text: str) -> str:
    """Undo line breaks after the hyphen of a hyphenated word ("--ftp-" + newline + "create-dirs").

    >>> join_hyphenated("try --ftp-\\n       create-dirs.")
    'try --ftp-create-dirs.'
    """
    return re.sub(r"(?<=[A-Za-z0-9])-\n[ \t]+(?=[A-Za-z])", "-", text)


def man_text(name: str) -> tuple[str, str]:
    path = run(["man", "-w", name]).strip()
    rendered = run(["man", "--no-hyphenation", "--no-justification", "-E", "ascii", "-P", "cat",
                    name])
    return join_hyphenated(run(["col", "-bx"], stdin=rendered)), path


def doc_text(relative: str) -> tuple[str, str]:
    path = Path("/usr/share/doc") / relative
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8"), str(path)


def pypi_text(name: str, site: Path) -> tuple[str, str, str]:
    dist = next((d for d in metadata.distributions(path=[str(site)])
                 if d.metadata["Name"].lower() == name.lower()), None)
    if dist is None:
        raise SystemExit(f"{name} is not installed in {site}; pass --site-packages")
    meta = dist.metadata
    body = meta.get_payload() or ""
    if not body.strip():  # older metadata keeps the description in a header, indented
        body = re.sub(r"\n {8}\|?", "\n", meta.get("Description", ""))
    where = f"{site.name}/{Path(dist._path).name}/METADATA"  # noqa: SLF001 (no public path)
    return body, where, meta["Version"]


def debian_package(path: str) -> str:
    """'package version' of the Debian package that installed `path`."""
    package = run(["dpkg-query", "-S", os.path.realpath(path)]).split(":")[0]
    version = run(["dpkg-query", "-W", "-f=${Version}", package])
    return f"Debian {package} {version}"


def render(source: Source, site: Path) -> tuple[str, str, str]:
    """(document text, where it came from, which package and version)."""
    if source.kind == "pypi":
        text, where, version = pypi_text(source.name, site)
        return text, where, f"PyPI {source.name} {version}"
    text, where = man_text(source.name) if source.kind == "man" else doc_text(source.name)
    return text, where, debian_package(where)


def provenance(rows: list[tuple[Source, str, str, int, int]]) -> str:
    lines = ["# Provenance of benchmarks/data/realdocs/", "",
             "Made by `python benchmarks/realdocs_corpus.py` (see its docstring for how); "
             "questions are in `realdocs_qa.jsonl`.",
             "Split rule: every question about a document takes that document's split.", "",
             "| file | split | from | package | licence | size |",
             "| --- | --- | --- | --- | --- | --- |"]
    for source, where, package, size, full in rows:
        cut = f"{size} chars (first part of {full})" if size < full else f"{size} chars"
        lines.append(f"| {source.file} | {source.split} | `{where}` | {package} | "
                     f"{source.licence} | {cut} |")
    return "\n".join(lines) + "\n"


def build(site: Path) -> dict[Path, str]:
    """Every file this script writes, with its text."""
    files, rows = {}, []
    for source in SOURCES:
        text, where, package = render(source, site)
        full = tidy(text)
        kept = trim(full)
        files[CORPUS / source.file] = kept
        rows.append((source, where, package, len(kept), len(full)))
    files[PROVENANCE] = provenance(rows)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list files that would change")
    parser.add_argument("--site-packages", type=Path, default=SITE_PACKAGES,
                        help="where the Python packages' *.dist-info folders are")
    args = parser.parse_args()
    files = build(args.site_packages)
    if args.check:
        changed = [p for p, text in files.items()
                   if not p.is_file() or p.read_text(encoding="utf-8") != text]
        extra = sorted(set(CORPUS.glob("*")) - set(files))
        for path in changed:
            print(f"differs: {path.relative_to(HERE)}")
        for path in extra:
            print(f"not made by this script: {path.relative_to(HERE)}")
        raise SystemExit(1 if changed or extra else 0)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    total = sum(len(t.encode()) for p, t in files.items() if p.parent == CORPUS)
    print(f"{len(files) - 1} documents, {total:,} bytes, in {CORPUS}")


if __name__ == "__main__":
    main()
