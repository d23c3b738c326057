"""Nothing acts as of a day after today (UK): `tact retention run`, `request-approval`,
`approve` and `tact cases expire` with a later `--as-of`, and `requestDestructionApproval`
with a later `asOf`, are refused, naming the option, with nothing written. `run --as-of`
archived cases whose arrangements were still in force, and approvals asked for that later
day let the job destroy records before their date. A preview may still look ahead, and an
earlier day (a missed night caught up) still acts. Driven as the README prints it and over
HTTP as an IG officer."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from api.runtime import Runtime
from casework.deadlines import add_months
from records.database import Database
from records.days import uk_today
from records.models import AccessLogEntry, Arrangement, ArrangementState, Case, CaseState
from records.retention_tables import DestructionApproval, DestructionCertificate
from records.vault import Vault
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import PREVIEW, REQUEST, ask, nodes, token
from tests.retention.world import add_case, build_world


async def _state(database: Database, case_id: uuid.UUID) -> CaseState:
    async with database.sessions() as session:
        state = await session.scalar(select(Case.state).where(Case.id == case_id))
    assert state is not None
    return state


async def _count(database: Database, model: type, *where: object) -> int:
    async with database.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))  # type: ignore[arg-type]
    return int(found or 0)


async def test_a_run_approval_or_sweep_as_of_a_later_day_is_refused_and_writes_nothing(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given a case whose arrangement is in force for another 30 days, and one whose
    # arrangement ended six years ago tomorrow (destroyed from tomorrow, under the default
    # profile's six years)
    today = uk_today()
    tomorrow = today + dt.timedelta(days=1)
    world = await build_world(database, dt.datetime.now(dt.UTC))
    in_force = await add_case(database, vault, world, ends_on=[today + dt.timedelta(days=30)])
    ended = await add_case(database, vault, world, ends_on=[add_months(tomorrow, -72)])
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")
    after_end = (today + dt.timedelta(days=31)).isoformat()

    # When the IG officer previews the day after the arrangement ends: looking ahead is
    # allowed, and lists the case to archive then
    preview = await tact(env, "retention", "preview", "--as-of", after_end)
    assert preview.exit_code == 0, preview.output
    lines = {line["case"]: line for line in map(json.loads, preview.output.splitlines())}
    assert lines[world.references[in_force]]["action"] == "archive"
    # and tomorrow's preview shows the other due for destruction, today's not yet
    ahead = await tact(env, "retention", "preview", "--as-of", tomorrow.isoformat())
    assert json.loads(ahead.output.splitlines()[-1])["destroy_due"] is True
    now = await tact(env, "retention", "preview")
    assert json.loads(now.output)["destroy_due"] is False

    # When the job, the approvals and the sweep are run as of those later days
    logged = await _count(database, AccessLogEntry)
    refused = [
        await tact(env, "retention", "run", "--as-of", after_end),
        await tact(env, "retention", "request-approval", "--as", "ig.one", "--as-of",
                   tomorrow.isoformat()),
        await tact(env, "retention", "approve", "--as", "ig.two", "--as-of",
                   tomorrow.isoformat()),
        await tact(env, "cases", "expire", "--as-of", after_end),
    ]  # fmt: skip

    # Then each is refused, naming --as-of and today, and nothing was written: no case
    # archived, no arrangement expired, no approval asked, no access-log entry
    for result in refused:
        assert result.exit_code == 1
        assert f"as-of: must not be after today ({today.isoformat()}" in result.output
    assert await _state(database, in_force) == CaseState.DECIDED
    assert await _state(database, ended) == CaseState.DECIDED
    expired = Arrangement.state != ArrangementState.ACTIVE
    assert await _count(database, Arrangement, expired) == 0
    assert await _count(database, DestructionApproval) == 0
    assert await _count(database, DestructionCertificate) == 0
    assert await _count(database, AccessLogEntry) == logged

    # When the job catches up a missed night (yesterday), then runs today
    caught_up = await tact(
        env, "retention", "run", "--as-of", (today - dt.timedelta(days=1)).isoformat()
    )
    assert caught_up.exit_code == 0, caught_up.output
    asked = await tact(env, "retention", "request-approval", "--as", "ig.one")

    # Then the case whose arrangement ended long ago is archived and waits for its day; the
    # one in force is untouched, and no destruction is yet due to ask approval for
    assert await _state(database, ended) == CaseState.ARCHIVED
    assert await _state(database, in_force) == CaseState.DECIDED
    assert asked.exit_code == 0 and asked.output.startswith("approval requested for 0 case(s)")


async def test_requesting_approval_as_of_a_later_day_is_refused_over_http(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a case destroyed from 30 June 2026 (its arrangement ended on 30 June 2020), on
    # 2 March 2026
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 6, 30)])
    reference = world.references[case_id]
    ig_one = token(runtime, "ig.one", clock.now)

    # When an IG officer previews 1 July 2026, it is due for destruction then
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf="2026-07-01"), "retentionPreview")
    assert item["caseReference"] == reference and item["destroyDue"] is True

    # But asking for approval as of that day is refused on asOf, and nothing is asked
    answer = await ask(client, ig_one, REQUEST, caseRef=reference, asOf="2026-07-01")
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["field"] == "asOf"
    assert "must not be after today (2026-03-02" in error["message"]
    assert answer["data"] is None
    assert await _count(runtime.database, DestructionApproval) == 0
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf="2026-07-01"), "retentionPreview")
    assert item["approval"] is None

    # And as of today (the default) it is not yet due, as before
    today = await ask(client, ig_one, REQUEST, caseRef=reference)
    assert today["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
