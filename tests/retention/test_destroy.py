"""After destruction nothing of the person is left: not in the database files (SQLite) or a
pg_dump (PostgreSQL), the archive store or the logs; the certificate holds none of it; and a
copy of the case taken before destruction can no longer be opened once the key is shredded.
The customer goes with their last case, not before."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from records.case_files import open_case_file
from records.certificates import list_certificates
from records.crypto import KeyRing
from records.database import Database
from records.errors import NotFound
from records.lookup import LookupKind
from records.models import Attachment, Case, Customer
from records.retention_tables import RetentionProgress
from records.vault import Vault
from retention.job import RetentionJob
from tests.authz.world import Clock, make_gate
from tests.retention.world import add_case, build_world, make_job

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)
DESTROY_DAY = dt.date(2026, 3, 1)


def _sqlite_files(database: Database) -> list[Path]:
    found = []
    for engine in (database.engine, database.keystore.engine):
        path = Path(str(engine.url.database))
        found += [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    return found


def _pg_dump(database: Database) -> bytes:
    dumped = b""
    for engine in (database.engine, database.keystore.engine):
        url = engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        dumped += subprocess.run(
            ["pg_dump", "--data-only", dsn], check=True, capture_output=True, env=env
        ).stdout
    return dumped


def _everything(database: Database, archive: Path, logs: str) -> bytes:
    if database.engine.dialect.name == "sqlite":
        stored = b"".join(p.read_bytes() for p in _sqlite_files(database))
    else:
        stored = _pg_dump(database)
    bundles = b"".join(p.read_bytes() for p in archive.rglob("*") if p.is_file())  # spares too
    return stored + bundles + logs.encode("utf-8")


async def test_destruction_leaves_nothing_of_the_person_anywhere(
    database: Database,
    vault: Vault,
    key_file: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[ENDS])
    values = world.canaries[case_id]
    digest = vault.blind_index(LookupKind.EMAIL, values["email"])
    archive = tmp_path / "archive"
    job = make_job(database, vault, make_gate(Clock()), archive, Clock())
    await job.run(ENDS)
    assert len(list(archive.glob("*.bundle"))) == 1  # archived: the bundle is there, sealed
    async with database.sessions() as session:
        row = await session.get(Case, case_id)
        assert row is not None and row.summary_sealed is not None
        copy_of_summary = row.summary_sealed
    backup = tmp_path / "backup"
    if database.engine.dialect.name == "sqlite":
        backup.mkdir()
        shutil.copy(Path(str(database.engine.url.database)), backup / "cases.db")

    before = _everything(database, archive, caplog.text)
    assert digest in before or digest.hex().encode() in before  # the scan does see the files

    assert (await job.run(DESTROY_DAY)).count("destroyed") == 1

    everything = _everything(database, archive, caplog.text)
    for name, value in values.items():
        assert value.encode("utf-8") not in everything, f"the {name} canary is still stored"
    assert digest not in everything and digest.hex().encode() not in everything
    async with database.sessions() as session:
        (certificate,) = await list_certificates(session)
        assert await session.scalar(select(func.count()).select_from(RetentionProgress)) == 0
        # The attachment went with the case, and the certificate counts it.
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert certificate.counts["attachments"] == 1
    text = repr({c.name: getattr(certificate, c.name) for c in certificate.__table__.columns})
    for value in values.values():
        assert value not in text
    assert str(world.customers[case_id]) not in text

    # The copy taken before destruction: a fresh vault (no cached key) cannot open it.
    fresh = Vault(KeyRing.load(key_file), database.keystore)
    with pytest.raises(NotFound):
        cipher = await fresh.cipher("case", case_id)
        cipher.open("cases", "summary", case_id, copy_of_summary)
    if database.engine.dialect.name == "sqlite":
        copy = Database.open(f"sqlite:///{backup / 'cases.db'}", str(database.keystore.engine.url))
        try:
            async with copy.sessions() as session:
                with pytest.raises(NotFound):
                    await open_case_file(session, fresh, case_id)
        finally:
            await copy.dispose()


async def test_the_customer_goes_with_their_last_case_only(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    world = await build_world(database, NOW)
    first = await add_case(database, vault, world, ends_on=[ENDS])
    customer_id = world.customers[first]
    second = await add_case(
        database, vault, world, ends_on=[dt.date(2021, 5, 4)], customer_id=customer_id,
        service="fire-safety",
    )  # fmt: skip
    # The job runs in May 2027, catching up the earlier days first.
    clock = Clock(dt.datetime(2027, 5, 4, 2, tzinfo=dt.UTC))
    job: RetentionJob = make_job(database, vault, make_gate(clock), tmp_path / "a", clock)
    await job.run(ENDS)
    await job.run(DESTROY_DAY)
    async with database.sessions() as session:
        assert await session.get(Customer, customer_id) is not None
        assert await session.get(Case, second) is not None
    await vault.cipher("customer", customer_id)  # the customer's key is kept
    await job.run(dt.date(2021, 5, 4))
    await job.run(dt.date(2027, 5, 4))
    async with database.sessions() as session:
        assert await session.get(Customer, customer_id) is None
        certificates = await list_certificates(session)
    assert sorted(c.counts.get("customers", 0) for c in certificates) == [0, 1]
    vault.forget(f"customer:{customer_id}")
    with pytest.raises(NotFound):
        await vault.cipher("customer", customer_id)


async def test_destruction_is_an_access_log_event(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    from records.models import AccessLogEntry

    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[ENDS])
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "a", Clock())
    await job.run(ENDS)
    await job.run(DESTROY_DAY)
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(AccessLogEntry.operation, AccessLogEntry.outcome, AccessLogEntry.actor)
                .where(AccessLogEntry.case_id == case_id)
                .order_by(AccessLogEntry.seq)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("archive_case", "allowed", "system:retention"),
        ("destroy_case", "allowed", "system:retention"),
    ]
    assert uuid.UUID(str(case_id))  # the entry names the case by id, nothing more
