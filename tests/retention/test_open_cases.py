"""An open case that never reaches a restriction or a closure (a concern recorded, then
nothing) has no retention schedule. The preview lists it as `needs_review` once it has had no
step for the profile's `open_case_review_months`, so an IG officer sees it; the job never
archives or destroys it. Driven as the README prints it (`tact retention preview`, `run`) and
over HTTP as an IG officer (`retentionPreview`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
from sqlalchemy import select

from api.runtime import Runtime
from casework.profiles import load_profile
from records.database import Database
from records.models import Case, CaseState
from records.vault import Vault
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.world import add_case, build_world

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
PREVIEW = """query Preview($asOf: Date) { retentionPreview(asOf: $asOf) { edges { node {
  caseReference action rule triggerOn archiveOn destroyOn destroyDue holds { reason } } } } }"""


def _opened(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), dt.UTC)


async def test_an_untouched_open_case_is_listed_for_review_and_left_alone_by_the_job(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given an open case last touched on 1 September 2025, an open case touched since, and
    # a warned case last touched on 2 September 2025 (six months before 2 March 2026)
    world = await build_world(database, NOW)
    stale = await add_case(
        database, vault, world, ends_on=[], state=CaseState.OPEN,
        closed_at=_opened(dt.date(2025, 9, 1)),
    )  # fmt: skip
    await add_case(
        database, vault, world, ends_on=[], state=CaseState.OPEN,
        closed_at=_opened(dt.date(2026, 1, 5)),
    )  # fmt: skip
    warned = await add_case(
        database, vault, world, ends_on=[], state=CaseState.WARNED,
        closed_at=_opened(dt.date(2025, 9, 2)),
    )  # fmt: skip
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")

    # When the IG officer previews on 1 March 2026
    preview = await tact(env, "retention", "preview", "--as-of", "2026-03-01")
    assert preview.exit_code == 0, preview.output

    # Then only the case with no step for six months is listed, for review, with no dates
    # to archive or destroy it
    version = load_profile("portsmouth-cc").version
    (line,) = [json.loads(text) for text in preview.output.splitlines()]
    assert line == {
        "case": world.references[stale],
        "state": "open",
        "action": "needs_review",
        "destroy_due": False,
        "rule": "open_untouched: review an open case with no step for 6 months; never "
        f"archived or destroyed while open (profile portsmouth-cc v{version})",
        "trigger_on": "2025-09-01",
        "review_on": "2026-03-01",
        "archive_on": None,
        "destroy_on": None,
        "holds": [],
        "approval": None,
    }
    # A day later the warned case has had its six months too
    later = await tact(env, "retention", "preview", "--as-of", "2026-03-02")
    listed = {json.loads(text)["case"]: json.loads(text) for text in later.output.splitlines()}
    assert set(listed) == {world.references[stale], world.references[warned]}
    assert listed[world.references[warned]]["state"] == "warned"

    # And the job, run that day, archives and destroys neither: both are still open
    run = await tact(env, "retention", "run", "--as-of", "2026-03-02")
    assert run.exit_code == 0, run.output
    assert world.references[stale] not in run.output
    async with database.sessions() as session:
        states = dict((await session.execute(select(Case.id, Case.state))).all())
    assert states[stale] is CaseState.OPEN and states[warned] is CaseState.WARNED


async def test_an_ig_officer_sees_an_untouched_open_case_in_the_graphql_preview(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given an open case with no step since 1 September 2025 and a case due to be archived
    world = await build_world(runtime.database, clock.now)
    stale = await add_case(
        runtime.database, runtime.vault, world, ends_on=[], state=CaseState.REFERRED,
        closed_at=_opened(dt.date(2025, 9, 1)),
    )  # fmt: skip
    due = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2026, 1, 1)])

    # When an IG officer asks for the preview over HTTP
    ig_one = token(runtime, "ig.one", clock.now)
    answer = await ask(client, ig_one, PREVIEW, asOf="2026-03-01")

    # Then the due case keeps its schedule and the open case is listed for review, without
    # dates to archive or destroy it
    items = {i["caseReference"]: i for i in nodes(answer, "retentionPreview")}
    assert items[world.references[due]]["action"] == "archive"
    assert items[world.references[stale]] == {
        "caseReference": world.references[stale],
        "action": "needs_review",
        "rule": items[world.references[stale]]["rule"],
        "triggerOn": "2025-09-01",
        "archiveOn": None,
        "destroyOn": None,
        "destroyDue": False,
        "holds": [],
    }
    assert items[world.references[stale]]["rule"].startswith(
        "open_untouched: review an open case with no step for 6 months"
    )
    # A manager, who may not see the retention queue, is refused as before
    manager = token(runtime, "manager.housing", clock.now)
    refused = await ask(client, manager, PREVIEW, asOf="2026-03-01")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
