"""An IG officer reading the access log over HTTP: a step refused for its input is logged as
`refused`, not as a fault (`error`), each entry names its case by office reference as well as
by id, and a period that ends before it begins is refused rather than answered empty."""

from __future__ import annotations

import datetime as dt

from tests.scenarios.conftest import WalkFactory
from tests.scenarios.world import Refused, prelude

LOG = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter, first: 50) "
    "{ edges { node { operation outcome caseId caseReference } } } }"
)


async def test_a_refused_step_is_logged_as_refused_under_the_case_s_reference(
    walk_factory: WalkFactory,
) -> None:
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        refusal = await walk.refused("officer", "recordConcern", category="CONTACT_VOLUME",
                                     description="   ")  # fmt: skip
        assert (refusal.code, refusal.field) == ("VALIDATION_FAILED", "input.description")

        data = await walk.graphql("helpdesk", LOG, filter={"caseRef": walk.reference})
        nodes = [edge["node"] for edge in data["accessLog"]["edges"]]
        assert nodes and {n["caseReference"] for n in nodes} == {walk.reference}
        assert len({n["caseId"] for n in nodes}) == 1
        assert [n["outcome"] for n in nodes if n["outcome"] != "allowed"] == ["refused"]
        assert nodes[0]["operation"] == "update_case"  # newest first: the refused step

        refused = await walk.graphql(
            "helpdesk", LOG, filter={"caseRef": walk.reference, "outcome": "refused"}
        )
        assert len(refused["accessLog"]["edges"]) == 1
        assert "error" not in {n["outcome"] for n in nodes}

        try:
            await walk.graphql(
                "helpdesk", LOG,
                filter={"from": "2026-03-03T00:00:00Z", "to": "2026-03-02T00:00:00Z"},
            )  # fmt: skip
        except Refused as backwards:
            assert (backwards.code, backwards.field) == ("VALIDATION_FAILED", "filter.to")
        else:
            raise AssertionError("a period ending before it begins was answered")
