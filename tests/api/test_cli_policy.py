"""`tact policy`: run-time authorisation rules from the command line reach a running
process's decisions (a Gate reloading on the policy version), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from authz.actor import Actor, ActorKind, RoleGrant
from authz.gate import Gate, Target
from authz.operations import Operation
from records.database import Database
from records.errors import Forbidden
from records.models import Role
from tests.authz.world import Clock, add_services, make_gate
from tests.cli import Env, tact, tact_env

REVIEWER = Actor(
    kind=ActorKind.STAFF, label="staff:reviewer", roles=frozenset({RoleGrant(Role.REVIEWER, None)})
)


@pytest.fixture
async def env(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> Env:
    await add_services(database, "housing")
    return tact_env(database_urls, key_file, tmp_path)


async def may_read_reports(database: Database, gate: Gate) -> bool:
    async with database.sessions() as session:
        try:
            async with gate.access(session, REVIEWER, Operation.READ_REPORTS, Target()):
                return True
        except Forbidden:
            return False


async def test_a_rule_added_and_removed_from_the_command_line_changes_decisions(
    database: Database, env: Env
) -> None:
    # One gate throughout, as in a running process: it must notice the changes itself.
    gate = make_gate(Clock())
    assert not await may_read_reports(database, gate)

    added = await tact(env, "policy", "add", "reviewer", "*", "member", "read_reports")
    assert added.exit_code == 0, added.output
    assert "added: p, reviewer, *, member, read_reports, allow" in added.output
    assert await may_read_reports(database, gate)

    listed = await tact(env, "policy", "list", "--runtime-only")
    assert listed.output.strip() == "p, reviewer, *, member, read_reports, allow    (run time)"

    removed = await tact(env, "policy", "remove", "reviewer", "*", "member", "read_reports")
    assert removed.exit_code == 0, removed.output
    assert not await may_read_reports(database, gate)


async def test_a_bad_rule_is_refused_naming_the_field(database: Database, env: Env) -> None:
    result = await tact(env, "policy", "add", "director", "*", "member", "read_reports")

    assert result.exit_code == 1
    assert "role: must be one of" in result.output
    listed = await tact(env, "policy", "list", "--runtime-only")
    assert listed.output.strip() == ""


async def test_no_rule_gives_an_administrator_or_a_portal_case_contents(
    database: Database, env: Env
) -> None:
    for role, operation in (("admin", "read_case"), ("portal", "break_glass")):
        result = await tact(env, "policy", "add", role, "*", "member", operation)
        assert result.exit_code == 1, result.output
        assert f"operation: {operation} reaches case contents, which the {role} role" in (
            result.output
        )
    listed = await tact(env, "policy", "list", "--runtime-only")
    assert listed.output.strip() == ""
    # Taking reach away is always allowed, and so is a summary (no contents)
    for rule in (("admin", "*", "member", "read_case", "--deny"),
                 ("admin", "*", "member", "read_reports")):  # fmt: skip
        added = await tact(env, "policy", "add", *rule)
        assert added.exit_code == 0, added.output


async def test_removing_a_rule_that_is_not_there_fails(database: Database, env: Env) -> None:
    result = await tact(env, "policy", "remove", "reviewer", "*", "member", "read_reports")

    assert result.exit_code == 1 and "no such run-time rule" in result.output


async def test_a_rule_for_a_service_that_does_not_exist_is_refused(
    database: Database, env: Env
) -> None:
    # A mistyped slug, and a service's name where its slug belongs: neither would ever apply
    for domain in ("housng", "Housing"):
        result = await tact(env, "policy", "add", "reviewer", domain, "member", "read_reports")
        assert result.exit_code == 1, result.output
        assert 'domain: no service has that slug: give one of housing, or "*"' in result.output
    listed = await tact(env, "policy", "list", "--runtime-only")
    assert listed.output.strip() == ""

    # The service's slug, and every service, are rules
    for domain in ("housing", "*"):
        result = await tact(env, "policy", "add", "reviewer", domain, "member", "read_reports")
        assert result.exit_code == 0, result.output
