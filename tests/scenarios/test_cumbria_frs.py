"""Cumbria Fire and Rescue Service's process, end to end over HTTP: concern and evidence,
safeguards, warning, decision by a senior manager, notification, a challenge within 14 days
decided within 28 by an independent senior manager, a late challenge refused and recorded,
a review at 6 months, arrangements lifted and the "ended" notification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casework.profiles import load_profile
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import (
    CHECKED,
    CLOSED_REPAIR,
    LETTERS_ONLY,
    NAMED_OFFICER,
    Walk,
    contact_battery,
    notify,
    prelude,
)

PROFILE = "cumbria-frs"
START = dt.date(2026, 3, 2)


def safeguards() -> list[dict[str, object]]:
    return [{"item": s, "met": True} for s in load_profile(PROFILE).decision.safeguards]


async def test_cumbria_frs(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, START) as walk:
        opened = await walk.open(
            "officer",
            {"email": "morgan.sample@example.org", "name": "Morgan Sample"},
            summary="Calls about one repair matter.",
        )
        assert opened["case"]["state"] == "OPEN"
        await walk.step(
            "officer",
            "recordConcern",
            category="CONTACT_VOLUME",
            description="Several calls a day about the same repair.",
        )
        await walk.step(
            "officer",
            "recordEvidence",
            channel="PHONE",
            occurredOn="2026-02-20",
            summary="Six calls on one day.",
        )
        await walk.step("manager", "assignStaff", username="decider", relation="DECISION_MAKER")

        refused = await walk.refused("decider", "decide", **decision())
        assert (refused.code, refused.message) == (
            "INVALID_TRANSITION",
            "record the safeguards first",
        )
        # One safeguard not yet met: recorded with a note, and it holds the decision.
        unmet = [
            check | {"met": False, "note": "The customer's support worker is not yet contacted."}
            if check["item"] == "vulnerability_considered"
            else check
            for check in safeguards()
        ]
        await walk.step("officer", "recordSafeguards", checks=unmet)
        refused = await walk.refused("decider", "decide", **decision())
        assert (refused.code, refused.message) == ("INVALID_TRANSITION", "warn first")
        warned = await walk.step(
            "officer", "issueWarning", reasons="Contact above what the team can answer."
        )
        assert warned["case"]["state"] == "WARNED"
        await notify(walk, "WARNING")
        # 2.2: "Before deciding ... should always be satisfied that" every safeguard holds.
        refused = await walk.refused("decider", "decide", **decision())
        assert (refused.code, refused.message) == (
            "INVALID_TRANSITION",
            "the safeguards are not all met (vulnerability_considered): record them again once "
            "they are",
        )
        await walk.step("officer", "recordSafeguards", checks=safeguards())

        wrong = await walk.refused("officer", "decide", **decision())
        assert wrong.code == "FORBIDDEN"
        # 2.2: the customer is told "how long any restrictions will last".
        endless = {k: v for k, v in decision().items() if k != "durationMonths"}
        no_end = await walk.refused("decider", "decide", **endless)
        assert (no_end.code, no_end.field) == ("VALIDATION_FAILED", "input.endsOn")
        decided = await walk.step("decider", "decide", **decision())
        details = decided["event"]["details"]
        assert decided["case"]["state"] == "DECIDED"
        # 14 days to challenge (Cumbria policy); first review at 6 months.
        assert details["appealDeadline"] == "2026-03-16"
        assert details["reviewOn"] == "2026-09-02"
        assert details["appealRoute"] == "review"
        await walk.step(
            "officer",
            "recordNotification",
            subject="DECISION",
            sentOn="2026-03-02",
            format="LETTER",
        )
        answers = await contact_battery(walk)
        outcomes = {name: answers[name]["outcome"] for name in CHECKED}
        assert outcomes == {
            "allowed": "PROCEED", "routed": "ROUTE", "filed": "FILE", "declined": "DECLINE",
            "emergency": "PROCEED",
        }  # fmt: skip
        assert answers["routed"]["routeTo"] == "Officer Example"
        assert answers["declined"]["permittedRoute"]
        assert answers["screened"] == {"newMatter": True, "referralReference": "COMP-2026-014"}
        assert answers["queue_after"] == []

        walk.on(dt.date(2026, 3, 10))
        lodged = await walk.step(
            "officer",
            "lodgeAppeal",
            receivedOn="2026-03-10",
            against="DECISION",
            grounds="The customer disputes the calls.",
        )
        # Decided within 28 days of receipt.
        assert lodged["event"]["details"]["decisionDue"] == "2026-04-07"
        due = await walk.deadlines("manager", service="housing")
        assert [(d["kind"], d["dueOn"]) for d in due] == [
            ("APPEAL_DECISION", "2026-04-07"),
            ("REVIEW", "2026-09-02"),
        ]
        not_independent = await walk.refused(
            "decider", "decideAppeal", outcome="CONFIRMED", reasons="The decision stands."
        )
        assert not_independent.code == "FORBIDDEN"
        await walk.step(
            "reviewer", "decideAppeal", outcome="CONFIRMED", reasons="The decision stands."
        )
        await notify(walk, "APPEAL")

        # 2.2: the customer's one challenge, decided: a second is refused, in time or late
        # (a late first one is refused and recorded: tests/scenarios/test_late_appeals.py).
        for day in (dt.date(2026, 3, 12), dt.date(2026, 3, 17)):
            walk.on(day)
            second = await walk.refused(
                "officer", "lodgeAppeal", receivedOn=day.isoformat(), against="DECISION",
                grounds="A second challenge.",
            )  # fmt: skip
            assert (second.field, second.message) == (
                "input.against",
                "input.against: the decision of 2026-03-02 was decided on appeal on 2026-03-10 "
                "(CONFIRMED): under this profile an appeal's outcome is final",
            )

        walk.on(dt.date(2026, 9, 2))
        reviewed = await walk.step(
            "reviewer",
            "decideReview",
            outcome="CONTINUE",
            reasons="Contact has settled but not yet enough.",
        )
        assert reviewed["event"]["details"]["nextReviewOn"] == "2027-03-02"
        await notify(walk, "REVIEW")

        walk.on(dt.date(2026, 10, 1))
        await walk.step(
            "decider", "liftArrangement", kind="CONTACT_CHANNEL", reasons="No longer needed."
        )
        await walk.step(
            "decider", "liftArrangement", kind="CLOSED_MATTER", reasons="No longer needed."
        )
        ended = await walk.step(
            "decider", "liftArrangement", kind="NAMED_OFFICER", reasons="No longer needed."
        )
        assert ended["case"]["state"] == "ENDED"
        assert ended["case"]["restrictionsEndedOn"] == "2026-10-01"
        due = await walk.deadlines("manager")
        assert [(d["kind"], d["dueOn"]) for d in due] == [("ENDED_NOTIFICATION", "2026-10-01")]
        await walk.step(
            "officer", "recordNotification", subject="ENDED", sentOn="2026-10-01", format="LETTER"
        )
        assert await walk.deadlines("manager") == []

        steps = [e["step"] for e in await walk.timeline("manager")]
        assert steps[:3] == ["CASE_OPENED", "CONCERN_RECORDED", "EVIDENCE_RECORDED"]
        assert steps[-1] == "NOTIFICATION_RECORDED" and "APPEAL_DECIDED" in steps


def decision() -> dict[str, object]:
    return {
        "reasons": "Contact continued at the same level after the warning.",
        "arrangements": [NAMED_OFFICER, LETTERS_ONLY, CLOSED_REPAIR],
        "startsOn": "2026-03-02",
        "durationMonths": 12,
    }


async def decided_after_warning(walk: Walk) -> dict[str, Any]:
    """A case to its decision: the prelude, the safeguards, a warning, then `decision()`."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards())
    await walk.step("officer", "issueWarning", reasons="Six calls on one day.")
    return await walk.step("decider", "decide", **decision())


