"""One gate for every face: a page view of the panel and the `tact` access commands each
leave their access-log entry, as the operator or the signed-in member of staff, and the
log still verifies. The commands run through click's CliRunner on the test's databases."""

from __future__ import annotations

import getpass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.runtime import Runtime
from authz.log_verify import verify
from records.database import Database
from records.models import AccessLogEntry, PortalKey
from tests.admin.conftest import PASSWORD, sign_in
from tests.cli import Env, tact, tact_env

OPERATOR = f"system:{getpass.getuser()}"


@pytest.fixture
def env(database_urls: tuple[str, str], key_file: Path, tmp_path: Path, runtime: Runtime) -> Env:
    """The same databases, key file and data folder (so the same access-log key) as the app."""
    return tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)


async def log_of(database: Database) -> list[AccessLogEntry]:
    async with database.sessions() as session:
        rows = await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.seq))
        return list(rows.all())


async def test_a_staff_page_view_and_a_cli_revoke_each_leave_an_entry_and_the_log_verifies(
    client: httpx.AsyncClient,
    panel_staff: None,
    database: Database,
    runtime: Runtime,
    env: Env,
) -> None:
    created = await tact(env, "portal-key", "create", "--name", "Portal", "--service", "housing")
    assert created.exit_code == 0, created.output
    async with database.sessions() as session:
        prefix = await session.scalar(select(PortalKey.prefix))
    assert prefix is not None

    await sign_in(client, "panel.admin")
    assert (await client.get("/admin/staff")).status_code == 200
    revoked = await tact(env, "portal-key", "revoke", prefix)
    assert revoked.exit_code == 0, revoked.output

    log = [(e.actor, e.operation, e.outcome, e.role) for e in await log_of(database)]
    assert log == [
        (OPERATOR, "manage_portal_keys", "allowed", "admin"),  # create
        ("staff:panel.admin", "manage_staff", "allowed", "admin"),  # the page view
        (OPERATOR, "manage_portal_keys", "allowed", "admin"),  # revoke
    ]
    async with database.sessions() as session:
        assert (await verify(session, runtime.gate.signer)).ok
    checked = await tact(env, "audit", "verify")
    assert checked.exit_code == 0, checked.output


async def test_set_password_is_prompted_twice_and_gated(
    client: httpx.AsyncClient, panel_staff: None, database: Database, env: Env
) -> None:
    new = "another long password"
    mismatch = await tact(env, "staff", "set-password", "panel.ig", given=f"{new}\nother\n")
    assert mismatch.exit_code != 0  # click asks again, then runs out of input
    short = await tact(env, "staff", "set-password", "panel.ig", given="short\nshort\n")
    assert short.exit_code == 1 and "12" in short.output
    done = await tact(env, "staff", "set-password", "panel.ig", given=f"{new}\n{new}\n")
    assert done.exit_code == 0, done.output
    assert new not in done.output
    assert (await sign_in(client, "panel.ig", PASSWORD)).status_code == 400
    assert (await sign_in(client, "panel.ig", new)).status_code == 302
    [entry] = [e for e in await log_of(database) if e.actor == OPERATOR]
    assert (entry.operation, entry.outcome) == ("manage_staff", "allowed")


async def test_staff_and_policy_commands_are_logged_as_the_operator(
    panel_staff: None, database: Database, env: Env
) -> None:
    assert (await tact(env, "staff", "grant", "panel.ig", "manager@housing")).exit_code == 0
    assert (await tact(env, "staff", "revoke", "panel.ig", "manager@housing")).exit_code == 0
    last = await tact(env, "staff", "revoke", "panel.admin", "admin")
    assert last.exit_code == 1 and "no administrator" in last.output
    rule = ("policy", "add", "manager", "*", "member", "read_reports")
    assert (await tact(env, *rule)).exit_code == 0
    assert (await tact(env, "policy", "list", "--runtime-only")).exit_code == 0
    outcomes = [(e.operation, e.outcome, e.service) for e in await log_of(database)]
    assert outcomes == [
        ("manage_staff", "allowed", "housing"),
        ("manage_staff", "allowed", "housing"),
        ("manage_staff", "refused", None),  # refused by validation, inside the gate
        ("manage_staff", "allowed", None),
        ("manage_staff", "allowed", None),
    ]
    assert {e.actor for e in await log_of(database)} == {OPERATOR}
