"""Need-to-know from data: membership through an arrangement's services, and list queries
filtered in SQL by the same rules as the gate, then checked row by row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from authz.actor import Actor
from authz.gate import Target
from authz.operations import Operation
from authz.relations import visible_cases
from records.database import Database
from records.errors import Forbidden
from records.models import AccessLogEntry, ArrangementState, AssignmentRelation, Case, Role
from tests.authz.world import (
    Clock,
    add_arrangement,
    add_case,
    add_customer,
    add_staff,
    assign,
    build_world,
    make_gate,
    staff_actor,
)


@dataclass
class Cases:
    own: uuid.UUID  # in housing, the officer's service
    by_arrangement: uuid.UUID  # in fire-safety, with an active arrangement in housing
    assigned: uuid.UUID  # in fire-safety, the officer is assigned
    unrelated: uuid.UUID  # in fire-safety, nothing to do with the officer
    lifted: uuid.UUID  # in fire-safety, its housing arrangement was lifted
    officer: Actor


@pytest.fixture
async def cases(database: Database) -> Cases:
    async with database.sessions() as session:
        world = await build_world(session)
        housing, fire = world.services["housing"], world.services["fire-safety"]
        # One customer each: a customer has one case in progress per service.
        customers = [await add_customer(session) for _ in range(4)]
        ids = [
            await add_case(session, fire, customer, f"MC-2026-00010{n}")
            for n, customer in enumerate(customers)
        ]
        by_arrangement, assigned, unrelated, lifted = ids
        await add_arrangement(session, by_arrangement, customers[0], [housing])
        await add_arrangement(session, lifted, customers[3], [housing], ArrangementState.LIFTED)
        officer_id = await add_staff(session, "officer-h")
        await assign(session, assigned, officer_id, AssignmentRelation.CASE_OFFICER)
        await session.commit()
    officer = staff_actor("officer-h", officer_id, (Role.CASE_OFFICER, "housing"))
    return Cases(world.case_id, by_arrangement, assigned, unrelated, lifted, officer)


async def visible(database: Database, actor: Actor, operation: Operation) -> set[uuid.UUID]:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Case.id).where(visible_cases(actor, operation, gate.decisions.allows))
        )
        return set(rows.all())


async def test_summaries_follow_service_arrangements_and_assignments(
    database: Database, cases: Cases
) -> None:
    seen = await visible(database, cases.officer, Operation.READ_CASE_SUMMARY)
    assert seen == {cases.own, cases.by_arrangement, cases.assigned}


async def test_full_cases_follow_assignments_only_for_a_case_officer(
    database: Database, cases: Cases
) -> None:
    assert await visible(database, cases.officer, Operation.READ_CASE) == {cases.assigned}


async def test_nothing_is_visible_without_an_actor(database: Database, cases: Cases) -> None:
    assert await visible(database, None, Operation.READ_CASE_SUMMARY) == set()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "allowed"),
    [("by_arrangement", True), ("lifted", False), ("unrelated", False)],
)
async def test_the_gate_counts_membership_through_current_arrangements(
    database: Database, cases: Cases, case: str, allowed: bool
) -> None:
    gate = make_gate(Clock())
    target = Target(case_id=getattr(cases, case))
    async with database.sessions() as session:
        if allowed:
            async with gate.access(session, cases.officer, Operation.READ_CASE_SUMMARY, target):
                pass
        else:
            with pytest.raises(Forbidden):
                async with gate.access(session, cases.officer, Operation.READ_CASE_SUMMARY, target):
                    pass


async def test_a_list_is_filtered_in_sql_checked_per_row_and_logged_per_row(
    database: Database, cases: Cases
) -> None:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        async with gate.access(
            session, cases.officer, Operation.READ_CASE_SUMMARY, Target()
        ) as access:
            listed = (
                await access.session.scalars(
                    select(Case.id).where(access.visible_cases()).order_by(Case.reference)
                )
            ).all()
            # The row check agrees with SQL, and refuses a row SQL would not have chosen.
            admitted = await access.admit([*listed, cases.unrelated])
        entries = (await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq))).all()
    assert admitted == list(listed)
    assert set(admitted) == {cases.own, cases.by_arrangement, cases.assigned}
    assert {e.case_id for e in entries} == set(admitted)
    assert all(e.operation == "read_case_summary" and e.outcome == "allowed" for e in entries)


async def test_a_list_is_refused_to_whoever_could_see_no_case(
    database: Database, cases: Cases
) -> None:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        frontline = staff_actor("front", uuid.uuid4(), (Role.FRONTLINE, "housing"))
        with pytest.raises(Forbidden):
            async with gate.access(session, frontline, Operation.READ_CASE_SUMMARY, Target()):
                pytest.fail("the block must not run")
