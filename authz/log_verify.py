"""Verify the access log: recompute the chain from the first entry, and check every signed
checkpoint against it. Reports OK or the first bad entry and what is wrong with it.

What each kind of tampering looks like here:
- a changed entry: its hash no longer matches its contents;
- a removed entry: a gap in seq (or, if later entries were renumbered, a broken link);
- an inserted or reordered entry: its link to the previous entry is broken;
- a chain recomputed after a change: it no longer matches a signed checkpoint;
- a cut tail: the head is behind the newest checkpoint, in the database or in the witness
  (authz/witness.py), which keeps every checkpoint outside the database;
- removed checkpoints: a checkpoint the witness holds is not in the database.

Verify only reads: whoever calls it reports the result before writing anything (a write
after a cut would chain onto the cut head).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from authz.access_log import GENESIS, entry_hash, hash_of_row
from authz.audit_signing import CheckpointSigner
from authz.witness import WitnessedCheckpoint, WitnessUnreadable
from records.models import AccessLogCheckpoint, AccessLogEntry

_BATCH = 10_000
_E = AccessLogEntry
# The columns in the order `entry_hash` takes them, then the stored hash.
_HASHED = (
    _E.seq, _E.at, _E.actor, _E.role, _E.operation, _E.service, _E.case_id, _E.customer_id,
    _E.fields, _E.outcome, _E.reason, _E.request_id, _E.prev_hash, _E.reason_sealed,
    _E.entry_hash,
)  # fmt: skip
_PAGE = (
    select(*_HASHED)
    .where(AccessLogEntry.seq > bindparam("after"))
    .order_by(AccessLogEntry.seq)
    .limit(_BATCH)
)


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
    checking every checkpoint's signature and its place in the chain; then hold the log and
    its checkpoints against the signer's witness, if it has one."""
    stored = (
        await session.scalars(select(AccessLogCheckpoint).order_by(AccessLogCheckpoint.seq))
    ).all()
    checkpoints = [WitnessedCheckpoint.of(c) for c in stored]
    problems: list[Problem] = []
    try:
        witnessed = signer.witness.checkpoints() if signer.witness is not None else []
    except WitnessUnreadable as exc:
        problems.append(Problem(0, f"the witness cannot be read: {exc}"))
        witnessed = []
    problems += [
        problem
        for c in (*checkpoints, *witnessed)
        if (problem := _signature_problem(c, signer)) is not None
    ]
    problems += _missing_checkpoints(checkpoints, witnessed)
    pinned: dict[int, list[WitnessedCheckpoint]] = {}
    for c in (*checkpoints, *witnessed):
        pinned.setdefault(c.seq, []).append(c)

    expected, prev = await _start(session, pinned)
    walk = _Walk(signer.chain_key, pinned, expected, prev)
    async with aclosing(_pages(session)) as pages:
        async for page in pages:
            if not walk.over(page):
                break
    count, expected, chain_problem = walk.count, walk.expected, walk.problem
    head_seq = expected - 1
    newest = max(pinned, default=0)
    if chain_problem is not None:
        problems.append(chain_problem)
    elif newest > head_seq:
        problems.append(
            Problem(
                head_seq + 1,
                f"missing: the log ends at seq {head_seq} but a signed checkpoint "
                f"covers seq {newest} (entries were cut from the end)",
            )
        )
    first = min(problems, key=lambda p: p.seq) if problems else None
    return VerifyReport(count, head_seq, len(checkpoints), first)


async def _start(
    session: AsyncSession, pinned: dict[int, list[WitnessedCheckpoint]]
) -> tuple[int, bytes]:
    """Where the chain starts: the first entry, linked to the genesis hash; or, when older
    entries were pruned (retention/log_pruning.py), the entry after a signed checkpoint,
    linked to that checkpoint's hash. With no checkpoint there, the walk starts at 1 and the
    first entry it finds is reported missing its predecessors."""
    first = await session.scalar(select(func.min(AccessLogEntry.seq)))
    if first is None or first == 1 or not pinned.get(first - 1):
        return 1, GENESIS
    return first, pinned[first - 1][0].entry_hash


def _missing_checkpoints(
    stored: Sequence[WitnessedCheckpoint], witnessed: Sequence[WitnessedCheckpoint]
) -> list[Problem]:
    """The first witnessed checkpoint the database does not hold (checkpoints removed)."""
    held = {(c.seq, c.signature) for c in stored}
    for c in witnessed:
        if (c.seq, c.signature) not in held:
            return [
                Problem(
                    c.seq,
                    f"missing: the checkpoint at seq {c.seq} is in the witness but not in the "
                    "database (checkpoints were removed)",
                )
            ]
    return []


