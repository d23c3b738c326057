"""A case already past its destruction date when the job first reaches it (a backlog) is
destroyed without being archived: no bundle is ever written to the store, its certificate has
no bundle digest and no archive date and says why, and the access log holds its destruction
only. Beside it, in the same run and batch, a case due for archive only is archived with its
bundle, a case due for destruction but awaiting approval is archived and waits, and a held
case is untouched. A case archived in an earlier run keeps its bundle's digest and loses its
bundle when destroyed. The preview says "destroy" for the backlog case, as the job does."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from api.cli_retention import preview_line
from authz.gate import Gate
from authz.log_verify import verify
from casework.retention_queue import Action, Planned, plan
from casework.retention_schedule import RetentionPolicy
from records.certificates import approve, list_certificates, request_approval
from records.database import Database
from records.holds import place_hold
from records.models import AccessLogEntry, Case, CaseState
from records.retention_tables import (
    DestructionCertificate,
    HoldReason,
    NotArchived,
    RetentionProgress,
)
from records.vault import Vault
from retention.archive_store import FolderArchiveStore
from tests.authz.world import Clock, make_gate
from tests.retention.world import POLICY, add_case, build_world, make_job

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)
DESTROY_DAY = dt.date(2026, 3, 1)  # ENDS plus six years
LATER_ENDS = dt.date(2021, 6, 30)  # due for archive only on DESTROY_DAY
TWO_PEOPLE = replace(POLICY, approval_required=True, two_person_approval=True)


class WatchedStore(FolderArchiveStore):
    """The folder store, remembering every bundle key ever written to it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.written: list[str] = []

    def put_many(self, bundles: dict[str, bytes]) -> None:
        self.written += list(bundles)
        super().put_many(bundles)


def files_in(folder: Path) -> list[str]:
    """Every file in the store's folder, spares included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


async def operations_on(database: Database, case_id: uuid.UUID) -> list[str]:
    async with database.sessions() as session:
        found = await session.scalars(
            select(AccessLogEntry.operation)
            .where(AccessLogEntry.case_id == case_id)
            .order_by(AccessLogEntry.seq)
        )
        return [str(operation) for operation in found]


async def log_verifies(database: Database, gate: Gate) -> None:
    """`tact audit verify`'s check: the whole access log, entries and checkpoints."""
    async with database.sessions() as session:
        verified = await verify(session, gate.signer)
    assert verified.ok, verified.describe()


async def certificate_of(database: Database, reference: str) -> DestructionCertificate:
    async with database.sessions() as session:
        (certificate,) = await list_certificates(session, reference=reference)
        return certificate


async def planned(database: Database, as_of: dt.date, policy: RetentionPolicy) -> dict:  # type: ignore[type-arg]
    async with database.sessions() as session:
        found: dict[uuid.UUID, Planned] = {}
        async for batch in plan(session, policy, as_of):
            found.update((p.case_id, p) for p in batch)
        return found


async def approved(database: Database, case_id: uuid.UUID, destroy_on: dt.date) -> None:
    async with database.sessions() as session, session.begin():
        asked = await request_approval(session, case_id, destroy_on, "staff:ig.one", NOW)
        await approve(session, asked.id, "staff:ig.two", NOW, two_person=True)


@pytest.mark.parametrize("policy", [POLICY, TWO_PEOPLE], ids=["no-approval", "approved"])
async def test_a_case_past_its_destruction_date_is_destroyed_without_an_archive_bundle(
    database: Database, vault: Vault, tmp_path: Path, policy: RetentionPolicy
) -> None:
    # Given a case whose last arrangement ended more than six years ago, never archived,
    # its destruction approved where the profile asks
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[ENDS])
    reference = world.references[case_id]
    if policy.approval_required:
        await approved(database, case_id, DESTROY_DAY)
    gate = make_gate(Clock())
    job = make_job(database, vault, gate, tmp_path / "archive", Clock(), policy)
    store = job.store = WatchedStore(tmp_path / "archive")

    # The preview says it will be destroyed, under its rule, as the job then does
    due = (await planned(database, DESTROY_DAY, policy))[case_id]
    assert due.action is Action.DESTROY and due.unarchived
    line = preview_line(due)
    assert (line["action"], line["state"]) == ("destroy", "decided")
    assert str(line["rule"]).startswith("after_last_restriction: destroy 6 years")

    # When the job runs once
    report = await job.run(DESTROY_DAY)

    # Then it is destroyed, and no bundle was ever written: the store is empty, spares too
    assert [o.action for o in report.outcomes] == ["destroyed"] and report.failed == 0
    assert store.written == [] and files_in(tmp_path / "archive") == []
    async with database.sessions() as session:
        assert await session.get(Case, case_id) is None
        assert await session.scalar(select(RetentionProgress.case_id)) is None
    certificate = await certificate_of(database, reference)
    assert certificate.bundle_digest is None and certificate.archive_on is None
    assert certificate.not_archived_reason is NotArchived.PAST_DESTRUCTION_DATE
    assert certificate.destroy_on == DESTROY_DAY and certificate.trigger_on == ENDS
    assert certificate.keys_shredded == 2 and certificate.completed_at is not None
    if policy.approval_required:
        assert certificate.approved_by == "staff:ig.two"
    text = repr({c.name: getattr(certificate, c.name) for c in certificate.__table__.columns})
    assert not any(value in text for value in world.canaries[case_id].values())
    assert await operations_on(database, case_id) == ["destroy_case"]  # no archive_case
    await log_verifies(database, gate)


