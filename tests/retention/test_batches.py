"""A run of several batches: each batch's destructions are finished in the background while
the next batch is archived, and every case ends destroyed with a completed certificate, its
keys and bundle gone and no step left; the access log verifies. The folder store keeps the
emptied files of deleted bundles and writes the next bundles into them."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from authz.log_verify import verify
from records.certificates import list_certificates
from records.database import Database
from records.errors import NotFound
from records.retention_tables import RetentionProgress
from records.vault import Vault
from retention import job as retention_job
from retention.archive_store import FolderArchiveStore
from tests.authz.world import Clock, make_gate
from tests.retention.world import add_case, build_world, make_job

NOW = dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC)
ENDS = dt.date(2020, 2, 29)
DESTROY_DAY = dt.date(2026, 3, 1)


async def test_batches_finished_in_the_background_all_end_destroyed(
    database: Database, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given four due cases, taken a case at a time, each batch finished on its own
    monkeypatch.setattr(retention_job, "FINISH_BATCH", 1)
    in_background: list[int] = []
    finish_own = retention_job.RetentionJob._finish_own

    async def counted(job: retention_job.RetentionJob, case_ids: list[uuid.UUID]) -> int:
        in_background.append(await finish_own(job, case_ids))
        return in_background[-1]

    monkeypatch.setattr(retention_job.RetentionJob, "_finish_own", counted)
    world = await build_world(database, NOW)
    case_ids = [await add_case(database, vault, world, ends_on=[ENDS]) for _ in range(4)]
    gate = make_gate(Clock())
    job = make_job(database, vault, gate, tmp_path / "archive", Clock())
    job.batch = 1
    # When the job runs
    report = await job.run(DESTROY_DAY)
    # Then every case is destroyed, certified and finished, and the log verifies
    assert report.count("destroyed") == 4 and report.failed == 0
    assert in_background == [1, 1, 1, 1]  # every batch's, in the background
    async with database.sessions() as session:
        certificates = await list_certificates(session)
        assert await session.scalar(select(func.count()).select_from(RetentionProgress)) == 0
        verified = await verify(session, gate.signer)
    assert verified.ok, verified.describe()
    assert len(certificates) == 4
    assert all(c.completed_at is not None and c.keys_shredded == 2 for c in certificates)
    for case_id in case_ids:
        vault.forget(f"case:{case_id}")
        with pytest.raises(NotFound):
            await vault.cipher("case", case_id)
    assert list((tmp_path / "archive").glob("*.bundle")) == []


def test_deleted_bundles_files_are_emptied_and_written_again(tmp_path: Path) -> None:
    # Given a store with two bundles
    store = FolderArchiveStore(tmp_path)
    store.put_many({"a.bundle": b"sealed a", "b.bundle": b"sealed b"})
    # When they are deleted, their files are kept empty, and nothing else is left
    assert store.delete_many(["a.bundle", "b.bundle", "gone.bundle"]) == 2
    spares = sorted(store.spares.iterdir())
    assert len(spares) == 2 and all(p.stat().st_size == 0 for p in spares)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".spare"]
    # Then the next bundles are written into those files, whole
    kept = {p.stat().st_ino for p in spares}
    store.put_many({"c.bundle": b"sealed c"})
    assert store.get("c.bundle") == b"sealed c"
    assert (tmp_path / "c.bundle").stat().st_ino in kept
    assert len(list(store.spares.iterdir())) == 1
    with pytest.raises(NotFound):
        store.get("a.bundle")


def test_no_more_spares_are_kept_than_asked(tmp_path: Path) -> None:
    store = FolderArchiveStore(tmp_path, spares_kept=1)
    store.put_many({f"{n}.bundle": b"sealed" for n in range(3)})
    assert store.delete_many([f"{n}.bundle" for n in range(3)]) == 3
    assert len(list(store.spares.iterdir())) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".spare"]
