"""Every free text, list, number and day a step takes has a limit, said once
(records/free_text.py, casework/steps.check_days): an arrangement's parameters (a premises
exclusion's premises, a closed matter, an agreement's terms, a volume limit's number) as much
as a step's reasons; a control character in any text; a year mistyped. Each is refused over
HTTP as VALIDATION_FAILED naming the field, with nothing written (docs/workflow.md, "Limits on
what a step takes")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import NAMED_OFFICER, decision, warned

PROFILE = "default"


def exclusion(**parameters: Any) -> dict[str, Any]:
    return {"kind": "PREMISES_EXCLUSION", "parameters": parameters}


async def test_parameters_and_lists_are_limited_like_every_other_text(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        before = await walk.timeline("officer")
        at = "input.arrangements.1.parameters"
        refusals = [
            # premises had no limit at all: a million characters were kept and answered.
            (f"{at}.premises.0", (
                [exclusion(premises=["x" * 201])], "must be at most 200 characters"
            )),
            (f"{at}.premises", (
                [exclusion(premises=["Civic Centre"] * 21)], "must have at most 20 items"
            )),
            # A blank name of premises named none, yet was kept as one.
            (f"{at}.premises.0", ([exclusion(premises=["   "])], "must not be blank")),
            (f"{at}.matters.0", (
                [{"kind": "CLOSED_MATTER", "parameters": {"matters": ["m" * 201]}}],
                "must be at most 200 characters",
            )),
            (f"{at}.terms.0", (
                [{"kind": "CONTACT_AGREEMENT", "parameters": {"terms": ["t" * 5000]}}],
                "must be at most 200 characters",
            )),
            (f"{at}.pending", (
                [{"kind": "SUSPENDED_CONTACT", "parameters": {"pending": "p" * 201}}],
                "must be at most 200 characters",
            )),
            (f"{at}.provider", (
                [{"kind": "MEDIATION", "parameters": {"provider": "p" * 201}}],
                "must be at most 200 characters",
            )),
            (f"{at}.days", (
                [{"kind": "CONTACT_SCHEDULE", "parameters": {
                    "days": ["monday"] * 21, "fromTime": "10:00", "toTime": "12:00",
                }}],
                "must have at most 20 items",
            )),
            # A volume limit had no most: 10^30 contacts a day was taken.
            (f"{at}.limit", (
                [{"kind": "CONTACT_VOLUME", "parameters": {"limit": 10**30, "period": "day"}}],
                "must be at most 100",
            )),
            (f"{at}.limit", (
                [{"kind": "CONTACT_VOLUME", "parameters": {"limit": True, "period": "day"}}],
                "must be a whole number",
            )),
            (f"{at}.minutes", (
                [{"kind": "CALL_DURATION", "parameters": {"minutes": 241}}],
                "must be at most 240",
            )),
            ("input.arrangements.1.services", (
                [{**exclusion(premises=["Civic Centre"]), "services": ["housing"] * 21}],
                "must have at most 20 items",
            )),
        ]  # fmt: skip
        for field, (arrangements, reason) in refusals:
            refused = await walk.refused(
                "decider", "decide", **decision(walk.today, NAMED_OFFICER, *arrangements)
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field)
            assert refused.message == f"{field}: {reason}"
        refused = await walk.refused(
            "decider", "decide", **decision(walk.today, NAMED_OFFICER, durationMonths=61)
        )
        assert refused.message == "input.durationMonths: must be at most 60"
        many = [NAMED_OFFICER] * 21
        refused = await walk.refused("decider", "decide", **decision(walk.today, *many))
        assert (refused.field, refused.message) == (
            "input.arrangements",
            "input.arrangements: must have at most 20 items",
        )
        refused = await walk.refused(
            "officer", "refer", reasons="Contact at the same level.", referralPack=["log"] * 21
        )
        assert refused.field == "input.referralPack"
        assert await walk.timeline("officer") == before  # nothing of any of them written
        # Within the limits, the same arrangement is made.
        decided = await walk.step(
            "decider", "decide",
            **decision(
                walk.today, NAMED_OFFICER, exclusion(premises=["C" * 200] * 20),
                {"kind": "CONTACT_VOLUME", "parameters": {"limit": 100, "period": "month"}},
            ),
        )  # fmt: skip
        assert decided["case"]["state"] == "DECIDED"


async def test_a_control_character_in_any_text_is_refused(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        before = await walk.timeline("officer")
        # An escape sequence, a bell: on file, in a letter or on the terminal of whoever
        # prints the case. NUL was refused already (no PostgreSQL text holds it).
        for text in ("Calls \x1b[31mevery hour\x1b[0m.", "Calls\x07 every hour."):
            refused = await walk.refused(
                "officer", "recordConcern", category="CONTACT_VOLUME", description=text
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.description")
            assert refused.message == "input.description: must not contain control characters"
            assert text not in refused.message
        refused = await walk.refused(
            "decider", "decide",
            **decision(walk.today, NAMED_OFFICER, exclusion(premises=["Civic\x1bCentre"])),
        )  # fmt: skip
        assert refused.field == "input.arrangements.1.parameters.premises.0"
        assert await walk.timeline("officer") == before
        # Tabs and line breaks are text.
        kept = await walk.step(
            "officer", "recordConcern", category="CONTACT_VOLUME",
            description="Calls:\n\tmorning\r\n\tevening",
        )  # fmt: skip
        assert kept["event"]["details"]["description"] == "Calls:\n\tmorning\r\n\tevening"


async def test_a_year_mistyped_is_refused_naming_the_day(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        before = await walk.timeline("officer")
        # A decision dated 0001 was made, ended at once (its year ran out in 0002) and ended
        # the case; a short-term one ran to 9999; evidence was of a day to come.
        refusals: list[tuple[str, str, dict[str, Any], str]] = [
            ("decider", "decide", decision(dt.date(1, 1, 1)), "input.startsOn"),
            ("decider", "decide", decision(walk.today, reviewOn="9999-12-31"), "input.reviewOn"),
            ("decider", "decideImmediateRisk", {
                "risk": "Threats made to staff.", "reasons": "Staff safety.",
                "endsOn": "9999-12-31", "arrangements": [NAMED_OFFICER],
            }, "input.endsOn"),
            ("officer", "issueWarning", {"reasons": "Contact.", "monitorUntil": "2062-03-02"},
             "input.monitorUntil"),
            ("officer", "recordEvidence", {
                "channel": "PHONE", "occurredOn": "1926-03-02", "summary": "Six calls.",
            }, "input.occurredOn"),
        ]  # fmt: skip
        for who, name, given, field in refusals:
            refused = await walk.refused(who, name, **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field)
            assert refused.message == (
                f"{field}: must be within 10 years of today (is the year right?)"
            )
        refused = await walk.refused(
            "officer", "recordEvidence", channel="PHONE", occurredOn="2026-03-03",
            summary="Six calls.",
        )  # fmt: skip
        assert refused.message == "input.occurredOn: must not be in the future"
        assert await walk.timeline("officer") == before
        # Ten years back and ahead are within reach.
        await walk.step(
            "officer", "recordEvidence", channel="LETTER", occurredOn="2016-03-03",
            summary="A letter kept from before.",
        )  # fmt: skip
        decided = await walk.step(
            "decider", "decide", **decision(walk.today, endsOn="2036-03-01", durationMonths=None)
        )
        assert decided["case"]["state"] == "DECIDED"


async def test_a_decision_makes_one_arrangement_of_each_kind(walk_factory: WalkFactory) -> None:
    # Two of one kind were made; extendArrangement then extended one, liftArrangement lifted
    # that same one, and the other stayed in force as it was: each finds its arrangement by
    # kind.
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await warned(walk)
        before = await walk.timeline("officer")
        twice = [NAMED_OFFICER, {"kind": "WITNESS_REQUIRED"}, {"kind": "WITNESS_REQUIRED"}]
        for name, given in (
            ("decide", decision(walk.today, *twice)),
            ("decideImmediateRisk", {
                "risk": "Threats made to staff.", "reasons": "Staff safety.",
                "endsOn": "2026-04-30", "arrangements": twice,
            }),
        ):  # fmt: skip
            refused = await walk.refused("decider", name, **given)
            assert (refused.code, refused.field) == (
                "VALIDATION_FAILED",
                "input.arrangements.2.kind",
            )
            assert "is given twice" in refused.message
        assert await walk.timeline("officer") == before
