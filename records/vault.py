"""The vault: envelope encryption at the edge of storage.

Every sealed column is opened or sealed here, with the data key of the row's owner: the case
(for case contents) or the customer (for identity and contact details). Unwrapped data keys
are cached in process memory, bounded, so the portal lookup does not visit the key store on
every request; rotation does not change a data key, and a shredded key belongs to rows that
were deleted first, so the cache never serves a key for data that still exists after its
shredding.

A cached key is also kept for a bounded time only (`cache_seconds`, TACT_DATA_KEY_CACHE_SECONDS):
a key shredded by another process (the retention job runs as its own) must not stay usable in
a running server, which with a backup of the database taken before the destruction could
still open the case. The process that shreds drops the key at once; every other process
treats it as unread `cache_seconds` after it read it (and reads it again if it still
exists), and the server's `keep_swept` drops it from the cache by 1.1 times `cache_seconds`,
idle or not. (Python does not overwrite the bytes of an object it frees: what is bounded is
how long a process holds and can use the key, not how long freed memory keeps its bytes.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from records import crypto
from records.crypto import KeyRing
from records.errors import DecryptionFailed, KeyMaterialError, NotFound
from records.keystore import KeyStore
from records.lookup import LookupKind, normalise

log = logging.getLogger("tact.vault")

OwnerKind = Literal["case", "customer"]


def owner_of(kind: OwnerKind, owner_id: uuid.UUID) -> str:
    return f"{kind}:{owner_id}"


@dataclass(frozen=True)
class FieldCipher:
    """Seals and opens the fields of one owner's rows. Synchronous: the key is in hand."""

    owner: str
    key: bytes

    def seal(self, table: str, column: str, row_id: uuid.UUID, value: str) -> bytes:
        return self.seal_bytes(table, column, row_id, value.encode("utf-8"))

    def seal_bytes(self, table: str, column: str, row_id: uuid.UUID, value: bytes) -> bytes:
        """A value that is not text (an attachment's content), sealed as it is."""
        return crypto.seal(self.key, value, crypto.field_aad(table, column, row_id))

    def seal_optional(
        self, table: str, column: str, row_id: uuid.UUID, value: str | None
    ) -> bytes | None:
        return None if value is None else self.seal(table, column, row_id, value)

    def seal_json(self, table: str, column: str, row_id: uuid.UUID, value: Any) -> bytes:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
        return self.seal(table, column, row_id, text)

    def open(self, table: str, column: str, row_id: uuid.UUID, sealed: bytes) -> str:
        return self.open_bytes(table, column, row_id, sealed).decode("utf-8")

    def open_bytes(self, table: str, column: str, row_id: uuid.UUID, sealed: bytes) -> bytes:
        try:
            plain = crypto.open_sealed(self.key, sealed, crypto.field_aad(table, column, row_id))
        except DecryptionFailed:
            # Ids only: which place failed, never what it held.
            log.warning(
                "decryption failed",
                extra={
                    "event": "decryption_failed",
                    "table": table,
                    "column": column,
                    "row_id": str(row_id),
                },
            )
            raise DecryptionFailed(
                f"{table}.{column} of row {row_id} failed to decrypt",
                place=f"{table}.{column} {row_id}",
                owner=self.owner,
            ) from None
        return plain

    def open_optional(
        self, table: str, column: str, row_id: uuid.UUID, sealed: bytes | None
    ) -> str | None:
        return None if sealed is None else self.open(table, column, row_id, sealed)

    def open_json(self, table: str, column: str, row_id: uuid.UUID, sealed: bytes) -> Any:
        return json.loads(self.open(table, column, row_id, sealed))


