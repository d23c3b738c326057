"""Structured logs: one JSON object per line on stderr, and the line of each HTTP request
(written by the edge, api/edge.py).

Nothing here writes a request body, a query's variables, a header value or an exception's
message (third-party messages can quote data); exceptions are logged as their type and stack
frames. Tact's own errors are the exception: their messages hold only ids and references.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
import time
import traceback
from collections.abc import Collection
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Scope

from records.errors import TactError

# Sane incoming ids only: a load balancer's or a caller's correlation id fits; anything that
# could smuggle text into logs or the access log does not, and is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_MAX_FRAMES = 12

request_log = logging.getLogger("tact.request")
# The id of the request being served, set by the edge for the request's task: every line
# logged while serving it carries it (a refused credential's reason, a gate warning).
_serving: ContextVar[str | None] = ContextVar("tact_request_id", default=None)


def serving(request_id: str) -> Token[str | None]:
    """Marks the lines logged from here on, in this task, with `request_id`; hand the token
    to `served` when the request is done."""
    return _serving.set(request_id)


def served(token: Token[str | None]) -> None:
    _serving.reset(token)


def with_request_id(record: logging.LogRecord) -> bool:
    """A handler filter: the request id of the request being served, on a line that does
    not name one itself."""
    if "request_id" not in record.__dict__:
        request_id = _serving.get()
        if request_id is not None:
            record.request_id = request_id
    return True


def _describe(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> Any:
    kind, error, tb = exc_info
    frames = traceback.extract_tb(tb)[-_MAX_FRAMES:]
    described: dict[str, Any] = {
        "type": kind.__name__,
        "frames": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
    }
    if isinstance(error, TactError):
        described["message"] = error.message
    return described


# One encoder for every line: json.dumps with options of its own builds a new one per call.
_ENCODER = json.JSONEncoder(default=str, separators=(",", ":"))


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        # (second, its text): one attribute, so a thread never sees one without the other.
        self._second: tuple[int, str] = (-1, "")

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC to the millisecond; the text up to the second is made once per
        second (a busy server writes hundreds of lines in each)."""
        second = int(created)
        micro = round((created - second) * 1e6)  # as datetime.fromtimestamp rounds
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        known, text = self._second
        if second != known:
            text = dt.datetime.fromtimestamp(second, dt.UTC).isoformat().removesuffix("+00:00")
            self._second = (second, text)
        return f"{text}.{micro // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = _describe(record.exc_info)
        return _ENCODER.encode(entry)


# Loggers that speak at `level`; every other library speaks at WARNING and above only (Casbin
# logs its whole policy at INFO when it loads it).
OWN_LOGGERS = ("tact", "uvicorn", "uvicorn.error")


def _libraries_at_warning(record: logging.LogRecord) -> bool:
    own = any(record.name == n or record.name.startswith(n + ".") for n in OWN_LOGGERS)
    return own or record.levelno >= logging.WARNING


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for Tact, uvicorn and everything else. uvicorn's own access log
    is switched off: the edge (api/edge.py) writes the one line per request. Libraries are
    kept at WARNING whatever `level` says; Tact's and uvicorn's own lines follow `level`."""
    # What no line here shows, not gathered for every record (the logging HOWTO's
    # "Optimization"): the caller's file and line, and thread and process details.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # Also for libraries that set their own logger's level (Casbin's dictConfig does).
    handler.addFilter(_libraries_at_warning)
    handler.addFilter(with_request_id)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelName(level.upper())
    root.setLevel(max(logging.WARNING, wanted) if isinstance(wanted, int) else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def request_id_from(scope: Scope) -> str:
    """The request id the edge put in the scope (made here if it did not run)."""
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = state["request_id"] = secrets.token_hex(16)
    return str(request_id)


def request_id_of(scope: Scope) -> str:
    """The request's sane X-Request-ID, or a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    return secrets.token_hex(16)


def log_request(
    scope: Scope, status: int, started_at: float, request_id: str, known_paths: Collection[str]
) -> None:
    """The request's one log line. Paths are logged as sent only when they are known routes:
    any other path could carry personal data typed into a URL, so it logs as "other"."""
    if not request_log.isEnabledFor(logging.INFO):
        return
    path = scope["path"]
    request_log.info(
        "request",
        extra={
            "event": "request",
            "method": scope["method"],
            "path": path if path in known_paths else "other",
            "status": status or 500,
            "duration_ms": round((time.perf_counter() - started_at) * 1000, 2),
            "request_id": request_id,
        },
    )


def internal_error(request_id: str) -> JSONResponse:
    error = {
        "message": "Internal error.",
        "extensions": {"code": "INTERNAL", "requestId": request_id},
    }
    return JSONResponse({"errors": [error]}, status_code=500)
