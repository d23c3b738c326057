"""The key store: wrapped data keys, kept in a database apart from the case database.

Destroying a row here (crypto-shredding) makes that owner's ciphertexts unreadable everywhere,
old backups of the case database included. On SQLite the store runs with `secure_delete` so
a shredded key is overwritten on disk, not left in a free page.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from sqlalchemy import (
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    bindparam,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable

from records.models import UTCDateTime, utcnow
from records.readers import Readers

log = logging.getLogger("tact.keystore")
# pg_advisory_xact_lock key: "tact-key" as a big-endian integer, so it is recognisable.
_SCHEMA_LOCK = int.from_bytes(b"tact-key", "big")
# The numbers of owners a key read is prepared for: a read of 3 owners is the read of 4 with
# one repeated, so a handful of statements serve every size (and asyncpg prepares each once
# per connection); more than the largest are read in chunks of it.
_READ_SIZES = (1, 2, 4, 8, 16, 32, 64)
KEY_READERS = "tact-key-readers"  # the key reads' pool, as pg_stat_activity names it


class KeyBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {dt.datetime: UTCDateTime()}


class DataKey(KeyBase):
    __tablename__ = "data_keys"

    # "case:<uuid>" or "customer:<uuid>"
    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    kek_version: Mapped[int] = mapped_column(Integer, index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rewrapped_at: Mapped[dt.datetime | None] = mapped_column()


class KeyCheck(KeyBase):
    """Proof, per KEK version and for the blind-index key, that the key file matches."""

    __tablename__ = "key_checks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # "kek:1", "index"
    value: Mapped[bytes] = mapped_column(LargeBinary)


def make_keystore_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA busy_timeout = 10000")
            cursor.close()

    return engine


def _create_missing(conn: Connection) -> None:
    for table in KeyBase.metadata.sorted_tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        for index in table.indexes:
            conn.execute(CreateIndex(index, if_not_exists=True))


def _key_read(size: int) -> Select[str, int, bytes]:
    owners = [bindparam(f"owner_{i}", type_=String()) for i in range(size)]
    return select(DataKey.owner, DataKey.kek_version, DataKey.wrapped).where(
        DataKey.owner.in_(owners)
    )


class KeyStore:
    """Rows of wrapped data keys. Knows nothing of the key file: `Vault` wraps and unwraps."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Reading data keys is on the portal's hot path whenever a key is not cached (a
        # caller not seen for `TACT_DATA_KEY_CACHE_SECONDS`): straight on the driver, as the
        # lookup itself is (records/readers.py), not through a session.
        self.readers = Readers(engine, pool_size=4, name=KEY_READERS, what="the key store")

    async def create_schema(self) -> None:
        """Create the key store's tables where missing. Processes starting at once on a fresh
        store do not trip over each other: each statement says IF NOT EXISTS, and on
        PostgreSQL (where two such statements can still collide) they take turns."""
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
                )
            await conn.run_sync(_create_missing)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def put(self, owner: str, kek_version: int, wrapped: bytes) -> None:
        async with self._sessions.begin() as session:
            session.add(DataKey(owner=owner, kek_version=kek_version, wrapped=wrapped))

    async def put_many(self, rows: list[tuple[str, int, bytes]]) -> None:
        async with self._sessions.begin() as session:
            session.add_all(DataKey(owner=o, kek_version=v, wrapped=w) for o, v, w in rows)

    async def close(self) -> None:
        await self.readers.close()
        await self.engine.dispose()

    async def get_many(self, owners: list[str]) -> dict[str, tuple[int, bytes]]:
        """(KEK version, wrapped key) of each of `owners` that has a key."""
        found: dict[str, tuple[int, bytes]] = {}
        largest = _READ_SIZES[-1]
        for start in range(0, len(owners), largest):
            chunk = owners[start : start + largest]
            size = next(n for n in _READ_SIZES if n >= len(chunk))
            read = self.readers.prepare(("keystore.get_many", size), partial(_key_read, size))
            padded = chunk + chunk[-1:] * (size - len(chunk))
            rows = await self.readers.fetch(read, {f"owner_{i}": o for i, o in enumerate(padded)})
            found.update((owner, (version, wrapped)) for owner, version, wrapped in rows)
        return found

    async def destroy(self, owner: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(DataKey).where(DataKey.owner == owner))
            destroyed = bool(result.rowcount)  # type: ignore[attr-defined]
        if destroyed and self.engine.dialect.name == "sqlite":
            await self._checkpoint()
        return destroyed

    async def destroy_many(self, owners: list[str]) -> int:
        """`destroy` for several owners: one transaction and one checkpoint (the retention
        job shreds in batches). Returns how many keys were still there."""
        if not owners:
            return 0
        async with self._sessions.begin() as session:
            result = await session.execute(delete(DataKey).where(DataKey.owner.in_(owners)))
            destroyed = int(result.rowcount)  # type: ignore[attr-defined]
        if destroyed and self.engine.dialect.name == "sqlite":
            await self._checkpoint()
        return destroyed

    async def _checkpoint(self) -> None:
        # In WAL mode the page that held the key stays in the -wal file (and the old page in
        # the main file) until a checkpoint: secure_delete alone does not erase it from disk.
        async with self.engine.connect() as conn:
            result = await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = result.scalar()
        if busy:
            log.warning(
                "key store checkpoint deferred by a reader; the next one erases the key",
                extra={"event": "keystore_checkpoint_deferred"},
            )

    async def owners_not_wrapped_under(
        self, version: int, limit: int
    ) -> list[tuple[str, int, bytes]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(DataKey.owner, DataKey.kek_version, DataKey.wrapped)
                .where(DataKey.kek_version != version)
                .order_by(DataKey.owner)
                .limit(limit)
            )
            return [(o, v, w) for o, v, w in rows]

    async def rewrap_many(self, rows: list[tuple[str, int, int, bytes]]) -> int:
        """`rewrap` for (owner, old version, new version, wrapped) rows in one transaction:
        one commit per batch instead of per key. Returns how many rows were replaced."""
        replaced = 0
        now = utcnow()
        async with self._sessions.begin() as session:
            for owner, old_version, new_version, wrapped in rows:
                result = await session.execute(
                    update(DataKey)
                    .where(DataKey.owner == owner, DataKey.kek_version == old_version)
                    .values(kek_version=new_version, wrapped=wrapped, rewrapped_at=now)
                )
                replaced += result.rowcount  # type: ignore[attr-defined]
        return replaced

    async def count_by_version(self) -> dict[int, int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(DataKey.kek_version, func.count()).group_by(DataKey.kek_version)
            )
            return {int(v): int(n) for v, n in rows}

    async def checks(self) -> dict[str, bytes]:
        async with self._sessions() as session:
            rows = await session.execute(select(KeyCheck.name, KeyCheck.value))
            return {name: value for name, value in rows}

    async def add_check(self, name: str, value: bytes) -> bool:
        """Record a key check; False if another process recorded one under `name` first."""
        try:
            async with self._sessions.begin() as session:
                session.add(KeyCheck(name=name, value=value))
        except IntegrityError:
            return False
        return True
