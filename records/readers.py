"""Hot read-only statements run straight on the database driver, beside the ORM's sessions.

    readers = Readers(engine)                  # one per process (records/database.py)
    rows = await readers.fetch(prepared, {"digest": ..., "service": ..., "today": ...})

Why (docs/hot-path.md): a portal lookup is one indexed SELECT, and going through a session
cost more than the SELECT itself: the session's set-up, a transaction begun and ended, the
greenlet hand-off, and on SQLite the process's one connection, which every request then
queued for behind the access-log commits.

- A statement is still written once, in SQLAlchemy (records/cases.py). `Prepared` compiles it
  once for the engine's dialect and keeps SQLAlchemy's own bind and result processors, so
  values go in and come out exactly as through a session (a test compares the two).
- PostgreSQL: an asyncpg pool of its own; asyncpg prepares each statement once per
  connection (its statement cache), so a lookup is one round trip, outside any transaction.
- SQLite: connections of their own, opened read-only. In WAL mode they read while the writer
  writes, so a lookup never waits for the access log's group commit. Each has its own
  thread (aiosqlite); a request takes whichever is free.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from records.errors import DatabaseUnavailable

log = logging.getLogger("tact.readers")
Processor = Callable[[Any], Any] | None
APPLICATION_NAME = "tact-readers"
# Two reader connections on SQLite: a lookup is short, and a third thread only adds
# switching on a 2-core machine. PostgreSQL's pool is sized like the engine's.
SQLITE_READERS = 2


@dataclass(frozen=True)
class Prepared:
    """One SELECT compiled for a dialect: its SQL, its parameters in order with their bind
    processors, and a result processor per column."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    columns: tuple[Processor, ...]
    fixed: Mapping[str, Any]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
        columns = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        return cls(
            str(compiled),
            names,
            tuple(t.bind_processor(dialect) for t in types),
            tuple(t.result_processor(dialect, None) for t in columns),
            # Values the statement holds itself (an enum compared with a constant).
            {n: b.value for n, b in compiled.binds.items() if not b.required and n in names},
        )

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        given = {**self.fixed, **values}
        return [
            value if process is None else process(value)
            for process, value in zip(self.binds, (given[n] for n in self.names), strict=True)
        ]

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        columns = self.columns
        return [
            tuple(v if p is None else p(v) for p, v in zip(columns, row, strict=True))
            for row in raw
        ]


class Readers:
    """Driver connections for `Prepared` statements, opened on first use."""

    def __init__(self, engine: AsyncEngine, *, pool_size: int = 10) -> None:
        self.dialect = engine.dialect
        self._url = engine.url
        self._pool_size = pool_size
        self._prepared: dict[tuple[str, Any], Prepared] = {}
        self._opening = asyncio.Lock()
        self._pg: Any = None  # asyncpg.Pool
        self._free: asyncio.Queue[Any] | None = None  # idle aiosqlite connections
        self._sqlite: list[Any] = []

    def prepare(self, key: Any, build: Callable[[], Select[Any]]) -> Prepared:
        """The statement `build` makes, compiled once per `key` for this dialect."""
        found = self._prepared.get((self.dialect.name, key))
        if found is None:
            found = Prepared.compile(build(), self.dialect)
            self._prepared[(self.dialect.name, key)] = found
        return found

    async def fetch(self, prepared: Prepared, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        parameters = prepared.parameters(values)
        if self.dialect.name == "postgresql":
            return prepared.rows(await self._fetch_pg(prepared.sql, parameters))
        free = self._free or await self._open()
        conn = await free.get()
        try:
            # One hand-off to the connection's thread (execute, fetch and close together).
            raw = await conn.execute_fetchall(prepared.sql, parameters)
        finally:
            free.put_nowait(conn)
        return prepared.rows(raw)

    async def _fetch_pg(self, sql: str, parameters: list[Any]) -> Any:
        """A connection the server ended (a restart, a terminated backend) is noticed by
        asyncpg only when used: the read is run once more, on another connection; if that
        fails too, the database is unavailable (the edge answers 503)."""
        for attempt in (1, 2):
            pool = self._pg or await self._open()
            try:
                return await pool.fetch(sql, *parameters)
            except Exception as error:
                if not _connection_lost(error):
                    raise
                if attempt == 2:
                    raise DatabaseUnavailable("the case database cannot be reached") from error
                log.warning(
                    "a reader's connection was lost; reading again on another",
                    extra={"event": "db_retry"},
                )
        raise AssertionError("unreachable")

    async def _open(self) -> Any:
        async with self._opening:
            if self.dialect.name == "postgresql":
                if self._pg is None:
                    self._pg = await _asyncpg_pool(self._url, self._pool_size)
                return self._pg
            if self._free is None:
                free: asyncio.Queue[Any] = asyncio.Queue()
                for _ in range(SQLITE_READERS):
                    conn = await _sqlite_reader(self._url.database or "")
                    self._sqlite.append(conn)
                    free.put_nowait(conn)
                self._free = free
            return self._free

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        for conn in self._sqlite:
            await conn.close()
        self._sqlite, self._free = [], None


def _connection_lost(error: Exception) -> bool:
    import asyncpg

    # InternalClientError: what asyncpg raised here for a connection whose backend had been
    # terminated. SQLSTATE 08 (connection exception), 57 (operator intervention: shutdown).
    if isinstance(error, asyncpg.InterfaceError | asyncpg.InternalClientError | OSError):
        return True
    return str(getattr(error, "sqlstate", None) or "")[:2] in ("08", "57")


async def _asyncpg_pool(url: Any, size: int) -> Any:
    import asyncpg

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    # Named, so an operator can tell them apart in pg_stat_activity.
    settings = {"application_name": APPLICATION_NAME}
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, server_settings=settings)


async def _sqlite_reader(path: str) -> Any:
    import aiosqlite

    conn = await aiosqlite.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=30)
    await conn.execute("PRAGMA query_only = ON")
    return conn
