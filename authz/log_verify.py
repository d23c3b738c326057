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
import re
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, String, bindparam, func, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from authz.access_log import GENESIS, hash_of_row, hash_of_texts
from authz.audit_signing import CheckpointSigner, utc_text
from authz.witness import WitnessedCheckpoint, WitnessUnreadable
from records.models import AccessLogCheckpoint, AccessLogEntry

_BATCH = 10_000
_E = AccessLogEntry
# The columns in the order `hash_of_texts` takes them, then the stored hash. The time and the
# ids are read as the database holds them (text on SQLite): `_Walk` turns the form SQLAlchemy
# writes straight into the text the hash covers, instead of building a datetime and a UUID per
# entry and printing them again (a third of the walk on a long log).
_HASHED = (
    _E.seq, type_coerce(_E.at, String), _E.actor, _E.role, _E.operation, _E.service,
    type_coerce(_E.case_id, String), type_coerce(_E.customer_id, String), _E.fields,
    _E.outcome, _E.reason, _E.request_id, _E.prev_hash, _E.reason_sealed, _E.entry_hash,
)  # fmt: skip
_PAGE = (
    select(*_HASHED)
    .where(AccessLogEntry.seq > bindparam("after"))
    .order_by(AccessLogEntry.seq)
    .limit(_BATCH)
)
# SQLAlchemy's SQLite forms: "2026-06-01 08:00:00.000000" (a year from 1000: strftime writes
# earlier years unpadded) and 32 lower-case hex digits. Anything else is read the slow way.
_STORED_AT = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")
_STORED_ID = re.compile(r"[0-9a-f]{32}")


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
    connection = await session.connection()
    walk = _Walk(signer.chain_key, pinned, expected, prev, connection.dialect)
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
        dialect: Dialect,
    ) -> None:
        self.chain_key = chain_key
        self.pinned = pinned
        self.expected = expected
        self.prev = prev
        self.count = 0
        self.problem: Problem | None = None
        # How SQLAlchemy reads a stored time and id on this database: the slow way.
        self._read_at = _E.at.type.dialect_impl(dialect).result_processor(dialect, None)
        self._read_id = _E.case_id.type.dialect_impl(dialect).result_processor(dialect, None)

    def over(self, page: Sequence[Any]) -> bool:
        """Walk `page` (rows of `_PAGE`); False at the first problem."""
        key, pinned, expected, prev = self.chain_key, self.pinned, self.expected, self.prev
        at_text, id_text = self.at_text, self.id_text
        for row in page:
            self.count += 1
            (seq, at, actor, role, operation, service, case_id, customer_id, fields, outcome,
             reason, request_id, link, sealed, stored) = row  # fmt: skip
            link, stored = bytes(link), bytes(stored)
            computed = hash_of_texts(
                key, seq, at_text(at), actor, role, operation, service, id_text(case_id),
                id_text(customer_id), fields, outcome, reason, request_id, link,
                None if sealed is None else bytes(sealed).hex(),
            )  # fmt: skip
            problem = _link_problem(seq, link, computed, stored, expected, prev)
            if problem is None and seq in pinned:
                problem = _checkpoint_problem(seq, stored, pinned[seq])
            if problem is not None:
                self.problem = problem
                self.expected, self.prev = expected, prev
                return False
            expected, prev = seq + 1, stored
        self.expected, self.prev = expected, prev
        return True

    def at_text(self, at: Any) -> str:
        """`utc_text` of a stored time, as read by `_PAGE`."""
        if type(at) is str:
            if _STORED_AT.fullmatch(at):
                return f"{at[:10]}T{at[11:]}Z"
            at = self._read_at(at) if self._read_at is not None else at
        return utc_text(at)

    def id_text(self, value: Any) -> str | None:
        """The canonical text of a stored id, as read by `_PAGE`."""
        if value is None:
            return None
        if type(value) is str:
            if _STORED_ID.fullmatch(value):
                v = value
                return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"
            value = self._read_id(value) if self._read_id is not None else value
        return str(value)


async def _pages(session: AsyncSession) -> AsyncGenerator[Sequence[Any], None]:
    """Every entry in seq order, in pages of `_BATCH`: plain rows through Core on the
    session's connection (no ORM objects piling up on a long log), the next page asked for
    before this one is walked, so the database reads while the caller hashes."""
    connection = await session.connection()
    pending: asyncio.Task[Sequence[Any]] | None = asyncio.ensure_future(_page(connection, 0))
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


async def _page(connection: AsyncConnection, after: int) -> Sequence[Any]:
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


def head_broken_next_step(seq: int) -> str:
    """What to do once the log's head does not verify (README, "Access and the access log"):
    said by `tact audit verify` after naming the entry, and in the server's log, rather than
    sending whoever reads it back to the command that found it."""
    return (
        "Treat it as a security incident (the database was written to outside Tact): keep a "
        f"copy of the database as it is, then restore entry seq {seq} and any after it from a "
        "backup, or delete it if it was added rather than changed, and run `tact audit verify` "
        "again; gated requests are served once the log's head verifies."
    )


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
