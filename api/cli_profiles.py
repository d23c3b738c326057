"""`tact profiles`: the policy profiles Tact ships, and what one of them sets.

    tact profiles list
    tact profiles show NAME        (a shipped name, or the path of a .toml file to check)

`show` validates as start-up does, so an organisation's own file can be checked before
TACT_PROFILE points at it.
"""

from __future__ import annotations

import json

import click

from api.cli import COMMANDS
from casework.profiles import (
    Profile,
    ProfileError,
    profile_names,
    resolve_profile,
)


def profiles_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(profiles)


@click.group(help=COMMANDS["profiles"].summary)
def profiles() -> None:
    pass


@profiles.command(name="list", help="The shipped profiles: name, version, nation, organisation.")
def list_profiles() -> None:
    for name in profile_names():
        profile = _load(name)
        click.echo(
            f"{profile.name:<20} v{profile.version:<4} {profile.nation:<8} {profile.organisation}"
        )


@profiles.command(help="Every value a profile sets, as JSON (validated as at start-up).")
@click.argument("name")
def show(name: str) -> None:
    profile = _load(name)
    click.echo(json.dumps(profile.model_dump(mode="json", by_alias=True), indent=2))


def _load(name: str) -> Profile:
    try:
        return resolve_profile(name)
    except ProfileError as exc:
        raise click.ClickException(exc.message) from None
