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
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from authz.audit_signing import CheckpointSigner
from authz.log_verify import VerifyReport, verify
from bench.log_fill import fill_log, table
from bench.status import drop_storage, open_storage
from records.database import Database
from records.migrate import upgrade
from records.models import AccessLogEntry


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
            update(table(AccessLogEntry))
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
        await fill_log(database, signer, count, every)
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
