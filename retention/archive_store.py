"""Where archive bundles are kept: a small interface, so an S3-compatible object store can be
added beside the folder store without touching the job."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from records.errors import NotFound

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class ArchiveStore(Protocol):
    """Bundles by key. `put` replaces; `delete` says whether there was one."""

    def put(self, key: str, data: bytes) -> None: ...
    def put_many(self, bundles: dict[str, bytes]) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> bool: ...


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
        """Each bundle is written, flushed to disk and renamed into place, as `put`; the
        folder is flushed once at the end, so the renames survive a power cut too."""
        for key, data in bundles.items():
            path = self._path(key)
            partial = path.with_name(f".{key}.partial")
            with open(partial, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, path)
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
