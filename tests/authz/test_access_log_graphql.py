"""`accessLog`, `breakGlassReview` and `verifyAccessLog` through strawberry, on a real
database: IG officers only, "who has seen this person's record", and reading is logged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import strawberry
from sqlalchemy import select, update

from authz.actor import Actor
from authz.audit_signing import CheckpointSigner
from authz.gate import Gate, Target
from authz.operations import Operation
from records.database import Database
from records.lookup import LookupKind
from records.models import AccessLogEntry, Customer, Role
from records.vault import Vault
from schema.access_log import AccessLogQuery
from schema.context import TactContext
from tests.authz.world import (
    Clock,
    World,
    add_staff,
    build_world,
    make_gate,
    staff_actor,
)

SCHEMA = strawberry.Schema(query=AccessLogQuery)
CUSTOMER_REF = "HSG-00417"
REASON = "Urgent safeguarding referral; the case officer is on leave this week."

ACCESS_LOG = """
query AccessLog($filter: AccessLogFilter, $first: Int!, $after: String) {
  accessLog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { seq actor operation caseId customerId outcome fields } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
VERIFY = "query { verifyAccessLog { ok entries headSeq firstBadSeq problem } }"
REVIEW = "query { breakGlassReview(first: 10) { edges { node { actor caseId reason } } } }"


class Scene:
    def __init__(self, database: Database, vault: Vault, world: World, gate: Gate) -> None:
        self.database, self.vault, self.world, self.gate = database, vault, world, gate

    def context(self, actor: Actor | None) -> TactContext:
        return TactContext(
            actor=actor,
            request_id=f"req-{uuid.uuid4().hex[:8]}",
            sessions=self.database.sessions,
            vault=self.vault,
            readers=self.database.readers,
            gate=self.gate,
            clock=Clock(),
        )

    async def run(self, actor: Actor | None, document: str, **variables: Any) -> Any:
        return await SCHEMA.execute(
            document, variable_values=variables, context_value=self.context(actor)
        )

    async def staff(self, name: str, *grants: tuple[Role, str | None]) -> Actor:
        async with self.database.sessions() as session:
            staff_id = await add_staff(session, name)
            await session.commit()
        return staff_actor(name, staff_id, *grants)


@pytest.fixture
async def scene(database: Database, vault: Vault) -> Scene:
    gate = make_gate(Clock(), signer=CheckpointSigner.generate(), checkpoint_every=4)
    async with database.sessions() as session:
        world = await build_world(session)
        digest = vault.blind_index(LookupKind.CUSTOMER_REF, CUSTOMER_REF)
        await session.execute(
            update(Customer).where(Customer.id == world.customer_id).values(reference_digest=digest)
        )
        await session.commit()
    return Scene(database, vault, world, gate)


async def read_case(scene: Scene, actor: Actor, reason: str | None = None) -> None:
    async with (
        scene.database.sessions() as session,
        scene.gate.access(
            session, actor, Operation.READ_CASE, Target(case_id=scene.world.case_id), reason=reason
        ),
    ):
        pass


async def test_who_has_seen_this_persons_record(scene: Scene) -> None:
    manager = await scene.staff("manager-h", (Role.MANAGER, "housing"))
    ig = await scene.staff("ig-all", (Role.IG_OFFICER, None))
    await read_case(scene, manager)
    await read_case(scene, manager)

    result = await scene.run(ig, ACCESS_LOG, filter={"customerRef": CUSTOMER_REF}, first=10)
    assert result.errors is None
    nodes = [edge["node"] for edge in result.data["accessLog"]["edges"]]
    assert [(n["actor"], n["operation"], n["caseId"]) for n in nodes] == [
        ("staff:manager-h", "read_case", str(scene.world.case_id))
    ] * 2

    # The question itself is on the log, about that person.
    async with scene.database.sessions() as session:
        last = (
            await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq.desc()))
        ).first()
    assert last is not None
    assert (last.actor, last.operation, last.customer_id, last.outcome) == (
        "staff:ig-all", "read_access_log", scene.world.customer_id, "allowed",
    )  # fmt: skip


