"""Envelope encryption primitives: the key ring read from the key file, AES-256-GCM field
sealing bound to (table, column, row), data-key wrapping, and blind-index digests.

Key file (JSON, see `KeyRing.generate`):
    {"format": "tact-keys/1",
     "keks": {"1": "<base64 32 bytes>", "2": "..."},   # key-encryption keys by version
     "active_kek": 2,                                  # new data keys are wrapped with this
     "index_secret": "<base64 32 bytes>"}              # root of the blind-index key

The raw secrets are never used directly: each is expanded with HKDF-SHA256 under a label, so
the KEK and the blind-index key are independent even if someone reuses a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from records.errors import DecryptionFailed, KeyMaterialError
from records.key_files import write_new

KEY_FILE_FORMAT = "tact-keys/1"
_FIELD_FORMAT = b"\x01"  # first byte of every sealed field: lets the layout change later
_NONCE_BYTES = 12
DATA_KEY_BYTES = 32


def _derive(secret: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(secret)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"key file: {what} is not valid base64") from exc
    if len(raw) != 32:
        raise KeyMaterialError(f"key file: {what} must be 32 bytes, found {len(raw)}")
    return raw


@dataclass(frozen=True)
class KeyRing:
    """The key-encryption keys (by version) and the blind-index key, held in memory only."""

    keks: dict[int, bytes]
    active_kek: int
    index_key: bytes

    @classmethod
    def generate(cls) -> dict[str, object]:
        """A new key file's contents (one KEK version)."""
        return {
            "format": KEY_FILE_FORMAT,
            "keks": {"1": _b64(secrets.token_bytes(32))},
            "active_kek": 1,
            "index_secret": _b64(secrets.token_bytes(32)),
        }

    @classmethod
    def from_document(cls, doc: object) -> KeyRing:
        if not isinstance(doc, dict) or doc.get("format") != KEY_FILE_FORMAT:
            raise KeyMaterialError(f"key file: not a {KEY_FILE_FORMAT} document")
        raw_keks = doc.get("keks")
        if not isinstance(raw_keks, dict) or not raw_keks:
            raise KeyMaterialError("key file: 'keks' must list at least one key version")
        keks: dict[int, bytes] = {}
        for version, secret in raw_keks.items():
            try:
                number = int(version)
            except ValueError as exc:
                raise KeyMaterialError(
                    f"key file: KEK version {version!r} is not a number"
                ) from exc
            keks[number] = _derive(
                _unb64(str(secret), f"KEK version {number}"), f"tact/kek/{number}"
            )
        active = doc.get("active_kek")
        if not isinstance(active, int) or active not in keks:
            raise KeyMaterialError("key file: 'active_kek' must name one of the listed versions")
        index_secret = _unb64(str(doc.get("index_secret", "")), "index_secret")
        return cls(
            keks=keks, active_kek=active, index_key=_derive(index_secret, "tact/blind-index")
        )

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise KeyMaterialError(f"key file not found: {path}") from exc
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyMaterialError(f"key file is not valid JSON: {path}") from exc
        return cls.from_document(doc)

    @staticmethod
    def create_file(path: Path) -> None:
        """Write a new key file readable by the owner only. Refuses to overwrite."""
        if not write_new(path, json.dumps(KeyRing.generate(), indent=2).encode()):
            raise FileExistsError(path)

    @staticmethod
    def add_kek_version(path: Path) -> int:
        """Append a new KEK version to the key file and make it active; returns the version."""
        doc = json.loads(path.read_text(encoding="utf-8"))
        KeyRing.from_document(doc)  # refuse to edit a file we cannot read
        version = max(int(v) for v in doc["keks"]) + 1
        doc["keks"][str(version)] = _b64(secrets.token_bytes(32))
        doc["active_kek"] = version
        tmp = path.with_suffix(path.suffix + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2)
        os.replace(tmp, path)
        return version

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError as exc:
            raise KeyMaterialError(f"KEK version {version} is not in the key file") from exc

    # -- data keys ---------------------------------------------------------------------------

    def wrap(self, data_key: bytes, owner: str, version: int | None = None) -> tuple[int, bytes]:
        """Wrap a data key for `owner` (e.g. "case:<uuid>") under a KEK version."""
        version = self.active_kek if version is None else version
        return version, seal(self.kek(version), data_key, _wrap_aad(owner, version))

    def unwrap(self, wrapped: bytes, owner: str, version: int) -> bytes:
        try:
            return open_sealed(self.kek(version), wrapped, _wrap_aad(owner, version))
        except DecryptionFailed as exc:
            raise DecryptionFailed(
                f"data key for {owner} failed to unwrap", place=f"data key {owner}", owner=owner
            ) from exc

    def key_check(self, version: int) -> bytes:
        """A value stored in the key store at setup, to prove at start-up that keys match."""
        return seal(self.kek(version), b"tact key check", f"tact/key-check/{version}".encode())

    def verify_key_check(self, version: int, check: bytes) -> None:
        try:
            open_sealed(self.kek(version), check, f"tact/key-check/{version}".encode())
        except DecryptionFailed as exc:
            raise KeyMaterialError(
                f"the key file does not match the key store (KEK version {version}): "
                "wrong key file, or the key store belongs to another installation"
            ) from exc

    def index_check(self) -> bytes:
        return hmac.new(self.index_key, b"tact/index-check", hashlib.sha256).digest()

    def blind_index(self, kind: str, normalised: str) -> bytes:
        """HMAC-SHA256 of an already normalised value, domain-separated by kind; 16 bytes."""
        message = f"{kind}\x00{normalised}".encode()
        return hmac.new(self.index_key, message, hashlib.sha256).digest()[:16]


def _wrap_aad(owner: str, version: int) -> bytes:
    return f"tact/data-key/{owner}/v{version}".encode()


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def field_aad(table: str, column: str, row_id: object) -> bytes:
    """Associated data binding a ciphertext to its place: moved elsewhere, it will not open."""
    return f"{table}/{column}/{row_id}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _FIELD_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _FIELD_FORMAT:
        raise DecryptionFailed("ciphertext is malformed")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise DecryptionFailed("ciphertext failed authentication") from exc
