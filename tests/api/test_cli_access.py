"""`tact portal-key`, `tact staff` and `tact token`, run through click's CliRunner against the
test database (SQLite and PostgreSQL) and, for `tact token`, the bare embedded default.

The commands call asyncio.run themselves, so each runs in a worker thread of the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from admin.sign_in import may_sign_in
from api.authentication import Authenticator
from api.settings import Settings
from authz.actor import Actor, ActorKind
from authz.credentials import staff_actor
from authz.portal_keys import authenticate_portal_key
from records.database import Database
from records.errors import Unauthenticated
from records.models import (
    AccessLogEntry,
    PolicyVersion,
    PortalKey,
    Role,
    Service,
    Staff,
    StaffRole,
    utcnow,
)
from records.sign_in import StaffPassword, attempt_sign_in
from tests.cli import Env, tact, tact_env


@pytest.fixture
async def env(
    database: Database, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> Env:
    """The settings a command sees: the test's databases and key file, a data folder."""
    async with database.sessions() as session, session.begin():
        for slug in ("housing", "fire-safety"):
            session.add(Service(id=uuid.uuid4(), slug=slug, name=slug.title()))
    return tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)


async def as_portal(database: Database, key: str) -> Actor:
    async with database.sessions() as session, session.begin():
        return await authenticate_portal_key(session, key, dt.datetime.now(dt.UTC))


async def policy_version(database: Database) -> int | None:
    async with database.sessions() as session:
        return await session.scalar(select(PolicyVersion.version).where(PolicyVersion.id == 1))


async def test_a_portal_key_is_shown_once_listed_without_it_and_revoked(
    database: Database, env: Env
) -> None:
    created = await tact(
        env, "portal-key", "create", "--name", "Housing web portal", "--service", "housing"
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("tact_pk_") and "\n" not in key
    assert created.output.count(key) == 1
    assert "cannot be shown again" in created.stderr
    actor = await as_portal(database, key)
    assert actor.kind is ActorKind.PORTAL and actor.roles_in("housing") == {Role.PORTAL}
    prefix = actor.label.removeprefix("portal:")

    listed = await tact(env, "portal-key", "list")
    assert listed.exit_code == 0, listed.output
    assert prefix in listed.output and "Housing web portal" in listed.output
    assert key not in listed.output and key.split("_", 3)[3][:12] not in listed.output
    assert "active" in listed.output

    revoked = await tact(env, "portal-key", "revoke", prefix)
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(Unauthenticated):
        await as_portal(database, key)
    assert "revoked" in (await tact(env, "portal-key", "list")).output


async def test_a_portal_key_can_expire_and_must_name_real_services(
    database: Database, env: Env
) -> None:
    created = await tact(
        env, "portal-key", "create", "--name", "Fire portal", "--service", "fire-safety",
        "--service", "housing", "--expires-in-days", "30",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    async with database.sessions() as session:
        row = await session.scalar(select(PortalKey))
    assert (
        row is not None
        and row.expires_at is not None
        and row.services
        == [
            "fire-safety",
            "housing",
        ]
    )

    unknown = await tact(env, "portal-key", "create", "--name", "X", "--service", "no-such-service")
    assert unknown.exit_code == 1
    assert "no such service: no-such-service" in unknown.output
    assert "Traceback" not in unknown.output
    missing = await tact(env, "portal-key", "revoke", "nosuchkey0")
    assert missing.exit_code == 1 and "no portal key" in missing.output


async def test_staff_are_added_and_granted_roles_and_the_policy_version_moves(
    database: Database, env: Env
) -> None:
    added = await tact(
        env, "staff", "add", "alex.officer", "--name", "Officer A",
        "--role", "manager@housing", "--role", "ig_officer",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert await policy_version(database) == 2

    again = await tact(env, "staff", "grant", "alex.officer", "manager@housing")
    assert again.exit_code == 0 and "already holds" in again.output
    assert await policy_version(database) == 2
    granted = await tact(env, "staff", "grant", "alex.officer", "case_officer@fire-safety")
    assert granted.exit_code == 0, granted.output
    assert await policy_version(database) == 3

    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(StaffRole.role, Service.slug)
                .join(Staff, Staff.id == StaffRole.staff_id)
                .outerjoin(Service, Service.id == StaffRole.service_id)
                .where(Staff.username == "alex.officer")
            )
        ).all()
    assert {(r.role, r.slug) for r in rows} == {
        (Role.MANAGER, "housing"),
        (Role.IG_OFFICER, None),
        (Role.CASE_OFFICER, "fire-safety"),
    }


async def test_staff_are_listed_with_their_roles_as_grant_takes_them_and_who_is_inactive(
    database: Database, env: Env
) -> None:
    empty = await tact(env, "staff", "list")
    assert (empty.exit_code, empty.output) == (0, "No staff.\n")
    added = await tact(
        env, "staff", "add", "alex.officer", "--name", "Officer A",
        "--role", "manager@housing", "--role", "ig_officer",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert (await tact(env, "staff", "add", "sam.leaver", "--name", "Officer B")).exit_code == 0
    assert (await tact(env, "staff", "deactivate", "sam.leaver")).exit_code == 0

    before = await _staff_entries(database)
    listed = await tact(env, "staff", "list")

    assert listed.exit_code == 0, listed.output
    assert await _staff_entries(database) == before + 1  # a gated read, in the access log
    header, *rows = listed.output.splitlines()
    assert header.split() == ["USERNAME", "STATE", "ROLES", "NAME"]
    assert [row.split(maxsplit=3) for row in rows] == [
        ["alex.officer", "active", "ig_officer,manager@housing", "Officer A"],
        ["sam.leaver", "inactive", "-", "Officer B"],
    ]
    # Each role as written can be handed back to `tact staff revoke`.
    revoked = await tact(env, "staff", "revoke", "alex.officer", "manager@housing")
    assert revoked.exit_code == 0, revoked.output


async def _staff_entries(database: Database) -> int:
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count()).where(AccessLogEntry.operation == "manage_staff")
        )
    return int(count or 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "alex.officer", "portal@housing"), "portal key"),
        (("grant", "alex.officer", "overseer"), "unknown role"),
        (("grant", "alex.officer", "manager@no-such-service"), "is not a service"),
        (("grant", "nobody.here", "manager@housing"), "no member of staff"),
        (("add", "alex.officer", "--name", "Officer B"), "already in use"),
        (("add", "has space", "--name", "Officer C"), "username"),
    ],
)
async def test_staff_commands_refuse_bad_input(
    database: Database, env: Env, args: tuple[str, ...], message: str
) -> None:
    assert (await tact(env, "staff", "add", "alex.officer", "--name", "Officer A")).exit_code == 0
    version = await policy_version(database)

    refused = await tact(env, "staff", *args)

    assert refused.exit_code == 1
    assert message in refused.output and "Traceback" not in refused.output
    assert await policy_version(database) == version


