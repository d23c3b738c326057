"""Short write transactions straight on the database driver, on a connection of their own:
the access log's group commit (authz/group_commit.py) writes through this.

    writer = Writer(engine)                    # one per process (records/database.py)
    result = await writer.transaction(head, then, serialise=LOCK_KEY)

Why (docs/hot-path.md): every portal lookup waits for the commit that holds its access-log
entry. Through a session, that commit cost a session, a transaction begun and ended, the
ORM's statement set-up and, on SQLite, a hand-off to the connection's thread for each of
BEGIN, the head read, the INSERT and the COMMIT. Here a transaction is one read, then what
the caller computes from it, written with executemany:

- SQLite: one hand-off. The whole transaction (BEGIN IMMEDIATE, the read, the caller's
  function, the writes, COMMIT) runs in the writer's own thread on its own connection.
  Another connection that wants to write (the process's engine, another process) waits in
  SQLite's busy handler, as two processes always have.
- PostgreSQL: an asyncpg pool of one connection, named `tact-log-writer` in
  pg_stat_activity (count it against `max_connections`). A connection the server ended is
  noticed when used: if that happens before COMMIT is sent, nothing was written and the
  transaction is run once more on a fresh connection; after that, the caller gets the error.

Statements are `Prepared` (records/readers.py): written in SQLAlchemy, compiled once per
dialect, values passed through SQLAlchemy's own bind and result processors, so rows are
stored exactly as a session stores them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement

from records.readers import Prepared, asyncpg_pool, connection_lost, prepared

log = logging.getLogger("tact.writer")
T = TypeVar("T")
APPLICATION_NAME = "tact-log-writer"
Row = tuple[Any, ...]
# What a transaction writes once it has read: statements, each with its rows of values.
Writes = Sequence[tuple[Prepared, Sequence[Mapping[str, Any]]]]
Then = Callable[[list[Row]], tuple[Writes, T]]


class Writer:
    """A connection of its own for short write transactions, opened on first use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.dialect = engine.dialect
        self._url = engine.url
        self._opening = asyncio.Lock()
        self._pg: Any = None  # asyncpg.Pool of one
        self._thread: ThreadPoolExecutor | None = None
        self._sqlite: sqlite3.Connection | None = None  # used only in self._thread

    def prepare(self, key: Any, build: Callable[[], ClauseElement]) -> Prepared:
        return prepared(self.dialect, key, build)

    async def transaction(self, read: Prepared, then: Then[T], *, serialise: int) -> T:
        """In one transaction: run `read`, hand its rows to `then`, write what it returns,
        commit; `then`'s result. Transactions with the same `serialise` key run one at a
        time across processes (PostgreSQL: an advisory lock; SQLite has one writer)."""
        if self.dialect.name == "postgresql":
            return await self._pg_transaction(read, then, serialise)
        thread = self._thread or await self._open_thread()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(thread, self._sqlite_transaction, read, then)

    # -- SQLite: the whole transaction in the writer's thread ------------------------------

    def _sqlite_transaction(self, read: Prepared, then: Then[T]) -> T:
        conn = self._sqlite or self._connect_sqlite()
        try:
            conn.execute("BEGIN IMMEDIATE")
            rows = read.rows(conn.execute(read.sql, read.parameters({})).fetchall())
            writes, result = then(rows)
            for statement, many in writes:
                if many:
                    conn.executemany(statement.sql, [statement.parameters(v) for v in many])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _connect_sqlite(self) -> sqlite3.Connection:
        # The same settings as the engine's connections (records/database.py); autocommit
        # mode, so BEGIN IMMEDIATE and COMMIT are this module's own.
        conn = sqlite3.connect(self._url.database or "", timeout=30, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._sqlite = conn
        return conn

    async def _open_thread(self) -> ThreadPoolExecutor:
        async with self._opening:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix=APPLICATION_NAME)
            return self._thread

    # -- PostgreSQL ------------------------------------------------------------------------

    async def _pg_transaction(self, read: Prepared, then: Then[T], serialise: int) -> T:
        for attempt in (1, 2):
            pool = self._pg or await self._open_pg()
            committing = False
            try:
                async with pool.acquire() as conn:
                    # BEGIN and the lock in one round trip (the simple query protocol runs
                    # both); the key is an int, so writing it into the text is safe.
                    await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(serialise)})")
                    try:
                        rows = read.rows(await conn.fetch(read.sql, *read.parameters({})))
                        writes, result = then(rows)
                        for statement, many in writes:
                            if many:
                                await conn.executemany(
                                    statement.sql, [statement.parameters(v) for v in many]
                                )
                        committing = True
                        await conn.execute("COMMIT")
                    except BaseException:
                        if not committing and not conn.is_closed():
                            await conn.execute("ROLLBACK")
                        raise
                return result
            except Exception as error:
                # Lost before COMMIT was sent: nothing was written, so it is safe to run
                # again. Lost during COMMIT: whether it committed is unknown, so not again.
                if attempt == 2 or committing or not connection_lost(error):
                    raise
                log.warning(
                    "the log writer's connection was lost; writing again on another",
                    extra={"event": "db_retry"},
                )
        raise AssertionError("unreachable")

    async def _open_pg(self) -> Any:
        async with self._opening:
            if self._pg is None:
                self._pg = await asyncpg_pool(self._url, 1, APPLICATION_NAME)
            return self._pg

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(thread, self._close_sqlite)
            thread.shutdown(wait=True)

    def _close_sqlite(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
