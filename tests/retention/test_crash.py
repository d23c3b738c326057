"""Crash safety: `tact retention run` killed with SIGKILL (a real kill -9 of the process, by
the test hook TACT_RETENTION_KILL_AT) at each step, for a batch of cases, then run again.
After every kill each case is intact, archived, or destroyed with a certificate; at the end
every case is destroyed exactly once, its keys and bundle gone, and the access log verifies.
Run with batches of two: a batch's cases move through each step together, or not at all.
"""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from api.cli_retention import _approve, _request_approvals, _run
from api.runtime import Runtime
from api.settings import Settings
from authz.log_verify import verify
from records.database import Database
from records.models import Case, CaseState
from records.retention_tables import DestructionCertificate, RetentionProgress, RetentionStep
from records.vault import Vault
from retention.job import STEPS
from tests.cli import Env, tact_env, tact_process
from tests.retention.world import add_case, build_world

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)
DESTROY_DAY = dt.date(2026, 3, 1)
pytestmark = pytest.mark.slow


async def tact_killed_at(env: Env, step: str, day: dt.date) -> int:
    # A batch of two moves together; a batch's destructions finish in the background.
    killed = {**env, "TACT_RETENTION_KILL_AT": step}
    ran = await tact_process(killed, "retention", "run", "--as-of", day.isoformat(), "--batch", "2")
    return ran.code


def job_setting(
    database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> tuple[Env, Settings]:
    """The environment of the `tact` processes the tests kill, and the same as the settings
    of the test's own runtime: the default profile (approval required, by one IG officer),
    the archive store in `tmp_path / "data"`."""
    cases_url, keys_url = database_urls
    env = tact_env(database_urls, key_file, tmp_path, TACT_PROFILE="default")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=cases_url,
        keystore_url=keys_url,
        key_file=key_file,
        profile="default",
    )
    return env, settings


