"""Portal status benchmark (issues 9, 15): Tact's `restrictionStatus` against the bare route
doing the same work and the plain route doing the least this stack can (one indexed SELECT
over a plain-text register), in one server process, driven by wrk, interleaved.

    .venv/bin/python bench/status.py [--customers 100000] [--duration 10] [--rounds 2]
        [--connections 16,64] [--service housing] [--lookups 4000] [--warmup 2] [--keep]
        [--workers 1,2] [--cold-keys] [--log-entries N]

SQLite in a temporary folder by default. With TACT_DATABASE_URL set to a PostgreSQL URL, two
fresh databases (cases, keys) are made beside it on that server and dropped at the end
(unless --keep). Needs wrk (apt-get install wrk). See bench/README.md for what it measures.
Exits 1 if any answer was wrong or failed, or the access log does not verify.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from authz.audit_signing import CheckpointSigner
from authz.log_verify import verify
from authz.operations import Operation, Outcome
from authz.portal_keys import create_portal_key
from bench.dataset import OFFICER, SERVICES, STARTED, Dataset, build, email_of
from bench.log_fill import fill_log
from bench.plain import build_register, register_rows
from bench.server import ServerProcess, postgres_cpu_seconds
from records.crypto import KeyRing
from records.database import Database
from records.migrate import upgrade
from records.models import AccessLogEntry
from records.vault import Vault
from schema.document_ids import id_of

ROOT = Path(__file__).resolve().parent.parent
# graphql: Tact as a portal asks, the registered document by id (its plan); text: the same
# operation sent as query text of the portal's own, which runs in full (strawberry and
# graphql-core), to show what the plan buys.
MODES = ("plain", "bare", "graphql", "text")
LABEL = {"plain": "plain", "bare": "bare", "graphql": "tact", "text": "text"}
LOGGED = ("bare", "graphql", "text")  # the modes that write access-log entries
# bench/dataset.py gives every restricted customer one case with two arrangements (named
# officer, contact channel) over the same services.
ARRANGEMENTS_PER_CASE = 2
UNKNOWN_SHARE = 0.05
Result = dict[str, float]  # the numbers of one wrk run's BENCH line
Runs = dict[tuple[str, int], list[Result]]  # (mode, connections) -> one result per round


@dataclass(frozen=True)
class Storage:
    folder: Path
    cases_url: str
    keys_url: str
    pg_databases: tuple[str, ...] = ()
    admin_url: str = ""


# -- storage ------------------------------------------------------------------------------


async def _pg(admin_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def open_storage(folder: Path) -> Storage:
    url = os.environ.get("TACT_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://")):
        db = folder / "cases.db"
        return Storage(folder, f"sqlite:///{db}", f"sqlite:///{folder / 'keys.db'}")
    admin_url = url.replace("postgres://", "postgresql://", 1)
    base = admin_url.rpartition("/")[0]
    name = f"tact_bench_{uuid.uuid4().hex[:8]}"
    names = (name, f"{name}_keys")
    for each in names:
        asyncio.run(_pg(admin_url, f'CREATE DATABASE "{each}"'))
    return Storage(folder, f"{base}/{names[0]}", f"{base}/{names[1]}", names, admin_url)


def prepare(storage: Storage) -> tuple[Path, Path]:
    """A new key file and audit signing key in the storage's folder, and the case database
    migrated: (key file, signing key)."""
    key_file, signing_key = storage.folder / "tact.key", storage.folder / "audit-signing.key"
    KeyRing.create_file(key_file)
    CheckpointSigner.create_file(signing_key)
    upgrade(storage.cases_url)
    return key_file, signing_key


def server_settings(storage: Storage, key_file: Path, signing_key: Path) -> dict[str, str]:
    """The TACT_* settings of a bench server over `storage`."""
    return {
        "TACT_DATA_DIR": str(storage.folder / "data"),
        "TACT_DATABASE_URL": storage.cases_url,
        "TACT_KEYSTORE_URL": storage.keys_url,
        "TACT_KEY_FILE": str(key_file),
        "TACT_AUDIT_SIGNING_KEY_FILE": str(signing_key),
        # One portal key sends every request: per-caller rate limits would measure themselves.
        "TACT_RATE_LIMIT_PER_MINUTE": "0",
        "TACT_LOOKUP_RATE_LIMIT_PER_MINUTE": "0",
    }


async def fill(storage: Storage, signing_key: Path, entries: int, customers: int) -> None:
    """The log as long as a council's gets, chained and signed under the server's key, about
    as many people as the register holds: its indexes as large as they will be."""
    database = Database.open(storage.cases_url, storage.keys_url)
    try:
        signer = CheckpointSigner.load(signing_key)
        await fill_log(database, signer, entries, 1000, people=max(customers, 1))
    finally:
        await database.dispose()


def drop_storage(storage: Storage) -> None:
    for name in storage.pg_databases:
        asyncio.run(_pg(storage.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def load(storage: Storage, customers: int, key_file: Path) -> tuple[Dataset, str]:
    """Build the data set through Tact's storage code and issue a portal key for it."""
    database = Database.open(storage.cases_url, storage.keys_url)
    try:
        await database.keystore.create_schema()
        vault = Vault(KeyRing.load(key_file), database.keystore)
        await vault.check_keys()
        started = time.perf_counter()

        def progress(done: int) -> None:
            if done % 20_000 == 0 or done == customers:
                print(f"  {done:>7,} customers  {time.perf_counter() - started:5.0f} s", flush=True)

        dataset = await build(database, vault, customers, progress=progress)
        # The floor route's plain-text register (bench/plain.py), beside the sealed data.
        emails = ((email_of(n), dataset.restricted.get(n, set())) for n in range(customers))
        await build_register(storage.cases_url, register_rows(emails, OFFICER, STARTED))
        async with database.sessions() as session:
            issued = await create_portal_key(
                session, name="bench portal", services=list(SERVICES), now=dt.datetime.now(dt.UTC)
            )
            await session.commit()
        if database.engine.dialect.name == "postgresql":
            # Planner statistics, as autovacuum would gather them on a live server (it is
            # off on some, this machine's included). Without them PostgreSQL joins the whole
            # customers table per lookup: 260 ms instead of 0.3 ms at 100,000 customers.
            for engine in (database.engine, database.keystore.engine):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql("ANALYZE")
    finally:
        await database.dispose()
    return dataset, issued.key


