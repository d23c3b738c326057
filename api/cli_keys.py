"""`tact keys` commands: rotate the key-encryption key and report which version wraps what.

Rotation runs beside the service: data keys are re-wrapped one by one with a compare-and-set,
and running processes reload the key file when they meet a version they do not hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from api.cli import COMMANDS
from api.cli_runtime import with_runtime
from records.crypto import KeyRing

if TYPE_CHECKING:
    from api.runtime import Runtime


def keys_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(keys)


@click.group(help=COMMANDS["keys"].summary)
def keys() -> None:
    pass


@keys.command(help="Add a KEK version to the key file and re-wrap every data key under it.")
@click.option(
    "--new-version/--no-new-version",
    default=True,
    show_default=True,
    help="Add a new KEK version first; without it, finish re-wrapping under the active one.",
)
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Data keys re-wrapped in one transaction.",
)
def rotate(new_version: bool, batch: int) -> None:
    with_runtime(lambda runtime: _rotate(runtime, new_version, batch))


@keys.command(help="Count data keys per KEK version and show the active version.")
def status() -> None:
    with_runtime(_print_counts)


async def _rotate(runtime: Runtime, new_version: bool, batch: int) -> None:
    # The runtime is open first: it proved the key file matches the key store before the
    # file is edited.
    vault = runtime.vault
    if new_version:
        path = runtime.settings.resolved_key_file
        version = KeyRing.add_kek_version(path)
        vault.ring = KeyRing.load(path)
        await vault.check_keys()  # records the new version's key check
        click.echo(f"added KEK version {version} to the key file; it is now active")
    active = vault.ring.active_kek
    counts = await runtime.database.keystore.count_by_version()
    total = sum(n for v, n in counts.items() if v != active)
    click.echo(f"re-wrapping {total} data keys under KEK version {active}")
    done = await vault.rotate(
        batch=batch,
        on_progress=lambda n: click.echo(f"re-wrapped {n}/{total} data keys"),
    )
    click.echo(f"done: {done} data keys re-wrapped")
    await _print_counts(runtime)


async def _print_counts(runtime: Runtime) -> None:
    ring = runtime.vault.ring
    counts = await runtime.database.keystore.count_by_version()
    click.echo(f"active KEK version: {ring.active_kek}")
    for version in sorted(set(counts) | set(ring.keks)):
        click.echo(f"KEK version {version}: {counts.get(version, 0)} data keys")
