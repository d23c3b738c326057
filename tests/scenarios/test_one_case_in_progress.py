"""One case in progress per customer and service, over HTTP. `openCase` for a customer who
has one is refused on `input.customer`, writing nothing, and tells the officer to record the
concern on that case, naming it only to a caller who may read its summary; the attempt is in
the access log against that case. A case closed with no action does not block a new one, nor
does a decided case whose arrangements have all run out: it is ended as the daily sweep
would, and logged as the sweep's change in the same request; one arrangement still in force
blocks. An ended case is not taken back into progress beside a newer one. Two `openCase` at
once make one case, on both databases; on PostgreSQL both are held until each has passed the
check, so the second is refused by the database's index. Two at once for someone not yet on
the register add them once: the second waits for the first before it looks, finds them, and
is refused."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from api.cli_cases import sweep
from authz.decisions import Rule, add_rule
from authz.log_verify import verify
from records.database import Database
from records.models import Case, ContactDetail, Customer
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_cambridgeshire_cc import ON_THE_SPOT
from tests.scenarios.test_expiry_sweep import ENDS as SWEEP_ENDS
from tests.scenarios.test_expiry_sweep import START as SWEEP_START
from tests.scenarios.test_expiry_sweep import case_id_of, case_view, decided_case, due
from tests.scenarios.world import (
    LETTERS_ONLY,
    NAMED_OFFICER,
    OPEN_CASE,
    Refused,
    Walk,
    at_once,
    prelude,
    walk_for,
)

PROFILE = "cambridgeshire-cc"
EMAIL = "morgan.sample@example.org"
NEW_PHONE = "07700 900321"
ASSESSMENT = {
    "assessor": "manager",
    "findings": "The conduct is recorded in the safety log.",
    "recommendation": "A named officer for a year.",
}
ACCESS = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter) "
    "{ edges { node { actor operation outcome } } } }"
)


async def test_a_second_case_is_refused_and_the_concern_goes_on_the_first(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        first = walk.reference
        before = await _written(walk)

        # The email finds Morgan, whose case is open: refused, naming the field and the case.
        refused = await walk.open_refused("officer", {"email": EMAIL, "phone": NEW_PHONE})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer")
        assert first in refused.message and "recordConcern" in refused.message
        assert EMAIL not in refused.message and "900321" not in refused.message
        # Nothing written: no case, and not even the phone number a found customer lacked.
        assert await _written(walk) == before
        assert walk.reference == first

        # The same for the service's manager, and for a decided case; the attempts are logged
        # against the case in progress, as refused.
        refused = await walk.open_refused("manager", {"email": EMAIL})
        assert (refused.field, first in refused.message) == ("input.customer", True)
        logged = await walk.graphql(
            "helpdesk", ACCESS, filter={"caseRef": first, "operation": "open_case"}
        )
        attempts = [edge["node"] for edge in logged["accessLog"]["edges"]]
        assert [(a["actor"], a["outcome"]) for a in attempts] == [
            ("staff:manager", "refused"),
            ("staff:officer", "refused"),
            ("staff:officer", "allowed"),  # the case opened
        ]

        # What the refusal says to do works: the new concern is recorded on the first case.
        done = await walk.step(
            "officer", "recordConcern", category="REPEAT_MATTER",
            description="The same repair raised again through the web form.",
        )  # fmt: skip
        assert (done["case"]["reference"], done["event"]["step"]) == (first, "CONCERN_RECORDED")


async def test_a_case_closed_with_no_action_does_not_block_a_new_one(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        first = walk.reference
        await walk.step("manager", "closeNoAction", reasons="Resolved through the complaint.")

        walk.on(dt.date(2026, 9, 1))
        again = await walk.open("officer", {"email": EMAIL})
        assert again["case"]["reference"] != first
        assert again["case"]["state"] == "OPEN"
        assert again["event"]["details"]["customerCreated"] is False
        # And the new one is then the case in progress.
        refused = await walk.open_refused("officer", {"email": EMAIL})
        assert again["case"]["reference"] in refused.message


async def test_the_case_is_named_only_to_who_may_read_it(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    walk_with = contextlib.asynccontextmanager(walk_for)
    start = dt.date(2026, 3, 2)
    async with walk_with(
        PROFILE, tmp_path, database_urls, key_file, start, policy_reload_seconds=0
    ) as walk:
        await prelude(walk, EMAIL)
        first = walk.reference
        # The organisation keeps case summaries from its case officers (a rule added at run
        # time); they may still open cases.
        async with walk.runtime.database.sessions() as session, session.begin():
            for standing in ("member", "assigned"):
                rule = Rule("case_officer", "housing", standing, "read_case_summary", "deny")
                assert await add_rule(session, rule, walk.clock())

        refused = await walk.open_refused("officer", {"email": EMAIL})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer")
        assert first not in refused.message and "MC-" not in refused.message
        assert "recordConcern" in refused.message and "manager" in refused.message
        # The manager may read it, and is told which.
        refused = await walk.open_refused("manager", {"email": EMAIL})
        assert first in refused.message


async def test_two_at_once_make_one_case(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    walk_with = contextlib.asynccontextmanager(walk_for)
    async with walk_with(PROFILE, tmp_path, database_urls, key_file, dt.date(2026, 3, 2)) as walk:
        # Morgan is on the register (a case opened and closed), with no case in progress.
        await prelude(walk, EMAIL)
        await walk.step("manager", "closeNoAction", reasons="Resolved through the complaint.")
        cases = await _cases(walk)

        # On PostgreSQL both are held at their insert, each past the check (which sees no
        # case in progress), so that only the database's index can refuse the second.
        both = [_open(walk, "officer"), _open(walk, "manager")]
        answers = await at_once(database.engine, "cases", both)

        opened = [a for a in answers if isinstance(a, dict)]
        refused = [a for a in answers if isinstance(a, Refused)]
        assert (len(opened), len(refused)) == (1, 1)
        assert (refused[0].code, refused[0].field) == ("VALIDATION_FAILED", "input.customer")
        assert opened[0]["openCase"]["case"]["reference"] in refused[0].message
        assert await _cases(walk) == cases + 1


async def test_two_at_once_for_someone_not_yet_on_the_register_add_them_once(
    database: Database, walk_factory: WalkFactory
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        # Morgan is not on the register; two officers open a case for them at once, one
        # naming the email, the other the email and a phone number.
        new = {"email": EMAIL, "name": "Morgan Sample"}
        both = [_open(walk, "officer", new), _open(walk, "manager", dict(new, phone=NEW_PHONE))]
        # On PostgreSQL the first is held at its insert of the customer: without the lock on
        # the email, the second would find no one too and wait there beside it, and both
        # would add Morgan. With it, the second waits for the first before it looks.
        answers = await at_once(database.engine, "customers", both)

        opened = [a for a in answers if isinstance(a, dict)]
        refused = [a for a in answers if isinstance(a, Refused)]
        assert (len(opened), len(refused)) == (1, 1)
        assert opened[0]["openCase"]["event"]["details"]["customerCreated"] is True
        assert (refused[0].code, refused[0].field) == ("VALIDATION_FAILED", "input.customer")
        assert opened[0]["openCase"]["case"]["reference"] in refused[0].message
        # One customer with one case and the details of the call that opened it: the refused
        # one added nothing (not its phone number, where it was the manager's).
        winner = opened[0]["openCase"]["event"]["actor"]
        assert winner in ("Officer Example", "Manager Example")
        by_manager = winner == "Manager Example"
        assert await _customers(walk) == 1
        assert await _written(walk) == (1, 1 + by_manager)


async def _open(
    walk: Walk, who: str, customer: dict[str, str] | None = None
) -> dict[str, Any] | Refused:
    try:
        return await walk.graphql(
            who, OPEN_CASE, service="housing", input={"customer": customer or {"email": EMAIL}}
        )
    except Refused as refused:
        return refused


async def _customers(walk: Walk) -> int:
    async with walk.runtime.database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def _cases(walk: Walk) -> int:
    async with walk.runtime.database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Case)) or 0


async def _written(walk: Walk) -> tuple[int, int]:
    async with walk.runtime.database.sessions() as session:
        details = await session.scalar(select(func.count()).select_from(ContactDetail))
    return await _cases(walk), details or 0


async def test_an_ended_case_is_not_taken_back_beside_a_newer_one(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        first = walk.reference
        await walk.step("manager", "decideImmediateRisk", **dict(ON_THE_SPOT, endsOn="2026-03-20"))
        # The short-term arrangement runs out before the full assessment: the case ends (at
        # its next step, here a piece of evidence), and a new case may be opened.
        walk.on(dt.date(2026, 4, 2))
        evidence = {"channel": "LETTER", "occurredOn": "2026-03-25", "summary": "A letter."}
        assert (await walk.step("officer", "recordEvidence", **evidence))["case"][
            "state"
        ] == "ENDED"
        second = (await walk.open("officer", {"email": EMAIL}))["case"]["reference"]

        # The ended case would be in progress again with its full assessment: refused, and
        # the assessment is taken on the newer case instead.
        walk.reference = first
        refused = await walk.refused("officer", "recordAssessment", **ASSESSMENT)
        assert refused.code == "INVALID_TRANSITION" and "another case" in refused.message
        assert first not in refused.message and second not in refused.message
        assert (await walk.timeline("officer"))[-1]["step"] == "EVIDENCE_RECORDED"
        walk.reference = second
        await walk.step("officer", "recordConcern", category="SAFETY_RISK", description="Threats.")
        assessed = await walk.step("officer", "recordAssessment", **ASSESSMENT)
        assert assessed["case"]["state"] == "IN_ASSESSMENT"


SWEEP = "system:cases-expire"  # who the daily sweep is in the access log
LOGGED = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter) "
    "{ edges { node { actor role operation outcome caseId requestId } } } }"
)


async def test_a_case_whose_arrangements_ran_out_is_ended_as_the_sweep_would_and_a_new_one_opens(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, SWEEP_START) as walk:
        first = await decided_case(walk, EMAIL, SWEEP_ENDS)
        walk.on(SWEEP_ENDS + dt.timedelta(days=1))  # it ended yesterday; the sweep has not run
        assert (await case_view(walk, first))[0]["state"] == "DECIDED"

        opened = await walk.open("officer", {"email": EMAIL})
        second = opened["case"]["reference"]
        assert second != first and opened["case"]["state"] == "OPEN"
        assert opened["event"]["details"]["customerCreated"] is False

        # The first case ended as the sweep ends it: its step (by no one), on the last end
        # date (retention's clock), reviews stopped and the "ended" letter due.
        case, steps = await case_view(walk, first)
        assert case == {"state": "ENDED", "restrictionsEndedOn": SWEEP_ENDS.isoformat()}
        expired = (await walk.timeline("manager"))[-1]
        assert (expired["step"], expired["actor"]) == ("ARRANGEMENTS_EXPIRED", None)
        assert expired["details"] == {"kinds": ["named_officer"], "caseEnded": True}
        assert steps.count("ARRANGEMENTS_EXPIRED") == 1
        assert [kind for kind, _ in await due(walk, first)] == [
            "DECISION_NOTIFICATION", "FULL_ASSESSMENT", "ENDED_NOTIFICATION",
        ]  # fmt: skip

        # The log shows both, from one request: the first case changed as the sweep's change
        # is logged, the new case opened by the officer as before.
        first_id, second_id = await case_id_of(walk, first), await case_id_of(walk, second)
        (swept,) = await _logged(walk, first, "update_case", SWEEP)
        assert (swept["role"], swept["outcome"], swept["caseId"]) == (
            "manager", "allowed", str(first_id),
        )  # fmt: skip
        (opening,) = await _logged(walk, second, "open_case", "staff:officer")
        assert (opening["outcome"], opening["caseId"]) == ("allowed", str(second_id))
        assert swept["requestId"] == opening["requestId"] is not None

        # The sweep finds nothing left to do, and the chain verifies.
        again = await sweep(walk.runtime, walk.clock)
        assert (again.expired, again.ended, again.failed) == ({}, [], [])
        async with walk.runtime.database.sessions() as session:
            assert (await verify(session, walk.runtime.gate.signer)).ok


async def test_a_decided_case_with_an_arrangement_still_in_force_still_blocks(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, SWEEP_START) as walk:
        await prelude(walk, EMAIL)
        first = walk.reference
        two = [NAMED_OFFICER, LETTERS_ONLY]
        await walk.step(
            "manager", "decideImmediateRisk",
            **dict(ON_THE_SPOT, endsOn=SWEEP_ENDS.isoformat(), arrangements=two),
        )  # fmt: skip
        # One of its two arrangements is extended past the day the other runs out.
        await walk.step(
            "decider", "extendArrangement", kind="CONTACT_CHANNEL",
            reasons="Letters only until the assessment is done.", endsOn="2026-06-30",
        )  # fmt: skip
        walk.on(SWEEP_ENDS + dt.timedelta(days=1))
        before = await _written(walk), await case_view(walk, first)

        refused = await walk.open_refused("officer", {"email": EMAIL})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer")
        assert first in refused.message
        # Nothing written: not the expiry of the arrangement that ran out, nor a sweep entry.
        assert (await _written(walk), await case_view(walk, first)) == before
        assert await _logged(walk, first, "update_case", SWEEP) == []


async def _logged(walk: Walk, reference: str, operation: str, actor: str) -> list[dict[str, Any]]:
    """The access log's entries about this case, this operation and actor, as an IG officer
    reads them."""
    wanted = {"caseRef": reference, "operation": operation, "actor": actor}
    data = await walk.graphql("helpdesk", LOGGED, filter=wanted)
    return [edge["node"] for edge in data["accessLog"]["edges"]]
