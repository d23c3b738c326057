"""Archive a batch of cases: write each one's bundle (the case file, evidence, timeline and
notifications, and its access-log extract), sealed under the case's data key, to the archive
store; read it back and check it; only then mark the cases archived, through the gate.

The bundle is sealed under the case's own key, so shredding that key at destruction makes
any copy of the bundle unreadable too, even one the store failed to delete.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from casework.subject_access import (
    access_log_extract,
    access_log_extracts,
    case_timeline,
    case_timelines,
    notifications_in,
)
from records.case_files import CaseFile, open_case_file, open_case_files
from records.errors import NotFound, TactError
from records.models import AccessLogEntry, Case, CaseState
from records.retention_tables import RetentionProgress, RetentionStep
from records.vault import FieldCipher, Vault, owner_of
from retention.archive_store import ArchiveStore

# Bundles built and handed to the store together (write_bundles).
_PART = 250


class BundleCheckFailed(TactError):
    code = "BUNDLE_CHECK_FAILED"


def bundle_key(case_id: uuid.UUID) -> str:
    return f"{case_id}.bundle"


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` without its deep copy of every leaf (a third of the time of
    building a batch's bundles): dataclasses become dicts, tuples lists, leaves stay as
    they are, so the JSON is the same."""
    names = _field_names(type(value))
    if names:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """A dataclass's field names (none for anything else), looked up once per type."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        fields = dataclasses.fields(kind) if dataclasses.is_dataclass(kind) else ()
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields)
    return names


def _document(
    case_file: CaseFile, timeline: list[dict[str, str]], access_log: list[dict[str, Any]]
) -> bytes:
    """The bundle's plaintext: canonical JSON (sorted keys), so reading it back compares."""
    document: dict[str, Any] = {
        "format": "tact.archive_bundle.v1",
        "case": _plain(case_file),
        "timeline": timeline,
        "notifications": notifications_in(timeline),
        "access_log": access_log,
    }
    return json.dumps(document, sort_keys=True, default=str).encode("utf-8")


async def bundle_document(session: AsyncSession, vault: Vault, case_id: uuid.UUID) -> bytes:
    """One case's bundle, read as every other reader of one case reads it. The job builds
    a batch's at once with `bundle_documents`, which gives the same bytes."""
    return _document(
        await open_case_file(session, vault, case_id),
        await case_timeline(session, case_id),
        await access_log_extract(session, AccessLogEntry.case_id == case_id),
    )


async def bundle_documents(
    session: AsyncSession, vault: Vault, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, bytes]:
    """The bundles of a batch of cases, from one query per table and one key-store read for
    the batch. Raises NotFound if a case is gone, like `bundle_document`."""
    files = await open_case_files(session, vault, case_ids)
    missing = [case_id for case_id in case_ids if case_id not in files]
    if missing:
        raise NotFound(f"no such case: {missing[0]}")
    timelines = await case_timelines(session, case_ids)
    extracts = await access_log_extracts(session, case_ids)
    return {
        case_id: _document(files[case_id], timelines[case_id], extracts[case_id])
        for case_id in case_ids
    }


async def write_bundles(
    session: AsyncSession, vault: Vault, store: ArchiveStore, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Write the batch's sealed bundles, read each back, open it and compare.
    Returns (key, digest) by case id.

    Built a part at a time: while one part's files are written, read back and checked (in a
    thread, waiting on the disk), the next part is read and sealed. Every write and check has
    ended before this returns or raises."""
    ciphers = await vault.ciphers([("case", case_id) for case_id in case_ids])
    checking: list[asyncio.Future[dict[uuid.UUID, tuple[str, str]]]] = []
    try:
        for start in range(0, len(case_ids), _PART):
            part = await bundle_documents(session, vault, case_ids[start : start + _PART])
            bundles = {
                case_id: _Bundle.sealed_under(ciphers[owner_of("case", case_id)], case_id, plain)
                for case_id, plain in part.items()
            }
            checking.append(
                asyncio.ensure_future(asyncio.to_thread(_put_and_check, store, bundles))
            )
    finally:
        done = await asyncio.gather(*checking, return_exceptions=True)
    written: dict[uuid.UUID, tuple[str, str]] = {}
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
        written.update(outcome)
    return written


@dataclass(frozen=True)
class _Bundle:
    """One case's bundle: its plaintext, and the same sealed under the case's data key."""

    cipher: FieldCipher
    plain: bytes
    sealed: bytes

    @classmethod
    def sealed_under(cls, cipher: FieldCipher, case_id: uuid.UUID, plain: bytes) -> _Bundle:
        sealed = cipher.seal("archive_bundles", "content", case_id, plain.decode("utf-8"))
        return cls(cipher, plain, sealed)


def _put_and_check(
    store: ArchiveStore, bundles: dict[uuid.UUID, _Bundle]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Write a part's bundles, then read each back, open it and compare (key, digest)."""
    store.put_many({bundle_key(case_id): b.sealed for case_id, b in bundles.items()})
    written = {}
    for case_id, bundle in bundles.items():
        key = bundle_key(case_id)
        back = store.get(key)
        digest = digest_of(bundle.sealed)
        if digest_of(back) != digest:
            raise BundleCheckFailed(f"archive bundle of case {case_id} read back changed")
        opened = bundle.cipher.open("archive_bundles", "content", case_id, back)
        if opened.encode("utf-8") != bundle.plain:
            raise BundleCheckFailed(f"archive bundle of case {case_id} does not open to the case")
        written[case_id] = (key, digest)
    return written


async def mark_archived(
    session: AsyncSession, bundles: dict[uuid.UUID, tuple[str, str]], now: Any
) -> None:
    """The cases become archived, and each one's recorded step says where its bundle is. A
    case's `updated_at` is kept: a case closed without arrangements counts from it."""
    ids = list(bundles)
    await session.execute(
        update(Case)
        .where(Case.id.in_(ids))
        .values(state=CaseState.ARCHIVED, updated_at=Case.updated_at)
    )
    recorded = set(
        await session.scalars(
            select(RetentionProgress.case_id).where(RetentionProgress.case_id.in_(ids))
        )
    )
    steps = [
        {
            "case_id": case_id,
            "step": RetentionStep.ARCHIVED,
            "bundle_key": key,
            "bundle_digest": digest,
            "updated_at": now,
        }
        for case_id, (key, digest) in bundles.items()
    ]
    # A step recorded by an earlier, interrupted run is replaced; the rest are inserted.
    replaced = [step for step in steps if step["case_id"] in recorded]
    added = [step for step in steps if step["case_id"] not in recorded]
    if replaced:
        await session.execute(update(RetentionProgress), replaced)
    if added:
        await session.execute(insert(RetentionProgress), added)
