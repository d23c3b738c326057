"""Hot read-only statements run straight on the database driver, beside the ORM's sessions.

    readers = Readers(engine)   # one per process and database (records/database.py, keystore.py)
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
- SQLite: a connection of its own, opened read-only and used on the event loop's thread. In
  WAL mode it reads while the writer writes, so a lookup never waits for the access log's
  group commit. An indexed SELECT takes tens of microseconds, less than handing it to
  another thread and back (which is what aiosqlite does, and what this module did before:
  docs/hot-path.md has the figures). The cost: a read the operating system has to fetch
  from disk holds the loop for that long.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from records.bulk_rows import processed
from records.errors import DatabaseUnavailable

log = logging.getLogger("tact.readers")
Processor = Callable[[Any], Any] | None
APPLICATION_NAME = "tact-readers"
# How long a SQLite read may wait for a lock. A WAL reader waits only while another
# connection recovers the log after a crash; the loop is held meanwhile, so briefly.
SQLITE_READ_TIMEOUT = 0.5


@dataclass(frozen=True)
class Prepared:
    """One statement compiled for a dialect: its SQL, its parameters in order with their bind
    processors, and a result processor per selected column (none for an INSERT)."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    columns: tuple[Processor, ...]
    fixed: Mapping[str, Any]

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ())
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
        selected = getattr(statement, "selected_columns", ())
        columns = [column.type.dialect_impl(dialect) for column in selected]
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
        (row,) = processed([[given[name] for name in self.names]], self.binds)
        return list(row)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        return processed(raw, self.columns)


_PREPARED: dict[tuple[str, Any], Prepared] = {}


def prepared(dialect: Dialect, key: Any, build: Callable[[], ClauseElement]) -> Prepared:
    """The statement `build` makes, compiled once per `key` and dialect (per process)."""
    found = _PREPARED.get((dialect.name, key))
    if found is None:
        found = _PREPARED[(dialect.name, key)] = Prepared.compile(build(), dialect)
    return found


class Readers:
    """Driver connections for `Prepared` statements, opened on first use."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int = 10,
        name: str = APPLICATION_NAME,
        what: str = "the case database",
    ) -> None:
        self.dialect = engine.dialect
        self._url = engine.url
        self._pool_size = pool_size
        self._name = name  # the pool's application_name in pg_stat_activity
        self._what = what  # what it reads, for the error when it cannot be reached
        self._opening = asyncio.Lock()
        self._pg: Any = None  # asyncpg.Pool
        self._sqlite: sqlite3.Connection | None = None

    def prepare(self, key: Any, build: Callable[[], ClauseElement]) -> Prepared:
        """The statement `build` makes, compiled once per `key` for this dialect."""
        return prepared(self.dialect, key, build)

    async def fetch(self, prepared: Prepared, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        parameters = prepared.parameters(values)
        if self.dialect.name == "postgresql":
            return prepared.rows(await self._fetch_pg(prepared.sql, parameters))
        conn = self._sqlite or self._open_sqlite()
        return prepared.rows(conn.execute(prepared.sql, parameters).fetchall())

    async def _fetch_pg(self, sql: str, parameters: list[Any]) -> Any:
        """A connection the server ended (a restart, a terminated backend) is noticed by
        asyncpg only when used: the read is run once more, on another connection; if that
        fails too, the database is unavailable (the edge answers 503)."""
        for attempt in (1, 2):
            pool = self._pg or await self._open()
            try:
                return await pool.fetch(sql, *parameters)
            except Exception as error:
                if not connection_lost(error):
                    raise
                if attempt == 2:
                    raise DatabaseUnavailable(f"{self._what} cannot be reached") from error
                log.warning(
                    "a reader's connection was lost; reading again on another",
                    extra={"event": "db_retry"},
                )
        raise AssertionError("unreachable")

    async def _open(self) -> Any:
        async with self._opening:
            if self._pg is None:
                self._pg = await asyncpg_pool(self._url, self._pool_size, self._name)
            return self._pg

    def _open_sqlite(self) -> sqlite3.Connection:
        path = quote(self._url.database or "")
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=SQLITE_READ_TIMEOUT, check_same_thread=False
        )
        conn.execute("PRAGMA query_only = ON")
        self._sqlite = conn
        return conn

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


def connection_lost(error: Exception) -> bool:
    import asyncpg

    # InternalClientError: what asyncpg raised here for a connection whose backend had been
    # terminated. SQLSTATE 08 (connection exception), 57 (operator intervention: shutdown).
    if isinstance(error, asyncpg.InterfaceError | asyncpg.InternalClientError | OSError):
        return True
    return str(getattr(error, "sqlstate", None) or "")[:2] in ("08", "57")


async def asyncpg_pool(url: Any, size: int, name: str = APPLICATION_NAME) -> Any:
    """An asyncpg pool on the engine's `url`, named `name` in pg_stat_activity."""
    import asyncpg

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    # Named, so an operator can tell them apart in pg_stat_activity.
    settings = {"application_name": name}
    return await asyncpg.create_pool(
        dsn, min_size=1, max_size=size, server_settings=settings, reset=_nothing_to_reset
    )


async def _nothing_to_reset(_connection: Any) -> None:
    """These connections change no session state (no SET, LISTEN, cursor or session-level
    lock), so asyncpg's reset query on every release (a second round trip per lookup) is
    skipped. asyncpg still rolls back a transaction left open before calling this."""
