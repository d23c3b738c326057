"""Archive one case: write its bundle (the case file, evidence, timeline and notifications,
and its access-log extract), sealed under the case's data key, to the archive store; read it
back and check it; only then mark the case archived, through the gate.

The bundle is sealed under the case's own key, so shredding that key at destruction makes
any copy of the bundle unreadable too, even one the store failed to delete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from casework.subject_access import access_log_extract, case_timeline, notifications_in
from records.case_files import open_case_file
from records.errors import TactError
from records.models import AccessLogEntry, Case, CaseState
from records.retention_tables import RetentionProgress, RetentionStep
from records.vault import Vault
from retention.archive_store import ArchiveStore


class BundleCheckFailed(TactError):
    code = "BUNDLE_CHECK_FAILED"


def bundle_key(case_id: uuid.UUID) -> str:
    return f"{case_id}.bundle"


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def bundle_document(session: AsyncSession, vault: Vault, case_id: uuid.UUID) -> bytes:
    """The bundle's plaintext: canonical JSON (sorted keys), so reading it back compares."""
    case_file = await open_case_file(session, vault, case_id)
    timeline = await case_timeline(session, case_id)
    document: dict[str, Any] = {
        "format": "tact.archive_bundle.v1",
        "case": dataclasses.asdict(case_file),
        "timeline": timeline,
        "notifications": notifications_in(timeline),
        "access_log": await access_log_extract(session, AccessLogEntry.case_id == case_id),
    }
    return json.dumps(document, sort_keys=True, default=str).encode("utf-8")


async def write_bundle(
    session: AsyncSession, vault: Vault, store: ArchiveStore, case_id: uuid.UUID
) -> tuple[str, str]:
    """Write the sealed bundle, read it back, open it and compare. Returns (key, digest)."""
    plain = await bundle_document(session, vault, case_id)
    cipher = await vault.cipher("case", case_id)
    sealed = cipher.seal("archive_bundles", "content", case_id, plain.decode("utf-8"))
    key = bundle_key(case_id)
    store.put(key, sealed)
    back = store.get(key)
    if digest_of(back) != digest_of(sealed):
        raise BundleCheckFailed(f"archive bundle of case {case_id} read back changed")
    if cipher.open("archive_bundles", "content", case_id, back).encode("utf-8") != plain:
        raise BundleCheckFailed(f"archive bundle of case {case_id} does not open to the case")
    return key, digest_of(sealed)


async def mark_archived(
    session: AsyncSession, case_id: uuid.UUID, key: str, digest: str, now: Any
) -> None:
    """The case becomes archived, and its recorded step says where its bundle is. The case's
    `updated_at` is kept: a case closed without arrangements counts from it."""
    await session.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(state=CaseState.ARCHIVED, updated_at=Case.updated_at)
    )
    progress = await session.get(RetentionProgress, case_id)
    if progress is None:
        progress = RetentionProgress(case_id=case_id)
        session.add(progress)
    progress.step = RetentionStep.ARCHIVED
    progress.bundle_key = key
    progress.bundle_digest = digest
    progress.updated_at = now
