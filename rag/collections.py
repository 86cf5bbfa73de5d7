"""Named collections: several indexes, each with its own documents folder. No models here.

The collection named `default` is the usual index: its folder is whatever `--index` says
(`index` unless told), its documents the usual rule (opening.documents_folder). Any other
collection NAME keeps its index in `<root>/NAME/`, where the root is $RAG_COLLECTIONS_DIR,
else `collections` (relative to the working directory, like `index`). Its documents folder
is the one recorded in its manifest when it was first built with a documents folder
(`rag index DOCS --collection NAME`), the same record the default index keeps.

This module names folders, checks names and lists what is on disk by reading manifests
only; it never loads a model or an index (pipeline.py opens one).
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import CollectionError, RagError
from .manifest import MANIFEST
from .store_files import read_manifest, recorded_docs_folder

DEFAULT = "default"  # the collection whose index is --index
DEFAULT_INDEX = "index"  # the default collection's index folder when --index is not given
DEFAULT_ROOT = "collections"  # where named collections live, unless ROOT_ENV says
ROOT_ENV = "RAG_COLLECTIONS_DIR"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_name(name) -> str:
    """`name` if it can name a collection (a folder of its own, never a path); else an error.

    >>> check_name("notes-2024.v1")
    'notes-2024.v1'
    >>> check_name("../x")
    Traceback (most recent call last):
    rag.errors.CollectionError: collection name '../x' can't be used: a name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit (e.g. --collection notes)
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CollectionError(
            f"collection name {name!r} can't be used: a name is 1 to 64 letters, digits, '_', '.' "
            f"or '-', starting with a letter or digit (e.g. --collection notes)")
    return name


def collections_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the named collections: `root`, else $RAG_COLLECTIONS_DIR, else collections."""
    return Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def collection_index(collection: str | None, index: str | os.PathLike = DEFAULT_INDEX,
                     root: str | os.PathLike | None = None) -> tuple[str, Path]:
    """(name, index folder) of a collection; None is the default one, in `index`.

    An `index` other than the default that is not the named collection's own folder is an
    error: the two would disagree about which index to use.

    >>> collection_index(None, "idx")
    ('default', PosixPath('idx'))
    >>> collection_index("notes", root="/data/collections")
    ('notes', PosixPath('/data/collections/notes'))
    >>> collection_index("notes", "idx", root="/data/collections")
    Traceback (most recent call last):
    rag.errors.CollectionError: collection 'notes' keeps its index in /data/collections/notes, but --index says idx; give one of the two
    """
    if collection is None or collection == DEFAULT:
        return DEFAULT, Path(index)
    name = check_name(collection)
    folder = collections_root(root) / name
    if Path(index) != Path(DEFAULT_INDEX) and Path(index).resolve() != folder.resolve():
        raise CollectionError(f"collection {name!r} keeps its index in {folder}, but --index says "
                              f"{index}; give one of the two")
    return name, folder


def check_exists(name: str, folder: Path) -> None:
    """A named collection must have been built before it is opened without a documents folder."""
    if name == DEFAULT or recorded_docs_folder(folder) is not None:
        return
    if (folder / MANIFEST).exists():
        raise CollectionError(
            f"collection {name!r} ({folder}) records no documents folder (its manifest is damaged); "
            f"pass the folder with --docs DIR, or rebuild it with: rag index DOCS --collection {name} --rebuild")
    raise CollectionError(f"collection {name!r} doesn't exist yet; create it with: rag index DOCS --collection {name}")


@dataclass(frozen=True)
class CollectionInfo:
    """One collection as `rag collections` lists it; `problem` says what keeps it from being used."""

    name: str
    index: Path
    docs: str | None  # the documents folder it answers from; None: not known
    files: int = 0
    chunks: int = 0
    updated_at: str | None = None  # when its index was last saved; None: never
    problem: str | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "index": str(self.index)}


def collection_info(name: str, folder: Path) -> CollectionInfo:
    """What the manifest in `folder` says of the collection; damage becomes its `problem`."""
    try:
        manifest = read_manifest(folder)
    except RagError as exc:  # damaged, or written by a newer rag: listed, not fatal
        return CollectionInfo(name, folder, recorded_docs_folder(folder), problem=str(exc))
    if manifest is None:
        if name == DEFAULT:  # built from seeds/ at its first use
            return CollectionInfo(name, folder, "seeds")
        return CollectionInfo(name, folder, None, problem=f"it holds no index yet; build it with: "
                                                          f"rag index DOCS --collection {name}")
    docs = manifest.docs_folder or None
    problem = None
    if docs and not Path(docs).is_dir():
        fix = f" --collection {name}" if name != DEFAULT else f" --index {folder}"
        problem = (f"its documents folder {docs} no longer exists; point it at where they are now: "
                   f"rag index DIR{fix}")
    chunks = sum(len(entry.chunk_ids) for entry in manifest.files.values())
    return CollectionInfo(name, folder, docs, len(manifest.files), chunks, manifest.updated_at or None, problem)


def list_collections(index: str | os.PathLike = DEFAULT_INDEX,
                     root: str | os.PathLike | None = None) -> list[CollectionInfo]:
    """Every collection: the default (in `index`) first, then the named ones by name.

    A named collection is a folder of the root with a valid name; its manifest is read,
    never its index, and never a model.
    """
    found = [collection_info(DEFAULT, Path(index))]
    folder = collections_root(root)
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:  # an unreadable root lists no named collection, rather than failing
        entries = []
    default = Path(index).resolve()
    for entry in entries:
        if _NAME.fullmatch(entry.name) and entry.name != DEFAULT and entry.is_dir() \
                and entry.resolve() != default:
            found.append(collection_info(entry.name, entry))
    return found


def format_collections(infos: list[CollectionInfo]) -> list[str]:
    """The lines `rag collections` prints: one a collection, in columns.

    >>> for line in format_collections([CollectionInfo("default", Path("index"), "/d/seeds", 2, 9, "2025-01-02T03:04:05+0000"),
    ...                                 CollectionInfo("work", Path("collections/work"), None, problem="it holds no index yet")]):
    ...     print(line)
    NAME     FILES  CHUNKS  UPDATED                   DOCUMENTS
    default      2       9  2025-01-02T03:04:05+0000  /d/seeds
    work         0       0  -                         - (problem: it holds no index yet)
    """
    width = max(len("NAME"), *(len(i.name) for i in infos))
    lines = [f"{'NAME':<{width}}  FILES  CHUNKS  {'UPDATED':<24}  DOCUMENTS"]
    for i in infos:
        docs = (i.docs or "-") + (f" (problem: {i.problem})" if i.problem else "")
        lines.append(f"{i.name:<{width}}  {i.files:>5}  {i.chunks:>6}  {i.updated_at or '-':<24}  {docs}")
    return lines
