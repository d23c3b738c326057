"""When a member of staff leaves, or stops being someone's named officer, over HTTP and through
`tact staff` as the README prints it, on SQLite and PostgreSQL: `modifyArrangement` names a
new officer or deputy (checked as a decision checks them), the portal and front line are
told at once, and the customer is owed a letter naming them; `tact staff deactivate` is
refused while the leaver is still someone's named officer or deputy, and once they are
replaced their token stops working at once, their cases in progress listed to reassign or
end (unassignStaff)."""

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
            (
                {"namedOfficer": "manager"},
                "input.namedOfficer",
                "is the deputy; to make them the named officer, name another deputy "
                "(deputyOfficer) or give removeDeputy in the same step",
            ),
            (
                {"namedOfficer": "reviewer", "deputyOfficer": "reviewer"},
                "input.namedOfficer",
                "is also given as deputyOfficer",
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

        # The deputy promoted, as the refusal above says: with another deputy named at once.
        await walk.step(
            "decider", "modifyArrangement", **MOVED, namedOfficer="manager", deputyOfficer="officer"
        )
        assert await _named(walk) == ("Manager Example", "Officer Example")


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
            "Cases in progress they are assigned to (reassign with assignStaff; end each "
            "assignment with unassignStaff):\n"
            f"  {walk.reference} DECISION_MAKER\n"
        )
        refused = await walk.refused(
            "manager", "assignStaff", username="decider", relation="DECISION_MAKER"
        )
        assert (refused.field, refused.message) == (
            "input.username",
            "input.username: no such member of staff",
        )
        # Inactive, their assignment is still theirs to end: the list is then empty.
        await walk.step(
            "manager", "unassignStaff", username="decider", relation="DECISION_MAKER",
            reasons="Decider Example has left the council.",
        )  # fmt: skip
        again = await tact(env, "staff", "deactivate", "decider")
        assert again.output == "decider was already inactive.\n"
        unknown = await tact(env, "staff", "deactivate", "nobody")
        assert unknown.exit_code == 1
        assert "no member of staff with that username" in unknown.output


async def test_the_deputy_is_removed_and_the_customer_told(walk_factory: WalkFactory) -> None:
    """`removeDeputy: true` leaves the arrangement with no deputy: refused with a deputy named
    in the same step, or where there is none, nothing written; the front line routes to the
    named officer alone, and the customer is owed the officer-changed letter."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        steps = len(await walk.timeline("officer"))
        refused = await walk.refused(
            "decider", "modifyArrangement", **MOVED, removeDeputy=True, deputyOfficer="reviewer"
        )
        assert (refused.code, refused.field) == ("VALIDATION_FAILED", "input.removeDeputy")
        assert len(await walk.timeline("officer")) == steps

        done = await walk.step("decider", "modifyArrangement", **MOVED, removeDeputy=True)
        assert done["event"]["details"]["replacedDeputyOfficer"] == "manager"
        assert await _named(walk) == ("Officer Example", None)
        again = await walk.refused("decider", "modifyArrangement", **MOVED, removeDeputy=True)
        assert again.field == "input.removeDeputy" and "names no deputy" in again.message

        owed = await walk.deadlines("officer", service="housing")
        assert "OFFICER_CHANGED_NOTIFICATION" in [d["kind"] for d in owed]
        assert "ARRANGEMENT_CHANGED_NOTIFICATION" not in [d["kind"] for d in owed]
        await notify(walk, "OFFICER_CHANGED")
        letter = (await letters(walk))["officer_changed"]["letter"]
        assert "Your contact will be dealt with by Officer Example. " in letter
        assert "Manager Example" not in letter


async def _owed(walk: Walk) -> set[str]:
    """The letters owed on the walk's case, by deadline kind."""
    owed = await walk.deadlines("officer", service="housing")
    return {d["kind"] for d in owed if d["reference"] == walk.reference} - {"REVIEW"}


