"""One Tact process's access-log writer, for the no-fork test: appends `count` entries through
its own GroupCommit, `concurrency` callers at a time, then prints "done <n>".

    python -m tests.authz.append_process <cases_url> <keys_url> <signing_key> <name> <count>
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from authz.access_log import LogRecord
from authz.audit_signing import CheckpointSigner
from authz.group_commit import GroupCommit
from authz.operations import Operation, Outcome
from records.database import Database
from records.models import utcnow


async def run(urls: tuple[str, str], key: Path, name: str, count: int, concurrency: int) -> int:
    database = Database.open(*urls)
    writer = GroupCommit(
        database.writer, signer=CheckpointSigner.load(key), checkpoint_every=50, clock=utcnow
    )
    numbers = iter(range(count))
    written = 0

    async def caller() -> None:
        nonlocal written
        for n in numbers:
            record = LogRecord(
                at=utcnow(),
                actor=f"portal:{name}",
                operation=Operation.RESTRICTION_STATUS,
                outcome=Outcome.ALLOWED,
                service="housing",
                request_id=f"{name}-{n}",
            )
            seqs = await writer.append([record])  # awaited before adding: no lost update
            written += len(seqs)

    try:
        await asyncio.gather(*(caller() for _ in range(concurrency)))
    finally:
        await database.dispose()
    return written


if __name__ == "__main__":
    cases_url, keys_url, signing_key, label, total = sys.argv[1:6]
    done = asyncio.run(run((cases_url, keys_url), Path(signing_key), label, int(total), 8))
    print(f"done {done}", flush=True)
