"""`tact` commands for access: portal keys, staff accounts and roles, local staff tokens.

    tact portal-key create --name NAME --service housing [--service ...] [--expires-in-days N]
    tact portal-key list
    tact portal-key revoke PREFIX
    tact staff add USERNAME --name "Display Name" [--job-title T] [--role manager@housing] ...
    tact staff grant USERNAME ROLE[@SERVICE]
    tact staff revoke USERNAME ROLE[@SERVICE]
    tact staff set-password USERNAME        (prompted, never an argument)
    tact staff deactivate USERNAME          (a leaver: their token stops working at once)
    tact staff activate USERNAME
    tact token USERNAME [--minutes N]

Each command is an edge: it opens the runtime and goes through the gate (MANAGE_PORTAL_KEYS,
MANAGE_STAFF) as a system actor named after the operating-system user, holding the admin
role everywhere; the gate decides, writes the access-log entry and commits once.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import COMMANDS
from api.cli_runtime import in_transaction, load_settings, with_runtime
from api.staff_tokens import LocalSigningKey
from authz.actor import Actor, ActorKind, RoleGrant
from authz.credentials import staff_actor
from authz.gate import Target
from authz.operations import Operation
from authz.portal_keys import create_portal_key, list_portal_keys, revoke_portal_key
from records.errors import NotFound, TactError, ValidationFailed
from records.models import Role, utcnow
from records.sign_in import MIN_PASSWORD, check_password_rules, set_password
from records.staff import (
    STILL_ASSIGNED,
    Assigned,
    add_staff,
    grant_role,
    list_staff,
    parse_role_grant,
    revoke_role,
    set_active,
)

if TYPE_CHECKING:
    from api.runtime import Runtime

T = TypeVar("T")


def operator() -> Actor:
    """The person at the terminal, as the access log names them: `system:<OS user>`. They
    hold the admin role everywhere, so the policy's admin rules decide what they may do."""
    return Actor(
        kind=ActorKind.SYSTEM,
        label=f"system:{getpass.getuser()}",
        roles=frozenset({RoleGrant(Role.ADMIN, None)}),
    )


def gated(
    operation: Operation,
    work: Callable[[AsyncSession], Awaitable[T]],
    target: Target | None = None,
) -> T:
    """Run `work` inside the gate as the operator: decided, logged and committed once."""

    async def run(runtime: Runtime) -> T:
        async with (
            runtime.database.sessions() as session,
            runtime.gate.access(session, operator(), operation, target or Target()) as access,
        ):
            return await work(access.session)

    return with_runtime(run)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


# -- portal keys ---------------------------------------------------------------------------


@click.group("portal-key", help=COMMANDS["portal-key"].summary)
def portal_key() -> None:
    pass


@portal_key.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. 'Housing web portal'.")
@click.option("--service", "services", multiple=True, required=True, help="Service slug.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(min=1),
    default=None,
    help="The key stops working after this many days (default: never).",
)
def create_key(name: str, services: tuple[str, ...], expires_in_days: int | None) -> None:
    """Create a key. It is printed once and cannot be shown again."""
    expires_in = dt.timedelta(days=expires_in_days) if expires_in_days else None
    issued = gated(
        Operation.MANAGE_PORTAL_KEYS,
        lambda s: create_portal_key(
            s, name=name, services=list(services), now=utcnow(), expires_in=expires_in
        ),
    )
    click.echo(
        f"Created portal key {issued.prefix} for {', '.join(issued.services)}; "
        f"expires {_when(issued.expires_at)}.",
        err=True,
    )
    click.echo("Copy the key now: it is shown only this once and cannot be shown again.", err=True)
    click.echo(issued.key)


@portal_key.command("list")
def list_keys() -> None:
    """List keys (prefix, name, services, state). Secrets are never shown."""
    keys = gated(Operation.MANAGE_PORTAL_KEYS, list_portal_keys)
    now = utcnow()
    if not keys:
        click.echo("No portal keys.")
        return
    click.echo(f"{'PREFIX':<12} {'STATE':<8} {'EXPIRES':<21} {'SERVICES':<30} NAME")
    for key in keys:
        click.echo(
            f"{key.prefix:<12} {key.state(now):<8} {_when(key.expires_at):<21} "
            f"{','.join(key.services):<30} {key.name}"
        )


@portal_key.command("revoke")
@click.argument("prefix")
def revoke_key(prefix: str) -> None:
    """Revoke the key with this prefix; it stops working at once."""
    changed = gated(Operation.MANAGE_PORTAL_KEYS, lambda s: revoke_portal_key(s, prefix, utcnow()))
    click.echo(f"Revoked portal key {prefix}." if changed else f"{prefix} was already revoked.")


# -- staff ---------------------------------------------------------------------------------


@click.group("staff", help=COMMANDS["staff"].summary)
def staff() -> None:
    pass


@staff.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name shown in letters.")
@click.option("--job-title", default=None, help="Job title shown in letters.")
@click.option("--role", "roles", multiple=True, help="ROLE or ROLE@SERVICE; repeatable.")
def add(username: str, display_name: str, job_title: str | None, roles: tuple[str, ...]) -> None:
    """Add a member of staff, optionally with roles."""
    try:
        grants = [parse_role_grant(text) for text in roles]
    except TactError as exc:
        raise click.ClickException(exc.message) from None

    async def work(session: AsyncSession) -> None:
        now = utcnow()
        await add_staff(
            session, username=username, display_name=display_name, job_title=job_title, now=now
        )
        for role, service in grants:
            await grant_role(session, username=username, role=role, service=service, now=now)

    gated(Operation.MANAGE_STAFF, work)
    held = ", ".join(roles) if roles else "no roles yet"
    click.echo(f"Added staff {username} ({held}).")


