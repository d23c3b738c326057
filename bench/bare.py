"""The bare route: the portal query's work with nothing of Tact's framework around it, as the
ceiling `restrictionStatus` is measured against (bench/status.py).

    POST /bare/status   {"email": ..., "service": ...}   Authorization: ApiKey <key>

Per request, in ONE transaction: authenticate the portal key (authz.portal_keys), check the
service is in the key's scope, look up and decrypt (casework.status.restriction_status),
append the access-log entries the gate would write (authz.access_log.append, the same chain
code, checkpoints included) and commit before answering. A key out of scope gets 403 after a
"denied" entry, as through the gate; a malformed lookup gets 400 (unlike the gate, with no
"error" entry: the benchmark never sends one). The answer has the GraphQL type's
fields, as JSON, and echoes X-Request-ID. No GraphQL, no Casbin, no middleware, no log line.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.runtime import Runtime
from authz.access_log import LogRecord, append
from authz.actor import Actor
from authz.operations import FieldSet, Operation, Outcome
from authz.portal_keys import authenticate_portal_key
from casework.status import RestrictionStatus, restriction_status
from records.errors import Forbidden, TactError, Unauthenticated
from records.lookup import LookupKind

PATH = "/bare/status"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # as api/logging.py


def status_entries(base: LogRecord, status: RestrictionStatus) -> list[LogRecord]:
    """The entries the gate writes for an allowed lookup: one per (customer, case) the lookup
    saw (casework's `RestrictionStatus.seen`, as schema/portal.py records them), or the base
    entry alone when nobody was found."""
    seen = dict.fromkeys(status.seen())
    if not seen:
        return [base]
    return [replace(base, customer_id=c, case_id=k) for c, k in seen]


def status_json(status: RestrictionStatus) -> dict[str, Any]:
    """The fields of the GraphQL RestrictionStatus type, spelt as GraphQL spells them."""
    return {
        "service": status.service,
        "restricted": status.restricted,
        "arrangements": [
            {
                "kind": a.kind.name,
                "handlingInstructions": a.handling_instructions,
                "namedOfficer": a.named_officer,
                "startsOn": a.starts_on.isoformat(),
                "endsOn": a.ends_on.isoformat() if a.ends_on else None,
                "nextReviewOn": a.next_review_on.isoformat() if a.next_review_on else None,
            }
            for a in status.arrangements
        ],
    }


class BareStatus:
    """The endpoint, over an open runtime (its database, vault and the gate's signer)."""

    def __init__(self, runtime: Runtime, clock: Callable[[], dt.datetime]) -> None:
        self.runtime = runtime
        self.clock = clock

    async def endpoint(self, request: Request) -> JSONResponse:
        request_id = request.headers.get("x-request-id", "")
        if not _SANE_REQUEST_ID.fullmatch(request_id):
            request_id = secrets.token_hex(16)
        echoed = {"X-Request-ID": request_id}
        body = await request.json()
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        async with self.runtime.database.sessions() as session:
            try:
                if scheme.lower() != "apikey":
                    raise Unauthenticated("the credentials presented were not accepted")
                actor = await authenticate_portal_key(session, key.strip(), self.clock())
                status = await self._answer(session, actor, body, request_id)
            except TactError as error:
                await session.rollback()
                return JSONResponse(
                    {"error": error.code, "message": error.message},
                    status_code=_STATUS_OF.get(error.code, 400),
                    headers=echoed,
                )
        return JSONResponse(status_json(status), headers=echoed)

    async def _answer(
        self, session: AsyncSession, actor: Actor, body: dict[str, Any], request_id: str
    ) -> RestrictionStatus:
        now = self.clock()
        service = str(body["service"])
        base = LogRecord(
            at=now,
            actor=actor.label,
            operation=Operation.RESTRICTION_STATUS,
            outcome=Outcome.ALLOWED,
            role="portal",
            service=service,
            fields=FieldSet.STATUS,
            request_id=request_id,
        )
        if service not in actor.services:
            await self._write(session, [replace(base, outcome=Outcome.DENIED, fields=None)], now)
            raise Forbidden("not permitted: restriction_status")
        status = await restriction_status(
            session, self.runtime.vault, LookupKind.EMAIL, str(body["email"]), service, now.date()
        )
        await self._write(session, status_entries(base, status), now)
        return status

    async def _write(
        self, session: AsyncSession, entries: list[LogRecord], now: dt.datetime
    ) -> None:
        gate = self.runtime.gate
        await append(
            session,
            entries,
            signer=gate.signer,
            checkpoint_every=self.runtime.settings.access_log_checkpoint_every,
            now=now,
        )
        await session.commit()


_STATUS_OF = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}


def bare_app(runtime: Runtime, clock: Callable[[], dt.datetime]) -> Starlette:
    return Starlette(routes=[Route(PATH, BareStatus(runtime, clock).endpoint, methods=["POST"])])
