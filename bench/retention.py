"""Retention job throughput: N due cases (arrangements ended more than six years ago,
destruction approved), then the preview and the run.

    .venv/bin/python bench/retention.py [--cases 1000] [--batch 200] [--folder DIR]
                                        [--processes 1] [--profile] [--files] [--archived]

By default the run is a backlog's: the cases were never archived and are past their
destruction date, so they are destroyed without being archived (no bundle), with
certificates. With --archived the steady state's two runs instead: first on the day the
arrangements ended, which archives every case (bundles written, read back and checked),
then on the day of the default run, which destroys the archived cases (bundles deleted);
each phase is timed and printed on its own.

SQLite in a temporary folder by default; TACT_DATABASE_URL and TACT_KEYSTORE_URL (both, empty
databases) for PostgreSQL. The archive store is a folder beside them. Prints cases per second
for the preview and for each run, and the job processes' CPU time per case (the PostgreSQL
server's is not counted); the folder is removed afterwards (kept with --profile, which saves
run.prof in it, of the last run). With --files each case also holds two concerns and three
pieces of evidence filed under them, as a real case file does; without it, its arrangement
alone.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import multiprocessing
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.gate import Gate
from casework.arrangements import validate_parameters
from casework.retention_queue import plan
from casework.retention_schedule import RetentionPolicy
from records.cases import NewCase, add_arrangement, add_concern, add_evidence, create_cases
from records.crypto import KeyRing
from records.customers import NewCustomer, create_customers
from records.database import Database
from records.migrate import upgrade
from records.models import (
    Arrangement,
    ArrangementKind,
    Case,
    CaseState,
    Channel,
    Concern,
    ConcernCategory,
    CustomerKind,
    EvidenceEntry,
    Service,
    Staff,
    utcnow,
)
from records.retention_tables import DestructionApproval
from records.vault import Vault
from retention.archive_store import FolderArchiveStore
from retention.job import BATCH, RetentionJob

ENDS = dt.date(2019, 6, 30)
AS_OF = dt.date(2026, 11, 30)
POLICY = RetentionPolicy("bench", "1", approval_required=True)
_BATCH = 2000


async def _load(database: Database, vault: Vault, count: int, files: bool) -> None:
    async with database.sessions() as session, session.begin():
        service = Service(id=uuid.uuid4(), slug="housing", name="Housing")
        officer = Staff(id=uuid.uuid4(), username="bench.officer", display_name="A. Officer")
        session.add_all([service, officer])
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
                if files:
                    await _add_file(session, vault, case, officer.id)
                session.add(
                    DestructionApproval(
                        case_id=case.id, destroy_on=dt.date(2025, 6, 30),
                        requested_by="staff:ig.one", requested_at=now,
                        approved_by="staff:ig.two", approved_at=now,
                    )
                )  # fmt: skip


async def _add_file(session: AsyncSession, vault: Vault, case: Case, officer_id: uuid.UUID) -> None:
    """What a real case file holds beside its arrangement: two concerns, and three pieces of
    evidence filed under them (made-up, neutral text)."""
    for category in (ConcernCategory.CONTACT_VOLUME, ConcernCategory.REPEAT_MATTER):
        concern = await add_concern(
            session,
            vault,
            case,
            category=category,
            description="Several contacts a day about one matter.",
            recorded_by=officer_id,
        )
        await session.flush()
        for day in range(1 if category is ConcernCategory.REPEAT_MATTER else 2):
            await add_evidence(
                session, vault, case, channel=Channel.EMAIL,
                occurred_on=dt.date(2019, 1, 2 + day), summary="Email about the same matter.",
                recorded_by=officer_id, concern_id=concern.id,
            )  # fmt: skip


# What the loaded cases hold, counted after loading.
_HELD = (
    (Arrangement, "arrangements"),
    (Concern, "concerns"),
    (EvidenceEntry, "evidence entries"),
)


@dataclass(frozen=True)
class _Setup:
    folder: Path
    cases_url: str
    keys_url: str
    batch: int
    files: bool = False  # each case also holds concerns and evidence, as a real file does


async def _open(setup: _Setup, share: tuple[int, int] = (0, 1)) -> tuple[Database, RetentionJob]:
    database = Database.open(setup.cases_url, setup.keys_url)
    vault = Vault(KeyRing.load(setup.folder / "tact.key"), database.keystore)
    await vault.check_keys()
    signer = CheckpointSigner.load(setup.folder / "audit.key")
    gate = Gate(Decisions(clock=utcnow), utcnow, signer=signer, vault=vault)
    store = FolderArchiveStore(setup.folder / "archive")
    job = RetentionJob(database, vault, gate, store, POLICY, utcnow, batch=setup.batch, share=share)
    return database, job


@dataclass(frozen=True)
class _Phase:
    """One run of the job: what it is called, the day it runs as of, the outcome it counts."""

    name: str
    as_of: dt.date
    outcome: str


BACKLOG = _Phase("run", AS_OF, "destroyed")
STEADY = (
    _Phase("archive", ENDS, "archived"),
    _Phase("destroy archived", AS_OF, "destroyed"),
)


async def _run(
    setup: _Setup, phase: _Phase, share: tuple[int, int] = (0, 1)
) -> tuple[int, int, float]:
    """One job process's run (its share of the cases): (handled, failed, CPU seconds of the
    process, every thread's)."""
    database, job = await _open(setup, share)
    try:
        cpu = time.process_time()
        report = await job.run(phase.as_of)
        cpu = time.process_time() - cpu
    finally:
        await database.dispose()
    return report.count(phase.outcome), report.failed, cpu


