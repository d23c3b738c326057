"""The access log's key, kept in a file outside the database: an Ed25519 key that signs
checkpoints, and from which the chain key is derived.

The chain is an HMAC chain under the chain key, so someone who can write to the database but
not read this file cannot make an entry that verifies, not even one appended at the tail. A
signed (seq, hash, time) checkpoint pins the chain up to there, so cutting the tail is seen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from records.key_files import load_ed25519, new_ed25519_pem, write_new

if TYPE_CHECKING:
    from authz.witness import CheckpointWitness

_DOMAIN = b"tact.access_log.checkpoint.v1\x00"
_ZERO = dt.timedelta(0)


def checkpoint_message(seq: int, entry_hash: bytes, signed_at: dt.datetime) -> bytes:
    """The signed bytes: fixed-width seq and hash, then the time in a fixed UTC format."""
    if len(entry_hash) != 32:
        raise ValueError("entry_hash must be 32 bytes")
    at = utc_text(signed_at).encode("ascii")
    return _DOMAIN + seq.to_bytes(8, "big") + entry_hash + at


def utc_text(moment: dt.datetime) -> str:
    """A timestamp as fixed-format UTC text. Naive values are UTC: SQLite drops the zone."""
    if moment.tzinfo is not None and moment.utcoffset() != _ZERO:
        moment = moment.astimezone(dt.UTC)
    if moment.year >= 1000:
        # The same text as strftime below, at half the cost (verifying a long log prints
        # millions of these); strftime writes years before 1000 unpadded.
        return moment.isoformat(timespec="microseconds")[:26] + "Z"
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CheckpointSigner:
    """Signs and checks checkpoints. `key_id` names the key in stored checkpoints. `witness`,
    when set, is handed every checkpoint signed (authz/witness.py) and read by verify."""

    def __init__(
        self, private_key: Ed25519PrivateKey, witness: CheckpointWitness | None = None
    ) -> None:
        self.witness = witness
        self._private = private_key
        self._public = private_key.public_key()
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        secret = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        # The HMAC key of the entry chain: derived, so there is still one key file to keep.
        self.chain_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"tact/access-log/chain-key"
        ).derive(secret)

    @classmethod
    def generate(cls) -> CheckpointSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path, witness: CheckpointWitness | None = None) -> CheckpointSigner:
        return cls(load_ed25519(path, "audit signing key file"), witness)

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
