"""Access-log retention: entries past the period are pruned only up to a signed checkpoint,
and the log still verifies from there (and still catches a changed entry)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from authz.actor import Actor
from authz.audit_signing import CheckpointSigner
from authz.gate import Gate, Target
from authz.log_verify import verify
from authz.operations import Operation
from records.database import Database
from records.models import AccessLogEntry, Service
from retention.job import JOB_ACTOR
from retention.log_pruning import prune_access_log
from tests.authz.world import Clock, make_gate


async def _touch(database: Database, gate: Gate, actor: Actor, times: int) -> None:
    for _ in range(times):
        async with (
            database.sessions() as session,
            gate.access(session, actor, Operation.VERIFY_ACCESS_LOG, Target()),
        ):
            pass


async def _seqs(database: Database) -> list[int]:
    async with database.sessions() as session:
        return list(await session.scalars(select(AccessLogEntry.seq).order_by(AccessLogEntry.seq)))


async def test_old_entries_go_up_to_a_signed_checkpoint_and_the_log_still_verifies(
    database: Database,
) -> None:
    async with database.sessions() as session, session.begin():
        session.add(Service(slug="housing", name="Housing"))
    clock, signer = Clock(), CheckpointSigner.generate()
    gate = make_gate(clock, signer=signer, checkpoint_every=5)
    await _touch(database, gate, JOB_ACTOR, 12)  # checkpoints at seq 5 and 10
    clock.advance(400 * 86400)
    await _touch(database, gate, JOB_ACTOR, 3)
    cutoff = clock.now - dt.timedelta(days=200)

    async with database.sessions() as session:
        pruned = await prune_access_log(session, gate, JOB_ACTOR, cutoff)
    assert pruned == 10  # 11 and 12 are old too, but no checkpoint covers them yet
    assert await _seqs(database) == [11, 12, 13, 14, 15, 16]  # 16: the pruning's own entry
    async with database.sessions() as session:
        report = await verify(session, signer)
    assert report.ok, report.describe()

    async with database.sessions() as session, session.begin():
        await session.execute(
            update(AccessLogEntry).where(AccessLogEntry.seq == 12).values(actor="staff:someone")
        )
    async with database.sessions() as session:
        report = await verify(session, signer)
    assert report.first_bad_seq == 12


async def test_without_a_checkpoint_before_the_cutoff_nothing_is_pruned(
    database: Database,
) -> None:
    clock = Clock()
    gate = make_gate(clock, checkpoint_every=0)
    await _touch(database, gate, JOB_ACTOR, 4)
    clock.advance(400 * 86400)
    async with database.sessions() as session:
        assert await prune_access_log(session, gate, JOB_ACTOR, clock.now) == 0
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AccessLogEntry)) == 4
