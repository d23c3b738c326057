"""Storage faults at the edge, over real HTTP: a server on a log with a forged head says why in
its log and /readyz; PostgreSQL backends terminated under load give 503 + Retry-After (never
a plain 500 or INTERNAL in a 200), every answer served has its access-log entry, the chain
verifies, and the server recovers by itself; a server killed with SIGKILL mid-write leaves
a chain that verifies."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from api.app import create_app
from api.cli import main
from api.runtime import Runtime
from records.keystore import KEY_READERS
from records.models import AccessLogEntry
from records.readers import APPLICATION_NAME
from records.writer import APPLICATION_NAME as LOG_WRITER
from tests.api.app_fixtures import FixedClock, app_settings
from tests.api.portal_world import EMAIL, PortalWorld, api_key, build_portal_world
from tests.api.test_restriction_status import ask
from tests.authz.test_log_forged import forge_head
from tests.live_server import tact_serve


@pytest.fixture
async def world(runtime: Runtime, clock: FixedClock) -> PortalWorld:
    return await build_portal_world(runtime, clock.now)


async def entries_by_request(runtime: Runtime) -> set[str]:
    async with runtime.database.sessions() as session:
        found = await session.scalars(select(AccessLogEntry.request_id))
        return {r for r in found if r is not None}


def verify_exit(env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify"], env=env, catch_exceptions=False)
    return result.exit_code, result.output


def env_of(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    return {
        "TACT_DATA_DIR": str(settings.data_dir),
        "TACT_DATABASE_URL": settings.resolved_database_url,
        "TACT_KEYSTORE_URL": settings.resolved_keystore_url,
        "TACT_KEY_FILE": str(settings.resolved_key_file),
        "TACT_LOG_LEVEL": "WARNING",
    }


# -- a forged head (issue 16, item 6) ------------------------------------------------------


async def test_a_server_on_a_forged_head_says_why_in_its_log_and_readyz(
    client: httpx.AsyncClient,
    world: PortalWorld,
    runtime: Runtime,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(3):
        assert (await ask(client, {"email": EMAIL}, headers=api_key(world.housing_key))).is_success
    await forge_head(runtime.database)

    with caplog.at_level(logging.ERROR, logger="tact.audit"):
        restarted = await Runtime.start(
            app_settings(tmp_path, database_urls, key_file), migrate=False
        )
    try:
        assert any(r.__dict__.get("event") == "access_log_head_broken" for r in caplog.records)
        app = create_app(restarted, clock=clock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            ready = await http.get("/readyz")
            answer = await ask(http, {"email": EMAIL}, headers=api_key(world.housing_key))
    finally:
        await restarted.close()

    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "reason": "the access log cannot be appended to",
    }
    assert answer.status_code == 503
    assert answer.headers["retry-after"].isdigit()
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "access log" in error["message"]
    assert EMAIL not in answer.text


# -- a real server process -----------------------------------------------------------------


def payload() -> dict[str, Any]:
    from tests.api.test_restriction_status import STATUS

    return {"query": STATUS, "variables": {"lookup": {"email": EMAIL}, "service": "housing"}}


async def terminate_backends(cases_url: str) -> int:
    """pg_terminate_backend on every other connection to this test's case database only."""
    database = cases_url.rpartition("/")[2]
    conn = await asyncpg.connect(cases_url)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    return len(rows)


def check_answer(response: httpx.Response) -> bool:
    """True for a served answer; a refusal must be a JSON 503 with Retry-After."""
    if response.status_code == 200:
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["restrictionStatus"]["restricted"] is True
        return True
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["retry-after"].isdigit()
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    return False


