"""A customer's postal address, over HTTP: recorded when the case is opened or later
(`recordContactDetails`), sealed like an email, shown with the customer's other details on
the case and in the subject access export, and never on an event or in a refusal. A letter
to a customer with an address opens with the address block; one written before the address
was recorded keeps the text it was sent with; a letter to a customer with none has no block.
A bad address is refused naming the field, and nothing is written. An address finds no one,
and two customers may share one. An address abroad is given with its country's code (GB when
none is given); its letters end with the country's name, and its postal code is free-form."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from records.models import Case, ContactDetail, Customer
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_letters import letters
from tests.scenarios.test_name_not_given import EXPORT
from tests.scenarios.world import Refused, Walk, decision, notify, prelude, safeguards

PROFILE = "cumbria-frs"
EMAIL = "morgan.sample@example.org"
HOME = {"lines": ["Flat 2", "1 Example Street", "Exampletown"], "postcode": "zz1 1zz"}
# The same address as typed by someone else.
HOME_AGAIN = {"lines": ["flat 2 ", "1  EXAMPLE STREET", "Exampletown"], "postcode": "ZZ11ZZ"}
NEW_HOME = {"lines": ["3 Sample Road", "Sampleton"], "postcode": "ZZ2 2ZZ"}
HOME_BLOCK = "Morgan Sample\nFlat 2\n1 Example Street\nExampletown\nZZ1 1ZZ\n"
CUSTOMER = (
    "query C($r: String!) { case(reference: $r) { detail { customer "
    "{ contactDetails { kind value preferred } } } } }"
)


async def test_an_address_given_when_the_case_is_opened_heads_its_letters(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        customer = {"email": EMAIL, "name": "Morgan Sample", "customerRef": "CUS-77"}
        opened = await walk.open("officer", customer | {"address": HOME})
        assert opened["event"]["details"]["customerCreated"] is True
        assert "Example Street" not in json.dumps(opened["event"])
        assert await _details(walk) == [
            ("ADDRESS", "Flat 2\n1 Example Street\nExampletown\nZZ1 1ZZ", True),
            ("EMAIL", EMAIL, True),
        ]
        await _concern(walk)
        await _warned(walk)
        await walk.step("decider", "decide", **decision(walk.today))
        await notify(walk, "DECISION")
        kept = await letters(walk)
        exported = (await walk.graphql("helpdesk", EXPORT, ref="CUS-77"))["subjectAccessExport"]
        # Front-line staff see the case's summary, never the file with the customer's details.
        frontline = await _refused(walk, "frontline", CUSTOMER, r=walk.reference)
        assert frontline.code == "FORBIDDEN"
        assert "Example" not in frontline.message
        timeline = await walk.timeline("officer")

    organisation = "Cumbria Fire and Rescue Service"
    for subject in ("warning", "decision"):
        letter = kept[subject]["letter"]
        assert letter.startswith(f"{organisation}\n\n{HOME_BLOCK}\n2 March 2026\n"), letter
        assert "\nDear Morgan Sample,\n" in letter
    # Nowhere on the timeline but in the letters themselves.
    others = [e for e in timeline if e["step"] != "NOTIFICATION_RECORDED"]
    assert "Example Street" not in json.dumps(others)
    contacts = json.loads(exported["json"])["customer"]["contacts"]
    assert {
        "kind": "address",
        "value": "Flat 2\n1 Example Street\nExampletown\nZZ1 1ZZ",
        "preferred": True,
    } in [{k: c[k] for k in ("kind", "value", "preferred")} for c in contacts]
    assert "<dd>Flat 2\n1 Example Street\nExampletown\nZZ1 1ZZ</dd>" in exported["html"]


async def test_an_address_recorded_later_heads_the_letters_written_after_it(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        await _warned(walk)  # no address yet: the warning letter has no block

        done = await walk.step("officer", "recordContactDetails", add=[{"address": HOME}])
        assert done["event"]["details"] == {"added": {"address": 1}, "removed": {}}
        assert await _details(walk) == [
            ("ADDRESS", "Flat 2\n1 Example Street\nExampletown\nZZ1 1ZZ", True),
            ("EMAIL", EMAIL, True),
        ]
        await walk.step("decider", "decide", **decision(walk.today))
        await notify(walk, "DECISION")
        first = await letters(walk)

        # They move: the new address in, the old one out (as typed again), in one step. The
        # new one is the one letters go to now.
        moved = await walk.step(
            "officer", "recordContactDetails", add=[{"address": NEW_HOME}],
            remove=[{"address": HOME_AGAIN}],
        )  # fmt: skip
        assert moved["event"]["details"] == {"added": {"address": 1}, "removed": {"address": 1}}
        assert await _details(walk) == [
            ("ADDRESS", "3 Sample Road\nSampleton\nZZ2 2ZZ", True),
            ("EMAIL", EMAIL, True),
        ]
        await notify(walk, "DECISION")
        second = await letters(walk)
        timeline = await walk.timeline("officer")

    assert first["warning"]["letter"].startswith(
        "Cumbria Fire and Rescue Service\n\n2 March 2026\n"
    )
    assert first["decision"]["letter"].startswith(
        f"Cumbria Fire and Rescue Service\n\n{HOME_BLOCK}\n2 March 2026\n"
    )
    assert second["decision"]["letter"].startswith(
        "Cumbria Fire and Rescue Service\n\nMorgan Sample\n3 Sample Road\nSampleton\nZZ2 2ZZ\n\n"
    )
    # The letters on file are what was sent: the first decision letter keeps the old address.
    kept = [e["details"]["letter"] for e in timeline if e["step"] == "NOTIFICATION_RECORDED"]
    assert [HOME_BLOCK in letter for letter in kept] == [False, True, False]


async def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_written(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample", "address": HOME})
        before = await _written(walk)
        at = "input.add.0.address"
        refusals = [
            ({"add": [{"address": HOME | {"postcode": "EX4MPLE"}}]},
             f"{at}.postcode", "not a UK postcode"),
            ({"add": [{"address": HOME | {"lines": []}}]},
             f"{at}.lines", "must have at least 1 item"),
            ({"add": [{"address": HOME | {"lines": ["  "]}}]},
             f"{at}.lines.0", "must not be empty"),
            ({"add": [{"address": HOME | {"lines": ["1 Example Street", "x" * 101]}}]},
             f"{at}.lines.1", "at most 100"),
            ({"add": [{"address": HOME | {"lines": ["1 Example Street"] * 7}}]},
             f"{at}.lines", "must have at most 6 items"),
            ({"add": [{"address": HOME | {"lines": ["1 Example\nStreet"]}}]},
             f"{at}.lines.0", "one line"),
            ({"add": [{"address": HOME, "email": "m.new@example.org"}]},
             "input.add.0.email", "one per entry"),
            ({"add": [{"address": HOME_AGAIN}]}, at, "already recorded for this customer"),
            ({"remove": [{"address": NEW_HOME}]}, "input.remove.0.address", "not recorded"),
            ({"add": [{"address": NEW_HOME}, {"address": NEW_HOME | {"postcode": "zz22zz"}}]},
             "input.add.1.address", "given twice"),
        ]  # fmt: skip
        for given, field, words in refusals:
            refused = await walk.refused("officer", "recordContactDetails", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
            assert words in refused.message, (given, refused.message)
            assert "should" not in refused.message, refused.message  # in Tact's words
            for value in ("Example", "Sample", "ZZ", "xxxx"):
                assert value not in refused.message, refused.message
        assert await _written(walk) == before

        # openCase names its own field, and adds no customer.
        customers = await _customers(walk)
        bad = {"email": "someone.else@example.org", "name": "Sam Other"}
        refused = await walk.open_refused("officer", bad | {"address": HOME | {"postcode": "ZZ1"}})
        assert (refused.code, refused.field) == (
            "VALIDATION_FAILED",
            "input.customer.address.postcode",
        )
        assert await _customers(walk) == customers


async def test_an_address_finds_no_one_and_may_be_shared(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": "sam.other@example.org", "name": "Sam Other"})
        await walk.step("officer", "recordContactDetails", add=[{"address": HOME}])
        # Someone else at the same address: not "recorded for another customer".
        opened = await walk.open(
            "officer", {"email": EMAIL, "name": "Morgan Sample", "address": HOME_AGAIN}
        )
        assert opened["event"]["details"]["customerCreated"] is True
        # A found customer is given the address they lack, as a missing email is, and the
        # address given again adds nothing.
        await walk.step("officer", "closeNoAction", reasons="Opened to record the address.")
        again = await walk.open("officer", {"email": EMAIL, "address": NEW_HOME})
        assert again["event"]["details"]["contactDetailsAdded"] == {"address": 1}
        assert await _details(walk) == [
            ("ADDRESS", "3 Sample Road\nSampleton\nZZ2 2ZZ", False),
            ("ADDRESS", "flat 2\n1  EXAMPLE STREET\nExampletown\nZZ1 1ZZ", True),
            ("EMAIL", EMAIL, True),
        ]
        await walk.step("officer", "closeNoAction", reasons="Opened to record the address.")
        third = await walk.open("officer", {"email": EMAIL, "address": NEW_HOME})
        assert "contactDetailsAdded" not in third["event"]["details"]

        # The preferred one removed, the one left is preferred.
        await walk.step("officer", "recordContactDetails", remove=[{"address": HOME}])
        assert await _details(walk) == [
            ("ADDRESS", "3 Sample Road\nSampleton\nZZ2 2ZZ", True),
            ("EMAIL", EMAIL, True),
        ]


DUBLIN = {"lines": ["1 Main Street", "Dublin 2"], "postcode": " D02 X285 ", "country": "ie"}
DUBLIN_BLOCK = "Morgan Sample\n1 Main Street\nDublin 2\nD02 X285\nIRELAND\n"
COUNTRY = (
    "query C($r: String!) { case(reference: $r) { detail { customer "
    "{ contactDetails { kind value preferred country } } } } }"
)


async def test_an_address_abroad_heads_its_letters_with_the_country_last(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        customer = {"email": EMAIL, "name": "Morgan Sample", "customerRef": "CUS-78"}
        await walk.open("officer", customer | {"address": DUBLIN})
        await _concern(walk)
        await _warned(walk)
        kept = await letters(walk)
        found = await walk.graphql("officer", COUNTRY, r=walk.reference)
        # The same address typed again, without the postal code's spaces, is theirs already.
        again = await walk.refused(
            "officer", "recordContactDetails",
            add=[{"address": DUBLIN | {"postcode": "d02x285", "country": "IE"}}],
        )  # fmt: skip
        # In Spain the postal code goes on the town's line: none given apart.
        await walk.step(
            "officer", "recordContactDetails",
            add=[{"address": {"lines": ["Calle Mayor 1", "28013 Madrid"], "country": "ES"}}],
        )  # fmt: skip
        exported = (await walk.graphql("helpdesk", EXPORT, ref="CUS-78"))["subjectAccessExport"]

    letter = kept["warning"]["letter"]
    assert letter.startswith(f"Cumbria Fire and Rescue Service\n\n{DUBLIN_BLOCK}\n2 March 2026\n")
    details = found["case"]["detail"]["customer"]["contactDetails"]
    assert sorted(details, key=lambda c: c["kind"]) == [
        {
            "kind": "ADDRESS",
            "value": "1 Main Street\nDublin 2\nD02 X285\nIE",
            "preferred": True,
            "country": "IE",
        },
        {"kind": "EMAIL", "value": EMAIL, "preferred": True, "country": None},
    ]
    assert (again.field, "already recorded" in again.message) == ("input.add.0.address", True)
    addresses = [
        {k: c[k] for k in ("value", "preferred", "country", "country_name")}
        for c in json.loads(exported["json"])["customer"]["contacts"]
        if c["kind"] == "address"
    ]
    assert sorted(addresses, key=lambda a: a["value"]) == [
        {
            "value": "1 Main Street\nDublin 2\nD02 X285\nIE",
            "preferred": True,
            "country": "IE",
            "country_name": "Ireland",
        },
        {
            "value": "Calle Mayor 1\n28013 Madrid\nES",
            "preferred": False,
            "country": "ES",
            "country_name": "Spain",
        },
    ]
    assert "<dd>Calle Mayor 1\n28013 Madrid\nES (Spain)</dd>" in exported["html"]


async def test_a_bad_country_or_postal_code_is_refused_naming_the_field(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample"})
        before = await _written(walk)
        at = "input.add.0.address"
        refusals = [
            (DUBLIN | {"country": "Ireland"}, f"{at}.country", "ISO 3166-1"),
            (DUBLIN | {"country": "UK"}, f"{at}.country", "code (the UK's is GB)"),
            (DUBLIN | {"postcode": "D02 X285 Dublin Two"}, f"{at}.postcode", "at most 16"),
            (DUBLIN | {"postcode": "D02\nX285"}, f"{at}.postcode", "one line"),
            # The UK's postcode is required and checked, whether GB is said or not.
            ({"lines": ["1 Example Street"]}, f"{at}.postcode", "required in the UK (for an "),
            (DUBLIN | {"country": "GB"}, f"{at}.postcode", "not a UK postcode"),
        ]
        for address, field, words in refusals:
            refused = await walk.refused(
                "officer", "recordContactDetails", add=[{"address": address}]
            )
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), address
            assert words in refused.message, (address, refused.message)
            for value in ("Main", "Dublin", "D02", "X285", "Ireland"):
                assert value not in refused.message, refused.message
        assert await _written(walk) == before


async def _refused(walk: Walk, who: str, document: str, **variables: str) -> Refused:
    try:
        await walk.graphql(who, document, **variables)
    except Refused as refused:
        return refused
    raise AssertionError("not refused")


async def _concern(walk: Walk) -> None:
    """What `prelude` records after opening the case."""
    await walk.step("officer", "recordConcern", category="CONTACT_VOLUME")
    await walk.step(
        "officer", "recordEvidence", channel="PHONE", occurredOn="2026-01-05",
        summary="Six calls on one day.",
    )  # fmt: skip
    await walk.step("manager", "assignStaff", username="decider", relation="DECISION_MAKER")


async def _warned(walk: Walk) -> None:
    await walk.step("officer", "recordSafeguards", checks=safeguards(PROFILE))
    await walk.step("officer", "issueWarning", reasons="Six calls on one day.")
    await notify(walk, "WARNING")


async def _details(walk: Walk) -> list[tuple[str, str, bool]]:
    data = await walk.graphql("officer", CUSTOMER, r=walk.reference)
    found = data["case"]["detail"]["customer"]["contactDetails"]
    return sorted((c["kind"], c["value"], c["preferred"]) for c in found)


async def _written(walk: Walk) -> tuple[int, int]:
    async with walk.runtime.database.sessions() as session:
        details = await session.scalar(select(func.count()).select_from(ContactDetail))
    return details or 0, len(await walk.timeline("officer"))


async def _customers(walk: Walk) -> tuple[int, int]:
    async with walk.runtime.database.sessions() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
        cases = await session.scalar(select(func.count()).select_from(Case))
    return customers or 0, cases or 0
