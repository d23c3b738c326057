"""TACT_DATA_KEY_CACHE_SECONDS over HTTP: a running server stops using a case's data key that
another process (the retention job) has shredded once the bound has passed, and the server's
lifespan sweeps expired keys out of its cache while it is idle. Real databases, the app as
`tact serve` builds it; the bounds are short here so the tests wait well under a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.runtime import Runtime
from records.crypto import KeyRing
from records.database import Database
from records.vault import Vault
from tests.api.app_fixtures import FixedClock, app_settings, started_runtime
from tests.api.portal_world import EMAIL, OFFICER, PortalWorld, api_key, build_portal_world
from tests.api.test_fast_path import ask

BOUND = 0.3  # seconds


@pytest.fixture
async def started(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    async with started_runtime(
        tmp_path, database_urls, key_file, data_key_cache_seconds=BOUND
    ) as runtime:
        yield runtime


def retention_process(database: Database, key_file: Path) -> Vault:
    """The vault of another process: its own ring, its own (empty) cache."""
    return Vault(KeyRing.load(key_file), database.keystore)


async def test_a_case_key_shredded_by_another_process_is_not_used_after_the_bound(
    started: Runtime, database: Database, key_file: Path, clock: FixedClock
) -> None:
    world = await build_portal_world(started, clock.now)
    transport = httpx.ASGITransport(app=create_app(started, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        first = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
        assert first.json()["data"]["restrictionStatus"]["restricted"] is True
        assert started.vault.holds(f"case:{world.case_id}")

        # The rows stay (the job deletes them first; here they stay to show the key is not
        # used): a backup restored under a server that still held the key would open them.
        assert await retention_process(database, key_file).shred("case", world.case_id)
        await asyncio.sleep(BOUND * 1.2)

        after = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    body = after.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert OFFICER not in after.text
    assert not started.vault.holds(f"case:{world.case_id}")


async def _lifespan(
    app: Any, messages: asyncio.Queue[dict[str, str]], started: asyncio.Event
) -> None:
    """The app's lifespan as uvicorn drives it."""

    async def send(message: dict[str, str]) -> None:
        if message["type"].endswith(".failed"):
            raise AssertionError(message)
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, messages.get, send)


async def test_the_server_drops_expired_keys_while_idle(
    database: Database,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`tact serve`'s app (its lifespan opens the runtime): a lookup reads a case key, then
    no request comes; the sweeping drops the key and says so (a count, no owner)."""
    changes = {"data_key_cache_seconds": BOUND}
    async with started_runtime(tmp_path, database_urls, key_file, **changes) as builder:
        world: PortalWorld = await build_portal_world(builder, clock.now)

    app = create_app(
        settings=app_settings(tmp_path, database_urls, key_file, **changes), clock=clock
    )
    messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})
    started = asyncio.Event()
    lifespan = asyncio.create_task(_lifespan(app, messages, started))
    caplog.set_level(logging.INFO, logger="tact.vault")
    try:
        await asyncio.wait_for(started.wait(), 30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            answer = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
        assert answer.json()["data"]["restrictionStatus"]["restricted"] is True

        dropped: list[logging.LogRecord] = []
        for _ in range(100):
            dropped = [r for r in caplog.records if getattr(r, "event", "") == "data_keys_expired"]
            if dropped:
                break
            await asyncio.sleep(0.05)
        assert dropped, "no sweep dropped the expired key"
        assert getattr(dropped[0], "count", 0) >= 1
        assert str(world.case_id) not in dropped[0].getMessage()
    finally:
        await messages.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(lifespan, 10)
