"""Crypto-shredding: destroying one case's data key makes that case unreadable everywhere and
leaves every other case readable; on SQLite the wrapped key is gone from the files on disk."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from records.crypto import KeyRing
from records.database import Database
from records.errors import NotFound
from records.vault import Vault

CASES = 6


async def make_cases(vault: Vault) -> dict[uuid.UUID, bytes]:
    sealed = {}
    for n in range(CASES):
        case_id = uuid.uuid4()
        cipher = await vault.create_key("case", case_id)
        sealed[case_id] = cipher.seal("cases", "summary_sealed", case_id, f"summary {n}")
    return sealed


async def opens(vault: Vault, case_id: uuid.UUID, sealed: bytes) -> str:
    cipher = await vault.cipher("case", case_id)
    return cipher.open("cases", "summary_sealed", case_id, sealed)


async def test_a_shredded_case_cannot_be_opened_and_every_other_case_can(
    vault: Vault, database: Database, key_file: Path
) -> None:
    sealed = await make_cases(vault)
    customer_id = uuid.uuid4()
    await vault.create_key("customer", customer_id)
    doomed = list(sealed)[2]

    assert await vault.shred("case", doomed) is True

    for reader in (vault, Vault(KeyRing.load(key_file), database.keystore)):
        with pytest.raises(NotFound) as caught:
            await reader.cipher("case", doomed)
        assert caught.value.message == f"no data key for case:{doomed} (destroyed or never made)"
        for n, (case_id, value) in enumerate(sealed.items()):
            if case_id != doomed:
                assert await opens(reader, case_id, value) == f"summary {n}"
        # The customer's own key is apart from the case's: shredding a case leaves it.
        assert (await reader.cipher("customer", customer_id)).owner == f"customer:{customer_id}"
    assert await database.keystore.count_by_version() == {1: CASES}


async def test_shredding_twice_returns_false_the_second_time(vault: Vault) -> None:
    case_id = uuid.uuid4()
    await vault.create_key("case", case_id)
    assert await vault.shred("case", case_id) is True
    assert await vault.shred("case", case_id) is False
    assert await vault.shred("case", uuid.uuid4()) is False


async def test_shredding_a_case_does_not_touch_a_customer_with_the_same_id(vault: Vault) -> None:
    shared_id = uuid.uuid4()
    await vault.create_key("case", shared_id)
    await vault.create_key("customer", shared_id)
    await vault.shred("case", shared_id)
    vault.forget(f"customer:{shared_id}")
    assert (await vault.cipher("customer", shared_id)).owner == f"customer:{shared_id}"


def key_store_files(database: Database) -> list[Path]:
    database_path = database.keystore.engine.url.database
    assert database_path is not None
    main = Path(database_path)
    return [p for p in main.parent.iterdir() if p.name.startswith(main.name)]


async def test_on_sqlite_the_wrapped_key_bytes_leave_the_key_store_files(
    vault: Vault, database: Database
) -> None:
    if database.keystore.engine.dialect.name != "sqlite":
        pytest.skip("raw file contents: SQLite only (PostgreSQL reclaims rows at VACUUM)")
    sealed = await make_cases(vault)
    doomed, kept, *_ = sealed
    stored = await database.keystore.get_many([f"case:{doomed}", f"case:{kept}"])
    doomed_wrapped = stored[f"case:{doomed}"][1]
    kept_wrapped = stored[f"case:{kept}"][1]
    assert any(doomed_wrapped in p.read_bytes() for p in key_store_files(database))

    assert await vault.shred("case", doomed)

    # Read while the store is still open, as a copy taken by a backup would be.
    files = key_store_files(database)
    assert [p.name for p in files if p.name == "keys.db"] == ["keys.db"]
    assert [p.name for p in files if doomed_wrapped in p.read_bytes()] == []
    # The check is able to see a key: the one not shredded is still there.
    assert any(kept_wrapped in p.read_bytes() for p in files)
