"""`tact` commands: audit (being built)."""

from __future__ import annotations

import click


def audit_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
