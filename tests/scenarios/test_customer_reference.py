"""A customer's reference (the council's own CRM id) corrected over HTTP with
`recordContactDetails`, as an email is: given to a restricted customer, the portal finds them
by it at once; replaced (the new one added, the old one removed, in one step), the portal finds
them by the new one and not by the old; removed, by neither. Refusals name the field, never
echo the value and write nothing: another customer's reference, a second one, one added while
theirs is kept, removing one not theirs or the last way to find them. One new reference given
to two customers at once goes to one; the other is refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from records.database import Database
from records.lookup import LookupKind
from records.models import Customer
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_contact_details import (
    DETAILS,
    EMAIL,
    PROFILE,
    _opened_in_fire_safety,
    _restricted_customer,
    _status,
    _taken,
    _written,
)
from tests.scenarios.test_name_not_given import EXPORT
from tests.scenarios.world import Refused, Walk, at_once

MISTYPED = "CUS-0107"
RIGHT = "CUS-0170"
SAMS = "CUS-5AM"


async def test_a_reference_is_given_replaced_and_removed(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await _restricted_customer(walk)
        assert (await _status(walk, customerRef=MISTYPED))["restricted"] is False

        given = await walk.step("officer", DETAILS, add=[{"customerRef": MISTYPED}])
        assert given["event"]["details"] == {"added": {"customerRef": 1}, "removed": {}}
        # Found at once, however the portal spells it (the lookup's own normalising).
        assert (await _status(walk, customerRef="cus 0107"))["restricted"] is True

        replaced = await walk.step(
            "manager", DETAILS, add=[{"customerRef": RIGHT}], remove=[{"customerRef": "cus0107"}]
        )
        assert replaced["event"]["details"] == {
            "added": {"customerRef": 1},
            "removed": {"customerRef": 1},
        }
        assert (await _status(walk, customerRef=MISTYPED))["restricted"] is False
        assert (await _status(walk, customerRef=RIGHT))["restricted"] is True
        assert await _reference_on_file(walk) == RIGHT
        exported = await walk.graphql("helpdesk", EXPORT, ref=RIGHT)
        assert json.loads(exported["subjectAccessExport"]["json"])["customer"]["reference"] == RIGHT

        # Removed (their email still finds them): found by it no longer.
        await walk.step("officer", DETAILS, remove=[{"customerRef": RIGHT}])
        assert (await _status(walk, customerRef=RIGHT))["restricted"] is False
        assert (await _status(walk, email=EMAIL))["restricted"] is True
        assert await _reference_on_file(walk) is None
        for value in (MISTYPED, RIGHT):
            assert value not in str(await walk.timeline("manager"))


async def test_reference_refusals_name_the_field_and_write_nothing(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await walk.open("officer", {"customerRef": SAMS, "name": "Sam Other"})
        sams_case = walk.reference
        await _restricted_customer(walk)
        await walk.step("officer", DETAILS, add=[{"customerRef": MISTYPED}])
        before = await _everything_written(walk)
        refusals = [
            ({"add": [{"customerRef": "cus 5am"}]}, "input.add.0.customerRef", "another customer"),
            ({"add": [{"customerRef": " - / "}]}, "input.add.0.customerRef", "1 to 64"),
            # Reads as Sam's on screen, or as RIGHT: refused, not kept as a new reference.
            ({"add": [{"customerRef": "CUS-\u200b5AM"}]}, "input.add.0.customerRef", "invisible"),
            ({"add": [{"customerRef": "CUS-\x070170"}], "remove": [{"customerRef": MISTYPED}]},
             "input.add.0.customerRef", "control"),
            ({"add": [{"customerRef": MISTYPED}]}, "input.add.0.customerRef", "already recorded"),
            ({"add": [{"customerRef": RIGHT}]}, "input.add.0.customerRef", "remove theirs"),
            ({"add": [{"customerRef": RIGHT}, {"customerRef": "CUS-9"}],
              "remove": [{"customerRef": MISTYPED}]}, "input.add.1.customerRef", "second"),
            ({"remove": [{"customerRef": SAMS}]}, "input.remove.0.customerRef", "not recorded"),
            ({"remove": [{"customerRef": RIGHT}]}, "input.remove.0.customerRef", "not recorded"),
            ({"add": [{"customerRef": RIGHT, "email": "x@example.org"}]},
             "input.add.0.email", "one per entry"),
        ]  # fmt: skip
        for given, field, words in refusals:
            refused = await walk.refused("officer", DETAILS, **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", field), given
            assert words in refused.message, refused.message
            for value in (SAMS, "5AM", MISTYPED, RIGHT):
                assert value.casefold() not in refused.message.casefold()
        # Sam is known by his reference alone: it is not removed without another way.
        last = await _taken(walk, "officer", DETAILS, sams_case, remove=[{"customerRef": SAMS}])
        assert isinstance(last, Refused) and last.field == "input.remove"
        assert "no way to find the customer" in last.message
        assert await _everything_written(walk) == before
        assert (await _status(walk, customerRef=SAMS))["restricted"] is False
        assert (await _status(walk, customerRef=MISTYPED))["restricted"] is True

        # With an email added in the same step, it goes.
        await _taken(
            walk, "officer", DETAILS, sams_case,
            add=[{"email": "sam.other@example.org"}], remove=[{"customerRef": SAMS}],
        )  # fmt: skip
        async with walk.runtime.database.sessions() as session:
            references = await session.scalars(select(Customer.reference_digest))
            assert sum(d is not None for d in references) == 1


async def test_two_customers_given_one_new_reference_at_once_one_is_refused(
    database: Database, walk_factory: WalkFactory
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        sam = await walk.open("officer", {"email": "sam.other@example.org", "name": "Sam Other"})
        morgan = await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample"})
        refs = [sam["case"]["reference"], morgan["case"]["reference"]]
        # On PostgreSQL the first is held at its write of the reference: without the lock on
        # it, the second would find no one holding it too, and both would write it.
        both = [_taken(walk, "officer", DETAILS, ref, add=[{"customerRef": RIGHT}]) for ref in refs]
        answers = await at_once(database.engine, "customers", both)

        refused = [a for a in answers if isinstance(a, Refused)]
        assert len(refused) == 1 and refused[0].field == "input.add.0.customerRef"
        assert "another customer" in refused[0].message
        digest = walk.runtime.vault.blind_index(LookupKind.CUSTOMER_REF, RIGHT)
        async with walk.runtime.database.sessions() as session:
            holders = (
                await session.scalars(
                    select(Customer.id).where(Customer.reference_digest == digest)
                )
            ).all()
        assert len(holders) == 1


async def test_two_first_references_given_to_one_customer_at_once_leave_one(
    database: Database, walk_factory: WalkFactory
) -> None:
    """Morgan has no reference, and a case in housing and one in fire safety. Each is given a
    different first reference at once: without the customer's row held before the step looks
    for theirs, both would see none, and the second would overwrite the first's."""
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        housing = (await walk.open("officer", {"email": EMAIL, "name": "Morgan Sample"}))["case"]
        fire = await _opened_in_fire_safety(walk, {"email": EMAIL})
        both = [
            _taken(walk, "officer", DETAILS, housing["reference"], add=[{"customerRef": RIGHT}]),
            _taken(walk, "helpdesk", DETAILS, fire, add=[{"customerRef": MISTYPED}]),
        ]
        answers = await at_once(database.engine, "customers", both)

        refused = [a for a in answers if isinstance(a, Refused)]
        assert len(refused) == 1 and refused[0].field == "input.add.0.customerRef"
        assert "remove theirs" in refused[0].message
        walk.reference = housing["reference"]
        # The reference on file is the one the step not refused gave.
        winner = MISTYPED if isinstance(answers[0], Refused) else RIGHT
        assert await _reference_on_file(walk) == winner


async def _reference_on_file(walk: Walk) -> Any:
    """The customer's reference as their case file shows it."""
    data = await walk.graphql(
        "manager",
        "query C($r: String!) { case(reference: $r) { detail { customer { reference } } } }",
        r=walk.reference,
    )
    return data["case"]["detail"]["customer"]["reference"]


async def _everything_written(walk: Walk) -> tuple[Any, ...]:
    """Contact details, cases, the walk's case's steps, and every customer's reference."""
    async with walk.runtime.database.sessions() as session:
        references = await session.execute(
            select(Customer.id, Customer.reference_sealed, Customer.reference_digest)
        )
        held = sorted((str(i), s, d) for i, s, d in references)
    return await _written(walk), held
