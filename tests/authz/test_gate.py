"""The choke point's promises: deny by default, one entry per attempt, break-glass,
independence, errors logged after rollback, and no data without its entry."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import exc, select, text, update

from authz.access_log import break_glass_review
from authz.actor import CASES_EXPIRE, Actor
from authz.audit_signing import CheckpointSigner
from authz.gate import Gate, Target
from authz.log_verify import verify
from authz.operations import FieldSet, Operation, Outcome
from authz.relations import Facts, case_facts, ensure_independent
from records.database import Database
from records.errors import Forbidden, NotFound, ValidationFailed
from records.models import (
    AccessLogCheckpoint,
    AccessLogEntry,
    AssignmentRelation,
    Case,
    CaseState,
    Role,
)
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

REASON = "Safeguarding call from the police; the case officer cannot be reached."


async def entries(database: Database) -> list[AccessLogEntry]:
    async with database.sessions() as session:
        rows = await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq))
        return list(rows.all())


async def case_state(database: Database, case_id: uuid.UUID) -> CaseState:
    async with database.sessions() as session:
        state = await session.scalar(select(Case.state).where(Case.id == case_id))
    assert state is not None
    return state


@pytest.fixture
async def world(database: Database) -> World:
    async with database.sessions() as session:
        return await build_world(session)


async def staff(database: Database, name: str, *grants: tuple[Role, str | None]) -> Actor:
    async with database.sessions() as session:
        staff_id = await add_staff(session, name)
        await session.commit()
    return staff_actor(name, staff_id, *grants)


# -- deny by default ---------------------------------------------------------------------


async def test_a_service_that_does_not_exist_is_refused_and_not_written_to_the_log(
    database: Database, world: World
) -> None:
    """Whatever a caller typed as the service could be a person's name: the log holds
    references only, so an unknown service is logged as none."""
    gate = make_gate(Clock())
    typed = "Firstname Lastname"
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as refused:
            async with gate.access(
                session,
                portal_actor("housing"),
                Operation.RESTRICTION_STATUS,
                Target(service=typed),
            ):
                pytest.fail("the block must not run")
    assert refused.value.field == "service" and typed not in refused.value.message
    [entry] = await entries(database)
    assert (entry.service, entry.outcome) == (None, "not_found")


async def test_no_actor_is_denied_and_logged(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        with pytest.raises(Forbidden):
            async with gate.access(
                session, None, Operation.READ_CASE, Target(case_id=world.case_id)
            ):
                pytest.fail("the block must not run")
    [entry] = await entries(database)
    assert (entry.actor, entry.outcome, entry.case_id) == ("anonymous", "denied", world.case_id)


async def test_an_unknown_operation_is_denied_and_logged(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    admin = await staff(database, "admin-1", (Role.ADMIN, None))
    async with database.sessions() as session:
        with pytest.raises(Forbidden) as raised:
            async with gate.access(session, admin, "erase_everything", Target()):  # type: ignore[arg-type]
                pytest.fail("the block must not run")
    assert raised.value.message == "not permitted"
    [entry] = await entries(database)
    assert (entry.operation, entry.outcome) == ("erase_everything", "denied")


async def test_an_actor_with_no_roles_is_denied(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    nobody = await staff(database, "no-roles")
    async with database.sessions() as session:
        with pytest.raises(Forbidden):
            async with gate.access(
                session, nobody, Operation.READ_CASE_SUMMARY, Target(case_id=world.case_id)
            ):
                pytest.fail("the block must not run")
    assert [e.outcome for e in await entries(database)] == ["denied"]


async def test_a_portal_key_for_housing_gets_nothing_about_fire_safety(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    portal = portal_actor("housing")
    async with database.sessions() as session:
        async with gate.access(
            session, portal, Operation.RESTRICTION_STATUS, Target(service="housing")
        ) as access:
            assert access.fields is FieldSet.STATUS
        with pytest.raises(Forbidden):
            async with gate.access(
                session, portal, Operation.RESTRICTION_STATUS, Target(service="fire-safety")
            ):
                pytest.fail("the block must not run")
    log = await entries(database)
    assert [(e.service, e.outcome, e.role) for e in log] == [
        ("housing", "allowed", "portal"),
        ("fire-safety", "denied", "portal"),
    ]


async def test_a_missing_case_is_refused_as_forbidden_and_logged_as_not_found(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    manager = await staff(database, "manager-1", (Role.MANAGER, "housing"))
    missing = uuid.uuid4()
    async with database.sessions() as session:
        # The answer a case out of sight gets: which cases exist is not told.
        with pytest.raises(Forbidden, match=r"^not permitted: read_case$"):
            async with gate.access(session, manager, Operation.READ_CASE, Target(case_id=missing)):
                pytest.fail("the block must not run")
    [entry] = await entries(database)
    assert (entry.case_id, entry.outcome) == (missing, "not_found")


async def test_someone_who_could_never_read_cases_is_denied_even_for_a_missing_case(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    admin = await staff(database, "admin-2", (Role.ADMIN, None))
    async with database.sessions() as session:
        with pytest.raises(Forbidden):
            async with gate.access(
                session, admin, Operation.READ_CASE, Target(case_id=uuid.uuid4())
            ):
                pytest.fail("the block must not run")
    assert [e.outcome for e in await entries(database)] == ["denied"]


# -- break-glass -------------------------------------------------------------------------


async def test_break_glass_opens_the_case_logs_the_reason_and_lists_it(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    ig = await staff(database, "ig-1", (Role.IG_OFFICER, None))
    target = Target(case_id=world.case_id)
    async with database.sessions() as session:
        with pytest.raises(Forbidden):  # without a reason: summaries only
            async with gate.access(session, ig, Operation.READ_CASE, target):
                pytest.fail("the block must not run")
        async with gate.access(session, ig, Operation.READ_CASE, target, reason=REASON) as access:
            assert access.fields is FieldSet.FULL
    log = await entries(database)
    assert [(e.outcome, e.reason) for e in log] == [("denied", None), ("break_glass", REASON)]
    async with database.sessions() as session:
        review = await break_glass_review(session)
    assert [(e.actor, e.case_id) for e in review.entries] == [("staff:ig-1", world.case_id)]


async def test_break_glass_needs_a_real_reason(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "officer-1", (Role.CASE_OFFICER, "fire-safety"))
    async with database.sessions() as session:
        with pytest.raises(ValidationFailed) as raised:
            async with gate.access(
                session,
                officer,
                Operation.READ_CASE,
                Target(case_id=world.case_id),
                reason="urgent",
            ):
                pytest.fail("the block must not run")
    assert raised.value.field == "breakGlassReason"
    [entry] = await entries(database)
    assert (entry.outcome, entry.reason) == ("denied", None)


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.ADMIN])
async def test_frontline_staff_and_admins_cannot_break_glass(
    database: Database, world: World, role: Role
) -> None:
    gate = make_gate(Clock())
    actor = await staff(database, f"{role}-glass", (role, "housing"))
    async with database.sessions() as session:
        with pytest.raises(Forbidden):
            async with gate.access(
                session, actor, Operation.READ_CASE, Target(case_id=world.case_id), reason=REASON
            ):
                pytest.fail("the block must not run")
    assert [e.outcome for e in await entries(database)] == ["denied"]


async def test_a_portal_cannot_break_glass(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    async with database.sessions() as session:
        with pytest.raises(Forbidden):
            async with gate.access(
                session, portal_actor("housing"), Operation.READ_CASE,
                Target(case_id=world.case_id), reason=REASON,
            ):  # fmt: skip
                pytest.fail("the block must not run")


# -- independence ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", [Operation.DECIDE_APPEAL, Operation.DECIDE_REVIEW], ids=lambda o: o.value
)
async def test_the_decision_maker_cannot_decide_the_appeal_or_review(
    database: Database, world: World, operation: Operation
) -> None:
    gate = make_gate(Clock())
    grants = ((Role.DECISION_MAKER, "housing"), (Role.REVIEWER, "housing"))
    made_it = await staff(database, "dm-1", *grants)
    other = await staff(database, "dm-2", *grants)
    async with database.sessions() as session:
        assert made_it.staff_id and other.staff_id
        await assign(session, world.case_id, made_it.staff_id, AssignmentRelation.DECISION_MAKER)
        await session.commit()
        with pytest.raises(Forbidden):
            await ensure_independent(session, world.case_id, made_it.staff_id)
        await ensure_independent(session, world.case_id, other.staff_id)
        await session.rollback()

        target = Target(case_id=world.case_id)
        with pytest.raises(Forbidden) as raised:
            async with gate.access(session, made_it, operation, target):
                pytest.fail("the block must not run")
        assert "independent" in raised.value.message
        async with gate.access(session, other, operation, target) as access:
            assert access.fields is FieldSet.FULL
    log = await entries(database)
    assert [(e.actor, e.operation, e.outcome) for e in log] == [
        ("staff:dm-1", operation.value, "denied"),
        ("staff:dm-2", operation.value, "allowed"),
    ]


async def test_a_gate_with_only_appeals_independent_lets_the_decider_review(
    database: Database, world: World
) -> None:
    """RCT 7.3-7.4: the group reviews and "the relevant Group Director", who decided, endorses
    or not; an appeal still goes to someone else (the gate as api/runtime builds it)."""
    gate = make_gate(Clock())
    gate.independent_of_decision = frozenset({Operation.DECIDE_APPEAL})
    made_it = await staff(database, "dm-1", (Role.DECISION_MAKER, "housing"))
    async with database.sessions() as session:
        assert made_it.staff_id
        await assign(session, world.case_id, made_it.staff_id, AssignmentRelation.DECISION_MAKER)
        await session.commit()
        target = Target(case_id=world.case_id)
        async with gate.access(session, made_it, Operation.DECIDE_REVIEW, target) as access:
            assert access.fields is FieldSet.FULL
        with pytest.raises(Forbidden):
            async with gate.access(session, made_it, Operation.DECIDE_APPEAL, target):
                pytest.fail("the block must not run")
    log = await entries(database)
    assert [(e.operation, e.outcome) for e in log] == [
        ("decide_review", "allowed"),
        ("decide_appeal", "denied"),
    ]


async def test_a_manager_assigned_as_reviewer_may_decide_a_review_not_an_appeal(
    database: Database, world: World
) -> None:
    """Where a profile gives reviews to a manager (Portsmouth's city helpdesk manager), the
    case names them its reviewer; the service's other managers, and appeals, stay closed."""
    gate = make_gate(Clock())
    assigned = await staff(database, "helpdesk-1", (Role.MANAGER, None))
    unassigned = await staff(database, "manager-3", (Role.MANAGER, "housing"))
    target = Target(case_id=world.case_id)
    async with database.sessions() as session:
        assert assigned.staff_id
        await assign(session, world.case_id, assigned.staff_id, AssignmentRelation.REVIEWER)
        await session.commit()
        async with gate.access(session, assigned, Operation.DECIDE_REVIEW, target) as access:
            assert access.fields is FieldSet.FULL
        for actor, operation in (
            (assigned, Operation.DECIDE_APPEAL),
            (unassigned, Operation.DECIDE_REVIEW),
        ):
            with pytest.raises(Forbidden):
                async with gate.access(session, actor, operation, target):
                    pytest.fail("the block must not run")
    log = await entries(database)
    assert [(e.actor, e.operation, e.outcome) for e in log] == [
        ("staff:helpdesk-1", "decide_review", "allowed"),
        ("staff:helpdesk-1", "decide_appeal", "denied"),
        ("staff:manager-3", "decide_review", "denied"),
    ]


# -- inside the block --------------------------------------------------------------------


async def test_an_error_in_the_block_rolls_back_and_is_logged(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    manager = await staff(database, "manager-2", (Role.MANAGER, "housing"))
    async with database.sessions() as session:
        with pytest.raises(RuntimeError):
            async with gate.access(
                session, manager, Operation.UPDATE_CASE, Target(case_id=world.case_id)
            ) as access:
                await access.session.execute(
                    update(Case).where(Case.id == world.case_id).values(state=CaseState.WARNED)
                )
                raise RuntimeError("the domain step failed")
    assert await case_state(database, world.case_id) is CaseState.OPEN
    [entry] = await entries(database)
    assert (entry.outcome, entry.case_id, entry.fields) == ("error", world.case_id, None)


async def test_not_found_in_the_block_is_logged_as_such(database: Database, world: World) -> None:
    gate = make_gate(Clock())
    portal = portal_actor("housing")
    async with database.sessions() as session:
        with pytest.raises(NotFound):
            async with gate.access(
                session, portal, Operation.RESTRICTION_STATUS, Target(service="housing")
            ):
                raise NotFound("no customer matches")
    assert [e.outcome for e in await entries(database)] == ["not_found"]


async def test_what_the_block_touched_is_logged_one_entry_each(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    portal = portal_actor("housing")
    other_customer = uuid.uuid4()
    async with database.sessions() as session, gate.access(
        session, portal, Operation.RESTRICTION_STATUS, Target(service="housing"),
        request_id="req-42",
    ) as access:  # fmt: skip
        access.touched(customer_id=world.customer_id, case_id=world.case_id)
        access.touched(customer_id=other_customer)
        access.touched(customer_id=other_customer)  # the same touch twice: one entry
    log = await entries(database)
    assert [(e.customer_id, e.case_id, e.request_id, e.fields) for e in log] == [
        (world.customer_id, world.case_id, "req-42", "status"),
        (other_customer, None, "req-42", "status"),
    ]


async def test_a_change_on_another_actors_behalf_is_logged_as_theirs_with_this_request(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "officer-2", (Role.CASE_OFFICER, "housing"))
    frontline = await staff(database, "frontline-2", (Role.FRONTLINE, "housing"))
    reviewer = await staff(database, "reviewer-2", (Role.REVIEWER, "housing"))
    # A reviewer of the service, whom the rules alone would let decide the appeal.
    assert gate.decide(
        reviewer, Operation.DECIDE_APPEAL, await _facts(database, world, reviewer)
    ).allowed
    async with database.sessions() as session, gate.access(
        session, officer, Operation.OPEN_CASE, Target(service="housing"), request_id="req-7"
    ) as access:  # fmt: skip
        # Someone the rules would refuse is refused here too, and nothing is recorded.
        assert not await access.on_behalf_of(frontline, Operation.UPDATE_CASE, world.case_id)
        assert not await access.on_behalf_of(CASES_EXPIRE, Operation.UPDATE_CASE, uuid.uuid4())
        # Nor is it a way round independence: such operations are never taken on behalf.
        assert not await access.on_behalf_of(reviewer, Operation.DECIDE_APPEAL, world.case_id)
        assert await access.on_behalf_of(CASES_EXPIRE, Operation.UPDATE_CASE, world.case_id)
    log = await entries(database)
    assert [(e.actor, e.role, e.operation, e.outcome, e.case_id, e.request_id) for e in log] == [
        ("staff:officer-2", "case_officer", "open_case", "allowed", None, "req-7"),
        ("system:cases-expire", "manager", "update_case", "allowed", world.case_id, "req-7"),
    ]
    assert (log[1].customer_id, log[1].service, log[1].fields) == (
        world.customer_id, "housing", "full",
    )  # fmt: skip


async def _facts(database: Database, world: World, actor: Actor) -> Facts:
    async with database.sessions() as session:
        return (await case_facts(session, actor, [world.case_id]))[world.case_id]


async def test_without_its_entry_the_data_is_not_returned(database: Database, world: World) -> None:
    """A trigger makes every access-log insert fail: the block's change is rolled back and
    the caller gets the error, not the data."""
    gate = make_gate(Clock())
    manager = await staff(database, "manager-3", (Role.MANAGER, "housing"))
    await refuse_log_inserts(database)

    async def update_and_read() -> str:
        async with (
            database.sessions() as session,
            gate.access(
                session, manager, Operation.UPDATE_CASE, Target(case_id=world.case_id)
            ) as access,
        ):
            await access.session.execute(
                update(Case).where(Case.id == world.case_id).values(state=CaseState.WARNED)
            )
            return "the case's contents"

    try:
        with pytest.raises(exc.DBAPIError, match="access log refused"):
            await update_and_read()
    finally:
        await allow_log_inserts(database)
    assert await case_state(database, world.case_id) is CaseState.OPEN
    assert await entries(database) == []


async def refuse_log_inserts(database: Database) -> None:
    async with database.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text(
                "CREATE TRIGGER refuse_log BEFORE INSERT ON access_log "
                "BEGIN SELECT RAISE(ABORT, 'access log refused'); END"
            ))  # fmt: skip
        else:
            await conn.execute(text(
                "CREATE FUNCTION refuse_log() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'access log refused'; END $$"
            ))  # fmt: skip
            await conn.execute(text(
                "CREATE TRIGGER refuse_log BEFORE INSERT ON access_log "
                "FOR EACH ROW EXECUTE FUNCTION refuse_log()"
            ))  # fmt: skip


async def allow_log_inserts(database: Database) -> None:
    async with database.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text("DROP TRIGGER refuse_log"))
        else:
            await conn.execute(text("DROP TRIGGER refuse_log ON access_log"))
            await conn.execute(text("DROP FUNCTION refuse_log()"))


# -- checkpoints -------------------------------------------------------------------------


async def test_the_gate_signs_a_checkpoint_every_n_entries(
    database: Database, world: World
) -> None:
    signer = CheckpointSigner.generate()
    gate = Gate(make_gate(Clock()).decisions, Clock(), signer=signer, checkpoint_every=3)
    portal = portal_actor("housing")
    for _ in range(7):
        async with (
            database.sessions() as session,
            gate.access(session, portal, Operation.RESTRICTION_STATUS, Target(service="housing")),
        ):
            pass
    async with database.sessions() as session:
        seqs = (await session.scalars(select(AccessLogCheckpoint.seq))).all()
        report = await verify(session, signer)
    assert sorted(seqs) == [3, 6]
    assert report.ok and report.entries == 7


async def test_outcomes_are_the_documented_words() -> None:
    assert {o.value for o in Outcome} == {
        "allowed", "denied", "break_glass", "error", "not_found", "integrity_failure", "refused",
    }  # fmt: skip


# -- a batch of cases in one access (the retention job) ------------------------------------


async def test_a_batch_is_refused_to_whoever_could_never_do_it(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    manager = await staff(database, "mgr", (Role.MANAGER, "housing"))
    with pytest.raises(Forbidden):
        async with database.sessions() as session, gate.access(
            session, manager, Operation.DESTROY_CASE, Target()
        ) as access:  # fmt: skip
            await access.admit([world.case_id])
    log = await entries(database)
    assert [(e.operation, e.outcome, e.case_id) for e in log] == [("destroy_case", "denied", None)]


async def test_a_batch_logs_one_entry_per_case_admitted_with_its_change(
    database: Database, world: World
) -> None:
    gate = make_gate(Clock())
    officer = await staff(database, "ig", (Role.IG_OFFICER, None))
    missing = uuid.uuid4()
    async with database.sessions() as session, gate.access(
        session, officer, Operation.ARCHIVE_CASE, Target()
    ) as access:  # fmt: skip
        admitted = await access.admit([world.case_id, missing])
    log = await entries(database)
    assert admitted == [world.case_id]  # each case checked as the gate would alone
    assert [(e.operation, e.outcome, e.case_id) for e in log] == [
        ("archive_case", "allowed", world.case_id)
    ]
