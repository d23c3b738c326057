"""Access-log retention: entries older than the retention period are deleted, but only up to
a signed checkpoint, so the log still verifies from that checkpoint on (authz/log_verify.py
starts the chain at the checkpoint's hash when the entries before it are gone).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor
from authz.gate import Gate, Target
from authz.operations import Operation
from records.models import AccessLogCheckpoint, AccessLogEntry


async def prunable_up_to(session: AsyncSession, cutoff: dt.datetime) -> int | None:
    """The seq of the newest signed checkpoint at or before the newest entry older than
    `cutoff`: everything up to it may go. None: nothing may."""
    last_old = await session.scalar(
        select(func.max(AccessLogEntry.seq)).where(AccessLogEntry.at < cutoff)
    )
    if last_old is None:
        return None
    anchor: int | None = await session.scalar(
        select(func.max(AccessLogCheckpoint.seq)).where(AccessLogCheckpoint.seq <= last_old)
    )
    return anchor


async def prune_access_log(
    session: AsyncSession, gate: Gate, actor: Actor, cutoff: dt.datetime
) -> int:
    """Delete entries older than `cutoff` up to a signed checkpoint, through the gate (the
    pruning is itself an entry). Returns how many were deleted."""
    up_to = await prunable_up_to(session, cutoff)
    await session.rollback()
    if up_to is None:
        return 0
    async with gate.access(session, actor, Operation.PRUNE_ACCESS_LOG, Target()) as access:
        result = await access.session.execute(
            delete(AccessLogEntry).where(AccessLogEntry.seq <= up_to)
        )
        pruned = int(result.rowcount)  # type: ignore[attr-defined]
    return pruned
