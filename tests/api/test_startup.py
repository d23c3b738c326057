"""Start-up: the key file is checked against the key store before anything is served, the
embedded default makes its own key file, production refuses the embedded defaults, an old
PostgreSQL schema is refused; `tact keys rotate` / `tact keys status`, which start the
same way from the environment; and processes starting at once on a fresh folder or fresh
databases, which all start, with one set of keys and one schema.

The commands call asyncio.run themselves, so each runs in a worker thread of the test.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from api.cli import main
from api.runtime import Runtime, StartupError
from api.settings import Settings
from records.crypto import KeyRing
from records.database import Database
from records.errors import KeyMaterialError
from records.migrate import is_up_to_date, upgrade
from records.vault import Vault

SETTINGS_ENV = ("DATA_DIR", "DATABASE_URL", "KEYSTORE_URL", "KEY_FILE", "ENVIRONMENT", "JWKS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets reaches Settings."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(f"TACT_{name}", raising=False)


async def start(**settings: object) -> Runtime:
    return await Runtime.start(Settings(**settings))  # type: ignore[arg-type]


async def start_and_close(**settings: object) -> None:
    runtime = await start(**settings)
    await runtime.close()


def copy_of(path: Path, to: Path) -> Path:
    to.write_bytes(path.read_bytes())
    return to


def contents(path: Path) -> bytes:
    return path.read_bytes()


def replace_with_another_key_file(path: Path) -> bytes:
    path.unlink()
    KeyRing.create_file(path)
    return path.read_bytes()


# -- the embedded default -----------------------------------------------------------------


async def test_first_start_generates_an_owner_only_key_file_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "tact-data"
    with caplog.at_level(logging.WARNING, logger="tact.startup"):
        runtime = await start(data_dir=data)
    try:
        key_file = data / "tact.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert runtime.vault.ring == KeyRing.load(key_file)
        assert set(await runtime.database.keystore.checks()) == {"kek:1", "index"}
    finally:
        await runtime.close()
    [warning] = [r for r in caplog.records if r.name == "tact.startup"]
    assert warning.levelno == logging.WARNING
    assert warning.__dict__["event"] == "key_file_generated"
    assert "local use only" in warning.getMessage()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tact.startup"):
        await start_and_close(data_dir=data)  # second start: the same file, no warning
    assert [r for r in caplog.records if r.name == "tact.startup"] == []


async def test_a_lost_key_file_is_not_replaced_when_the_key_store_exists(tmp_path: Path) -> None:
    await start_and_close(data_dir=tmp_path)
    (tmp_path / "tact.key").unlink()
    with pytest.raises(KeyMaterialError) as caught:
        await start(data_dir=tmp_path)
    assert "key file not found" in caught.value.message
    assert "restore the key file" in caught.value.message
    assert not (tmp_path / "tact.key").exists()


# -- wrong, missing and malformed key files -----------------------------------------------


async def test_a_key_file_made_for_another_key_store_fails_at_start_up(tmp_path: Path) -> None:
    await start_and_close(data_dir=tmp_path)
    other = tmp_path / "other.key"
    KeyRing.create_file(other)
    with pytest.raises(KeyMaterialError) as caught:
        await start(data_dir=tmp_path, key_file=other)
    assert caught.value.message == (
        "the key file does not match the key store (KEK version 1): wrong key file, "
        "or the key store belongs to another installation"
    )
    await start_and_close(data_dir=tmp_path)  # the right one still starts


async def test_a_missing_explicit_key_file_fails_and_is_not_generated(tmp_path: Path) -> None:
    absent = tmp_path / "secrets" / "tact.key"
    with pytest.raises(KeyMaterialError, match="key file not found"):
        await start(data_dir=tmp_path, key_file=absent)
    assert not absent.exists()
    assert not (tmp_path / "tact.key").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "not valid JSON"),
        ("keks = 1", "not valid JSON"),
        ('{"format": "tact-keys/1", "keks": {}}', "at least one key version"),
        (
            '{"format": "tact-keys/1", "keks": {"1": "c2hvcnQ="}, "active_kek": 1}',
            "KEK version 1 must be 32 bytes",
        ),
    ],
)
async def test_a_malformed_key_file_fails_naming_the_problem(
    tmp_path: Path, content: str, problem: str
) -> None:
    key_file = tmp_path / "bad.key"
    key_file.write_text(content)
    with pytest.raises(KeyMaterialError) as caught:
        await start(data_dir=tmp_path, key_file=key_file)
    assert problem in caught.value.message


async def test_a_key_file_lacking_a_version_the_key_store_uses_fails(tmp_path: Path) -> None:
    key_file = tmp_path / "tact.key"
    KeyRing.create_file(key_file)
    older = copy_of(key_file, tmp_path / "older.key")
    KeyRing.add_kek_version(key_file)
    await start_and_close(data_dir=tmp_path, key_file=key_file)
    with pytest.raises(KeyMaterialError) as caught:
        await start(data_dir=tmp_path, key_file=older)
    assert caught.value.message == "the key store uses KEK version 2, which the key file lacks"


# -- production and PostgreSQL ------------------------------------------------------------


def test_production_refuses_the_embedded_defaults() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(environment="production")  # type: ignore[arg-type]
    message = str(caught.value)
    for name in ("TACT_DATABASE_URL", "TACT_KEYSTORE_URL", "TACT_KEY_FILE", "TACT_JWKS"):
        assert name in message


def test_production_refuses_a_partly_explicit_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TACT_ENVIRONMENT", "production")
    monkeypatch.setenv("TACT_DATABASE_URL", "postgresql://db.internal/tact")
    monkeypatch.setenv("TACT_KEYSTORE_URL", "postgresql://keys.internal/tact")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "TACT_KEY_FILE, TACT_JWKS" in str(caught.value)
    monkeypatch.setenv("TACT_KEY_FILE", "/run/secrets/tact.key")
    monkeypatch.setenv("TACT_JWKS", "https://idp.example.org/jwks.json")
    assert not Settings().embedded


async def test_an_explicit_migrated_database_starts_without_migrating(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    cases_url, keys_url = database_urls
    runtime = await Runtime.start(
        Settings(
            data_dir=tmp_path, database_url=cases_url, keystore_url=keys_url, key_file=key_file
        )
    )
    try:
        await runtime.database.ping()
        assert set(await runtime.database.keystore.checks()) == {"kek:1", "index"}
    finally:
        await runtime.close()


@asynccontextmanager
async def new_postgres_database(pg_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database on the test server, dropped after."""
    server, _, _ = pg_urls[0].rpartition("/")
    name = f"tact_test_empty_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{name}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def unmigrated_postgres(pg_urls: tuple[str, str]) -> AsyncIterator[str]:
    async with new_postgres_database(pg_urls) as url:
        yield url


