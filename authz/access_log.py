"""The hash-chained access log (DESIGN.md 6): append, checkpoints, queries.

Each entry's hash is HMAC-SHA256, under the chain key (authz/audit_signing.py, derived from a
key kept outside the database), over an unambiguous encoding of every column and the previous
entry's hash (32 zero bytes before the first). Changing, removing, inserting or reordering an
entry breaks the chain at that entry, and without the key no entry can be made that verifies,
even at the tail; signed checkpoints catch a cut tail. Verification is in log_verify.py.

Appends never fork: on PostgreSQL a transaction-scoped advisory lock serialises writers from
the moment they read the head until they commit; on SQLite every transaction already holds
the write lock (BEGIN IMMEDIATE, records/database.py and records/writer.py). `prev_hash` is
UNIQUE as a backstop.
The lock is held until commit, so the caller appends as its last statement and commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from authz.audit_signing import CheckpointSigner, utc_text
from authz.operations import Operation, Outcome
from authz.witness import WitnessedCheckpoint, deliver_off_loop, publish_after_commit
from records.case_files import find_case_id
from records.certificates import destroyed_case_id, destroyed_case_references
from records.errors import NotFound, ValidationFailed
from records.models import AccessLogCheckpoint, AccessLogEntry, Case, as_utc
from records.vault import Vault
from records.writer import Writer, Writes

GENESIS = bytes(32)
_ENTRIES = AccessLogEntry.metadata.tables[AccessLogEntry.__tablename__]
_CHECKPOINTS = AccessLogCheckpoint.metadata.tables[AccessLogCheckpoint.__tablename__]
_DOMAIN = b"tact.access_log.entry.v1\x00"
# pg_advisory_xact_lock key: "tact-log" as a big-endian integer, so it is recognisable.
APPEND_LOCK = int.from_bytes(b"tact-log", "big")
_LIMITS = {
    "actor": 160,
    "role": 40,
    "operation": 60,
    "service": 64,
    "fields": 400,
    "request_id": 64,
}


@dataclass(frozen=True)
class LogRecord:
    """What one entry says, before it has a place in the chain. Ids and references only."""

    at: dt.datetime
    actor: str
    operation: str
    outcome: str
    role: str | None = None
    service: str | None = None
    case_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    fields: str | None = None
    reason: str | None = None
    request_id: str | None = None
    reason_sealed: bytes | None = None

    def but(self, **changes: Any) -> LogRecord:
        """This entry with `changes`: `dataclasses.replace` without its per-field
        introspection (the gate copies an entry several times on every access)."""
        return LogRecord(**{**self.__dict__, **changes})

    def fitted(self) -> LogRecord:
        """Cut values to their columns' sizes, so an over-long request id cannot make the
        entry unwritable (and with it the operation)."""
        changes: dict[str, Any] = {
            name: value[:limit]
            for name, limit in _LIMITS.items()
            if isinstance(value := getattr(self, name), str) and len(value) > limit
        }
        return self.but(**changes) if changes else self


def _encode(value: str | None) -> bytes:
    if value is None:
        return b"\x00"
    raw = value.encode("utf-8")
    return b"\x01" + len(raw).to_bytes(4, "big") + raw


_WORDS: dict[str, bytes] = {}


def _encode_word(value: str | None) -> bytes:
    """`_encode`, remembered for the few values a column repeats (actors, operations,
    services, outcomes): verifying a long log encodes each of them millions of times."""
    if value is None:
        return b"\x00"
    encoded = _WORDS.get(value)
    if encoded is None:
        if len(_WORDS) > 10_000:
            _WORDS.clear()
        encoded = _WORDS[value] = _encode(value)
    return encoded


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def entry_hash(
    chain_key: bytes,
    seq: int,
    at: dt.datetime,
    actor: str,
    role: str | None,
    operation: str,
    service: str | None,
    case_id: uuid.UUID | None,
    customer_id: uuid.UUID | None,
    fields: str | None,
    outcome: str,
    reason: str | None,
    request_id: str | None,
    prev_hash: bytes,
    reason_sealed: bytes | None = None,
) -> bytes:
    """HMAC-SHA256 under the chain key over every column in a fixed order, each
    length-prefixed (None is distinct from ""), then the previous entry's hash."""
    return hash_of_texts(
        chain_key, seq, utc_text(at), actor, role, operation, service, _text(case_id),
        _text(customer_id), fields, outcome, reason, request_id, prev_hash,
        None if reason_sealed is None else reason_sealed.hex(),
    )  # fmt: skip


