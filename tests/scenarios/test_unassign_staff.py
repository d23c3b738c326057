"""`unassignStaff` over HTTP, on SQLite and PostgreSQL: a manager ends a member of staff's
assignment to a case, with reasons; the timeline keeps who, in which relation and why; the
person's access through it ends on their next request; each refusal names its field and
writes nothing; a named officer of an arrangement in force is replaced first
(modifyArrangement), which ends that assignment itself."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_leavers import _decided
from tests.scenarios.world import Refused, Walk, prelude

MOVED = "Decider Example has moved to the lettings team."
READ = "query R($r: String!) { case(reference: $r) { reference detail { summary } } }"


async def _reads_case(walk: Walk, who: str) -> bool:
    """Whether `who` may read the walk's case in full (its detail), asked over HTTP: a
    member of staff of the service who is not assigned is refused as the gate refuses."""
    try:
        data = await walk.graphql(who, READ, r=walk.reference)
    except Refused as refused:
        assert (refused.code, refused.message) == ("FORBIDDEN", "not permitted: read_case")
        return False
    assert data["case"]["detail"] is not None
    return True


async def test_an_assignment_ended_ends_the_access_it_gave_on_the_next_request(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)  # `decider` assigned as DECISION_MAKER
        assert await _reads_case(walk, "decider")
        owed = await walk.deadlines("manager", service="housing")

        done = await walk.step(
            "manager", "unassignStaff", username="decider", relation="DECISION_MAKER",
            reasons=MOVED,
        )  # fmt: skip
        event = done["event"]
        assert (event["step"], event["actor"]) == ("STAFF_UNASSIGNED", "Manager Example")
        assert event["details"] == {
            "username": "decider",
            "relation": "decision_maker",
            "reasons": MOVED,
        }
        assert done["case"]["state"] == "OPEN"  # beside the state

        assert not await _reads_case(walk, "decider")
        # On the case file, for the case team and IG to see when access ended; nothing owed.
        timeline = await walk.timeline("manager")
        assert timeline[-1]["step"] == "STAFF_UNASSIGNED"
        assert await walk.deadlines("manager", service="housing") == owed

        # A wrong unassignment is undone as any assignment is made.
        await walk.step("manager", "assignStaff", username="decider", relation="DECISION_MAKER")
        assert await _reads_case(walk, "decider")


async def test_each_refusal_names_its_field_and_writes_nothing(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        before = await walk.timeline("manager")
        given = {"username": "decider", "relation": "DECISION_MAKER", "reasons": MOVED}
        for change, field, message in (
            ({"username": "nobody"}, "input.username", "no such member of staff"),
            ({"username": "reviewer"}, "input.username", "is not assigned to this case"),
            (
                {"relation": "REVIEWER"},
                "input.relation",
                "they are not assigned to this case as REVIEWER; they are assigned as "
                "DECISION_MAKER",
            ),
            ({"reasons": " "}, "input.reasons", "must not be blank"),
            ({"reasons": "x" * 4001}, "input.reasons", "must be at most 4000 characters"),
        ):
            refused = await walk.refused("manager", "unassignStaff", **{**given, **change})
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), change
            assert refused.message == f"{field}: {message}", change
        labelled = await walk.refused(
            "manager", "unassignStaff", **{**given, "reasons": "The customer is vexatious."}
        )
        assert (labelled.code, labelled.field) == ("VALIDATION_FAILED", "input.reasons")

        # Who may assign may end an assignment: not the case officer, not the decider.
        for who in ("officer", "decider"):
            refused = await walk.refused(who, "unassignStaff", **given)
            assert refused.code == "FORBIDDEN", who
        assert await walk.timeline("manager") == before
        assert await _reads_case(walk, "decider")


async def test_a_named_officer_in_force_is_replaced_first_which_ends_the_assignment(
    walk_factory: WalkFactory,
) -> None:
    """The decision names `officer` (who opened the case, so also its case officer) as named
    officer and `manager` as deputy."""
    async with walk_factory("cumbria-frs", dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        for username in ("officer", "manager"):
            refused = await walk.refused(
                "manager", "unassignStaff", username=username, relation="NAMED_OFFICER",
                reasons=MOVED,
            )  # fmt: skip
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.relation")
            assert refused.message == (
                "input.relation: stays while they are the named officer or deputy of an "
                "arrangement in force on this case: name someone in their place first "
                "(modifyArrangement, namedOfficer or deputyOfficer)"
            )

        # Their other assignment ends; the named officer's keeps them reading the case.
        await walk.step(
            "manager", "unassignStaff", username="officer", relation="CASE_OFFICER",
            reasons="The case officer's work on this case is done.",
        )  # fmt: skip
        assert await _reads_case(walk, "officer")

        await walk.step(
            "decider", "modifyArrangement", kind="NAMED_OFFICER", namedOfficer="reviewer",
            reasons="Officer Example has moved team.",
        )  # fmt: skip
        assert not await _reads_case(walk, "officer")
        gone = await walk.refused(
            "manager", "unassignStaff", username="officer", relation="NAMED_OFFICER",
            reasons=MOVED,
        )  # fmt: skip
        assert (gone.field, gone.message) == (
            "input.username",
            "input.username: is not assigned to this case",
        )


async def test_an_assignment_ends_on_a_case_closed_with_no_action(
    walk_factory: WalkFactory,
) -> None:
    """Assigned staff still read a closed file until it is destroyed: need to know ends when
    the need does, so the step is taken on a closed case too."""
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("manager", "closeNoAction", reasons="The contact has settled.")
        assert await _reads_case(walk, "decider")
        done = await walk.step(
            "manager", "unassignStaff", username="decider", relation="DECISION_MAKER",
            reasons=MOVED,
        )  # fmt: skip
        assert done["case"]["state"] == "CLOSED_NO_ACTION"
        assert not await _reads_case(walk, "decider")
