"""A preview or run for a day in the year 1, as a mistyped `--as-of 0001-...` or `asOf` asks:
the months before it (open cases for review, customers with no case) fell before the first
day a date holds, and the command died with a stack trace, the query answered INTERNAL.
Nothing is due on such a day, and that is the answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx

from api.runtime import Runtime
from records.customers import NewContact
from records.models import ContactKind
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.world import add_case, add_caseless_customer, build_world

PREVIEW = """query P($asOf: Date!) { retentionPreview(asOf: $asOf) {
  edges { node { caseReference customerId action } } } }"""


async def test_a_day_in_the_year_one_has_nothing_due(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(runtime.database, clock.now)
    await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2019, 6, 3)])
    contact = NewContact(ContactKind.EMAIL, "imported.only@example.org", preferred=True)
    added = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
    await add_caseless_customer(runtime.database, runtime.vault, "Sam Imported", contact, added)
    env = tact_env(database_urls, key_file, tmp_path)
    for day in ("0001-01-01", "0001-11-30"):
        preview = await tact(env, "retention", "preview", "--as-of", day)
        assert (preview.exit_code, preview.output) == (0, ""), preview.output
        run = await tact(env, "retention", "run", "--as-of", day)
        assert run.exit_code == 0, run.output
        (summary,) = [json.loads(line)["summary"] for line in run.output.splitlines()]
        assert set(summary.values()) == {0}
        answer = await ask(client, token(runtime, "ig.one", clock.now), PREVIEW, asOf=day)
        assert "errors" not in answer, answer
        assert nodes(answer, "retentionPreview") == []
    # The case and the customer are still there, due as before.
    preview = await tact(env, "retention", "preview", "--as-of", "2026-03-02")
    assert len(preview.output.splitlines()) == 2, preview.output