async def written(database: Database) -> tuple[int, int]:
    """How many passwords and access-log entries the database holds."""
    async with database.sessions() as session:
        passwords = await session.scalar(select(func.count()).select_from(StaffPassword))
        entries = await session.scalar(select(func.count()).select_from(AccessLogEntry))
    return passwords or 0, entries or 0


async def test_set_password_refuses_staff_the_admin_panel_would_not_let_sign_in(
    database: Database, env: Env
) -> None:
    password = "a long enough password"
    typed = f"{password}\n{password}\n"
    added = await tact(
        env, "staff", "add", "walk.tester", "--name", "Walk Tester", "--role", "frontline@housing"
    )
    assert added.exit_code == 0, added.output
    before = await written(database)

    refused = await tact(env, "staff", "set-password", "walk.tester", given=typed)
    unknown = await tact(env, "staff", "set-password", "nobody.here", given=typed)

    assert refused.exit_code == 1
    assert "holds neither admin nor ig_officer" in refused.output
    assert "New password" not in refused.output  # refused before the password is asked for
    assert unknown.exit_code == 1 and "no active member of staff" in unknown.output
    assert await written(database) == before

    # Once they hold a panel role (in one service is enough for the panel), it is set, and
    # the panel's own rule lets them in with it.
    assert (await tact(env, "staff", "grant", "walk.tester", "ig_officer@housing")).exit_code == 0
    done = await tact(env, "staff", "set-password", "walk.tester", given=typed)
    assert done.exit_code == 0, done.output
    async with database.sessions() as session, session.begin():
        outcome = await attempt_sign_in(session, "walk.tester", password, utcnow())
        actor = await staff_actor(session, "walk.tester")
    assert outcome.staff_id is not None and actor is not None and may_sign_in(actor)


async def test_a_token_from_tact_token_authenticates_its_subject(
    database: Database, env: Env
) -> None:
    await tact(
        env, "staff", "add", "alex.officer", "--name", "Officer A", "--role", "manager@housing"
    )

    issued = await tact(env, "token", "alex.officer")

    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    settings = Settings(data_dir=Path(str(env["TACT_DATA_DIR"])))
    authenticator = Authenticator.from_settings(settings)
    async with database.sessions() as session, session.begin():
        actor = await authenticator.authenticate(
            {"Authorization": f"Bearer {token}"}, session, dt.datetime.now(dt.UTC)
        )
    assert actor is not None and actor.label == "staff:alex.officer"
    assert actor.roles_in("housing") == {Role.MANAGER}

    unknown = await tact(env, "token", "nobody.here")
    assert unknown.exit_code == 1 and "no active member of staff" in unknown.output


async def test_tact_token_works_end_to_end_on_the_bare_embedded_default(tmp_path: Path) -> None:
    env: Env = {"TACT_DATA_DIR": str(tmp_path / "data"), "TACT_JWKS": None}
    assert (
        await tact(env, "staff", "add", "sam.admin", "--name", "Admin S", "--role", "admin")
    ).exit_code == 0

    issued = await tact(env, "token", "sam.admin", "--minutes", "5")
    assert issued.exit_code == 0, issued.output

    settings = Settings(data_dir=tmp_path / "data")
    assert settings.resolved_local_signing_key_file.exists()
    database = Database.open(settings.resolved_database_url, settings.resolved_keystore_url)
    try:
        async with database.sessions() as session, session.begin():
            actor = await Authenticator.from_settings(settings).authenticate(
                {"Authorization": f"Bearer {issued.stdout.strip()}"},
                session,
                dt.datetime.now(dt.UTC),
            )
    finally:
        await database.dispose()
    assert actor is not None and actor.roles_in("anywhere") == {Role.ADMIN}


async def test_tact_token_refuses_when_an_identity_provider_is_configured(
    tmp_path: Path,
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    env: Env = {"TACT_DATA_DIR": str(tmp_path / "data"), "TACT_JWKS": str(jwks)}

    refused = await tact(env, "token", "alex.officer")

    assert refused.exit_code == 1
    assert "identity provider" in refused.output
    assert not (tmp_path / "data" / "token-signing.key").exists()
