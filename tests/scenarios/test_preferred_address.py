"""Which address letters go to, changed over HTTP without removing any (`recordContactDetails`
`preferAddress`): one the customer has, typed as it was added or otherwise, or one added in
the same step. The event says an address was preferred, never which; preferring one the
customer has not, one being removed, or the one already preferred is refused naming
`input.preferAddress`, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_letters import letters
from tests.scenarios.test_postal_addresses import (
    DUBLIN,
    EMAIL,
    HOME,
    HOME_AGAIN,
    NEW_HOME,
    PROFILE,
    _details,
    _warned,
    _written,
)
from tests.scenarios.world import Walk, notify, prelude

HOME_TEXT = "Flat 2\n1 Example Street\nExampletown\nZZ1 1ZZ"
NEW_TEXT = "3 Sample Road\nSampleton\nZZ2 2ZZ"
DUBLIN_TEXT = "1 Main Street\nDublin 2\nD02 X285\nIE"


async def test_letters_go_to_the_address_preferred_and_the_others_are_kept(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        await walk.step("officer", "recordContactDetails", add=[{"address": HOME}])
        # A second address: the first stays the one letters go to.
        await walk.step("officer", "recordContactDetails", add=[{"address": NEW_HOME}])
        assert await _addresses(walk) == [(NEW_TEXT, False), (HOME_TEXT, True)]

        moved = await walk.step("officer", "recordContactDetails", preferAddress=NEW_HOME)
        after_move = await _addresses(walk)
        await _warned(walk)
        warning = (await letters(walk))["warning"]["letter"]

        # Back home, typed otherwise; then abroad, added and preferred in one step.
        await walk.step("officer", "recordContactDetails", preferAddress=HOME_AGAIN)
        after_return = await _addresses(walk)
        abroad = await walk.step(
            "officer", "recordContactDetails", add=[{"address": DUBLIN}], preferAddress=DUBLIN
        )
        await notify(walk, "WARNING")
        second = (await letters(walk))["warning"]["letter"]
        timeline = await walk.timeline("officer")

    assert moved["event"]["details"] == {"added": {}, "removed": {}, "addressPreferred": True}
    assert after_move == [(NEW_TEXT, True), (HOME_TEXT, False)]
    assert "Morgan Sample\n3 Sample Road\nSampleton\nZZ2 2ZZ\n" in warning
    assert after_return == [(NEW_TEXT, False), (HOME_TEXT, True)]
    assert abroad["event"]["details"] == {
        "added": {"address": 1},
        "removed": {},
        "addressPreferred": True,
    }
    assert "Morgan Sample\n1 Main Street\nDublin 2\nD02 X285\nIRELAND\n" in second
    # No address on any step's event but the letters'.
    recorded = [e for e in timeline if e["step"] == "CONTACT_DETAILS_RECORDED"]
    assert [e["details"].get("addressPreferred") for e in recorded] == [
        None, None, True, True, True,
    ]  # fmt: skip
    details = json.dumps([e["details"] for e in recorded])
    for value in ("Example", "Sample Road", "Main Street", "ZZ", "D02"):
        assert value not in details


async def test_a_preferred_address_removed_leaves_the_one_preferred_in_its_step(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        await walk.step(
            "officer", "recordContactDetails",
            add=[{"address": HOME}, {"address": NEW_HOME}, {"address": DUBLIN}],
        )  # fmt: skip
        # Of the two left, neither would be preferred: the step says which.
        await walk.step(
            "officer", "recordContactDetails", remove=[{"address": HOME}], preferAddress=DUBLIN
        )
        left = await _addresses(walk)

    assert left == [(DUBLIN_TEXT, True), (NEW_TEXT, False)]


async def test_preferring_what_cannot_be_preferred_is_refused_and_nothing_is_written(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        await prelude(walk, EMAIL)
        await walk.step(
            "officer", "recordContactDetails", add=[{"address": HOME}, {"address": NEW_HOME}]
        )
        before = await _written(walk), await _addresses(walk)
        field = "input.preferAddress"
        refusals = [
            ({"preferAddress": DUBLIN}, field, "not recorded for this customer"),
            ({"preferAddress": HOME_AGAIN}, field, "already the address letters go to"),
            (
                {"remove": [{"address": NEW_HOME}], "preferAddress": NEW_HOME},
                field,
                "being removed",
            ),
            ({"preferAddress": HOME | {"postcode": "ZZ1"}}, f"{field}.postcode", "UK postcode"),
            ({"preferAddress": HOME | {"lines": []}}, f"{field}.lines", "must have at least 1"),
        ]
        for given, named, words in refusals:
            refused = await walk.refused("officer", "recordContactDetails", **given)
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", named), given
            assert words in refused.message, (given, refused.message)
            for value in ("Example", "Sample", "Main", "ZZ", "D02"):
                assert value not in refused.message, refused.message
        assert (await _written(walk), await _addresses(walk)) == before


async def _addresses(walk: Walk) -> list[tuple[str, bool]]:
    return [
        (value, preferred) for kind, value, preferred in await _details(walk) if kind == "ADDRESS"
    ]
