"""The retention queue for a chosen day: an IG officer plans next month's run in the panel,
seeing what `tact retention preview --as-of` prints for that day, with no approval asked for
or given for a day to come (the CLI and the API refuse to act for one). A day that is not a
date is refused naming the field. Over HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx

from api.runtime import Runtime
from records.database import Database
from records.models import CaseState
from tests.admin.conftest import marked, post_form, refusal, sign_in, typed
from tests.admin.test_panel_http import entries
from tests.admin.test_records_pages import cells, ig_world
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.world import add_case

QUEUE = "/admin/retention-queue"
ROWS = re.compile(r"<tr>\s*<td>(MC-\d{4}-[A-Z0-9-]+)</td>")


async def test_an_ig_officer_previews_next_months_run_as_the_cli_does(
    client: httpx.AsyncClient,
    database: Database,
    runtime: Runtime,
    clock: FixedClock,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given, on 2 March 2026, a case whose last arrangement ends on 20 March (archived then)
    # and an archived one to be destroyed on 20 March (six years after its arrangement ended)
    world = await ig_world(database, clock())
    ending = await add_case(database, runtime.vault, world, ends_on=[dt.date(2026, 3, 20)])
    old = await add_case(
        database, runtime.vault, world, ends_on=[dt.date(2020, 3, 20)], state=CaseState.ARCHIVED
    )
    await sign_in(client, "ig.one")

    # When the IG officer opens today's queue, neither is due
    today = await client.get(QUEUE)
    assert today.status_code == 200 and ROWS.findall(today.text) == []
    assert typed(today.text, "as-of-as_of") == "2026-03-02"

    # When they ask for 1 April
    april = await post_form(client, QUEUE, QUEUE, as_of="2026-04-01")

    # Then both are listed as the job would handle them then, the page saying which day,
    # exactly the cases `tact retention preview --as-of 2026-04-01` prints
    assert april.status_code == 200
    assert "What the retention job would do on 2026-04-01" in april.text
    assert cells(world.references[ending], "decided", "archive") in april.text
    assert cells(world.references[old], "archived", "awaiting_approval") in april.text
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")
    printed = await tact(env, "retention", "preview", "--as-of", "2026-04-01")
    assert printed.exit_code == 0, printed.output
    previewed = [json.loads(line)["case"] for line in printed.output.splitlines()]
    assert sorted(ROWS.findall(april.text)) == sorted(previewed)
    # And no approval is asked for a day to come: the page says where it is asked
    assert "Request approval" not in april.text
    assert refusal(april.text).startswith("A preview of 2026-04-01: approval is asked for")
    assert typed(april.text, "as-of-as_of") == "2026-04-01"

    # When the day is not a date: today's queue, the field named and what was typed kept
    wrong = await post_form(client, QUEUE, QUEUE, as_of="2026-04-31")
    assert wrong.status_code == 400
    assert refusal(wrong.text) == "As of (date): must be a date, YYYY-MM-DD"
    assert marked(wrong.text) == ["as-of-as_of"] and typed(wrong.text, "as-of-as_of") == (
        "2026-04-31"
    )

    # Each queue shown is a logged read
    read = [(e.operation, e.outcome) for e in await entries(database, actor="staff:ig.one")]
    assert read[-4:] == [("approve_destruction", "allowed")] * 4
