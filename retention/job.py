"""The retention job: finish interrupted destructions, then take the due cases through their
steps a batch at a time, one transaction per batch and step, through the gate as the job's
actor (one access-log entry per case, appended with the batch's change).

Several processes may run at once on PostgreSQL: each batch's cases are taken with
SELECT ... FOR UPDATE SKIP LOCKED and re-planned under that lock, so a case another process
has (or has just finished) is skipped, never handled twice. On SQLite every transaction holds
the write lock, which serialises the same steps.

`hook(step, case_id)` is called after each recorded step: the CLI uses it for a test hook
that kills the process at a named step (the crash tests), and nothing else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnClause, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from authz.actor import Actor, ActorKind, RoleGrant
from authz.gate import Gate, Target
from authz.operations import Operation
from casework.retention_queue import (
    Action,
    Caseless,
    Planned,
    caseless_customers,
    due_case_ids,
    may_destroy,
    plan,
)
from casework.retention_schedule import RetentionPolicy
from records.database import Database
from records.days import not_after_today
from records.models import Case, Customer, Role
from records.vault import OwnerKind, Vault
from retention.archive import mark_archived, write_bundles
from retention.archive_store import ArchiveStore
from retention.destroy import Unfinished, complete, delete_customers, delete_rows, unfinished
from retention.gc_settings import fewer_collections

log = logging.getLogger("tact.retention")

JOB_ACTOR = Actor(
    kind=ActorKind.SYSTEM,
    label="system:retention",
    roles=frozenset({RoleGrant(Role.IG_OFFICER, None)}),
)
# Cases taken through a step together: one lock, one plan, one transaction and one commit
# (with one access-log entry per case) per batch and step, instead of per case. Larger
# batches share more of the pages they write (10,000 cases on SQLite: half the bytes written
# at 1,000 a batch than at 200).
BATCH = 1000
# Destructions finished together: one key-store transaction (and, on SQLite, one checkpoint
# that erases the shredded keys from the file) per batch instead of per key.
FINISH_BATCH = 1000
# Tables a run grows, analysed on PostgreSQL as they double (`_keep_statistics`), from this
# many cases handled.
_GROWN_TABLES = ("access_log", "destruction_certificates", "retention_progress")
_ANALYSE_FIRST = 1000
# The case database's settings during a run, on SQLite (`_sqlite_settings_for_run`): a
# 256 MB page cache, a checkpoint every 20,000 pages (80 MB).
_RUN_PRAGMAS = {"cache_size": -256 * 1024, "wal_autocheckpoint": 20_000}
# Ids per query when reading where the due cases are stored.
_LOOKUP_CHUNK = 1000
# The steps a hook is told about, in the order a case passes them.
STEPS = (
    "archive.bundle_written",
    "archive.committed",
    "destroy.rows_deleted",
    "destroy.case_key_shredded",
    "destroy.bundle_deleted",
    "destroy.completed",
)


@dataclass(frozen=True)
class CaseOutcome:
    reference: str  # a case's reference; a customer with no case: their id (`customer`)
    action: str  # archived, destroyed, held, awaiting_approval, skipped, failed
    holds: tuple[str, ...] = ()
    customer: bool = False  # a customer destroyed (or held) without a case


@dataclass
class JobReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> int:
        return self.count("failed")


@dataclass
class RetentionJob:
    database: Database
    vault: Vault
    gate: Gate
    store: ArchiveStore
    policy: RetentionPolicy
    clock: Callable[[], dt.datetime]
    actor: Actor = JOB_ACTOR
    hook: Callable[[str, uuid.UUID], None] = lambda step, case_id: None
    on_start: Callable[[int], None] = lambda due: None
    on_outcome: Callable[[CaseOutcome], None] = lambda outcome: None
    batch: int = BATCH
    # (i, n): take only the due cases whose id is i modulo n: one of n job processes at once
    # (`tact retention run --workers n`). By id, not by position in the list: where a row
    # is stored moves when another process updates it. Row locks still decide.
    share: tuple[int, int] = (0, 1)
    # Cases whose rows this run deleted since their keys and bundles were last destroyed.
    _destroyed: list[uuid.UUID] = field(default_factory=list)
    _analyse_at: int = _ANALYSE_FIRST  # cases handled when the grown tables are next analysed

    async def run(self, as_of: dt.date) -> JobReport:
        """Archive and destroy what is due on `as_of`, refused (ValidationFailed, `as_of`)
        when that is after today by the job's clock: the CLI and the API check it too, and
        this is the last place a later day could destroy records early."""
        not_after_today(as_of, "as_of", self.clock)
        with fewer_collections():
            async with self._sqlite_settings_for_run():
                return await self._run(as_of)

    @asynccontextmanager
    async def _sqlite_settings_for_run(self) -> AsyncIterator[None]:
        """On SQLite, for the run, then put back (the pool holds one connection per process):
        a page cache as large as the batches read and write (with SQLite's 2 MB, a
        100,000-case run read 32 GB of pages back from the file; 4 GB with 256 MB), and a
        checkpoint of the write-ahead log every 80 MB instead of 4 MB, so a page that
        consecutive batches change is copied back to the file once, not once per batch (at
        40,000 cases, 3.2 GB written instead of 5.6 GB, and 8 % less time)."""
        engine = self.database.engine
        if engine.dialect.name != "sqlite":
            yield
            return
        async with engine.connect() as conn:
            before = {
                name: int((await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one())
                for name in _RUN_PRAGMAS
            }
            for name, value in _RUN_PRAGMAS.items():
                await conn.exec_driver_sql(f"PRAGMA {name} = {value}")
        try:
            yield
        finally:
            async with engine.connect() as conn:
                for name, was in before.items():
                    await conn.exec_driver_sql(f"PRAGMA {name} = {was}")

    async def _run(self, as_of: dt.date) -> JobReport:
        report = JobReport()
        await self.finish_interrupted()
        async with self.database.sessions() as session:
            due = await _in_stored_order(session, await due_case_ids(session, self.policy, as_of))
            # Customers with no case, destroyed after the cases (a customer left without one
            # by this run is destroyed with their last case, in step 2).
            found = await caseless_customers(session, self.policy, as_of)
            caseless = [customer.customer_id for customer in found]
            await session.rollback()
        mine, every = self.share
        due = [case_id for case_id in due if case_id.int % every == mine]
        caseless = [customer_id for customer_id in caseless if customer_id.int % every == mine]
        batches = [due[at : at + self.batch] for at in range(0, len(due), self.batch)]
        self.on_start(sum(len(batch) for batch in batches) + len(caseless))
        # Destructions are finished in the background, one finishing at a time, while the
        # next batch is archived: shredding keys (the key store) and deleting bundles (files)
        # wait on other things than archiving does. Each step is recorded as before, so a
        # run killed with a finishing half done finishes it when run again.
        finishing: asyncio.Task[int] | None = None
        try:
            for number, batch in enumerate(batches, start=1):
                for outcome in await self._handle(batch, as_of):
                    report.outcomes.append(outcome)
                    self.on_outcome(outcome)
                if len(self._destroyed) >= self.batch:
                    if finishing is not None:
                        await finishing
                    finishing = asyncio.create_task(self._finish_own(self._destroyed))
                    self._destroyed = []
                await self._keep_statistics(handled=number * self.batch * every)
            for at in range(0, len(caseless), self.batch):
                for outcome in await self._handle_customers(caseless[at : at + self.batch], as_of):
                    report.outcomes.append(outcome)
                    self.on_outcome(outcome)
        finally:
            if finishing is not None:
                await asyncio.wait([finishing])  # never left running, whatever happened
        if finishing is not None:
            finishing.result()
        await self.finish_interrupted()
        await self._erase_freed_space()
        return report

    async def _handle(self, case_ids: list[uuid.UUID], as_of: dt.date) -> list[CaseOutcome]:
        """Archive, then destroy, a batch of cases. If the batch fails, its transaction is
        rolled back and each case is tried alone, so one case's failure fails only that case."""
        try:
            return await self._handle_batch(case_ids, as_of)
        except Exception:
            if len(case_ids) > 1:
                return [o for case_id in case_ids for o in await self._handle([case_id], as_of)]
            # The case id only: the exception may quote what was being read.
            log.exception(
                "retention step failed",
                extra={"event": "retention_failed", "case_id": str(case_ids[0])},
            )
            return [CaseOutcome(str(case_ids[0]), "failed")]

    async def _handle_batch(self, case_ids: list[uuid.UUID], as_of: dt.date) -> list[CaseOutcome]:
        outcomes, destroy_next = await self._step(case_ids, as_of, archive=True)
        if destroy_next:
            later, _ = await self._step(destroy_next, as_of, archive=False)
            outcomes.update(later)
        return [outcomes.get(c, CaseOutcome(str(c), "skipped")) for c in case_ids]

    async def _step(
        self, case_ids: list[uuid.UUID], as_of: dt.date, *, archive: bool
    ) -> tuple[dict[uuid.UUID, CaseOutcome], list[uuid.UUID]]:
        """Lock the batch's cases, re-plan them, and take those due through one step, in one
        transaction: the batch's recorded steps move together or not at all. The step is
        archiving, when `archive` and the plan archives any; otherwise destroying those the
        plan destroys (archived, or destroyed without being archived: `Action.DESTROY`).
        Returns the outcomes, and the cases still to destroy when this step archived."""
        outcomes: dict[uuid.UUID, CaseOutcome] = {}
        async with self.database.sessions() as session:
            to_archive: list[Planned] = []
            to_destroy: list[Planned] = []
            for planned in await self._lock_and_plan(session, case_ids, as_of):
                if planned.action in (Action.HELD, Action.AWAITING_APPROVAL, Action.LETTER_OWED):
                    outcomes[planned.case_id] = CaseOutcome(
                        planned.reference, planned.action.value, planned.hold_names
                    )
                elif planned.action is Action.ARCHIVE:
                    to_archive.append(planned)
                elif planned.action is Action.DESTROY and may_destroy(planned, self.policy):
                    to_destroy.append(planned)
            destroy_next: list[uuid.UUID] = []
            if archive and to_archive:
                todo, action = to_archive, "archived"
                done = await self._archive(session, todo)
                destroy_next = [planned.case_id for planned in to_destroy]
            elif to_destroy:
                todo, action = to_destroy, "destroyed"
                done = await self._destroy_rows(session, todo)
                self._destroyed += done
            else:
                await session.rollback()
                return outcomes, []
        for planned in todo:
            ok = planned.case_id in done  # not admitted by the gate: refused, so failed
            outcomes[planned.case_id] = CaseOutcome(planned.reference, action if ok else "failed")
        return outcomes, destroy_next

    async def _handle_customers(
        self, customer_ids: list[uuid.UUID], as_of: dt.date
    ) -> list[CaseOutcome]:
        """Destroy a batch of customers with no case, as `_handle` does cases: if the batch
        fails, each customer is tried alone."""
        try:
            return await self._destroy_customers(customer_ids, as_of)
        except Exception:
            if len(customer_ids) > 1:
                return [
                    o for one in customer_ids for o in await self._handle_customers([one], as_of)
                ]
            log.exception(
                "retention step failed",
                extra={"event": "retention_failed", "customer_id": str(customer_ids[0])},
            )
            return [CaseOutcome(str(customer_ids[0]), "failed", customer=True)]

    async def _destroy_customers(
        self, customer_ids: list[uuid.UUID], as_of: dt.date
    ) -> list[CaseOutcome]:
        """Lock the customers' rows, re-plan them under the lock (a case opened for one since
        the plan takes them off it; a customer another process holds is skipped), and delete
        those due in one transaction through the gate (`destroy_customer`), one access-log
        entry each. Their keys are shredded when the run finishes its destructions."""
        outcomes: dict[uuid.UUID, CaseOutcome] = {}
        async with self.database.sessions() as session:
            locked = await _lock(session, Customer.id, customer_ids)
            planned = (
                await caseless_customers(session, self.policy, as_of, customer_ids=locked)
                if locked
                else []
            )
            todo: list[Caseless] = []
            for customer in planned:
                if customer.action is Action.DESTROY:
                    todo.append(customer)
                else:
                    outcomes[customer.customer_id] = CaseOutcome(
                        str(customer.customer_id), customer.action.value,
                        customer.hold_names, customer=True,
                    )  # fmt: skip
            if not todo:
                await session.rollback()
            else:
                operation = Operation.DESTROY_CUSTOMER
                async with self.gate.access(session, self.actor, operation, Target()) as access:
                    if self.database.engine.dialect.name == "sqlite":
                        await access.session.execute(text("PRAGMA secure_delete = ON"))
                    await delete_customers(
                        access.session, todo, self.policy, destroyed_by=self.actor.label,
                        now=self.clock(),
                    )  # fmt: skip
                    for customer in todo:
                        access.touched(customer_id=customer.customer_id)
                for customer in todo:
                    self.hook("destroy.rows_deleted", customer.customer_id)
                    outcomes[customer.customer_id] = CaseOutcome(
                        str(customer.customer_id), "destroyed", customer=True
                    )
                self._destroyed += [customer.customer_id for customer in todo]
        return [
            outcomes.get(c, CaseOutcome(str(c), "skipped", customer=True)) for c in customer_ids
        ]

    async def _lock_and_plan(
        self, session: AsyncSession, case_ids: list[uuid.UUID], as_of: dt.date
    ) -> list[Planned]:
        locked = await _lock(session, Case.id, case_ids)
        if not locked:
            return []  # taken by another process, or already destroyed
        found = plan(session, self.policy, as_of, case_ids=locked, batch=len(locked))
        return [planned async for batch in found for planned in batch]

    async def _archive(self, session: AsyncSession, todo: list[Planned]) -> set[uuid.UUID]:
        operation = Operation.ARCHIVE_CASE
        async with self.gate.access(session, self.actor, operation, Target()) as access:
            admitted = await access.admit([p.case_id for p in todo])
            if admitted:
                bundles = await write_bundles(access.session, self.vault, self.store, admitted)
                for case_id in admitted:
                    self.hook("archive.bundle_written", case_id)
                await mark_archived(access.session, bundles, self.clock())
        for case_id in admitted:
            self.hook("archive.committed", case_id)
        return set(admitted)

    async def _destroy_rows(self, session: AsyncSession, todo: list[Planned]) -> set[uuid.UUID]:
        operation = Operation.DESTROY_CASE
        async with self.gate.access(session, self.actor, operation, Target()) as access:
            admitted = set(await access.admit([p.case_id for p in todo]))
            if self.database.engine.dialect.name == "sqlite":
                # Deleted rows' pages are overwritten, not left readable in free space.
                await access.session.execute(text("PRAGMA secure_delete = ON"))
            await delete_rows(
                access.session,
                [p for p in todo if p.case_id in admitted],
                self.policy,
                destroyed_by=self.actor.label,
                now=self.clock(),
            )
        for case_id in admitted:
            self.hook("destroy.rows_deleted", case_id)
        return admitted

    async def _finish_own(self, case_ids: list[uuid.UUID]) -> int:
        """Finish the destructions this run started (not another process's, which that
        process finishes; the run's last `finish_interrupted` takes whatever is left)."""
        finished = 0
        for start in range(0, len(case_ids), FINISH_BATCH):
            async with self.database.sessions() as session:
                chunk = case_ids[start : start + FINISH_BATCH]
                pending = await unfinished(session, limit=len(chunk), case_ids=chunk)
                await session.rollback()
            if pending:
                finished += await self._finish(pending, steps="destroy.background")
        return finished

    async def finish_interrupted(self) -> int:
        """Finish every destruction whose rows are gone (steps 2 and 3), a batch at a time."""
        finished = 0
        while True:
            async with self.database.sessions() as session:
                pending = await unfinished(session, limit=FINISH_BATCH)
                await session.rollback()
            if not pending:
                return finished
            finished += await self._finish(pending)

    async def _finish(self, batch: list[Unfinished], steps: str = "destroy") -> int:
        """Shred the keys and delete the bundles of a batch, then complete their certificates
        in one transaction. Shredding and deleting twice is harmless, so a batch interrupted
        anywhere is simply done again. The steps are told to the hook as `steps` + ".case_
        key_shredded" and so on: "destroy.background" while the next batch goes on, so a
        crash test can stop the job there."""
        # A customer destroyed without a case is recorded under their own id: no case key.
        keys: list[tuple[OwnerKind, uuid.UUID]] = [
            ("case", u.case_id) for u in batch if u.case_id != u.customer_id
        ]
        keys += [("customer", u.customer_id) for u in batch if u.customer_id is not None]
        await self.vault.shred_many(keys)
        self._tell(f"{steps}.case_key_shredded", batch)
        self.store.delete_many(u.bundle_key for u in batch if u.bundle_key is not None)
        self._tell(f"{steps}.bundle_deleted", batch)
        async with self.database.sessions() as session, session.begin():
            done = await complete(session, [u.case_id for u in batch], self.clock())
        self._tell(f"{steps}.completed", batch)
        return done

    def _tell(self, step: str, batch: list[Unfinished]) -> None:
        for unfinished_case in batch:
            self.hook(step, unfinished_case.case_id)

    async def _keep_statistics(self, handled: int) -> None:
        """On PostgreSQL, analyse the tables the run grows (the access log, the certificates,
        the steps) each time the cases handled double. Planned without statistics of their
        new size, their per-batch queries scan them whole: a cost that grows with the run
        (autovacuum's analyse would come, but later than a fast run grows them; the test
        server runs without autovacuum)."""
        if handled < self._analyse_at or self.database.engine.dialect.name != "postgresql":
            return
        self._analyse_at = 2 * handled
        async with self.database.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql(f"ANALYZE {', '.join(_GROWN_TABLES)}")

    async def _erase_freed_space(self) -> None:
        """After deletions: on SQLite, checkpoint the case database's write-ahead log, so old
        pages of deleted rows leave it; on PostgreSQL, VACUUM the key store's table, so a
        shredded key's row does not stay on disk as a dead tuple."""
        engine = self.database.engine
        if engine.dialect.name == "sqlite" and engine.url.database:
            # A connection of its own: the engine's connections begin every transaction
            # with BEGIN IMMEDIATE, inside which a checkpoint cannot truncate the log.
            await asyncio.to_thread(_checkpoint_sqlite, engine.url.database)
        keys = self.database.keystore.engine
        if keys.dialect.name == "postgresql":
            async with keys.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM data_keys")


