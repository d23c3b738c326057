"""Does the portal lookup stay flat as customers grow? Prints lookup latency at 10,000 and at
1,000,000 customers (the same database, grown in between by the bulk import,
records/customer_import.py, at a rate it prints) and their ratios.

    .venv/bin/python bench/lookup_scale.py [--small 10000] [--large 1000000] [--lookups 3000]

SQLite in a temporary folder by default. With TACT_DATABASE_URL=postgresql://.../test, fresh
databases are made beside it and dropped afterwards (as bench/status.py does). Each lookup is
casework's `restriction_status` as the portal query runs it (issue 15): through the hot path's
readers (records/readers.py), outside any transaction: blind index, one indexed query,
decrypt. The last line is `ratio <large>/<small> = X`: lookups per second at the large size
over the small (the p50s inverted); the target at 1,000,000 against 10,000 is 0.8 or more.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import build, email_of
from bench.status import drop_storage, open_storage
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
        await restriction_status(database.readers, vault, LookupKind.EMAIL, email, "housing", TODAY)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _summary(label: str, timings: list[float]) -> float:
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"{label:>10} customers: p50 {p50:.3f} ms  p99 {p99:.3f} ms  ({len(timings)} lookups)")
    return p50


async def run(cases_url: str, keys_url: str, args: argparse.Namespace) -> None:
    await asyncio.to_thread(upgrade, cases_url)
    database = Database.open(cases_url, keys_url)
    folder = Path(tempfile.mkdtemp(prefix="tact-bench-keys-"))
    try:
        await database.keystore.create_schema()
        KeyRing.create_file(folder / "tact.key")
        vault = Vault(KeyRing.load(folder / "tact.key"), database.keystore)
        await vault.check_keys()
        print(f"database: {database.engine.dialect.name}; load average {_load()}", flush=True)

        started = time.perf_counter()
        await build(database, vault, args.small)
        await _analyze(database)
        _loaded(args.small, 0, time.perf_counter() - started)
        await _measure(database, vault, args.small, 200)  # warm up
        small = _summary(
            f"{args.small:,}", await _measure(database, vault, args.small, args.lookups)
        )

        started = time.perf_counter()
        await build(database, vault, args.large, seed=8, skip=args.small)
        await _analyze(database)
        _loaded(args.large, args.small, time.perf_counter() - started)
        await _measure(database, vault, args.large, 200)
        large = _summary(
            f"{args.large:,}", await _measure(database, vault, args.large, args.lookups)
        )
        print(f"latency ratio {args.large:,}/{args.small:,} = {large / small:.2f} (p50 over p50)")
        print(f"load average {_load()}")
        print(
            f"ratio {args.large:,}/{args.small:,} = {small / large:.2f} (lookups/s; target >= 0.8)"
        )
    finally:
        await database.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _loaded(customers: int, before: int, seconds: float) -> None:
    added = customers - before
    rate = added / seconds
    print(f"loaded {added:,} customers (to {customers:,}) in {seconds:.1f} s: {rate:,.0f} "
          "customers/s, cases and arrangements included", flush=True)  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=3_000)
    args = parser.parse_args()
    storage = open_storage(Path(tempfile.mkdtemp(prefix="tact-bench-scale-")))
    try:
        asyncio.run(run(storage.cases_url, storage.keys_url, args))
    finally:
        drop_storage(storage)
        shutil.rmtree(storage.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
