"""The `tact` command. Each area's commands live in their own module and register here.

An area's module is imported only when one of its commands runs (click's lazily loaded
subcommands): `tact retention run` does not import the GraphQL schema or the web server,
which cost a second of start-up to every command, scheduled jobs included. `tact --help`
imports none: each command's help is in the table below, and the areas' groups take theirs
from it (bench/README.md, "CLI start-up").
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import click


class Area(NamedTuple):
    """Where a command is registered (`module.registers(group)`) and what it is for."""

    module: str
    registers: str
    summary: str


COMMANDS: dict[str, Area] = {
    "audit": Area("api.cli_audit", "audit_commands", "The access log: verify, checkpoint, show."),
    "cases": Area("api.cli_cases", "cases_commands", "Scheduled casework: steps nobody takes."),
    "customers": Area("api.cli_customers", "customers_commands", "The customer register."),
    "db": Area("api.cli_serve", "serve_commands", "The case database's schema."),
    "demo": Area(
        "api.cli_serve",
        "serve_commands",
        "Load the demonstration data set (made-up people) into the database.",
    ),
    "keys": Area(
        "api.cli_keys", "keys_commands", "Key-encryption keys and the data keys they wrap."
    ),
    "letters": Area(
        "api.cli_letters",
        "letters_commands",
        "Letter templates: the built-in ones, and the organisation's own in front.",
    ),
    "policy": Area(
        "api.cli_policy",
        "policy_commands",
        "Authorisation rules added at run time (beside authz/policy.csv).",
    ),
    "portal-key": Area(
        "api.cli_access", "access_commands", "API keys of web portals: create, list, revoke."
    ),
    "profiles": Area(
        "api.cli_profiles",
        "profiles_commands",
        "Policy profiles: one per organisation's policy (TACT_PROFILE picks one).",
    ),
    "retention": Area(
        "api.cli_retention",
        "retention_commands",
        "Records management: archive, destroy, holds, certificates.",
    ),
    "schema": Area("api.cli_serve", "serve_commands", "The GraphQL schema."),
    "serve": Area(
        "api.cli_serve",
        "serve_commands",
        "Run the API. The embedded default migrates itself on start.",
    ),
    "staff": Area("api.cli_access", "access_commands", "Staff accounts and their roles."),
    "token": Area(
        "api.cli_access",
        "access_commands",
        "Print a staff token signed with the embedded default's local key.",
    ),
}


def registered_by(module: str, function: str) -> dict[str, click.Command]:
    """The commands that `module.function` registers, by name."""
    scratch = click.Group()
    getattr(importlib.import_module(module), function)(scratch)
    return dict(scratch.commands)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        area = COMMANDS[cmd_name]
        return registered_by(area.module, area.registers)[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list `--help` shows, as click's own would show it, from the table alone."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=area.summary).get_short_help_str(limit))
            for name, area in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup, help="Tact: a case register for managed contact arrangements.")
def main() -> None:
    pass
