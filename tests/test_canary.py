"""The canary (issue 2's acceptance): plant distinctive personal data, use Tact the way its
callers do (portal lookups by email, phone and reference, the full file for the assigned
officer, and requests that fail with the values in their input), then search everything Tact
wrote: the raw bytes of the SQLite files (with their -wal and -shm files, before and after a
checkpoint), a pg_dump of both PostgreSQL databases, and every log record at DEBUG. None of the
values may appear, in any spelling. The same values must come back decrypted through the API
to the assigned officer, so the test cannot pass by storing nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.logging import JsonFormatter
from api.runtime import Runtime
from tests.api import app_fixtures
from tests.api.app_fixtures import FixedClock
from tests.api.case_world import CaseWorld, Person, bearer, build_case_world
from tests.api.portal_world import api_key

CANARY = Person(
    name="Zephyrine Quillfeather-Marchbanks",
    email="Zephyrine.Quillfeather@Canary-Example.org",
    phone="07700 900461",
    reference="QFM-8842-ZX",
    note="Keeps a brass telescope called Ptolemy by the Wendleford window",
    needs={"format": "braille", "representative": "Octavian Brightwater"},
    case_summary="Correspondence about the Thistlewick orchard boundary",
    concern="Letters about the Scarrowby footbridge, three a day",
    evidence="Phoned about the Scarrowby footbridge and the Quimby orchard",
    premises="Thistlewick Community Hub",
)
# Every value, as typed and as Tact normalises it, and the rarest words on their own, so a
# partial leak (a surname, the local part of an address) is caught too. Compared without
# regard to case.
NEEDLES = (
    CANARY.name, "Zephyrine", "Quillfeather", "Marchbanks",
    CANARY.email, "zephyrine.quillfeather@canary-example.org", "Canary-Example",
    CANARY.phone, "+447700900461", "07700900461", "7700900461", "900461",
    CANARY.reference, "QFM8842ZX",
    CANARY.note, "Ptolemy", "Wendleford",
    "Octavian Brightwater", "Brightwater",
    CANARY.case_summary, "Thistlewick",
    CANARY.concern, CANARY.evidence, "Scarrowby", "Quimby",
    CANARY.premises,
)  # fmt: skip
PG_DUMP = "/usr/bin/pg_dump"
# The app over real HTTP on this test's databases, as in tests/api (fixtures).
app, client, clock, runtime = (
    app_fixtures.app, app_fixtures.client, app_fixtures.clock, app_fixtures.runtime,
)  # fmt: skip

STATUS = """
query Status($lookup: RestrictionLookup!, $service: String!) {
  restrictionStatus(lookup: $lookup, service: $service) {
    restricted arrangements { kind handlingInstructions }
  }
}
"""
GLASS = """
query Glass($reference: String!, $reason: String) {
  case(reference: $reference, breakGlassReason: $reason) { detail { summary } }
}
"""
DETAIL = """
query Detail($reference: String!) {
  case(reference: $reference) {
    reference
    detail {
      customer { name reference notes communicationNeeds contactDetails { kind value } }
      summary
      concerns { description }
      evidence { summary }
      arrangements { kind parameters }
    }
  }
}
"""
CASES = "query Cases($filter: CaseFilter) { cases(filter: $filter) { edges { cursor } } }"


class Captured(logging.Handler):
    """Every record, formatted as production writes it (JSON with extras and exception
    frames) and again with the standard formatter (message, arguments, traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._json, self._plain = JsonFormatter(), logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self._json.format(record))
        self.lines.append(self._plain.format(record))


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Captured]:
    caplog.set_level(logging.DEBUG)  # the root logger and caplog's handler, at DEBUG
    handler = Captured()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def leaks(haystack: bytes) -> list[str]:
    """The needles found in `haystack`: as text (any case), and hex-encoded, as pg_dump
    writes bytea, so plaintext stored in a binary column is caught too."""
    lowered = haystack.lower()
    found = []
    for needle in NEEDLES:
        raw = needle.lower().encode("utf-8")
        if raw in lowered or raw.hex().encode() in lowered:
            found.append(needle)
    return found


