"""A hold on a customer: an IG officer who receives a litigation or Ombudsman notice about a
person holds them, found as subject access finds them (customer reference, email or phone),
and neither they (case or none) nor any case of theirs is archived or destroyed until it is
released. Driven as the README prints it (`tact retention hold place --customer-ref`,
`preview`, `run`, `hold release`) and over HTTP as an IG officer; every placing is gated and
logged against the customer's id, and bad input names its field."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from api.cli_retention import _run
from api.runtime import Runtime
from casework.deadlines import add_months
from records.customers import NewContact
from records.database import Database
from records.days import uk_today
from records.models import AccessLogEntry, ContactKind, Customer
from records.vault import Vault
from tests.api.app_fixtures import FixedClock
from tests.cli import tact, tact_env
from tests.retention.test_graphql import ask, nodes, token
from tests.retention.world import add_case, add_caseless_customer, build_world, imported_on

REGISTER = "name,kind,reference,email,phone,address,notes\nCanaryeve Quillhold,,CR-911,,,,\n"
PLACE = """mutation Place($reason: String!, $caseRef: String, $customerRef: String,
  $email: String, $phone: String) {
  placeHold(reason: $reason, caseRef: $caseRef, customerRef: $customerRef, email: $email,
    phone: $phone) { id reason placedBy customerId } }"""
RELEASE = """mutation Release($id: ID!) { releaseHold(holdId: $id) { id customerId releasedAt } }"""
PREVIEW = """query Preview($asOf: Date) { retentionPreview(asOf: $asOf) { edges { node {
  caseReference customerId action holds { id reason automatic customerId } } } } }"""
HOLDS = """query Holds($caseRef: String!) { retentionHolds(caseRef: $caseRef) { edges { node {
  id reason automatic customerId } } } }"""


async def _customers(database: Database) -> set[uuid.UUID]:
    async with database.sessions() as session:
        return set(await session.scalars(select(Customer.id)))


async def _hold_entries(database: Database, customer_id: uuid.UUID) -> list[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.actor, AccessLogEntry.outcome)
            .where(AccessLogEntry.operation == "manage_holds")
            .where(AccessLogEntry.customer_id == customer_id)
            .order_by(AccessLogEntry.seq)
        )
        return [(actor, outcome) for actor, outcome in rows]


async def test_a_customer_with_no_case_held_from_the_command_line_stays_until_released(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given a customer imported thirteen months ago who was never given a case: due to be
    # destroyed a month ago
    await build_world(database, dt.datetime.now(dt.UTC))
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")
    assert (await tact(env, "customers", "import", str(register))).exit_code == 0
    (customer,) = await _customers(database)
    await imported_on(database, {customer}, add_months(uk_today(), -13))

    # When an IG officer holds them by their reference, as the README prints it
    placed = await tact(
        env, "retention", "hold", "place", "--as", "ig.one", "--customer-ref", "CR-911",
        "--reason", "litigation",
    )  # fmt: skip
    assert placed.exit_code == 0, placed.output
    hold_id = placed.output.strip()

    # Then today's preview names them held for litigation, by id only, and the job leaves
    # them in place
    preview = await tact(env, "retention", "preview")
    (line,) = map(json.loads, preview.output.splitlines())
    assert line["customer"] == str(customer) and line["action"] == "held"
    assert line["holds"] == ["litigation"]
    run = await tact(env, "retention", "run")
    assert run.exit_code == 0, run.output
    outcomes = [json.loads(text) for text in run.output.splitlines()]
    assert {"customer": str(customer), "outcome": "held", "holds": "litigation"} in outcomes
    assert await _customers(database) == {customer}
    assert "Canary" not in preview.output + run.output and "CR-911" not in run.output
    # And placing it was gated and logged against the customer's id
    assert await _hold_entries(database, customer) == [("staff:ig.one", "allowed")]

    # When the hold is released, the schedule resumes: the next run destroys them
    released = await tact(
        env, "retention", "hold", "release", "--as", "ig.two", "--hold-id", hold_id
    )
    assert released.exit_code == 0 and released.output.strip() == "released"
    preview = await tact(env, "retention", "preview")
    assert json.loads(preview.output)["action"] == "destroy"
    run = await tact(env, "retention", "run")
    assert {"customer": str(customer), "outcome": "destroyed"} in [
        json.loads(text) for text in run.output.splitlines()
    ]
    assert await _customers(database) == set()


async def test_placing_a_customer_hold_from_the_command_line_refuses_bad_input_by_option(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    # Given a customer with a case
    world = await build_world(database, dt.datetime.now(dt.UTC))
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    customer_ref = world.canaries[case_id]["reference"]
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="portsmouth-cc")

    async def place(*named: str, reason: str = "litigation", who: str = "ig.one") -> str:
        said = await tact(
            env, "retention", "hold", "place", "--as", who, *named, "--reason", reason
        )
        assert said.exit_code == 1, said.output
        return str(said.output)

    # Then a case and a customer at once, or nothing named, is refused by --case-ref
    both = await place("--case-ref", world.references[case_id], "--customer-ref", customer_ref)
    assert "case-ref: give exactly one of" in both
    assert "case-ref: give exactly one of" in await place()
    # And two ways of naming the customer at once as well
    assert "case-ref:" in await place("--customer-ref", customer_ref, "--email", "a@b.org")
    # And free text as the reason, never echoed
    said = await place("--customer-ref", customer_ref, reason="Jo Bloggs asked")
    assert "reason: must be one of" in said and "Jo Bloggs" not in said
    # And nobody found that way, without the value given
    said = await place("--email", "nobody.here@example.org")
    assert "no customer found" in said and "nobody.here" not in said
    # And a manager may not hold anyone
    said = await place("--customer-ref", customer_ref, who="manager.housing")
    assert "not permitted" in said and customer_ref not in said


async def test_an_ig_officer_holds_a_customer_over_http_and_every_case_of_theirs_waits(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FixedClock,
) -> None:
    # Given a customer whose case is due on 2 March 2026, and a customer added on 10 January
    # 2025 who was never given a case (due on 10 January 2026)
    world = await build_world(runtime.database, clock.now)
    case_id = await add_case(runtime.database, runtime.vault, world, ends_on=[dt.date(2020, 2, 29)])
    reference, with_case = world.references[case_id], world.customers[case_id]
    customer_ref = world.canaries[case_id]["reference"]
    caseless = await add_caseless_customer(
        runtime.database,
        runtime.vault,
        "Canarydee Quillhold",
        NewContact(ContactKind.PHONE, "07700 900911"),
        dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC),
    )
    ig_one, ig_two, manager = (
        token(runtime, name, clock.now) for name in ("ig.one", "ig.two", "manager.housing")
    )

    # When an IG officer names nobody, two ways at once, or gives free text as the reason
    for wrong, field in (
        ({}, "caseRef"),
        ({"caseRef": reference, "customerRef": customer_ref}, "caseRef"),
        ({"customerRef": customer_ref, "phone": "07700 900911"}, "caseRef"),
        ({"customerRef": customer_ref, "reason": "the customer's solicitor wrote"}, "reason"),
        ({"email": "not an address"}, "email"),
    ):
        said = await ask(client, ig_one, PLACE, **{"reason": "litigation", **wrong})
        # Then each is refused naming its field, the value never quoted
        (error,) = said["errors"]
        assert error["extensions"]["field"] == field, said
        assert "solicitor" not in error["message"] and "not an address" not in error["message"]
    refused = await ask(client, manager, PLACE, reason="litigation", customerRef=customer_ref)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # When the IG officer holds the customer with a case by reference, the other by phone
    held = await ask(client, ig_one, PLACE, reason="litigation", customerRef=customer_ref)
    on_case = held["data"]["placeHold"]
    assert on_case["customerId"] == str(with_case) and on_case["placedBy"] == "staff:ig.one"
    held = await ask(client, ig_one, PLACE, reason="ombudsman_investigation", phone="07700 900911")
    on_caseless = held["data"]["placeHold"]
    assert on_caseless["customerId"] == str(caseless)

    # Then the preview shows both held, naming the reason and whose hold it is, by id only
    items = nodes(await ask(client, ig_one, PREVIEW, asOf="2026-03-02"), "retentionPreview")
    assert items == [
        {
            "caseReference": reference,
            "customerId": None,
            "action": "held",
            "holds": [
                {"id": on_case["id"], "reason": "litigation", "automatic": False,
                 "customerId": str(with_case)},
            ],
        },
        {
            "caseReference": None,
            "customerId": str(caseless),
            "action": "held",
            "holds": [
                {"id": on_caseless["id"], "reason": "ombudsman_investigation",
                 "automatic": False, "customerId": str(caseless)},
            ],
        },
    ]  # fmt: skip
    (on_its_case,) = nodes(await ask(client, ig_one, HOLDS, caseRef=reference), "retentionHolds")
    assert on_its_case["id"] == on_case["id"] and on_its_case["customerId"] == str(with_case)
    # And placing each was logged against the customer it names
    for customer_id in (with_case, caseless):
        async with runtime.database.sessions() as session:
            logged = await session.scalar(
                select(AccessLogEntry.actor)
                .where(AccessLogEntry.operation == "manage_holds")
                .where(AccessLogEntry.customer_id == customer_id)
                .where(AccessLogEntry.outcome == "allowed")
            )
        assert logged == "staff:ig.one"

    # When the job runs, both are kept
    report = await _run(runtime, dt.date(2026, 3, 2), tty=False)
    assert report.count("destroyed") == 0
    assert await _customers(runtime.database) == {with_case, caseless}

    # When another IG officer releases both holds
    for hold in (on_case, on_caseless):
        released = await ask(client, ig_two, RELEASE, id=hold["id"])
        assert released["data"]["releaseHold"]["releasedAt"], released
    assert (await ask(client, ig_two, RELEASE, id=on_case["id"]))["errors"][0]["extensions"][
        "code"
    ] == "INVALID_TRANSITION"

    # Then the schedule resumes: the case is no longer held and the customer with no case is
    # destroyed by the next run
    items = nodes(await ask(client, ig_one, PREVIEW, asOf="2026-03-02"), "retentionPreview")
    assert [(i["caseReference"], i["action"], i["holds"]) for i in items] == [
        (reference, "archive", []),
        (None, "destroy", []),
    ]
    await _run(runtime, dt.date(2026, 3, 2), tty=False)
    assert caseless not in await _customers(runtime.database)
