"""Where archive bundles are kept: a small interface, so an S3-compatible object store can be
added beside the folder store without touching the job."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from records.errors import NotFound

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# Files written or deleted at once: each waits on the disk (a flush, a directory update),
# not on Python, so a batch's go faster side by side (an object store would do the same
# with concurrent requests).
_AT_ONCE = 8
# Emptied files kept for reuse (see FolderArchiveStore): a few batches' worth.
_SPARES_KEPT = 4000


class ArchiveStore(Protocol):
    """Bundles by key. `put` replaces; `delete` says whether there was one. The `_many`
    forms do the same for a batch (the retention job's), each bundle on its own."""

    def put(self, key: str, data: bytes) -> None: ...
    def put_many(self, bundles: dict[str, bytes]) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> bool: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...


class FolderArchiveStore:
    """One file per bundle in a folder. Writes go to a temporary file, are flushed to disk
    and renamed into place, so a bundle is whole or absent, never half-written.

    A deleted bundle's file is emptied (its bytes freed, as by unlinking it) and moved to
    `.spare/`; the next bundle written takes it instead of creating a file. Creating a file
    costs far more than reusing one on some filesystems (on the bench machine's ext4, about
    0.6 ms of kernel time to allocate an inode against 0.02 ms to open an existing file), and
    the retention job deletes about as many bundles as it writes. A spare holds nothing."""

    def __init__(self, folder: Path, *, spares_kept: int = _SPARES_KEPT) -> None:
        self.folder = folder
        self.spares = folder / ".spare"
        self.spares.mkdir(parents=True, exist_ok=True)
        self._spares_kept = spares_kept

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError("archive keys are letters, digits, dots, hyphens, underscores")
        return self.folder / key

    def put(self, key: str, data: bytes) -> None:
        self.put_many({key: data})

    def put_many(self, bundles: dict[str, bytes]) -> None:
        """Each bundle written and flushed to disk, then renamed into place; the folder is
        flushed once at the end, so the renames survive a power cut too."""
        paths = {self._path(key): data for key, data in bundles.items()}
        spares = self._spare_files(len(paths))
        spares += [None] * (len(paths) - len(spares))
        with ThreadPoolExecutor(min(_AT_ONCE, len(paths) or 1)) as pool:
            list(pool.map(_write, paths.keys(), paths.values(), spares))
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def _spare_files(self, wanted: int) -> list[Path | None]:
        with os.scandir(self.spares) as entries:
            return [Path(entry.path) for _, entry in zip(range(wanted), entries, strict=False)]

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no archive bundle {key}") from None

    def delete(self, key: str) -> bool:
        return self.delete_many([key]) == 1

    def delete_many(self, keys: Iterable[str]) -> int:
        """Delete several bundles; returns how many there were."""
        paths = [self._path(key) for key in keys]  # every key checked before any file goes
        room = self._spares_kept - len(self._spare_files(self._spares_kept))
        keep = [n < room for n in range(len(paths))]
        with ThreadPoolExecutor(min(_AT_ONCE, len(paths) or 1)) as pool:
            return sum(pool.map(self._delete, paths, keep))

    def _delete(self, path: Path, keep: bool) -> bool:
        """Empty the file, then move it to the spares (or unlink it when enough are kept).
        Emptied first: interrupted between the two, the key holds no bytes, and deleting it
        again finishes the move."""
        try:
            if not keep:
                path.unlink()
                return True
            os.truncate(path, 0)
            os.replace(path, self.spares / uuid.uuid4().hex)
        except FileNotFoundError:
            return False  # never written, or already deleted (by another process too)
        return True


def _write(path: Path, data: bytes, spare: Path | None) -> None:
    partial = path.with_name(f".{path.name}.partial")
    if spare is not None:
        with contextlib.suppress(FileNotFoundError):  # taken by another process: a new file
            os.replace(spare, partial)
    with open(partial, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
