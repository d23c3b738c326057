"""The daily sweep (`tact cases expire`, casework/scheduled.py): a case nobody touches still
ends on its end date. Its arrangement is expired, the case ENDED with the retention clock
set, the "ended" notification due in `deadlines` until recorded, one timeline event and one
access-log entry each; a case still in force is left alone; a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from api.cli_cases import sweep
from authz.log_verify import verify
from records.models import AccessLogEntry, Arrangement, ArrangementState, Case, CaseState
from tests.cli import tact, tact_env
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import Walk, notify, prelude

PROFILE = "cambridgeshire-cc"
START = dt.date(2026, 3, 2)
ENDS = dt.date(2026, 3, 31)
SWEEP_ACTOR = "system:cases-expire"


async def decided_case(walk: Walk, email: str, ends_on: dt.date) -> str:
    """A DECIDED case with one named-officer arrangement ending on `ends_on`."""
    await prelude(walk, email)
    decided = await walk.step(
        "manager", "decideImmediateRisk", risk="Threats made to staff at reception.",
        reasons="Staff safety.", startsOn=START.isoformat(), endsOn=ends_on.isoformat(),
        arrangements=[{"kind": "NAMED_OFFICER", "namedOfficer": "officer"}],
    )  # fmt: skip
    assert decided["case"]["state"] == "DECIDED"
    return walk.reference


async def case_view(walk: Walk, reference: str) -> tuple[dict[str, object], list[str]]:
    walk.reference = reference
    data = await walk.graphql(
        "manager",
        "query C($r: String!) { case(reference: $r) { state restrictionsEndedOn } }",
        r=reference,
    )
    return data["case"], [e["step"] for e in await walk.timeline("manager")]


async def due(walk: Walk, reference: str) -> list[tuple[str, str]]:
    return [
        (d["kind"], d["dueOn"])
        for d in await walk.deadlines("manager")
        if d["reference"] == reference
    ]


async def sweep_entries(walk: Walk) -> list[AccessLogEntry]:
    async with walk.runtime.database.sessions() as session:
        rows = await session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.actor == SWEEP_ACTOR)
        )
        return list(rows)


async def case_id_of(walk: Walk, reference: str) -> object:
    async with walk.runtime.database.sessions() as session:
        return await session.scalar(select(Case.id).where(Case.reference == reference))


async def test_sweep_ends_an_untouched_case_and_leaves_one_in_force(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        ended = await decided_case(walk, "morgan.sample@example.org", ENDS)
        running = await decided_case(walk, "alex.sample@example.org", dt.date(2027, 3, 1))
        _, running_steps = await case_view(walk, running)
        assert ("REVIEW", "2026-09-02") in await due(walk, ended)

        walk.on(ENDS + dt.timedelta(days=1))  # it ended yesterday
        swept = await sweep(walk.runtime, walk.clock)
        assert (swept.expired, swept.ended, swept.failed) == ({ended: 1}, [ended], [])

        case, steps = await case_view(walk, ended)
        assert case == {"state": "ENDED", "restrictionsEndedOn": ENDS.isoformat()}
        assert steps.count("ARRANGEMENTS_EXPIRED") == 1 and steps[-1] == "ARRANGEMENTS_EXPIRED"
        async with walk.runtime.database.sessions() as session:
            states = list(
                await session.scalars(
                    select(Arrangement.state).where(
                        Arrangement.case_id == await case_id_of(walk, ended)
                    )
                )
            )
        assert states == [ArrangementState.EXPIRED]
        # Reviews stop; the ended notification is due from the end date, and overdue after.
        assert await due(walk, ended) == [
            ("DECISION_NOTIFICATION", START.isoformat()),  # never recorded: still owed
            ("FULL_ASSESSMENT", "2026-03-30"),
            ("ENDED_NOTIFICATION", ENDS.isoformat()),
        ]
        (entry,) = await sweep_entries(walk)
        assert (entry.operation, entry.outcome) == ("update_case", "allowed")
        assert entry.case_id == await case_id_of(walk, ended)

        # The case still in force is untouched: no event, still DECIDED.
        assert await case_view(walk, running) == (
            {"state": "DECIDED", "restrictionsEndedOn": None},
            running_steps,
        )

        # A second run changes nothing and writes nothing.
        again = await sweep(walk.runtime, walk.clock)
        assert (again.expired, again.ended, again.failed) == ({}, [], [])
        assert len(await sweep_entries(walk)) == 1
        assert (await case_view(walk, ended))[1] == steps

        # Shown as due until the notification is recorded.
        walk.on(ENDS + dt.timedelta(days=9))
        assert ("ENDED_NOTIFICATION", ENDS.isoformat()) in await due(walk, ended)
        walk.reference = ended
        notified = await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2026-04-09", format="LETTER"
        )
        assert notified["event"]["details"]["endedNotificationMet"] is True
        assert ("ENDED_NOTIFICATION", ENDS.isoformat()) not in await due(walk, ended)

        async with walk.runtime.database.sessions() as session:
            assert (await verify(session, walk.runtime.gate.signer)).ok


@pytest.fixture
def env(database_urls: tuple[str, str], key_file: Path, tmp_path: Path) -> dict[str, str | None]:
    """`tact`'s environment on the walk's databases and data directory."""
    return tact_env(database_urls, key_file, tmp_path, TACT_PROFILE=PROFILE)


async def test_cases_expire_from_the_command_line_as_the_readme_shows(
    walk_factory: WalkFactory, env: dict[str, str | None]
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        ended = await decided_case(walk, "morgan.sample@example.org", ENDS)
        await decided_case(walk, "alex.sample@example.org", dt.date(2027, 3, 1))

        early = await tact(env, "cases", "expire", "--as-of", ENDS.isoformat())
        assert early.exit_code == 0, early.output
        assert [json.loads(line) for line in early.output.splitlines()] == [
            {"summary": {"cases": 0, "arrangements": 0, "ended": 0, "failed": 0}}
        ]

        first = await tact(env, "cases", "expire", "--as-of", "2026-04-01")
        assert first.exit_code == 0, first.output
        assert [json.loads(line) for line in first.output.splitlines()] == [
            {"case": ended, "expired": 1, "ended": True},
            {"summary": {"cases": 1, "arrangements": 1, "ended": 1, "failed": 0}},
        ]
        second = await tact(env, "cases", "expire", "--as-of", "2026-04-01")
        assert second.exit_code == 0, second.output
        assert json.loads(second.output)["summary"]["cases"] == 0

        case, _ = await case_view(walk, ended)
        assert case == {"state": "ENDED", "restrictionsEndedOn": ENDS.isoformat()}
        verified = await tact(env, "audit", "verify")
        assert verified.exit_code == 0, verified.output


async def test_a_case_that_fails_is_named_and_the_exit_status_is_one(
    walk_factory: WalkFactory, env: dict[str, str | None]
) -> None:
    """A sweep refused by the gate for one case (an archived case is read-only) says so."""
    async with walk_factory(PROFILE, START) as walk:
        ended = await decided_case(walk, "morgan.sample@example.org", ENDS)
        async with walk.runtime.database.sessions() as session, session.begin():
            case = await session.scalar(select(Case).where(Case.reference == ended))
            assert case is not None
            case.state = CaseState.ARCHIVED
            case_id = case.id
        failed = await tact(env, "cases", "expire", "--as-of", "2026-04-01")
        assert failed.exit_code == 1
        lines = [json.loads(line) for line in failed.output.splitlines()]
        assert {"case_id": str(case_id), "failed": "Forbidden"} in lines  # on stderr
        assert lines[-1]["summary"] == {"cases": 0, "arrangements": 0, "ended": 0, "failed": 1}


async def test_a_case_owing_its_ended_letter_is_archived_only_after_it_is_recorded(
    walk_factory: WalkFactory, env: dict[str, str | None]
) -> None:
    """The README's nightly pair, `cases expire` then `retention run`: a case whose last
    arrangement expired owes the customer the "ended" letter, so it stays live (archived, it
    could take no more steps). The letter recorded, the next run archives it; the destruction
    date is the same either way (last restriction + 6 years)."""
    async with walk_factory(PROFILE, START) as walk:
        ended = await decided_case(walk, "morgan.sample@example.org", ENDS)
        await notify(walk, "DECISION")
        night = (ENDS + dt.timedelta(days=1)).isoformat()
        expired = await tact(env, "cases", "expire", "--as-of", night)
        assert expired.exit_code == 0, expired.output

        preview = await tact(env, "retention", "preview", "--as-of", night)
        (waiting,) = [json.loads(line) for line in preview.output.splitlines()]
        assert (waiting["case"], waiting["action"]) == (ended, "letter_owed")
        assert waiting["destroy_on"] == "2032-03-31"
        first = await tact(env, "retention", "run", "--as-of", night)
        assert first.exit_code == 0, first.output
        case, _ = await case_view(walk, ended)
        assert case["state"] == "ENDED"

        walk.on(ENDS + dt.timedelta(days=2))
        notified = await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2026-04-02", format="LETTER"
        )
        assert notified["event"]["details"]["endedNotificationMet"] is True
        assert ("ENDED_NOTIFICATION", ENDS.isoformat()) not in await due(walk, ended)

        second = await tact(env, "retention", "run", "--as-of", "2026-04-02")
        assert second.exit_code == 0, second.output
        async with walk.runtime.database.sessions() as session:
            state = await session.scalar(select(Case.state).where(Case.reference == ended))
        assert state is CaseState.ARCHIVED
        preview = await tact(env, "retention", "preview", "--as-of", "2032-03-31")
        (archived,) = [json.loads(line) for line in preview.output.splitlines()]
        assert (archived["case"], archived["state"]) == (ended, "archived")
        assert archived["destroy_on"] == waiting["destroy_on"]