def hash_of_texts(
    chain_key: bytes,
    seq: int,
    at: str,
    actor: str,
    role: str | None,
    operation: str,
    service: str | None,
    case_id: str | None,
    customer_id: str | None,
    fields: str | None,
    outcome: str,
    reason: str | None,
    request_id: str | None,
    prev_hash: bytes,
    reason_sealed: str | None,
) -> bytes:
    """`entry_hash` of values already in the text it hashes: the time as `utc_text`, ids in
    their canonical UUID text, the sealed reason in hex (log_verify.py reads them so)."""
    # One message and one call into OpenSSL: the same bytes as feeding the HMAC piece by
    # piece, at a fraction of the cost (verifying a long log computes millions of these).
    message = b"".join(
        (
            _DOMAIN,
            _encode(str(seq)),
            _encode(at),
            _encode_word(actor),
            _encode_word(role),
            _encode_word(operation),
            _encode_word(service),
            _encode(case_id),
            _encode(customer_id),
            _encode_word(fields),
            _encode_word(outcome),
            _encode(reason),
            _encode(request_id),
            _encode(reason_sealed),
            prev_hash,
        )
    )
    return hmac.digest(chain_key, message, hashlib.sha256)


def hash_of_row(chain_key: bytes, entry: Any) -> bytes:
    """Recompute a stored entry's hash from its columns (an AccessLogEntry or a row of it)."""
    return entry_hash(
        chain_key,
        entry.seq,
        entry.at,
        entry.actor,
        entry.role,
        entry.operation,
        entry.service,
        entry.case_id,
        entry.customer_id,
        entry.fields,
        entry.outcome,
        entry.reason,
        entry.request_id,
        bytes(entry.prev_hash),
        None if entry.reason_sealed is None else bytes(entry.reason_sealed),
    )


def _head_statement() -> Select[int, bytes]:
    return (
        select(AccessLogEntry.seq, AccessLogEntry.entry_hash)
        .order_by(AccessLogEntry.seq.desc())
        .limit(1)
    )


async def head(session: AsyncSession) -> tuple[int, bytes]:
    """(seq, entry_hash) of the newest entry, or (0, GENESIS) for an empty log."""
    row = (await session.execute(_head_statement())).first()
    return (0, GENESIS) if row is None else (row.seq, bytes(row.entry_hash))


@dataclass(frozen=True)
class Chained:
    """Records given their places in the chain: the access_log rows, and the signed
    checkpoints (access_log_checkpoints rows) that fall among them."""

    rows: list[dict[str, Any]]
    checkpoints: list[dict[str, Any]]

    @property
    def seqs(self) -> list[int]:
        return [row["seq"] for row in self.rows]


def chain(
    records: Sequence[LogRecord],
    head: tuple[int, bytes],
    *,
    signer: CheckpointSigner,
    checkpoint_every: int,
    now: dt.datetime,
) -> Chained:
    """Chain `records` after `head` ((seq, entry_hash) of the newest entry). Every
    `checkpoint_every`-th entry also gets a signed checkpoint, dated `now`."""
    seq, prev = head
    rows: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    for record in records:
        record = record.fitted()
        seq += 1
        digest = entry_hash(
            signer.chain_key,
            seq,
            record.at,
            record.actor,
            record.role,
            record.operation,
            record.service,
            record.case_id,
            record.customer_id,
            record.fields,
            record.outcome,
            record.reason,
            record.request_id,
            prev,
            record.reason_sealed,
        )
        rows.append({**record.__dict__, "seq": seq, "prev_hash": prev, "entry_hash": digest})
        if checkpoint_every > 0 and seq % checkpoint_every == 0:
            checkpoints.append(_signed(signer, seq, digest, now))
        prev = digest
    return Chained(rows, checkpoints)


def _signed(signer: CheckpointSigner, seq: int, digest: bytes, at: dt.datetime) -> dict[str, Any]:
    """An access_log_checkpoints row (without its id): entry `seq` and its hash, signed."""
    return {
        "seq": seq,
        "entry_hash": digest,
        "signed_at": at,
        "signature": signer.sign(seq, digest, at),
        "key_id": signer.key_id,
    }