async def test_pages_follow_the_cursor(scene: Scene) -> None:
    manager = await scene.staff("manager-p", (Role.MANAGER, "housing"))
    ig = await scene.staff("ig-pages", (Role.IG_OFFICER, None))
    for _ in range(3):
        await read_case(scene, manager)
    where = {"actor": "staff:manager-p"}
    first = await scene.run(ig, ACCESS_LOG, filter=where, first=2)
    page = first.data["accessLog"]
    assert [e["node"]["seq"] for e in page["edges"]] == [3, 2]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await scene.run(
        ig, ACCESS_LOG, filter=where, first=2, after=page["pageInfo"]["endCursor"]
    )
    assert [e["node"]["seq"] for e in second.data["accessLog"]["edges"]] == [1]
    assert second.data["accessLog"]["pageInfo"]["hasNextPage"] is False


async def test_only_ig_officers_read_the_log(scene: Scene) -> None:
    manager = await scene.staff("manager-x", (Role.MANAGER, "housing"))
    result = await scene.run(manager, ACCESS_LOG, first=5)
    assert result.data is None
    assert [e.message for e in result.errors] == ["not permitted: read_access_log"]
    anonymous = await scene.run(None, VERIFY)
    assert anonymous.errors is not None
    async with scene.database.sessions() as session:
        outcomes = (await session.scalars(select(AccessLogEntry.outcome))).all()
    assert outcomes == ["denied", "denied"]


async def test_an_ig_officer_of_one_service_asks_about_its_cases_only(scene: Scene) -> None:
    ig = await scene.staff("ig-housing", (Role.IG_OFFICER, "housing"))
    by_case = await scene.run(
        ig, ACCESS_LOG, filter={"caseRef": scene.world.case_reference}, first=5
    )
    assert by_case.errors is None
    everything = await scene.run(ig, ACCESS_LOG, first=5)
    assert everything.errors is not None


async def test_a_case_reference_that_names_no_case_is_refused_not_answered_empty(
    scene: Scene,
) -> None:
    ig = await scene.staff("ig-every", (Role.IG_OFFICER, None))
    mistyped = await scene.run(ig, ACCESS_LOG, filter={"caseRef": "HOU-NO-SUCH"}, first=5)
    assert mistyped.data is None
    assert [e.message for e in mistyped.errors] == ["filter.caseRef: no case with that reference"]
    known = await scene.run(ig, ACCESS_LOG, filter={"caseRef": scene.world.case_reference}, first=5)
    assert known.errors is None


async def test_break_glass_is_listed_for_review_and_the_log_verifies(scene: Scene) -> None:
    outsider = await scene.staff("officer-f", (Role.CASE_OFFICER, "fire-safety"))
    ig = await scene.staff("ig-review", (Role.IG_OFFICER, None))
    await read_case(scene, outsider, reason=REASON)
    review = await scene.run(ig, REVIEW)
    assert review.errors is None
    assert [e["node"] for e in review.data["breakGlassReview"]["edges"]] == [
        {"actor": "staff:officer-f", "caseId": str(scene.world.case_id), "reason": REASON}
    ]
    verified = await scene.run(ig, VERIFY)
    assert verified.errors is None
    assert verified.data["verifyAccessLog"] == {
        "ok": True, "entries": 2, "headSeq": 2, "firstBadSeq": None, "problem": None,
    }  # fmt: skip


async def test_a_bad_cursor_is_a_field_error(scene: Scene) -> None:
    ig = await scene.staff("ig-cursor", (Role.IG_OFFICER, None))
    result = await scene.run(ig, ACCESS_LOG, first=5, after="not-a-cursor")
    assert result.errors is not None and "after" in result.errors[0].message
