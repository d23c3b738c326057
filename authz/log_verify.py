"""Verify the access log: recompute the chain from the first entry, and check every signed
checkpoint against it. Reports OK or the first bad entry and what is wrong with it.

What each kind of tampering looks like here:
- a changed entry: its hash no longer matches its contents;
- a removed entry: a gap in seq (or, if later entries were renumbered, a broken link);
- an inserted or reordered entry: its link to the previous entry is broken;
- a chain recomputed after a change: it no longer matches a signed checkpoint;
- a cut tail: the head is behind the newest checkpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.access_log import GENESIS, hash_of_row
from authz.audit_signing import CheckpointSigner
from records.models import AccessLogCheckpoint, AccessLogEntry

_BATCH = 2000


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head_seq: int
    checkpoints: int
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def first_bad_seq(self) -> int | None:
        return None if self.problem is None else self.problem.seq

    def describe(self) -> str:
        if self.problem is None:
            return (
                f"OK: {self.entries} entries, head at seq {self.head_seq}, "
                f"{self.checkpoints} checkpoint(s) valid"
            )
        return f"FAILED at entry seq {self.problem.seq}: {self.problem.what}"


async def verify(session: AsyncSession, signer: CheckpointSigner) -> VerifyReport:
    """Walk the whole log in seq order, recomputing each entry's HMAC with the chain key and
    checking every checkpoint's signature and its place in the chain."""
    checkpoints = (
        await session.scalars(select(AccessLogCheckpoint).order_by(AccessLogCheckpoint.seq))
    ).all()
    problems: list[Problem] = [
        problem for c in checkpoints if (problem := _signature_problem(c, signer)) is not None
    ]
    pinned: dict[int, list[AccessLogCheckpoint]] = {}
    for c in checkpoints:
        pinned.setdefault(c.seq, []).append(c)

    expected, prev, count = 1, GENESIS, 0
    chain_problem: Problem | None = None
    async for entry in _entries(session):
        count += 1
        chain_problem = _entry_problem(signer.chain_key, entry, expected, prev)
        if chain_problem is None:
            chain_problem = _checkpoint_problem(entry, pinned.get(entry.seq, ()))
        if chain_problem is not None:
            break
        expected, prev = entry.seq + 1, bytes(entry.entry_hash)
    head_seq = expected - 1
    if chain_problem is not None:
        problems.append(chain_problem)
    elif checkpoints and checkpoints[-1].seq > head_seq:
        problems.append(
            Problem(
                head_seq + 1,
                f"missing: the log ends at seq {head_seq} but a signed checkpoint "
                f"covers seq {checkpoints[-1].seq} (entries were cut from the end)",
            )
        )
    first = min(problems, key=lambda p: p.seq) if problems else None
    return VerifyReport(count, head_seq, len(checkpoints), first)


async def _entries(session: AsyncSession) -> AsyncIterator[Row[Any]]:
    # Plain rows, not ORM objects: nothing piles up in the session on a long log.
    columns = AccessLogEntry.__table__.columns
    last = 0
    while True:
        batch = (
            await session.execute(
                select(*columns)
                .where(AccessLogEntry.seq > last)
                .order_by(AccessLogEntry.seq)
                .limit(_BATCH)
            )
        ).all()
        for entry in batch:
            yield entry
        if len(batch) < _BATCH:
            return
        last = batch[-1].seq


def _entry_problem(chain_key: bytes, entry: Row[Any], expected: int, prev: bytes) -> Problem | None:
    if entry.seq != expected:
        return Problem(
            expected, f"missing: the next entry present is seq {entry.seq} (removed entries)"
        )
    if bytes(entry.prev_hash) != prev:
        return Problem(
            entry.seq,
            "does not link to the entry before it (an entry was inserted, removed or moved here)",
        )
    if hash_of_row(chain_key, entry) != bytes(entry.entry_hash):
        return Problem(entry.seq, "its contents do not match its hash (the entry was changed)")
    return None


def _checkpoint_problem(
    entry: Row[Any], checkpoints: Sequence[AccessLogCheckpoint]
) -> Problem | None:
    for c in checkpoints:
        if bytes(c.entry_hash) != bytes(entry.entry_hash):
            return Problem(
                entry.seq,
                f"differs from signed checkpoint {c.id} (the chain up to here was rewritten)",
            )
    return None


def _signature_problem(c: AccessLogCheckpoint, signer: CheckpointSigner) -> Problem | None:
    if c.key_id != signer.key_id:
        return Problem(c.seq, f"checkpoint {c.id} is signed by an unknown key {c.key_id}")
    if not signer.is_valid(c.seq, bytes(c.entry_hash), c.signed_at, bytes(c.signature)):
        return Problem(c.seq, f"checkpoint {c.id} has an invalid signature (forged checkpoint)")
    return None