async def positions(database: Database, references: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """Each case: "intact", "archived" or "destroyed" (no rows, a certificate kept)."""
    async with database.sessions() as session:
        states = dict((await session.execute(select(Case.id, Case.state))).all())
        certified = set(await session.scalars(select(DestructionCertificate.case_reference)))
    found = {}
    for case_id, reference in references.items():
        state = states.get(case_id)
        if state is None:
            assert reference in certified, f"{reference} is gone without a certificate"
            found[reference] = "destroyed"
        else:
            assert reference not in certified, f"{reference} is certified but still there"
            found[reference] = "archived" if state is CaseState.ARCHIVED else "intact"
    return found


async def test_killed_at_every_step_and_run_again_it_converges(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    world = await build_world(database, NOW)
    for _ in range(3):
        await add_case(database, vault, world, ends_on=[ENDS])
    env, settings = job_setting(database_urls, key_file, tmp_path)
    runtime = await Runtime.start(settings)
    try:
        seen: list[dict[str, str]] = []
        for step in ("archive.bundle_written", "archive.committed"):
            assert await tact_killed_at(env, step, ENDS) == -signal.SIGKILL
            seen.append(await positions(database, world.references))
        assert sorted(seen[0].values()) == ["intact"] * 3
        assert sorted(seen[1].values()) == ["archived", "archived", "intact"]
        assert (await _run(runtime, ENDS, tty=False)).failed == 0
        assert set((await positions(database, world.references)).values()) == {"archived"}

        await _request_approvals(runtime, "ig.one", DESTROY_DAY)
        await _approve(runtime, "ig.two", DESTROY_DAY)
        for step in (
            "destroy.rows_deleted",
            "destroy.case_key_shredded",
            "destroy.bundle_deleted",
            "destroy.completed",
        ):
            assert await tact_killed_at(env, step, DESTROY_DAY) == -signal.SIGKILL
            seen.append(await positions(database, world.references))
        assert sorted(seen[2].values()) == ["archived", "destroyed", "destroyed"]
        assert sorted(seen[-1].values()) == ["archived", "destroyed", "destroyed"]

        report = await _run(runtime, DESTROY_DAY, tty=False)
        assert report.failed == 0 and report.count("destroyed") == 1
        assert set((await positions(database, world.references)).values()) == {"destroyed"}
        async with database.sessions() as session:
            certificates = list(await session.scalars(select(DestructionCertificate)))
            assert await session.scalar(select(RetentionProgress.case_id)) is None
        assert len(certificates) == 3
        assert all(c.completed_at is not None and c.keys_shredded == 2 for c in certificates)
        assert all(c.approved_by == "staff:ig.two" for c in certificates)
        assert list((tmp_path / "data" / "archive").glob("*.bundle")) == []
        async with database.sessions() as session:
            verified = await verify(session, runtime.gate.signer)
        assert verified.ok, verified.describe()
    finally:
        await runtime.close()


CASES_FOR_THREE_KILLS = 12


async def test_killed_while_a_batch_is_finished_in_the_background_it_converges(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    """Archived cases due for destruction, batches of two: a batch's destructions are
    finished (keys shredded, bundles deleted, certificates completed) in the background
    while the next batch goes on, and the job is killed at each of those steps there (a
    real kill -9; each run kills at the first background finishing it reaches). After each
    kill every case is intact, archived or destroyed with a certificate; run again, all are
    destroyed once, keys and bundles gone, certificates complete, and the log verifies.

    A run may destroy two batches before its kill (the next batch goes on while the first
    finishes), so after two runs as many as eight cases are gone; ten more keep a full batch
    for the third run to finish in the background, however the machine's load orders them."""
    world = await build_world(database, NOW)
    for _ in range(CASES_FOR_THREE_KILLS):
        await add_case(database, vault, world, ends_on=[ENDS])
    env, settings = job_setting(database_urls, key_file, tmp_path)
    runtime = await Runtime.start(settings)
    try:
        assert (await _run(runtime, ENDS, tty=False)).failed == 0
        await _request_approvals(runtime, "ig.one", DESTROY_DAY)
        await _approve(runtime, "ig.two", DESTROY_DAY)

        destroyed = 0
        for step in ("case_key_shredded", "bundle_deleted", "completed"):
            killed = await tact_killed_at(env, f"destroy.background.{step}", DESTROY_DAY)
            assert killed == -signal.SIGKILL, step  # it reached a background finishing
            after_kill = await positions(database, world.references)  # asserts certificates
            now_destroyed = list(after_kill.values()).count("destroyed")
            assert destroyed < now_destroyed  # each run destroyed a batch before its kill
            destroyed = now_destroyed

        report = await _run(runtime, DESTROY_DAY, tty=False)
        assert report.failed == 0
        assert set((await positions(database, world.references)).values()) == {"destroyed"}
        async with database.sessions() as session:
            certificates = list(await session.scalars(select(DestructionCertificate)))
            assert await session.scalar(select(RetentionProgress.case_id)) is None
            verified = await verify(session, runtime.gate.signer)
        assert len(certificates) == CASES_FOR_THREE_KILLS
        assert all(c.completed_at is not None and c.keys_shredded == 2 for c in certificates)
        assert list((tmp_path / "data" / "archive").glob("*.bundle")) == []
        assert verified.ok, verified.describe()
    finally:
        await runtime.close()


LATER_ENDS = dt.date(2021, 6, 30)  # due for archive only on DESTROY_DAY


async def test_killed_while_destroying_cases_never_archived_it_converges(
    database: Database,
    vault: Vault,
    database_urls: tuple[str, str],
    key_file: Path,
    tmp_path: Path,
) -> None:
    """Batches of two that mix both steps: one case past its destruction date, approved
    before any run (destroyed without being archived), and one due for archive only. Killed
    at each step, each case is intact, archived (only the one due for it) or destroyed with
    a certificate; run again, the first ones are destroyed once with no bundle ever kept,
    the others archived with theirs, and the log verifies."""
    world = await build_world(database, NOW)
    backlog, recent = [], []
    for _ in range(4):  # stored alternately, so each batch of two holds one of each
        backlog.append(world.references[await add_case(database, vault, world, ends_on=[ENDS])])
        recent.append(
            world.references[await add_case(database, vault, world, ends_on=[LATER_ENDS])]
        )
    env, settings = job_setting(database_urls, key_file, tmp_path)
    runtime = await Runtime.start(settings)
    try:
        # Approval asked for and given before the first run (the recent cases need none yet)
        assert (await _request_approvals(runtime, "ig.one", DESTROY_DAY)).made == len(backlog)
        assert (await _approve(runtime, "ig.two", DESTROY_DAY)).approved == len(backlog)
        for step in STEPS:  # every step a case passes, in order
            assert await tact_killed_at(env, step, DESTROY_DAY) == -signal.SIGKILL, step
            found = await positions(database, world.references)
            assert {found[r] for r in backlog} <= {"intact", "destroyed"}, step
            assert {found[r] for r in recent} <= {"intact", "archived"}, step
            if step == "archive.bundle_written":
                assert set(found.values()) == {"intact"}
            if step == "destroy.rows_deleted":
                assert "destroyed" in {found[r] for r in backlog}

        report = await _run(runtime, DESTROY_DAY, tty=False)
        assert report.failed == 0
        found = await positions(database, world.references)
        assert {found[r] for r in backlog} == {"destroyed"}
        assert {found[r] for r in recent} == {"archived"}
        async with database.sessions() as session:
            certificates = list(await session.scalars(select(DestructionCertificate)))
            steps = dict(
                (
                    await session.execute(select(RetentionProgress.case_id, RetentionProgress.step))
                ).all()
            )
            verified = await verify(session, runtime.gate.signer)
        assert sorted(c.case_reference for c in certificates) == sorted(backlog)
        assert all(c.completed_at is not None and c.keys_shredded == 2 for c in certificates)
        assert all(c.bundle_digest is None and c.not_archived_reason for c in certificates)
        assert len(steps) == len(recent) and set(steps.values()) == {RetentionStep.ARCHIVED}
        kept = sorted(p.name for p in (tmp_path / "data" / "archive").glob("*.bundle"))
        assert len(kept) == len(recent)  # the archived cases' bundles, and nothing else
        assert verified.ok, verified.describe()
    finally:
        await runtime.close()
