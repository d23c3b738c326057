"""The job builds a batch's archive bundles from bulk reads (one query per table for the
batch): each bundle is byte for byte the one built for its case alone (open_case_file, the
case's timeline, its access-log extract), whoever else's rows were read beside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from authz.gate import Target
from authz.operations import Operation
from records.case_files import open_case_file
from records.case_steps import Step, record_event
from records.customers import NewContact, create_customer
from records.database import Database
from records.models import Case, ContactKind, CustomerKind, Role
from records.vault import Vault
from retention.archive import bundle_document, bundle_documents
from tests.authz.world import Clock, make_gate, staff_actor
from tests.retention.world import add_case, build_world

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)


async def _shared_customer(database: Database, vault: Vault) -> uuid.UUID:
    async with database.sessions() as session, session.begin():
        return await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name="Shared Customer",
            reference="CUS-SHARED-1",
            contacts=[
                NewContact(ContactKind.EMAIL, "shared@example.org", preferred=True),
                NewContact(ContactKind.PHONE, "01632 960001"),
            ],
            needs={"large_print": True},
            notes="prefers letters",
        )


async def _notify(database: Database, vault: Vault, case_id: uuid.UUID, at: dt.datetime) -> None:
    async with database.sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        assert case is not None
        details = {"channel": "letter"}
        await record_event(
            session, vault, case, Step.NOTIFICATION_RECORDED, actor_id=None, at=at, details=details
        )


async def _read(database: Database, decision_maker: uuid.UUID, case_id: uuid.UUID) -> None:
    gate = make_gate(Clock())
    actor = staff_actor("dm.housing", decision_maker, (Role.DECISION_MAKER, "housing"))
    async with (
        database.sessions() as session,
        gate.access(session, actor, Operation.READ_CASE, Target(case_id=case_id)),
    ):
        pass


async def test_a_batch_of_bundles_is_each_case_bundled_alone(
    database: Database, vault: Vault
) -> None:
    # Given cases with evidence, arrangements, notifications on their timeline and access-log
    # entries, two of them one customer's (with two contacts), one without arrangements
    world = await build_world(database, NOW)
    shared = await _shared_customer(database, vault)
    first = await add_case(database, vault, world, ends_on=[ENDS, dt.date(2019, 12, 31)])
    second = await add_case(database, vault, world, ends_on=[ENDS], customer_id=shared)
    third = await add_case(
        database, vault, world, ends_on=[ENDS], customer_id=shared, service="fire-safety"
    )
    closed = await add_case(database, vault, world, ends_on=[], closed_at=NOW)
    for n, case_id in enumerate((first, second, second, third)):
        await _notify(database, vault, case_id, NOW + dt.timedelta(days=n))
    for case_id in (first, second, second, closed):
        await _read(database, world.staff["dm.housing"], case_id)
    batch = [closed, second, first, third]

    # When the batch's bundles are built together, and each case's alone
    async with database.sessions() as session:
        together = await bundle_documents(session, vault, batch)
        alone = {case_id: await bundle_document(session, vault, case_id) for case_id in batch}

    # Then they are the same bytes, and hold what a bundle must: the case file as it opens
    assert together == alone
    async with database.sessions() as session:
        as_opened = dataclasses.asdict(await open_case_file(session, vault, first))
    opened = json.loads(json.dumps(as_opened, default=str))
    assert json.loads(together[first])["case"] == opened
    second_doc = json.loads(together[second])
    assert len(second_doc["case"]["customer"]["contacts"]) == 2
    assert len(second_doc["notifications"]) == 2
    assert [e["operation"] for e in second_doc["access_log"]] == ["read_case", "read_case"]
    first_doc = json.loads(together[first])
    assert first_doc["case"]["evidence"][0]["summary"] == world.canaries[first]["evidence"]
    assert len(first_doc["case"]["arrangements"]) == 2
    assert json.loads(together[closed])["case"]["arrangements"] == []
