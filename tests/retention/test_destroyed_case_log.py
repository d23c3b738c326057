"""Who accessed a case before it was destroyed, asked by its reference: the access log keeps
the case's entries (by its id) and the certificate its reference, and now the certificate
keeps the id too, so `tact audit show --case-ref` and `accessLog(filter: {caseRef})` find
them, each entry naming the case by its reference. Before, the reference found nothing: the
command printed nothing (then, refusing unknown references, "no case"), the query an empty
list, as if no one had ever read the case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.world import add_case, build_world

LOG = """query Log($ref: String!) { accessLog(filter: {caseRef: $ref}, first: 50) {
  edges { node { operation outcome caseReference } } } }"""


async def test_a_destroyed_cases_entries_are_found_by_its_reference(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2019, 6, 3)])
    reference = world.references[case_id]
    env = tact_env(database_urls, key_file, tmp_path)
    for args in (
        ("request-approval", "--as", "ig.one", "--as-of", "2026-03-02"),
        ("approve", "--as", "ig.two", "--as-of", "2026-03-02"),
        ("run", "--as-of", "2026-03-02"),
    ):
        done = await tact(env, "retention", *args)
        assert done.exit_code == 0, done.output
    assert '"outcome": "destroyed"' in done.output

    shown = await tact(env, "audit", "show", "--case-ref", f" {reference.lower()}")
    assert shown.exit_code == 0, shown.output
    operations = [line.split("  ")[4] for line in shown.output.splitlines()]
    assert "destroy_case" in operations and "approve_destruction" in operations
    assert all(f"case={case_id}" in line for line in shown.output.splitlines())

    answer = await ask(client, token(runtime, "ig.one", clock.now), LOG, ref=reference)
    found = nodes(answer, "accessLog")
    assert [n["operation"] for n in found] == operations
    assert {n["caseReference"] for n in found} == {reference}

    # A case officer may not ask about the whole log, which a destroyed case's entries are.
    refused = await ask(client, token(runtime, "manager.housing", clock.now), LOG, ref=reference)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
