"""An IG officer reading the access log over HTTP: a step refused for its input is logged as
`refused`, not as a fault (`error`), each entry names its case by office reference as well as
by id, and a period that ends before it begins is refused rather than answered empty."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.cli import tact, tact_env
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


async def test_a_mistyped_filter_is_refused_and_a_reference_is_read_as_the_office_writes_it(
    walk_factory: WalkFactory, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    """An operation or outcome the log never records, or a reference to no case, matched
    nothing and answered an empty list (or printed nothing, exit 0): read as "nobody accessed
    it". Now each is refused naming the field; a reference typed in lower case with spaces
    around it finds the case, as everywhere else."""
    async with walk_factory("default", dt.date(2026, 3, 2)) as walk:
        await prelude(walk)
        typed = f"  {walk.reference.lower()} "
        data = await walk.graphql("helpdesk", LOG, filter={"caseRef": typed})
        nodes = [edge["node"] for edge in data["accessLog"]["edges"]]
        assert nodes and {n["caseReference"] for n in nodes} == {walk.reference}
        for field, word in (("operation", "read_cases"), ("outcome", "alowed")):
            try:
                await walk.graphql("helpdesk", LOG, filter={"caseRef": typed, field: word})
            except Refused as mistyped:
                assert (mistyped.code, mistyped.field) == ("VALIDATION_FAILED", f"filter.{field}")
                assert word not in mistyped.message
            else:
                raise AssertionError(f"an unknown {field} was answered")

        env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")
        shown = await tact(env, "audit", "show", "--case-ref", typed, "--operation", "open_case")
        assert shown.exit_code == 0, shown.output
        (line,) = shown.output.splitlines()
        assert " open_case " in line and "allowed" in line
        for option, word in (("--operation", "read_cases"), ("--outcome", "alowed")):
            refused = await tact(env, "audit", "show", option, word)
            assert refused.exit_code == 2 and f"Invalid value for '{option}'" in refused.output
        newest = int((await tact(env, "audit", "show", "--limit", "1")).output.split()[0])
        unknown = await tact(env, "audit", "show", "--case-ref", "MC-2026-AAAAA-AAAAA")
        assert unknown.exit_code == 1
        assert unknown.output.strip() == "Error: case-ref: no case with that reference"
        # Nothing written: the newest entry is the read before it (it logged itself).
        after = await tact(env, "audit", "show", "--limit", "1")
        assert int(after.output.split()[0]) == newest + 1
