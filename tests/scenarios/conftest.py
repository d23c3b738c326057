"""Scenario fixtures: `walk_factory` starts the app under a named profile on this test's
databases (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from records.database import Database
from tests.scenarios.world import Walk, walk_for

WalkFactory = Callable[[str, dt.date], AbstractAsyncContextManager[Walk]]


@pytest.fixture
def walk_factory(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> WalkFactory:
    def factory(profile: str, start: dt.date) -> AbstractAsyncContextManager[Walk]:
        return contextlib.asynccontextmanager(walk_for)(
            profile, tmp_path, database_urls, key_file, start
        )

    return factory


# A started Runtime on this test's databases: see tests/api/app_fixtures.py.
from tests.api.app_fixtures import runtime  # noqa: E402, F401
