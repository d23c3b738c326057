"""Database faults at the edge: 503 with Retry-After and a JSON error while the case database
cannot be reached or the access log cannot be written, never a plain-text 500 or INTERNAL
inside a 200; and one retry, on a fresh connection, of a request whose connection was lost
before it wrote anything.

A retry is safe only when the request's session sent no change (records/database.py notes
every flush, INSERT, UPDATE and DELETE), so an operation is never applied twice. The pool checks a
connection before handing it out (pool_pre_ping), so the retry gets a live one, and the
service recovers by itself once the database is back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.edge import exchange_of
from api.request_body import read_body, replayed
from api.runtime import Runtime
from authz.group_commit import AccessLogUnavailable
from records.database import is_unavailable, wrote_anything

log = logging.getLogger("tact.faults")

RETRY_AFTER_SECONDS = 2
SESSION_KEY = "db_session"  # scope["state"] key of the request's session, for the retry check
Serve = Callable[[Receive, Send], Awaitable[None]]


def is_fault(error: BaseException) -> bool:
    """A fault of the storage, not of the request: answered 503."""
    return is_unavailable(error) or isinstance(error, AccessLogUnavailable)


def unavailable_response(request_id: str | None, reason: str) -> JSONResponse:
    """A GraphQL-shaped JSON error, so clients read it as they read any other error."""
    extensions = {"code": "UNAVAILABLE", **({"requestId": request_id} if request_id else {})}
    return JSONResponse(
        {"errors": [{"message": f"Service unavailable: {reason}.", "extensions": extensions}]},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _log_problem(runtime: Runtime) -> str | None:
    try:
        return await runtime.access_log_problem()
    except Exception as error:
        if is_fault(error):
            return None
        raise


async def serve_guarded(
    serve: Serve, runtime: Runtime, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run `serve` (authenticate and execute); answer 503 on a storage fault."""
    request_id = scope["state"].get("request_id")
    if runtime.log_problem is not None and (problem := await _log_problem(runtime)):
        await unavailable_response(request_id, problem)(scope, receive, send)
        return
    body = await read_body(receive)
    exchange = exchange_of(scope)
    for attempt in (1, 2):
        try:
            await serve(replayed(body, receive), send)
            return
        except Exception as error:
            if exchange.started or not is_fault(error):
                raise
            session = scope["state"].pop(SESSION_KEY, None)
            retry = attempt == 1 and is_unavailable(error)
            if retry and (session is None or not wrote_anything(session)):
                log.warning(
                    "database connection lost before anything was written; running the "
                    "request again on a fresh connection",
                    extra={"event": "db_retry", "request_id": request_id},
                )
                continue
            reason = await _log_problem(runtime) or "the database cannot be reached"
            log.warning(
                "request refused with 503: storage unavailable",
                extra={
                    "event": "db_unavailable",
                    "error_type": type(error).__name__,
                    "request_id": request_id,
                },
            )
            await unavailable_response(request_id, reason)(scope, replayed([], receive), send)
            return
