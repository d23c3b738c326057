"""A second appeal against the same decision. Portsmouth 5.2.7 gives one appeal, the
director's, its outcome confirmed to the customer: `lodgeAppeal` took a second against a
decision already decided on appeal. It is refused naming `input.against`, nothing written,
where the profile makes the outcome final; where the policy lets the customer ask again
(Cambridgeshire) it is heard. Either way one appeal at a time."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_late_appeals import appeal, portsmouth_decided
from tests.scenarios.world import LETTERS_ONLY, NAMED_OFFICER, decision, notify, prelude, safeguards

START = dt.date(2026, 3, 2)
APPEAL = appeal("2026-03-10")
AGAIN = appeal("2026-03-20")


async def test_portsmouth_refuses_a_second_appeal_against_a_decision_decided_on_appeal(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("portsmouth-cc", START) as walk:
        await portsmouth_decided(walk)
        walk.on(dt.date(2026, 3, 10))
        await walk.step("officer", "lodgeAppeal", **APPEAL)
        pending = await walk.refused("officer", "lodgeAppeal", **APPEAL)
        assert (pending.code, pending.field) == ("VALIDATION_FAILED", "input.against")
        assert pending.message == (
            "input.against: an appeal against the decision of 2026-03-02 is already lodged "
            "(received 2026-03-10): decide it first"
        )
        walk.on(dt.date(2026, 3, 16))
        await walk.step("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="It stands.")
        await notify(walk, "APPEAL")

        # In the 28 days still: refused all the same, the outcome being final.
        walk.on(dt.date(2026, 3, 20))
        before = await walk.timeline("manager")
        refused = await walk.refused("officer", "lodgeAppeal", **AGAIN)
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.against")
        assert refused.message == (
            "input.against: the decision of 2026-03-02 was decided on appeal on 2026-03-16 "
            "(CONFIRMED): under this profile an appeal's outcome is final; the customer may "
            "ask for a review instead (requestReview)"
        )
        # Late, too: refused as final, not taken as a request for review (5.2.7's late route).
        walk.on(dt.date(2026, 4, 20))
        late = await walk.refused("officer", "lodgeAppeal", **appeal("2026-04-20"))
        assert late.field == "input.against" and "final" in late.message
        assert await walk.timeline("manager") == before
        assert [d["kind"] for d in await walk.deadlines("officer")] == ["REVIEW"]


async def test_cambridgeshire_hears_a_further_request_about_the_same_decision(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cambridgeshire-cc", START) as walk:
        await prelude(walk)
        await walk.step("officer", "recordSafeguards", checks=safeguards("cambridgeshire-cc"))
        await walk.step("officer", "issueWarning", reasons="Prior notification: the contact.")
        await walk.step(
            "officer", "recordAssessment", assessor="manager",
            findings="The log shows it.", recommendation="A named officer.",
        )  # fmt: skip
        await walk.step("decider", "decide", **decision(START, NAMED_OFFICER, LETTERS_ONLY))
        walk.on(dt.date(2026, 3, 10))
        await walk.step("officer", "lodgeAppeal", **APPEAL)
        walk.on(dt.date(2026, 3, 16))
        await walk.step("reviewer", "decideAppeal", outcome="CONFIRMED", reasons="It stands.")
        walk.on(dt.date(2026, 3, 20))
        again = await walk.step("officer", "lodgeAppeal", **AGAIN)
        assert again["event"]["step"] == "APPEAL_LODGED"