# -- lookups ------------------------------------------------------------------------------


def write_cases(
    path: Path, dataset: Dataset, service: str, lookups: int, seed: int
) -> tuple[int, int]:
    """`<email> <arrangements expected>` per line: a spread over the customers, in varied
    case (normalisation makes them one address), and ~5 % unknown. Returns (restricted, unknown)."""
    rng = random.Random(seed)
    in_force = dt.datetime.now(dt.UTC).date() >= STARTED
    lines, restricted, unknown = [], 0, 0
    for i in range(lookups):
        if rng.random() < UNKNOWN_SHARE:
            lines.append(f"nobody{i}@bench.example.org 0")
            unknown += 1
            continue
        n = rng.randrange(dataset.customers)
        email = email_of(n)
        if n % 4 == 1:
            email = email.replace("person", "Person").replace("bench.", "Bench.")
        expected = (
            ARRANGEMENTS_PER_CASE if in_force and service in dataset.restricted.get(n, ()) else 0
        )
        restricted += expected > 0
        lines.append(f"{email} {expected}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return restricted, unknown


# -- load ---------------------------------------------------------------------------------


def wrk(url: str, mode: str, connections: int, seconds: float, env: dict[str, str]) -> Result:
    """One wrk run; the numbers of the script's BENCH line. This process only waits."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "--latency", "-s", str(ROOT / "bench" / "status.lua"), url,
    ]  # fmt: skip
    done = subprocess.run(
        command, env={**env, "BENCH_MODE": mode}, capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip()}")


def drive(
    server: ServerProcess,
    args: argparse.Namespace,
    env: dict[str, str],
    database_cpu: Callable[[], float] = lambda: 0.0,
) -> tuple[Runs, list[Result]]:
    """For each round and connection count: bare then Tact, each after a warm-up. Also the
    server's CPU time per request, which other tenants of a shared machine disturb less
    than requests/s, and `database_cpu`'s (the local PostgreSQL's) per request."""
    url = server.url
    runs: Runs = {}
    warmups: list[Result] = []
    for round_no in range(1, args.rounds + 1):
        for connections in args.connections:
            for mode in MODES:
                if args.warmup > 0:
                    warm = wrk(url, mode, connections, args.warmup, env)
                    warmups.append({**warm, "logged": float(mode in LOGGED)})
                cpu, db_cpu = server.cpu_seconds(), database_cpu()
                result = wrk(url, mode, connections, args.duration, env)
                spent = server.cpu_seconds() - cpu
                db_spent = database_cpu() - db_cpu
                requests = result["requests"]
                result["cpu_ms"] = 1000 * spent / requests if requests else 0
                result["db_cpu_ms"] = 1000 * db_spent / requests if requests else 0
                runs.setdefault((mode, connections), []).append(result)
                print(
                    f"  round {round_no}  {LABEL[mode]:>4}  c={connections:<3} "
                    f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
                    f"p99 {result['p99_ms']:7.2f} ms  cpu {result['cpu_ms']:5.2f} ms/req"
                    + (f"  database {result['db_cpu_ms']:5.2f}" if result["db_cpu_ms"] else ""),
                    flush=True,
                )
    return runs, warmups


def more_workers(
    args: argparse.Namespace, settings_env: dict[str, str], env: dict[str, str], workers: int
) -> Result:
    """Tact alone, served by `workers` processes (one access-log chain between them)."""
    log_path = Path(settings_env["TACT_DATA_DIR"]).parent / f"server-{workers}-workers.log"
    with ServerProcess(ROOT, settings_env, log_path, workers=workers) as server:
        connections = args.connections[0]
        if args.warmup > 0:
            wrk(server.url, "graphql", connections, args.warmup, env)
        cpu = server.cpu_seconds()
        result = wrk(server.url, "graphql", connections, args.duration, env)
        spent = server.cpu_seconds() - cpu
    result["cpu_ms"] = 1000 * spent / result["requests"] if result["requests"] else 0
    print(
        f"  tact with {workers} workers  c={connections:<3} {result['rps']:8.1f} req/s  "
        f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
        f"cpu {result['cpu_ms']:5.2f} ms/req",
        flush=True,
    )
    return result


def report(
    runs: Runs, warmups: list[Result], args: argparse.Namespace
) -> tuple[bool, int, dict[tuple[str, int], float]]:
    """Print the medians; (all answers right, successful requests, rps by run)."""
    print(
        f"\n{'mode':>4} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>7}"
        "  checked/wrong/failed"
    )
    clean, successful, rps = True, 0, {}
    for connections in args.connections:
        for mode in MODES:
            results = runs[(mode, connections)]
            median = {k: statistics.median(r[k] for r in results) for k in results[0]}
            totals = {k: int(sum(r[k] for r in results)) for k in ("checked", "wrong")}
            failed = int(sum(r["failed"] + r["socket_errors"] for r in results))
            rps[(mode, connections)] = median["rps"]
            print(
                f"{LABEL[mode]:>4} {connections:>5} {median['rps']:9.1f} {median['p50_ms']:8.2f} "
                f"{median['p99_ms']:8.2f} {median['cpu_ms']:7.2f}"
                f"  {totals['checked']}/{totals['wrong']}/{failed}"
            )
            served = all(r["requests"] > 0 for r in results)
            clean = clean and served and totals["wrong"] == 0 and failed == 0
            successful += totals["checked"] if mode in LOGGED else 0
    for warm in warmups:
        clean = clean and warm["wrong"] == 0 and warm["failed"] + warm["socket_errors"] == 0
        successful += int(warm["checked"] * warm["logged"])
    return clean, successful, rps


async def check_access_log(
    cases_url: str, keys_url: str, signing_key: Path, successful: int, *, after: int = 0
) -> bool:
    """The chain verifies (signatures included), and it holds at least one allowed status
    entry per successful request (a few more: wrk drops answers in flight when it stops),
    after the `after` entries the log was filled with before the run."""
    database = Database.open(cases_url, keys_url)
    try:
        async with database.sessions() as session:
            result = await verify(session, CheckpointSigner.load(signing_key))
            allowed = await session.scalar(
                select(func.count())
                .select_from(AccessLogEntry)
                .where(
                    AccessLogEntry.seq > after,
                    AccessLogEntry.operation == Operation.RESTRICTION_STATUS,
                    AccessLogEntry.outcome == Outcome.ALLOWED,
                )
            )
    finally:
        await database.dispose()
    enough = (allowed or 0) >= successful
    print(f"access log: {result.describe()}")
    print(
        f"access log: {allowed} allowed status entries for {successful} successful requests: "
        + ("OK" if enough else "MISSING ENTRIES")
    )
    return result.ok and enough


# -- main ---------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", default="16,64", help="comma-separated counts")
    parser.add_argument("--service", default="housing", choices=SERVICES)
    parser.add_argument("--lookups", type=int, default=4000, help="distinct lookups cycled")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the databases and folder")
    parser.add_argument(
        "--workers", default="1", help="comma-separated worker counts; beyond 1, Tact alone"
    )
    parser.add_argument(
        "--log-entries",
        type=int,
        default=0,
        help="entries in the access log before the run (a council's log holds millions)",
    )
    parser.add_argument(
        "--cold-keys",
        action="store_true",
        help="no data-key cache: every lookup reads its keys, as for a caller not seen lately",
    )
    args = parser.parse_args()
    args.connections = [int(c) for c in str(args.connections).split(",") if c.strip()]
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    return args


def main() -> int:
    args = arguments()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="tact-bench-status-"))
    storage = open_storage(folder)
    try:
        return run(args, storage)
    finally:
        if args.keep:
            print(f"kept: {folder}" + "".join(f", database {n}" for n in storage.pg_databases))
        else:
            drop_storage(storage)
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, storage: Storage) -> int:
    folder = storage.folder
    key_file, signing_key = prepare(storage)
    dialect = "postgresql" if storage.pg_databases else "sqlite"
    print(f"database: {dialect}; building {args.customers:,} customers", flush=True)
    dataset, portal_key = asyncio.run(load(storage, args.customers, key_file))
    if args.log_entries:
        started = time.perf_counter()
        asyncio.run(fill(storage, signing_key, args.log_entries, args.customers))
        took = time.perf_counter() - started
        print(f"access log: {args.log_entries:,} entries before the run ({took:.0f} s)")
    cases = folder / "cases.txt"
    restricted, unknown = write_cases(cases, dataset, args.service, args.lookups, args.seed)
    print(f"lookups: {args.lookups} in {args.service} ({restricted} restricted, {unknown} unknown)")
    settings_env = server_settings(storage, key_file, signing_key)
    if args.cold_keys:
        # A portal's callers are mostly people not seen within the cache's five minutes:
        # each restricted one's lookup then reads its case's data key from the key store.
        settings_env["TACT_DATA_KEY_CACHE_SECONDS"] = "0"
        print("data keys: not cached (--cold-keys): read from the key store on every lookup")
    with ServerProcess(ROOT, settings_env, folder / "server.log") as server:
        print(f"server: pid {server.pid} on {server.url} (output in {server.log_path})")
        bench_env = {
            **os.environ,
            "BENCH_CASES": str(cases),
            "BENCH_KEY": portal_key,
            "BENCH_SERVICE": args.service,
            "BENCH_DOCUMENT": id_of("RestrictionStatus"),
        }
        before = os.getloadavg()[0]
        # On PostgreSQL, the local server's CPU too: it shares the cores with Tact and wrk.
        # All of it, so other databases' work on that server would count as well.
        measured = postgres_cpu_seconds if storage.pg_databases else lambda: 0.0
        runs, warmups = drive(server, args, bench_env, measured)
        # The machine may be shared: the load beside the bench says how far to trust it.
        print(f"load average (1 min): {before:.2f} before, {os.getloadavg()[0]:.2f} after")
    extra = {n: more_workers(args, settings_env, bench_env, n) for n in args.workers if n > 1}
    clean, successful, rps = report(runs, warmups, args)
    for result in extra.values():
        clean = clean and result["wrong"] == 0 and result["failed"] + result["socket_errors"] == 0
        successful += int(result["checked"])
    verified = asyncio.run(
        check_access_log(
            storage.cases_url, storage.keys_url, signing_key, successful, after=args.log_entries
        )
    )
    first = 16 if 16 in args.connections else args.connections[0]
    if not clean:
        print("FAILED: some answers were wrong or failed", flush=True)
    tact_rps = rps[("graphql", first)]
    text_rps = rps[("text", first)]
    print(f"ratio tact/text = {tact_rps / text_rps if text_rps else 0.0:.2f} (what the plan buys)")
    for floor in ("plain", "bare"):
        floor_rps = rps[(floor, first)]
        print(f"ratio tact/{floor} = {tact_rps / floor_rps if floor_rps else 0.0:.2f}")
    # CPU per request moves less than requests/s when other tenants share the machine.
    cpu = {mode: statistics.median(r["cpu_ms"] for r in runs[(mode, first)]) for mode in MODES}
    db = {mode: statistics.median(r["db_cpu_ms"] for r in runs[(mode, first)]) for mode in MODES}
    print(
        f"cpu per request: plain {cpu['plain']:.2f} ms, bare {cpu['bare']:.2f} ms, "
        f"tact {cpu['graphql']:.2f} ms, text {cpu['text']:.2f} ms "
        f"(plain/tact {cpu['plain'] / cpu['graphql']:.2f})"
        if cpu["graphql"]
        else "cpu per request: not measured"
    )
    if db["graphql"]:
        # A local PostgreSQL shares the machine's cores with the server and wrk.
        print(
            f"database server cpu per request: plain {db['plain']:.2f} ms, "
            f"bare {db['bare']:.2f} ms, tact {db['graphql']:.2f} ms, text {db['text']:.2f} ms"
        )
    if extra:
        served = ", ".join(f"{n} workers {r['rps']:.1f}" for n, r in extra.items())
        print(f"tact req/s at c={args.connections[0]}: 1 worker {tact_rps:.1f}, {served}")
    return 0 if clean and verified else 1


if __name__ == "__main__":
    sys.exit(main())
