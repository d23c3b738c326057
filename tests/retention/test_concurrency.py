"""Two `tact retention run` processes at once on PostgreSQL, over the same due cases (the
issue's 1,000 by default, about 10 s; TACT_TEST_RETENTION_CASES sets another count), in
batches that mix both steps: every other case is past its destruction date and destroyed
(without being archived), the rest due for archive only and archived, each exactly once (row
locks that skip rows another process has). Likewise one `tact retention run --workers 2`,
which starts two such processes itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casework.arrangements import validate_parameters
from records.cases import NewCase, add_arrangement, create_cases
from records.customers import NewCustomer, create_customers
from records.database import Database
from records.models import AccessLogEntry, ArrangementKind, CaseState, CustomerKind
from records.retention_tables import DestructionApproval, DestructionCertificate
from records.vault import Vault
from tests.cli import Env, tact_env, tact_process
from tests.retention.world import build_world

CASES = int(os.environ.get("TACT_TEST_RETENTION_CASES", "1000"))
NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)
DESTROY_DAY = dt.date(2026, 3, 1)
LATER_ENDS = dt.date(2021, 6, 30)  # due for archive only on DESTROY_DAY
pytestmark = pytest.mark.slow


async def seed(database: Database, vault: Vault, count: int) -> dict[str, str]:
    """`count` settled cases: every other one's arrangement ended on ENDS, destruction
    already approved (to be destroyed), the rest's on LATER_ENDS (to be archived). Returns
    each case's reference and the outcome it is due."""
    world = await build_world(database, NOW)
    housing = world.services["housing"]
    references: dict[str, str] = {}
    async with database.sessions() as session, session.begin():
        customers = await create_customers(
            session,
            vault,
            [NewCustomer(CustomerKind.INDIVIDUAL, f"Person {n}") for n in range(count)],
        )
        cases = await create_cases(
            session,
            vault,
            [NewCase(housing, c, NOW, state=CaseState.DECIDED) for c in customers],
        )
        parameters = validate_parameters(ArrangementKind.NAMED_OFFICER, {})
        for n, case in enumerate(cases):
            destroyed = n % 2 == 0
            await add_arrangement(
                session,
                vault,
                case,
                kind=ArrangementKind.NAMED_OFFICER,
                parameters=parameters,
                service_ids=[housing],
                starts_on=dt.date(2019, 2, 1),
                ends_on=ENDS if destroyed else LATER_ENDS,
            )
            references[case.reference] = "destroyed" if destroyed else "archived"
            if not destroyed:
                continue
            session.add(
                DestructionApproval(
                    id=uuid.uuid4(),
                    case_id=case.id,
                    destroy_on=DESTROY_DAY,
                    requested_by="staff:ig.one",
                    requested_at=NOW,
                    approved_by="staff:ig.two",
                    approved_at=NOW,
                )
            )
    return references


def job_env(database_urls: tuple[str, str], key_file: Path, tmp_path: Path) -> Env:
    return tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")


async def run_job(env: Env, *options: str) -> list[dict[str, Any]]:
    ran = await tact_process(env, "retention", "run", "--as-of", DESTROY_DAY.isoformat(), *options)
    assert ran.code == 0, ran.err.decode()[-4000:]  # ids and references only
    return [json.loads(line) for line in ran.out.decode().splitlines()]


async def test_two_processes_handle_each_due_case_once(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several job processes at once is a PostgreSQL promise")
    references = await seed(database, vault, CASES)
    env = job_env(database_urls, key_file, tmp_path)
    # Both awaited to the end, so a failing one leaves no process behind the test
    runs = await asyncio.gather(run_job(env), run_job(env), return_exceptions=True)
    for run in runs:
        if isinstance(run, BaseException):
            raise run
    first, second = runs
    await each_case_handled_once(database, references, first + second)


async def each_case_handled_once(
    database: Database, references: dict[str, str], lines: list[dict[str, Any]]
) -> None:
    """Each case handled once (one line): destroyed and certified, or archived, as it was
    due; once in the access log, by the one step it went through; no case failed."""
    handled = Counter(
        (line["case"], line["outcome"])
        for line in lines
        if "case" in line and line["outcome"] != "skipped"  # taken by the other process
    )
    assert dict(handled) == {(ref, due): 1 for ref, due in references.items()}
    destroyed = sum(1 for due in references.values() if due == "destroyed")
    async with database.sessions() as session:
        certified = await session.scalar(select(func.count()).select_from(DestructionCertificate))
        per_case = Counter(
            (operation, case_id)
            for operation, case_id in await session.execute(
                select(AccessLogEntry.operation, AccessLogEntry.case_id).where(
                    AccessLogEntry.operation.in_(("archive_case", "destroy_case"))
                )
            )
        )
    assert certified == destroyed
    assert set(per_case.values()) == {1}
    assert Counter(operation for operation, _ in per_case) == {
        "destroy_case": destroyed,  # destroyed without being archived: no archive_case
        "archive_case": len(references) - destroyed,
    }


async def test_workers_option_runs_processes_that_share_the_cases(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given due cases on PostgreSQL
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several job processes at once is a PostgreSQL promise")
    references = await seed(database, vault, CASES)
    env = job_env(database_urls, key_file, tmp_path)
    # When one `tact retention run --workers 2 --batch 50` runs, as the README tells a person
    lines = await run_job(env, "--workers", "2", "--batch", "50")
    # Then every case is handled once, one line each, and the summary adds up
    await each_case_handled_once(database, references, lines)
    summaries = [line["summary"] for line in lines if "summary" in line]
    destroyed = sum(1 for due in references.values() if due == "destroyed")
    assert summaries == [
        {
            "archived": len(references) - destroyed,
            "destroyed": destroyed,
            "held": 0,
            "awaiting_approval": 0,
            "failed": 0,
        }
    ]


async def test_workers_option_is_refused_on_sqlite(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the refusal is SQLite's")
    env = job_env(database_urls, key_file, tmp_path)
    ran = await tact_process(env, "retention", "run", "--workers", "2")
    assert ran.code == 2 and ran.out == b""
    assert b"--workers above 1 needs PostgreSQL" in ran.err
