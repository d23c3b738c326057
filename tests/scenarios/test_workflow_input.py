"""Every workflow mutation refuses bad input with VALIDATION_FAILED naming the field, labels
included; and a step whose last write fails leaves nothing of itself behind, with no
access-log entry claiming it happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text

from records.case_steps import CaseEvent
from records.models import AccessLogEntry, Arrangement, Case
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    LETTERS_ONLY,
    OPEN_CASE,
    Refused,
    Walk,
    decision,
    prelude,
    safeguards,
)

PROFILE = "default"
DAY = "2026-03-02"
ARRANGEMENT = {"kind": "NAMED_OFFICER", "namedOfficer": "officer"}
# mutation: (who, valid input, field to spoil, bad value, the field the error must name)
CASES: dict[str, tuple[str, dict[str, Any], str, Any, str]] = {
    "recordConcern": ("officer", {"category": "CONTACT_VOLUME"}, "description", "", "input.description"),  # noqa: E501
    "recordEvidence": ("officer", {"channel": "PHONE", "occurredOn": DAY, "summary": "x"}, "summary", "", "input.summary"),  # noqa: E501
    "assignStaff": ("manager", {"username": "officer", "relation": "CASE_OFFICER"}, "username", "nobody", "input.username"),  # noqa: E501
    "unassignStaff": ("manager", {"username": "decider", "relation": "DECISION_MAKER", "reasons": "x"}, "reasons", "", "input.reasons"),  # noqa: E501
    "recordSafeguards": ("officer", {"checks": []}, "checks", [{"item": "unknown", "met": True}], "input.checks.0.item"),  # noqa: E501
    "issueWarning": ("officer", {"reasons": "x"}, "reasons", "The customer is abusive.", "input.reasons"),  # noqa: E501
    "refer": ("officer", {"reasons": "x"}, "referralPack", ["Letters from a persistent complainant"], "input.referralPack.0"),  # noqa: E501
    "recordAssessment": ("officer", {"assessor": "manager", "findings": "x", "recommendation": "y"}, "findings", "", "input.findings"),  # noqa: E501
    "holdCaseConference": ("manager", {"heldOn": DAY, "evidence": ["log"], "recommendation": "x", "attendees": [{"role": "Chair"}]}, "attendees", [], "input.attendees"),  # noqa: E501
    "decide": ("decider", decision(dt.date(2026, 3, 2)), "arrangements", [{"kind": "CONTACT_CHANNEL", "parameters": {"channels": []}}], "input.arrangements.0.parameters.channels"),  # noqa: E501
    "decideImmediateRisk": ("decider", {"risk": "x", "reasons": "y", "startsOn": DAY, "endsOn": "2026-04-30", "arrangements": [ARRANGEMENT]}, "risk", "", "input.risk"),  # noqa: E501
    "recordNotification": ("officer", {"subject": "DECISION", "sentOn": DAY}, "format", None, "input.format"),  # noqa: E501
    "closeNoAction": ("manager", {"reasons": "x"}, "reasons", "", "input.reasons"),
    "modifyArrangement": ("decider", {"kind": "NAMED_OFFICER", "reasons": "x"}, "reasons", "", "input.reasons"),  # noqa: E501
    "extendArrangement": ("decider", {"kind": "NAMED_OFFICER", "reasons": "x", "endsOn": DAY}, "reasons", "", "input.reasons"),  # noqa: E501
    "liftArrangement": ("decider", {"kind": "NAMED_OFFICER", "reasons": "x"}, "reasons", "", "input.reasons"),  # noqa: E501
    "scheduleReview": ("officer", {"reviewOn": DAY}, "reasons", "", "input.reasons"),
    "requestReview": ("officer", {"receivedOn": DAY, "grounds": "x"}, "grounds", "", "input.grounds"),  # noqa: E501
    "decideReview": ("reviewer", {"outcome": "CONTINUE", "reasons": "x"}, "reasons", "", "input.reasons"),  # noqa: E501
    "lodgeAppeal": ("officer", {"receivedOn": DAY, "against": "DECISION", "grounds": "x"}, "grounds", "", "input.grounds"),  # noqa: E501
    "decideAppeal": ("reviewer", {"outcome": "CONFIRMED", "reasons": "x"}, "reasons", "", "input.reasons"),  # noqa: E501
}  # fmt: skip


async def test_every_mutation_names_the_field_at_fault(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        added = await walk.open(
            "officer", {"customerRef": "CUS-7001", "phone": "07700 900701", "name": "A Sample"}
        )
        assert added["event"]["details"]["customerCreated"] is True
        # Found by reference or phone however written: refused, naming their case in progress.
        for lookup in ({"customerRef": "cus 7001"}, {"phone": "+44 7700 900701"}):
            found = await _open_refused(walk, {"customer": lookup})
            assert (found.code, found.field) == ("VALIDATION_FAILED", "input.customer")
            assert added["case"]["reference"] in found.message
        await prelude(walk)
        refused = await _open_refused(walk, {"customer": {"phone": "07700 900999"}})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer.name")
        refused = await _open_refused(walk, {"customer": {"name": "Someone"}})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer.email")
        wrong = []
        for name, (who, valid, spoil, bad, field) in CASES.items():
            refused = await walk.refused(who, name, **{**valid, spoil: bad})
            if (refused.code, refused.field) != ("VALIDATION_FAILED", field):
                wrong.append(f"{name}: {refused.code} {refused.field} {refused.message}")
        assert not wrong, "\n".join(wrong)


async def test_text_of_spaces_alone_is_refused_as_no_text(walk_factory: WalkFactory) -> None:
    """Reasons, grounds or a name given as spaces are none: refused naming the field, as an
    empty one is, not kept as the record of why."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        blank = {"phone": "07700 900702", "name": " \t "}
        refused = await _open_refused(walk, {"customer": blank})
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.customer.name")
        await prelude(walk)
        before = await walk.timeline("officer")
        blanks = {name: case for name, case in CASES.items() if case[3] == ""}
        assert len(blanks) >= 10
        wrong = []
        for name, (who, valid, spoil, _, field) in blanks.items():
            refused = await walk.refused(who, name, **{**valid, spoil: "  \n "})
            if (refused.code, refused.field) != ("VALIDATION_FAILED", field):
                wrong.append(f"{name}: {refused.code} {refused.field} {refused.message}")
        assert not wrong, "\n".join(wrong)
        assert await walk.timeline("officer") == before  # nothing of any of them written