async def _lock(
    session: AsyncSession, id_column: InstrumentedAttribute[uuid.UUID], ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Lock these rows for the transaction, in id order, skipping those another process holds
    (PostgreSQL; SQLite's one writer already excludes others). Returns the ids locked."""
    query = select(id_column).where(id_column.in_(ids)).order_by(id_column)
    return list(await session.scalars(query.with_for_update(skip_locked=True)))


async def _in_stored_order(session: AsyncSession, case_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The cases in the order their rows are stored (SQLite's rowid, PostgreSQL's ctid), not
    by id: ids are random, so a batch taken by id touches a different page for nearly every
    row it archives and deletes, in every table, and writes each of those pages (to the
    write-ahead log and back). Rows written together, as a case and its arrangements, share
    pages; a batch taken in stored order shares them too (10,000 cases in batches of 1,000:
    a third fewer bytes written on SQLite)."""
    if len(case_ids) < 2:
        return case_ids
    dialect = session.get_bind().dialect.name
    position: ColumnClause[Any] = literal_column("rowid" if dialect == "sqlite" else "cases.ctid")
    found: dict[uuid.UUID, Any] = {}
    for start in range(0, len(case_ids), _LOOKUP_CHUNK):
        chunk = case_ids[start : start + _LOOKUP_CHUNK]
        rows = await session.execute(select(Case.id, position).where(Case.id.in_(chunk)))
        found.update((case_id, at) for case_id, at in rows)
    return sorted(found, key=found.__getitem__)


def _checkpoint_sqlite(path: str) -> None:
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
