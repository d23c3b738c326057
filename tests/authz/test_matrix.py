"""DESIGN.md 5, cell by cell: every role x every operation x (in service / out of service) x
(assigned / not assigned). Each attempt must be allowed or denied as the table says and
leave exactly one access-log entry with the matching outcome.

"In service": the role is held in housing, the case's service. "Out of service": it is held
in fire-safety only. "Assigned": the member of staff is on the case through case_assignments
(a relation that fits the role, below). Portals are never assigned (they are not staff).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from authz.actor import Actor
from authz.decisions import read_policy_file
from authz.gate import Gate, Target
from authz.operations import FIELDS_OF, FieldSet, Operation, Outcome
from casework.profiles import REVIEW_DECIDERS
from records.database import Database
from records.errors import Forbidden
from records.models import AccessLogEntry, AssignmentRelation, Role
from tests.authz.world import (
    Clock,
    World,
    add_staff,
    assign,
    build_world,
    make_gate,
    portal_actor,
    staff_actor,
)

# Cells, in this order: in service & assigned, in service & not assigned,
#                       out of service & assigned, out of service & not assigned.
# A = allowed, B = allowed as break-glass, - = denied.
ROLES = (
    "portal", "frontline", "case_officer", "manager",
    "decision_maker", "reviewer", "ig_officer", "admin",
)  # fmt: skip
NOBODY = "----"
_STATUS = ("AA--", "AAA-", "AAA-", "AAA-", "AAA-", "AAA-", NOBODY, NOBODY)
_IG_ONLY = (NOBODY,) * 6 + ("AA--", NOBODY)
_ADMIN_ONLY = (NOBODY,) * 7 + ("AA--",)
Op = Operation
EXPECTED: dict[Operation, tuple[str, ...]] = {
    #                           portal  frontl  c_off   manager dec_mk  review  ig_off  admin
    # status and contact check: portal, frontline of the service; the case team
    Op.RESTRICTION_STATUS:    _STATUS,
    Op.CHECK_CONTACT:         _STATUS,
    # summary: case team; manager, decision maker of the service; IG; admin (DESIGN 9 panel)
    Op.READ_CASE_SUMMARY:     ("----", "----", "AAA-", "AAA-", "AAA-", "AAA-", "AA--", "AA--"),
    # full case: assigned case team; manager of the service
    Op.READ_CASE:             ("----", "----", "A-A-", "AAA-", "A-A-", "A-A-", "----", "----"),
    # record concern/evidence/safeguards, warn, refer: assigned case officer; manager of service
    Op.UPDATE_CASE:           ("----", "----", "A-A-", "AA--", "----", "----", "----", "----"),
    # decide: the deciding role, assigned as such
    Op.DECIDE:                ("----", "----", "----", "----", "A-A-", "----", "----", "----"),
    # appeal/review: reviewer or decision maker not involved in the decision (the assigned
    # decision maker made it, so is refused; an assigned reviewer is the appeal officer)
    Op.DECIDE_APPEAL:         ("----", "----", "----", "----", "-A--", "AAA-", "----", "----"),
    # a review: the same (a manager only when assigned as reviewer: tests/authz/test_gate.py)
    Op.DECIDE_REVIEW:         ("----", "----", "----", "----", "-A--", "AAA-", "----", "----"),
    Op.READ_ACCESS_LOG:       _IG_ONLY,
    Op.VERIFY_ACCESS_LOG:     _IG_ONLY,
    Op.SUBJECT_ACCESS_EXPORT: _IG_ONLY,
    Op.MANAGE_HOLDS:          _IG_ONLY,
    Op.APPROVE_DESTRUCTION:   _IG_ONLY,
    Op.MANAGE_STAFF:          _ADMIN_ONLY,
    Op.MANAGE_SERVICES:       _ADMIN_ONLY,
    Op.MANAGE_PORTAL_KEYS:    _ADMIN_ONLY,
    Op.MANAGE_REFERENCE_DATA: _ADMIN_ONLY,
    Op.IMPORT_CUSTOMERS:      _ADMIN_ONLY,
    # customers who share a detail: the administrator and the IG officer
    Op.FIND_SHARED_DETAILS:   (NOBODY,) * 6 + ("AA--", "AA--"),
    # a shared detail taken from a customer: the same two (the customer's case in housing)
    Op.REMOVE_SHARED_DETAIL:  (NOBODY,) * 6 + ("AA--", "AA--"),
    # aggregate reports: manager, decision maker, IG officer
    Op.READ_REPORTS:          ("----", "----", "----", "AA--", "AA--", "----", "AA--", "----"),
    # break-glass (with a reason): staff outside need-to-know, except frontline and admins
    Op.BREAK_GLASS:           ("----", "----", "ABAB", "AAAB", "ABAB", "ABAB", "BBBB", "----"),
    # workflow: open a case (case officers, managers of the service); assign staff and end
    # an assignment (managers of the service); an immediate-risk decision (managers and
    # decision makers of the service, or the decision maker assigned to the case)
    Op.OPEN_CASE:             ("----", "----", "AA--", "AA--", "----", "----", "----", "----"),
    Op.ASSIGN_STAFF:          ("----", "----", "----", "AA--", "----", "----", "----", "----"),
    Op.UNASSIGN_STAFF:        ("----", "----", "----", "AA--", "----", "----", "----", "----"),
    Op.DECIDE_IMMEDIATE_RISK: ("----", "----", "----", "AA--", "AAA-", "----", "----", "----"),
    # records management: the retention job acts as an IG officer; an archived case is read
    # in full by IG officers and its assigned decision maker only
    Op.ARCHIVE_CASE:          _IG_ONLY,
    Op.DESTROY_CASE:          _IG_ONLY,
    Op.DESTROY_CUSTOMER:      _IG_ONLY,
    Op.READ_ARCHIVED_CASE:    ("----", "----", "----", "----", "A-A-", "----", "AA--", "----"),
    Op.PRUNE_ACCESS_LOG:      _IG_ONLY,
}  # fmt: skip

# How a member of staff in each role is assigned to the case in the "assigned" cells.
RELATION_OF = {
    "frontline": AssignmentRelation.NAMED_OFFICER,
    "case_officer": AssignmentRelation.CASE_OFFICER,
    "manager": AssignmentRelation.CONFERENCE_ATTENDEE,
    "decision_maker": AssignmentRelation.DECISION_MAKER,
    "reviewer": AssignmentRelation.REVIEWER,
    "ig_officer": AssignmentRelation.ASSESSOR,
    "admin": AssignmentRelation.CONFERENCE_ATTENDEE,
}
CELLS = (("housing", True), ("housing", False), ("fire-safety", True), ("fire-safety", False))
REASON = "Customer rang about a safety matter; the assigned officer is away today."


SERVICE_LEVEL = {
    Operation.READ_ACCESS_LOG,
    Operation.VERIFY_ACCESS_LOG,
    Operation.PRUNE_ACCESS_LOG,
    Operation.READ_REPORTS,
    Operation.MANAGE_STAFF,
    Operation.MANAGE_SERVICES,
    Operation.MANAGE_PORTAL_KEYS,
    Operation.MANAGE_REFERENCE_DATA,
    Operation.IMPORT_CUSTOMERS,
    Operation.FIND_SHARED_DETAILS,
    Operation.OPEN_CASE,
}


def target_for(operation: Operation, world: World) -> Target:
    """Status questions name the service and the person; IG, admin and report operations a
    service; subject access a person; everything else the case."""
    if operation in (Operation.RESTRICTION_STATUS, Operation.CHECK_CONTACT):
        return Target(service="housing", customer_id=world.customer_id)
    if operation in (
        Operation.SUBJECT_ACCESS_EXPORT,
        Operation.DESTROY_CUSTOMER,
        Operation.REMOVE_SHARED_DETAIL,
    ):
        return Target(customer_id=world.customer_id)
    if operation in SERVICE_LEVEL:
        return Target(service="housing")
    return Target(case_id=world.case_id)


def test_a_profile_gives_reviews_only_to_roles_the_policy_lets_review() -> None:
    """A profile's `[review] deciding_roles` is checked against REVIEW_DECIDERS on loading:
    the policy lets exactly those roles decide a review, a manager only as the case's reviewer."""
    rules = [line.split(", ") for line in read_policy_file()]
    reviewing = {(r[1], r[3]) for r in rules if r[4] == Operation.DECIDE_REVIEW}
    assert {role for role, _ in reviewing} == {role.value for role in REVIEW_DECIDERS}
    assert {standing for role, standing in reviewing if role == "manager"} == {
        "assigned_as_reviewer"
    }