async def test_in_one_batch_only_the_approved_backlog_case_skips_archiving(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    # Given, under a profile asking for two people's approval, four cases in one batch:
    world = await build_world(database, NOW)
    backlog = await add_case(database, vault, world, ends_on=[ENDS])  # past, approved
    waiting = await add_case(database, vault, world, ends_on=[ENDS])  # past, not approved
    recent = await add_case(database, vault, world, ends_on=[LATER_ENDS])  # archive only
    held = await add_case(database, vault, world, ends_on=[ENDS])  # past, approved, held
    for case_id in (backlog, held):
        await approved(database, case_id, DESTROY_DAY)
    async with database.sessions() as session, session.begin():
        await place_hold(session, held, HoldReason.LITIGATION, "staff:ig.one", NOW)
    gate = make_gate(Clock())
    job = make_job(database, vault, gate, tmp_path / "archive", Clock(), TWO_PEOPLE)
    store = job.store = WatchedStore(tmp_path / "archive")

    due = await planned(database, DESTROY_DAY, TWO_PEOPLE)
    assert [due[c].action for c in (backlog, waiting, recent, held)] == [
        Action.DESTROY, Action.ARCHIVE, Action.ARCHIVE, Action.HELD,
    ]  # fmt: skip

    # When the job runs once
    report = await job.run(DESTROY_DAY)

    # Then the backlog case is destroyed with no bundle; the others are archived with theirs,
    # the one awaiting approval among them; the held one is untouched
    outcomes = {o.reference: o.action for o in report.outcomes}
    assert outcomes == {
        world.references[backlog]: "destroyed",
        world.references[waiting]: "archived",
        world.references[recent]: "archived",
        world.references[held]: "held",
    }
    assert sorted(store.written) == sorted(f"{c}.bundle" for c in (waiting, recent))
    assert files_in(tmp_path / "archive") == sorted(f"{c}.bundle" for c in (waiting, recent))
    async with database.sessions() as session:
        states = dict((await session.execute(select(Case.id, Case.state))).all())
        certified = [c.case_reference for c in await list_certificates(session)]
    assert states == {
        waiting: CaseState.ARCHIVED,
        recent: CaseState.ARCHIVED,
        held: CaseState.DECIDED,
    }
    assert certified == [world.references[backlog]]
    assert await operations_on(database, backlog) == ["destroy_case"]
    assert await operations_on(database, waiting) == ["archive_case"]
    assert await operations_on(database, held) == []
    assert (await planned(database, DESTROY_DAY, TWO_PEOPLE))[waiting].action is (
        Action.AWAITING_APPROVAL
    )
    await log_verifies(database, gate)


async def test_a_case_archived_in_an_earlier_run_keeps_its_bundle_digest_when_destroyed(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    # Given a case archived when its arrangement ended
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[ENDS])
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "archive", Clock())
    assert (await job.run(ENDS)).count("archived") == 1
    bundle = tmp_path / "archive" / f"{case_id}.bundle"
    assert bundle.exists()
    async with database.sessions() as session:
        digest = await session.scalar(select(RetentionProgress.bundle_digest))
    assert digest and len(digest) == 64

    # When it is destroyed six years on
    assert (await job.run(DESTROY_DAY)).count("destroyed") == 1

    # Then its certificate holds the bundle's digest and archive date, and the bundle is gone
    certificate = await certificate_of(database, world.references[case_id])
    assert certificate.bundle_digest == digest and certificate.archive_on == ENDS
    assert certificate.not_archived_reason is None
    assert not bundle.exists() and not list((tmp_path / "archive").glob("*.bundle"))
    assert await operations_on(database, case_id) == ["archive_case", "destroy_case"]


async def test_a_bundle_left_by_an_interrupted_archiving_goes_with_the_case(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    # Given a case whose archiving failed after its bundle was written (the case not marked
    # archived: the step's transaction rolled back)
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[ENDS])
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "archive", Clock())

    def fail_after_writing(step: str, _: uuid.UUID) -> None:
        if step == "archive.bundle_written":
            raise RuntimeError("stopped after the bundle was written")

    job.hook = fail_after_writing
    assert (await job.run(ENDS)).failed == 1
    assert files_in(tmp_path / "archive") == [f"{case_id}.bundle"]
    job.hook = lambda step, case_id: None

    # When it is first handled again past its destruction date, destroyed without archiving
    report = await job.run(DESTROY_DAY)

    # Then the bundle left behind is deleted too: nothing of the case stays in the store
    assert report.count("destroyed") == 1
    assert not list((tmp_path / "archive").glob("*.bundle"))
    certificate = await certificate_of(database, world.references[case_id])
    assert certificate.not_archived_reason is NotArchived.PAST_DESTRUCTION_DATE
    assert certificate.bundle_digest is None
