"""How long does verifying a long access log take? Builds an access log of N entries (a
million by default) with real chain hashes and a signed checkpoint every 1,000 entries, as
authz/access_log.py writes them, then times `authz.log_verify.verify` over it, and checks that
a changed entry is still found.

    .venv/bin/python bench/audit_verify.py [--entries 1000000] [--checkpoint-every 1000]

SQLite in a temporary folder by default. With TACT_DATABASE_URL=postgresql://.../test a fresh
database is made beside that one and dropped afterwards (as bench/status.py does). Target on
the 2-core bench machine (bench/README.md): a million entries verified in under 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from authz.access_log import GENESIS, entry_hash
from authz.audit_signing import CheckpointSigner
from authz.log_verify import VerifyReport, verify
from bench.status import drop_storage, open_storage
from records.bulk_rows import insert_rows
from records.database import Database
from records.migrate import upgrade
from records.models import AccessLogCheckpoint, AccessLogEntry, Base

BATCH = 50_000
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
_ENTRY_COLUMNS = (
    "seq", "at", "actor", "role", "operation", "service", "case_id", "customer_id", "fields",
    "outcome", "reason", "request_id", "prev_hash", "entry_hash",
)  # fmt: skip
_CHECKPOINT_COLUMNS = ("seq", "entry_hash", "signed_at", "signature", "key_id")
_PORTAL = "portal:bench-portal"


def _table(model: type[Base]) -> Any:
    return model.metadata.tables[model.__tablename__]


def _entries(
    signer: CheckpointSigner, count: int, every: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Batches of (entries, checkpoints): portal lookups, staff reads and refusals, chained
    and signed as the gate's appends chain and sign them."""
    prev = GENESIS
    entries: list[tuple[Any, ...]] = []
    checkpoints: list[tuple[Any, ...]] = []
    customers = [uuid.uuid4() for _ in range(1000)]
    cases = [uuid.uuid4() for _ in range(300)]
    for seq in range(1, count + 1):
        at = START + dt.timedelta(milliseconds=seq * 7)
        if seq % 10:
            actor, role, operation, fields = _PORTAL, None, "restriction_status", "status"
            case_id, customer_id = None, customers[seq % 1000]
        else:
            actor, role, operation, fields = "staff:officer.3", "officer", "read_case", "full"
            case_id, customer_id = cases[seq % 300], None
        outcome = "denied" if seq % 97 == 0 else "allowed"
        reason = "no rule allows this" if outcome == "denied" else None
        request_id = f"bench-{seq}"
        values = (seq, at, actor, role, operation, "housing", case_id, customer_id, fields,
                  outcome, reason, request_id, prev)  # fmt: skip
        digest = entry_hash(signer.chain_key, *values)
        entries.append((*values, digest))
        if every and seq % every == 0:
            checkpoints.append((seq, digest, at, signer.sign(seq, digest, at), signer.key_id))
        prev = digest
        if len(entries) == BATCH:
            yield entries, checkpoints
            entries, checkpoints = [], []
    if entries:
        yield entries, checkpoints


async def build(database: Database, signer: CheckpointSigner, count: int, every: int) -> None:
    for entries, checkpoints in _entries(signer, count, every):
        async with database.engine.begin() as conn:
            await insert_rows(conn, _table(AccessLogEntry), _ENTRY_COLUMNS, entries)
            await insert_rows(conn, _table(AccessLogCheckpoint), _CHECKPOINT_COLUMNS, checkpoints)
    if database.engine.dialect.name == "postgresql":
        async with database.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")


async def timed_verify(
    database: Database, signer: CheckpointSigner
) -> tuple[VerifyReport, float, float]:
    """The report, wall seconds, and this process's CPU seconds (all threads: on a shared
    machine the steadier figure)."""
    started, cpu = time.perf_counter(), time.process_time()
    async with database.sessions() as session:
        report = await verify(session, signer)
    return report, time.perf_counter() - started, time.process_time() - cpu


async def change_one(database: Database, seq: int) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            update(_table(AccessLogEntry))
            .where(AccessLogEntry.seq == seq)
            .values(request_id="bench-changed")
        )


async def run(cases_url: str, keys_url: str, count: int, every: int) -> int:
    await asyncio.to_thread(upgrade, cases_url)
    database = Database.open(cases_url, keys_url)
    signer = CheckpointSigner.generate()
    try:
        print(f"database: {database.engine.dialect.name}; load average {_load()}", flush=True)
        started = time.perf_counter()
        await build(database, signer, count, every)
        built = time.perf_counter() - started
        print(f"built {count:,} entries in {built:.1f} s ({count / built:,.0f} entries/s)")
        report, seconds, cpu = await timed_verify(database, signer)
        print(f"verify: {report.describe()}")
        print(f"verified {report.entries:,} entries in {seconds:.2f} s "
              f"({report.entries / seconds:,.0f} entries/s, CPU {cpu:.2f} s in this process); "
              f"load average {_load()}")  # fmt: skip
        await change_one(database, count * 2 // 3)
        changed, _, _ = await timed_verify(database, signer)
        print(f"after changing entry {count * 2 // 3:,}: {changed.describe()}")
        good = report.ok and report.entries == count and changed.first_bad_seq == count * 2 // 3
    finally:
        await database.dispose()
    return 0 if good else 1


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    args = parser.parse_args()
    storage = open_storage(Path(tempfile.mkdtemp(prefix="tact-audit-")))
    try:
        return asyncio.run(
            run(storage.cases_url, storage.keys_url, args.entries, args.checkpoint_every)
        )
    finally:
        drop_storage(storage)
        shutil.rmtree(storage.folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
