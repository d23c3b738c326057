"""An archived case is read-only and read in full only by IG officers and its decision maker:
the gate decides on the case's state too."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from authz.gate import Target
from authz.operations import Operation
from records.database import Database
from records.errors import Forbidden
from records.models import AssignmentRelation, Case, CaseState, Role
from tests.authz.world import Clock, add_staff, assign, build_world, make_gate, staff_actor


async def _allowed(database: Database, gate, actor, operation, case_id, reason=None) -> bool:  # type: ignore[no-untyped-def]
    async with database.sessions() as session:
        try:
            async with gate.access(
                session, actor, operation, Target(case_id=case_id), reason=reason
            ):
                return True
        except Forbidden:
            return False


@pytest.mark.parametrize("archived", [False, True])
async def test_who_reads_and_changes_a_case_before_and_after_archiving(
    database: Database, archived: bool
) -> None:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        world = await build_world(session)
        manager = await add_staff(session, "manager")
        decider = await add_staff(session, "decider")
        officer = await add_staff(session, "officer")
        ig = await add_staff(session, "ig")
        await assign(session, world.case_id, decider, AssignmentRelation.DECISION_MAKER)
        await assign(session, world.case_id, officer, AssignmentRelation.CASE_OFFICER)
        if archived:
            await session.execute(
                update(Case).where(Case.id == world.case_id).values(state=CaseState.ARCHIVED)
            )
        await session.commit()
    as_manager = staff_actor("manager", manager, (Role.MANAGER, "housing"))
    as_decider = staff_actor("decider", decider, (Role.DECISION_MAKER, "housing"))
    as_officer = staff_actor("officer", officer, (Role.CASE_OFFICER, "housing"))
    as_ig = staff_actor("ig", ig, (Role.IG_OFFICER, None))
    case_id = world.case_id
    reads = {
        name: await _allowed(database, gate, actor, Operation.READ_CASE, case_id)
        for name, actor in (
            ("manager", as_manager),
            ("decider", as_decider),
            ("officer", as_officer),
            ("ig", as_ig),
        )
    }
    if archived:
        assert reads == {"manager": False, "decider": True, "officer": False, "ig": True}
    else:
        assert reads == {"manager": True, "decider": True, "officer": True, "ig": False}
    changes = [
        await _allowed(database, gate, as_manager, Operation.UPDATE_CASE, case_id),
        await _allowed(database, gate, as_officer, Operation.UPDATE_CASE, case_id),
        await _allowed(database, gate, as_decider, Operation.DECIDE, case_id),
    ]
    assert changes == ([False, False, False] if archived else [True, True, True])
    # Break-glass does not open an archived case either.
    reason = "A caller asked about this matter today and nobody assigned is in."
    glass = await _allowed(database, gate, as_manager, Operation.READ_CASE, case_id, reason)
    assert glass is not archived
    summary = await _allowed(database, gate, as_manager, Operation.READ_CASE_SUMMARY, case_id)
    assert summary  # the summary (reference, state, dates) stays visible to the service