async def test_an_arrangement_modified_extended_or_lifted_is_told_to_the_customer(
    walk_factory: WalkFactory,
) -> None:
    """Cumbria 2.2: the customer is told what the restriction means for their contact and how
    long it lasts. Letters-only becoming letters and email, its
    extension and its lift each owe the customer a letter naming that arrangement alone; the
    last arrangement lifted owes the "ended" letter only."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        assert await _owed(walk) == set()
        channel = {"kind": "CONTACT_CHANNEL", "reasons": "Email added at the customer's request."}

        await walk.step(
            "decider", "modifyArrangement", **channel,
            parameters={"channels": ["letter", "email"]},
        )  # fmt: skip
        assert await _owed(walk) == {"ARRANGEMENT_CHANGED_NOTIFICATION"}
        await notify(walk, "ARRANGEMENT_CHANGED")
        assert await _owed(walk) == set()
        letter = (await letters(walk))["arrangement_changed"]["letter"]
        assert "From 2 March 2026, this arrangement has changed. It now reads:" in letter
        assert "email" in letter.split("It now reads:")[1].split("\n")[1]
        assert "Officer Example" not in letter  # the arrangement changed, not the others
        assert "It lasts until 2 March 2027, unless a review ends it sooner." in letter
        assert "We will review it by 2 September 2026" in letter
        # 2.2's one challenge is the request for a review "within 14 days of the policy being
        # invoked" (lodgeAppeal); no other review request is taken, so none is offered.
        assert "If you disagree" not in letter
        assert channel["reasons"] not in letter

        await walk.step("decider", "extendArrangement", **channel, endsOn="2027-06-02")
        assert await _owed(walk) == {"ARRANGEMENT_CHANGED_NOTIFICATION"}
        await notify(walk, "ARRANGEMENT_CHANGED")
        letter = (await letters(walk))["arrangement_changed"]["letter"]
        assert "We have extended this arrangement, which was to end on 2 March 2027." in letter
        assert "It lasts until 2 June 2027, unless a review ends it sooner." in letter

        await walk.step("decider", "liftArrangement", **channel)
        assert await _owed(walk) == {"ARRANGEMENT_CHANGED_NOTIFICATION"}
        await notify(walk, "ARRANGEMENT_CHANGED")
        letter = (await letters(walk))["arrangement_changed"]["letter"]
        assert "From 2 March 2026, this arrangement no longer applies:\n- " in letter
        assert "Your other arrangements continue" in letter
        assert "If you disagree" not in letter and "Officer Example" not in letter

        # Owed, then the last lifted before it is sent: the "ended" letter alone is owed.
        await walk.step("decider", "modifyArrangement", **MOVED, removeDeputy=True)
        assert await _owed(walk) == {"OFFICER_CHANGED_NOTIFICATION"}
        await walk.step("decider", "liftArrangement", **MOVED)
        assert await _owed(walk) == {"ENDED_NOTIFICATION"}
        # Nothing to write of: the last lift is the "ended" letter's.
        await notify(walk, "ARRANGEMENT_CHANGED")
        assert "letter" not in (await letters(walk))["arrangement_changed"]


async def test_a_change_of_officers_after_a_change_of_terms_leaves_both_letters_whole(
    walk_factory: WalkFactory,
) -> None:
    """Letters-only becomes letters and email, then, before that letter is sent, the named
    officer's deputy is removed: each owes its letter, and the first, sent after the second
    change, still says how the arrangement whose terms changed now reads (it once found the
    officers' change, the latest of the step's events, and wrote nothing)."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _decided(walk)
        channel = {"kind": "CONTACT_CHANNEL", "reasons": "Email added at the customer's request."}
        await walk.step(
            "decider", "modifyArrangement", **channel,
            parameters={"channels": ["letter", "email"]},
        )  # fmt: skip
        await walk.step("decider", "modifyArrangement", **MOVED, removeDeputy=True)
        assert await _owed(walk) == {
            "ARRANGEMENT_CHANGED_NOTIFICATION",
            "OFFICER_CHANGED_NOTIFICATION",
        }

        await notify(walk, "ARRANGEMENT_CHANGED")
        await notify(walk, "OFFICER_CHANGED")
        assert await _owed(walk) == set()
        sent = await letters(walk)
        changed = sent["arrangement_changed"]["letter"]
        assert "this arrangement has changed. It now reads:" in changed
        assert "email" in changed.split("It now reads:")[1].split("\n")[1]
        officers = sent["officer_changed"]["letter"]
        assert "Your contact will be dealt with by Officer Example. " in officers
