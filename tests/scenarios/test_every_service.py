"""An arrangement for every service of the organisation (`allServices`), where the profile's
scope is the whole organisation: front-line staff of every service are told, not only the
case's; refused naming the field where the profile keeps arrangements to a service, or given
with a list of services; a modified arrangement can be widened the same way. Over HTTP."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import CHECK, Walk, decision, prelude, safeguards

EMAIL = "morgan.sample@example.org"
LETTERS = {"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["letter"]}}


async def outcome_in(walk: Walk, service: str) -> str:
    contact = {"lookup": {"email": EMAIL}, "service": service, "channel": "PHONE"}
    data = await walk.graphql("frontline", CHECK, contact=contact)
    return str(data["checkContact"]["outcome"])


async def test_an_arrangement_for_every_service_reaches_every_service(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("cambridgeshire-cc", dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        decide = {
            "risk": "Threats made to staff at reception.", "reasons": "Staff safety.",
            "startsOn": "2026-03-02", "endsOn": "2026-04-30",
        }  # fmt: skip
        both = dict(LETTERS, allServices=True, services=["housing"])
        refused = await walk.refused(
            "manager", "decideImmediateRisk", **decide, arrangements=[both]
        )
        assert (refused.code, refused.field) == (
            "VALIDATION_FAILED", "input.arrangements.0.allServices",
        )  # fmt: skip
        assert [e["step"] for e in await walk.timeline("manager")][-1] == "STAFF_ASSIGNED"

        await walk.step("manager", "decideImmediateRisk", **decide, arrangements=[LETTERS])
        assert await outcome_in(walk, "fire-safety") == "PROCEED"  # the case's service only
        assert await outcome_in(walk, "housing") == "DECLINE"
        widened = {"kind": "CONTACT_CHANNEL", "reasons": "Reported at every counter.",
                   "allServices": True}  # fmt: skip
        await walk.step("decider", "modifyArrangement", **widened)
        assert await outcome_in(walk, "fire-safety") == "DECLINE"
        assert await outcome_in(walk, "housing") == "DECLINE"


async def test_every_service_is_refused_where_arrangements_keep_to_a_service(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        await walk.step("officer", "recordSafeguards", checks=safeguards("default"))
        await walk.step("officer", "issueWarning", reasons="Contact above the usual level.")
        every = dict(LETTERS, allServices=True)
        refused = await walk.refused("decider", "decide", **decision(walk.today, every))
        assert (refused.code, refused.field) == (
            "VALIDATION_FAILED", "input.arrangements.0.allServices",
        )  # fmt: skip
        assert "case's service only" in refused.message
