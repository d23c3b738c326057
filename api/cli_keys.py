"""`tact` commands: keys (being built)."""

from __future__ import annotations

import click


def keys_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
