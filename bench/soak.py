"""Soak: a steady rate of portal lookups against one server for minutes (issue 15). Counts
every status, checks every answer, and samples the server's memory (RSS from /proc), then
verifies the access log.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 40] [--customers 2000]

The server is bench/server.py's (Tact's real app as `tact serve` builds it, one uvicorn
worker), with the per-caller rate limits off: one portal key sends every request. SQLite in a
temporary folder by default; TACT_DATABASE_URL=postgresql://.../test for PostgreSQL (fresh
databases beside it, dropped afterwards). Not part of CI (tests/bench/test_soak_smoke.py runs
it for a few seconds so that it cannot rot).

Exit status 1 on any 5xx, any other failed or wrong answer, a rate under 90 % of the one
asked for, server memory growing 10 % or more after warm-up, or an access log that does not
verify.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import ServerProcess
from bench.status import (
    ROOT,
    Storage,
    check_access_log,
    drop_storage,
    load,
    open_storage,
    prepare,
    server_settings,
    write_cases,
)
from schema.document_ids import id_of

SERVICE = "housing"
MAX_IN_FLIGHT = 64  # beyond this the server is not keeping up: the rate falls, and says so
SAMPLE_EVERY = 5.0  # seconds between memory samples
GROWTH_LIMIT = 0.10


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    wrong: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    started: int = 0  # requests started on the schedule
    schedule: float = 0.0  # seconds from the first start to the last

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())


def rss_kib(pid: int) -> int:
    """Resident memory of the server process and its children (uvicorn's workers), in KiB."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for each in [pid, *map(int, children)]:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def read_cases(path: Path) -> list[tuple[str, int]]:
    lines = path.read_text(encoding="ascii").split("\n")
    return [(email, int(count)) for email, count in (ln.split() for ln in lines if ln)]


async def one(
    client: httpx.AsyncClient, key: str, document: str, case: tuple[str, int], tally: Tally
) -> None:
    email, expected = case
    body = {"documentId": document, "variables": {"lookup": {"email": email}, "service": SERVICE}}
    started = time.perf_counter()
    try:
        answer = await client.post(
            "/graphql", json=body, headers={"Authorization": f"ApiKey {key}"}
        )
    except httpx.HTTPError as exc:
        tally.errors[type(exc).__name__] += 1
        return
    tally.latencies.append((time.perf_counter() - started) * 1000)
    tally.statuses[answer.status_code] += 1
    if answer.status_code != 200:
        return
    status = (json.loads(answer.content).get("data") or {}).get("restrictionStatus") or {}
    arrangements = status.get("arrangements") or []
    if status.get("restricted") != (expected > 0) or len(arrangements) != expected:
        tally.wrong += 1


async def drive(
    url: str, key: str, cases: list[tuple[str, int]], rate: float, seconds: float
) -> Tally:
    """Requests started on a fixed schedule (open loop), whatever the answers' pace."""
    tally = Tally()
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    document = id_of("RestrictionStatus")
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()

    async def request(n: int) -> None:
        try:
            await one(client, key, document, cases[n % len(cases)], tally)
        finally:
            in_flight.release()

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while (due := start + n / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - loop.time()))
            await in_flight.acquire()
            task = asyncio.create_task(request(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        tally.started, tally.schedule = n, loop.time() - start
        await asyncio.gather(*tasks)
    return tally


async def sample_memory(pid: int, samples: list[tuple[float, int]], stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        samples.append((time.monotonic() - started, rss_kib(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)
    samples.append((time.monotonic() - started, rss_kib(pid)))


async def soak(
    server: ServerProcess, key: str, cases: list[tuple[str, int]], args: argparse.Namespace
) -> tuple[Tally, list[tuple[float, int]]]:
    samples: list[tuple[float, int]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(server.pid, samples, stop))
    try:
        tally = await drive(server.url, key, cases, args.rate, args.minutes * 60)
    finally:
        stop.set()
        await sampler
    return tally, samples


def memory_growth(samples: list[tuple[float, int]], warmup: float) -> tuple[int, int, int, float]:
    """(RSS at the end of warm-up, at the end, peak after warm-up) in KiB, and the growth."""
    after = [rss for at, rss in samples if at >= warmup] or [samples[-1][1]]
    base, end = after[0], after[-1]
    return base, end, max(after), (end - base) / base


def report(
    tally: Tally, samples: list[tuple[float, int]], seconds: float, args: argparse.Namespace
) -> bool:
    warmup = max(min(60.0, seconds / 5), min(10.0, seconds / 2))
    base, end, peak, growth = memory_growth(samples, warmup)
    # The rate the requests were started at: the server's pace shows in latency and in the
    # in-flight cap holding starts back, not in waiting for the last answers.
    achieved = tally.started / max(tally.schedule + 1 / args.rate, 1e-9)
    latencies = sorted(tally.latencies) or [0.0]
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
    print(f"requests: {tally.sent:,} in {seconds:.0f} s ({achieved:.1f}/s started, "
          f"asked {args.rate:g}/s)")  # fmt: skip
    print(f"statuses: {statuses or 'none'}; 5xx: {tally.server_errors}; wrong: {tally.wrong}; "
          f"errors: {dict(tally.errors) or 0}")  # fmt: skip
    print(f"latency: p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms")
    print(f"server memory (RSS): {samples[0][1] / 1024:.1f} MiB at start, {base / 1024:.1f} MiB "
          f"after {warmup:.0f} s warm-up, {end / 1024:.1f} MiB at the end (peak "
          f"{peak / 1024:.1f}); growth after warm-up {growth * 100:+.1f} %")  # fmt: skip
    problems = []
    if tally.server_errors:
        problems.append("5xx answers")
    if tally.wrong or tally.errors or set(tally.statuses) - {200}:
        problems.append("failed or wrong answers")
    if achieved < 0.9 * args.rate:
        problems.append("the rate asked for was not reached")
    if growth >= GROWTH_LIMIT:
        problems.append(f"memory grew {growth * 100:.1f} % after warm-up")
    for problem in problems:
        print(f"FAILED: {problem}")
    return not problems


def run(args: argparse.Namespace, storage: Storage) -> int:
    folder = storage.folder
    key_file, signing_key = prepare(storage)
    dialect = "postgresql" if storage.pg_databases else "sqlite"
    print(f"database: {dialect}; {args.customers:,} customers", flush=True)
    dataset, key = asyncio.run(load(storage, args.customers, key_file))
    write_cases(folder / "cases.txt", dataset, SERVICE, 2000, 11)
    cases = read_cases(folder / "cases.txt")
    settings_env = server_settings(storage, key_file, signing_key)
    with ServerProcess(ROOT, settings_env, folder / "server.log") as server:
        print(f"server: pid {server.pid}; {args.minutes:g} min at {args.rate}/s; load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        cpu = server.cpu_seconds()
        started = time.monotonic()
        tally, samples = asyncio.run(soak(server, key, cases, args))
        seconds = time.monotonic() - started
        cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, tally.sent)
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}; server CPU {cpu_ms:.2f} ms/req")
    good = report(tally, samples, seconds, args)
    successful = tally.statuses[200] - tally.wrong
    verified = asyncio.run(
        check_access_log(storage.cases_url, storage.keys_url, signing_key, successful)
    )
    return 0 if good and verified else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second")
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    storage = open_storage(Path(tempfile.mkdtemp(prefix="tact-soak-")))
    try:
        return run(args, storage)
    finally:
        drop_storage(storage)
        shutil.rmtree(storage.folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
