"""Key files on disk: written once, whole, readable by their owner only, never overwritten.

The key file (records/crypto.py), the access-log checkpoint key (authz/audit_signing.py) and
the embedded default's token signing key (api/staff_tokens.py) are all made and read here;
the access-log witness (authz/witness.py) writes its checkpoint files the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from records.errors import KeyMaterialError


def write_new(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create `path` with `mode` (0600: its owner's only) holding `data`, whole or not at all.
    False if it exists already (another process made it first): the caller reads that one
    rather than replace it.

    Written to a file with no name first (Linux's O_TMPFILE), synced, and then linked into
    place, which fails if the name is taken: a process starting beside this one never reads a
    half-written key, and a process killed at any point leaves either the whole file or
    nothing (a named temporary file would stay behind, holding key material, if the process
    died before removing it). Where the file system has no O_TMPFILE, a named temporary file
    is used as before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except (AttributeError, OSError):  # not Linux, or a file system without it
        return _write_new_through_a_named_file(path, data, mode)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _write_synced(fd, data, mode)
        try:
            # linkat() following the /proc link to the unnamed file (a dir_fd makes os.link
            # call linkat, with AT_SYMLINK_FOLLOW; plain link() would not follow it).
            os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=folder)
        except FileExistsError:
            return False
        os.fsync(folder)
    finally:
        os.close(fd)
        os.close(folder)
    return True


def _write_new_through_a_named_file(path: Path, data: bytes, mode: int) -> bool:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        try:
            _write_synced(fd, data, mode)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    _sync_folder(path.parent)
    return True


def _write_synced(fd: int, data: bytes, mode: int) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fchmod(fd, mode)
    os.fsync(fd)


def _sync_folder(folder: Path) -> None:
    """The new name made durable: without this a crash could lose the file's entry, and a
    key with it, after data sealed under that key had been committed."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_ed25519_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_ed25519(path: Path, what: str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM); a clear KeyMaterialError naming `what` otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyMaterialError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise KeyMaterialError(f"{what} unreadable: {path}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"{what} is not a PEM private key: {path}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(f"{what} is not an Ed25519 key: {path}")
    return key
