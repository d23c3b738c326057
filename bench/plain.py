"""The floor route: what this stack can do at all for a portal lookup (bench/status.py, issue 15).

    POST /plain/status   {"email": ..., "service": ...}

A plain-text register (`bench_plain_register`: the email in the clear, the arrangement fields
as text) is built beside the data set, in the same case database. Per request: ONE indexed
SELECT straight through the database driver (asyncpg on PostgreSQL, a pool of connections
that skips asyncpg's reset query on release; on SQLite, the sqlite3 module on the loop's
thread, one connection, as Tact's readers do), answered with the same JSON shape as the other
routes. No ORM, no authentication, no authorisation, no encryption,
no access log. It echoes X-Request-ID, as the others do, so wrk checks its answers alike.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from casework.arrangements import handling_instructions, validate_parameters
from records.models import ArrangementKind

PATH = "/plain/status"
TABLE = "bench_plain_register"
_COLUMNS = "email, service, kind, handling_instructions, named_officer, starts_on, ends_on"
_CREATE = (
    f"CREATE TABLE {TABLE} (email TEXT NOT NULL, service TEXT NOT NULL, kind TEXT, "
    "handling_instructions TEXT, named_officer TEXT, starts_on TEXT, ends_on TEXT, "
    "next_review_on TEXT)"
)
_INDEX = f"CREATE INDEX {TABLE}_lookup ON {TABLE} (email, service)"
_SELECT = (
    "SELECT kind, handling_instructions, named_officer, starts_on, ends_on, next_review_on "
    f"FROM {TABLE} WHERE email = {{0}} AND service = {{1}} AND kind IS NOT NULL"
)
_UNRESTRICTED = ""  # the service column of a customer's row when nothing is in force


def register_rows(
    emails: Iterable[tuple[str, set[str]]], officer: str, started: dt.date
) -> list[tuple[Any, ...]]:
    """The register as text: per customer, two arrangements (as bench/dataset.py makes them)
    in each service where they are in force, or one row saying there is none."""
    channels = validate_parameters(
        ArrangementKind.CONTACT_CHANNEL, {"channels": ["letter", "email"]}
    )
    kinds: tuple[tuple[ArrangementKind, dict[str, Any], str | None], ...] = (
        (ArrangementKind.NAMED_OFFICER, {}, officer),
        (ArrangementKind.CONTACT_CHANNEL, channels, None),
    )
    texts = [(k.name, handling_instructions(k, p, named), named) for k, p, named in kinds]
    rows: list[tuple[Any, ...]] = []
    for email, services in emails:
        if not services:
            rows.append((email, _UNRESTRICTED, None, None, None, None, None))
        for service in sorted(services):
            rows.extend((email, service, *text, started.isoformat(), None) for text in texts)
    return rows


async def build_register(url: str, rows: list[tuple[Any, ...]]) -> None:
    """Create and fill the register in the case database at `url` (plain sqlite:/// or
    postgresql:// URL), through the driver."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute(_CREATE)
            conn.executemany(f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)", rows)
            conn.execute(_INDEX)
        return
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(_CREATE)
        await conn.copy_records_to_table(TABLE, records=rows, columns=_COLUMNS.split(", "))
        await conn.execute(_INDEX)
        await conn.execute(f"ANALYZE {TABLE}")
    finally:
        await conn.close()


def _answer(service: str, rows: Iterable[Any]) -> bytes:
    arrangements = [
        {
            "kind": r[0],
            "handlingInstructions": r[1],
            "namedOfficer": r[2],
            "startsOn": r[3],
            "endsOn": r[4],
            "nextReviewOn": r[5],
        }
        for r in rows
    ]
    return json.dumps(
        {"service": service, "restricted": bool(arrangements), "arrangements": arrangements}
    ).encode()


class PlainStatus:
    """The endpoint; `start()` opens the driver's connection(s) in the server's event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Any = None
        self._sqlite: Any = None

    async def start(self) -> None:
        if self.url.startswith("sqlite:///"):
            # On the loop's thread: an indexed SELECT costs less than a hand-off to another
            # thread and back, as Tact's own readers found (records/readers.py).
            self._sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            return
        import asyncpg

        async def nothing_to_reset(_connection: Any) -> None:
            pass  # no session state to undo: no second round trip per release

        self._pool = await asyncpg.create_pool(
            self.url, min_size=10, max_size=10, reset=nothing_to_reset
        )

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pool is not None:
            await self._pool.close()

    async def endpoint(self, request: Request) -> Response:
        body = await request.json()
        email, service = str(body["email"]).strip().lower(), str(body["service"])
        if self._pool is not None:
            rows = await self._pool.fetch(_SELECT.format("$1", "$2"), email, service)
        else:
            rows = self._sqlite.execute(_SELECT.format("?", "?"), (email, service)).fetchall()
        headers = {"X-Request-ID": request.headers.get("x-request-id", "")}
        return Response(_answer(service, rows), media_type="application/json", headers=headers)


def plain_app(route: PlainStatus) -> Starlette:
    return Starlette(routes=[Route(PATH, route.endpoint, methods=["POST"])])
