"""The index folder on disk: generations of data files, atomic writes, the lock.

Layout of an index folder:

    manifest.json          what the index holds (see manifest.py), including the names
                           and sha256 of the three data files below
    vectors-<gen>.faiss    FAISS IndexIDMap2 over IndexFlatIP (cosine on unit vectors)
    chunks-<gen>.json      the chunks: text, source, character and line spans
    lexical-<gen>.npz      the BM25 terms of each chunk (see lexical.py)
    .lock                  held by the one process writing the folder

Saving writes a new generation of data files, then replaces manifest.json atomically
(temporary file + fsync + rename), then deletes the older generation. A crash at any point
leaves a manifest that names complete files, so the previous index stays loadable.
This module knows nothing of FAISS, chunks or models: it is given bytes, and a function
that writes the vectors file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from .errors import IndexCorruptError, IndexLockedError, IndexStoreError
from .manifest import DATA_KINDS, FORMAT_VERSION, MANIFEST, Manifest

LOCK = ".lock"


def rebuild_hint(folder: Path) -> str:
    return f"rebuild it with: rag index DOCS --index {folder} --rebuild"


# ---- reading ----------------------------------------------------------------------------

def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, None if there is none yet; damage is an IndexCorruptError."""
    if folder.exists() and not folder.is_dir():
        raise IndexCorruptError(_not_a_folder(folder))
    path = folder / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # a folder named manifest.json, bytes that are not UTF-8
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {rebuild_hint(folder)}") from exc
    try:
        return Manifest.from_json(text)
    except IndexCorruptError as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {rebuild_hint(folder)}") from exc


def verified_data_files(folder: Path, manifest: Manifest) -> dict[str, Path]:
    """kind -> path of each data file the manifest names, each checked against its sha256."""
    paths = {}
    for kind, (name, digest) in zip(DATA_KINDS, manifest.data_files()):
        path = folder / name
        if not name or not path.is_file():
            raise IndexCorruptError(f"index file {path} is missing; {rebuild_hint(folder)}")
        try:
            matches = sha256_file(path) == digest
        except OSError as exc:
            raise IndexCorruptError(f"index file {path} is unreadable ({exc.strerror}); "
                                    f"{rebuild_hint(folder)}") from exc
        if not matches:
            raise IndexCorruptError(f"index file {path} does not match its checksum; {rebuild_hint(folder)}")
        paths[kind] = path
    return paths


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def recorded_docs_folder(folder: str | os.PathLike) -> str | None:
    """The documents folder a saved index was built from, or None (no index, or unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        folder = data.get("docs_folder")
        return folder if isinstance(folder, str) and folder else None
    except (OSError, ValueError, AttributeError):
        return None


# ---- writing ----------------------------------------------------------------------------

def write_generation(folder: Path, manifest: Manifest, write_vectors: Callable[[str], None],
                     chunks_data: bytes, lexical_data: bytes) -> Manifest:
    """Write a new generation and switch the manifest to it; returns the manifest now on disk.

    `write_vectors(path)` writes the vectors file at `path`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    # Never reuse a generation number found on disk: a rebuild (which starts from an
    # empty store) must not overwrite the files the current manifest names.
    gen = max([manifest.generation, *_generations_on_disk(folder)]) + 1
    vectors_file, chunks_file = f"vectors-{gen}.faiss", f"chunks-{gen}.json"
    lexical_file = f"lexical-{gen}.npz"

    tmp = folder / (vectors_file + ".tmp")
    write_vectors(str(tmp))
    _fsync_and_rename(tmp, folder / vectors_file)
    _write_atomic(folder / chunks_file, chunks_data)
    _write_atomic(folder / lexical_file, lexical_data)

    saved = dataclasses.replace(
        manifest,
        format_version=FORMAT_VERSION,
        generation=gen,
        vectors_file=vectors_file,
        vectors_sha256=sha256_file(folder / vectors_file),
        chunks_file=chunks_file,
        chunks_sha256=sha256_file(folder / chunks_file),
        lexical_file=lexical_file,
        lexical_sha256=sha256_file(folder / lexical_file),
        updated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    if (folder / MANIFEST).is_dir():  # damage in the way of the switch; a rebuild clears it
        _remove(folder / MANIFEST)
    _write_atomic(folder / MANIFEST, saved.to_json().encode())
    # Only now that the manifest names the new files: remove older generations and
    # anything a crashed save left behind.
    for path in [*_generation_files(folder), *folder.glob("*.tmp")]:
        if path.name not in (vectors_file, chunks_file, lexical_file):
            _remove(path)
    return saved


def _remove(path: Path) -> None:
    """Remove a file of ours, or an empty folder where one should be; never anything else."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()


@contextlib.contextmanager
def write_lock(folder: str | os.PathLike):
    """Hold an exclusive lock on an index folder while writing it; fail fast if taken."""
    import fcntl

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise IndexStoreError(_not_a_folder(folder)) from None
    except OSError as exc:
        raise IndexStoreError(f"can't create the index folder {folder}: {exc.strerror}") from None
    with open(folder / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another rag process is writing the index in {folder}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generation_files(folder: Path) -> list[Path]:
    return [*folder.glob("vectors-*.faiss"), *folder.glob("chunks-*.json"), *folder.glob("lexical-*.npz")]


def _generations_on_disk(folder: Path) -> list[int]:
    found = []
    for path in _generation_files(folder):
        number = path.stem.split("-", 1)[1]
        if number.isdigit():
            found.append(int(number))
    return found


def _not_a_folder(folder: Path) -> str:
    return f"index path {folder} is a file, not a folder; pass a folder with --index"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    _fsync_and_rename(tmp, path)


def _fsync_and_rename(tmp: Path, path: Path) -> None:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