async def test_an_extension_leaves_the_review_where_the_policy_sets_it(
    walk_factory: WalkFactory,
) -> None:
    """Cumbria reviews six-monthly, not at the end of the period: extending an arrangement
    leaves the review due when it was (only `[review] at_period_end` moves it)."""
    async with walk_factory(PROFILE, START) as walk:
        decided = await decided_after_warning(walk)
        review_on = decided["event"]["details"]["reviewOn"]
        extended = await walk.step(
            "decider", "extendArrangement", kind="CONTACT_CHANNEL", endsOn="2027-09-02",
            reasons="Contact of the same kind continued.",
        )  # fmt: skip
        assert "nextReviewOn" not in extended["event"]["details"]
        reviews = [d["dueOn"] for d in await walk.deadlines("officer") if d["kind"] == "REVIEW"]
        assert reviews == [review_on]


async def test_the_customers_one_challenge_is_a_review_request_within_14_days(
    walk_factory: WalkFactory,
) -> None:
    """2.2: "The customer can challenge the action taken by requesting a review which should
    be submitted in writing within 14 days of the policy being invoked ... carried out within
    28 days from receipt". That is the one route: `lodgeAppeal` records it, with both limits.
    `requestReview`, which applied neither (a review due the day it came), is refused naming
    `lodgeAppeal`, and writes nothing; the 6-month review still falls due."""
    async with walk_factory(PROFILE, START) as walk:
        await decided_after_warning(walk)
        walk.on(dt.date(2026, 3, 10))
        before = await walk.timeline("officer")
        refused = await walk.refused(
            "officer", "requestReview", receivedOn="2026-03-10",
            grounds="The customer disputes the calls.",
        )  # fmt: skip
        assert (refused.code, refused.message) == (
            "INVALID_TRANSITION",
            "under this profile the customer asks for a review by challenging the decision: "
            "record the request with lodgeAppeal, which applies the policy's time limits "
            "(14 days to ask and 28 days from receipt to decide)",
        )
        assert await walk.timeline("officer") == before
        assert await challenge_and_review_due(walk) == [("REVIEW", "2026-09-02")]

        lodged = await walk.step(
            "officer", "lodgeAppeal", receivedOn="2026-03-10", against="DECISION",
            grounds="The customer disputes the calls.",
        )  # fmt: skip
        assert lodged["event"]["details"]["deadline"] == "2026-03-16"
        assert await challenge_and_review_due(walk) == [
            ("APPEAL_DECISION", "2026-04-07"),
            ("REVIEW", "2026-09-02"),
        ]


