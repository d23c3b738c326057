"""`tact cases expire`: the daily sweep that expires arrangements past their end date
(casework/scheduled.py), run from cron or a systemd timer before `tact retention run`.

It acts as a system actor holding the manager role in every service (the role that updates
any case of its service), through the gate like every face: each case's expiry and its
access-log entry commit together, one case per transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import COMMANDS
from api.cli_runtime import acting_as_of, with_runtime
from authz.actor import CASES_EXPIRE
from authz.gate import Target
from authz.operations import Operation
from casework.scheduled import Swept, expire_due
from records.days import UK
from records.models import utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime


def clock_on(as_of: dt.date | None) -> Callable[[], dt.datetime]:
    """Now, or now's UK time of day on the UK day `as_of` (a sweep run late for a missed
    day)."""
    if as_of is None:
        return utcnow

    def on_the_day() -> dt.datetime:
        local = dt.datetime.combine(as_of, utcnow().astimezone(UK).time(), UK)
        return local.astimezone(dt.UTC)

    return on_the_day


async def sweep(runtime: Runtime, clock: Callable[[], dt.datetime]) -> Swept:
    @asynccontextmanager
    async def through(case_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        target = Target(case_id=case_id)
        async with (
            runtime.database.sessions() as session,
            runtime.gate.access(session, CASES_EXPIRE, Operation.UPDATE_CASE, target) as access,
        ):
            yield access.session

    def failed(case_id: uuid.UUID, exc: Exception) -> None:
        # The case's id and the error's type only: messages can carry more than references.
        click.echo(json.dumps({"case_id": str(case_id), "failed": type(exc).__name__}), err=True)

    return await expire_due(
        runtime.database.sessions, through, vault=runtime.vault, profile=runtime.profile,
        clock=clock, on_failure=failed,
    )  # fmt: skip


def cases_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""

    @group.group("cases", help=COMMANDS["cases"].summary)
    def cases() -> None:
        pass

    @cases.command(
        "expire",
        help="Expire arrangements past their end date; end cases left with none. "
        "Exit status 1 if any case failed.",
    )
    @click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="Sweep as on this earlier day (YYYY-MM-DD) instead of today; never a later one.",
    )
    def expire_command(as_of: dt.datetime | None) -> None:
        clock = clock_on(acting_as_of(as_of))
        swept = with_runtime(lambda runtime: sweep(runtime, clock))
        for reference, count in swept.expired.items():
            line = {"case": reference, "expired": count, "ended": reference in swept.ended}
            click.echo(json.dumps(line))
        summary = {
            "cases": len(swept.expired),
            "arrangements": sum(swept.expired.values()),
            "ended": len(swept.ended),
            "failed": len(swept.failed),
        }
        click.echo(json.dumps({"summary": summary}))
        if swept.failed:
            raise SystemExit(1)
