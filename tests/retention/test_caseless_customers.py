"""A customer with no case (imported with `tact customers import` and never given one) is
destroyed the profile's `customer_without_case_months` after they were added: previewed,
destroyed by the job (their rows, contact digests and key), certified and logged like a case,
held while a subject access request for them is open, and never named by anything but their
id. Driven as the README prints it (`tact customers import`, `tact retention preview/run/
certificates`, `tact audit verify`) and over HTTP as an IG officer."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from api.cli_retention import _run
from api.runtime import Runtime
from casework.deadlines import add_months
from casework.profiles import load_profile
from records.customers import NewContact
from records.database import Database
from records.days import uk_today
from records.holds import open_subject_access
from records.keystore import DataKey
from records.models import AccessLogEntry, ContactDetail, ContactKind, Customer
from records.vault import Vault
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.world import add_case, add_caseless_customer, build_world, imported_on

REGISTER = (
    "name,kind,reference,email,phone,address,notes\n"
    "Canaryada Quillimport,,CR-901,canary.ada@example.org,07700 900901,,\n"
    "Canarybo Quillimport,,CR-902,canary.bo@example.org,,,\n"
)
PREVIEW = """query Preview($asOf: Date) { retentionPreview(asOf: $asOf) { edges { node {
  caseReference customerId action rule triggerOn archiveOn destroyOn destroyDue
  holds { reason automatic } } } } }"""
CERTIFICATES = """{ destructionCertificates { edges { node { caseReference customerId rule
  notArchivedReason archiveOn destroyOn counts keysShredded bundleDigest } } } }"""


async def _customers(database: Database) -> set[uuid.UUID]:
    async with database.sessions() as session:
        return set(await session.scalars(select(Customer.id)))


async def _contacts(database: Database, customer_id: uuid.UUID) -> int:
    async with database.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(ContactDetail)
            .where(ContactDetail.customer_id == customer_id)
        )
    return int(found or 0)


async def test_an_imported_customer_never_given_a_case_is_destroyed_certified_and_logged(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given a customer with a case, and two customers imported thirteen months ago who never
    # got one, a subject access request open for the second
    world = await build_world(database, dt.datetime.now(dt.UTC))
    case_id = await add_case(database, vault, world, ends_on=[None])
    with_case = world.customers[case_id]
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")
    imported = await tact(env, "customers", "import", str(register))
    assert imported.exit_code == 0, imported.output
    one, other = await _customers(database) - {with_case}
    ada, bo = (one, other) if await _contacts(database, one) == 2 else (other, one)
    async with database.sessions() as session, session.begin():
        await open_subject_access(session, bo, "staff:ig.one", dt.datetime.now(dt.UTC))
    added_on = add_months(uk_today(), -13)
    await imported_on(database, {ada, bo}, added_on)
    due_on = add_months(added_on, 12)  # a month ago

    # When the IG officer previews the day before twelve months have run, and on the day
    early = await tact(env, "retention", "preview", "--as-of", str(due_on - dt.timedelta(1)))
    assert early.exit_code == 0 and early.output == ""
    preview = await tact(env, "retention", "preview", "--as-of", str(due_on))

    # Then both imported customers are listed by id only: one to destroy, one held
    lines = {line["customer"]: line for line in map(json.loads, preview.output.splitlines())}
    version = load_profile("portsmouth-cc").version
    assert lines[str(ada)] == {
        "customer": str(ada),
        "action": "destroy",
        "destroy_due": True,
        "rule": "customer_without_case: destroy a customer with no case 12 months after they "
        f"were added (profile portsmouth-cc v{version})",
        "trigger_on": added_on.isoformat(),
        "archive_on": None,
        "destroy_on": due_on.isoformat(),
        "holds": [],
        "approval": None,
    }
    assert lines[str(bo)]["action"] == "held"
    assert lines[str(bo)]["holds"] == ["subject_access_request"]
    assert set(lines) == {str(ada), str(bo)}  # not the customer with a case

    # When the job runs, today
    run = await tact(env, "retention", "run")
    assert run.exit_code == 0, run.output
    outcomes = [json.loads(line) for line in run.output.splitlines()]
    assert {"customer": str(ada), "outcome": "destroyed"} in outcomes
    assert {"customer": str(bo), "outcome": "held", "holds": "subject_access_request"} in outcomes

    # Then the first is gone, contact digests and key included; the others are kept
    assert await _customers(database) == {with_case, bo}
    assert await _contacts(database, ada) == 0
    async with database.keystore.engine.connect() as conn:
        owners = set(await conn.scalars(select(DataKey.owner)))
    assert f"customer:{ada}" not in owners and f"customer:{bo}" in owners

    # And its certificate names no case and no personal data, and says why nothing was
    # archived; the job's destruction is in the access log, which still verifies
    listed = await tact(env, "retention", "certificates")
    (certificate,) = [json.loads(line) for line in listed.output.splitlines()]
    assert certificate["case_reference"] is None and certificate["customer_id"] == str(ada)
    assert certificate["rule"] == "customer_without_case"
    assert certificate["not_archived_reason"] == "no_case"
    assert certificate["archive_on"] is None and certificate["bundle_digest"] is None
    assert certificate["trigger_on"] == added_on.isoformat()
    assert certificate["destroy_on"] == due_on.isoformat()
    assert certificate["counts"] == {"customers": 1, "contact_details": 2}
    assert certificate["keys_shredded"] == 1 and certificate["completed_at"] is not None
    said = preview.output + run.output + listed.output
    assert "Canary" not in said and "canary" not in said and "CR-90" not in said
    async with database.sessions() as session:
        logged = (
            await session.execute(
                select(AccessLogEntry.actor, AccessLogEntry.outcome, AccessLogEntry.case_id)
                .where(AccessLogEntry.operation == "destroy_customer")
                .where(AccessLogEntry.customer_id == ada)
            )
        ).all()
    assert logged == [("system:retention", "allowed", None)]
    verified = await tact(env, "audit", "verify")
    assert verified.exit_code == 0, verified.output


async def test_an_ig_officer_sees_a_customer_with_no_case_in_the_graphql_preview_and_certificate(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a customer added on 10 January 2025 who was never given a case
    await build_world(runtime.database, clock.now)
    customer_id = await add_caseless_customer(
        runtime.database,
        runtime.vault,
        "Canarycy Quillimport",
        NewContact(ContactKind.EMAIL, "canary.cy@example.org"),
        dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC),
    )
    ig_one = token(runtime, "ig.one", clock.now)

    # When an IG officer previews over HTTP on 10 January 2026
    answer = await ask(client, ig_one, PREVIEW, asOf="2026-01-10")

    # Then the customer is listed by id, to be destroyed, with no archive date
    (item,) = nodes(answer, "retentionPreview")
    assert item == {
        "caseReference": None,
        "customerId": str(customer_id),
        "action": "destroy",
        "rule": item["rule"],
        "triggerOn": "2025-01-10",
        "archiveOn": None,
        "destroyOn": "2026-01-10",
        "destroyDue": True,
        "holds": [],
    }
    assert item["rule"].startswith("customer_without_case: destroy a customer with no case 12")

    # And once the job has run, the certificate says what went, over HTTP too
    report = await _run(runtime, dt.date(2026, 1, 10), tty=False)
    assert report.count("destroyed") == 1
    (certificate,) = nodes(await ask(client, ig_one, CERTIFICATES), "destructionCertificates")
    assert certificate == {
        "caseReference": None,
        "customerId": str(customer_id),
        "rule": "customer_without_case",
        "notArchivedReason": "no_case",
        "archiveOn": None,
        "destroyOn": "2026-01-10",
        "counts": {"customers": 1, "contact_details": 1},
        "keysShredded": 1,
        "bundleDigest": None,
    }
    assert "Canary" not in json.dumps(answer) + json.dumps(certificate)
