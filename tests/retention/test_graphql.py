"""Records management over GraphQL, as an IG officer drives it over HTTP with a bearer token:
preview, place and release a hold, ask for and give approval, list certificates. Other
roles are refused; bad input names its field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
from sqlalchemy import func, select

from api.cli_retention import _run
from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock
from tests.retention.world import STAFF, add_case, build_world

DAY = "2026-03-02"
PREVIEW = """query Preview($asOf: Date) { retentionPreview(asOf: $asOf) { edges { node {
  caseReference action rule destroyOn destroyDue holds { id reason automatic }
  approval { id requestedBy approvedBy } } } } }"""
PLACE = """mutation Place($caseRef: String!, $reason: String!) {
  placeHold(caseRef: $caseRef, reason: $reason) { id reason placedBy } }"""
RELEASE = """mutation Release($id: ID!) { releaseHold(holdId: $id) { id releasedAt } }"""
REQUEST = """mutation Request($caseRef: String!, $asOf: Date) {
  requestDestructionApproval(caseRef: $caseRef, asOf: $asOf) { id requestedBy } }"""
APPROVE = """mutation Approve($id: ID!) { approveDestruction(approvalId: $id) { approvedBy } }"""
CERTIFICATES = """{ destructionCertificates { edges { node { caseReference rule profileName
  profileVersion requestedBy requestedAt approvedBy approvedAt counts keysShredded
  bundleDigest } } } }"""


def token(runtime: Runtime, username: str, now: dt.datetime) -> str:
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    return local.issue(
        username,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        now=now,
        lifetime=dt.timedelta(minutes=15),
    )


async def ask(
    client: httpx.AsyncClient, bearer: str, query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    body: dict[str, Any] = response.json()
    return body


def nodes(answer: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """The nodes of one page of a connection in an answer."""
    return [edge["node"] for edge in answer["data"][field]["edges"]]


async def test_an_ig_officer_previews_holds_approves_and_reads_certificates(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.references[case_id]
    ig_one, ig_two, manager = (
        token(runtime, name, clock.now) for name in ("ig.one", "ig.two", "manager.housing")
    )
    assert set(STAFF) >= {"ig.one", "ig.two", "manager.housing"}

    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["caseReference"] == reference and item["action"] == "archive"
    assert item["destroyDue"] and item["destroyOn"] == "2026-03-01"
    assert item["rule"].startswith("after_last_restriction: destroy 6 years")

    refused = await ask(client, manager, PREVIEW, asOf=DAY)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await ask(client, ig_one, PLACE, caseRef=reference, reason="because")
    assert bad["errors"][0]["extensions"]["field"] == "reason"

    hold = (await ask(client, ig_one, PLACE, caseRef=reference, reason="litigation"))["data"]
    assert hold["placeHold"]["placedBy"] == "staff:ig.one"
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["action"] == "held" and [h["reason"] for h in item["holds"]] == ["litigation"]
    released = await ask(client, ig_two, RELEASE, id=hold["placeHold"]["id"])
    assert released["data"]["releaseHold"]["releasedAt"]

    await _run(runtime, dt.date(2026, 3, 2), tty=False)  # archives; approval is required
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["action"] == "awaiting_approval"
    asked = (await ask(client, ig_one, REQUEST, caseRef=reference, asOf=DAY))["data"]
    approval_id = asked["requestDestructionApproval"]["id"]
    approved = await ask(client, ig_two, APPROVE, id=approval_id)
    assert approved["data"]["approveDestruction"]["approvedBy"] == "staff:ig.two"

    report = await _run(runtime, dt.date(2026, 3, 2), tty=False)
    assert report.count("destroyed") == 1
    (certificate,) = nodes(await ask(client, ig_one, CERTIFICATES), "destructionCertificates")
    assert certificate["caseReference"] == reference
    assert certificate["profileName"] == "default" and certificate["approvedBy"] == "staff:ig.two"
    # who asked and approved, and when: both on the clock's 2 March, in UTC with its offset
    assert certificate["requestedBy"] == "staff:ig.one"
    assert certificate["requestedAt"] == certificate["approvedAt"] == clock.now.isoformat()
    assert certificate["keysShredded"] == 2 and certificate["counts"]["evidence_entries"] == 1
    assert (await ask(client, manager, CERTIFICATES))["errors"][0]["extensions"]["code"] == (
        "FORBIDDEN"
    )


BACKLOG_CERTIFICATE = """{ destructionCertificates { edges { node { caseReference archiveOn
  destroyOn notArchivedReason bundleDigest } } } }"""


async def test_a_backlog_case_approved_before_any_run_is_certified_as_never_archived(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a case past its destruction date, never archived, its destruction approved
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference = world.references[case_id]
    ig_one, ig_two = (token(runtime, name, clock.now) for name in ("ig.one", "ig.two"))
    asked = (await ask(client, ig_one, REQUEST, caseRef=reference, asOf=DAY))["data"]
    await ask(client, ig_two, APPROVE, id=asked["requestDestructionApproval"]["id"])
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["action"] == "destroy" and item["approval"]["approvedBy"] == "staff:ig.two"

    # When the job runs
    assert (await _run(runtime, dt.date(2026, 3, 2), tty=False)).count("destroyed") == 1

    # Then its certificate says it was never archived, with no archive date and no digest
    (certificate,) = nodes(
        await ask(client, ig_one, BACKLOG_CERTIFICATE), "destructionCertificates"
    )
    assert certificate == {
        "caseReference": reference,
        "archiveOn": None,
        "destroyOn": "2026-03-01",
        "notArchivedReason": "past_destruction_date",
        "bundleDigest": None,
    }


OPEN_SAR = """mutation Open($ref: String!) { openSubjectAccessRequest(customerRef: $ref) { id } }"""
EXPORT = """query Export($ref: String!) { subjectAccessExport(customerRef: $ref) { json html } }"""
COMPLETE = (
    """mutation Done($id: ID!) { completeSubjectAccessRequest(requestId: $id) { completedAt } }"""
)


async def test_a_subject_access_request_holds_exports_everything_and_is_logged(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    values = world.canaries[case_id]
    ig_one, manager = (token(runtime, name, clock.now) for name in ("ig.one", "manager.housing"))

    opened = (await ask(client, ig_one, OPEN_SAR, ref=values["reference"]))["data"]
    request_id = opened["openSubjectAccessRequest"]["id"]
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["action"] == "held"
    assert [h["reason"] for h in item["holds"]] == ["subject_access_request"]

    exported = (await ask(client, ig_one, EXPORT, ref=values["reference"]))["data"]
    document = json.loads(exported["subjectAccessExport"]["json"])
    assert document["customer"]["name"] == values["name"]
    (case,) = document["cases"]
    assert case["file"]["summary_text"] == values["summary"]
    assert case["file"]["evidence"][0]["summary"] == values["evidence"]
    # Attachments are listed, not included: the IG officer reads each with `attachment`.
    (attachment,) = case["file"]["attachments"]
    assert (attachment["filename"], attachment["media_type"]) == (
        values["attachment_name"], "text/plain"
    )  # fmt: skip
    assert attachment["evidence_id"] == case["file"]["evidence"][0]["id"]
    assert "staff:ig.one" in document["seen_by"]
    # Every time in UTC with its offset, on both databases: the history and the log too.
    times = [e["at"] for e in case["timeline"]] + [e["at"] for e in document["access_log"]]
    assert times and case["notifications"] == [
        e for e in case["timeline"] if "notification" in e["step"]
    ]
    assert {dt.datetime.fromisoformat(at).utcoffset() for at in times} == {dt.timedelta(0)}
    html = exported["subjectAccessExport"]["html"]
    assert values["name"] in html and values["evidence"] in html
    assert values["attachment_name"] in html
    for exported_as in (exported["subjectAccessExport"]["json"], html):
        assert values["attachment_content"] not in exported_as

    refused = await ask(client, manager, EXPORT, ref=values["reference"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with runtime.database.sessions() as session:
        logged = await session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(
                AccessLogEntry.operation == "subject_access_export",
                AccessLogEntry.customer_id == world.customers[case_id],
                AccessLogEntry.outcome == "allowed",
            )
        )
    assert logged == 2  # the request opened, and the export
    done = await ask(client, ig_one, COMPLETE, id=request_id)
    assert done["data"]["completeSubjectAccessRequest"]["completedAt"]
    (item,) = nodes(await ask(client, ig_one, PREVIEW, asOf=DAY), "retentionPreview")
    assert item["action"] == "archive" and item["holds"] == []