async def append(
    session: AsyncSession,
    records: Sequence[LogRecord],
    *,
    signer: CheckpointSigner,
    checkpoint_every: int = 0,
    now: dt.datetime | None = None,
) -> list[int]:
    """Chain `records` onto the log in `session`'s transaction (not committed: the caller
    commits right after). Returns the new entries' seq numbers."""
    if not records:
        return []
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
    chained = chain(
        records,
        await head(session),
        signer=signer,
        checkpoint_every=checkpoint_every,
        now=now or records[0].at,
    )
    # Core executemany on the session's connection: the ORM's bulk-insert path costs more
    # Python per row and does nothing here (no identity map, no defaults to fetch).
    connection = await session.connection()
    await connection.execute(insert(_ENTRIES), chained.rows)
    for row in chained.checkpoints:
        await _keep(session, signer, AccessLogCheckpoint(**row))
    return chained.seqs


async def append_direct(
    writer: Writer,
    records: Sequence[LogRecord],
    *,
    signer: CheckpointSigner,
    checkpoint_every: int = 0,
    now: dt.datetime | None = None,
) -> list[int]:
    """`append` in a transaction of its own, committed, straight on the driver
    (records/writer.py): the group commit's path (authz/group_commit.py). The chain, the
    lock and the checkpoints are the same; a checkpoint goes to the witness once committed."""
    if not records:
        return []
    at = now or records[0].at
    newest = writer.prepare("access_log.head", _head_statement)
    entries = writer.prepare("access_log.insert", lambda: _insert_of(_ENTRIES))
    checkpoints = writer.prepare("access_log.checkpoint", lambda: _insert_of(_CHECKPOINTS))

    def then(found: list[tuple[Any, ...]]) -> tuple[Writes, Chained]:
        last = (found[0][0], bytes(found[0][1])) if found else (0, GENESIS)
        chained = chain(records, last, signer=signer, checkpoint_every=checkpoint_every, now=at)
        return [(entries, chained.rows), (checkpoints, chained.checkpoints)], chained

    chained = await writer.transaction(newest, then, serialise=APPEND_LOCK)
    if signer.witness is not None:
        witness = signer.witness
        await deliver_off_loop([(witness, WitnessedCheckpoint(**c)) for c in chained.checkpoints])
    return chained.seqs