def _change_role(change: Callable[..., Awaitable[bool]], username: str, role: str) -> bool:
    """Grant or revoke (`change`) ROLE[@SERVICE] through the gate, for that service."""
    try:
        parsed_role, service = parse_role_grant(role)
    except TactError as exc:
        raise click.ClickException(exc.message) from None
    return gated(
        Operation.MANAGE_STAFF,
        lambda s: change(s, username=username, role=parsed_role, service=service, now=utcnow()),
        Target(service=service),
    )


@staff.command("list")
def list_members() -> None:
    """List staff: username, active or inactive, roles (as grant and revoke take them), name."""
    members = gated(Operation.MANAGE_STAFF, list_staff)
    if not members:
        click.echo("No staff.")
        return
    click.echo(f"{'USERNAME':<32} {'STATE':<8} {'ROLES':<48} NAME")
    for m in members:
        roles = ",".join(sorted(f"{r.value}@{s}" if s else r.value for r, s in m.grants))
        state = "active" if m.active else "inactive"
        click.echo(f"{m.username:<32} {state:<8} {roles or '-':<48} {m.display_name}")


@staff.command("grant")
@click.argument("username")
@click.argument("role")
def grant(username: str, role: str) -> None:
    """Grant ROLE in SERVICE (ROLE@SERVICE), or in every service (ROLE alone)."""
    changed = _change_role(grant_role, username, role)
    click.echo(f"Granted {role} to {username}." if changed else f"{username} already holds {role}.")


@staff.command("revoke")
@click.argument("username")
@click.argument("role")
def revoke(username: str, role: str) -> None:
    """Revoke ROLE in SERVICE (ROLE@SERVICE), or in every service (ROLE alone). The last
    administrator's admin role cannot be revoked."""
    changed = _change_role(revoke_role, username, role)
    click.echo(
        f"Revoked {role} from {username}." if changed else f"{username} does not hold {role}."
    )


def _set_active(username: str, active: bool) -> tuple[bool, list[Assigned]]:
    return gated(
        Operation.MANAGE_STAFF,
        lambda s: set_active(s, username=username, active=active, now=utcnow()),
    )


@staff.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """A member of staff who has left: their token and panel session stop working at once;
    their name stays on history, letters and the access log. Refused while they are the
    named officer or deputy of an arrangement in force (name someone in their place first:
    modifyArrangement), and for the last administrator. Lists the cases in progress they
    are assigned to, to reassign (assignStaff) or end (unassignStaff)."""
    changed, assigned = _set_active(username, False)
    click.echo(f"Deactivated {username}." if changed else f"{username} was already inactive.")
    if assigned:
        click.echo(f"{STILL_ASSIGNED}:")
        for case in assigned:
            click.echo(f"  {case.reference} {case.relation.name}")


@staff.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """A member of staff deactivated before, back: their tokens are accepted again."""
    changed, _ = _set_active(username, True)
    click.echo(f"Activated {username}." if changed else f"{username} was already active.")


async def _check_may_sign_in(session: AsyncSession, username: str) -> None:
    """Refuse a member of staff the admin panel would not let sign in (its own rule, in
    admin/sign_in.py): a password they could never use is not set, nor even asked for."""
    # Imported here: the panel's module brings sqladmin, which no other staff command needs.
    from admin.sign_in import PANEL_ROLES, may_sign_in

    actor = await staff_actor(session, username)
    if actor is None:
        raise NotFound("no active member of staff with that username")
    if not may_sign_in(actor):
        roles = " nor ".join(sorted(role.value for role in PANEL_ROLES))
        raise ValidationFailed(
            "username",
            f"that member of staff holds neither {roles}, the roles that may sign in to the "
            "admin panel; no password set",
        )


@staff.command("set-password")
@click.argument("username")
def set_admin_password(username: str) -> None:
    """Set the admin-panel password of a member of staff holding admin or ig_officer
    (asked for twice, never shown, never taken as an argument). Anyone else is refused."""
    in_transaction(lambda s: _check_may_sign_in(s, username))
    password = click.prompt(
        f"New password (at least {MIN_PASSWORD} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )
    try:
        check_password_rules(password)
    except TactError as exc:
        raise click.ClickException(exc.message) from None

    async def work(session: AsyncSession) -> None:
        await _check_may_sign_in(session, username)  # still, if a role went in the meantime
        await set_password(session, username, password, utcnow())

    gated(Operation.MANAGE_STAFF, work)
    click.echo(f"Password set for {username}.")


# -- local staff tokens --------------------------------------------------------------------


@click.command("token", help=COMMANDS["token"].summary)
@click.argument("username")
@click.option(
    "--minutes",
    type=click.IntRange(min=1, max=24 * 60),
    default=None,
    help="Lifetime (default: TACT_TOKEN_LIFETIME_MINUTES).",
)
def token(username: str, minutes: int | None) -> None:
    settings = load_settings()
    if settings.jwks is not None:
        raise click.ClickException(
            "TACT_JWKS is set, so staff tokens come from your identity provider; "
            "tact token only signs tokens for the embedded default"
        )

    async def work(session: AsyncSession) -> bool:
        return await staff_actor(session, username) is not None

    if not in_transaction(work, settings):
        raise click.ClickException("no active member of staff with that username")
    try:
        local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    except TactError as exc:
        raise click.ClickException(exc.message) from None
    lifetime = dt.timedelta(minutes=minutes or settings.token_lifetime_minutes)
    click.echo(
        local.issue(
            username,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=utcnow(),
            lifetime=lifetime,
        )
    )


def access_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""
    group.add_command(portal_key)
    group.add_command(staff)
    group.add_command(token)
