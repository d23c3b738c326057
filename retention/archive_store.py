"""Where archive bundles are kept: a small interface, so an S3-compatible object store can be
added beside the folder store without touching the job."""

from __future__ import annotations

import os
import re
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
    and renamed into place, so a bundle is whole or absent, never half-written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

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
        with ThreadPoolExecutor(min(_AT_ONCE, len(paths) or 1)) as pool:
            list(pool.map(_write, paths.keys(), paths.values()))
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no archive bundle {key}") from None

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_many(self, keys: Iterable[str]) -> int:
        """Delete several bundles; returns how many there were."""
        keys = list(keys)
        for key in keys:
            self._path(key)  # every key checked before any file goes
        with ThreadPoolExecutor(min(_AT_ONCE, len(keys) or 1)) as pool:
            return sum(pool.map(self.delete, keys))


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
