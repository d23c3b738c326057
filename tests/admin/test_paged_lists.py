"""The retention queue and the subject access requests, longer than a page of 200: each page
says more match and a button under the table shows the next ones (as the access log and the
certificates page), so an IG officer never reads the first 200 as all there is; a place the
button never posts is refused naming its field. Over HTTP through the app, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx

from records.customers import NewContact
from records.database import Database
from records.holds import complete_subject_access, open_subject_access
from records.models import ContactKind
from records.vault import Vault
from tests.admin.conftest import post_form, refusal, sign_in
from tests.admin.test_governance_pages import older_button
from tests.admin.test_records_pages import ig_world
from tests.api.app_fixtures import FixedClock
from tests.retention.world import add_case, add_caseless_customer

QUEUE = "/admin/retention-queue"
REQUESTS = "/admin/subject-access"
CASE_ROWS = re.compile(r"<tr>\s*<td>(MC-\d{4}-[A-Z0-9-]+)</td>")
CUSTOMER_ROWS = re.compile(r"<tr>\s*<td>customer ([0-9a-f-]{36})</td>")
REQUEST_ROWS = re.compile(r"<tr>\s*<td>([0-9a-f-]{36})</td>")


async def caseless_customers(
    database: Database, vault: Vault, count: int, added_at: dt.datetime
) -> list[uuid.UUID]:
    return [
        await add_caseless_customer(
            database,
            vault,
            f"Sample Person {n}",
            NewContact(ContactKind.PHONE, f"07700 9{n:05d}"),
            added_at,
        )
        for n in range(count)
    ]


async def test_the_retention_queue_pages_past_200_rows_keeping_the_day_asked(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    # Given 3 cases and 200 customers with no case, all due by 1 April: 203 rows
    world = await ig_world(database, clock())
    cases = [
        await add_case(database, vault, world, ends_on=[dt.date(2026, 3, 20)]) for _ in range(3)
    ]
    customers = await caseless_customers(
        database, vault, 200, dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)
    )
    await sign_in(client, "ig.one")

    # When the IG officer previews 1 April
    first = await post_form(client, QUEUE, QUEUE, as_of="2026-04-01")

    # Then 200 rows are shown, due cases first, the page saying more match
    assert first.status_code == 200
    shown_cases, shown_customers = CASE_ROWS.findall(first.text), CUSTOMER_ROWS.findall(first.text)
    assert sorted(shown_cases) == sorted(world.references[c] for c in cases)
    assert len(shown_cases) + len(shown_customers) == 200
    assert "3 case(s) due, 200 customer(s) with no case due" in first.text
    assert "More rows match than the 200 shown here, the first" in refusal(first.text)

    # When they press the button under the table
    action, sent = older_button(first.text, "queue")
    assert sent["as_of"] == ["2026-04-01"]
    rest = await client.post(action, data=sent)

    # Then the rest of 1 April's queue is shown, each row once, and no button under it
    assert rest.status_code == 200
    assert "What the retention job would do on 2026-04-01" in rest.text
    assert CASE_ROWS.findall(rest.text) == []
    every = shown_customers + CUSTOMER_ROWS.findall(rest.text)
    assert sorted(every) == sorted(map(str, customers))
    assert 'data-testid="more-queue"' not in rest.text

    # And a place the button never posts is refused naming the field
    wrong = await client.post(action, data={**sent, "after": "case:not-an-id"})
    assert wrong.status_code == 400
    assert marked_after(wrong.text)


async def test_the_subject_access_requests_page_past_200_open_ones_first(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    # Given 203 requests opened over an hour (many in the same minute), 2 of them complete
    await ig_world(database, clock())
    customers = await caseless_customers(
        database, vault, 203, dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    )
    requests = []
    async with database.sessions() as session, session.begin():
        for n, customer_id in enumerate(customers):
            at = clock() - dt.timedelta(minutes=n % 60)
            opened = await open_subject_access(session, customer_id, "staff:ig.two", at)
            requests.append(str(opened.id))
        for done in requests[:2]:
            await complete_subject_access(session, uuid.UUID(done), "staff:ig.two", clock())
    await sign_in(client, "ig.one")

    # When the IG officer opens the list
    first = await client.get(REQUESTS)

    # Then 200 open requests are shown, the page saying more match
    assert first.status_code == 200
    page_one = REQUEST_ROWS.findall(first.text)
    assert len(page_one) == 200 and not set(page_one) & set(requests[:2])
    assert "More requests match than the 200 shown here" in refusal(first.text)

    # When they press the button under the table
    action, sent = older_button(first.text, "requests")
    rest = await client.post(action, data=sent)

    # Then the last open one and the complete ones follow, each request once
    assert rest.status_code == 200
    page_two = REQUEST_ROWS.findall(rest.text)
    assert len(page_two) == 3 and page_two[1:] in (requests[:2], requests[1::-1])
    assert sorted(page_one + page_two) == sorted(requests)
    assert 'data-testid="more-requests"' not in rest.text

    # And an id that is no request's is refused naming the field
    wrong = await client.post(action, data={**sent, "after": str(uuid.uuid4())})
    assert wrong.status_code == 400 and marked_after(wrong.text)


def marked_after(html: str) -> bool:
    """The refusal names the `after` field the button posts."""
    return refusal(html).startswith("After: ")