class _Walk:
    """The chain walked page by page, in a tight loop over plain rows: where it has got to
    (the seq expected next and the hash it must link to), and the first problem found."""

    def __init__(
        self,
        chain_key: bytes,
        pinned: dict[int, list[WitnessedCheckpoint]],
        expected: int,
        prev: bytes,
    ) -> None:
        self.chain_key = chain_key
        self.pinned = pinned
        self.expected = expected
        self.prev = prev
        self.count = 0
        self.problem: Problem | None = None

    def over(self, page: Sequence[Row[Any]]) -> bool:
        """Walk `page` (rows of `_PAGE`); False at the first problem."""
        key, pinned, expected, prev = self.chain_key, self.pinned, self.expected, self.prev
        for row in page:
            self.count += 1
            seq, *columns, link, sealed, stored = row
            stored = bytes(stored)
            computed = entry_hash(
                key, seq, *columns, bytes(link), None if sealed is None else bytes(sealed)
            )
            problem = _link_problem(seq, bytes(link), computed, stored, expected, prev)
            if problem is None and seq in pinned:
                problem = _checkpoint_problem(seq, stored, pinned[seq])
            if problem is not None:
                self.problem = problem
                self.expected, self.prev = expected, prev
                return False
            expected, prev = seq + 1, stored
        self.expected, self.prev = expected, prev
        return True


async def _pages(session: AsyncSession) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every entry in seq order, in pages of `_BATCH`: plain rows through Core on the
    session's connection (no ORM objects piling up on a long log), the next page asked for
    before this one is walked, so the database reads while the caller hashes."""
    connection = await session.connection()
    pending: asyncio.Task[Sequence[Row[Any]]] | None = asyncio.ensure_future(_page(connection, 0))
    try:
        while pending is not None:
            page = await pending
            pending = None
            if len(page) == _BATCH:
                pending = asyncio.ensure_future(_page(connection, page[-1][0]))
                await asyncio.sleep(0)  # let it reach the driver before the walk starts
            yield page
    finally:
        if pending is not None:
            # Stopped early (a problem found): the page in flight still owns the connection.
            await pending


async def _page(connection: AsyncConnection, after: int) -> Sequence[Row[Any]]:
    return (await connection.execute(_PAGE, {"after": after})).all()


def _entry_problem(chain_key: bytes, entry: Row[Any], expected: int, prev: bytes) -> Problem | None:
    stored = bytes(entry.entry_hash)
    computed = hash_of_row(chain_key, entry)
    return _link_problem(entry.seq, bytes(entry.prev_hash), computed, stored, expected, prev)


def _link_problem(
    seq: int, link: bytes, computed: bytes, stored: bytes, expected: int, prev: bytes
) -> Problem | None:
    if seq != expected:
        return Problem(expected, f"missing: the next entry present is seq {seq} (removed entries)")
    if link != prev:
        return Problem(
            seq,
            "does not link to the entry before it (an entry was inserted, removed or moved here)",
        )
    if computed != stored:
        return Problem(seq, "its contents do not match its hash (the entry was changed)")
    return None


def _checkpoint_problem(
    seq: int, stored: bytes, checkpoints: Sequence[WitnessedCheckpoint]
) -> Problem | None:
    for c in checkpoints:
        if c.entry_hash != stored:
            return Problem(
                seq,
                f"differs from the signed checkpoint at seq {c.seq} "
                "(the chain up to here was rewritten)",
            )
    return None


def _signature_problem(c: WitnessedCheckpoint, signer: CheckpointSigner) -> Problem | None:
    if c.key_id != signer.key_id:
        return Problem(c.seq, f"the checkpoint at seq {c.seq} is signed by an unknown key")
    if not signer.is_valid(c.seq, c.entry_hash, c.signed_at, c.signature):
        return Problem(
            c.seq, f"the checkpoint at seq {c.seq} has an invalid signature (forged checkpoint)"
        )
    return None


async def head_problem(session: AsyncSession, signer: CheckpointSigner) -> Problem | None:
    """A cheap check that the next entry can be chained on: the newest entry verifies, links
    to the one before it, and no entry already claims it as its predecessor. A row forged at
    the head fails here, and with it every append, so the server reports it (/readyz)."""
    rows = (
        await session.execute(
            select(*AccessLogEntry.__table__.columns).order_by(AccessLogEntry.seq.desc()).limit(2)
        )
    ).all()
    if not rows:
        return None
    newest = rows[0]
    before = bytes(rows[1].entry_hash) if len(rows) > 1 else GENESIS
    if len(rows) == 1 and newest.seq != 1:
        before = bytes(newest.prev_hash)  # what came before is gone: verify reports that
    problem = _entry_problem(signer.chain_key, newest, newest.seq, before)
    if problem is not None:
        return problem
    taken = await session.scalar(
        select(AccessLogEntry.seq).where(AccessLogEntry.prev_hash == newest.entry_hash).limit(1)
    )
    if taken is not None:
        return Problem(taken, "claims the newest entry as its predecessor (a forged entry)")
    return None
