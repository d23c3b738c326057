"""The schedule with the clock moved: archive on the day the last arrangement ends, destroy
the profile's years later (29 February included), a changed end date moving both, holds
winning, approvals, and cases closed without arrangements under their own rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, update

from casework.retention_queue import Action, Planned, plan
from casework.retention_schedule import RetentionPolicy, Rule, add_years
from records.case_steps import CaseEvent, Step
from records.certificates import approve, list_certificates, request_approval
from records.database import Database
from records.errors import Forbidden, ValidationFailed
from records.holds import open_subject_access, place_hold, release_hold
from records.models import Arrangement, Case, CaseState
from records.retention_tables import HoldReason
from records.vault import Vault
from tests.authz.world import Clock, make_gate
from tests.retention.world import POLICY, add_case, build_world, make_job

LEAP = dt.date(2020, 2, 29)
NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)


def test_29_february_plus_years_is_1_march_in_a_common_year() -> None:
    assert add_years(LEAP, 6) == dt.date(2026, 3, 1)
    assert add_years(LEAP, 4) == dt.date(2024, 2, 29)
    assert add_years(dt.date(2021, 6, 30), 6) == dt.date(2027, 6, 30)


async def preview(database: Database, as_of: dt.date, policy: RetentionPolicy = POLICY) -> dict:  # type: ignore[type-arg]
    async with database.sessions() as session:
        found: dict[object, Planned] = {}
        async for batch in plan(session, policy, as_of):
            found.update((p.case_id, p) for p in batch)
        return found


async def state_of(database: Database, case_id: object) -> CaseState | None:
    async with database.sessions() as session:
        return await session.scalar(select(Case.state).where(Case.id == case_id))


async def test_ending_on_29_february_archives_that_day_and_destroys_six_years_on(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[dt.date(2019, 12, 31), LEAP])
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "archive", Clock())

    assert await preview(database, LEAP - dt.timedelta(days=1)) == {}
    due = await preview(database, LEAP)
    assert due[case_id].action is Action.ARCHIVE
    assert due[case_id].schedule.destroy_on == dt.date(2026, 3, 1)
    assert due[case_id].rule.startswith(Rule.AFTER_LAST_RESTRICTION.value)
    assert "profile test-profile v3" in due[case_id].rule

    report = await job.run(LEAP)
    assert report.count("archived") == 1
    assert await state_of(database, case_id) is CaseState.ARCHIVED

    # Not a day before: on 28 February 2026 nothing is due.
    assert await preview(database, dt.date(2026, 2, 28)) == {}
    assert (await job.run(dt.date(2026, 2, 28))).count("destroyed") == 0
    assert await state_of(database, case_id) is CaseState.ARCHIVED

    report = await job.run(dt.date(2026, 3, 1))
    assert report.count("destroyed") == 1
    assert await state_of(database, case_id) is None
    async with database.sessions() as session:
        (certificate,) = await list_certificates(session)
    assert certificate.case_reference == world.references[case_id]
    assert certificate.trigger_on == LEAP
    assert certificate.destroy_on == dt.date(2026, 3, 1)
    assert (certificate.profile_name, certificate.profile_version) == ("test-profile", "3")
    assert certificate.counts["arrangements"] == 2 and certificate.counts["customers"] == 1
    assert certificate.keys_shredded == 2 and certificate.completed_at is not None
    assert certificate.bundle_digest and len(certificate.bundle_digest) == 64
    assert certificate.archive_on == LEAP and certificate.not_archived_reason is None


async def test_an_extended_arrangement_moves_both_dates(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[LEAP])
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Arrangement)
            .where(Arrangement.case_id == case_id)
            .values(ends_on=dt.date(2021, 6, 30))
        )
    assert await preview(database, LEAP) == {}
    due = await preview(database, dt.date(2021, 6, 30))
    assert due[case_id].schedule.archive_on == dt.date(2021, 6, 30)
    assert due[case_id].schedule.destroy_on == dt.date(2027, 6, 30)
    # The job runs on 30 June 2027, catching up the earlier days first.
    clock = Clock(dt.datetime(2027, 6, 30, 2, tzinfo=dt.UTC))
    job = make_job(database, vault, make_gate(clock), tmp_path / "archive", clock)
    await job.run(dt.date(2021, 6, 30))
    assert (await job.run(dt.date(2027, 6, 29))).count("destroyed") == 0
    assert (await job.run(dt.date(2027, 6, 30))).count("destroyed") == 1


async def test_the_job_refuses_a_day_after_its_own_today_and_does_nothing(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    """The CLI and the API refuse a later `--as-of`; the job itself does too, the last place a
    later day could archive a case in force or destroy records before their date."""
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[LEAP])
    clock = Clock(dt.datetime(2021, 6, 29, 23, 30, tzinfo=dt.UTC))  # 30 June in the UK
    job = make_job(database, vault, make_gate(clock), tmp_path / "archive", clock)
    with pytest.raises(ValidationFailed) as refused:
        await job.run(dt.date(2021, 7, 1))
    assert refused.value.field == "as_of"
    assert await preview(database, dt.date(2021, 6, 30)) != {}
    async with database.sessions() as session:
        assert (await session.get(Case, case_id)).state is not CaseState.ARCHIVED
    assert (await job.run(dt.date(2021, 6, 30))).count("archived") == 1


async def test_a_held_case_is_skipped_with_its_hold_named_until_released(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    world = await build_world(database, NOW)
    held = await add_case(database, vault, world, ends_on=[LEAP])
    free = await add_case(database, vault, world, ends_on=[LEAP])
    async with database.sessions() as session, session.begin():
        hold = await place_hold(session, held, HoldReason.LITIGATION, "staff:ig.one", NOW)
    due = await preview(database, dt.date(2026, 3, 1))
    assert due[held].action is Action.HELD and due[held].hold_names == ("litigation",)
    assert due[free].action is Action.DESTROY and due[free].destroy_due  # not archived first

    job = make_job(database, vault, make_gate(Clock()), tmp_path / "archive", Clock())
    report = await job.run(dt.date(2026, 3, 1))
    assert [(o.action, o.holds) for o in report.outcomes if o.action == "held"] == [
        ("held", ("litigation",))
    ]
    assert report.count("destroyed") == 1
    assert await state_of(database, held) is CaseState.DECIDED  # untouched: not even archived

    async with database.sessions() as session, session.begin():
        await release_hold(session, hold.id, "staff:ig.two", NOW)
    assert (await job.run(dt.date(2026, 3, 1))).count("destroyed") == 1
    assert await state_of(database, held) is None


async def test_an_open_subject_access_request_holds_every_case_of_the_customer(
    database: Database, vault: Vault
) -> None:
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[LEAP])
    async with database.sessions() as session, session.begin():
        await open_subject_access(session, world.customers[case_id], "staff:ig.one", NOW)
    due = await preview(database, LEAP)
    assert due[case_id].action is Action.HELD
    assert due[case_id].hold_names == (HoldReason.SUBJECT_ACCESS_REQUEST.value,)


async def test_approval_is_required_and_the_requester_cannot_approve(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    policy = replace(POLICY, approval_required=True, two_person_approval=True)
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[LEAP])
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "a", Clock(), policy)
    day = dt.date(2026, 3, 1)
    await job.run(day)  # archives; destruction waits for approval
    due = await preview(database, day, policy)
    assert due[case_id].action is Action.AWAITING_APPROVAL
    assert (await job.run(day)).count("awaiting_approval") == 1

    async with database.sessions() as session, session.begin():
        asked = await request_approval(session, case_id, dt.date(2026, 3, 1), "staff:ig.one", NOW)
    with pytest.raises(Forbidden):
        async with database.sessions() as session, session.begin():
            await approve(session, asked.id, "staff:ig.one", NOW, two_person=True)
    assert (await job.run(day)).count("destroyed") == 0

    async with database.sessions() as session, session.begin():
        await approve(session, asked.id, "staff:ig.two", NOW, two_person=True)
    assert (await job.run(day)).count("destroyed") == 1
    async with database.sessions() as session:
        (certificate,) = await list_certificates(session)
    assert (certificate.requested_by, certificate.approved_by) == ("staff:ig.one", "staff:ig.two")


async def test_a_case_closed_with_no_action_follows_its_own_rule(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    policy = replace(POLICY, closed_without_arrangements_years=2)
    world = await build_world(database, NOW)
    closed = dt.datetime(2021, 3, 1, 15, tzinfo=dt.UTC)
    case_id = await add_case(
        database, vault, world, ends_on=[], state=CaseState.CLOSED_NO_ACTION, closed_at=closed
    )
    due = await preview(database, dt.date(2021, 3, 1), policy)
    planned = due[case_id]
    assert planned.schedule.rule is Rule.CLOSED_WITHOUT_ARRANGEMENTS
    assert planned.rule.startswith("closed_without_arrangements: destroy 2 years")
    assert planned.schedule.destroy_on == dt.date(2023, 3, 1)
    job = make_job(database, vault, make_gate(Clock()), tmp_path / "a", Clock(), policy)
    await job.run(dt.date(2021, 3, 1))
    # Archiving does not move the closing date the rule counts from.
    assert (await job.run(dt.date(2023, 2, 28))).count("destroyed") == 0
    assert (await job.run(dt.date(2023, 3, 1))).count("destroyed") == 1


async def test_a_case_still_being_worked_or_open_ended_is_not_scheduled(
    database: Database, vault: Vault
) -> None:
    world = await build_world(database, NOW)
    await add_case(database, vault, world, ends_on=[LEAP], state=CaseState.OPEN)
    await add_case(database, vault, world, ends_on=[LEAP, None])
    assert await preview(database, dt.date(2040, 1, 1)) == {}


async def _event(
    database: Database, case_id: object, seq: int, step: Step, at: dt.datetime
) -> None:
    async with database.sessions() as session, session.begin():
        session.add(CaseEvent(case_id=case_id, seq=seq, step=step, at=at, details_sealed=b"\x00"))


async def test_an_open_appeal_or_review_holds_the_case_until_decided(
    database: Database, vault: Vault
) -> None:
    world = await build_world(database, NOW)
    case_id = await add_case(database, vault, world, ends_on=[LEAP])
    await _event(database, case_id, 1, Step.APPEAL_LODGED, NOW)
    await _event(database, case_id, 2, Step.REVIEW_REQUESTED, NOW)
    due = await preview(database, LEAP)
    assert sorted(due[case_id].hold_names) == ["appeal_open", "review_open"]
    await _event(database, case_id, 3, Step.APPEAL_DECIDED, NOW)
    await _event(database, case_id, 4, Step.REVIEW_DECIDED, NOW)
    due = await preview(database, LEAP)
    assert due[case_id].action is Action.ARCHIVE and due[case_id].holds == ()


async def test_the_closing_date_is_the_recorded_closing_step_when_there_is_one(
    database: Database, vault: Vault
) -> None:
    world = await build_world(database, NOW)
    updated = dt.datetime(2021, 3, 1, 15, tzinfo=dt.UTC)
    case_id = await add_case(
        database, vault, world, ends_on=[], state=CaseState.CLOSED_NO_ACTION, closed_at=updated
    )
    await _event(
        database, case_id, 1, Step.CLOSED_NO_ACTION, dt.datetime(2020, 11, 2, tzinfo=dt.UTC)
    )
    due = await preview(database, dt.date(2020, 11, 2))
    assert due[case_id].schedule.trigger_on == dt.date(2020, 11, 2)
