"""Portal API keys: issued once, stored as a hash, scoped to services, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from authz.actor import ActorKind
from authz.credentials import REFUSED
from authz.portal_keys import (
    IssuedPortalKey,
    authenticate_portal_key,
    create_portal_key,
    list_portal_keys,
    revoke_portal_key,
)
from records.database import Database
from records.errors import NotFound, Unauthenticated, ValidationFailed
from records.models import PortalKey, Role, Service

NOW = dt.datetime(2031, 3, 4, 9, 30, tzinfo=dt.UTC)


async def add_services(database: Database, *slugs: str) -> None:
    async with database.sessions() as session, session.begin():
        for slug in slugs:
            session.add(Service(id=uuid.uuid4(), slug=slug, name=slug.title(), created_at=NOW))


async def issue(
    database: Database,
    services: list[str],
    *,
    expires_in: dt.timedelta | None = None,
    name: str = "Housing web portal",
) -> IssuedPortalKey:
    async with database.sessions() as session, session.begin():
        return await create_portal_key(
            session, name=name, services=services, now=NOW, expires_in=expires_in
        )


async def authenticate(database: Database, presented: str | None, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    async with database.sessions() as session, session.begin():
        return await authenticate_portal_key(session, presented, now)


@pytest.fixture
async def services(database: Database) -> Database:
    await add_services(database, "housing", "fire-safety", "customer-services")
    return database


async def test_a_housing_key_holds_the_portal_role_in_housing_only(services: Database) -> None:
    issued = await issue(services, ["housing"])

    actor = await authenticate(services, issued.key)

    assert actor.kind is ActorKind.PORTAL
    assert actor.label == f"portal:{issued.prefix}"
    assert actor.portal_key_id == issued.id
    assert actor.roles_in("housing") == {Role.PORTAL}
    assert actor.roles_in("fire-safety") == set()
    assert actor.services == {"housing"}


async def test_a_key_for_two_services_holds_in_both_and_no_third(services: Database) -> None:
    issued = await issue(services, ["housing", "fire-safety"])

    actor = await authenticate(services, issued.key)

    assert actor.roles_in("housing") == {Role.PORTAL}
    assert actor.roles_in("fire-safety") == {Role.PORTAL}
    assert actor.roles_in("customer-services") == set()


async def test_the_key_is_random_and_only_its_hash_is_stored(services: Database) -> None:
    first = await issue(services, ["housing"])
    second = await issue(services, ["housing"])

    pattern = re.compile(r"tact_pk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})")
    match = pattern.fullmatch(first.key)
    assert match is not None and match.group(1) == first.prefix
    assert first.key != second.key and first.prefix != second.prefix
    async with services.sessions() as session:
        row = await session.scalar(select(PortalKey).where(PortalKey.prefix == first.prefix))
    assert row is not None
    assert row.secret_hash == hashlib.sha256(first.key.encode()).digest()
    secret = match.group(2).encode()
    stored = [row.name.encode(), row.prefix.encode(), row.secret_hash, repr(row.services).encode()]
    assert not any(secret in value for value in stored)


async def test_refusals_share_one_message_that_names_nothing(services: Database) -> None:
    valid = await issue(services, ["housing"])
    expiring = await issue(services, ["housing"], expires_in=dt.timedelta(days=1))
    revoked = await issue(services, ["housing"])
    async with services.sessions() as session, session.begin():
        await revoke_portal_key(session, revoked.prefix, NOW)
    wrong_secret = valid.key[:-4] + ("AAAA" if not valid.key.endswith("AAAA") else "BBBB")
    unknown = "tact_pk_zzzzzzzzzz_" + "A" * 43
    cases = {
        "missing": (None, NOW),
        "empty": ("", NOW),
        "malformed": ("tact_pk_short", NOW),
        "not a key": ("Bearer something", NOW),
        "unknown prefix": (unknown, NOW),
        "wrong secret": (wrong_secret, NOW),
        "expired": (expiring.key, NOW + dt.timedelta(days=1)),
        "revoked": (revoked.key, NOW),
    }
    messages = {}
    for label, (presented, now) in cases.items():
        with pytest.raises(Unauthenticated) as refused:
            await authenticate(services, presented, now)
        messages[label] = refused.value.message
    assert set(messages.values()) == {REFUSED}
    for key in (valid, expiring, revoked):
        assert key.prefix not in REFUSED


async def test_a_key_works_until_its_expiry_and_not_from_it(services: Database) -> None:
    issued = await issue(services, ["housing"], expires_in=dt.timedelta(days=30))
    assert issued.expires_at == NOW + dt.timedelta(days=30)

    just_before = NOW + dt.timedelta(days=30) - dt.timedelta(seconds=1)
    actor = await authenticate(services, issued.key, just_before)
    assert actor.roles_in("housing") == {Role.PORTAL}
    with pytest.raises(Unauthenticated):
        await authenticate(services, issued.key, NOW + dt.timedelta(days=30))


async def test_revoking_stops_the_key_and_a_second_revoke_changes_nothing(
    services: Database,
) -> None:
    issued = await issue(services, ["housing"])
    async with services.sessions() as session, session.begin():
        assert await revoke_portal_key(session, issued.prefix, NOW) is True
    async with services.sessions() as session, session.begin():
        assert await revoke_portal_key(session, issued.prefix, NOW + dt.timedelta(1)) is False

    with pytest.raises(Unauthenticated):
        await authenticate(services, issued.key)
    [summary] = [k for k in await _list(services) if k.prefix == issued.prefix]
    assert summary.revoked_at == NOW
    assert summary.state(NOW) == "revoked"


async def test_revoking_an_unknown_prefix_is_not_found(services: Database) -> None:
    async with services.sessions() as session, session.begin():
        with pytest.raises(NotFound):
            await revoke_portal_key(session, "nosuchkey0", NOW)


async def _list(database: Database):  # type: ignore[no-untyped-def]
    async with database.sessions() as session:
        return await list_portal_keys(session)


async def test_the_list_shows_states_and_never_the_secret(services: Database) -> None:
    active = await issue(services, ["housing"], name="Housing portal")
    short = await issue(services, ["fire-safety"], expires_in=dt.timedelta(days=1))

    listed = await _list(services)

    by_prefix = {k.prefix: k for k in listed}
    assert by_prefix[active.prefix].services == ("housing",)
    assert by_prefix[active.prefix].state(NOW) == "active"
    assert by_prefix[short.prefix].state(NOW + dt.timedelta(days=2)) == "expired"
    shown = repr(listed)
    for key in (active, short):
        assert key.key not in shown
        # The secret is everything after `tact_pk_<prefix>_`: it may hold "_" itself.
        secret = key.key.removeprefix(f"tact_pk_{key.prefix}_")
        assert len(secret) == 43 and secret[:20] not in shown


@pytest.mark.parametrize(
    ("name", "slugs", "expires_in", "field"),
    [
        ("Portal", ["housing", "no-such-service"], None, "services"),
        ("Portal", [], None, "services"),
        ("  ", ["housing"], None, "name"),
        ("Portal", ["housing"], dt.timedelta(0), "expiresIn"),
    ],
)
async def test_creating_a_key_checks_its_input(
    services: Database,
    name: str,
    slugs: list[str],
    expires_in: dt.timedelta | None,
    field: str,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await issue(services, slugs, name=name, expires_in=expires_in)
    assert refused.value.field == field
    async with services.sessions() as session:
        assert (await session.scalars(select(PortalKey))).all() == []


@contextmanager
def counted_statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


async def test_authenticating_a_key_is_one_query_by_prefix(services: Database) -> None:
    issued = await issue(services, ["housing", "fire-safety"])

    with counted_statements(services) as seen:
        await authenticate(services, issued.key)

    assert len(seen) == 1
    assert "portal_keys" in seen[0] and "prefix" in seen[0]


async def test_a_malformed_key_costs_no_query(services: Database) -> None:
    with counted_statements(services) as seen, pytest.raises(Unauthenticated):
        await authenticate(services, "tact_pk_not-a-key")
    assert seen == []
