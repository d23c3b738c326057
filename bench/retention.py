"""Retention job throughput: N due cases (arrangements ended more than six years ago,
destruction approved), then the preview and the run (archive and destroy, with certificates).

    .venv/bin/python bench/retention.py [--cases 1000] [--batch 200] [--folder DIR] [--profile]

SQLite in a temporary folder by default; TACT_DATABASE_URL and TACT_KEYSTORE_URL (both, empty
databases) for PostgreSQL. The archive store is a folder beside them. Prints cases per second
for the preview and for the run; the folder is removed afterwards (kept with --profile, which
saves run.prof in it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.gate import Gate
from casework.arrangements import validate_parameters
from casework.retention_queue import plan
from casework.retention_schedule import RetentionPolicy
from records.cases import NewCase, add_arrangement, create_cases
from records.crypto import KeyRing
from records.customers import NewCustomer, create_customers
from records.database import Database
from records.migrate import upgrade
from records.models import ArrangementKind, CaseState, CustomerKind, Service, utcnow
from records.retention_tables import DestructionApproval
from records.vault import Vault
from retention.archive_store import FolderArchiveStore
from retention.job import BATCH, RetentionJob

ENDS = dt.date(2019, 6, 30)
AS_OF = dt.date(2026, 11, 30)
POLICY = RetentionPolicy("bench", "1", approval_required=True)
_BATCH = 2000


async def _load(database: Database, vault: Vault, count: int) -> None:
    async with database.sessions() as session, session.begin():
        service = Service(id=uuid.uuid4(), slug="housing", name="Housing")
        session.add(service)
    parameters = validate_parameters(ArrangementKind.NAMED_OFFICER, {})
    now = dt.datetime(2019, 1, 7, tzinfo=dt.UTC)
    for start in range(0, count, _BATCH):
        size = min(_BATCH, count - start)
        async with database.sessions() as session, session.begin():
            people = [
                NewCustomer(CustomerKind.INDIVIDUAL, f"Person {start + n}") for n in range(size)
            ]
            customers = await create_customers(session, vault, people)
            cases = await create_cases(
                session,
                vault,
                [NewCase(service.id, c, now, state=CaseState.DECIDED) for c in customers],
            )
            for case in cases:
                await add_arrangement(
                    session, vault, case, kind=ArrangementKind.NAMED_OFFICER,
                    parameters=parameters, service_ids=[service.id],
                    starts_on=dt.date(2019, 2, 1), ends_on=ENDS,
                )  # fmt: skip
                session.add(
                    DestructionApproval(
                        case_id=case.id, destroy_on=dt.date(2025, 6, 30),
                        requested_by="staff:ig.one", requested_at=now,
                        approved_by="staff:ig.two", approved_at=now,
                    )
                )  # fmt: skip


async def _main(count: int, profile: bool, batch: int, under: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tact-retention-bench-", dir=under))
    cases_url = os.environ.get("TACT_DATABASE_URL") or f"sqlite:///{folder / 'cases.db'}"
    keys_url = os.environ.get("TACT_KEYSTORE_URL") or f"sqlite:///{folder / 'keys.db'}"
    await asyncio.to_thread(upgrade, cases_url)
    KeyRing.create_file(folder / "tact.key")
    database = Database.open(cases_url, keys_url)
    await database.keystore.create_schema()
    vault = Vault(KeyRing.load(folder / "tact.key"), database.keystore)
    await vault.check_keys()
    gate = Gate(Decisions(clock=utcnow), utcnow, signer=CheckpointSigner.generate(), vault=vault)
    started = time.perf_counter()
    await _load(database, vault, count)
    loaded = time.perf_counter() - started
    print(f"{database.engine.dialect.name}: loaded {count} due cases in {loaded:.1f} s")

    started = time.perf_counter()
    async with database.sessions() as session:
        due = sum([len(batch) async for batch in plan(session, POLICY, AS_OF)])
    took = time.perf_counter() - started
    print(f"preview: {due} due in {took:.2f} s ({due / took:,.0f} cases/s)")

    job = RetentionJob(
        database, vault, gate, FolderArchiveStore(folder / "archive"), POLICY, utcnow
    )
    job.batch = batch
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = await job.run(AS_OF)
    if profiler:
        profiler.disable()
    took = time.perf_counter() - started
    destroyed = report.count("destroyed")
    print(
        f"run: {destroyed} destroyed with certificates, {report.failed} failed, in {took:.1f} s "
        f"({destroyed / took:,.0f} cases/s)"
    )
    await database.dispose()
    if not profiler:
        shutil.rmtree(folder)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.dump_stats(folder / "run.prof")
        stats.sort_stats("cumulative").print_stats(30)
        print(f"profile of the run: {folder / 'run.prof'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--batch", type=int, default=BATCH, help="cases per batch and step")
    parser.add_argument(
        "--folder",
        help="where the run's folder (SQLite files, archive store) is made; default the "
        "system's temporary folder",
    )
    args = parser.parse_args()
    asyncio.run(_main(args.cases, args.profile, args.batch, args.folder))
