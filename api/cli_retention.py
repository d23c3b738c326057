"""`tact retention`: preview and run the retention job, approvals, holds, certificates.

`preview` and `run` act as the job's system actor (an IG officer in every service), through
the gate like every face. Approvals and holds name the IG officer acting (`--as USERNAME`),
so two-person approval can tell the requester from the approver.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import COMMANDS
from api.cli_retention_workers import SUMMARY, parse_share, run_workers
from api.cli_runtime import acting_as_of, as_staff, load_settings, with_runtime
from authz.actor import Actor
from authz.gate import Target
from authz.operations import Operation
from casework.retention_queue import (
    Caseless,
    Planned,
    Untouched,
    caseless_customers,
    plan,
    untouched,
    wants_approval,
)
from casework.retention_schedule import RetentionPolicy
from records.case_files import find_case_id
from records.certificates import NO_CERTIFICATE, approve, list_certificates, request_approval
from records.customers import Named, one_customer_named
from records.days import uk_today
from records.errors import NotFound
from records.holds import (
    Held,
    check_one_named,
    held_by,
    parse_reason,
    place_hold_on,
    release_hold,
)
from records.lookup import LookupKind
from records.models import as_utc, utcnow
from records.retention_tables import PLACEABLE
from retention.archive_store import FolderArchiveStore
from retention.job import BATCH, JOB_ACTOR, CaseOutcome, JobReport, RetentionJob
from retention.log_pruning import prune_access_log

if TYPE_CHECKING:
    from api.runtime import Runtime


def policy_of(runtime: Runtime) -> RetentionPolicy:
    return RetentionPolicy.of(runtime.profile)


def preview_line(planned: Planned) -> dict[str, object]:
    s = planned.schedule
    return {
        "case": planned.reference,
        "state": planned.state.value,  # a "destroy" of a case not archived skips archiving
        "action": planned.action.value,
        "destroy_due": planned.destroy_due,
        "rule": planned.rule,
        "trigger_on": s.trigger_on.isoformat(),
        "archive_on": s.archive_on.isoformat(),
        "destroy_on": s.destroy_on.isoformat(),
        "holds": list(planned.hold_names),
        "approval": None
        if planned.approval is None
        else ("approved" if planned.approval.approved else "requested"),
    }


def untouched_line(item: Untouched) -> dict[str, object]:
    """An open case listed for review, in the preview line's shape: no date to archive or
    destroy it (null), the day of its last step as the trigger, and the day it became due
    for review."""
    return {
        "case": item.case.reference,
        "state": item.case.state.value,
        "action": item.action.value,
        "destroy_due": False,
        "rule": item.rule,
        "trigger_on": item.case.last_step_on.isoformat(),
        "review_on": item.review_on.isoformat(),
        "archive_on": None,
        "destroy_on": None,
        "holds": [],
        "approval": None,
    }


def caseless_line(customer: Caseless) -> dict[str, object]:
    """A customer with no case, due to be destroyed (or held), named by their id only."""
    return {
        "customer": str(customer.customer_id),
        "action": customer.action.value,
        "destroy_due": True,
        "rule": customer.rule,
        "trigger_on": customer.added_on.isoformat(),
        "archive_on": None,
        "destroy_on": customer.destroy_on.isoformat(),
        "holds": list(customer.hold_names),
        "approval": None,
    }


async def _preview(
    runtime: Runtime, as_of: dt.date, actor: Actor = JOB_ACTOR, *, whole: bool = False
) -> tuple[list[Planned], list[Untouched], list[Caseless]]:
    """The due cases; with `whole`, also the open cases listed for review and the customers
    with no case due to be destroyed; in one gated read."""
    found: list[Planned] = []
    policy = policy_of(runtime)
    async with (
        runtime.database.sessions() as session,
        runtime.gate.access(session, actor, Operation.APPROVE_DESTRUCTION, Target()) as access,
    ):
        async for batch in plan(access.session, policy, as_of):
            found.extend(batch)
        if not whole:
            return found, [], []
        open_cases = await untouched(access.session, policy, as_of)
        customers = await caseless_customers(access.session, policy, as_of)
    return found, open_cases, customers


def _kill_hook(step_name: str | None) -> Callable[[str, uuid.UUID], None]:
    def hook(step: str, case_id: uuid.UUID) -> None:
        if step == step_name:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


async def _run(
    runtime: Runtime,
    as_of: dt.date,
    tty: bool,
    batch: int = BATCH,
    share: tuple[int, int] | None = None,
) -> JobReport:
    """The job in this process. With `share` (one of `--workers`' processes) it takes its
    share of the batches, says first how many cases that is, and leaves pruning the access
    log to the parent."""
    bar: list[object] = []

    def on_start(total: int) -> None:
        if share is not None:
            click.echo(json.dumps({"due": total}))
        elif tty:
            progress = click.progressbar(length=total, label="retention", file=sys.stderr)
            progress.__enter__()
            bar.append(progress)

    def on_outcome(outcome: CaseOutcome) -> None:
        if bar:
            bar[0].update(1)  # type: ignore[attr-defined]
        else:
            subject = "customer" if outcome.customer else "case"
            line = {subject: outcome.reference, "outcome": outcome.action}
            if outcome.holds:
                line["holds"] = ",".join(outcome.holds)
            click.echo(json.dumps(line))

    job = RetentionJob(
        database=runtime.database,
        vault=runtime.vault,
        gate=runtime.gate,
        store=FolderArchiveStore(runtime.settings.resolved_archive_path),
        policy=policy_of(runtime),
        clock=utcnow,
        hook=_kill_hook(runtime.settings.retention_kill_at),
        on_start=on_start,
        on_outcome=on_outcome,
        batch=batch,
        share=share or (0, 1),
    )
    report = await job.run(as_of)
    if bar:
        bar[0].__exit__(None, None, None)  # type: ignore[attr-defined]
    if share is None:
        await _prune(runtime, tty)
    return report


async def _prune(runtime: Runtime, tty: bool) -> None:
    days = runtime.settings.access_log_retention_days
    if days:
        cutoff = utcnow() - dt.timedelta(days=days)
        async with runtime.database.sessions() as session:
            pruned = await prune_access_log(session, runtime.gate, JOB_ACTOR, cutoff)
        click.echo(json.dumps({"access_log_pruned": pruned}), err=tty)


async def _case(session: AsyncSession, reference: str) -> uuid.UUID:
    case_id = await find_case_id(session, reference)
    if case_id is None:
        raise NotFound("no case with that reference")
    return case_id


@dataclass(frozen=True)
class Asked:
    """What `request-approval` did: requests made now, and due destructions already waiting
    for approval (asking twice is one request, so those are not counted again)."""

    made: int
    waiting: int

    def describe(self) -> str:
        said = f"approval requested for {self.made} case(s)"
        return said + (f"; {self.waiting} already awaiting approval" if self.waiting else "")


async def _request_approvals(runtime: Runtime, username: str, as_of: dt.date) -> Asked:
    """Ask for approval of every destruction the preview shows due and waiting for it: of
    archived cases, and of cases not yet archived (approved before the run, those are
    destroyed without being archived). One already requested is left as it was."""
    async with runtime.database.sessions() as session:
        actor = await as_staff(session, username)
    policy = policy_of(runtime)
    due, _, _ = await _preview(runtime, as_of, actor)
    waiting = [p for p in due if wants_approval(p, policy)]
    unasked = [p for p in waiting if p.approval is None]
    async with (
        runtime.database.sessions() as session,
        runtime.gate.access(session, actor, Operation.APPROVE_DESTRUCTION, Target()) as access,
    ):
        for planned in unasked:
            await request_approval(
                access.session, planned.case_id, planned.schedule.destroy_on, actor.label, utcnow()
            )
            access.touched(case_id=planned.case_id)
    return Asked(made=len(unasked), waiting=len(waiting) - len(unasked))


@dataclass(frozen=True)
class Approved:
    """What `approve` did: destructions approved, and requests left because the approver
    made them and the profile asks for two people (another IG officer approves those)."""

    approved: int
    own: int

    def describe(self) -> str:
        said = f"approved {self.approved} destruction(s)"
        if self.own:
            said += (
                f"; {self.own} requested by you left for another IG officer "
                "(the profile asks for two people)"
            )
        return said


async def _approve(runtime: Runtime, username: str, as_of: dt.date) -> Approved:
    """Approve every requested destruction in the preview; where the profile asks for two
    people, those the approver requested are left for another IG officer: refusing the
    first of them would stop the command before the others it may approve."""
    async with runtime.database.sessions() as session:
        actor = await as_staff(session, username)
    due, _, _ = await _preview(runtime, as_of, actor)
    requested = [p.approval for p in due if p.approval is not None and not p.approval.approved]
    two_person = policy_of(runtime).two_person_approval
    mine = [two_person and a.requested_by == actor.label for a in requested]
    for approval in (a for a, own in zip(requested, mine, strict=True) if not own):
        target = Target(case_id=approval.case_id)
        async with (
            runtime.database.sessions() as session,
            runtime.gate.access(session, actor, Operation.APPROVE_DESTRUCTION, target) as access,
        ):
            await approve(access.session, approval.id, actor.label, utcnow(), two_person=two_person)
    return Approved(approved=mine.count(False), own=mine.count(True))


async def _place(
    runtime: Runtime, username: str, reference: str | None, person: list[Named], reason: str
) -> str:
    """Hold a case (`--case-ref`) or a customer (`--customer-ref`, `--email` or `--phone`,
    found as subject access finds them): one of the four."""
    check_one_named(reference, person, "case-ref")
    why = parse_reason(reason)
    async with runtime.database.sessions() as session:
        actor = await as_staff(session, username)
        if reference is not None:
            held = Held(case_id=await _case(session, reference))
        else:
            found = await one_customer_named(session, runtime.vault, person)
            if found is None:
                raise NotFound("no customer found that way")
            held = Held(customer_id=found)
        await session.rollback()
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with runtime.gate.access(session, actor, Operation.MANAGE_HOLDS, target) as access:
            hold = await place_hold_on(access.session, held, why, actor.label, utcnow())
            return str(hold.id)


async def _release(runtime: Runtime, username: str, hold_id: uuid.UUID) -> None:
    async with runtime.database.sessions() as session:
        actor = await as_staff(session, username)
        held = await held_by(session, hold_id)
        await session.rollback()
        if held is None:
            raise NotFound("no such hold")
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with runtime.gate.access(session, actor, Operation.MANAGE_HOLDS, target) as access:
            await release_hold(access.session, hold_id, actor.label, utcnow())


async def _certificates(runtime: Runtime, reference: str | None) -> list[dict[str, object]]:
    async with (
        runtime.database.sessions() as session,
        runtime.gate.access(session, JOB_ACTOR, Operation.APPROVE_DESTRUCTION, Target()) as access,
    ):
        rows = await list_certificates(access.session, reference=reference)
        return [certificate_record(c) for c in rows]


def certificate_record(c: object) -> dict[str, object]:
    fields = (
        "case_reference", "customer_id", "rule", "profile_name", "profile_version", "trigger_on",
        "archive_on", "destroy_on", "not_archived_reason", "requested_by", "requested_at",
        "approved_by", "approved_at", "counts", "bundle_digest", "keys_shredded", "destroyed_by",
        "destroyed_at", "completed_at",
    )  # fmt: skip
    return {name: _plain(getattr(c, name)) for name in fields}


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()  # with its offset, +00:00, on every database
    return value.isoformat() if isinstance(value, dt.date) else value


def _today() -> dt.date:
    return uk_today()


# The reasons an IG officer may give, in the order `hold place --help` lists them.
HOLD_REASONS = sorted(reason.value for reason in PLACEABLE)

AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Plan for this day (YYYY-MM-DD) instead of today.",
)
# Commands that write act as of today or an earlier day (a missed night), never a later one.
ACTING_AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as of this earlier day (YYYY-MM-DD) instead of today; never a later one.",
)


def retention_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""

    @group.group("retention", help=COMMANDS["retention"].summary)
    def retention() -> None:
        pass

    @retention.command(
        "preview",
        help="What would be archived or destroyed, and why; the customers with no case due "
        "to be destroyed; then the open cases with no step for the profile's "
        "open_case_review_months (needs_review).",
    )
    @AS_OF
    def preview_command(as_of: dt.datetime | None) -> None:
        day = as_of.date() if as_of else _today()
        due, open_cases, customers = with_runtime(
            lambda runtime: _preview(runtime, day, whole=True)
        )
        for planned in due:
            click.echo(json.dumps(preview_line(planned)))
        for customer in customers:
            click.echo(json.dumps(caseless_line(customer)))
        for item in open_cases:
            click.echo(json.dumps(untouched_line(item)))

    @retention.command("run", help="Archive and destroy what is due. Exit status 1 on failures.")
    @ACTING_AS_OF
    @click.option(
        "--batch",
        type=click.IntRange(1, 2000),
        default=BATCH,
        show_default=True,
        help="Cases taken through a step in one transaction.",
    )
    @click.option(
        "--workers",
        type=click.IntRange(1, 16),
        default=1,
        show_default=True,
        help="Job processes at once, each taking its share of the cases (PostgreSQL only).",
    )
    @click.option("--share", hidden=True, help="I/N: run as the I-th of N --workers.")
    def run_command(as_of: dt.datetime | None, batch: int, workers: int, share: str | None) -> None:
        day = acting_as_of(as_of) or _today()
        tty = sys.stdout.isatty()
        if workers > 1:
            _run_workers(day, batch, workers, tty)
            return
        part = parse_share(share) if share else None
        report = with_runtime(lambda runtime: _run(runtime, day, tty, batch, part))
        summary = {action: report.count(action) for action in SUMMARY}
        click.echo(json.dumps({"summary": summary}))
        if report.failed:
            raise SystemExit(1)

    def _run_workers(day: dt.date, batch: int, workers: int, tty: bool) -> None:
        if load_settings().resolved_database_url.startswith("sqlite"):
            raise click.UsageError(
                "--workers above 1 needs PostgreSQL: SQLite takes one writer at a time"
            )
        counts, ok = asyncio.run(run_workers(day, batch, workers, tty))
        with_runtime(lambda runtime: _prune(runtime, tty))
        click.echo(json.dumps({"summary": {action: counts[action] for action in SUMMARY}}))
        if not ok or counts["failed"]:
            raise SystemExit(1)

    @retention.command("request-approval", help="Ask for approval of due destructions.")
    @click.option("--as", "username", required=True, help="The IG officer asking.")
    @ACTING_AS_OF
    def request_command(username: str, as_of: dt.datetime | None) -> None:
        day = acting_as_of(as_of) or _today()
        asked = with_runtime(lambda runtime: _request_approvals(runtime, username, day))
        click.echo(asked.describe())

    @retention.command("approve", help="Approve requested destructions.")
    @click.option("--as", "username", required=True, help="The IG officer approving.")
    @ACTING_AS_OF
    def approve_command(username: str, as_of: dt.datetime | None) -> None:
        day = acting_as_of(as_of) or _today()
        approved = with_runtime(lambda runtime: _approve(runtime, username, day))
        click.echo(approved.describe())

    @retention.group("hold", help="Place and release holds.")
    def hold() -> None:
        pass

    @hold.command(
        "place",
        help="Hold a case, or a customer and every case of theirs: no archiving or destruction "
        "until released. Prints the hold's id.",
    )
    @click.option("--as", "username", required=True, help="The IG officer placing the hold.")
    @click.option("--case-ref", help="The case's office reference.")
    @click.option("--customer-ref", help="Or a customer, by their reference,")
    @click.option("--email", help="or by an email address recorded for them,")
    @click.option("--phone", help="or by a phone number recorded for them.")
    @click.option("--reason", required=True, help=f"Why: {', '.join(HOLD_REASONS)}.")
    def place_command(
        username: str,
        case_ref: str | None,
        customer_ref: str | None,
        email: str | None,
        phone: str | None,
        reason: str,
    ) -> None:
        person: list[Named] = [
            (LookupKind.CUSTOMER_REF, customer_ref, "customer-ref"),
            (LookupKind.EMAIL, email, "email"),
            (LookupKind.PHONE, phone, "phone"),
        ]
        click.echo(
            with_runtime(lambda runtime: _place(runtime, username, case_ref, person, reason))
        )

    @hold.command("release", help="Release a hold: the case goes back to its retention schedule.")
    @click.option("--as", "username", required=True, help="The IG officer releasing the hold.")
    @click.option("--hold-id", required=True, type=click.UUID, help="As `hold place` printed it.")
    def release_command(username: str, hold_id: uuid.UUID) -> None:
        with_runtime(lambda runtime: _release(runtime, username, hold_id))
        click.echo("released")

    @retention.command("certificates", help="Destruction certificates, newest first (JSON).")
    @click.option("--case-ref", help="Only the certificate of this case reference.")
    def certificates_command(case_ref: str | None) -> None:
        records = with_runtime(lambda runtime: _certificates(runtime, case_ref))
        if case_ref is not None and not records:
            # Printing nothing, exit 0, read as "no such case was destroyed" after a typo too.
            raise click.ClickException(f"case-ref: {NO_CERTIFICATE}")
        for record in records:
            click.echo(json.dumps(record, default=str))
