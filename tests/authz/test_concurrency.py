"""Concurrent writers never fork the chain: 8 writers, each with its own engine (its own
connections), append 250 entries each through the gate at the same time; the log then holds
2,000 entries in one unbroken chain that verifies."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.gate import Gate, Target
from authz.log_verify import verify
from authz.operations import Operation
from records.database import Database
from records.models import AccessLogCheckpoint, AccessLogEntry
from tests.authz.world import Clock, add_services, portal_actor

WRITERS = 8
EACH = 250


async def writer(urls: tuple[str, str], gate: Gate, number: int, started: asyncio.Event) -> None:
    database = Database.open(*urls)
    portal = portal_actor("housing")
    try:
        await started.wait()
        for n in range(EACH):
            async with (
                database.sessions() as session,
                gate.access(
                    session,
                    portal,
                    Operation.RESTRICTION_STATUS,
                    Target(service="housing"),
                    request_id=f"w{number}-{n}",
                ),
            ):
                pass
    finally:
        await database.dispose()


async def test_eight_concurrent_writers_keep_one_chain(
    database: Database, database_urls: tuple[str, str]
) -> None:
    await add_services(database, "housing")
    clock = Clock()
    signer = CheckpointSigner.generate()
    started = asyncio.Event()
    tasks = []
    for number in range(WRITERS):
        # One gate per writer too, as in separate processes: nothing shared but the database.
        gate = Gate(
            Decisions(clock=clock, reload_every=0), clock, signer=signer, checkpoint_every=500
        )
        tasks.append(asyncio.create_task(writer(database_urls, gate, number, started)))
    started.set()
    await asyncio.gather(*tasks)

    async with database.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(AccessLogEntry))
        request_ids = await session.scalar(
            select(func.count(func.distinct(AccessLogEntry.request_id)))
        )
        checkpoints = (await session.scalars(select(AccessLogCheckpoint.seq))).all()
        report = await verify(session, signer)
    assert count == WRITERS * EACH
    assert request_ids == WRITERS * EACH
    assert sorted(checkpoints) == [500, 1000, 1500, 2000]
    assert report.ok, report.describe()
    assert report.head_seq == WRITERS * EACH
