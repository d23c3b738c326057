"""Each GraphQL request's time budget (TACT_REQUEST_TIMEOUT_SECONDS).

A request still running when its budget is spent is cancelled at its next await and answered
503 with a JSON GraphQL error (code TIMEOUT) and Retry-After. Cancelling drops the request's
session, so its transaction rolls back: an answer that is never sent has written nothing, and
every answer that is sent has its access-log entry. CPU-bound work between awaits cannot be
cancelled; that is what the document limits (schema/limits.py) keep small.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql_http import error_response
from api.logging import request_id_from

log = logging.getLogger("tact.app")
TIMEOUT = "TIMEOUT"


class TimeBudget:
    def __init__(self, app: ASGIApp, seconds: float, paths: Collection[str]) -> None:
        self.app = app
        self.seconds = seconds
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        budget = asyncio.timeout(self.seconds)
        try:
            async with budget:
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if started or not budget.expired():
                raise
            log.warning("request over its time budget", extra={"event": "request_timeout"})
            response = error_response(
                f"the request took longer than its budget of {self.seconds:g} seconds",
                status=503,
                code=TIMEOUT,
                request_id=request_id_from(scope),
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
