"""When a member of staff leaves, or stops being someone's named officer, over HTTP and through
`tact staff` as the README prints it, on SQLite and PostgreSQL: `modifyArrangement` names a
new officer or deputy (checked as a decision checks them), the portal and front line are
told at once, and the customer is owed a letter naming them; `tact staff deactivate` is
refused while the leaver is still someone's named officer or deputy, and once they are
replaced their token stops working at once, their cases in progress listed to reassign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.cli import tact, tact_env
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_letters import letters
from tests.scenarios.world import Walk, decision, notify, prelude, safeguards

PROFILE = "cumbria-frs"
EMAIL = "morgan.sample@example.org"
STATUS = (
    "query S($lookup: RestrictionLookup!) { restrictionStatus(lookup: $lookup, "
    'service: "housing") { arrangements { kind namedOfficer handlingInstructions } } }'
)
CHECK = (
    "query C($contact: ContactInput!) { checkContact(contact: $contact) "
    "{ outcome routeTo deputy } }"
)
LETTER = {"lookup": {"email": EMAIL}, "service": "housing", "channel": "LETTER"}
MOVED = {"kind": "NAMED_OFFICER", "reasons": "Officer Example has moved team."}


async def _decided(walk: Walk) -> None:
    """A decision naming `officer` as named officer and `manager` as deputy, its letter sent."""
    await prelude(walk, EMAIL)
    await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
    await walk.step("officer", "issueWarning", reasons="Six calls on one day.")
    await notify(walk, "WARNING")
    await walk.step("decider", "decide", **decision(walk.today))
    await notify(walk, "DECISION")


async def _named(walk: Walk) -> tuple[str | None, str | None]:
    """Whom the portal's answer and the front line's route name for the NAMED_OFFICER
    arrangement, after checking they agree."""
    response = await walk.client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"lookup": {"email": EMAIL}}},
        headers={"Authorization": f"ApiKey {walk.portal_key}"},
    )
    [named] = [
        a
        for a in response.json()["data"]["restrictionStatus"]["arrangements"]
        if a["kind"] == "NAMED_OFFICER"
    ]
    checked = (await walk.graphql("frontline", CHECK, contact=LETTER))["checkContact"]
    assert checked["outcome"] == "ROUTE"
    assert named["namedOfficer"] == checked["routeTo"]
    assert checked["routeTo"] in named["handlingInstructions"]
    return checked["routeTo"], checked["deputy"]


async def test_a_named_officer_replaced_is_named_at_once_and_the_customer_told(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        assert await _named(walk) == ("Officer Example", "Manager Example")
        steps = len(await walk.timeline("officer"))

        for given, field, message in (
            ({"namedOfficer": "nobody"}, "input.namedOfficer", "no such member of staff"),
            ({"deputyOfficer": "nobody"}, "input.deputyOfficer", "no such member of staff"),
            ({"namedOfficer": "officer"}, "input.namedOfficer", "already names"),
            ({"namedOfficer": "manager"}, "input.namedOfficer", "is the deputy"),
            (
                {"namedOfficer": "reviewer", "deputyOfficer": "reviewer"},
                "input.namedOfficer",
                "is the deputy",
            ),
            ({"deputyOfficer": "officer"}, "input.deputyOfficer", "is the named officer"),
        ):
            refused = await walk.refused("decider", "modifyArrangement", **MOVED, **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
            assert message in refused.message
        assert len(await walk.timeline("officer")) == steps  # nothing written

        done = await walk.step("decider", "modifyArrangement", **MOVED, namedOfficer="reviewer")
        details = done["event"]["details"]
        assert (details["namedOfficer"], details["replacedNamedOfficer"]) == ("reviewer", "officer")
        assert "replacedDeputyOfficer" not in details
        assert await _named(walk) == ("Reviewer Example", "Manager Example")
        owed = await walk.deadlines("officer", service="housing")
        assert {d["kind"] for d in owed if d["reference"] == walk.reference} == {
            "REVIEW",
            "OFFICER_CHANGED_NOTIFICATION",
        }

        await notify(walk, "OFFICER_CHANGED")
        letter = (await letters(walk))["officer_changed"]["letter"]
        assert "who deals with your contact has changed" in letter
        assert (
            "Your contact will be dealt with by Reviewer Example (or Manager Example when "
            "they are away)." in letter
        )
        assert "Officer Example" not in letter
        assert "by letter only" not in letter  # the arrangement changed, not the others
        owed = await walk.deadlines("officer", service="housing")
        assert "OFFICER_CHANGED_NOTIFICATION" not in [d["kind"] for d in owed]


async def test_a_leaver_is_replaced_then_deactivated_and_their_token_refused(
    walk_factory: WalkFactory, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        manager_token = walk.token("manager")

        # The deputy of an arrangement in force: refused, naming the case, nothing changed.
        refused = await tact(env, "staff", "deactivate", "manager")
        assert refused.exit_code == 1
        assert f"username: is the named officer or deputy of an arrangement in force on " \
            f"{walk.reference}: name someone in their place first" in refused.output  # fmt: skip
        assert EMAIL not in refused.output and "Morgan" not in refused.output
        assert await walk.deadlines("manager", service="housing")  # still at work

        await walk.step(
            "decider", "modifyArrangement", kind="NAMED_OFFICER", deputyOfficer="reviewer",
            reasons="Manager Example is leaving the council.",
        )  # fmt: skip
        assert await _named(walk) == ("Officer Example", "Reviewer Example")

        # `officer` is assigned as case officer: deactivated, with the case listed.
        result = await tact(env, "staff", "deactivate", "officer")
        assert result.exit_code == 1  # still the named officer
        result = await tact(env, "staff", "deactivate", "manager")
        assert result.exit_code == 0, result.output
        assert result.output == "Deactivated manager.\n"  # assigned to no case of theirs
        again = await tact(env, "staff", "deactivate", "manager")
        assert again.output == "manager was already inactive.\n"

        # The token issued before works no more, at once; a new one neither.
        for token in (manager_token, walk.token("manager")):
            response = await walk.client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 401
        # Their name stays on the history.
        timeline = await walk.timeline("officer")
        assert any(e["actor"] == "Manager Example" for e in timeline)

        back = await tact(env, "staff", "activate", "manager")
        assert back.output == "Activated manager.\n"
        assert await walk.deadlines("manager", service="housing")


async def test_a_leaver_assigned_to_cases_is_told_which_to_reassign(
    walk_factory: WalkFactory, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)  # `decider` assigned as DECISION_MAKER; no decision yet
        result = await tact(env, "staff", "deactivate", "decider")
        assert result.exit_code == 0, result.output
        assert result.output == (
            "Deactivated decider.\n"
            "Cases in progress they are assigned to (reassign with assignStaff):\n"
            f"  {walk.reference} DECISION_MAKER\n"
        )
        refused = await walk.refused(
            "manager", "assignStaff", username="decider", relation="DECISION_MAKER"
        )
        assert (refused.field, refused.message) == (
            "input.username",
            "input.username: no such member of staff",
        )
        unknown = await tact(env, "staff", "deactivate", "nobody")
        assert unknown.exit_code == 1
        assert "no member of staff with that username" in unknown.output
