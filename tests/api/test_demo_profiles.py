"""`TACT_PROFILE=<theirs> tact serve --demo`, as a council trying Tact runs it, under every
shipped profile, walked over HTTP as the README tells staff to: a token from `tact token`,
each service's cases listed by its case officer, the quick-start customer's case opened with
its timeline and letters, and the portal's lookup with the key `serve` printed. What it shows
belongs to that profile: kinds from its catalogue, states its process reaches, the steps its
process takes before a decision, letters in its organisation's words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from api.app import create_app
from api.demo_data import QUICK_START_EMAIL, SERVICES
from casework.profiles import load_profile, profile_names
from records.database import Database
from records.models import DemoSet
from tests.api.app_fixtures import started_runtime
from tests.cli import tact, tact_env

# Each policy's way to a decision, from its text (docs/profiles.md): the states a case waits
# in on the way, and the steps before the decision, in order.
PROCESS = {
    "default": ({"WARNED"}, ["WARNING_ISSUED"]),
    "cumbria-frs": ({"WARNED"}, ["WARNING_ISSUED"]),
    # Prior notification, then the named officer's assessment.
    "cambridgeshire-cc": ({"WARNED", "IN_ASSESSMENT"}, ["WARNING_ISSUED", "ASSESSMENT_RECORDED"]),
    # No warning: the customer is met, then the case conference.
    "merseyside-frs": ({"IN_ASSESSMENT"}, ["CASE_CONFERENCE_HELD"]),
    "rhondda-cynon-taf": ({"WARNED"}, ["WARNING_ISSUED"]),
    # Step one, then the referral to step two with its pack.
    "portsmouth-cc": ({"WARNED", "REFERRED"}, ["WARNING_ISSUED", "REFERRED"]),
}
EVERY_PROCESS = {"OPEN", "DECIDED", "ENDED", "ARCHIVED", "CLOSED_NO_ACTION"}
BEFORE_DECISION = {"WARNING_ISSUED", "REFERRED", "ASSESSMENT_RECORDED", "CASE_CONFERENCE_HELD"}
CASES = """{ cases(filter: {service: "%s"}, first: 50) { edges { node {
  reference state arrangements { kind } } } } }"""
TIMELINE = "query($r: String!) { case(reference: $r) { timeline { step details } } }"
STATUS = """query($l: RestrictionLookup!) { restrictionStatus(lookup: $l, service: "housing") {
  restricted arrangements { kind namedOfficer } } }"""


def test_every_shipped_profile_is_walked() -> None:
    assert set(PROCESS) == set(profile_names())


@pytest.mark.parametrize("name", sorted(PROCESS))
async def test_the_demo_under_each_profile_shows_that_profile(
    name: str,
    database: Database,  # emptied after, on PostgreSQL
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)  # the banner, no server
    monkeypatch.setattr("api.cli_serve.configure_logging", lambda level: None)
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None, TACT_PROFILE=name)
    served = await tact(env, "serve", "--demo")
    assert served.exit_code == 0, served.output
    key = re.search(r"tact_pk_\w+_[\w-]{43}", served.output)
    assert key is not None
    profile = load_profile(name)
    kinds = {kind.name for kind in profile.arrangement_kinds}
    working, first_steps = PROCESS[name]

    async def bearer(username: str) -> dict[str, str]:
        printed = await tact(env, "token", username)
        assert printed.exit_code == 0, printed.output
        return {"Authorization": f"Bearer {printed.output.strip()}"}

    async with started_runtime(tmp_path, database_urls, key_file, profile=name) as runtime:
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:

            async def ask(headers: dict[str, str], query: str, **variables: Any) -> Any:
                body = {"query": query, "variables": variables}
                answer = (await http.post("/graphql", json=body, headers=headers)).json()
                assert "errors" not in answer, answer
                return answer["data"]

            officer = await bearer("housing.case-officer")
            shown: dict[str, list[dict[str, Any]]] = {}
            for service in SERVICES:
                headers = await bearer(f"{service}.case-officer")
                edges = (await ask(headers, CASES % service))["cases"]["edges"]
                shown[service] = [edge["node"] for edge in edges]
            every = [case for cases in shown.values() for case in cases]
            # Kinds from its catalogue, every one of them; the states its process reaches.
            used = {a["kind"] for case in every for a in case["arrangements"]}
            assert used == kinds
            assert {case["state"] for case in every} == EVERY_PROCESS | working

            # The quick-start customer's housing case: the way to its decision, its letters.
            quick = {"NAMED_OFFICER", "CONTACT_CHANNEL"} & kinds
            (alex,) = [
                case
                for case in shown["housing"]
                if case["state"] == "DECIDED" and {a["kind"] for a in case["arrangements"]} == quick
            ]
            timeline = (await ask(officer, TIMELINE, r=alex["reference"]))["case"]["timeline"]
            steps = [event["step"] for event in timeline]
            assert [s for s in steps if s in BEFORE_DECISION] == first_steps
            (decided,) = [event["details"] for event in timeline if event["step"] == "DECIDED"]
            assert decided["appealRoute"] == profile.appeal.route
            assert decided.get("consulted") == profile.decision.with_
            sent = [event["details"] for event in timeline if "letter" in event["details"]]
            warned = ["warning"] if "WARNING_ISSUED" in first_steps else []
            assert [details["subject"] for details in sent] == [*warned, "decision"]
            letters = [details["letter"] for details in sent]
            for letter in letters:
                assert letter.startswith(profile.organisation + "\n"), letter
                assert letter.rstrip().endswith(profile.organisation), letter
            if profile.appeal.quote:
                assert profile.appeal.quote in " ".join(letters[-1].split())

            # The quick start's lookup, with the key `serve` printed.
            portal = {"Authorization": f"ApiKey {key.group(0)}"}
            status = (await ask(portal, STATUS, l={"email": QUICK_START_EMAIL}))[
                "restrictionStatus"
            ]
    assert status["restricted"] is True
    by_kind = {a["kind"]: a["namedOfficer"] for a in status["arrangements"]}
    assert by_kind["NAMED_OFFICER"] == "Jo Example"
    assert set(by_kind) == quick


KEY = re.compile(r"tact_pk_\w+_[\w-]{43}")


async def test_a_demo_set_built_under_one_profile_is_not_served_under_another(
    database: Database,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The set is loaded once, under the profile in use the first time. Served later under
    another TACT_PROFILE it showed the first organisation's cases and letters, saying
    nothing: refused, naming both profiles and how to start afresh, with no key issued."""
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)  # the banner, no server
    monkeypatch.setattr("api.cli_serve.configure_logging", lambda level: None)

    def env(profile: str) -> dict[str, str | None]:
        return tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None, TACT_PROFILE=profile)

    first = await tact(env("cumbria-frs"), "serve", "--demo")
    assert first.exit_code == 0, first.output
    for command in (["serve", "--demo"], ["demo"]):
        refused = await tact(env("portsmouth-cc"), *command)
        assert refused.exit_code == 1, refused.output
        assert refused.output == (
            "Error: the demo set in this database was built under the profile cumbria-frs, not "
            "portsmouth-cc: its cases and letters are that organisation's, not Portsmouth City "
            "Council's. Serve it under its own (TACT_PROFILE=cumbria-frs), or, to try "
            "portsmouth-cc, start afresh in a case database and key store of their own "
            "(TACT_DATABASE_URL, TACT_KEYSTORE_URL).\n"
        )
    again = await tact(env("cumbria-frs"), "serve", "--demo")
    assert again.exit_code == 0 and "already present" in again.output
    assert KEY.search(again.output) is not None

    # A set loaded before Tact recorded its profile: served, with a note saying so.
    async with database.sessions() as session, session.begin():
        await session.execute(delete(DemoSet))
    noted = await tact(env("portsmouth-cc"), "serve", "--demo")
    assert noted.exit_code == 0, noted.output
    assert noted.output.startswith(
        "Note: the demo set in this database was loaded before Tact recorded the profile it "
        "was built under. If that was not portsmouth-cc,"
    )


async def test_the_readme_way_to_start_afresh_is_printed_for_a_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` (the default), then the README's `TACT_PROFILE=cumbria-frs tact serve --demo`
    without a data folder of its own: refused, printing the README's command."""
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("api.cli_serve.configure_logging", lambda level: None)
    data = tmp_path / "tact-data"
    env: dict[str, str | None] = {"TACT_DATA_DIR": str(data), "TACT_JWKS": None}
    assert (await tact({**env, "TACT_PROFILE": "default"}, "serve", "--demo")).exit_code == 0
    refused = await tact({**env, "TACT_PROFILE": "cumbria-frs"}, "serve", "--demo")
    assert refused.exit_code == 1
    assert f"the demo set in this data folder ({data}) was built under the profile default" in (
        refused.output
    )
    assert refused.output.endswith(
        "start afresh in a data folder of its own: TACT_PROFILE=cumbria-frs "
        "TACT_DATA_DIR=./tact-data-cumbria-frs tact serve --demo.\n"
    )
    assert KEY.search(refused.output) is None
