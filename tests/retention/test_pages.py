"""The retention lists are Relay connections: an IG officer pages through the preview, the
destruction certificates and a case's holds over HTTP with a bearer token, `first` rows at a
time after the last page's `endCursor`, each page one logged read. The preview's pages hold
exactly what `tact retention preview` prints for the day, in its order; a bad `first` or
cursor is refused naming its field."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from api.cli_retention import _run
from api.runtime import Runtime
from records.customers import NewContact, create_customer
from records.models import AccessLogEntry, CaseState, ContactKind, Customer, CustomerKind
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import APPROVE, DAY, OPEN_SAR, PLACE, REQUEST, ask, token
from tests.retention.world import add_case, build_world

PREVIEW = """query Preview($asOf: Date, $first: Int!, $after: String) {
  retentionPreview(asOf: $asOf, first: $first, after: $after) {
    edges { cursor node { caseReference customerId action rule triggerOn archiveOn destroyOn
      destroyDue holds { reason } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
CERTIFICATES = """query Certificates($first: Int!, $after: String) {
  destructionCertificates(first: $first, after: $after) {
    edges { cursor node { caseReference destroyedAt } }
    pageInfo { hasNextPage endCursor } } }"""
HOLDS = """query Holds($caseRef: String!, $first: Int!, $after: String) {
  retentionHolds(caseRef: $caseRef, first: $first, after: $after) {
    edges { cursor node { id reason automatic } }
    pageInfo { hasNextPage endCursor } } }"""


async def pages(
    client: httpx.AsyncClient, bearer: str, query: str, field: str, **variables: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a connection, as a client walks it: after each page's endCursor until
        hasNextPage is false. Checks each page's end cursor is its last edge's, where the query
    asks for edges' cursors."""
    found: list[list[dict[str, Any]]] = []
    after = None
    while True:
        answer = await ask(client, bearer, query, after=after, **variables)
        assert "errors" not in answer, answer
        page = answer["data"][field]
        edges, info = page["edges"], page["pageInfo"]
        assert edges, "a page after a cursor that said more follow is never empty"
        assert info["endCursor"] == edges[-1].get("cursor", info["endCursor"])
        found.append([edge["node"] for edge in edges])
        if not info["hasNextPage"]:
            return found
        after = info["endCursor"]


async def _logged(runtime: Runtime, operation: str) -> int:
    async with runtime.database.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(
                AccessLogEntry.actor == "staff:ig.one",
                AccessLogEntry.operation == operation,
                AccessLogEntry.outcome == "allowed",
            )
        )
    return int(count or 0)


def _as_printed(node: dict[str, Any]) -> dict[str, Any]:
    """A preview node in the shape of the CLI's line (the fields both carry)."""
    customer = node["customerId"]
    subject = {"customer": customer} if customer else {"case": node["caseReference"]}
    return {
        **subject,
        "action": node["action"],
        "destroy_due": node["destroyDue"],
        "rule": node["rule"],
        "trigger_on": node["triggerOn"],
        "archive_on": node["archiveOn"],
        "destroy_on": node["destroyOn"],
        "holds": [h["reason"] for h in node["holds"]],
    }


async def test_an_ig_officer_pages_the_preview_as_the_cli_prints_it(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given five cases due on 2 March 2026 (one held), two customers added in January 2025
    # who were never given a case, and an open case with no step since September 2025
    world = await build_world(runtime.database, clock.now)
    due = [
        await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
        for _ in range(5)
    ]
    async with runtime.database.sessions() as session, session.begin():
        for n in range(2):
            customer_id = await create_customer(
                session, runtime.vault, kind=CustomerKind.INDIVIDUAL, name=f"Canary Page{n}",
                contacts=[NewContact(ContactKind.EMAIL, f"canary.page{n}@example.org")],
            )  # fmt: skip
            added = dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)
            await session.execute(
                update(Customer).where(Customer.id == customer_id).values(created_at=added)
            )
    await add_case(
        runtime.database, runtime.vault, world, ends_on=[], state=CaseState.REFERRED,
        closed_at=dt.datetime(2025, 9, 1, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    ig_one = token(runtime, "ig.one", clock.now)
    held = await ask(client, ig_one, PLACE, caseRef=world.references[due[2]], reason="litigation")
    assert "errors" not in held, held
    logged_before = await _logged(runtime, "approve_destruction")

    # When the IG officer pages through the preview three rows at a time over HTTP
    walked = await pages(client, ig_one, PREVIEW, "retentionPreview", asOf=DAY, first=3)

    # Then eight rows come in pages of 3, 3 and 2, each page one logged read
    assert [len(page) for page in walked] == [3, 3, 2]
    assert await _logged(runtime, "approve_destruction") == logged_before + 3
    rows = [node for page in walked for node in page]

    # And they are the CLI's lines for the same day, in the same order: the due cases, the
    # customers with no case, then the open case for review
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")
    printed = await tact(env, "retention", "preview", "--as-of", DAY)
    assert printed.exit_code == 0, printed.output
    lines = [json.loads(text) for text in printed.output.splitlines()]
    keys = ("case", "customer", "action", "destroy_due", "rule", "trigger_on", "archive_on",
            "destroy_on", "holds")  # fmt: skip
    assert [_as_printed(node) for node in rows] == [
        {k: line[k] for k in keys if k in line} for line in lines
    ]
    actions = [node["action"] for node in rows]
    assert actions.count("held") == 1 and actions[-1] == "needs_review"
    assert [bool(node["customerId"]) for node in rows] == [False] * 5 + [True] * 2 + [False]
    assert {node["caseReference"] for node in rows[:5]} == {world.references[c] for c in due}


async def test_an_ig_officer_pages_certificates_and_holds(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given three cases past their destruction date, their destruction approved, destroyed
    world = await build_world(runtime.database, clock.now)
    gone = [
        await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
        for _ in range(3)
    ]
    ig_one, ig_two = (token(runtime, name, clock.now) for name in ("ig.one", "ig.two"))
    for case_id in gone:
        asked = await ask(client, ig_one, REQUEST, caseRef=world.references[case_id], asOf=DAY)
        approval_id = asked["data"]["requestDestructionApproval"]["id"]
        assert "errors" not in await ask(client, ig_two, APPROVE, id=approval_id)
    assert (await _run(runtime, dt.date(2026, 3, 2), tty=False)).count("destroyed") == 3

    # When the IG officer pages the certificates two at a time
    walked = await pages(client, ig_one, CERTIFICATES, "destructionCertificates", first=2)

    # Then each case's certificate comes once, newest first, over two pages
    assert [len(page) for page in walked] == [2, 1]
    certificates = [node for page in walked for node in page]
    assert sorted(c["caseReference"] for c in certificates) == sorted(
        world.references[c] for c in gone
    )
    moments = [dt.datetime.fromisoformat(c["destroyedAt"]) for c in certificates]
    assert moments == sorted(moments, reverse=True)

    # Given a live case with two holds placed and one automatic (a subject access request)
    kept = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2026, 9, 1)])
    reference = world.references[kept]
    for reason in ("litigation", "ombudsman_investigation"):
        assert "errors" not in await ask(client, ig_one, PLACE, caseRef=reference, reason=reason)
    opened = await ask(client, ig_one, OPEN_SAR, ref=world.canaries[kept]["reference"])
    assert "errors" not in opened, opened
    logged_before = await _logged(runtime, "manage_holds")

    # When the IG officer pages its holds one at a time
    walked = await pages(client, ig_one, HOLDS, "retentionHolds", caseRef=reference, first=1)

    # Then the three come once each, by reason, one logged read a page
    holds = [node for page in walked for node in page]
    assert [(h["reason"], h["automatic"]) for h in holds] == [
        ("litigation", False),
        ("ombudsman_investigation", False),
        ("subject_access_request", True),
    ]
    assert holds[2]["id"] is None
    assert await _logged(runtime, "manage_holds") == logged_before + 3


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (PREVIEW, {"first": 0}, "first"),
        (PREVIEW, {"first": 101}, "first"),
        (PREVIEW, {"first": 5, "after": "not a cursor"}, "after"),
        (CERTIFICATES, {"first": 101}, "first"),
        (CERTIFICATES, {"first": 5, "after": "Y2VydGlmaWNhdGU6eA=="}, "after"),
        (HOLDS, {"first": 0}, "first"),
        (HOLDS, {"first": 5, "after": "aG9sZDpub3RoaW5nfDE="}, "after"),
    ],
    ids=[
        "preview first 0",
        "preview first 101",
        "preview mangled cursor",
        "certificates first 101",
        "certificates cursor without id",
        "holds first 0",
        "holds unknown reason",
    ],
)
async def test_a_bad_page_size_or_cursor_is_refused_naming_its_field(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
    query: str,
    variables: dict[str, Any],
    field: str,
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    ig_one = token(runtime, "ig.one", clock.now)
    if query is HOLDS:
        variables = {**variables, "caseRef": world.references[case_id]}
    answer = await ask(client, ig_one, query, **variables)
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert error["extensions"]["field"] == field
    assert answer["data"] is None


async def test_a_cursor_from_another_list_is_refused_on_after(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a page of the preview with more to follow
    world = await build_world(runtime.database, clock.now)
    for _ in range(2):
        await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    ig_one = token(runtime, "ig.one", clock.now)
    first_page = await ask(client, ig_one, PREVIEW, asOf=DAY, first=1)
    end = first_page["data"]["retentionPreview"]["pageInfo"]["endCursor"]
    assert first_page["data"]["retentionPreview"]["pageInfo"]["hasNextPage"]

    # When its cursor is given to the certificates, it is refused naming `after`
    answer = await ask(client, ig_one, CERTIFICATES, first=5, after=end)
    assert answer["errors"][0]["extensions"]["field"] == "after"


def readme_preview_query() -> str:
    """The query the README's records-management section shows an integrator."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Records management", 1)[1].split("\n## ", 1)[0]
    (query,) = re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)
    return query


async def test_the_readme_preview_query_pages_as_printed(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    ig_one = token(runtime, "ig.one", clock.now)
    walked = await pages(client, ig_one, readme_preview_query(), "retentionPreview")
    assert [[n["caseReference"] for n in page] for page in walked] == [[world.references[case_id]]]
