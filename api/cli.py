"""The `tact` command. Each area's commands live in their own module and register here.

An area's module is imported only when one of its commands runs (click's lazily loaded
subcommands): `tact retention run` does not import the GraphQL schema or the web server,
which cost a second of start-up to every command, scheduled jobs included.
"""

from __future__ import annotations

import importlib

import click

# Each command's name, and the module (and its function) that registers it on a group.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("api.cli_audit", "audit_commands"),
    "cases": ("api.cli_cases", "cases_commands"),
    "customers": ("api.cli_customers", "customers_commands"),
    "db": ("api.cli_serve", "serve_commands"),
    "demo": ("api.cli_serve", "serve_commands"),
    "keys": ("api.cli_keys", "keys_commands"),
    "letters": ("api.cli_letters", "letters_commands"),
    "policy": ("api.cli_policy", "policy_commands"),
    "portal-key": ("api.cli_access", "access_commands"),
    "profiles": ("api.cli_profiles", "profiles_commands"),
    "retention": ("api.cli_retention", "retention_commands"),
    "schema": ("api.cli_serve", "serve_commands"),
    "serve": ("api.cli_serve", "serve_commands"),
    "staff": ("api.cli_access", "access_commands"),
    "token": ("api.cli_access", "access_commands"),
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
        return registered_by(*COMMANDS[cmd_name])[cmd_name]


@click.group(cls=LazyGroup, help="Tact: a case register for managed contact arrangements.")
def main() -> None:
    pass
