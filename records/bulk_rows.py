"""Rows written in bulk straight through the database driver: COPY on PostgreSQL, one
executemany on SQLite. For loads of many thousands of rows (a register imported, a benchmark's
data set), where building an ORM object or a Core parameter dict per row costs more than
writing it.

Values go through the same bind processors SQLAlchemy applies on the normal path (UUIDs as
hex text and times as text on SQLite, enums as their values), so a row written here is stored
exactly as the ORM would store it. `prepare` is free of I/O and takes the dialect by name, so
a worker process can run it. Nothing here commits: rows join the connection's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

Rows = list[tuple[Any, ...]]


def dialect_name(connection: AsyncConnection) -> str:
    """What `prepare` needs to know of a connection: its dialect and driver."""
    return f"{connection.dialect.name}+{connection.dialect.driver}"


@functools.cache
def _dialect(name: str) -> Dialect:
    dialect: Dialect = make_url(f"{name}://").get_dialect()()
    return dialect


def prepare(
    table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], dialect: str
) -> Rows:
    """`rows` (values in the order of `columns`) as the driver of `dialect` must receive them."""
    engine_dialect = _dialect(dialect)
    bound = [
        table.c[name].type.dialect_impl(engine_dialect).bind_processor(engine_dialect)
        for name in columns
    ]
    return processed(rows, bound)


def processed(
    rows: Iterable[Sequence[Any]], processors: Sequence[Callable[[Any], Any] | None]
) -> Rows:
    """Each row with `processors[i]` applied to its value i (None: the value as it is).
    Only the columns that have a processor are touched: most have none."""
    present = [(i, process) for i, process in enumerate(processors) if process is not None]
    if not present:
        return [tuple(row) for row in rows]
    out: Rows = []
    for row in rows:
        values = list(row)
        for i, process in present:
            values[i] = process(values[i])
        out.append(tuple(values))
    return out


async def insert_prepared(
    connection: AsyncConnection, table: Table, columns: Sequence[str], values: Rows
) -> int:
    """Insert rows made by `prepare` into `table`, inside the connection's transaction."""
    if not values:
        return 0
    if connection.dialect.name == "postgresql":
        # A statement through SQLAlchemy first: its asyncpg adapter opens the transaction
        # lazily, and COPY on the bare driver connection must run inside it.
        await connection.exec_driver_sql("SELECT 1")
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table.name, records=values, columns=list(columns))
    else:
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
        await connection.exec_driver_sql(statement, values)
    return len(values)


async def insert_rows(
    connection: AsyncConnection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """`prepare` then `insert_prepared`, in this process. Returns how many rows were written."""
    values = prepare(table, columns, rows, dialect_name(connection))
    return await insert_prepared(connection, table, columns, values)


# Values in one SQLite statement: under its default limit on parameters (32,766).
_SQLITE_VALUES = 10_000


async def digests_held(
    connection: AsyncConnection, table: Table, column: str, digests: Sequence[bytes]
) -> set[bytes]:
    """Which of these blind indexes `column` of `table` holds, inside the connection's
    transaction: straight through the driver, as one PostgreSQL array or SQLite's `IN` lists
    of ten thousand, since building an expanding `IN` of thousands of parameters costs
    SQLAlchemy several times what the database takes to answer it."""
    if not digests:
        return set()
    select = f"SELECT {column} FROM {table.name} WHERE {column}"  # noqa: S608
    if connection.dialect.name == "postgresql":
        found = await connection.exec_driver_sql(f"{select} = ANY($1::bytea[])", (list(digests),))
        return {bytes(digest) for (digest,) in found}
    held: set[bytes] = set()
    for start in range(0, len(digests), _SQLITE_VALUES):
        wanted = tuple(digests[start : start + _SQLITE_VALUES])
        marks = ", ".join("?" for _ in wanted)
        found = await connection.exec_driver_sql(f"{select} IN ({marks})", wanted)
        held.update(bytes(digest) for (digest,) in found)
    return held
