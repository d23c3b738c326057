"""IG officers' retention queue, subject access requests and case reports in the panel, over
HTTP through the app (SQLite and PostgreSQL): each page through the gate and logged, refused
to administrators, approval refused to its requester where the profile asks for two people,
an opened request holding the customer's cases, and report counts of cases made through the
workflow's own step functions."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import select, update

from admin.page import when
from api.cli_retention import _run
from api.runtime import Runtime
from casework import step_models as m
from casework.deciding import decide_immediate_risk
from casework.opening import close_no_action, open_case, record_concern
from casework.reports import arrangements_by_kind, cases_by_state
from casework.reviews import decide_appeal, decide_review, lodge_appeal, request_review
from casework.steps import StepRun
from records.database import Database
from records.holds import place_hold
from records.models import ArrangementKind, CaseState, ConcernCategory, Role, Staff
from records.retention_tables import DestructionApproval, HoldReason
from records.sign_in import set_password
from tests.admin.conftest import (
    PASSWORD,
    add_panel_staff,
    ask,
    post_confirmed,
    post_form,
    sign_in,
)
from tests.admin.test_panel_http import entries
from tests.api.app_fixtures import FixedClock
from tests.retention.world import RetentionWorld, add_case, build_world

PAGES = {
    "/admin/retention-queue": "approve_destruction",
    "/admin/subject-access": "subject_access_export",
    "/admin/reports": "read_reports",
}
_APPROVAL = re.compile(r'name="approval_id" value="([0-9a-f-]{36})"')
_REQUEST = re.compile(r'name="id" value="([0-9a-f-]{36})"')


IG_NAMES = {"ig.one": "Ife Okafor", "ig.two": "Tom Hughes"}
SHOWN = {username: f"{name} ({username})" for username, name in IG_NAMES.items()}


async def ig_world(database: Database, now: dt.datetime) -> RetentionWorld:
    """The retention tests' world (housing and fire-safety; IG officers ig.one and ig.two;
    dm.housing), with the IG officers able to sign in to the panel and named as pages show
    them (IG_NAMES)."""
    world = await build_world(database, now)
    async with database.sessions() as session, session.begin():
        for username, name in IG_NAMES.items():
            await set_password(session, username, PASSWORD, now)
            await session.execute(
                update(Staff).where(Staff.username == username).values(display_name=name)
            )
    return world


def cells(*values: str) -> str:
    return "".join(f"<td>{v}</td>" for v in values)


async def test_each_page_goes_through_the_gate_and_administrators_are_refused(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await sign_in(client, "ig.one")
    start = (await client.get("/admin/")).text
    assert "Retention queue" in start and "Case reports" in start
    for path in PAGES:
        assert (await client.get(path)).status_code == 200, path
    seen = [(e.operation, e.outcome) for e in await entries(database, actor="staff:ig.one")]
    assert seen == [(operation, "allowed") for operation in PAGES.values()]

    await sign_in(client, "panel.admin")
    assert "Retention queue" not in (await client.get("/admin/")).text
    for path in PAGES:
        assert (await client.get(path)).status_code == 403, path
    refused = [(e.operation, e.outcome) for e in await entries(database, actor="staff:panel.admin")]
    assert refused == [(operation, "denied") for operation in PAGES.values()]


async def test_the_queue_names_holds_and_its_requester_may_not_approve_under_two_people(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    world = await ig_world(database, clock())
    ended = [dt.date(2019, 3, 1)]  # destruction due on 2025-03-01 under six years
    due = await add_case(database, runtime.vault, world, ends_on=ended, state=CaseState.ARCHIVED)
    held = await add_case(database, runtime.vault, world, ends_on=ended, state=CaseState.ARCHIVED)
    async with database.sessions() as session, session.begin():
        await place_hold(session, held, HoldReason.LITIGATION, "staff:ig.two", clock())
    retention = runtime.profile.retention.model_copy(update={"two_person_approval": True})
    runtime.profile = runtime.profile.model_copy(update={"retention": retention})

    await sign_in(client, "ig.one")
    queue = (await client.get("/admin/retention-queue")).text
    reference, held_reference = world.references[due], world.references[held]
    assert cells(reference, "archived", "awaiting_approval") in queue
    assert cells(held_reference, "archived", "held") in queue and "litigation" in queue
    assert "6 years after the last restriction ended" in queue
    asked = await post_form(
        client, "/admin/retention-queue", "/admin/retention-queue/request", case_ref=reference
    )
    assert asked.status_code == 303
    [approval_id] = _APPROVAL.findall((await client.get("/admin/retention-queue")).text)
    own = await post_confirmed(
        client, "/admin/retention-queue", "/admin/retention-queue/approve", approval_id=approval_id
    )
    assert own.status_code == 403
    assert "The requester of a destruction may not approve it" in own.text
    assert 'data-testid="table-queue"' in own.text  # the queue again, not a bare refusal
    async with database.sessions() as session:
        assert await session.scalar(select(DestructionApproval.approved_by)) is None
    [*_, refusal, shown] = await entries(database, actor="staff:ig.one")
    assert (refusal.operation, refusal.outcome, refusal.case_id) == (
        "approve_destruction", "denied", due,
    )  # fmt: skip
    assert (shown.outcome, shown.case_id) == ("allowed", None)  # the queue shown again

    await sign_in(client, "ig.two")
    unasked = await post_form(
        client, "/admin/retention-queue", "/admin/retention-queue/approve", approval_id=approval_id
    )
    assert unasked.status_code == 409 and "needs confirming" in unasked.text
    asking = await ask(client, "/admin/retention-queue", "/admin/retention-queue/approve")
    assert (
        f"Approve the destruction of case {reference}&#39;s records? This cannot be undone."
        in asking.text
    )
    async with database.sessions() as session:
        assert await session.scalar(select(DestructionApproval.approved_by)) is None
    approved = await post_confirmed(
        client, "/admin/retention-queue", "/admin/retention-queue/approve", approval_id=approval_id
    )
    assert approved.status_code == 303
    queue = (await client.get("/admin/retention-queue")).text
    assert cells(reference, "archived", "destroy") in queue
    assert f"requested by {SHOWN['ig.one']}, approved by {SHOWN['ig.two']}" in queue


async def test_a_backlog_case_approved_in_the_queue_is_destroyed_without_being_archived(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    # Given a case never archived, already past its destruction date (approval required)
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[dt.date(2019, 3, 1)])
    reference = world.references[case_id]
    await sign_in(client, "ig.one")
    # Then the queue says it is to be destroyed once approved, never archived, and only
    # archived while approval waits (what the CLI and the API give as action "archive" with
    # destroy_due), and asks for that approval
    queue = (await client.get("/admin/retention-queue")).text
    waiting = (
        "destroy once approved, without being archived (past its destruction date); "
        "until approved: archive"
    )
    assert cells(reference, "decided", waiting) in queue and "Request approval" in queue
    asked = await post_form(
        client, "/admin/retention-queue", "/admin/retention-queue/request", case_ref=reference
    )
    assert asked.status_code == 303
    [approval_id] = _APPROVAL.findall((await client.get("/admin/retention-queue")).text)
    await sign_in(client, "ig.two")
    approved = await post_confirmed(
        client, "/admin/retention-queue", "/admin/retention-queue/approve", approval_id=approval_id
    )
    assert approved.status_code == 303
    # Approved, it is to be destroyed without being archived
    queue = (await client.get("/admin/retention-queue")).text
    destroyed = "destroy, without being archived (past its destruction date)"
    assert cells(reference, "decided", destroyed) in queue

    # When the job runs, the certificates page says the case was never archived, and why
    assert (await _run(runtime, clock().date(), tty=False)).count("destroyed") == 1
    certificates = (await client.get("/admin/certificates")).text
    assert reference in certificates
    assert "no: already past its destruction date when first handled" in certificates
    # and who asked for its destruction and who approved it, and when
    asked_at = when(clock())
    assert f"{SHOWN['ig.one']}, {asked_at}" in certificates
    assert f"{SHOWN['ig.two']}, {asked_at}" in certificates


async def test_a_subject_access_request_opened_in_the_panel_holds_the_cases_until_complete(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[dt.date(2019, 3, 1)])
    customer_ref = world.canaries[case_id]["reference"]
    await sign_in(client, "ig.one")
    opened = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open", customer_ref=customer_ref
    )
    assert opened.status_code == 303
    assert "subject-access" in opened.headers["location"] and customer_ref not in str(opened.url)
    listed = (await client.get("/admin/subject-access")).text
    assert customer_ref not in listed and str(world.customers[case_id]) in listed
    holds = (await client.get("/admin/holds")).text
    assert cells(world.references[case_id], "subject_access_request", "automatic") in holds
    queue = (await client.get("/admin/retention-queue")).text
    assert cells(world.references[case_id], "decided", "held") in queue
    logged = await entries(database, actor="staff:ig.one", operation="subject_access_export")
    assert [(e.outcome, e.customer_id) for e in logged] == [
        ("allowed", None),  # the list the form is on
        ("allowed", world.customers[case_id]),  # the change, on the customer
        ("allowed", None),  # the list again
    ]

    [request_id] = _REQUEST.findall(listed)
    # A second request for the same person is refused while this one is open, naming it
    again = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open", customer_ref=customer_ref
    )
    assert again.status_code == 409 and customer_ref not in again.text
    assert f"already open: {request_id}, opened" in again.text
    assert _REQUEST.findall((await client.get("/admin/subject-access")).text) == [request_id]
    unasked = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/complete", id=request_id
    )
    assert unasked.status_code == 409 and "Mark complete" in unasked.text  # still open
    done = await post_confirmed(
        client, "/admin/subject-access", "/admin/subject-access/complete", id=request_id
    )
    assert done.status_code == 303
    holds = (await client.get("/admin/holds")).text  # the place form still offers the reason
    assert cells(world.references[case_id], "subject_access_request", "automatic") not in holds
    assert "Mark complete" not in (await client.get("/admin/subject-access")).text


async def test_an_unknown_customer_reference_opens_no_request(
    client: httpx.AsyncClient, database: Database, clock: FixedClock
) -> None:
    await ig_world(database, clock())
    await sign_in(client, "ig.one")
    refused = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open", customer_ref="CUS-NONE-1"
    )
    # the subject access page again, its field named: a reference that finds nobody is bad
    # input in that field, not an address with nothing at it
    assert refused.status_code == 400
    assert "Customer reference: no customer found that way" in refused.text
    assert "CUS-NONE-1" not in refused.text
    assert "Mark complete" not in (await client.get("/admin/subject-access")).text


async def test_a_person_is_found_by_email_for_subject_access_and_the_access_log(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    """A customer known without a reference is named by an email recorded for them, in the
    subject access form and in the access log's person filter; more than one way is refused
    naming the field, and the address is never put in an address bar or a page."""
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[dt.date(2019, 3, 1)])
    email = world.canaries[case_id]["email"]
    await sign_in(client, "ig.one")
    both = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open",
        customer_ref=world.canaries[case_id]["reference"], customer_email=email,
    )  # fmt: skip
    assert both.status_code == 400 and "customer_ref" in both.text and email not in both.text
    opened = await post_form(
        client, "/admin/subject-access", "/admin/subject-access/open", customer_email=email
    )
    assert opened.status_code == 303 and email not in opened.headers["location"]
    holds = (await client.get("/admin/holds")).text
    assert cells(world.references[case_id], "subject_access_request", "automatic") in holds

    found = await post_form(client, "/admin/access-log", "/admin/access-log", customer_email=email)
    assert found.status_code == 200 and str(world.customers[case_id]) in found.text
    other = await post_form(
        client, "/admin/access-log", "/admin/access-log", customer_email="nobody@example.org"
    )
    assert str(world.customers[case_id]) not in other.text


async def workflow_cases(
    database: Database, runtime: Runtime, world: RetentionWorld, clock: FixedClock
) -> None:
    """Two cases through the step functions: one decided, reviewed and appealed in housing;
    one closed with no action in fire safety."""
    today = clock().date()
    async with database.sessions() as session, session.begin():
        run = StepRun(session, runtime.vault, runtime.profile, clock, world.staff["dm.housing"])
        lookup = m.CustomerLookup(customer_ref="CUS-REPORT-1", name="Report Tester")
        case, _ = await open_case(run, "housing", m.OpenCase(customer=lookup))
        await record_concern(run, case.id, m.RecordConcern(category=ConcernCategory.CONTACT_VOLUME))
        arrangement = m.NewArrangement(
            kind=ArrangementKind.NAMED_OFFICER, named_officer="dm.housing"
        )
        decided = m.DecideImmediateRisk(
            risk="Staff safety",
            reasons="Calls at night",
            arrangements=[arrangement],
            ends_on=today + dt.timedelta(days=30),
        )
        await decide_immediate_risk(run, case.id, decided)
        await request_review(run, case.id, m.RequestReview(received_on=today, grounds="Asked"))
        await decide_review(
            run, case.id, m.DecideReview(outcome=m.ReviewOutcome.CONTINUE, reasons="Still needed")
        )
        await lodge_appeal(
            run, case.id,
            m.LodgeAppeal(received_on=today, against=m.AppealAgainst.DECISION, grounds="Disagrees"),
        )  # fmt: skip
        await decide_appeal(
            run, case.id, m.DecideAppeal(outcome=m.AppealOutcome.CONFIRMED, reasons="Reviewed")
        )
        other, _ = await open_case(run, "fire-safety", m.OpenCase(customer=lookup))
        await close_no_action(run, other.id, m.CloseNoAction(reasons="Resolved"))


async def test_report_counts_match_cases_made_through_the_workflow(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    world = await ig_world(database, clock())
    await workflow_cases(database, runtime, world, clock)
    async with database.sessions() as session:
        states = {(c.service, c.category): c.count for c in await cases_by_state(session)}
        kinds = {(c.service, c.category): c.count for c in await arrangements_by_kind(session)}
    assert states == {("housing", "decided"): 1, ("fire-safety", "closed_no_action"): 1}
    assert kinds == {("housing", "named_officer"): 1}

    await sign_in(client, "ig.one")
    page = (await client.get("/admin/reports")).text
    assert page.count('data-testid="chart"') == 5
    assert cells("housing", "decided", "1") in page
    assert cells("fire-safety", "closed_no_action", "1") in page
    assert cells("housing", "named_officer", "1") in page
    month = clock().strftime("%Y-%m")
    steps = ("review_requested", "review_decided: continue", "appeal_lodged")
    for step in (*steps, "appeal_decided: confirmed"):
        assert cells(month, "housing", step, "1") in page, step
    assert "review_scheduled" not in page.split('data-testid="table-reviews"')[1]

    earlier = await post_form(
        client, "/admin/reports", "/admin/reports", **{"from": "2025-01-01", "to": "2025-12-31"}
    )
    assert earlier.status_code == 200
    assert "No reviews or appeals in this period." in earlier.text
    assert cells("housing", "decided", "1") in earlier.text  # states are not by period
    bad = await post_form(client, "/admin/reports", "/admin/reports", **{"from": "March"})
    assert bad.status_code == 400 and "From (first day): must be a date" in bad.text


async def test_no_page_of_the_panel_shows_an_attachment(
    client: httpx.AsyncClient, database: Database, runtime: Runtime, clock: FixedClock
) -> None:
    """The panel has no view of case contents: an attachment's filename and content are on
    no page an IG officer can open (every link of the start page, queue and reports)."""
    world = await ig_world(database, clock())
    case_id = await add_case(database, runtime.vault, world, ends_on=[dt.date(2019, 3, 1)])
    values = world.canaries[case_id]
    await sign_in(client, "ig.one")
    start = (await client.get("/admin/")).text
    links = sorted(set(re.findall(r'href="(?:http://[^/"]+)?(/admin/[a-z-]+)"', start)))
    assert set(PAGES) <= set(links)
    for path in links:
        page = (await client.get(path)).text
        for shown in (values["attachment_name"], values["attachment_content"]):
            assert shown not in page, path
