"""`/metrics` in Prometheus text format (prometheus-client), off unless TACT_METRICS=true.

What is counted, by label values Tact chooses (operation names, outcomes, reasons), never by
anything a caller sent, so no metric carries personal data:

    tact_operations_total{operation, outcome}      every pass through the gate
    tact_operation_seconds{operation}              its latency (decision, work, log commit)
    tact_denials_total{operation}                  refused by the gate ("denied" outcome)
    tact_rate_limited_total{limit}                 refused by a rate limit (`rate_limited`)
    tact_access_log_batch_entries                  entries per access-log group commit
    tact_access_log_batch_failures_total           group commits that failed

With several workers (`tact serve --workers N`) each process counts its own requests. Set
PROMETHEUS_MULTIPROC_DIR to an empty folder before starting and `/metrics` adds up every
worker's figures (prometheus-client's multiprocess mode); without it, a scrape sees the
worker that answered it only.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.runtime import Runtime
from authz.operations import Outcome

PATH = "/metrics"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

OPERATIONS = Counter(
    "tact_operations",
    "Passes through the gate, by operation and outcome.",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "tact_operation_seconds",
    "Time through the gate: deciding, the operation and its access-log commit.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DENIALS = Counter("tact_denials", "Requests the gate refused, by operation.", ["operation"])
RATE_LIMITED = Counter("tact_rate_limited", "Requests refused by a rate limit.", ["limit"])
BATCH_ENTRIES = Histogram(
    "tact_access_log_batch_entries",
    "Access-log entries committed together in one group commit.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
BATCH_FAILURES = Counter(
    "tact_access_log_batch_failures", "Access-log group commits that failed (callers got errors)."
)


def rate_limited(limit: str) -> None:
    """Count one request refused by `limit` (a fixed name such as "lookups", never caller data)."""
    RATE_LIMITED.labels(limit=limit).inc()


def _gate_observed(operation: str, outcome: str, seconds: float) -> None:
    OPERATIONS.labels(operation=operation, outcome=outcome).inc()
    LATENCY.labels(operation=operation).observe(seconds)
    if outcome == Outcome.DENIED:
        DENIALS.labels(operation=operation).inc()


def _batch_observed(entries: int, committed: bool) -> None:
    if committed:
        BATCH_ENTRIES.observe(entries)
    else:
        BATCH_FAILURES.inc()


def install(runtime: Runtime) -> None:
    """Count what this runtime's gate and access-log writer do (when metrics are on)."""
    if not runtime.settings.metrics:
        return
    runtime.gate.observe = _gate_observed
    if runtime.gate.log_writer is not None:
        runtime.gate.log_writer.observe = _batch_observed


async def _exposition(_request: Request) -> Response:
    registry = REGISTRY
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def metrics_routes(enabled: bool) -> list[Route]:
    """The /metrics route when enabled; no route at all (404) otherwise."""
    return [Route(PATH, _exposition, methods=["GET"])] if enabled else []
