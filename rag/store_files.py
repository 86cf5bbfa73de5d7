"""The index folder on disk: generations of data files, atomic writes, orphan cleanup, the lock.

Layout of an index folder:

    manifest.json          what the index holds (see manifest.py), including the names
                           and sha256 of the three data files below
    vectors-<gen>.faiss    FAISS IndexIDMap2 over IndexFlatIP (cosine on unit vectors)
    chunks-<gen>.json      the chunks: text, source, character and line spans
    lexical-<gen>.npz      the BM25 terms of each chunk (see lexical.py)
    .lock                  held by the one process writing the folder

Saving writes a new generation of data files, then replaces manifest.json atomically
(temporary file + fsync + rename), then deletes the older generation. A crash at any point
leaves a manifest that names complete files, so the previous index stays loadable; a save
that fails removes the files it wrote. Opening the folder for writing (`write_lock`) checks
that it can be written, before any embedding work, and removes orphans: data files the
manifest does not name and temporary files, which killed runs leave behind.

Every write failure (a full disk or a read-only folder: an OSError, or FAISS's
RuntimeError) becomes one IndexStoreError naming the folder, the cause and the fix. This
module knows nothing of FAISS, chunks or models: it is given bytes, and a function that
writes the vectors file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from .errors import IndexCorruptError, IndexLockedError, IndexStoreError
from .manifest import DATA_KINDS, FORMAT_VERSION, MANIFEST, Manifest, data_file_generation, data_file_name

LOCK = ".lock"
WRITE_CHECK = ".write-check"  # written and removed by check_writable

# The points a writer passes, in order. `save_checkpoint` is None in normal use; the
# reliability campaign (docs/reliability.md) sets it in a child to kill it at each point.
SAVE_CHECKPOINTS = ("lock-taken", "orphans-removed",
                    *(f"{kind}-{step}" for kind in (*DATA_KINDS, "manifest") for step in ("tmp-written", "renamed")),
                    "old-generation-removed")
save_checkpoint: Callable[[str], None] | None = None


def _checkpoint(name: str) -> None:
    if save_checkpoint is not None:
        save_checkpoint(name)


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


def recorded_docs_folder(folder: str | os.PathLike) -> str | None:
    """The documents folder a saved index was built from, or None (no index, or unreadable)."""
    try:
        docs = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8")).get("docs_folder")
        return docs if isinstance(docs, str) and docs else None
    except (OSError, ValueError, AttributeError):
        return None


# ---- writing ----------------------------------------------------------------------------

def write_generation(folder: Path, manifest: Manifest, write_vectors: Callable[[str], None],
                     chunks_data: bytes, lexical_data: bytes) -> Manifest:
    """Write a new generation and switch the manifest to it; returns the manifest now on disk.

    `write_vectors(path)` writes the vectors file at `path`. If anything fails, the files
    written so far are removed, the previous generation stays the live one, and the cause
    is raised as an IndexStoreError.
    """
    ensure_folder(folder)
    # Never reuse a generation number found on disk: a rebuild (which starts from an
    # empty store) must not overwrite the files the current manifest names.
    gen = max([manifest.generation, *generations_on_disk(folder)]) + 1
    names = {kind: data_file_name(kind, gen) for kind in DATA_KINDS}
    ours = [folder / name for name in names.values()]
    ours += [path.with_name(path.name + ".tmp") for path in [*ours, folder / MANIFEST]]
    try:
        tmp = folder / (names["vectors"] + ".tmp")
        write_vectors(str(tmp))
        _checkpoint("vectors-tmp-written")
        _fsync_and_rename(tmp, folder / names["vectors"])
        _checkpoint("vectors-renamed")
        _write_atomic(folder / names["chunks"], chunks_data, "chunks")
        _write_atomic(folder / names["lexical"], lexical_data, "lexical")
        saved = dataclasses.replace(
            manifest,
            format_version=FORMAT_VERSION,
            generation=gen,
            vectors_file=names["vectors"],
            vectors_sha256=sha256_file(folder / names["vectors"]),
            chunks_file=names["chunks"],
            chunks_sha256=hashlib.sha256(chunks_data).hexdigest(),
            lexical_file=names["lexical"],
            lexical_sha256=hashlib.sha256(lexical_data).hexdigest(),
            updated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        if (folder / MANIFEST).is_dir():  # damage in the way of the switch; a rebuild clears it
            _remove(folder / MANIFEST)
        _write_atomic(folder / MANIFEST, saved.to_json().encode(), "manifest")
    except (OSError, RuntimeError) as exc:  # RuntimeError: how FAISS fails to write
        # Files a failed save leaves would eat the space a retry needs (a full disk stays
        # full): remove them. None is named by the manifest, which still names the old ones.
        for path in ours:
            _remove(path)
        raise write_error(folder, exc) from exc
    # Only now that the manifest names the new files: the older generation is an orphan.
    remove_orphans(folder, keep=set(names.values()))
    _checkpoint("old-generation-removed")
    return saved


def remove_orphans(folder: Path, keep: set[str] | None = None) -> list[str]:
    """Remove the data files of generations other than the live one, and temporary files.

    `keep`: the live data files; by default those the manifest on disk names. While that
    manifest is unreadable only temporary files go: its data may still be wanted, and a
    rebuild (which writes a new manifest) clears them. Returns the names removed.
    """
    keep_all_data = False
    if keep is None:
        try:
            manifest = read_manifest(folder)
        except IndexStoreError:  # damaged, or of a newer format: not ours to judge
            manifest, keep_all_data = None, True
        keep = {name for name, _ in manifest.data_files()} if manifest else set()
    removed = []
    for path in sorted(folder.iterdir()):
        name = path.name
        stem = name.removesuffix(".tmp")
        temporary = name == WRITE_CHECK or name.endswith(".tmp") and (
            data_file_generation(stem) is not None or stem in (MANIFEST, WRITE_CHECK))
        orphan = data_file_generation(name) is not None and name not in keep and not keep_all_data
        if (temporary or orphan) and _remove(path):
            removed.append(name)
    return removed


def _remove(path: Path) -> bool:
    """Remove a file of ours, or an empty folder where one should be; never anything else."""
    try:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    except OSError:
        return False
    return True


def generations_on_disk(folder: Path) -> list[int]:
    found = (data_file_generation(p.name) for p in folder.iterdir()) if folder.is_dir() else ()
    return [gen for gen in found if gen is not None]


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise IndexStoreError(_not_a_folder(folder)) from None
    except OSError as exc:
        raise write_error(folder, exc) from exc


def check_writable(folder: Path) -> None:
    """Write and remove a small file, so that a read-only folder or a full disk fails
    here, before any embedding work, rather than at the end of it. (No fsync: it would
    cost every question a disk flush, and a full disk refuses the write itself.)"""
    probe = folder / WRITE_CHECK
    try:
        with open(probe, "wb") as handle:
            handle.write(b"rag checks that it can write here\n")
        probe.unlink()
    except OSError as exc:
        _remove(probe)
        raise write_error(folder, exc) from exc


@contextlib.contextmanager
def write_lock(folder: str | os.PathLike):
    """Hold an exclusive lock on an index folder while writing it; fail fast if taken.

    Every writer starts here, so under the lock the folder is checked to be writable and
    cleared of orphans that killed or failed runs left behind.
    """
    import fcntl

    folder = Path(folder)
    ensure_folder(folder)
    try:
        handle = open(folder / LOCK, "w")
    except OSError as exc:
        raise write_error(folder, exc) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another rag process is writing the index in {folder}; wait for it to finish"
            ) from None
        try:
            _checkpoint("lock-taken")
            check_writable(folder)
            remove_orphans(folder)
            _checkpoint("orphans-removed")
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_error(folder: Path, exc: BaseException) -> IndexStoreError:
    """One IndexStoreError for any failure to write the index, naming the cause and the fix.

    >>> print(write_error(Path("idx"), OSError(28, "No space left on device", "idx/x")))
    can't save the index in idx: No space left on device (idx/x); free some space on that disk (a save needs room for a new copy of the index next to the current one) and run the command again
    """
    code = getattr(exc, "errno", None)
    detail = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
    if isinstance(exc, OSError) and exc.filename:
        detail += f" ({exc.filename})"
    lowered = detail.lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "no space left" in lowered or "quota" in lowered:
        return IndexStoreError(
            f"can't save the index in {folder}: {detail}; free some space on that disk (a "
            f"save needs room for a new copy of the index next to the current one) and run "
            f"the command again")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "read-only" in lowered or "permission" in lowered:
        return IndexStoreError(
            f"can't write the index folder {folder} ({detail}): it is read-only or not yours; "
            f"make it writable or pass another folder with --index (to ask from the index as "
            f"it is: --no-update)")
    return IndexStoreError(f"can't save the index in {folder}: {detail}; check that folder and "
                           f"its disk, then run the command again")


def _not_a_folder(folder: Path) -> str:
    return f"index path {folder} is a file, not a folder; pass a folder with --index"


def _write_atomic(path: Path, data: bytes, kind: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    _checkpoint(f"{kind}-tmp-written")
    _fsync_and_rename(tmp, path)
    _checkpoint(f"{kind}-renamed")


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