class Vault:
    def __init__(
        self,
        ring: KeyRing,
        store: KeyStore,
        *,
        reload_ring: Callable[[], KeyRing] | None = None,
        cache_size: int = 20_000,
        cache_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ring = ring
        self.store = store
        self._reload_ring = reload_ring
        # owner -> (data key, when it was read from the key store), least recently used first
        self._cache: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._cache_size = cache_size
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic

    # -- start-up --------------------------------------------------------------------------

    async def check_keys(self) -> None:
        """Prove the key file matches the key store; record proofs for versions it lacks.

        Raises KeyMaterialError with a clear message when it does not: a wrong key file is a
        start-up error, never garbage later. Existing proofs are verified before new ones are
        written, so a wrong key file never leaves its own proofs behind.
        """
        checks = await self.store.checks()
        self._verify_checks(checks)
        for version in sorted(await self.store.count_by_version()):
            if version not in self.ring.keks:
                raise KeyMaterialError(
                    f"the key store has data keys wrapped under KEK version {version}, "
                    "which the key file lacks"
                )
        wanted = {f"kek:{v}": self.ring.key_check(v) for v in self.ring.keks}
        if "index" not in checks:
            wanted["index"] = self.ring.index_check()
        raced = False
        for name, value in wanted.items():
            if name not in checks and not await self.store.add_check(name, value):
                raced = True
        if raced:
            # Another process started at the same moment and recorded its proofs first.
            self._verify_checks(await self.store.checks())

    def _verify_checks(self, checks: dict[str, bytes]) -> None:
        kek_checks = {int(n.split(":", 1)[1]): v for n, v in checks.items() if n != "index"}
        for version, value in sorted(kek_checks.items()):
            if version not in self.ring.keks:
                raise KeyMaterialError(
                    f"the key store uses KEK version {version}, which the key file lacks"
                )
            self.ring.verify_key_check(version, value)
        if "index" in checks and checks["index"] != self.ring.index_check():
            raise KeyMaterialError(
                "the key file's blind-index secret does not match the key store: "
                "wrong key file, or the key store belongs to another installation"
            )

    # -- data keys -------------------------------------------------------------------------

    async def create_key(self, kind: OwnerKind, owner_id: uuid.UUID) -> FieldCipher:
        """A new data key for a new case or customer, stored wrapped before any row uses it."""
        owner = owner_of(kind, owner_id)
        key = crypto.new_data_key()
        version, wrapped = self.ring.wrap(key, owner)
        await self.store.put(owner, version, wrapped)
        self._remember(owner, key)
        return FieldCipher(owner, key)

    async def create_keys(
        self, kind: OwnerKind, owner_ids: Sequence[uuid.UUID]
    ) -> list[FieldCipher]:
        """New data keys for several new owners, stored with one key-store write."""
        made: list[FieldCipher] = []
        rows: list[tuple[str, int, bytes]] = []
        for owner_id in owner_ids:
            owner = owner_of(kind, owner_id)
            key = crypto.new_data_key()
            version, wrapped = self.ring.wrap(key, owner)
            rows.append((owner, version, wrapped))
            made.append(FieldCipher(owner, key))
        await self.store.put_many(rows)
        for cipher in made:
            self._remember(cipher.owner, cipher.key)
        return made

    async def cipher(self, kind: OwnerKind, owner_id: uuid.UUID) -> FieldCipher:
        ciphers = await self.ciphers([(kind, owner_id)])
        return ciphers[owner_of(kind, owner_id)]

    async def ciphers(
        self, owners: Iterable[tuple[OwnerKind, uuid.UUID]]
    ) -> dict[str, FieldCipher]:
        """Ciphers for several owners, with one key-store query for those not cached."""
        wanted = {owner_of(kind, oid) for kind, oid in owners}
        found: dict[str, FieldCipher] = {}
        missing: list[str] = []
        read_after = self._monotonic() - self.cache_seconds
        for owner in wanted:
            cached = self._cache.get(owner)
            if cached is None or cached[1] <= read_after:
                if cached is not None:
                    del self._cache[owner]  # past its bound: read again, or gone if shredded
                missing.append(owner)
            else:
                self._cache.move_to_end(owner)
                found[owner] = FieldCipher(owner, cached[0])
        if missing:
            rows = await self.store.get_many(missing)
            for owner in missing:
                if owner not in rows:
                    raise NotFound(f"no data key for {owner} (destroyed or never made)")
                version, wrapped = rows[owner]
                key = self._unwrap(wrapped, owner, version)
                self._remember(owner, key)
                found[owner] = FieldCipher(owner, key)
        return found

    def _unwrap(self, wrapped: bytes, owner: str, version: int) -> bytes:
        if version not in self.ring.keks and self._reload_ring is not None:
            # Another process rotated to a KEK version added to the key file after we started.
            self.ring = self._reload_ring()
        try:
            return self.ring.unwrap(wrapped, owner, version)
        except DecryptionFailed:
            log.warning(
                "data key failed to unwrap",
                extra={"event": "data_key_unwrap_failed", "owner": owner, "kek_version": version},
            )
            raise

    def _remember(self, owner: str, key: bytes) -> None:
        if self.cache_seconds <= 0:
            return
        self._cache[owner] = (key, self._monotonic())
        self._cache.move_to_end(owner)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def forget(self, owner: str) -> None:
        self._cache.pop(owner, None)

    def sweep(self) -> int:
        """Drop every cached key read more than `cache_seconds` ago; how many were dropped."""
        read_after = self._monotonic() - self.cache_seconds
        expired = [owner for owner, (_, read_at) in self._cache.items() if read_at <= read_after]
        for owner in expired:
            del self._cache[owner]
        return len(expired)

    async def keep_swept(self) -> None:
        """`sweep` every tenth of `cache_seconds`, until cancelled: the server runs this, so an
        idle process drops a key too, at most 1.1 times `cache_seconds` after reading it."""
        while True:
            await asyncio.sleep(max(self.cache_seconds / 10, 0.05))
            if dropped := self.sweep():
                log.info(
                    "cached data keys dropped",
                    extra={"event": "data_keys_expired", "count": dropped},
                )

    def holds(self, owner: str) -> bool:
        """Whether this process holds `owner`'s data key in memory (for tests and checks)."""
        return owner in self._cache

    async def shred(self, kind: OwnerKind, owner_id: uuid.UUID) -> bool:
        """Crypto-shred: destroy one data key. Returns False if it was already gone."""
        owner = owner_of(kind, owner_id)
        self.forget(owner)
        destroyed = await self.store.destroy(owner)
        log.info("data key destroyed", extra={"event": "data_key_destroyed", "owner": owner})
        return destroyed

    async def shred_many(self, owners: Sequence[tuple[OwnerKind, uuid.UUID]]) -> int:
        """Crypto-shred several data keys at once. Returns how many were still there."""
        names = [owner_of(kind, owner_id) for kind, owner_id in owners]
        for name in names:
            self.forget(name)
        destroyed = await self.store.destroy_many(names)
        log.info("data keys destroyed", extra={"event": "data_keys_destroyed", "count": len(names)})
        return destroyed

    async def rotate(
        self, batch: int = 500, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Re-wrap every data key under the active KEK version. Safe while others read and
        write: each row is replaced only if it still holds what was read (compare-and-set).
        Returns how many keys were re-wrapped."""
        active = self.ring.active_kek
        done = 0
        while True:
            rows = await self.store.owners_not_wrapped_under(active, batch)
            if not rows:
                return done
            rewrapped = []
            for owner, version, wrapped in rows:
                key = self._unwrap(wrapped, owner, version)
                rewrapped.append((owner, version, active, self.ring.wrap(key, owner, active)[1]))
            # One transaction per batch: a commit per key made 100,000 keys take minutes.
            done += await self.store.rewrap_many(rewrapped)
            if on_progress is not None:
                on_progress(done)

    # -- blind indexes ---------------------------------------------------------------------

    def blind_index(self, kind: LookupKind, value: str, field: str | None = None) -> bytes:
        return self.ring.blind_index(kind.value, normalise(kind, value, field))
