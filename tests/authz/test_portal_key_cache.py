"""The portal-key cache keeps its bound: a key this process accepted is taken without a query
for at most `seconds`; a revoked key is refused once that bound has passed, an expired one at
its expiry, whatever the cache holds. Time comes from the caller's clock: no sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import event

from authz.portal_keys import PortalKeyCache, authenticate_portal_key, revoke_portal_key
from records.database import Database
from records.errors import Unauthenticated
from tests.authz.test_portal_keys import NOW, issue, services  # noqa: F401

BOUND = dt.timedelta(seconds=1)


async def _authenticate(database: Database, key: str, now: dt.datetime, cache: PortalKeyCache):  # type: ignore[no-untyped-def]
    async with database.sessions() as session, session.begin():
        return await authenticate_portal_key(session, key, now, cache)


def _count_statements(database: Database) -> list[str]:
    seen: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_rest: seen.append(statement),
    )
    return seen


async def test_a_revoked_key_is_refused_once_the_bound_has_passed(services: Database) -> None:  # noqa: F811
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    first = await _authenticate(services, issued.key, NOW, cache)
    async with services.sessions() as session, session.begin():
        assert await revoke_portal_key(session, issued.prefix, NOW)

    # Within the bound the process may still accept it: that is the stated window.
    within = NOW + BOUND - dt.timedelta(milliseconds=1)
    assert await _authenticate(services, issued.key, within, cache) == first
    with pytest.raises(Unauthenticated):
        await _authenticate(services, issued.key, NOW + BOUND, cache)
    # ...and from then on, not only once.
    with pytest.raises(Unauthenticated):
        await _authenticate(services, issued.key, NOW + BOUND, cache)


async def test_an_accepted_key_costs_no_query_within_the_bound(services: Database) -> None:  # noqa: F811
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    await _authenticate(services, issued.key, NOW, cache)
    seen = _count_statements(services)
    await _authenticate(services, issued.key, NOW + BOUND / 2, cache)
    assert not [s for s in seen if "portal_keys" in s]
    await _authenticate(services, issued.key, NOW + BOUND, cache)
    assert [s for s in seen if "portal_keys" in s]


async def test_an_expired_key_is_refused_at_its_expiry_even_when_cached(
    services: Database,  # noqa: F811
) -> None:
    issued = await issue(services, ["housing"], expires_in=dt.timedelta(seconds=10))
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    at_expiry = NOW + dt.timedelta(seconds=10)
    await _authenticate(services, issued.key, at_expiry - BOUND / 2, cache)
    with pytest.raises(Unauthenticated):
        await _authenticate(services, issued.key, at_expiry, cache)


async def test_a_clock_that_went_back_does_not_stretch_the_bound(services: Database) -> None:  # noqa: F811
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    await _authenticate(services, issued.key, NOW, cache)
    async with services.sessions() as session, session.begin():
        await revoke_portal_key(session, issued.prefix, NOW)
    with pytest.raises(Unauthenticated):
        await _authenticate(services, issued.key, NOW - dt.timedelta(hours=1), cache)


async def test_a_wrong_secret_is_never_taken_from_the_cache(services: Database) -> None:  # noqa: F811
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    await _authenticate(services, issued.key, NOW, cache)
    forged = issued.key[:-4] + ("AAAA" if not issued.key.endswith("AAAA") else "BBBB")
    with pytest.raises(Unauthenticated):
        await _authenticate(services, forged, NOW, cache)


async def test_requests_that_find_a_key_stale_together_share_one_query(
    services: Database,  # noqa: F811
) -> None:
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    first = await _authenticate(services, issued.key, NOW, cache)
    seen = _count_statements(services)

    # Sixteen requests in flight when the bound passes, each with its own session.
    actors = await asyncio.gather(
        *(_authenticate(services, issued.key, NOW + BOUND, cache) for _ in range(16))
    )

    assert actors == [first] * 16
    assert len([s for s in seen if "portal_keys" in s]) == 1


async def test_a_refusal_is_not_shared_each_waiting_request_checks_for_itself(
    services: Database,  # noqa: F811
) -> None:
    issued = await issue(services, ["housing"])
    cache = PortalKeyCache(seconds=BOUND.total_seconds())
    await _authenticate(services, issued.key, NOW, cache)
    async with services.sessions() as session, session.begin():
        await revoke_portal_key(session, issued.prefix, NOW)
    seen = _count_statements(services)

    outcomes = await asyncio.gather(
        *(_authenticate(services, issued.key, NOW + BOUND, cache) for _ in range(3)),
        return_exceptions=True,
    )

    assert all(isinstance(o, Unauthenticated) for o in outcomes)
    assert len([s for s in seen if "portal_keys" in s]) == 3