async def test_a_notification_about_a_step_the_case_has_not_had_is_refused(
    walk_factory: WalkFactory,
) -> None:
    """A decision letter recorded as sent on a case only warned was kept on the timeline as
    a notification with no letter, meeting nothing: the file read as though the customer had
    been told of a decision there is none of. Refused on input.subject, nothing written, and
    the letter the case does owe (the warning's) is still owed until it is recorded."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        await walk.step("officer", "issueWarning", reasons="Contact at the same level.")
        before = await walk.timeline("officer"), await walk.deadlines("manager")
        told_of = {"DECISION": "no decision", "REVIEW": "no review", "ENDED": "no arrangements"}
        for subject, what in told_of.items():
            refused = await walk.refused(
                "officer", "recordNotification", subject=subject, sentOn=DAY, format="LETTER"
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.subject")
            assert what in refused.message
        assert (await walk.timeline("officer"), await walk.deadlines("manager")) == before
        owed = [d["kind"] for d in before[1] if d["reference"] == walk.reference]
        assert "WARNING_NOTIFICATION" in owed
        warned = await walk.step(
            "officer", "recordNotification", subject="WARNING", sentOn=DAY, format="LETTER"
        )
        assert "a warning" in warned["event"]["details"]["letter"]


async def test_a_choice_the_profile_does_not_offer_is_refused_in_the_api_s_spelling(
    walk_factory: WalkFactory,
) -> None:
    """The allowed values a refusal lists are the ones the caller can type (CONFIRMED), not
    the profile file's spelling (confirmed)."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        skipped = await walk.refused(
            "decider", "decide", **decision(walk.today), skipWarningReason="FUTILE",
            skipWarningExplanation="Earlier letters went unanswered.",
        )  # fmt: skip
        assert (skipped.field, skipped.message) == (
            "input.skipWarningReason",
            "input.skipWarningReason: this profile allows skipping the warning for: SAFETY",
        )
        await walk.step("officer", "issueWarning", reasons="Six calls on one day.")
        await walk.step("decider", "decide", **decision(walk.today))
        await walk.step(
            "officer", "lodgeAppeal", receivedOn=DAY, against="DECISION", grounds="Unfair."
        )
        outcome = await walk.refused(
            "reviewer", "decideAppeal", outcome="NOT_UPHELD", reasons="Sound."
        )
        assert outcome.message == (
            "input.outcome: this profile's outcomes are: CONFIRMED, AMENDED, REMOVED"
        )


async def _open_refused(walk: Walk, given: dict[str, Any]) -> Refused:
    try:
        await walk.graphql("officer", OPEN_CASE, service="housing", input=given)
    except Refused as refused:
        return refused
    raise AssertionError("openCase was not refused")


_FAIL_SQLITE = (
    "CREATE TRIGGER refuse_events BEFORE INSERT ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
)
_FAIL_POSTGRES = (
    "CREATE OR REPLACE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER refuse_events BEFORE INSERT ON case_events "
    "FOR EACH ROW EXECUTE FUNCTION refuse_events()",
)
_UNDO = (
    "DROP TRIGGER IF EXISTS refuse_events ON case_events",
    "DROP FUNCTION IF EXISTS refuse_events()",
)


async def test_a_step_whose_last_write_fails_leaves_nothing(walk_factory: WalkFactory) -> None:
    """The decision writes arrangements, the decider and the state, and its timeline event
    last; the database refuses the event, so none of it may remain, and the access log says
    the attempt failed."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
        await walk.step("officer", "issueWarning", reasons="The contact described.")
        engine = walk.runtime.database.engine
        postgres = engine.dialect.name == "postgresql"
        async with engine.begin() as conn:
            for statement in _FAIL_POSTGRES if postgres else (_FAIL_SQLITE,):
                await conn.execute(text(statement))
        try:
            failed = await walk.refused("decider", "decide", **decision(walk.today, LETTERS_ONLY))
        finally:
            async with engine.begin() as conn:
                undo = _UNDO if postgres else ("DROP TRIGGER IF EXISTS refuse_events",)
                for statement in undo:
                    await conn.execute(text(statement))
        assert failed.code == "INTERNAL" and failed.message == "Internal error."
        async with walk.runtime.database.sessions() as session:
            case = await session.scalar(select(Case).where(Case.reference == walk.reference))
            assert case is not None
            assert (case.state.value, case.decided_by) == ("warned", None)
            assert await session.scalar(select(func.count()).select_from(Arrangement)) == 0
            events = await session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
            )
            assert events == 6  # opened, concern, evidence, assigned, safeguards, warning
            outcomes = (
                await session.scalars(
                    select(AccessLogEntry.outcome).where(AccessLogEntry.operation == "decide")
                )
            ).all()
        assert list(outcomes) == ["error"]