async def graphql(
    client: httpx.AsyncClient, document: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


async def use_tact(client: httpx.AsyncClient, world: CaseWorld) -> None:
    """What callers do, successful and not. Each answer is checked, so the test knows the
    values really went through the paths it claims to exercise."""
    portal = api_key(world.portal_key)
    for lookup in (
        {"email": CANARY.email},
        {"email": CANARY.email.upper()},
        {"phone": CANARY.phone},
        {"phone": "+447700900461"},
        {"customerRef": CANARY.reference},
    ):
        body = await graphql(client, STATUS, portal, lookup=lookup, service="housing")
        assert body["data"]["restrictionStatus"]["restricted"] is True, lookup

    officer = bearer(world.tokens["officer.assigned"])
    body = await graphql(client, DETAIL, officer, reference=world.case_reference)
    detail = body["data"]["case"]["detail"]
    assert detail["customer"] == {
        "name": CANARY.name,
        "reference": CANARY.reference,
        "notes": CANARY.note,
        "communicationNeeds": CANARY.needs,
        "contactDetails": [
            {"kind": "EMAIL", "value": CANARY.email},
            {"kind": "PHONE", "value": CANARY.phone},
        ],
    }
    assert detail["summary"] == CANARY.case_summary
    assert detail["concerns"] == [{"description": CANARY.concern}]
    assert detail["evidence"] == [{"summary": CANARY.evidence}]
    premises = [a for a in detail["arrangements"] if a["kind"] == "PREMISES_EXCLUSION"]
    assert premises[0]["parameters"]["premises"] == [CANARY.premises]

    # A break-glass reason is staff's free text, and can name the person.
    glass = await graphql(
        client,
        GLASS,
        bearer(world.tokens["ig.all"]),
        reference=world.case_reference,
        reason=f"Police safeguarding call about {CANARY.name} this morning",
    )
    assert glass["data"]["case"]["detail"]["summary"] == CANARY.case_summary

    await fail_with_the_values(client, world)


async def fail_with_the_values(client: httpx.AsyncClient, world: CaseWorld) -> None:
    portal = api_key(world.portal_key)
    officer = bearer(world.tokens["officer.assigned"])
    bad_email = CANARY.email.replace("@", "-at-")
    bad_phone = CANARY.phone + " 99999999"
    for lookup, field in (({"email": bad_email}, "email"), ({"phone": bad_phone}, "phone")):
        body = await graphql(client, STATUS, portal, lookup=lookup, service="housing")
        assert body["errors"][0]["extensions"]["field"] == f"lookup.{field}"
    # Values written into the document itself, with a type error graphql-core reports.
    inline = (
        f'{{ restrictionStatus(lookup: {{email: "{CANARY.email}"}}, service: 461) '
        f"{{ restricted }} }} # {CANARY.name}"
    )
    body = (await client.post("/graphql", json={"query": inline}, headers=portal)).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # A person's name where a case reference or a service belongs.
    body = await graphql(client, DETAIL, officer, reference=CANARY.name)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # as a case out of sight
    body = await graphql(client, CASES, officer, filter={"service": CANARY.name.lower()})
    assert body["errors"][0]["extensions"]["field"] == "filter.service"
    for caller in (portal, officer, {}):
        body = await graphql(
            client, STATUS, caller, lookup={"email": CANARY.email}, service=CANARY.name
        )
        # not a slug at all (a space, capitals): malformed, said without the value
        refused = body["errors"][0]["extensions"]
        assert (refused["code"], refused["field"]) == ("VALIDATION_FAILED", "service")
    # A body that is not JSON, and credentials that are not a token.
    broken = await client.post(
        "/graphql",
        content=f'{{"query": "{CANARY.name}',
        headers=portal | {"content-type": "application/json"},
    )
    assert broken.status_code == 400
    refused = await client.post(
        "/graphql", json={"query": STATUS}, headers={"Authorization": f"Bearer {CANARY.email}"}
    )
    assert refused.status_code == 401


def sqlite_files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def pg_dump(url: str) -> bytes:
    done = subprocess.run([PG_DUMP, "--dbname", url], capture_output=True, check=True)
    return done.stdout


async def stored_bytes(runtime: Runtime, world: CaseWorld, folder: Path) -> dict[str, bytes]:
    """Everything Tact wrote to storage, by where it came from. Checks that the case is in
    there (its office reference is not personal data), so an empty haystack cannot pass."""
    found: dict[str, bytes] = {}
    if runtime.database.engine.dialect.name == "sqlite":
        before = await asyncio.to_thread(sqlite_files, folder)
        assert {"cases.db", "cases.db-wal", "keys.db"} <= set(before)
        found |= {f"{name} (before checkpoint)": data for name, data in before.items()}
        for name in ("cases.db", "keys.db"):
            await asyncio.to_thread(checkpoint, folder / name)
        found |= await asyncio.to_thread(sqlite_files, folder)
        assert world.case_reference.encode() in found["cases.db"]
    else:
        settings = runtime.settings
        for name, url in (("cases", settings.database_url), ("keys", settings.keystore_url)):
            assert url is not None
            found[f"pg_dump {name}"] = await asyncio.to_thread(pg_dump, url)
        assert world.case_reference.encode() in found["pg_dump cases"]
        assert b"COPY public.data_keys" in found["pg_dump keys"]
        found |= await asyncio.to_thread(
            sqlite_files, folder
        )  # key files and signing keys: nothing else here
    return found


async def test_no_personal_value_is_written_anywhere_in_plaintext(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    captured: Captured,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    world = await build_case_world(runtime, clock.now, CANARY)
    await use_tact(client, world)

    # Logs: every request left its line, and failures theirs, so the capture is not empty.
    names = {record.name for record in captured.records}
    assert {"tact.request", "tact.graphql", "tact.auth"} <= names
    log_text = "\n".join(captured.lines) + "\n" + caplog.text
    assert leaks(log_text.encode("utf-8")) == []
    for where, data in (await stored_bytes(runtime, world, tmp_path)).items():
        assert leaks(data) == [], where
