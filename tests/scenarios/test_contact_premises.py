"""A premises exclusion declines an in-person contact at the premises it lists, and at
premises not said (when in doubt it holds); the same person calling in at other premises is
taken as usual. Over HTTP, from front-line staff, as a reception desk asks."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import CHECK, Refused, Walk, prelude

PROFILE = "cambridgeshire-cc"
EMAIL = "morgan.sample@example.org"


async def excluded(walk: Walk, premises: str) -> None:
    """The case opened and a premises exclusion of `premises` decided, for staff's safety."""
    await prelude(walk, EMAIL)
    await walk.step(
        "manager", "decideImmediateRisk", risk="Threats made to staff at reception.",
        reasons="Staff safety.", startsOn="2026-03-02", endsOn="2026-04-30",
        arrangements=[{
            "kind": "PREMISES_EXCLUSION",
            "parameters": {"premises": [premises], "health_and_safety": True},
        }],
    )  # fmt: skip


async def test_an_in_person_contact_is_declined_only_at_the_excluded_premises(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await excluded(walk, "Shire Hall reception")

        async def in_person(**where: str) -> dict[str, object]:
            contact = {"lookup": {"email": EMAIL}, "service": "housing", "channel": "IN_PERSON"}
            data = await walk.graphql("frontline", CHECK, contact={**contact, **where})
            answer: dict[str, object] = data["checkContact"]
            return answer

        at_listed = await in_person(premises="  shire hall   Reception ")
        assert at_listed["outcome"] == "DECLINE"
        assert at_listed["permittedRoute"] == (
            "contact by email, letter, web form, social media or text message"
        )
        assert (await in_person())["outcome"] == "DECLINE"  # premises not said
        assert (await in_person(premises="Library, Market Street"))["outcome"] == "PROCEED"


async def test_premises_blank_or_overlong_are_refused_not_taken_as_other_premises(
    walk_factory: WalkFactory,
) -> None:
    # A desk sending an empty premises field was told PROCEED: blank named no premises the
    # exclusion lists, so the visit was taken as one made elsewhere, where "not said" declines.
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await excluded(walk, "Shire Hall")
        contact = {"lookup": {"email": EMAIL}, "service": "housing", "channel": "IN_PERSON"}
        for premises, reason in (
            ("", "must not be blank; leave it out if not known"),
            ("   ", "must not be blank; leave it out if not known"),
            ("x" * 201, "must be at most 200 characters"),
            ("Shire\x1bHall", "must not contain control characters"),
        ):
            try:
                await walk.graphql("frontline", CHECK, contact={**contact, "premises": premises})
            except Refused as refused:
                assert (refused.code, refused.field) == ("VALIDATION_FAILED", "contact.premises")
                assert refused.message == f"contact.premises: {reason}"
            else:
                raise AssertionError(f"premises {premises!r} were not refused")