def _process(setup: _Setup, phase: _Phase, share: tuple[int, int]) -> tuple[int, int, float]:
    return asyncio.run(_run(setup, phase, share))


async def _run_in_processes(setup: _Setup, phase: _Phase, processes: int) -> tuple[int, int, float]:
    """Several job processes at once, each with its share of the cases, as
    `tact retention run --workers N` runs them (PostgreSQL)."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        done = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _process, setup, phase, (n, processes))
                for n in range(processes)
            )
        )
    return sum(d for d, _, _ in done), sum(f for _, f, _ in done), sum(c for _, _, c in done)


async def _prepare(setup: _Setup, count: int) -> None:
    await asyncio.to_thread(upgrade, setup.cases_url)
    KeyRing.create_file(setup.folder / "tact.key")
    CheckpointSigner.create_file(setup.folder / "audit.key")
    database = Database.open(setup.cases_url, setup.keys_url)
    await database.keystore.create_schema()
    vault = Vault(KeyRing.load(setup.folder / "tact.key"), database.keystore)
    await vault.check_keys()
    started = time.perf_counter()
    await _load(database, vault, count, setup.files)
    if database.engine.dialect.name == "postgresql":
        # Statistics, as autovacuum would gather them after such a load; the test server
        # runs without autovacuum, and without statistics every IN (...) becomes a scan.
        for engine in (database.engine, database.keystore.engine):
            async with engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("ANALYZE")
    loaded = time.perf_counter() - started
    async with database.sessions() as session:
        held = [
            f"{await session.scalar(select(func.count()).select_from(model)):,} {name}"
            for model, name in _HELD
        ]
    dialect = database.engine.dialect.name
    print(f"{dialect}: loaded {count} due cases ({', '.join(held)}) in {loaded:.1f} s")
    started = time.perf_counter()
    async with database.sessions() as session:
        due = sum([len(batch) async for batch in plan(session, POLICY, AS_OF)])
    took = time.perf_counter() - started
    print(f"preview: {due} due in {took:.2f} s ({due / took:,.0f} cases/s)")
    await database.dispose()


async def _main(
    count: int,
    batch: int,
    under: str | None,
    processes: int,
    profile: bool,
    files: bool,
    archived: bool,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tact-retention-bench-", dir=under))
    setup = _Setup(
        folder,
        os.environ.get("TACT_DATABASE_URL") or f"sqlite:///{folder / 'cases.db'}",
        os.environ.get("TACT_KEYSTORE_URL") or f"sqlite:///{folder / 'keys.db'}",
        batch,
        files,
    )
    await _prepare(setup, count)
    profiler = None
    for phase in STEADY if archived else (BACKLOG,):
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        if processes > 1:
            handled, failed, cpu = await _run_in_processes(setup, phase, processes)
        else:
            handled, failed, cpu = await _run(setup, phase)
        if profiler:
            profiler.disable()
        took = time.perf_counter() - started
        what = "destroyed with certificates" if phase.outcome == "destroyed" else phase.outcome
        print(
            f"{phase.name}: {handled} {what}, {failed} failed, in {took:.1f} s "
            f"({handled / took:,.0f} cases/s; job CPU {cpu:.1f} s, "
            f"{1000 * cpu / max(handled, 1):.2f} ms a case)"
            + (f", {processes} processes" if processes > 1 else "")
        )
    if profiler:
        stats = pstats.Stats(profiler)
        stats.dump_stats(folder / "run.prof")
        stats.sort_stats("cumulative").print_stats(30)
        print(f"profile of the run: {folder / 'run.prof'}")
    else:
        shutil.rmtree(folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=BATCH, help="cases per batch and step")
    parser.add_argument(
        "--folder",
        help="where the run's folder (SQLite files, archive store) is made, created if need "
        "be; default the system's temporary folder",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="job processes at once, as --workers (PostgreSQL)"
    )
    parser.add_argument("--profile", action="store_true", help="profile a one-process run")
    parser.add_argument(
        "--files",
        action="store_true",
        help="each case also holds two concerns and three pieces of evidence, as real ones do",
    )
    parser.add_argument(
        "--archived",
        action="store_true",
        help="archive every case first (timed as 'archive'), then destroy the archived cases "
        "(timed as 'destroy archived'): the steady state, not a backlog",
    )
    args = parser.parse_args()
    if args.folder is not None:
        Path(args.folder).mkdir(parents=True, exist_ok=True)  # made if it is not there yet
    asyncio.run(
        _main(
            args.cases,
            args.batch,
            args.folder,
            args.processes,
            args.profile,
            args.files,
            args.archived,
        )
    )