def _insert_of(table: Table) -> Insert:
    """INSERT of one row of `table`: every column but an autoincremented id, bound by name."""
    return insert(table).values(
        {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
    )


async def _keep(
    session: AsyncSession, signer: CheckpointSigner, checkpoint: AccessLogCheckpoint
) -> AccessLogCheckpoint:
    """Add a signed checkpoint to `session`; the witness gets it once the session commits."""
    session.add(checkpoint)
    await session.flush()
    publish_after_commit(session, signer.witness, checkpoint)
    return checkpoint


async def checkpoint(
    session: AsyncSession, signer: CheckpointSigner, now: dt.datetime
) -> AccessLogCheckpoint | None:
    """Sign the current head (not committed). None for an empty log."""
    seq, digest = await head(session)
    if seq == 0:
        return None
    return await _keep(session, signer, AccessLogCheckpoint(**_signed(signer, seq, digest, now)))


# -- queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    """IG officers' questions. `customer_ids` also finds entries about those customers'
    cases: "who has seen this person's record?"."""

    case_ids: tuple[uuid.UUID, ...] | None = None
    customer_ids: tuple[uuid.UUID, ...] | None = None
    actor: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    operation: str | None = None
    outcome: str | None = None

    def condition(self) -> ColumnElement[bool]:
        entry = AccessLogEntry
        terms: list[ColumnElement[bool]] = []
        if self.case_ids is not None:
            terms.append(entry.case_id.in_(self.case_ids))
        if self.customer_ids is not None:
            their_cases = select(Case.id).where(Case.customer_id.in_(self.customer_ids))
            terms.append(
                or_(entry.customer_id.in_(self.customer_ids), entry.case_id.in_(their_cases))
            )
        if self.actor is not None:
            terms.append(entry.actor == self.actor)
        since = None if self.since is None else _utc(self.since, "filter.from")
        until = None if self.until is None else _utc(self.until, "filter.to")
        if since is not None and until is not None and until <= since:
            # An empty answer would read as "nobody has seen it".
            raise ValidationFailed("filter.to", "must be after filter.from")
        if since is not None:
            terms.append(entry.at >= since)
        if until is not None:
            terms.append(entry.at < until)
        if self.operation is not None:
            terms.append(entry.operation == _one_of(self.operation, Operation, "filter.operation"))
        if self.outcome is not None:
            terms.append(entry.outcome == _one_of(self.outcome, Outcome, "filter.outcome"))
        return and_(*terms) if terms else and_(True)


def _one_of(word: str, words: type[Operation] | type[Outcome], field: str) -> str:
    # A word the log never records matches nothing, and an empty answer would read as "no
    # such access" when the question was mistyped.
    if word not in {w.value for w in words}:
        raise ValidationFailed(field, "must be one of " + ", ".join(words))
    return word


def _utc(moment: dt.datetime, field: str) -> dt.datetime:
    try:
        return as_utc(moment)
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is in the year 10000 in UTC
        raise ValidationFailed(field, "is outside the range of dates Tact keeps") from None


@dataclass(frozen=True)
class CaseAsked:
    """A case reference an IG officer asks the log about: the ids its entries name (none for
    a reference to no case), and the live case the gate checks access to. A destroyed case,
    found by its certificate, has none: asking about it is asking about the log as a whole
    (an IG officer of every service), as its service is gone with it."""

    case_ids: tuple[uuid.UUID, ...]
    live: uuid.UUID | None


async def case_asked(session: AsyncSession, reference: str, field: str) -> CaseAsked:
    """The case a filter names, live or destroyed. One that names no case is refused on
    `field`: an empty page would read as "nobody accessed it"."""
    live = await find_case_id(session, reference)
    if live is not None:
        return CaseAsked((live,), live)
    destroyed = await destroyed_case_id(session, reference)
    if destroyed is None:
        raise ValidationFailed(field, "no case with that reference")
    return CaseAsked((destroyed,), None)


@dataclass(frozen=True)
class LogPage:
    entries: list[AccessLogEntry]
    has_next: bool
    # The office reference of each case the entries name: a live case's, or a destroyed
    # case's from its certificate (those written before certificates kept the id: none).
    references: dict[uuid.UUID, str]


async def query(
    session: AsyncSession, where: LogFilter, *, first: int = 50, after: int | None = None
) -> LogPage:
    """Entries matching `where`, newest first; `after` is the last seq of the previous page."""
    first = max(1, min(first, 500))
    statement = select(AccessLogEntry).where(where.condition())
    if after is not None:
        statement = statement.where(AccessLogEntry.seq < after)
    rows = (
        await session.scalars(statement.order_by(AccessLogEntry.seq.desc()).limit(first + 1))
    ).all()
    entries = list(rows[:first])
    ids = {e.case_id for e in entries if e.case_id is not None}
    references: dict[uuid.UUID, str] = {}
    if ids:
        found = await session.execute(select(Case.id, Case.reference).where(Case.id.in_(ids)))
        references = {row.id: row.reference for row in found}
        gone = [case_id for case_id in ids if case_id not in references]
        references |= await destroyed_case_references(session, gone)
    return LogPage(entries, len(rows) > first, references)


async def break_glass_review(
    session: AsyncSession, *, first: int = 50, after: int | None = None
) -> LogPage:
    """Break-glass openings, newest first, for IG review."""
    return await query(session, LogFilter(outcome=Outcome.BREAK_GLASS), first=first, after=after)


# What a sealed reason reads as once its case was destroyed and its data key shredded.
REASON_DESTROYED = "(destroyed with the case)"


async def opened_reasons(vault: Vault, entries: Sequence[Any]) -> dict[int, str]:
    """The reasons of `entries` (by seq) for IG review, opened with their cases' keys."""
    opened: dict[int, str] = {}
    for entry in entries:
        if entry.reason_sealed is None or entry.case_id is None:
            if entry.reason is not None:
                opened[entry.seq] = entry.reason
            continue
        try:
            cipher = await vault.cipher("case", entry.case_id)
        except NotFound:
            opened[entry.seq] = REASON_DESTROYED
            continue
        opened[entry.seq] = cipher.open(
            "access_log", "reason", entry.case_id, bytes(entry.reason_sealed)
        )
    return opened
