"""`tact` commands: access (being built)."""

from __future__ import annotations

import click


def access_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
