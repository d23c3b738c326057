"""Engines and sessions for the case database (SQLite via aiosqlite, PostgreSQL via asyncpg)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from records.errors import DatabaseUnavailable as DatabaseUnavailable  # its home, re-exported
from records.keystore import KeyStore, make_keystore_engine
from records.readers import Readers
from records.writer import Writer

# SQLSTATE classes of a lost or refused connection: 08 connection exception, 53 insufficient
# resources (too many connections), 55 object not in prerequisite state (a database not
# accepting connections, a lock not available), 57 operator intervention (terminated,
# shutting down, starting up).
_UNAVAILABLE_SQLSTATES = ("08", "53", "55", "57")
_WROTE = "tact.wrote"


def is_unavailable(error: BaseException | None) -> bool:
    """Is `error` (or what caused it) a lost, refused or timed-out database connection, as
    opposed to a fault in the statement or the data?"""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DatabaseUnavailable | exc.TimeoutError | OSError):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if str(getattr(error, "sqlstate", None) or "")[:2] in _UNAVAILABLE_SQLSTATES:
            return True
        if type(error).__name__ == "ConnectionDoesNotExistError":  # asyncpg, mid-operation
            return True
        error = error.__cause__ or error.__context__
    return False


def wrote_anything(session: AsyncSession) -> bool:
    """Has `session` sent a change (a flush, an INSERT, UPDATE or DELETE)? Until then nothing
    it did can have been written, so a request whose connection was lost may be run again on
    a fresh one. Read transactions may commit (the gate ends them) without counting."""
    return bool(session.sync_session.info.get(_WROTE))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


def async_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


# Statement parameters hold blind indexes, ciphertext and, in a lookup that failed before
# sealing, whatever a caller typed: never in logs or exception messages. SQLAlchemy hides
# them with hide_parameters; aiosqlite logs every call with its arguments at DEBUG.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    url = async_url(url)
    if url.startswith("sqlite"):
        # One connection per process: SQLite takes one writer at a time, and every request
        # writes (its access-log entry). Queueing for the connection in asyncio is first come,
        # first served; queueing in SQLite's busy handler sleeps in growing steps (up to
        # 100 ms), which made p99 latency over a second at 16 concurrent requests.
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            hide_parameters=True,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            # Take the write lock at BEGIN, so two writers queue instead of one failing
            # with "database is locked" when it upgrades a read transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # pysqlite's own transaction handling must be off for BEGIN IMMEDIATE to be ours.
        @event.listens_for(engine.sync_engine, "connect")
        def _no_pysqlite_begin(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
    )


class LazySession:
    """Stands for an AsyncSession and opens it the first time it is used. A request's
    session (api/app.py): a portal lookup answered from caches and readers never needs one,
    and making and closing an unused session cost the ORM's set-up and tear-down on every
    request (docs/hot-path.md).

    What every request asks (is a transaction open? are there unflushed changes?) is
    answered without opening it, and ending it when it was never opened does nothing; the
    rest is the opened session's."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._opened: AsyncSession | None = None

    def opened(self) -> AsyncSession:
        if self._opened is None:
            self._opened = self._sessions()
        return self._opened

    def __getattr__(self, name: str) -> Any:
        return getattr(self.opened(), name)

    def in_transaction(self) -> bool:
        return self._opened is not None and self._opened.in_transaction()

    @property
    def new(self) -> Any:
        return self._opened.new if self._opened is not None else ()

    @property
    def dirty(self) -> Any:
        return self._opened.dirty if self._opened is not None else ()

    @property
    def deleted(self) -> Any:
        return self._opened.deleted if self._opened is not None else ()

    async def commit(self) -> None:
        if self._opened is not None:
            await self._opened.commit()

    async def rollback(self) -> None:
        if self._opened is not None:
            await self._opened.rollback()

    async def close(self) -> None:
        if self._opened is not None:
            await self._opened.close()


@dataclass
class Database:
    """The case database and the key store, opened together, and the hot path's readers and
    log writer of the case database (records/readers.py, records/writer.py)."""

    engine: AsyncEngine
    keystore: KeyStore

    @classmethod
    def open(cls, url: str, keystore_url: str) -> Database:
        return cls(make_engine(url), KeyStore(make_keystore_engine(async_url(keystore_url))))

    def __post_init__(self) -> None:
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        self.readers = Readers(self.engine)
        self.writer = Writer(self.engine)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))
        await self.keystore.ping()

    async def dispose(self) -> None:
        await self.readers.close()
        await self.writer.close()
        await self.engine.dispose()
        await self.keystore.close()