async def challenge_and_review_due(walk: Walk) -> list[tuple[str, str]]:
    """What is due on the case besides the letters owed: reviews and challenges to decide."""
    due = await walk.deadlines("officer")
    return [(d["kind"], d["dueOn"]) for d in due if not d["kind"].endswith("_NOTIFICATION")]


async def test_a_challenge_decided_as_amended_makes_the_amendment_and_its_letter_says_so(
    walk_factory: WalkFactory,
) -> None:
    """The independent senior manager who reviews (2.2) decides the challenge as amended and
    makes the amendment in the same step (`modifyArrangement` is the senior manager who
    decided, not theirs). Without an amendment, AMENDED is refused naming
    `input.amendments`, as is an amendment with another outcome or to an arrangement not in
    force, each writing nothing. The letter gives what changed, as it now reads, not the
    arrangements as they were; it is the one letter owed."""
    async with walk_factory(PROFILE, START) as walk:
        await decided_after_warning(walk)
        await walk.step(
            "officer", "lodgeAppeal", receivedOn="2026-03-02", against="DECISION",
            grounds="The customer cannot always write letters.",
        )  # fmt: skip
        letters_and_email = {
            "kind": "CONTACT_CHANNEL",
            "parameters": {"channels": ["letter", "email"]},
        }
        before = await walk.timeline("officer")
        for given, field in (
            ({"outcome": "AMENDED"}, "input.amendments"),
            ({"outcome": "CONFIRMED", "amendments": [letters_and_email]}, "input.amendments"),
            (
                {
                    "outcome": "AMENDED",
                    "amendments": [{"kind": "WITNESS_REQUIRED", "parameters": {}}],
                },
                "input.amendments.0.kind",
            ),
            (
                {"outcome": "AMENDED", "amendments": [letters_and_email, letters_and_email]},
                "input.amendments.1.kind",
            ),
        ):
            refused = await walk.refused(
                "reviewer", "decideAppeal", reasons="Email as well.", **given
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
        assert await walk.timeline("officer") == before

        amended = await walk.step(
            "reviewer", "decideAppeal", outcome="AMENDED", reasons="Email as well.",
            amendments=[letters_and_email],
        )  # fmt: skip
        assert amended["event"]["details"]["amended"] == ["contact_channel"]
        owed = [d["kind"] for d in await walk.deadlines("officer") if d["kind"].endswith("ON")]
        assert "APPEAL_NOTIFICATION" in owed and "ARRANGEMENT_CHANGED_NOTIFICATION" not in owed
        await notify(walk, "APPEAL")
        letter = (await walk.timeline("officer"))[-1]["details"]["letter"]

    assert "amended as set out above" not in letter
    assert "From 2 March 2026, this arrangement has changed. It now reads:" in letter
    what_follows = letter.partition("What follows\n")[2].partition("Who decided")[0]
    assert "email" in what_follows
    assert "Officer Example" not in what_follows  # the named officer arrangement is unchanged
    assert "Any other arrangements stay as we told you before." in what_follows


STATUS = """query S { restrictionStatus(lookup: {email: "morgan.sample@example.org"},
  service: "housing") { arrangements { kind handlingInstructions } } }"""


async def portal_status(walk: Walk) -> dict[str, str]:
    """What the housing portal is told of the customer: each arrangement's instructions."""
    response = await walk.client.post(
        "/graphql", json={"query": STATUS},
        headers={"Authorization": f"ApiKey {walk.portal_key}"},
    )  # fmt: skip
    found = response.json()["data"]["restrictionStatus"]["arrangements"]
    return {a["kind"]: a["handlingInstructions"] for a in found}


async def test_a_review_decided_as_modify_makes_its_changes_and_its_letter_says_so(
    walk_factory: WalkFactory,
) -> None:
    """The independent senior manager's six-month review (2.2) decides to modify: it amends
    the contact channel and lifts the closed matter in the same step, keeping the named
    officer. Without a change, MODIFY is refused naming `input.amendments`; a change with
    another outcome, one arrangement twice, one not in force, or lifting every one (that is
    LIFT) is refused naming the field, each writing nothing. The portal answers the new
    terms on the next lookup; the review's letter gives what changed and is the one owed."""
    async with walk_factory(PROFILE, START) as walk:
        await decided_after_warning(walk)
        walk.on(dt.date(2026, 9, 2))
        email_too = {"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["letter", "email"]}}
        before = await walk.timeline("officer")
        status_before = await portal_status(walk)
        for given, field in (
            ({"outcome": "MODIFY"}, "input.amendments"),
            ({"outcome": "CONTINUE", "amendments": [email_too]}, "input.amendments"),
            ({"outcome": "LIFT", "lifts": ["CLOSED_MATTER"]}, "input.lifts"),
            (
                {"outcome": "MODIFY", "amendments": [{"kind": "WITNESS_REQUIRED"}]},
                "input.amendments.0.kind",
            ),
            ({"outcome": "MODIFY", "lifts": ["WITNESS_REQUIRED"]}, "input.lifts.0"),
            (
                {"outcome": "MODIFY", "amendments": [email_too], "lifts": ["CONTACT_CHANNEL"]},
                "input.lifts.0",
            ),
            (
                {"outcome": "MODIFY", "amendments": [email_too, email_too]},
                "input.amendments.1.kind",
            ),
            (
                {
                    "outcome": "MODIFY",
                    "amendments": [email_too],
                    "lifts": ["CLOSED_MATTER", "NAMED_OFFICER", "CONTACT_CHANNEL"],
                },
                "input.lifts.2",
            ),
            (
                {
                    "outcome": "MODIFY",
                    "lifts": ["CLOSED_MATTER", "NAMED_OFFICER", "CONTACT_CHANNEL"],
                },
                "input.lifts",
            ),
        ):
            refused = await walk.refused(
                "reviewer", "decideReview", reasons="Contact has eased.", **given
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
        assert await walk.timeline("officer") == before
        assert await portal_status(walk) == status_before

        reviewed = await walk.step(
            "reviewer", "decideReview", outcome="MODIFY", reasons="Contact has eased.",
            amendments=[email_too], lifts=["CLOSED_MATTER"],
        )  # fmt: skip
        details = reviewed["event"]["details"]
        assert details["amended"] == ["contact_channel"]
        assert details["amendments"][0]["parameters"] == {"channels": ["letter", "email"]}
        assert details["lifts"] == ["closed_matter"]
        status_after = await portal_status(walk)
        assert sorted(status_after) == ["CONTACT_CHANNEL", "NAMED_OFFICER"]
        assert status_after["NAMED_OFFICER"] == status_before["NAMED_OFFICER"]
        assert "email" not in status_before["CONTACT_CHANNEL"].lower()
        assert "email" in status_after["CONTACT_CHANNEL"].lower()
        owed = [d["kind"] for d in await walk.deadlines("officer") if d["kind"].endswith("ON")]
        assert "REVIEW_NOTIFICATION" in owed and "ARRANGEMENT_CHANGED_NOTIFICATION" not in owed
        await notify(walk, "REVIEW")
        letter = (await walk.timeline("officer"))[-1]["details"]["letter"]

    what_follows = letter.partition("What follows\n")[2].partition("Who decided")[0]
    assert "From 2 September 2026, this arrangement no longer applies:" in what_follows
    assert "2025 repair claim" in what_follows  # the closed matter lifted, named
    assert "From 2 September 2026, this arrangement has changed. It now reads:" in what_follows
    assert "email" in what_follows
    assert "Officer Example" not in what_follows  # the named officer arrangement is unchanged
    assert "Any other arrangements stay as we told you before." in what_follows
