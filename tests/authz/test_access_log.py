"""The hash chain: every column is covered, an untouched log verifies, and each kind of
tampering is caught at the first bad entry (through `verify` and through `tact audit verify`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import delete, select, update

from authz.access_log import GENESIS, LogRecord, append, entry_hash
from authz.audit_signing import CheckpointSigner
from authz.log_verify import VerifyReport, verify
from records.database import Database
from records.models import AccessLogCheckpoint, AccessLogEntry
from tests.authz.world import START

SIGNER = CheckpointSigner.generate()


def record(n: int) -> LogRecord:
    return LogRecord(
        at=START + dt.timedelta(seconds=n, microseconds=n),
        actor=f"staff:officer-{n % 3}",
        operation="read_case",
        outcome="allowed",
        role="case_officer",
        service="housing",
        case_id=uuid.UUID(int=n),
        customer_id=uuid.UUID(int=1000 + n),
        fields="full",
        request_id=f"req-{n}",
    )


async def fill(database: Database, count: int, *, checkpoint_every: int = 5) -> None:
    """`count` entries, one transaction each, as the gate writes them."""
    for n in range(1, count + 1):
        async with database.sessions() as session:
            await append(session, [record(n)], signer=SIGNER, checkpoint_every=checkpoint_every)
            await session.commit()


async def check(database: Database, signer: CheckpointSigner = SIGNER) -> VerifyReport:
    async with database.sessions() as session:
        return await verify(session, signer)


async def run_sql(database: Database, *statements: object) -> None:
    async with database.sessions() as session:
        for statement in statements:
            await session.execute(statement)  # type: ignore[call-overload]
        await session.commit()


# -- the hash ----------------------------------------------------------------------------

HASHED = (
    "at", "actor", "role", "operation", "service", "case_id",
    "customer_id", "fields", "outcome", "reason", "request_id",
)  # fmt: skip


def _hash(
    r: LogRecord, seq: int = 7, prev: bytes = GENESIS, key: bytes = SIGNER.chain_key
) -> bytes:
    return entry_hash(
        key, seq, r.at, r.actor, r.role, r.operation, r.service, r.case_id, r.customer_id,
        r.fields, r.outcome, r.reason, r.request_id, prev,
    )  # fmt: skip


@pytest.mark.parametrize("column", HASHED)
def test_every_column_changes_the_hash(column: str) -> None:
    original = dataclasses.replace(record(1), reason="stated reason")
    other = {
        "at": original.at + dt.timedelta(microseconds=1),
        "case_id": uuid.UUID(int=99),
        "customer_id": uuid.UUID(int=98),
    }.get(column, "x")
    assert _hash(original) != _hash(dataclasses.replace(original, **{column: other}))


def test_seq_and_predecessor_change_the_hash() -> None:
    r = record(1)
    assert _hash(r, seq=7) != _hash(r, seq=8)
    assert _hash(r, prev=GENESIS) != _hash(r, prev=b"\x01" * 32)


def test_the_encoding_is_unambiguous() -> None:
    r = record(1)
    # Moving text from one column into the next, and None versus empty, are different.
    split_a = dataclasses.replace(r, service="ho", fields="usingfull")
    split_b = dataclasses.replace(r, service="hous", fields="ingfull")
    assert _hash(split_a) != _hash(split_b)
    assert _hash(dataclasses.replace(r, reason=None)) != _hash(dataclasses.replace(r, reason=""))


def test_naive_and_aware_utc_times_hash_alike() -> None:
    # SQLite hands timestamps back without their zone; they are UTC.
    r = record(1)
    naive = dataclasses.replace(r, at=r.at.replace(tzinfo=None))
    assert _hash(naive) == _hash(r)


# -- verify ------------------------------------------------------------------------------


async def test_an_untouched_log_verifies(database: Database) -> None:
    await fill(database, 12)
    report = await check(database)
    assert report.ok, report.describe()
    assert (report.entries, report.head_seq, report.checkpoints) == (12, 12, 2)


async def test_an_empty_log_verifies(database: Database) -> None:
    assert (await check(database)).ok


async def test_a_changed_entry_is_named(database: Database) -> None:
    await fill(database, 12)
    await run_sql(
        database,
        update(AccessLogEntry).where(AccessLogEntry.seq == 7).values(actor="staff:someone-else"),
    )
    report = await check(database)
    assert report.first_bad_seq == 7
    assert report.problem is not None and "changed" in report.problem.what


async def test_a_removed_entry_is_named(database: Database) -> None:
    await fill(database, 12)
    await run_sql(database, delete(AccessLogEntry).where(AccessLogEntry.seq == 6))
    report = await check(database)
    assert report.first_bad_seq == 6
    assert report.problem is not None and "missing" in report.problem.what


async def test_a_removed_entry_with_later_ones_renumbered_is_named(database: Database) -> None:
    await fill(database, 12)
    await run_sql(
        database,
        delete(AccessLogEntry).where(AccessLogEntry.seq == 6),
        update(AccessLogEntry).where(AccessLogEntry.seq > 6).values(seq=-AccessLogEntry.seq),
        update(AccessLogEntry).where(AccessLogEntry.seq < 0).values(seq=-AccessLogEntry.seq - 1),
    )
    report = await check(database)
    assert report.first_bad_seq == 6


async def test_a_forged_entry_is_named(database: Database) -> None:
    await fill(database, 12)
    # Make room at seq 5 and put a well-formed entry there, with a hash that is right for
    # its own contents: its link to entry 4 is what gives it away.
    forged = dataclasses.replace(record(5), actor="staff:not-there", outcome="denied")
    fake_prev = bytes(range(32))
    await run_sql(
        database,
        update(AccessLogEntry).where(AccessLogEntry.seq >= 5).values(seq=-AccessLogEntry.seq - 1),
        update(AccessLogEntry).where(AccessLogEntry.seq < 0).values(seq=-AccessLogEntry.seq),
    )
    async with database.sessions() as session:
        session.add(
            AccessLogEntry(
                **forged.__dict__,
                seq=5,
                prev_hash=fake_prev,
                entry_hash=_hash(forged, seq=5, prev=fake_prev),
            )
        )
        await session.commit()
    report = await check(database)
    assert report.first_bad_seq == 5
    assert report.problem is not None and "link" in report.problem.what


async def test_two_reordered_entries_are_named(database: Database) -> None:
    await fill(database, 12)
    await run_sql(
        database,
        update(AccessLogEntry).where(AccessLogEntry.seq == 8).values(seq=-8),
        update(AccessLogEntry).where(AccessLogEntry.seq == 9).values(seq=8),
        update(AccessLogEntry).where(AccessLogEntry.seq == -8).values(seq=9),
    )
    report = await check(database)
    assert report.first_bad_seq == 8


async def test_a_tail_cut_after_a_checkpoint_is_named(database: Database) -> None:
    await fill(database, 12)  # checkpoints at 5 and 10
    await run_sql(database, delete(AccessLogEntry).where(AccessLogEntry.seq >= 9))
    report = await check(database)
    assert report.first_bad_seq == 9
    assert report.problem is not None and "cut" in report.problem.what


async def test_a_recomputed_chain_is_caught_by_its_checkpoint(database: Database) -> None:
    await fill(database, 12)
    # Change entry 3 and recompute every hash after it, as someone with database access
    # (but not the signing key) could.
    async with database.sessions() as session:
        rows = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq))).all()
        rows[2].actor = "staff:someone-else"
        prev = GENESIS
        for row in rows:
            row.prev_hash = prev
            row.entry_hash = prev = _hash(as_record(row), seq=row.seq, prev=prev)
        await session.commit()
    report = await check(database)
    assert report.first_bad_seq == 5
    assert report.problem is not None and "checkpoint" in report.problem.what


def as_record(row: AccessLogEntry) -> LogRecord:
    return LogRecord(**{f.name: getattr(row, f.name) for f in dataclasses.fields(LogRecord)})


async def test_a_forged_checkpoint_signature_is_caught(database: Database) -> None:
    await fill(database, 12)
    await run_sql(
        database,
        update(AccessLogCheckpoint)
        .where(AccessLogCheckpoint.seq == 10)
        .values(signature=bytes(64)),
    )
    report = await check(database)
    assert report.first_bad_seq == 10
    assert report.problem is not None and "signature" in report.problem.what


async def test_a_checkpoint_by_another_key_is_caught(database: Database) -> None:
    await fill(database, 6)
    other = CheckpointSigner.generate()
    async with database.sessions() as session:
        made = await session.scalar(select(AccessLogCheckpoint))
        assert made is not None and made.seq == 5
        made.key_id = other.key_id
        made.signature = other.sign(made.seq, bytes(made.entry_hash), made.signed_at)
        await session.commit()
    report = await check(database)
    assert report.first_bad_seq == 5
    assert report.problem is not None and "unknown key" in report.problem.what


async def test_a_log_checked_with_another_installations_key_fails_at_its_first_entry(
    database: Database,
) -> None:
    await fill(database, 6)
    report = await check(database, signer=CheckpointSigner.generate())
    assert report.first_bad_seq == 1


async def test_an_entry_appended_at_the_tail_without_the_key_is_named(database: Database) -> None:
    """Someone who can write to the database but not read the key file links a new entry to
    the head correctly; its HMAC cannot be right, so verify names it (checkpoints alone
    would not: nothing after the last checkpoint is pinned)."""
    await fill(database, 7)
    async with database.sessions() as session:
        head = await session.scalar(select(AccessLogEntry).where(AccessLogEntry.seq == 7))
        assert head is not None
        forged = dataclasses.replace(record(8), actor="staff:not-there")
        prev = bytes(head.entry_hash)
        session.add(
            AccessLogEntry(
                **forged.__dict__,
                seq=8,
                prev_hash=prev,
                entry_hash=_hash(forged, seq=8, prev=prev, key=bytes(32)),
            )
        )
        await session.commit()
    report = await check(database)
    assert report.first_bad_seq == 8
    assert report.problem is not None and "hash" in report.problem.what
