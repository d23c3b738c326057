"""The vault over a real key store and case database (SQLite and PostgreSQL): round trips,
ciphertexts and wrapped keys moved to the wrong place, tampering, and the start-up key checks."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, update

from records.crypto import KeyRing
from records.database import Database
from records.errors import DecryptionFailed, KeyMaterialError
from records.keystore import DataKey, KeyStore, make_keystore_engine
from records.models import Customer, CustomerKind
from records.vault import Vault

NAME = "Ada Quill-Demo"


def cold_vault(database: Database, key_file: Path) -> Vault:
    """A vault as another process would have it: its own ring, nothing cached."""
    return Vault(KeyRing.load(key_file), database.keystore)


def copy_of(key_file: Path, to: Path) -> Path:
    to.write_bytes(key_file.read_bytes())
    return to


def key_document(key_file: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads(key_file.read_text())
    return doc


def flip_bit(data: bytes, position: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 1 << bit
    return bytes(changed)


async def test_fields_round_trip_through_the_key_store(
    vault: Vault, database: Database, key_file: Path
) -> None:
    case_id, customer_id, row_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    case = await vault.create_key("case", case_id)
    customer = await vault.create_key("customer", customer_id)
    summary = case.seal("cases", "summary_sealed", case_id, "three calls on one matter")
    needs = customer.seal_json("customers", "needs_sealed", customer_id, {"format": "large print"})
    absent = customer.seal_optional("customers", "notes_sealed", customer_id, None)
    name = customer.seal("customers", "name_sealed", row_id, NAME)

    other = cold_vault(database, key_file)
    ciphers = await other.ciphers([("case", case_id), ("customer", customer_id)])
    case_again = ciphers[f"case:{case_id}"]
    customer_again = ciphers[f"customer:{customer_id}"]
    assert case_again.open("cases", "summary_sealed", case_id, summary) == (
        "three calls on one matter"
    )
    assert customer_again.open_json("customers", "needs_sealed", customer_id, needs) == {
        "format": "large print"
    }
    assert customer_again.open_optional("customers", "notes_sealed", customer_id, absent) is None
    assert customer_again.open("customers", "name_sealed", row_id, name) == NAME


@pytest.mark.parametrize("owners", [1, 3, 64, 150])
async def test_the_key_store_reads_any_number_of_owners_in_one_call(
    database: Database, owners: int
) -> None:
    # Reads are prepared for 1, 2, 4 ... 64 owners: 3 is the read of 4 with one repeated,
    # 150 is read in chunks of 64 (records/keystore.py).
    rows = [(f"case:{uuid.uuid4()}", 1, bytes([n % 256]) * 40) for n in range(owners)]
    await database.keystore.put_many(rows)
    never_made = f"case:{uuid.uuid4()}"

    asked = [owner for owner, _, _ in rows] + [never_made]
    found = await database.keystore.get_many(asked)

    assert found == {owner: (version, wrapped) for owner, version, wrapped in rows}


async def test_a_ciphertext_copied_to_another_row_fails_with_a_clear_error(
    vault: Vault, database: Database, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    customer_id = uuid.uuid4()
    cipher = await vault.create_key("customer", customer_id)
    first, second = uuid.uuid4(), uuid.uuid4()
    async with database.sessions.begin() as session:
        for row_id, name in ((first, NAME), (second, "Bo Demo")):
            sealed = cipher.seal("customers", "name_sealed", row_id, name)
            session.add(Customer(id=row_id, kind=CustomerKind.INDIVIDUAL, name_sealed=sealed))
    async with database.sessions.begin() as session:
        copied = (
            await session.execute(select(Customer.name_sealed).where(Customer.id == first))
        ).scalar_one()
        await session.execute(
            update(Customer).where(Customer.id == second).values(name_sealed=copied)
        )
    async with database.sessions() as session:
        stored = (
            await session.execute(select(Customer.name_sealed).where(Customer.id == second))
        ).scalar_one()

    opener = (await cold_vault(database, key_file).ciphers([("customer", customer_id)]))[
        f"customer:{customer_id}"
    ]
    with (
        caplog.at_level(logging.WARNING, logger="tact.vault"),
        pytest.raises(DecryptionFailed) as caught,
    ):
        opener.open("customers", "name_sealed", second, stored)
    assert caught.value.message == f"customers.name_sealed of row {second} failed to decrypt"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    [record] = [r for r in caplog.records if r.name == "tact.vault"]
    assert record.__dict__["row_id"] == str(second)
    assert NAME not in caplog.text
    # The row it was copied from still opens: nothing was lost, only refused.
    assert opener.open("customers", "name_sealed", first, copied) == NAME


async def test_a_ciphertext_copied_to_another_column_fails(vault: Vault) -> None:
    customer_id = uuid.uuid4()
    cipher = await vault.create_key("customer", customer_id)
    sealed = cipher.seal("customers", "name_sealed", customer_id, NAME)
    with pytest.raises(DecryptionFailed) as caught:
        cipher.open("customers", "notes_sealed", customer_id, sealed)
    assert caught.value.message == f"customers.notes_sealed of row {customer_id} failed to decrypt"
    assert NAME not in str(caught.value)


async def test_a_ciphertext_copied_to_another_owners_row_fails(vault: Vault) -> None:
    # Same table, column and row id, but the case's key is not the other case's.
    row_id = uuid.uuid4()
    mine = await vault.create_key("case", uuid.uuid4())
    theirs = await vault.create_key("case", uuid.uuid4())
    sealed = mine.seal("evidence_entries", "summary_sealed", row_id, "visited twice")
    with pytest.raises(DecryptionFailed):
        theirs.open("evidence_entries", "summary_sealed", row_id, sealed)


async def test_every_flipped_byte_of_a_stored_field_fails(vault: Vault) -> None:
    case_id = uuid.uuid4()
    cipher = await vault.create_key("case", case_id)
    sealed = cipher.seal("cases", "summary_sealed", case_id, "Ada")
    for position in range(len(sealed)):
        for bit in range(8):
            with pytest.raises(DecryptionFailed) as caught:
                cipher.open("cases", "summary_sealed", case_id, flip_bit(sealed, position, bit))
            assert (
                caught.value.message == f"cases.summary_sealed of row {case_id} failed to decrypt"
            )


async def test_a_wrapped_data_key_moved_to_another_owner_fails_to_unwrap(
    vault: Vault, database: Database, key_file: Path
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await vault.create_key("case", first)
    await vault.create_key("case", second)
    async with database.keystore.engine.begin() as conn:
        wrapped = (
            await conn.execute(select(DataKey.wrapped).where(DataKey.owner == f"case:{first}"))
        ).scalar_one()
        await conn.execute(
            update(DataKey).where(DataKey.owner == f"case:{second}").values(wrapped=wrapped)
        )
    other = cold_vault(database, key_file)
    with pytest.raises(DecryptionFailed) as caught:
        await other.cipher("case", second)
    assert caught.value.message == f"data key for case:{second} failed to unwrap"
    assert (await other.cipher("case", first)).owner == f"case:{first}"


async def test_a_tampered_wrapped_data_key_fails_to_unwrap(
    vault: Vault, database: Database, key_file: Path
) -> None:
    case_id = uuid.uuid4()
    await vault.create_key("case", case_id)
    owner = f"case:{case_id}"
    async with database.keystore.engine.begin() as conn:
        wrapped = (
            await conn.execute(select(DataKey.wrapped).where(DataKey.owner == owner))
        ).scalar_one()
        await conn.execute(
            update(DataKey).where(DataKey.owner == owner).values(wrapped=flip_bit(wrapped, 20))
        )
    with pytest.raises(DecryptionFailed):
        await cold_vault(database, key_file).cipher("case", case_id)


# -- start-up key checks ------------------------------------------------------------------


async def test_check_keys_records_proofs_on_a_new_store_and_accepts_the_same_key_file(
    database: Database, key_file: Path
) -> None:
    await cold_vault(database, key_file).check_keys()
    assert set(await database.keystore.checks()) == {"kek:1", "index"}
    await cold_vault(database, key_file).check_keys()  # a second start: no error


async def test_check_keys_refuses_another_key_file(
    vault: Vault, database: Database, tmp_path: Path
) -> None:
    other_file = tmp_path / "other.key"
    KeyRing.create_file(other_file)
    before = await database.keystore.checks()
    with pytest.raises(KeyMaterialError, match="does not match the key store"):
        await Vault(KeyRing.load(other_file), database.keystore).check_keys()
    assert await database.keystore.checks() == before


async def test_a_wrong_key_file_with_more_versions_leaves_no_proof_behind(
    vault: Vault, database: Database, tmp_path: Path
) -> None:
    other_file = tmp_path / "other.key"
    KeyRing.create_file(other_file)
    KeyRing.add_kek_version(other_file)
    with pytest.raises(KeyMaterialError):
        await Vault(KeyRing.load(other_file), database.keystore).check_keys()
    assert set(await database.keystore.checks()) == {"kek:1", "index"}


async def test_check_keys_refuses_a_key_file_lacking_a_used_version(
    database: Database, key_file: Path, tmp_path: Path
) -> None:
    older_copy = copy_of(key_file, tmp_path / "older.key")
    KeyRing.add_kek_version(key_file)
    await cold_vault(database, key_file).check_keys()
    with pytest.raises(KeyMaterialError, match="KEK version 2, which the key file lacks"):
        await Vault(KeyRing.load(older_copy), database.keystore).check_keys()


async def test_check_keys_refuses_a_key_file_lacking_the_version_of_stored_data_keys(
    vault: Vault, database: Database, key_file: Path, tmp_path: Path
) -> None:
    # Data keys under version 2, but no proof for it was ever recorded (say, written by a
    # process that skipped the start-up check): the version in use is still required.
    older_copy = copy_of(key_file, tmp_path / "older.key")
    KeyRing.add_kek_version(key_file)
    newer = Vault(KeyRing.load(key_file), database.keystore)
    await newer.create_key("case", uuid.uuid4())
    with pytest.raises(KeyMaterialError, match="data keys wrapped under KEK version 2"):
        await Vault(KeyRing.load(older_copy), database.keystore).check_keys()


async def test_check_keys_refuses_a_key_file_with_another_index_secret(
    vault: Vault, database: Database, key_file: Path, tmp_path: Path
) -> None:
    doc = KeyRing.generate()
    doc["keks"] = key_document(key_file)["keks"]
    changed = KeyRing.from_document(doc)
    with pytest.raises(KeyMaterialError, match="blind-index secret does not match"):
        await Vault(changed, database.keystore).check_keys()


async def test_check_keys_records_a_proof_for_a_new_version(
    vault: Vault, database: Database, key_file: Path
) -> None:
    KeyRing.add_kek_version(key_file)
    ring = KeyRing.load(key_file)
    await Vault(ring, database.keystore).check_keys()
    checks = await database.keystore.checks()
    assert set(checks) == {"kek:1", "kek:2", "index"}
    ring.verify_key_check(2, checks["kek:2"])


class StoreReadingTogether(KeyStore):
    """A real key store whose first read of the checks waits until every starter has read:
    the interleaving of two processes starting at the same moment, made certain."""

    def __init__(self, url: str, barrier: asyncio.Barrier) -> None:
        super().__init__(make_keystore_engine(url))
        self._barrier: asyncio.Barrier | None = barrier

    async def checks(self) -> dict[str, bytes]:
        found = await super().checks()
        if self._barrier is not None:
            barrier, self._barrier = self._barrier, None
            await barrier.wait()
        return found


async def test_processes_starting_together_on_a_new_store_both_start(
    database: Database, key_file: Path
) -> None:
    # Several API workers start at once on a fresh installation: both find no proofs and
    # both record them; the one that comes second verifies the first one's instead of failing.
    url = database.keystore.engine.url.render_as_string(hide_password=False)
    barrier = asyncio.Barrier(2)
    stores = [StoreReadingTogether(url, barrier) for _ in range(2)]
    try:
        await asyncio.gather(*(Vault(KeyRing.load(key_file), s).check_keys() for s in stores))
    finally:
        for store in stores:
            await store.engine.dispose()
    assert set(await database.keystore.checks()) == {"index", "kek:1"}
