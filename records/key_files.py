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
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o600, dir_fd=folder)
        except (AttributeError, OSError):  # not Linux, or a file system without it
            linked = _link_through_a_named_file(path, data, mode)
        else:
            try:
                _write_synced(fd, data, mode)
                # linkat() following the /proc link to the unnamed file (a dir_fd makes
                # os.link call linkat, with AT_SYMLINK_FOLLOW; plain link() would not).
                linked = _linked(f"/proc/self/fd/{fd}", path.name, folder)
            finally:
                os.close(fd)
        if linked:
            os.fsync(folder)  # the new name made durable, not only the bytes behind it
        return linked
    finally:
        os.close(folder)


def _link_through_a_named_file(path: Path, data: bytes, mode: int) -> bool:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        try:
            _write_synced(fd, data, mode)
        finally:
            os.close(fd)
        return _linked(temporary, str(path), None)
    finally:
        os.unlink(temporary)


def _linked(source: str, target: str, folder: int | None) -> bool:
    """False if `target` exists already."""
    try:
        os.link(source, target, dst_dir_fd=folder)
    except FileExistsError:
        return False
    return True


def _write_synced(fd: int, data: bytes, mode: int) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fchmod(fd, mode)
    os.fsync(fd)


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
