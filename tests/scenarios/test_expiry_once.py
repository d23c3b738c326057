"""Expiry is recorded once, whoever gets there first. The daily sweep and a step on the same
case (a piece of evidence, or `openCase` for the same customer) at the same moment end it
with one `ARRANGEMENTS_EXPIRED` event and one "ended" letter due, on both databases. On
PostgreSQL both are held until each has read the arrangements as still in force, so both
reach the write believing expiry is theirs to record; the second must see the first's."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text

from api.cli_cases import sweep
from casework.scheduled import Swept
from records.case_steps import CaseDeadline, DeadlineKind
from records.database import Database
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_expiry_sweep import ENDS, START, case_id_of, case_view, decided_case
from tests.scenarios.world import Walk, until_waiting

PROFILE = "cambridgeshire-cc"
EMAIL = "morgan.sample@example.org"
EVIDENCE = {"channel": "LETTER", "occurredOn": "2026-03-25", "summary": "A letter."}


async def _evidence(walk: Walk) -> None:
    done = await walk.step("officer", "recordEvidence", **EVIDENCE)
    assert done["event"]["step"] == "EVIDENCE_RECORDED"


async def _open_another(walk: Walk) -> None:
    first = walk.reference
    opened = await walk.open("officer", {"email": EMAIL})
    assert opened["case"]["reference"] != first and opened["case"]["state"] == "OPEN"
    walk.reference = first


@pytest.mark.parametrize("step", [_evidence, _open_another], ids=["recordEvidence", "openCase"])
async def test_the_sweep_and_a_step_at_once_record_expiry_once(
    walk_factory: WalkFactory, database: Database, step: Callable[[Walk], Awaitable[None]]
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        # A decided case whose one arrangement ended yesterday; neither has recorded it yet.
        ended = await decided_case(walk, EMAIL, ENDS)
        walk.on(ENDS + dt.timedelta(days=1))

        both: list[Awaitable[Any]] = [sweep(walk.runtime, walk.clock), step(walk)]
        if database.engine.dialect.name == "postgresql":
            # Arrangements may be read but not changed until both are waiting: each has then
            # read them as in force and run out, before the other wrote anything.
            async with database.engine.connect() as holder:
                await holder.execute(text("LOCK TABLE arrangements IN SHARE MODE"))
                started = [asyncio.create_task(attempt) for attempt in both]
                await until_waiting(holder.engine, 2)
                await holder.commit()
                swept, _ = await asyncio.gather(*started)
        else:
            # SQLite takes one writer at a time (BEGIN IMMEDIATE): the second sees the first.
            swept, _ = await asyncio.gather(*both)

        assert isinstance(swept, Swept) and swept.failed == []
        case, steps = await case_view(walk, ended)
        assert case == {"state": "ENDED", "restrictionsEndedOn": ENDS.isoformat()}
        assert steps.count("ARRANGEMENTS_EXPIRED") == 1
        assert await _ended_letters_due(walk, ended) == 1


async def _ended_letters_due(walk: Walk, reference: str) -> int:
    case_id = await case_id_of(walk, reference)
    async with walk.runtime.database.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(CaseDeadline)
            .where(
                CaseDeadline.case_id == case_id,
                CaseDeadline.kind == DeadlineKind.ENDED_NOTIFICATION,
            )
        )
    return found or 0