@pytest.mark.slow
@pytest.mark.postgres
async def test_terminated_backends_under_load_answer_503_and_recover(
    world: PortalWorld, runtime: Runtime
) -> None:
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("terminating backends is a PostgreSQL fault")
    env = env_of(runtime)
    served: list[str] = []
    refused = terminated = 0
    async with tact_serve(env) as (base, _), httpx.AsyncClient(base_url=base) as http:
        headers = api_key(world.housing_key)
        for round_ in range(12):
            answers = await asyncio.gather(
                *(http.post("/graphql", json=payload(), headers=headers) for _ in range(8)),
                terminate_backends(env["TACT_DATABASE_URL"]) if round_ % 2 == 0 else _nothing(),
            )
            terminated += answers[-1]
            for response in answers[:-1]:
                if check_answer(response):
                    served.append(response.headers["x-request-id"])
                else:
                    refused += 1
        # Recovery by itself: with the faults over, the next requests are served.
        assert (await http.get("/readyz")).status_code == 200
        after = await http.post("/graphql", json=payload(), headers=headers)
        assert check_answer(after)
        served.append(after.headers["x-request-id"])

    assert terminated > 0
    assert len(served) > 12 * 8 // 2
    logged = await entries_by_request(runtime)
    assert set(served) <= logged  # every answer served has its access-log entry
    code, output = await asyncio.to_thread(verify_exit, env)
    assert code == 0, output


async def _nothing() -> int:
    return 0


@pytest.mark.slow
async def test_a_server_killed_mid_write_leaves_a_chain_that_verifies(
    world: PortalWorld, runtime: Runtime
) -> None:
    env = env_of(runtime)
    served: list[str] = []
    headers = api_key(world.housing_key)
    async with tact_serve(env) as (base, server), httpx.AsyncClient(base_url=base) as http:
        for _ in range(2):
            for response in await asyncio.gather(
                *(http.post("/graphql", json=payload(), headers=headers) for _ in range(8))
            ):
                assert check_answer(response)
                served.append(response.headers["x-request-id"])
        # SIGKILL while a burst of lookups (and their entries) is in flight.
        burst = [
            asyncio.create_task(http.post("/graphql", json=payload(), headers=headers))
            for _ in range(16)
        ]
        await asyncio.wait(burst, return_when=asyncio.FIRST_COMPLETED)
        server.send_signal(signal.SIGKILL)
        for outcome in await asyncio.gather(*burst, return_exceptions=True):
            if isinstance(outcome, httpx.Response) and check_answer(outcome):
                served.append(outcome.headers["x-request-id"])

    assert set(served) <= await entries_by_request(runtime)
    # Nothing half-written: the chain verifies, and `tact audit verify` appends its own entry
    # to it (the next write after the kill) and signs the head.
    code, output = await asyncio.to_thread(verify_exit, env)
    assert code == 0, output
    assert (await asyncio.to_thread(verify_exit, env))[0] == 0


@asynccontextmanager
async def refusing_connections(cases_url: str) -> AsyncIterator[None]:
    """This test's case database only: no new connections, and the open ones terminated."""
    database = cases_url.rpartition("/")[2]
    admin = cases_url.rpartition("/")[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            database,
        )
        yield
    finally:
        await conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        await conn.close()


