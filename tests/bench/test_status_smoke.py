"""The portal status benchmark cannot rot: a one-second run of bench/status.py on SQLite, with
the data-key cache and without it, and a check that its bare route answers and logs exactly
as `restrictionStatus` does (otherwise the ratio would compare different work), on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from api.runtime import Runtime
from bench.bare import PATH, bare_app
from records.models import AccessLogEntry
from tests.api.app_fixtures import FixedClock, clock, runtime  # noqa: F401
from tests.api.portal_world import EMAIL, QUIET_EMAIL, UNKNOWN_EMAIL, build_portal_world

ROOT = Path(__file__).resolve().parents[2]
STATUS = (
    "query S($l: RestrictionLookup!, $s: String!) { restrictionStatus(lookup: $l, service: $s) "
    "{ service restricted arrangements "
    "{ kind handlingInstructions namedOfficer startsOn endsOn nextReviewOn } } }"
)
# mode, connections, requests/s, p50, p99, CPU ms per request, checked/wrong/failed
ROW = re.compile(
    r"^(plain|bare|tact|text)\s+16\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+(\d+)/(\d+)/(\d+)$",
    re.M,
)


@pytest.mark.slow
@pytest.mark.parametrize("keys", ["cached", "cold"])
def test_the_benchmark_runs_on_sqlite_with_every_answer_right(keys: str) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is not installed, and CI must run the benchmark's smoke test")
        pytest.skip("wrk is not installed (apt-get install wrk)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    command = [sys.executable, "bench/status.py", "--customers", "200", "--duration", "1"]
    command += ["--rounds", "1", "--connections", "16", "--warmup", "1"]
    # Cold: every lookup reads its case's data key from the key store, as a new caller's does;
    # and the log already long, as a council's is, before the run adds to it.
    command += ["--cold-keys", "--log-entries", "2500"] if keys == "cold" else []
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"ratio tact/text = \d+\.\d\d \(what the plan buys\)", lines[-4])
    assert re.fullmatch(r"ratio tact/plain = \d+\.\d\d", lines[-3])
    assert re.fullmatch(r"ratio tact/bare = \d+\.\d\d", lines[-2])
    assert lines[-1].startswith("cpu per request: plain ")
    rows = {m.group(1): m.groups()[1:] for m in ROW.finditer(done.stdout)}
    assert set(rows) == {"plain", "bare", "tact", "text"}
    for _mode, (rps, _p50, _p99, checked, wrong, failed) in rows.items():
        assert float(rps) > 0 and int(checked) > 0
        assert (wrong, failed) == ("0", "0")
    assert ("data keys: not cached" in done.stdout) == (keys == "cold")
    filled = 2500 if keys == "cold" else 0
    assert ("access log: 2,500 entries before the run" in done.stdout) == bool(filled)
    verified = re.search(r"^access log: OK: (\d+) entries", done.stdout, re.M)
    assert verified and int(verified.group(1)) > filled
    # the run's own entries are counted after the filled ones, not with them
    counted = re.search(r"^access log: (\d+) allowed status entries .*: OK$", done.stdout, re.M)
    assert counted and int(counted.group(1)) <= int(verified.group(1)) - filled


# -- the bare route does the portal query's work ------------------------------------------


@pytest.fixture
async def clients(
    runtime: Runtime,  # noqa: F811
    clock: FixedClock,  # noqa: F811
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    base = "http://tact.test"
    tact = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(runtime, clock=clock)))
    bare = httpx.AsyncClient(transport=httpx.ASGITransport(bare_app(runtime, clock)))
    tact.base_url = bare.base_url = httpx.URL(base)
    async with tact, bare:
        yield tact, bare


async def _entries_after(started: Runtime, seq: int) -> list[dict[str, Any]]:
    """Entries past `seq`, without their place in the chain (seq and hashes) or their time
    (the gate stamps entries by its own clock, the bare route by the app's)."""
    async with started.database.sessions() as session:
        rows = await session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.seq > seq).order_by(AccessLogEntry.seq)
        )
        kept = (
            *("actor", "role", "operation", "service", "case_id", "customer_id"),
            *("fields", "outcome", "reason", "request_id"),
        )
        return [{name: getattr(row, name) for name in kept} for row in rows]


async def test_the_bare_route_answers_and_logs_as_restriction_status_does(
    runtime: Runtime,  # noqa: F811
    clock: FixedClock,  # noqa: F811
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    world = await build_portal_world(runtime, clock.now)
    tact, bare = clients
    asked = [
        (EMAIL, "housing", world.housing_key),  # two arrangements in force
        (EMAIL, "customer-services", world.housing_key),  # known, none in that service
        (QUIET_EMAIL, "housing", world.housing_key),
        (UNKNOWN_EMAIL, "housing", world.housing_key),
        (EMAIL, "housing", world.fire_key),  # a service outside the key's scope
    ]
    seq = len(await _entries_after(runtime, 0))
    for n, (email, service, key) in enumerate(asked):
        headers = {"Authorization": f"ApiKey {key}", "X-Request-ID": f"bench-{n}"}
        variables = {"l": {"email": email}, "s": service}
        by_tact = await tact.post(
            "/graphql", json={"query": STATUS, "variables": variables}, headers=headers
        )
        tact_entries = await _entries_after(runtime, seq)
        seq += len(tact_entries)
        by_bare = await bare.post(PATH, json={"email": email, "service": service}, headers=headers)
        bare_entries = await _entries_after(runtime, seq)
        seq += len(bare_entries)

        assert by_tact.headers["x-request-id"] == by_bare.headers["x-request-id"] == f"bench-{n}"
        if key == world.fire_key:
            assert by_tact.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert by_bare.status_code == 403
        else:
            assert by_bare.json() == by_tact.json()["data"]["restrictionStatus"]
        assert tact_entries and bare_entries == tact_entries
    restricted = (
        await bare.post(
            PATH,
            json={"email": EMAIL, "service": "housing"},
            headers={"Authorization": f"ApiKey {world.housing_key}"},
        )
    ).json()
    assert restricted["restricted"] is True and len(restricted["arrangements"]) == 2
