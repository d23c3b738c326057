"""`tact policy`: authorisation rules added at run time, beside authz/policy.csv.

    tact policy list
    tact policy add ROLE DOMAIN STANDING OPERATION [--deny]
    tact policy remove ROLE DOMAIN STANDING OPERATION [--deny]

A change bumps the policy version, so every running process applies it within
TACT_POLICY_RELOAD_SECONDS. Deny rules override allow rules for the same request. Each
command goes through the gate (MANAGE_STAFF) as the operator, like the admin panel's page.
"""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import COMMANDS
from api.cli_access import gated
from authz.decisions import Rule, add_rule, read_policy_file, remove_rule, runtime_rules
from authz.operations import Operation
from records.models import utcnow


def policy_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(policy)


@click.group(help=COMMANDS["policy"].summary)
def policy() -> None:
    pass


_RULE_ARGUMENTS = (
    click.argument("role"),
    click.argument("domain"),
    click.argument("standing"),
    click.argument("operation"),
    click.option("--deny", is_flag=True, help="A deny rule, which overrides allow rules."),
)


def _rule_command(func: click.decorators.FC) -> click.decorators.FC:
    for decorate in reversed(_RULE_ARGUMENTS):
        func = decorate(func)
    return func


def _rule(role: str, domain: str, standing: str, operation: str, deny: bool) -> Rule:
    return Rule(role, domain, standing, operation, "deny" if deny else "allow")


@policy.command(name="list", help="The default policy's lines, then the run-time rules.")
@click.option("--runtime-only", is_flag=True, help="Only the rules added at run time.")
def list_rules(runtime_only: bool) -> None:
    if not runtime_only:
        for line in read_policy_file():
            click.echo(f"{line}    (authz/policy.csv)")

    async def rules(session: AsyncSession) -> list[Rule]:
        return await runtime_rules(session)

    for rule in gated(Operation.MANAGE_STAFF, rules):
        click.echo(f"{rule.line()}    (run time)")


@policy.command(help="Add a rule; every running process applies it within the reload interval.")
@_rule_command
def add(role: str, domain: str, standing: str, operation: str, deny: bool) -> None:
    rule = _rule(role, domain, standing, operation, deny)
    added = gated(Operation.MANAGE_STAFF, lambda session: add_rule(session, rule, utcnow()))
    click.echo(f"added: {rule.line()}" if added else f"already there: {rule.line()}")


@policy.command(help="Remove a rule added at run time.")
@_rule_command
def remove(role: str, domain: str, standing: str, operation: str, deny: bool) -> None:
    rule = _rule(role, domain, standing, operation, deny)
    removed = gated(Operation.MANAGE_STAFF, lambda session: remove_rule(session, rule, utcnow()))
    if not removed:
        raise click.ClickException(f"no such run-time rule: {rule.line()}")
    click.echo(f"removed: {rule.line()}")
