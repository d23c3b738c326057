"""`tact audit`: verify the access log, sign a checkpoint, show entries.

These run as a system actor holding the IG officer role in every service, through the same
gate as the API, so reading or verifying the log from the command line is itself logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import click
from sqlalchemy.exc import SQLAlchemyError

from api.cli import COMMANDS
from api.cli_runtime import with_runtime
from authz.access_log import LogFilter, case_asked, checkpoint, query
from authz.actor import Actor, ActorKind, RoleGrant
from authz.gate import Target
from authz.group_commit import AccessLogUnavailable
from authz.log_verify import VerifyReport, head_broken_next_step, verify
from authz.operations import Operation, Outcome
from records.models import AccessLogEntry, Role, as_utc, utcnow

if TYPE_CHECKING:
    from api.runtime import Runtime

CLI_ACTOR = Actor(
    kind=ActorKind.SYSTEM,
    label="system:cli-audit",
    roles=frozenset({RoleGrant(Role.IG_OFFICER, None)}),
)


async def _verify(runtime: Runtime, say: Callable[[str], None]) -> bool:
    """Report first, then write: the verification's own access-log entry is written after the
    result is printed (a write onto a cut log must not come before the report), and a log
    that verifies has its head signed and witnessed, so a later cut back past it is caught."""
    gate = runtime.gate
    report: VerifyReport | None = None
    try:
        async with (
            runtime.database.sessions() as session,
            gate.access(session, CLI_ACTOR, Operation.VERIFY_ACCESS_LOG, Target()) as access,
        ):
            report = await verify(access.session, gate.signer)
            say(report.describe())
    except (SQLAlchemyError, AccessLogUnavailable):
        if report is None:
            raise
        say("the verification could not be written to the access log: its head is broken")
        if report.problem is not None:
            say(head_broken_next_step(report.problem.seq))
        return False
    if report.ok:
        await _checkpoint(runtime)
    return report.ok


async def _checkpoint(runtime: Runtime) -> str:
    signer = runtime.gate.signer
    async with runtime.database.sessions() as session:
        made = await checkpoint(session, signer, utcnow())
        await session.commit()
    if made is None:
        return "the access log is empty: nothing to sign"
    return f"signed checkpoint at seq {made.seq} with key {made.key_id}"


async def _show(runtime: Runtime, where: LogFilter, case_ref: str | None, limit: int) -> list[str]:
    async with runtime.database.sessions() as session:
        target = Target()
        if case_ref is not None:
            asked = await case_asked(session, case_ref, "case-ref")
            where = replace(where, case_ids=asked.case_ids)
            target = Target(case_id=asked.live) if asked.live else target
            await session.rollback()
        async with runtime.gate.access(
            session, CLI_ACTOR, Operation.READ_ACCESS_LOG, target
        ) as access:
            page = await query(access.session, where, first=limit)
            return [_line(e) for e in page.entries]


def _line(entry: AccessLogEntry) -> str:
    parts = [
        str(entry.seq),
        as_utc(entry.at).isoformat(),  # with its offset, +00:00, on every database
        entry.actor,
        entry.role or "-",
        entry.operation,
        entry.service or "-",
        f"case={entry.case_id or '-'}",
        f"customer={entry.customer_id or '-'}",
        f"fields={entry.fields or '-'}",
        entry.outcome,
    ]
    if entry.reason or entry.reason_sealed:
        parts.append("reason given")  # the text is for IG review, not for terminals
    return "  ".join(parts)


def audit_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""

    @group.group("audit", help=COMMANDS["audit"].summary)
    def audit() -> None:
        pass

    @audit.command(
        "verify",
        help="Recompute the hash chain and check signed checkpoints against the witness.",
    )
    def verify_command() -> None:
        if not with_runtime(lambda runtime: _verify(runtime, click.echo)):
            raise SystemExit(1)

    @audit.command("checkpoint", help="Sign the current head of the access log.")
    def checkpoint_command() -> None:
        click.echo(with_runtime(_checkpoint))

    @audit.command("show", help="Show access-log entries, newest first.")
    @click.option("--case-ref", help="Only entries about this case reference.")
    @click.option("--actor", help='Only this actor, e.g. "staff:jo.bloggs".')
    @click.option(
        "--operation",
        type=click.Choice([o.value for o in Operation]),
        show_choices=False,
        metavar="OPERATION",
        help="Only this operation, e.g. read_case.",
    )
    @click.option(
        "--outcome",
        type=click.Choice([o.value for o in Outcome]),
        show_choices=False,
        metavar="OUTCOME",
        help=f"Only this outcome: {', '.join(Outcome)}.",
    )
    @click.option("--since", type=click.DateTime(), help="From this UTC time.")
    @click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(1, 500),
        help="At most this many entries.",
    )
    def show_command(
        case_ref: str | None,
        actor: str | None,
        operation: str | None,
        outcome: str | None,
        since: dt.datetime | None,
        limit: int,
    ) -> None:
        where = LogFilter(actor=actor, operation=operation, outcome=outcome, since=since)
        for line in with_runtime(lambda runtime: _show(runtime, where, case_ref, limit)):
            click.echo(line)
