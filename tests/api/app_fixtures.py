"""Fixtures for tests of the app over real HTTP: a Runtime on the test's databases (SQLite,
and PostgreSQL when configured), the app on it with a fixed clock, and an httpx client
through httpx.ASGITransport. Imported by tests/api/conftest.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.runtime import Runtime
from api.settings import Settings
from records.database import Database

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@dataclass
class FixedClock:
    """A controllable clock: tests move it, nothing sleeps."""

    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def app_settings(
    tmp_path: Path, database_urls: tuple[str, str], key_file: Path, **changes: Any
) -> Settings:
    cases_url, keys_url = database_urls
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": cases_url,
        "keystore_url": keys_url,
        "key_file": key_file,
        "jwks": None,
        **changes,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@asynccontextmanager
async def started_runtime(
    tmp_path: Path, database_urls: tuple[str, str], key_file: Path, **changes: Any
) -> AsyncIterator[Runtime]:
    """A Runtime started on the test's databases with `changes` to the settings, closed after."""
    started = await Runtime.start(
        app_settings(tmp_path, database_urls, key_file, **changes), migrate=False
    )
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def runtime(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Runtime]:
    """A started Runtime on this test's databases (`database` empties PostgreSQL after)."""
    async with started_runtime(tmp_path, database_urls, key_file) as started:
        yield started


@pytest.fixture
def app(runtime: Runtime, clock: FixedClock) -> Starlette:
    return create_app(runtime, clock=clock)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        yield http
