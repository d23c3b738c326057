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

    Written to a private temporary file first and then linked into place, which fails if the
    name is taken: a process starting beside this one never reads a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    return True


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
