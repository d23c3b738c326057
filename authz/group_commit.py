"""Group commit of access-log entries: concurrent requests' entries chained and committed in one
transaction, each caller released only once the commit holding its entry has succeeded.

    log_writer = GroupCommit(database.writer, signer=signer, checkpoint_every=1000, clock=utcnow)
    seqs = await log_writer.append(records)   # returns after COMMIT; raises if it failed

One drain task per process writes at a time. While it commits a batch, new entries queue;
the next batch takes all of them (up to `max_batch`). So under load one transaction (on
PostgreSQL: one advisory lock, one head read, one INSERT, one fsync) carries many requests'
entries, and the lock that keeps the chain unforked across processes is taken once per batch,
not once per request. With one request in flight, a batch is that request's entry alone: no
waiting for company. The chain, the checkpoints and the lock are `access_log.append`'s; the
batch is written straight on the driver, on a connection of its own (`append_direct`,
records/writer.py), with no session.

If a batch fails, every caller in it gets the error (nothing of theirs was written), so
no answer leaves without its entry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authz.access_log import LogRecord, append_direct
from authz.audit_signing import CheckpointSigner
from records.writer import Writer

log = logging.getLogger("tact.access_log")

BatchObserver = Callable[[int, bool], None]  # (entries in the batch, committed?)


class AccessLogUnavailable(Exception):
    """The batch holding this caller's entries could not be committed."""


@dataclass
class _Waiting:
    records: Sequence[LogRecord]
    done: asyncio.Future[list[int]]


class GroupCommit:
    def __init__(
        self,
        writer: Writer,
        *,
        signer: CheckpointSigner,
        checkpoint_every: int,
        clock: Callable[[], dt.datetime],
        max_batch: int = 256,
        observe: BatchObserver | None = None,
    ) -> None:
        self._writer = writer
        self._signer = signer
        self._checkpoint_every = checkpoint_every
        self._clock = clock
        self._max_batch = max_batch
        self._queue: list[_Waiting] = []
        self._drain: asyncio.Task[None] | None = None
        self.observe = observe

    async def append(self, records: Sequence[LogRecord]) -> list[int]:
        """Chain `records` onto the log; returns their seq numbers once committed."""
        if not records:
            return []
        waiting = _Waiting(records, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._run())
        # A caller that goes away (client disconnect) does not cancel the batch: the entry
        # of an attempt is still written.
        return await asyncio.shield(waiting.done)

    async def _run(self) -> None:
        while self._queue:
            batch: list[_Waiting] = []
            size = 0
            while self._queue and (
                not batch or size + len(self._queue[0].records) <= self._max_batch
            ):
                taken = self._queue.pop(0)
                batch.append(taken)
                size += len(taken.records)
            await self._commit(batch, size)

    async def _commit(self, batch: list[_Waiting], size: int) -> None:
        try:
            seqs = await append_direct(
                self._writer,
                [record for waiting in batch for record in waiting.records],
                signer=self._signer,
                checkpoint_every=self._checkpoint_every,
                now=self._clock(),
            )
        except BaseException as exc:
            self._note(size, ok=False)
            log.warning(
                "access-log batch could not be committed",
                extra={"event": "access_log_batch_failed", "entries": size},
            )
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_exception(AccessLogUnavailable(type(exc).__name__))
            if not isinstance(exc, Exception):
                self._fail_queue()
                raise
            return
        self._note(size, ok=True)
        start = 0
        for waiting in batch:
            end = start + len(waiting.records)
            if not waiting.done.done():
                waiting.done.set_result(seqs[start:end])
            start = end

    def _fail_queue(self) -> None:
        """The drain task itself is going (cancelled at shutdown): nobody is left waiting."""
        queued, self._queue = self._queue, []
        for waiting in queued:
            if not waiting.done.done():
                waiting.done.set_exception(AccessLogUnavailable("shutting down"))

    def _note(self, size: int, *, ok: bool) -> None:
        if self.observe is not None:
            self.observe(size, ok)
