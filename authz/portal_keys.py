"""API keys of council web portals: issue, list, revoke, and turn a presented key into an Actor.

A key reads `tact_pk_<prefix>_<secret>`. The prefix is public (shown in lists and in the access
log, and the lookup column); the secret is 256 random bits and only a SHA-256 digest of the
whole key is stored. A slow password hash would add nothing here: the secret is random, not
chosen by a person, so it cannot be guessed from a dictionary, and the portal hot path must
stay cheap.

A process may remember keys it has just accepted (`PortalKeyCache`) for a bounded time, so a
portal's lookups do not each cost a query: expiry is still checked on every request against
the remembered expiry time, and a revocation takes effect within the cache's bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor, ActorKind, RoleGrant
from authz.credentials import credentials_refused
from records.errors import NotFound, Unauthenticated, ValidationFailed
from records.models import PortalKey, Role, as_utc
from records.services import service_ids, unknown_slugs

KEY_MARKER = "tact_pk_"
_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_PREFIX_LENGTH = 10
_SECRET_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe alphabet, which includes "_" and "-";
# the prefix alphabet has no "_", so the first "_" after the marker ends the prefix.
_PRESENTED = re.compile(r"tact_pk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})")

# Compared against when the prefix is unknown, so that path does the same work as the others.
_NO_SUCH_KEY = hashlib.sha256(b"no such key").digest()


@dataclass(frozen=True)
class IssuedPortalKey:
    """A newly issued key. `key` is the only copy of the secret: show it once, then drop it."""

    id: uuid.UUID
    name: str
    prefix: str
    services: tuple[str, ...]
    expires_at: dt.datetime | None
    key: str


@dataclass(frozen=True)
class PortalKeySummary:
    """What lists show about a key: never the secret, never its hash."""

    id: uuid.UUID
    name: str
    prefix: str
    services: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("ascii")).digest()


async def create_portal_key(
    session: AsyncSession,
    *,
    name: str,
    services: list[str],
    now: dt.datetime,
    expires_in: dt.timedelta | None = None,
) -> IssuedPortalKey:
    """Issue a key for `services` (slugs that must exist). The caller commits."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed("name", "must be 1 to 120 characters")
    slugs = tuple(sorted(set(services)))
    if not slugs:
        raise ValidationFailed("services", "name at least one service")
    unknown = unknown_slugs(list(slugs), await service_ids(session, list(slugs)))
    if unknown:
        raise ValidationFailed("services", "no such service: " + ", ".join(unknown))
    if expires_in is not None and expires_in <= dt.timedelta(0):
        raise ValidationFailed("expiresIn", "must be in the future")

    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))
    key = f"{KEY_MARKER}{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    expires_at = as_utc(now) + expires_in if expires_in is not None else None
    row = PortalKey(
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        secret_hash=_digest(key),
        services=list(slugs),
        created_at=as_utc(now),
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return IssuedPortalKey(row.id, name, prefix, slugs, expires_at, key)


async def revoke_portal_key(session: AsyncSession, prefix: str, now: dt.datetime) -> bool:
    """Revoke the key with this prefix. False if it was revoked already. The caller commits."""
    row = await session.scalar(select(PortalKey).where(PortalKey.prefix == prefix))
    if row is None:
        raise NotFound(f"no portal key with prefix {prefix}")
    if row.revoked_at is not None:
        return False
    row.revoked_at = as_utc(now)
    await session.flush()
    return True


async def list_portal_keys(session: AsyncSession) -> list[PortalKeySummary]:
    rows = await session.scalars(select(PortalKey).order_by(PortalKey.created_at, PortalKey.prefix))
    return [
        PortalKeySummary(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            services=tuple(row.services),
            created_at=as_utc(row.created_at),
            expires_at=as_utc(row.expires_at) if row.expires_at else None,
            revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        )
        for row in rows
    ]


def _refuse(reason: str, prefix: str | None = None) -> Unauthenticated:
    return credentials_refused("api_key", reason, prefix)


@dataclass(frozen=True)
class _Accepted:
    actor: Actor
    expires_at: dt.datetime | None
    checked_at: dt.datetime


class PortalKeyCache:
    """Keys this process accepted in the last `seconds` (by the digest of the whole key, never
    the key itself), so a busy portal's requests skip the key query. A revoked key is refused
    at most `seconds` after the revocation commits; an expired one at once (the expiry time is
    remembered and compared on every use). `seconds=0` turns it off. Bounded to `size` keys."""

    def __init__(self, seconds: float = 1.0, size: int = 1024) -> None:
        self.seconds = seconds
        self._size = size
        self._accepted: OrderedDict[bytes, _Accepted] = OrderedDict()
        # Checks of a key running now: a busy portal's key goes stale under every request in
        # flight at once, and one query answers them all.
        self._checking: dict[bytes, asyncio.Future[_Accepted | None]] = {}

    def get(self, digest: bytes, now: dt.datetime) -> _Accepted | None:
        known = self._accepted.get(digest)
        if known is None:
            return None
        age = (now - known.checked_at).total_seconds()
        if not 0 <= age < self.seconds:  # a clock that went back counts as stale too
            del self._accepted[digest]
            return None
        return known

    async def check(self, digest: bytes, query: Callable[[], Awaitable[_Accepted]]) -> _Accepted:
        """The key accepted by `query`, or by the same key's check that another request is
        running now. A check that refused the key or failed answers nobody else: each
        waiting request then runs its own, so its refusal or error is its own."""
        running = self._checking.get(digest) if self.seconds > 0 else None
        if running is not None:
            shared = await asyncio.shield(running)
            if shared is not None:
                return shared
        outcome: asyncio.Future[_Accepted | None] = asyncio.get_running_loop().create_future()
        self._checking[digest] = outcome
        accepted: _Accepted | None = None
        try:
            accepted = await query()
            self._put(digest, accepted)
            return accepted
        finally:
            outcome.set_result(accepted)
            if self._checking.get(digest) is outcome:
                del self._checking[digest]

    def _put(self, digest: bytes, accepted: _Accepted) -> None:
        if self.seconds <= 0:
            return
        self._accepted[digest] = accepted
        self._accepted.move_to_end(digest)
        while len(self._accepted) > self._size:
            self._accepted.popitem(last=False)


async def authenticate_portal_key(
    session: AsyncSession,
    presented: str | None,
    now: dt.datetime,
    cache: PortalKeyCache | None = None,
) -> Actor:
    """The portal's Actor for a presented key, with one indexed query (by prefix), or none
    when `cache` accepted the same key within its bound.

    Missing, malformed, unknown, expired and revoked keys all raise the same Unauthenticated.
    """
    match = _PRESENTED.fullmatch(presented) if presented else None
    if match is None:
        raise _refuse("malformed")
    prefix = match.group(1)
    digest = _digest(match.group(0))
    known = cache.get(digest, now) if cache is not None else None
    if known is None:

        async def query() -> _Accepted:
            return await _check(session, prefix, digest, now)

        known = await cache.check(digest, query) if cache is not None else await query()
    if known.expires_at is not None and known.expires_at <= now:
        raise _refuse("expired", prefix)
    return known.actor


async def _check(session: AsyncSession, prefix: str, digest: bytes, now: dt.datetime) -> _Accepted:
    """The key's row, read and compared: accepted, or Unauthenticated."""
    row = (
        await session.execute(
            select(
                PortalKey.id,
                PortalKey.secret_hash,
                PortalKey.services,
                PortalKey.expires_at,
                PortalKey.revoked_at,
            ).where(PortalKey.prefix == prefix)
        )
    ).one_or_none()
    expected = row.secret_hash if row is not None else _NO_SUCH_KEY
    matches = hmac.compare_digest(digest, expected)
    if row is None or not matches:
        raise _refuse("unknown", prefix)
    if row.revoked_at is not None:
        raise _refuse("revoked", prefix)
    expires_at = as_utc(row.expires_at) if row.expires_at is not None else None
    actor = Actor(
        kind=ActorKind.PORTAL,
        label=f"portal:{prefix}",
        roles=frozenset(RoleGrant(Role.PORTAL, slug) for slug in row.services),
        portal_key_id=row.id,
    )
    return _Accepted(actor, expires_at, now)
