"""Rate limits: token buckets per credential, stricter for lookups by email or phone, and
for failed authentication per client address.

Buckets live in each process's memory: with several workers (TACT_WORKERS) each worker keeps
its own, so a caller spread over N workers can reach up to N times a limit. A bucket holds
`burst` tokens and gains `per_minute / 60` a second; a request takes one, and a request that
finds none is answered 429 with Retry-After (seconds until a token is back) and a JSON error.

- every /graphql request: by a digest of the credential it presents (a key that is over its
  limit leaves every other key alone), or by client address when it presents none;
- a lookup by email or phone: by the authenticated caller, in the resolver (through
  TactContext.spend), since only it knows which kind of lookup runs;
- failed authentication (401): by client address; an address with no tokens left is refused
  before its credentials are checked. The address is the TCP peer: behind a load balancer
  every client shares the balancer's, so set that limit with it in mind (0 switches it off).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send
from strawberry.types import ExecutionResult

from api.graphql_http import error_response
from api.logging import request_id_from
from api.metrics import rate_limited as count_refusal
from api.settings import Settings
from records.errors import RateLimited

RATE_LIMITED = "RATE_LIMITED"
# Callers remembered per bucket set; the least recently seen is forgotten first (a forgotten
# caller starts again with a full bucket, which errs on the side of serving).
MAX_CALLERS = 100_000
Monotonic = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int

    @property
    def off(self) -> bool:
        return self.per_minute <= 0


class TokenBuckets:
    """One bucket per key, refilled continuously from `clock` (seconds, monotonic)."""

    def __init__(self, rate: Rate, clock: Monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _level(self, key: str) -> float:
        now = self._clock()
        tokens, at = self._buckets.get(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - at) * self.rate.per_minute / 60)
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > MAX_CALLERS:
            self._buckets.popitem(last=False)
        return tokens

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0: it has one now). Takes nothing."""
        if self.rate.off:
            return 0.0
        tokens = self._level(key)
        return 0.0 if tokens >= 1 else (1 - tokens) * 60 / self.rate.per_minute

    def take(self, key: str) -> float:
        """Take a token: 0 when there was one, else the seconds until there will be."""
        waiting = self.wait(key)
        if waiting == 0 and not self.rate.off:
            tokens, at = self._buckets[key]
            self._buckets[key] = (tokens - 1, at)
        return waiting


class RateLimiter:
    """The three bucket sets of one process."""

    def __init__(self, settings: Settings, clock: Monotonic = time.monotonic) -> None:
        self.requests = TokenBuckets(
            Rate(settings.rate_limit_per_minute, settings.rate_limit_burst), clock
        )
        self.lookups = TokenBuckets(
            Rate(settings.lookup_rate_limit_per_minute, settings.lookup_rate_limit_burst), clock
        )
        self.failed_auth = TokenBuckets(
            Rate(
                settings.failed_auth_rate_limit_per_minute,
                settings.failed_auth_rate_limit_burst,
            ),
            clock,
        )

    def spend_lookup(self, caller: str) -> None:
        """For a lookup by email or phone: RateLimited when `caller` is over its limit."""
        if waiting := self.lookups.take(caller):
            count_refusal("lookups")
            raise RateLimited(retry_after(waiting))


def rate_limited(result: ExecutionResult) -> int | None:
    """The Retry-After of a result refused by a rate limit inside the schema, else None."""
    for error in result.errors or ():
        extensions = error.extensions or {}
        if extensions.get("code") == RATE_LIMITED:
            return int(extensions.get("retryAfter", 1))
    return None


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def credential_key(scope: Scope) -> str | None:
    """A digest of the credential presented, so a key's bucket never holds the key."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _CREDENTIAL_HEADERS:
            found.setdefault(name, value)
    presented = found.get(b"authorization") or found.get(b"x-api-key")
    if not presented:
        return None
    return "credential:" + hashlib.sha256(presented.strip()).hexdigest()[:32]


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return f"address:{client[0]}" if client else "address:unknown"


async def too_many(scope: Scope, receive: Receive, send: Send, waiting: float, limit: str) -> None:
    """429 for a caller over `limit` (a metric's label), with Retry-After."""
    count_refusal(limit)
    seconds = retry_after(waiting)
    response = error_response(
        f"too many requests: try again in {seconds} seconds",
        status=429,
        code=RATE_LIMITED,
        request_id=request_id_from(scope),
        headers={"Retry-After": str(seconds)},
    )
    await response(scope, receive, send)
