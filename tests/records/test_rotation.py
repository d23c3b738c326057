"""Key rotation while the service reads: every data key is re-wrapped under the new KEK
version and no read fails or returns anything else (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

from records.crypto import KeyRing
from records.database import Database
from records.keystore import KeyStore, make_keystore_engine
from records.vault import OwnerKind, Vault

OWNERS = 200
READERS = 3


@dataclass(frozen=True)
class Sealed:
    kind: OwnerKind
    owner_id: uuid.UUID
    row_id: uuid.UUID
    sealed: bytes
    plaintext: str


async def seal_values(vault: Vault, count: int) -> list[Sealed]:
    values = []
    for n in range(count):
        kind: OwnerKind = "case" if n % 2 else "customer"
        owner_id, row_id = uuid.uuid4(), uuid.uuid4()
        cipher = await vault.create_key(kind, owner_id)
        text = f"value {n}"
        values.append(
            Sealed(kind, owner_id, row_id, cipher.seal("t", "c_sealed", row_id, text), text)
        )
    return values


async def open_value(vault: Vault, value: Sealed) -> str:
    cipher = await vault.cipher(value.kind, value.owner_id)
    return cipher.open("t", "c_sealed", value.row_id, value.sealed)


async def test_rotation_under_concurrent_reads_loses_nothing(
    vault: Vault, database: Database, key_file: Path
) -> None:
    values = await seal_values(vault, OWNERS)
    old_ring = KeyRing.load(key_file)
    assert await database.keystore.count_by_version() == {1: OWNERS}

    new_version = KeyRing.add_kek_version(key_file)
    rotator = Vault(KeyRing.load(key_file), database.keystore)
    await rotator.check_keys()

    # Readers as other API processes: their own connections, the key file as it was when
    # they started, and no cache, so every read goes through the key store mid-rotation.
    url = database.keystore.engine.url.render_as_string(hide_password=False)
    stores = [KeyStore(make_keystore_engine(url)) for _ in range(READERS)]
    readers = [
        Vault(old_ring, store, reload_ring=lambda: KeyRing.load(key_file), cache_size=0)
        for store in stores
    ]
    rotating = True
    progress: list[int] = []
    reads_during_rotation = 0

    async def rotate() -> int:
        nonlocal rotating
        try:
            return await rotator.rotate(batch=25, on_progress=progress.append)
        finally:
            rotating = False

    async def keep_reading(reader: Vault, offset: int) -> int:
        nonlocal reads_during_rotation
        reads = 0
        # Full passes over every value, until one pass began after rotation had finished.
        while True:
            began_after = not rotating
            for value in values[offset:] + values[:offset]:
                assert await open_value(reader, value) == value.plaintext
                reads += 1
                reads_during_rotation += rotating
                # On SQLite a key read runs on the loop's thread without awaiting anything
                # (records/readers.py): let the rotation run between reads, as requests would.
                await asyncio.sleep(0)
            if began_after:
                return reads

    try:
        rewrapped, *reads = await asyncio.gather(
            rotate(), *(keep_reading(r, i * 37) for i, r in enumerate(readers))
        )
    finally:
        for store in stores:
            await store.close()

    assert rewrapped == OWNERS
    assert progress[-1] == OWNERS and len(progress) == OWNERS // 25
    assert reads_during_rotation > 0 and all(n >= OWNERS for n in reads)
    # Each reader met a key wrapped under the new version and reloaded the key file.
    assert all(new_version in reader.ring.keks for reader in readers)
    assert await database.keystore.count_by_version() == {new_version: OWNERS}

    after = Vault(KeyRing.load(key_file), database.keystore)
    await after.check_keys()
    for value in values:
        assert await open_value(after, value) == value.plaintext


async def test_keys_made_under_the_old_version_after_rotation_are_caught_by_the_next(
    vault: Vault, database: Database, key_file: Path
) -> None:
    values = await seal_values(vault, 10)
    KeyRing.add_kek_version(key_file)
    rotator = Vault(KeyRing.load(key_file), database.keystore)
    assert await rotator.rotate() == 10
    assert await rotator.rotate() == 0
    # `vault` stands for a process that has not reloaded the key file: version 1 is active.
    values += await seal_values(vault, 1)
    assert await database.keystore.count_by_version() == {1: 1, 2: 10}
    assert await rotator.rotate() == 1
    assert await database.keystore.count_by_version() == {2: 11}
    fresh = Vault(KeyRing.load(key_file), database.keystore)
    for value in values:
        assert await open_value(fresh, value) == value.plaintext
