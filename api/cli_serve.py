"""`tact` commands: serve (being built)."""

from __future__ import annotations

import click


def serve_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
