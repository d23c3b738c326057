"""A stand-in for one Tact process, for the policy-reload test: it keeps one Gate for its
whole life and answers commands on stdin, one per line, against a shared database.

    check <role> <service> <operation>         -> "allow" or "deny" (through the gate)
    add|remove <role> <domain> <standing> <operation> <effect>   -> "done"
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from authz.actor import Actor, ActorKind, RoleGrant
from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions, Rule, add_rule, remove_rule
from authz.gate import Gate, Target
from authz.operations import Operation
from records.database import Database
from records.errors import Forbidden
from records.models import Role, utcnow


async def serve(cases_url: str, keys_url: str) -> None:
    database = Database.open(cases_url, keys_url)
    gate = Gate(Decisions(clock=utcnow, reload_every=0), utcnow, signer=CheckpointSigner.generate())
    try:
        while line := await asyncio.to_thread(sys.stdin.readline):
            print(await answer(database, gate, line.split()), flush=True)
    finally:
        await database.dispose()


async def answer(database: Database, gate: Gate, words: list[str]) -> str:
    command, args = words[0], words[1:]
    async with database.sessions() as session:
        if command == "check":
            role, service, operation = args
            actor = Actor(
                kind=ActorKind.STAFF,
                label="staff:process-test",
                roles=frozenset({RoleGrant(Role(role), service)}),
                staff_id=uuid.uuid4(),
            )
            try:
                async with gate.access(
                    session, actor, Operation(operation), Target(service=service)
                ):
                    return "allow"
            except Forbidden:
                return "deny"
        change = add_rule if command == "add" else remove_rule
        await change(session, Rule(*args), utcnow())
        await session.commit()
        return "done"


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
