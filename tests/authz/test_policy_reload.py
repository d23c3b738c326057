"""Policy changes made at run time reach every running process: two real OS processes share
one database; a rule added or removed in one is applied by the other on its next request."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from authz.decisions import Decisions, Rule, add_rule
from authz.operations import Operation, Standing
from records.database import Database
from tests.authz.world import Clock, add_services

ROOT = Path(__file__).resolve().parents[2]
READERS = Rule("reviewer", "*", "member", "read_reports", "allow")
NOT_IN_HOUSING = Rule("reviewer", "housing", "member", "read_reports", "deny")


class Process:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, urls: tuple[str, str]) -> Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.authz.policy_process", *urls,
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(proc)

    async def ask(self, *words: str) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write((" ".join(words) + "\n").encode())
        await self.proc.stdin.drain()
        return (await self.proc.stdout.readline()).decode().strip()

    async def stop(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        await self.proc.wait()


def rule_words(command: str, rule: Rule) -> tuple[str, ...]:
    return (command, rule.role, rule.domain, rule.standing, rule.operation, rule.effect)


async def test_a_rule_changed_in_one_process_applies_in_the_other(
    database: Database, database_urls: tuple[str, str]
) -> None:
    await add_services(database, "fire-safety", "housing")
    one, two = await Process.start(database_urls), await Process.start(database_urls)
    try:
        reports = ("check", "reviewer", "fire-safety", "read_reports")
        reports_housing = ("check", "reviewer", "housing", "read_reports")
        assert (await one.ask(*reports), await two.ask(*reports)) == ("deny", "deny")

        assert await two.ask(*rule_words("add", READERS)) == "done"
        assert (await one.ask(*reports), await two.ask(*reports)) == ("allow", "allow")

        assert await one.ask(*rule_words("add", NOT_IN_HOUSING)) == "done"
        assert await two.ask(*reports_housing) == "deny"
        assert await two.ask(*reports) == "allow"

        assert await two.ask(*rule_words("remove", READERS)) == "done"
        assert await one.ask(*reports) == "deny"
    finally:
        await one.stop()
        await two.stop()
    assert (one.proc.returncode, two.proc.returncode) == (0, 0)


async def test_a_process_checks_for_changes_at_most_every_n_seconds(database: Database) -> None:
    clock = Clock()
    decisions = Decisions(clock=clock, reload_every=30)
    allowed = ("reviewer", "housing", Standing.MEMBER, Operation.READ_REPORTS)
    async with database.sessions() as session:
        assert await decisions.refresh(session)  # the first check always loads
        assert not decisions.allows(*allowed)
        await add_rule(session, READERS, clock())
        await session.commit()

        clock.advance(29)
        assert not await decisions.refresh(session)
        assert not decisions.allows(*allowed)
        clock.advance(1)
        assert await decisions.refresh(session)
        assert decisions.allows(*allowed)
        await session.rollback()
