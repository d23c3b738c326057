"""Cached data keys live for a bounded time (records/vault.py): a key another process shreds
(the retention job runs as a process of its own) stops being used, and leaves the cache, within
`cache_seconds` of being read, so a running server cannot open a destroyed case from a backup
of the database taken before the destruction. Real key stores (SQLite and PostgreSQL); the
vault's clock is injected where the test moves time."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from records.crypto import KeyRing
from records.database import Database
from records.errors import NotFound
from records.vault import Vault

SUMMARY = "three calls on one matter"


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def server_vault(database: Database, key_file: Path, ticking: Ticking) -> Vault:
    """A server's vault whose cached keys are bound to 60 s of the test's clock."""
    return Vault(KeyRing.load(key_file), database.keystore, cache_seconds=60, monotonic=ticking)


async def sealed_summary(vault: Vault) -> tuple[uuid.UUID, bytes]:
    """A new case's key, and a summary sealed under it."""
    case_id = uuid.uuid4()
    cipher = await vault.create_key("case", case_id)
    return case_id, cipher.seal("cases", "summary", case_id, SUMMARY)


def another_process(database: Database, key_file: Path) -> Vault:
    """A vault as the retention job's process has it: its own ring and cache."""
    return Vault(KeyRing.load(key_file), database.keystore)


async def test_a_key_shredded_elsewhere_is_not_used_once_its_bound_has_passed(
    database: Database, key_file: Path
) -> None:
    ticking = Ticking()
    server = server_vault(database, key_file, ticking)
    case_id, sealed = await sealed_summary(server)
    owner = f"case:{case_id}"
    assert server.holds(owner)

    assert await another_process(database, key_file).shred("case", case_id)
    ticking.now += 59  # within the bound the cached key still opens what it sealed
    assert (await server.cipher("case", case_id)).open("cases", "summary", case_id, sealed) == (
        SUMMARY
    )

    ticking.now += 1  # the bound: the key is read again, and it is gone
    with pytest.raises(NotFound):
        await server.cipher("case", case_id)
    assert not server.holds(owner)


async def test_a_key_still_in_the_store_is_read_again_after_its_bound(
    database: Database, key_file: Path
) -> None:
    ticking = Ticking()
    server = server_vault(database, key_file, ticking)
    case_id, sealed = await sealed_summary(server)

    ticking.now += 600
    assert server.sweep() == 1  # dropped, not kept because it still exists
    assert not server.holds(f"case:{case_id}")
    again = await server.cipher("case", case_id)
    assert again.open("cases", "summary", case_id, sealed) == SUMMARY
    assert server.holds(f"case:{case_id}")


async def test_sweeping_drops_only_the_keys_past_their_bound(
    database: Database, key_file: Path
) -> None:
    ticking = Ticking()
    server = server_vault(database, key_file, ticking)
    old, new = uuid.uuid4(), uuid.uuid4()
    await server.create_key("case", old)
    ticking.now += 30
    await server.create_key("case", new)
    ticking.now += 30

    assert server.sweep() == 1
    assert not server.holds(f"case:{old}")
    assert server.holds(f"case:{new}")


async def test_with_a_bound_of_zero_no_key_is_kept(database: Database, key_file: Path) -> None:
    server = Vault(KeyRing.load(key_file), database.keystore, cache_seconds=0)
    case_id = uuid.uuid4()
    await server.create_key("case", case_id)
    await server.cipher("case", case_id)
    assert not server.holds(f"case:{case_id}")


async def test_an_idle_process_drops_a_shredded_key_by_itself(
    database: Database, key_file: Path
) -> None:
    """No decryption after the shredding: the sweeping alone drops the key, within 1.1 times
    the bound (here 0.2 s; the test waits up to 5 s so a loaded machine cannot fail it)."""
    server = Vault(KeyRing.load(key_file), database.keystore, cache_seconds=0.2)
    case_id = uuid.uuid4()
    await server.create_key("case", case_id)
    sweeping = asyncio.create_task(server.keep_swept())
    try:
        await another_process(database, key_file).shred("case", case_id)
        for _ in range(100):
            if not server.holds(f"case:{case_id}"):
                break
            await asyncio.sleep(0.05)
        assert not server.holds(f"case:{case_id}")
    finally:
        sweeping.cancel()