def test_the_table_covers_every_role_and_operation() -> None:
    assert set(EXPECTED) == set(Operation)
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())
    assert set(ROLES) == {r.value for r in Role}


@pytest.mark.parametrize("operation", list(Operation), ids=lambda o: o.value)
async def test_operation_for_every_role_and_cell(database: Database, operation: Operation) -> None:
    """One operation's row of the table: 8 roles x 4 cells, each one attempt, one entry."""
    gate = make_gate(Clock())
    async with database.sessions() as session:
        world = await build_world(session)
        staff = {}
        for role in ROLES[1:]:
            staff[role] = (
                await add_staff(session, f"{role}-a"),
                await add_staff(session, f"{role}-b"),
            )
            await assign(session, world.case_id, staff[role][0], RELATION_OF[role])
        await session.commit()

    mismatches: list[str] = []
    for role, expected in zip(ROLES, EXPECTED[operation], strict=True):
        for (service, assigned), want in zip(CELLS, expected, strict=True):
            if role == "portal":
                actor = portal_actor(service)
            else:
                staff_id = staff[role][0 if assigned else 1]
                actor = staff_actor(f"{role}-x", staff_id, (Role(role), service))
            reason = REASON if operation is Operation.BREAK_GLASS else None
            got, outcomes = await attempt(database, gate, actor, operation, world, reason)
            want_outcome = {"A": Outcome.ALLOWED, "B": Outcome.BREAK_GLASS, "-": Outcome.DENIED}
            if got != want or outcomes != [want_outcome[want]]:
                cell = f"{role} {operation.value} in={service} assigned={assigned}"
                mismatches.append(f"{cell}: wanted {want}, got {got} with entries {outcomes}")
    assert not mismatches, "\n".join(mismatches)


async def attempt(
    database: Database,
    gate: Gate,
    actor: Actor,
    operation: Operation,
    world: World,
    reason: str | None,
) -> tuple[str, list[str]]:
    """Try once; return ("A"/"B"/"-", outcomes of the log entries this attempt added)."""
    async with database.sessions() as session:
        before = await session.scalar(select(func.max(AccessLogEntry.seq))) or 0
        await session.rollback()
        got = "-"
        try:
            async with gate.access(
                session,
                actor,
                operation,
                target_for(operation, world),
                reason=reason,  # type: ignore[arg-type]
            ) as access:
                expected_fields = (
                    FieldSet.FULL if operation is Operation.BREAK_GLASS else FIELDS_OF[operation]
                )
                assert access.fields == expected_fields
                got = "A"
        except Forbidden:
            got = "-"
        rows = (
            await session.scalars(select(AccessLogEntry.outcome).where(AccessLogEntry.seq > before))
        ).all()
        await session.rollback()
    outcomes = list(rows)
    if got == "A" and outcomes == [Outcome.BREAK_GLASS]:
        got = "B"
    return got, outcomes
