"""An access log of many entries, built in bulk as authz/access_log.py chains and signs them:
for bench/audit_verify.py (how long a long log takes to verify) and `bench/status.py
--log-entries` (what a lookup costs once the log is as long as a council's gets)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from authz.access_log import GENESIS, entry_hash
from authz.audit_signing import CheckpointSigner
from records.bulk_rows import insert_rows
from records.database import Database
from records.models import AccessLogCheckpoint, AccessLogEntry, Base

BATCH = 50_000
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
_ENTRY_COLUMNS = (
    "seq", "at", "actor", "role", "operation", "service", "case_id", "customer_id", "fields",
    "outcome", "reason", "request_id", "prev_hash", "entry_hash",
)  # fmt: skip
_CHECKPOINT_COLUMNS = ("seq", "entry_hash", "signed_at", "signature", "key_id")
_PORTAL = "portal:bench-portal"


def table(model: type[Base]) -> Any:
    return model.metadata.tables[model.__tablename__]


def _entries(
    signer: CheckpointSigner, count: int, every: int, people: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Batches of (entries, checkpoints): portal lookups about `people` customers, staff
    reads and refusals, chained and signed as the gate's appends chain and sign them."""
    prev = GENESIS
    entries: list[tuple[Any, ...]] = []
    checkpoints: list[tuple[Any, ...]] = []
    customers = [uuid.uuid4() for _ in range(people)]
    cases = [uuid.uuid4() for _ in range(300)]
    for seq in range(1, count + 1):
        at = START + dt.timedelta(milliseconds=seq * 7)
        if seq % 10:
            actor, role, operation, fields = _PORTAL, None, "restriction_status", "status"
            case_id, customer_id = None, customers[(seq * 7919) % people]
        else:
            actor, role, operation, fields = "staff:officer.3", "officer", "read_case", "full"
            case_id, customer_id = cases[seq % 300], None
        outcome = "denied" if seq % 97 == 0 else "allowed"
        reason = "no rule allows this" if outcome == "denied" else None
        request_id = f"bench-{seq}"
        values = (seq, at, actor, role, operation, "housing", case_id, customer_id, fields,
                  outcome, reason, request_id, prev)  # fmt: skip
        digest = entry_hash(signer.chain_key, *values)
        entries.append((*values, digest))
        if every and seq % every == 0:
            checkpoints.append((seq, digest, at, signer.sign(seq, digest, at), signer.key_id))
        prev = digest
        if len(entries) == BATCH:
            yield entries, checkpoints
            entries, checkpoints = [], []
    if entries:
        yield entries, checkpoints


async def fill_log(
    database: Database, signer: CheckpointSigner, count: int, every: int, *, people: int = 1000
) -> None:
    """Chain `count` entries onto an empty log, in bulk, with a signed checkpoint every
    `every`: what a council's log holds after months of lookups."""
    for entries, checkpoints in _entries(signer, count, every, people):
        async with database.engine.begin() as conn:
            await insert_rows(conn, table(AccessLogEntry), _ENTRY_COLUMNS, entries)
            await insert_rows(conn, table(AccessLogCheckpoint), _CHECKPOINT_COLUMNS, checkpoints)
    if database.engine.dialect.name == "postgresql":
        async with database.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