@pytest.fixture
async def fresh_postgres_pair(pg_urls: tuple[str, str]) -> AsyncIterator[tuple[str, str]]:
    """(cases URL, keys URL) of two new, empty PostgreSQL databases."""
    async with new_postgres_database(pg_urls) as cases, new_postgres_database(pg_urls) as keys:
        yield cases, keys


async def test_an_unmigrated_postgres_database_is_refused_with_the_command_to_run(
    unmigrated_postgres: str, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {
        "data_dir": tmp_path,
        "database_url": unmigrated_postgres,
        "keystore_url": f"sqlite:///{tmp_path / 'keys.db'}",
        "key_file": key_file,
    }
    with pytest.raises(StartupError) as caught:
        await start(**settings)
    assert "run `tact db upgrade` first" in caught.value.message

    for name, value in settings.items():
        monkeypatch.setenv(f"TACT_{name.upper()}", str(value))
    result = await tact("keys", "status")
    assert result.exit_code == 1
    assert "run `tact db upgrade` first" in result.output


# -- tact keys ----------------------------------------------------------------------------


async def tact(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


@pytest.fixture
def keys_env(
    database_urls: tuple[str, str], key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment of `tact keys`: the embedded default in tmp_path on SQLite (the test
    databases and key file are exactly its files), explicit settings on PostgreSQL."""
    monkeypatch.setenv("TACT_DATA_DIR", str(tmp_path))
    cases_url, keys_url = database_urls
    if cases_url.startswith("postgresql"):
        monkeypatch.setenv("TACT_DATABASE_URL", cases_url)
        monkeypatch.setenv("TACT_KEYSTORE_URL", keys_url)
        monkeypatch.setenv("TACT_KEY_FILE", str(key_file))
    else:
        settings = Settings()
        assert (settings.resolved_database_url, settings.resolved_keystore_url) == database_urls
        assert settings.resolved_key_file == key_file


async def seal_summaries(vault: Vault, count: int) -> dict[uuid.UUID, bytes]:
    sealed = {}
    for n in range(count):
        case_id = uuid.uuid4()
        cipher = await vault.create_key("case", case_id)
        sealed[case_id] = cipher.seal("cases", "summary_sealed", case_id, f"summary {n}")
    return sealed


@pytest.mark.usefixtures("keys_env")
async def test_keys_rotate_adds_a_version_and_rewraps_every_data_key(
    vault: Vault, database: Database, key_file: Path
) -> None:
    sealed = await seal_summaries(vault, 12)

    result = await tact("keys", "rotate", "--batch", "5")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "added KEK version 2 to the key file; it is now active"
    assert lines[1] == "re-wrapping 12 data keys under KEK version 2"
    assert [line for line in lines if line.startswith("re-wrapped ")] == [
        "re-wrapped 5/12 data keys",
        "re-wrapped 10/12 data keys",
        "re-wrapped 12/12 data keys",
    ]
    assert lines[-3:] == [
        "active KEK version: 2",
        "KEK version 1: 0 data keys",
        "KEK version 2: 12 data keys",
    ]
    ring = KeyRing.load(key_file)
    assert ring.active_kek == 2
    assert await database.keystore.count_by_version() == {2: 12}
    ring.verify_key_check(2, (await database.keystore.checks())["kek:2"])
    fresh = Vault(ring, database.keystore)
    for n, (case_id, value) in enumerate(sealed.items()):
        cipher = await fresh.cipher("case", case_id)
        assert cipher.open("cases", "summary_sealed", case_id, value) == f"summary {n}"


@pytest.mark.usefixtures("keys_env")
async def test_keys_rotate_without_a_new_version_finishes_an_earlier_rotation(
    vault: Vault, database: Database, key_file: Path
) -> None:
    await seal_summaries(vault, 3)  # wrapped under version 1 by a process not yet reloaded
    KeyRing.add_kek_version(key_file)
    before = contents(key_file)

    result = await tact("keys", "rotate", "--no-new-version")

    assert result.exit_code == 0, result.output
    assert "added KEK version" not in result.output
    assert "re-wrapping 3 data keys under KEK version 2" in result.output
    assert contents(key_file) == before
    assert await database.keystore.count_by_version() == {2: 3}


@pytest.mark.usefixtures("keys_env")
async def test_keys_status_counts_data_keys_per_version(
    vault: Vault, database: Database, key_file: Path
) -> None:
    await seal_summaries(vault, 4)
    KeyRing.add_kek_version(key_file)
    newer = Vault(KeyRing.load(key_file), database.keystore)
    await newer.check_keys()
    await seal_summaries(newer, 2)

    result = await tact("keys", "status")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "active KEK version: 2",
        "KEK version 1: 4 data keys",
        "KEK version 2: 2 data keys",
    ]


@pytest.mark.usefixtures("keys_env")
async def test_keys_rotate_with_a_wrong_key_file_changes_nothing(
    vault: Vault, database: Database, key_file: Path
) -> None:
    stranger = replace_with_another_key_file(key_file)

    result = await tact("keys", "rotate")

    assert result.exit_code == 1
    assert "Error: the key file does not match the key store" in result.output
    assert contents(key_file) == stranger  # no version was added to it
    assert set(await database.keystore.checks()) == {"kek:1", "index"}


async def test_keys_status_on_a_fresh_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TACT_DATA_DIR", str(tmp_path / "data"))
    result = await tact("keys", "status")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["active KEK version: 1", "KEK version 1: 0 data keys"]
    assert (tmp_path / "data" / "tact.key").exists()


def test_bad_settings_name_the_variable_and_never_repeat_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TACT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TACT_DATABASE_URL", "postgresql://tact:s3cret-pw@db.invalid/tact")
    monkeypatch.setenv("TACT_TOKEN_LIFETIME_MINUTES", "forever-s3cret")

    result = CliRunner().invoke(main, ["keys", "status"])

    assert result.exit_code == 1
    assert "TACT_TOKEN_LIFETIME_MINUTES" in result.output
    assert "s3cret" not in result.output


# -- several processes starting at once -------------------------------------------------------


def _start(attempts: list[dict[str, str]], upgrade_first: bool, barrier: Any, results: Any) -> None:
    """One process's starts, one for each of `attempts` (its settings), each at the barrier's
    signal with the others: `tact db upgrade` first when asked, then the start-up every
    command and server makes. Puts, with the attempt's number, what it started with (the key
    file's hash, the signing key's id, the schema at head), or the error's name."""
    for attempt, settings in enumerate(attempts):
        barrier.wait()
        try:
            if upgrade_first:
                upgrade(settings["database_url"])
            found = asyncio.run(_started(Settings(**settings)))  # type: ignore[arg-type]
        except Exception as exc:
            found = ("failed", type(exc).__name__, str(exc)[:300])
        results.put((attempt, found))


async def _started(settings: Settings) -> tuple[str, str, bool]:
    runtime = await Runtime.start(settings)
    try:
        up_to_date = await is_up_to_date(runtime.database)
        key_file = hashlib.sha256(settings.resolved_key_file.read_bytes()).hexdigest()
        return key_file, runtime.gate.signer.key_id, up_to_date
    finally:
        await runtime.close()


def all_at_once(
    attempts: list[dict[str, str]], processes: int, *, upgrade_first: bool
) -> list[list[Any]]:
    """For each attempt (its settings), what each of `processes` processes started with,
    started at the same moment. The same processes make every attempt: starting (and
    importing Tact in) a process took most of the time, and is not what is raced."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    started = [
        context.Process(target=_start, args=(attempts, upgrade_first, barrier, results))
        for _ in range(processes)
    ]
    for process in started:
        process.start()
    found: list[list[Any]] = [[] for _ in attempts]
    for _ in range(processes * len(attempts)):
        attempt, result = results.get(timeout=120)
        found[attempt].append(result)
    for process in started:
        process.join(timeout=60)
    return found


@pytest.mark.slow
def test_processes_starting_at_once_on_a_fresh_embedded_default_all_start(
    tmp_path: Path,
) -> None:
    # Given fresh data folders, and processes that start on each at the same moment (as
    # `tact retention run` twice, or a server and a command, on first start)
    attempts = [{"data_dir": str(tmp_path / f"attempt-{n}")} for n in range(3)]
    # When each starts
    for found in all_at_once(attempts, 4, upgrade_first=False):
        # Then none fails (none reads a key file another is still writing, nor trips on one
        # another made after it looked, nor runs a migration another has applied), and all
        # use the same keys and the schema at head
        assert len(found) == 4 and len(set(found)) == 1, found
        assert found[0][0] != "failed" and found[0][2] is True


@pytest.mark.slow
def test_processes_upgrading_and_starting_at_once_on_fresh_postgres_all_start(
    fresh_postgres_pair: tuple[str, str], key_file: Path, tmp_path: Path
) -> None:
    # Given fresh case and key databases on PostgreSQL, and processes that each run
    # `tact db upgrade` and start at the same moment
    cases_url, keys_url = fresh_postgres_pair
    settings = {
        "data_dir": str(tmp_path / "data"),
        "database_url": cases_url,
        "keystore_url": keys_url,
        "key_file": str(key_file),
    }
    # When each upgrades and starts
    (found,) = all_at_once([settings], 4, upgrade_first=True)
    # Then all start, on the schema at head, with the same keys
    assert len(set(found)) == 1, found
    assert found[0][0] != "failed" and found[0][2] is True
