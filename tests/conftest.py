"""Shared fixtures. Every test that touches storage takes `database` (or a fixture built on
it) and so runs twice: on SQLite, and on PostgreSQL when TACT_TEST_DATABASE_URL is set.

PostgreSQL: one pair of databases (cases, keys) is made per test run on the server the URL
names, migrated once, emptied after each test and dropped at the end. SQLite: each test gets
a copy of a migrated template file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from records.crypto import KeyRing
from records.database import Database
from records.keystore import KeyBase
from records.migrate import upgrade
from records.tables import metadata
from records.vault import Vault

PG_URL = os.environ.get("TACT_TEST_DATABASE_URL", "")
PG_SKIPPED = "PostgreSQL: TACT_TEST_DATABASE_URL is not set"  # every such skip's reason


def _pg_admin_dsn() -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_urls() -> Iterator[tuple[str, str]]:
    """(cases URL, keys URL) of this run's PostgreSQL databases."""
    if not PG_URL:
        pytest.skip(PG_SKIPPED)
    suffix = uuid.uuid4().hex[:10]
    cases, keys = f"tact_test_{suffix}", f"tact_test_{suffix}_keys"
    asyncio.run(_pg_execute(f'CREATE DATABASE "{cases}"'))
    asyncio.run(_pg_execute(f'CREATE DATABASE "{keys}"'))
    cases_url = _with_database(_pg_admin_dsn(), cases)
    keys_url = _with_database(_pg_admin_dsn(), keys)
    upgrade(cases_url)
    try:
        yield cases_url, keys_url
    finally:
        for name in (cases, keys):
            asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "cases.db"
    upgrade(f"sqlite:///{path}")
    return path


def _sqlite_urls(template: Path, folder: Path) -> tuple[str, str]:
    shutil.copy(template, folder / "cases.db")
    return f"sqlite:///{folder / 'cases.db'}", f"sqlite:///{folder / 'keys.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(cases URL, keys URL), migrated and empty, for this test and this backend."""
    if request.param == "sqlite":
        return _sqlite_urls(request.getfixturevalue("sqlite_template"), tmp_path)
    if not PG_URL:
        pytest.skip(PG_SKIPPED)
    urls: tuple[str, str] = request.getfixturevalue("pg_urls")
    return urls


async def _empty_postgres(database: Database) -> None:
    """DELETE, children first, rather than TRUNCATE: on a test's handful of rows it takes
    milliseconds where TRUNCATE of every table took about a fifth of a second (new files for
    each table, synced), which was paid after every PostgreSQL test."""
    for engine, tables in (
        (database.engine, metadata.sorted_tables),
        (database.keystore.engine, KeyBase.metadata.sorted_tables),
    ):
        async with engine.begin() as conn:
            for table in reversed(tables):
                await conn.execute(table.delete())


@pytest.fixture
async def database(database_urls: tuple[str, str]) -> AsyncIterator[Database]:
    cases_url, keys_url = database_urls
    db = Database.open(cases_url, keys_url)
    await db.keystore.create_schema()
    try:
        yield db
    finally:
        if db.engine.dialect.name == "postgresql":
            await _empty_postgres(db)
        await db.dispose()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "tact.key"
    KeyRing.create_file(path)
    return path


@pytest.fixture
async def vault(database: Database, key_file: Path) -> Vault:
    v = Vault(KeyRing.load(key_file), database.keystore, reload_ring=lambda: KeyRing.load(key_file))
    await v.check_keys()
    return v


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PG_URL:
        # Counted from the skips' reports, which reach this process from pytest-xdist's
        # workers too (`make test` runs two).
        reports = terminalreporter.stats.get("skipped", [])
        skipped = sum(PG_SKIPPED in str(getattr(r, "longrepr", "")) for r in reports)
        terminalreporter.write_line(
            "PostgreSQL half SKIPPED: TACT_TEST_DATABASE_URL is not set, so "
            f"{skipped} PostgreSQL test(s) did not run. Set it (for example "
            "postgresql://postgres@127.0.0.1:5432/test) to run them.",
            yellow=True,
            bold=True,
        )
