"""A customer's name recorded after the case was opened, over HTTP (`recordCustomerName`): a
customer first known only by email gives their name, a typo is corrected, and a name that was
not theirs is withdrawn. Every case of theirs shows the name as it is now, the letters written
afterwards greet them by it (or as "Dear correspondent"), the letters already on file keep
theirs, and no event, refusal or log holds a name. Refusals name their field and write
nothing; front-line staff and the portal may not change a name; every attempt is logged."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import OPEN_CASE, Walk

PROFILE = "cambridgeshire-cc"
EMAIL = "no.name.yet@example.org"
TYPO = "Morgan Smaple"
NAME = "Morgan Sample"
CUSTOMER = "query C($r: String!) { case(reference: $r) { detail { customer { name } } } }"


async def test_a_name_given_later_is_used_by_every_case_and_later_letters(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": EMAIL, "nameWithheld": True})
        housing = walk.reference
        data = await walk.graphql(
            "helpdesk", OPEN_CASE, service="fire-safety", input={"customer": {"email": EMAIL}}
        )
        fire_safety = data["openCase"]["case"]["reference"]
        await walk.step(
            "officer", "recordConcern", category="CONTACT_VOLUME",
            description="Several emails a day about the same repair.",
        )  # fmt: skip
        await walk.step("manager", "issueWarning", reasons="The contact described.")
        await _notify_warning(walk)

        done = await walk.step("officer", "recordCustomerName", name=f"  {TYPO} ")
        assert done["event"]["step"] == "CUSTOMER_NAME_RECORDED"
        assert done["event"]["details"] == {"nameGiven": True, "nameGivenBefore": False}
        assert await _name(walk, "officer", housing) == TYPO  # kept without the spaces
        assert await _name(walk, "helpdesk", fire_safety) == TYPO  # the customer's, shared

        await walk.step("manager", "recordCustomerName", name=NAME)  # the typo corrected
        assert await _name(walk, "helpdesk", fire_safety) == NAME
        await _notify_warning(walk)

        withdrawn = await walk.step("officer", "recordCustomerName", nameWithheld=True)
        assert withdrawn["event"]["details"] == {"nameGiven": False, "nameGivenBefore": True}
        assert await _name(walk, "officer", housing) is None
        await _notify_warning(walk)

        events = await walk.timeline("officer")
        # Only the letters hold a name: none of the steps does.
        steps = str([e for e in events if e["step"] != "NOTIFICATION_RECORDED"])
        assert NAME not in steps and TYPO not in steps
        letters = [e["details"]["letter"] for e in events if e["step"] == "NOTIFICATION_RECORDED"]
        greetings = [line for letter in letters for line in letter.splitlines() if "Dear" in line]
        # The letter already on file keeps its greeting; each later one uses the name then.
        assert greetings == ["Dear correspondent,", f"Dear {NAME},", "Dear correspondent,"]
        assert [e["actor"] for e in events if e["step"] == "CUSTOMER_NAME_RECORDED"] == [
            "Officer Example", "Manager Example", "Officer Example",
        ]  # fmt: skip


async def test_refusals_name_the_field_and_write_nothing(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"customerRef": "CC-100", "name": NAME})
        before = await _written(walk)
        logged = len(await walk.updates_logged())
        refusals = [
            ({"name": NAME, "nameWithheld": True}, "input.nameWithheld", "not both"),
            ({}, "input.name", "give the customer's name"),
            ({"name": "   "}, "input.name", "must not be empty"),
            ({"name": "x" * 201}, "input.name", "at most 200"),
            ({"name": f" {NAME}"}, "input.name", "already the customer's name"),
            ({"name": "The vexatious one"}, "input.name", "vexatious"),
            # Known by a reference only: without a name nothing would say who they are.
            ({"nameWithheld": True}, "input.nameWithheld", "email or a phone number"),
        ]
        for given, field, words in refusals:
            refused = await walk.refused("officer", "recordCustomerName", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
            assert words in refused.message, refused.message
            assert NAME not in refused.message and "The vexatious one" not in refused.message
        assert await _written(walk) == before

        await walk.step("officer", "recordContactDetails", add=[{"email": EMAIL}])
        await walk.step("officer", "recordCustomerName", nameWithheld=True)
        again = await walk.refused("officer", "recordCustomerName", nameWithheld=True)
        assert again.field == "input.nameWithheld" and "already not given" in again.message
        # Nor is its email then removed, though the reference would still find them.
        last = await walk.refused("officer", "recordContactDetails", remove=[{"email": EMAIL}])
        assert last.field == "input.remove" and "name is not given" in last.message

        denied = await walk.refused("frontline", "recordCustomerName", name="Someone Else")
        assert denied.code == "FORBIDDEN"
        portal = await walk.refused_to_portal("recordCustomerName", name="Someone Else")
        assert portal["extensions"]["code"] == "FORBIDDEN"
        assert await _name(walk, "officer", walk.reference) is None

        entries = await walk.updates_logged()
        newest_first = entries[: len(entries) - logged]
        (portal_actor, portal_outcome), *rest = newest_first
        assert portal_actor.startswith("portal:") and portal_outcome == "denied"
        assert rest == [
            ("staff:frontline", "denied"),
            ("staff:officer", "refused"),
            ("staff:officer", "refused"),
            ("staff:officer", "allowed"),
            ("staff:officer", "allowed"),
            *[("staff:officer", "refused")] * len(refusals),
        ]


async def _notify_warning(walk: Walk) -> None:
    await walk.step(
        "officer", "recordNotification", subject="WARNING", sentOn=walk.today.isoformat(),
        format="LETTER",
    )  # fmt: skip


async def _name(walk: Walk, who: str, reference: str) -> str | None:
    data = await walk.graphql(who, CUSTOMER, r=reference)
    name: str | None = data["case"]["detail"]["customer"]["name"]
    return name


async def _written(walk: Walk) -> tuple[str | None, int]:
    """The customer's name and the steps on the walk's case."""
    return await _name(walk, "officer", walk.reference), len(await walk.timeline("officer"))
