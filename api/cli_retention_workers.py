"""`tact retention run --workers N`: N job processes at once on PostgreSQL, each taking its
share of the due cases (`RetentionJob.share`, by id); the row locks that skip rows another
process has still keep each case to one process. This parent starts them as
`tact retention run --share I/N`, passes their JSON lines on (or moves one progress bar),
adds up their summaries, and fails if any of them failed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections import Counter

import click

SUMMARY = ("archived", "destroyed", "held", "awaiting_approval", "failed")
# The worker is this same program: `tact`, however it was installed.
_TACT = (sys.executable, "-c", "from api.cli import main; main()")


def parse_share(value: str) -> tuple[int, int]:
    """ "I/N" (0 <= I < N) as (I, N)."""
    mine, _, every = value.partition("/")
    try:
        share = int(mine), int(every)
    except ValueError:
        raise click.BadParameter("I/N, as 0/2") from None
    if not 0 <= share[0] < share[1]:
        raise click.BadParameter("I/N with 0 <= I < N")
    return share


class _Progress:
    """One bar over every worker's cases, drawn once each has said how many it has."""

    def __init__(self, workers: int, tty: bool) -> None:
        self._tty = tty
        self._due: list[int] = []
        self._workers = workers
        self._early = 0
        self._bar: object | None = None

    def due(self, count: int) -> None:
        self._due.append(count)
        if self._tty and len(self._due) == self._workers:
            bar = click.progressbar(length=sum(self._due), label="retention", file=sys.stderr)
            bar.__enter__()
            bar.update(self._early)
            self._bar = bar

    def outcome(self, line: str) -> None:
        if not self._tty:
            click.echo(line)
        elif self._bar is None:
            self._early += 1
        else:
            self._bar.update(1)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)  # type: ignore[attr-defined]


async def run_workers(
    day: dt.date, batch: int, workers: int, tty: bool
) -> tuple[Counter[str], bool]:
    """Run `workers` job processes to the end: (summary counts, whether all succeeded)."""
    command = (*_TACT, "retention", "run", "--as-of", day.isoformat(), "--batch", str(batch))
    progress = _Progress(workers, tty)
    summary: Counter[str] = Counter()

    async def follow(share: int) -> int:
        process = await asyncio.create_subprocess_exec(
            *command, "--share", f"{share}/{workers}", stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        async for raw in process.stdout:
            text = raw.decode("utf-8").rstrip("\n")
            try:
                line = json.loads(text)
            except ValueError:
                line = {}
            if "due" in line:
                progress.due(int(line["due"]))
            elif "summary" in line:
                summary.update(line["summary"])
            else:
                progress.outcome(text)
        return await process.wait()

    try:
        codes = await asyncio.gather(*(follow(share) for share in range(workers)))
    finally:
        progress.close()
    return summary, all(code == 0 for code in codes)
