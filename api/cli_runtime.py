"""How every `tact` command opens Tact: settings from the environment, the runtime opened and
closed around the work, Tact's errors turned into one clear line and exit status 1."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from records.errors import TactError

# Imported where a command uses them, not at start-up: the runtime brings in the database
# drivers, the gate and the letters (half a second), which `--help` and a command that
# only reads files do without.
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.runtime import Runtime
    from api.settings import Settings
    from authz.actor import Actor

T = TypeVar("T")


def load_settings() -> Settings:
    from pydantic import ValidationError

    from api.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        # Names and reasons only: pydantic's own text repeats the values, and a database URL
        # can hold a password.
        problems = "; ".join(
            f"TACT_{'_'.join(str(p) for p in error['loc']).upper() or 'SETTINGS'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise click.ClickException(f"settings: {problems}") from None


def acting_as_of(as_of: dt.datetime | None) -> dt.date | None:
    """`--as-of` of a command that writes, refused (exit status 1, naming `as-of`) before
    anything is opened when it is after today in the UK (records/days.not_after_today)."""
    from records.days import not_after_today

    if as_of is None:
        return None
    try:
        return not_after_today(as_of.date(), "as-of")
    except TactError as exc:
        raise click.ClickException(exc.message) from None


def with_runtime(
    work: Callable[[Runtime], Awaitable[T]],
    *,
    settings: Settings | None = None,
    migrate: bool | None = None,
) -> T:
    """Open the runtime (migrating the embedded default, refusing an out-of-date PostgreSQL
    schema), run `work`, close."""

    from api.runtime import Runtime

    async def run() -> T:
        runtime = await Runtime.start(settings or load_settings(), migrate=migrate)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(run())
    except TactError as exc:
        raise click.ClickException(exc.message) from None


def in_transaction(
    work: Callable[[AsyncSession], Awaitable[T]], settings: Settings | None = None
) -> T:
    """Run `work` in one transaction, committed once: the command is the edge."""

    async def run(runtime: Runtime) -> T:
        async with runtime.database.sessions() as session, session.begin():
            return await work(session)

    return with_runtime(run, settings=settings)


async def as_staff(session: AsyncSession, username: str) -> Actor:
    """The active member of staff a command's `--as` names, its read ended so the gate can
    begin the session's transaction; refused, naming `as`, when there is none."""
    from authz.credentials import staff_actor
    from records.errors import ValidationFailed

    actor = await staff_actor(session, username)
    await session.rollback()
    if actor is None:
        raise ValidationFailed("as", "no active member of staff by that username")
    return actor
