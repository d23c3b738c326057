"""The checkpoint witness: every signed checkpoint also leaves the case database.

Checkpoints kept only beside the log can be cut with it: someone who can delete the last
entries can delete the checkpoints that cover them too. So each checkpoint is also handed to a
witness outside the database, and `verify` (authz/log_verify.py) fails when the log is behind
what the witness saw, or a witnessed checkpoint is missing from the database. This is how
CloudTrail delivers its digest files apart from the logs they cover.

The default witness is a folder with one small file per checkpoint, created once and never
rewritten (`TACT_AUDIT_WITNESS_PATH`). Point it at storage the database's writers cannot
rewrite: another host's share, an object store with object lock, a WORM volume.

A checkpoint is witnessed only after the transaction that made it commits (a rolled-back
checkpoint would otherwise be "missing" from the database for ever): `publish_after_commit`
queues it on the session and a session event hands it over on commit. The gate's own commits
take the queue first and hand it over from a worker thread after the commit (`take_pending`,
`deliver_off_loop`): a mutation's commit never holds a server's event loop while a witness
file is synced.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from authz.audit_signing import utc_text
from records.key_files import write_new

log = logging.getLogger("tact.audit")
_PENDING = "tact.witness.pending"
_SUFFIX = ".json"


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """What the witness keeps of one checkpoint: enough to check its signature again."""

    seq: int
    entry_hash: bytes
    signed_at: dt.datetime
    signature: bytes
    key_id: str

    @classmethod
    def of(cls, checkpoint: Any) -> WitnessedCheckpoint:
        """From an AccessLogCheckpoint (or anything with its columns)."""
        return cls(
            seq=checkpoint.seq,
            entry_hash=bytes(checkpoint.entry_hash),
            signed_at=checkpoint.signed_at,
            signature=bytes(checkpoint.signature),
            key_id=checkpoint.key_id,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "entry_hash": self.entry_hash.hex(),
                "signed_at": utc_text(self.signed_at),
                "signature": self.signature.hex(),
                "key_id": self.key_id,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> WitnessedCheckpoint:
        data = json.loads(text)
        return cls(
            seq=int(data["seq"]),
            entry_hash=bytes.fromhex(data["entry_hash"]),
            signed_at=dt.datetime.strptime(data["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ"),
            signature=bytes.fromhex(data["signature"]),
            key_id=str(data["key_id"]),
        )


class CheckpointWitness(Protocol):
    """Somewhere outside the case database that keeps every signed checkpoint."""

    def record(self, checkpoint: WitnessedCheckpoint) -> None: ...

    def checkpoints(self) -> list[WitnessedCheckpoint]:
        """Everything witnessed, in seq order."""
        ...


class WitnessUnreadable(Exception):
    """A file in the witness is not a checkpoint this code wrote. Names the file only."""


class FolderWitness:
    """One file per checkpoint, created exclusively and never rewritten: appending is the
    only thing this code does to the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def record(self, checkpoint: WitnessedCheckpoint) -> None:
        tag = hashlib.sha256(checkpoint.signature).hexdigest()[:16]
        path = self.folder / f"{checkpoint.seq:020d}-{tag}{_SUFFIX}"
        # Whole or not at all: `verify` reading beside this, or a crash mid-write, never
        # meets a half-written checkpoint. Already there: the same one, already witnessed.
        write_new(path, checkpoint.to_json().encode("ascii"), mode=0o444)

    def checkpoints(self) -> list[WitnessedCheckpoint]:
        if not self.folder.is_dir():
            return []
        found: list[WitnessedCheckpoint] = []
        for path in sorted(self.folder.glob(f"*{_SUFFIX}")):
            try:
                found.append(WitnessedCheckpoint.from_json(path.read_text("ascii")))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                raise WitnessUnreadable(f"witness file {path.name} is not a checkpoint") from exc
        return sorted(found, key=lambda c: c.seq)


def publish_after_commit(
    session: AsyncSession, witness: CheckpointWitness | None, checkpoint: Any
) -> None:
    """Queue `checkpoint` for `witness`, handed over when `session` commits (dropped if it
    rolls back). Does nothing without a witness."""
    if witness is None:
        return
    pending = session.sync_session.info.setdefault(_PENDING, [])
    pending.append((witness, WitnessedCheckpoint.of(checkpoint)))


def deliver(witness: CheckpointWitness | None, checkpoint: WitnessedCheckpoint) -> None:
    """Hand a committed checkpoint to `witness` (if any). A witness that cannot be written
    is logged, not raised: the entries stand, and the next checkpoint is witnessed again."""
    if witness is None:
        return
    try:
        witness.record(checkpoint)
    except OSError:
        log.error(
            "a signed checkpoint could not be written to the witness",
            extra={"event": "witness_write_failed", "seq": checkpoint.seq},
        )


Pending = list[tuple[CheckpointWitness, WitnessedCheckpoint]]


def take_pending(session: AsyncSession) -> Pending:
    """The checkpoints queued on `session`, taken off it before the caller commits it: the
    caller then hands them over with `deliver_off_loop` once the commit has succeeded, and
    the commit event has none left to write on the event loop's thread (the gate's mutations
    do this)."""
    pending: Pending = session.sync_session.info.pop(_PENDING, [])
    return pending


async def deliver_off_loop(pending: Pending) -> None:
    """Hand committed checkpoints to their witness from a worker thread: each is a file
    created and synced, which would otherwise hold every request the event loop serves."""
    for witness, checkpoint in pending:
        await asyncio.to_thread(deliver, witness, checkpoint)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for witness, checkpoint in session.info.pop(_PENDING, ()):
        deliver(witness, checkpoint)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
