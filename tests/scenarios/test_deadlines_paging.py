"""`deadlines(first, after)` over HTTP: pages walked with each page's end cursor give every
deadline once, soonest first, ties on one date kept apart by the row; the last page says no
more follow; a cursor from elsewhere is VALIDATION_FAILED on `after`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_expiry_sweep import PROFILE, START, decided_case
from tests.scenarios.world import Refused, Walk

PAGE = (
    "query D($first: Int!, $after: String) { deadlines(first: $first, after: $after) "
    "{ edges { cursor node { reference kind dueOn } } "
    "pageInfo { hasNextPage endCursor } } }"
)


async def page(walk: Walk, first: int, after: str | None) -> dict[str, Any]:
    data = await walk.graphql("manager", PAGE, first=first, after=after)
    result: dict[str, Any] = data["deadlines"]
    return result


def rows(found: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["node"]["dueOn"], e["node"]["kind"], e["node"]["reference"]) for e in found["edges"]]


async def test_deadlines_page_forward_with_first_and_after(walk_factory: WalkFactory) -> None:
    async with walk_factory(PROFILE, START) as walk:
        # Three cases decided the same day: three deadlines each (the decision's notification,
        # the full assessment, the review), three on each of three dates.
        for n in range(3):
            await decided_case(walk, f"sample.{n}@example.org", START.replace(year=2027))
        everything = await page(walk, 100, None)
        assert everything["pageInfo"] == {"hasNextPage": False, "endCursor": None}
        whole = rows(everything)
        assert len(whole) == 9 and whole == sorted(whole, key=lambda r: r[0])

        walked: list[tuple[str, str, str]] = []
        after = None
        sizes = []
        while True:
            found = await page(walk, 4, after)
            walked += rows(found)
            sizes.append(len(found["edges"]))
            if not found["pageInfo"]["hasNextPage"]:
                assert found["pageInfo"]["endCursor"] is None
                break
            after = found["pageInfo"]["endCursor"]
            assert after == found["edges"][-1]["cursor"]
        assert sizes == [4, 4, 1]
        assert walked == whole  # each once, in the same order, across a tie on one date


@pytest.mark.parametrize("after", ["not-a-cursor", "Y2FzZTpub3QtYS1kYXRlfDA="])
async def test_deadlines_refuse_a_cursor_from_elsewhere(
    walk_factory: WalkFactory, after: str
) -> None:
    async with walk_factory(PROFILE, START) as walk:
        try:
            await page(walk, 2, after)
        except Refused as refused:
            assert (refused.code, refused.field) == ("VALIDATION_FAILED", "after")
        else:
            raise AssertionError("a foreign cursor was accepted")