@pytest.mark.postgres
async def test_an_unreachable_database_gets_503_then_recovers_by_itself(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("refusing connections is a PostgreSQL fault")
    headers = api_key(world.housing_key)
    first = await ask(client, {"email": EMAIL}, headers=headers)
    assert check_answer(first)

    async with refusing_connections(runtime.settings.resolved_database_url):
        down = await ask(client, {"email": EMAIL}, headers=headers)
        not_ready = await client.get("/readyz")

    assert not check_answer(down)  # 503, Retry-After, JSON, code UNAVAILABLE
    assert "Internal error" not in down.text
    assert not_ready.status_code == 503
    again = await ask(client, {"email": EMAIL}, headers=headers)
    assert check_answer(again)
    logged = await entries_by_request(runtime)
    assert {first.headers["x-request-id"], again.headers["x-request-id"]} <= logged


@pytest.mark.postgres
async def test_a_read_whose_connection_is_lost_is_run_again_on_a_fresh_one(
    client: httpx.AsyncClient,
    world: PortalWorld,
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server terminates the request's backend just as its first query is sent (the
    portal key's, on a fresh app; a real pg_terminate_backend from another connection,
    once): the request is run again on a fresh connection and answered, not INTERNAL."""
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL fault")
    admin = runtime.settings.resolved_database_url
    armed = [True]

    def terminate_own_backend(conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if armed[0] and "portal_keys" in statement:
            armed[0] = False
            pid = conn.connection.dbapi_connection._connection.get_server_pid()
            subprocess.run(
                ["psql", admin, "-qAtc", f"SELECT pg_terminate_backend({pid})"],
                check=True,
                capture_output=True,
            )

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", terminate_own_backend)
    try:
        with caplog.at_level(logging.WARNING, logger="tact.faults"):
            response = await ask(client, {"email": EMAIL}, headers=api_key(world.housing_key))
    finally:
        event.remove(engine, "before_cursor_execute", terminate_own_backend)

    assert not armed[0]  # the fault happened
    assert check_answer(response)
    assert [r.__dict__.get("event") for r in caplog.records].count("db_retry") == 1
    assert response.headers["x-request-id"] in await entries_by_request(runtime)


@pytest.mark.postgres
async def test_a_lookup_whose_reader_connection_was_ended_is_read_again(
    client: httpx.AsyncClient,
    world: PortalWorld,
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lookup's own connections (records/readers.py) are ended by the server between two
    lookups (a real pg_terminate_backend): the next lookup is read again on a fresh
    connection and answered, never INTERNAL."""
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL fault")
    headers = api_key(world.housing_key)
    assert check_answer(await ask(client, {"email": EMAIL}, headers=headers))
    end_readers = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()"
    )

    with caplog.at_level(logging.WARNING, logger="tact.readers"):
        ended = end_connections(runtime, end_readers)
        response = await ask(client, {"email": EMAIL}, headers=headers)

    assert ended >= 1  # the readers had a connection open
    assert check_answer(response)
    retries = [r.__dict__.get("event") for r in caplog.records if r.name == "tact.readers"]
    assert retries == ["db_retry"]
    assert response.headers["x-request-id"] in await entries_by_request(runtime)


@pytest.mark.postgres
async def test_a_lookup_after_the_key_stores_connections_were_ended_is_answered(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    """The key store's own reader connections (records/keystore.py) are ended by the server
    between two lookups whose case key is not cached (a real pg_terminate_backend): the next
    lookup reads the key on a fresh connection and is answered, never INTERNAL. (Whether
    asyncpg notices the end before the read, or the read is run again, depends on what the
    loop did first: both are fine.)"""
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL fault")
    headers = api_key(world.housing_key)
    case_key = f"case:{world.case_id}"
    runtime.vault.forget(case_key)  # so that the first lookup reads the key store too
    assert check_answer(await ask(client, {"email": EMAIL}, headers=headers))
    end_key_readers = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE application_name = '{KEY_READERS}' AND datname = current_database()"
    )

    runtime.vault.forget(case_key)
    ended = end_connections(runtime, end_key_readers, runtime.settings.resolved_keystore_url)
    response = await ask(client, {"email": EMAIL}, headers=headers)

    assert ended >= 1  # the key reads had a connection open
    assert response.status_code == 200 and check_answer(response)


@pytest.mark.postgres
async def test_a_lookup_after_the_log_writers_connection_was_ended_is_answered_and_logged(
    client: httpx.AsyncClient, world: PortalWorld, runtime: Runtime
) -> None:
    """The group commit's own connection (records/writer.py) is ended by the server between
    two lookups (a real pg_terminate_backend): the next lookup is answered, and its entry
    written on a fresh connection. (A connection ended in the middle of a batch is
    tests/records/test_writer.py's.)"""
    if runtime.database.engine.dialect.name != "postgresql":
        pytest.skip("terminating a backend is a PostgreSQL fault")
    headers = api_key(world.housing_key)
    assert check_answer(await ask(client, {"email": EMAIL}, headers=headers))
    end_writer = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE application_name = '{LOG_WRITER}' AND datname = current_database()"
    )

    ended = end_connections(runtime, end_writer)
    response = await ask(client, {"email": EMAIL}, headers=headers)

    assert ended == 1  # the writer's one connection
    assert check_answer(response)
    assert response.headers["x-request-id"] in await entries_by_request(runtime)


def end_connections(runtime: Runtime, statement: str, database_url: str | None = None) -> int:
    """Run `statement` (a count of pg_terminate_backend) from psql, another process, on the
    case database or `database_url`. Blocking on purpose: the event loop cannot notice the
    end before the next request."""
    url = database_url or runtime.settings.resolved_database_url
    ended = subprocess.run(
        ["psql", url, "-qAtc", statement],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(ended.stdout)
