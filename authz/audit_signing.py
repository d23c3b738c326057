"""The Ed25519 key that signs access-log checkpoints, kept in a file outside the database.

Someone who can rewrite the database can recompute a hash chain, or cut its tail; they cannot
sign a checkpoint without this key, so a signed (seq, hash, time) pins the chain up to there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from records.key_files import load_ed25519, new_ed25519_pem, write_new

_DOMAIN = b"tact.access_log.checkpoint.v1\x00"


def checkpoint_message(seq: int, entry_hash: bytes, signed_at: dt.datetime) -> bytes:
    """The signed bytes: fixed-width seq and hash, then the time in a fixed UTC format."""
    if len(entry_hash) != 32:
        raise ValueError("entry_hash must be 32 bytes")
    at = utc_text(signed_at).encode("ascii")
    return _DOMAIN + seq.to_bytes(8, "big") + entry_hash + at


def utc_text(moment: dt.datetime) -> str:
    """A timestamp as fixed-format UTC text. Naive values are UTC: SQLite drops the zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CheckpointSigner:
    """Signs and checks checkpoints. `key_id` names the key in stored checkpoints."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key()
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def generate(cls) -> CheckpointSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> CheckpointSigner:
        return cls(load_ed25519(path, "audit signing key file"))

    @staticmethod
    def create_file(path: Path) -> None:
        """Write a new private key readable by its owner only; refuses to overwrite."""
        if not write_new(path, new_ed25519_pem()):
            raise FileExistsError(path)

    def sign(self, seq: int, entry_hash: bytes, signed_at: dt.datetime) -> bytes:
        return self._private.sign(checkpoint_message(seq, entry_hash, signed_at))

    def is_valid(
        self, seq: int, entry_hash: bytes, signed_at: dt.datetime, signature: bytes
    ) -> bool:
        try:
            self._public.verify(signature, checkpoint_message(seq, entry_hash, signed_at))
        except (InvalidSignature, ValueError):
            return False
        return True
