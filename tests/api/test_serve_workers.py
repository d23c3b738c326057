"""`tact serve --workers 2`, as a person runs it: concurrent portal lookups spread over two
worker processes append to ONE access-log chain (`tact audit verify` passes, every lookup is
in it), and a rule added with `tact policy` reaches the workers' next lookups."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.demo_data import QUICK_START_EMAIL
from schema.document_ids import id_of
from tests.live_server import demo_server, without_tact_settings

LOOKUPS = 40


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Path, int, str]]:
    # Every request checks the policy version, so the test need not wait for a reload.
    env = without_tact_settings() | {
        "TACT_POLICY_RELOAD_SECONDS": "0", "TACT_LOOKUP_RATE_LIMIT_PER_MINUTE": "0"
    }  # fmt: skip
    output = tmp_path / "serve.out"
    with demo_server(tmp_path, "--workers", "2", env=env, output=output) as port:
        key = re.search(r"(tact_pk_\S+)", output.read_text()).group(1)  # type: ignore[union-attr]
        yield tmp_path, port, key


async def _lookups(port: int, key: str, count: int) -> list[httpx.Response]:
    variables = {"lookup": {"email": QUICK_START_EMAIL}, "service": "housing"}
    body = {"documentId": id_of("RestrictionStatus"), "variables": variables}
    # No keep-alive: each lookup is a new connection, which either worker may accept.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        return await asyncio.gather(
            *(
                http.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json=body,
                    headers={"Authorization": f"ApiKey {key}", "X-Request-ID": f"w-{n}"},
                )
                for n in range(count)
            )
        )


def _tact(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(folder / ".venv/bin/tact"), *args],
        cwd=folder, env=without_tact_settings(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_two_workers_keep_one_chain_and_take_a_policy_change(
    two_workers: tuple[Path, int, str],
) -> None:
    folder, port, key = two_workers
    answered = asyncio.run(_lookups(port, key, LOOKUPS))
    assert [r.status_code for r in answered] == [200] * LOOKUPS
    assert all(r.json()["data"]["restrictionStatus"]["restricted"] for r in answered)

    added = _tact(folder, "policy", "add", "portal", "housing", "member",
                  "restriction_status", "--deny")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    refused = asyncio.run(_lookups(port, key, LOOKUPS // 2))
    codes = {r.json()["errors"][0]["extensions"]["code"] for r in refused}
    assert codes == {"FORBIDDEN"}
    assert all(r.json()["data"] is None for r in refused)

    verified = _tact(folder, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for outcome, count in (("allowed", LOOKUPS), ("denied", LOOKUPS // 2)):
        shown = _tact(folder, "audit", "show", "--operation", "restriction_status",
                      "--outcome", outcome, "--limit", "500")  # fmt: skip
        lines = [line for line in shown.stdout.splitlines() if "portal:" in line]
        assert len(lines) == count and all(line.endswith(outcome) for line in lines)
