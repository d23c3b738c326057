"""The `tact` command. Each area's commands live in their own module and register here."""

from __future__ import annotations

import click

from api.cli_access import access_commands
from api.cli_audit import audit_commands
from api.cli_cases import cases_commands
from api.cli_customers import customers_commands
from api.cli_keys import keys_commands
from api.cli_policy import policy_commands
from api.cli_profiles import profiles_commands
from api.cli_retention import retention_commands
from api.cli_serve import serve_commands


@click.group(help="Tact: a case register for managed contact arrangements.")
def main() -> None:
    pass


for register in (
    serve_commands,
    keys_commands,
    access_commands,
    policy_commands,
    audit_commands,
    profiles_commands,
    retention_commands,
    cases_commands,
    customers_commands,
):
    register(main)
