"""Does the portal lookup stay flat as customers grow? Prints lookup latency at 1,000 and at
100,000 customers (the same database, grown in between) and their ratio.

    .venv/bin/python bench/lookup_scale.py [--small 1000] [--large 100000] [--lookups 3000]

SQLite in a temporary folder by default; TACT_DATABASE_URL and TACT_KEYSTORE_URL (both, empty
databases) for PostgreSQL. Each lookup is casework's `restriction_status` in its own
transaction, as the portal query runs it: blind index, one indexed query, decrypt.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import build, email_of
from casework.status import restriction_status
from records.crypto import KeyRing
from records.database import Database
from records.lookup import LookupKind
from records.migrate import upgrade
from records.vault import Vault

TODAY = dt.date(2026, 11, 26)


async def _analyze(database: Database) -> None:
    """Planner statistics after a bulk load, as autovacuum would gather them (bench/README)."""
    if database.engine.dialect.name == "postgresql":
        for engine in (database.engine, database.keystore.engine):
            async with engine.begin() as conn:
                await conn.exec_driver_sql("ANALYZE")


async def _measure(database: Database, vault: Vault, customers: int, lookups: int) -> list[float]:
    rng = random.Random(customers)
    timings: list[float] = []
    for _ in range(lookups):
        email = email_of(rng.randrange(customers))
        started = time.perf_counter()
        async with database.sessions() as session:
            await restriction_status(session, vault, LookupKind.EMAIL, email, "housing", TODAY)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _summary(label: str, timings: list[float]) -> float:
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"{label:>10} customers: p50 {p50:.3f} ms  p99 {p99:.3f} ms  ({len(timings)} lookups)")
    return p50


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=3_000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tact-bench-"))
    cases_url = os.environ.get("TACT_DATABASE_URL", f"sqlite:///{folder / 'cases.db'}")
    keys_url = os.environ.get("TACT_KEYSTORE_URL", f"sqlite:///{folder / 'keys.db'}")
    await asyncio.to_thread(upgrade, cases_url)
    database = Database.open(cases_url, keys_url)
    await database.keystore.create_schema()
    KeyRing.create_file(folder / "tact.key")
    vault = Vault(KeyRing.load(folder / "tact.key"), database.keystore)
    await vault.check_keys()
    print(f"database: {database.engine.dialect.name}")

    await build(database, vault, args.small)
    await _analyze(database)
    await _measure(database, vault, args.small, 200)  # warm up
    small = _summary(f"{args.small:,}", await _measure(database, vault, args.small, args.lookups))

    started = time.perf_counter()
    await build(database, vault, args.large, seed=8, skip=args.small)
    await _analyze(database)
    print(f"grew to {args.large:,} customers in {time.perf_counter() - started:.0f} s")
    await _measure(database, vault, args.large, 200)
    large = _summary(f"{args.large:,}", await _measure(database, vault, args.large, args.lookups))
    print(f"ratio {args.large:,}/{args.small:,} = {large / small:.2f}")
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
