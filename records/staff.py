"""Staff accounts and their roles: add a member of staff, grant a role in a service, read
what a member of staff holds, and bump the policy version when any of it changes.

Domain functions: they take the session and a clock, flush, and leave the commit to the edge.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from records.cases import REPLACE_THEM_FIRST, names_in_force
from records.errors import NotFound, ValidationFailed
from records.models import (
    IN_PROGRESS,
    Arrangement,
    AssignmentRelation,
    Case,
    CaseAssignment,
    PolicyVersion,
    Role,
    Service,
    Staff,
    StaffRole,
)
from records.services import check_slug, service_ids, service_slugs

# Usernames are the identity provider's `sub`: an opaque id or a work address, never spaces.
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,120}")
POLICY_VERSION_ROW = 1
# pg_advisory_xact_lock key: "tact-adm" as a big-endian integer, so it is recognisable.
_ADMINS_LOCK = int.from_bytes(b"tact-adm", "big")


@dataclass(frozen=True)
class StaffGrants:
    """A member of staff and the roles they hold; service None means every service."""

    staff_id: uuid.UUID
    username: str
    display_name: str
    active: bool
    grants: frozenset[tuple[Role, str | None]]


def parse_role_grant(text: str) -> tuple[Role, str | None]:
    """`manager@housing` -> (Role.MANAGER, "housing"); `ig_officer` -> (Role.IG_OFFICER, None)."""
    role_name, _, service = text.strip().partition("@")
    try:
        role = Role(role_name)
    except ValueError:
        allowed = ", ".join(r.value for r in Role if r is not Role.PORTAL)
        raise ValidationFailed("role", f"unknown role; use one of {allowed}") from None
    if role is Role.PORTAL:
        raise ValidationFailed("role", "portal is the role of a portal key, not of staff")
    return role, (service or None)


async def add_staff(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    now: dt.datetime,
    job_title: str | None = None,
) -> Staff:
    if not _USERNAME.fullmatch(username):
        raise ValidationFailed(
            "username", "must be 1 to 120 letters, digits or the characters . _ @ + -"
        )
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise ValidationFailed("displayName", "must be 1 to 200 characters")
    if await session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise ValidationFailed("username", "is already in use")
    staff = Staff(
        id=uuid.uuid4(),
        username=username,
        display_name=display_name,
        job_title=job_title,
        active=True,
        created_at=now,
    )
    session.add(staff)
    await session.flush()
    return staff


async def grant_role(
    session: AsyncSession,
    *,
    username: str,
    role: Role,
    service: str | None,
    now: dt.datetime,
) -> bool:
    """Grant `role` in `service` (None: every service). False if it was held already."""
    if role is Role.PORTAL:
        raise ValidationFailed("role", "portal is the role of a portal key, not of staff")
    staff_id = await session.scalar(select(Staff.id).where(Staff.username == username))
    if staff_id is None:
        raise NotFound("no member of staff with that username")
    service_id: uuid.UUID | None = None
    if service is not None:
        service_id = (await service_ids(session, [service])).get(service)
        if service_id is None:
            raise ValidationFailed("service", f"no such service: {service}")
    held = await session.scalar(
        select(StaffRole.id).where(
            StaffRole.staff_id == staff_id,
            StaffRole.role == role,
            StaffRole.service_id.is_(None)
            if service_id is None
            else StaffRole.service_id == service_id,
        )
    )
    if held is not None:
        return False
    session.add(StaffRole(id=uuid.uuid4(), staff_id=staff_id, role=role, service_id=service_id))
    await session.flush()
    await bump_policy_version(session, now)
    return True


async def staff_grants(session: AsyncSession, username: str) -> StaffGrants | None:
    """The member of staff with this username and their roles, in one query; None if unknown."""
    rows = (
        await session.execute(
            select(
                Staff.id,
                Staff.display_name,
                Staff.active,
                StaffRole.role,
                StaffRole.service_id,
                Service.slug,
            )
            .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
            .outerjoin(Service, Service.id == StaffRole.service_id)
            .where(Staff.username == username)
        )
    ).all()
    if not rows:
        return None
    grants = frozenset(
        (row.role, row.slug if row.service_id is not None else None)
        for row in rows
        if row.role is not None
    )
    return StaffGrants(rows[0].id, username, rows[0].display_name, rows[0].active, grants)


async def staff_display_name(session: AsyncSession, username: str) -> str | None:
    """The name a letter gives a member of staff, by username; None for no such staff."""
    name: str | None = await session.scalar(
        select(Staff.display_name).where(Staff.username == username)
    )
    return name


async def bump_policy_version(session: AsyncSession, now: dt.datetime) -> None:
    """Tell every running process that authorisation data changed (they compare versions).

    An upsert, so two processes bumping at once on a new database both count."""
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    statement = insert(PolicyVersion).values(id=POLICY_VERSION_ROW, version=1, changed_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PolicyVersion.id],
            set_={"version": PolicyVersion.version + 1, "changed_at": now},
        )
    )


async def revoke_role(
    session: AsyncSession,
    *,
    username: str,
    role: Role,
    service: str | None,
    now: dt.datetime,
) -> bool:
    """Take `role` in `service` (None: every service) away. False if it was not held.
    Refused when it would leave no active member of staff holding `admin` anywhere."""
    held = await session.scalar(
        select(StaffRole)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .outerjoin(Service, Service.id == StaffRole.service_id)
        .where(
            Staff.username == username,
            StaffRole.role == role,
            StaffRole.service_id.is_(None) if service is None else Service.slug == service,
        )
    )
    if held is None:
        return False
    if role is Role.ADMIN:
        await _another_admin(session, "role", StaffRole.id != held.id)
    await session.delete(held)
    await session.flush()
    await bump_policy_version(session, now)
    return True


async def _another_admin(session: AsyncSession, field: str, besides: ColumnElement[bool]) -> None:
    """Refuse (on `field`) a change that would leave no active member of staff holding
    `admin` anywhere: `besides` says which admin grants the change leaves out.

    The checks take turns (PostgreSQL: a lock held until the transaction ends; SQLite has one
    writer): two administrators deactivating each other, or revoking each other's role, at
    once would otherwise each find the other still active and both go, leaving none."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADMINS_LOCK})
    others = await session.scalar(
        select(StaffRole.id)
        .join(Staff, Staff.id == StaffRole.staff_id)
        .where(StaffRole.role == Role.ADMIN, Staff.active.is_(True), besides)
        .limit(1)
    )
    if others is None:
        raise ValidationFailed(field, "this would leave no administrator")


# What deactivation answers above the cases a leaver is still assigned to (the CLI, the panel).
STILL_ASSIGNED = (
    "Cases in progress they are assigned to (reassign with assignStaff; end each assignment "
    "with unassignStaff)"
)


@dataclass(frozen=True)
class Assigned:
    """A case in progress a member of staff is assigned to, and how (a need-to-know
    relation): by reference only."""

    reference: str
    relation: AssignmentRelation


async def set_active(
    session: AsyncSession, *, username: str, active: bool, now: dt.datetime
) -> tuple[bool, list[Assigned]]:
    """Deactivate a member of staff who has left (or activate one again): from the next
    request their token and panel session are refused (authz/credentials.staff_actor reads
    `active` on every request; nothing caches it). Their name stays on history, letters and
    the access log: the row is kept.

    Deactivation is refused, naming `username` and the case references (never a customer),
    while they are the named officer or deputy of an arrangement in force: the customer's
    route would point at someone gone (replace them first with modifyArrangement's
    namedOfficer or deputyOfficer); and for the last active administrator. Returns whether
    anything changed, and the cases in progress they are assigned to, to reassign
    (assignStaff) or end (unassignStaff)."""
    staff = await session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise NotFound("no member of staff with that username")
    if not active:
        await _check_may_leave(session, staff)
    changed = staff.active is not active
    if changed:
        staff.active = active
        await session.flush()
        await bump_policy_version(session, now)
    return changed, await _assigned(session, staff.id) if not active else []


async def _check_may_leave(session: AsyncSession, staff: Staff) -> None:
    naming = (
        await session.scalars(
            select(Case.reference)
            .join(Arrangement, Arrangement.case_id == Case.id)
            .where(names_in_force(staff.id))
            .distinct()
            .order_by(Case.reference)
        )
    ).all()
    if naming:
        raise ValidationFailed(
            "username",
            f"is the named officer or deputy of an arrangement in force on {', '.join(naming)}: "
            f"{REPLACE_THEM_FIRST}",
        )
    admin = await session.scalar(
        select(StaffRole.id)
        .where(StaffRole.staff_id == staff.id, StaffRole.role == Role.ADMIN)
        .limit(1)
    )
    if admin is not None and staff.active:
        await _another_admin(session, "username", StaffRole.staff_id != staff.id)


async def _assigned(session: AsyncSession, staff_id: uuid.UUID) -> list[Assigned]:
    rows = await session.execute(
        select(Case.reference, CaseAssignment.relation)
        .join(CaseAssignment, CaseAssignment.case_id == Case.id)
        .where(CaseAssignment.staff_id == staff_id, Case.state.in_(IN_PROGRESS))
        .distinct()
        .order_by(Case.reference, CaseAssignment.relation)
    )
    return [Assigned(reference, relation) for reference, relation in rows]


async def list_staff(session: AsyncSession) -> list[StaffGrants]:
    """Every member of staff with their roles, by username (one query)."""
    rows = (
        await session.execute(
            select(
                Staff.id,
                Staff.username,
                Staff.display_name,
                Staff.active,
                StaffRole.role,
                Service.slug,
            )
            .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
            .outerjoin(Service, Service.id == StaffRole.service_id)
            .order_by(Staff.username)
        )
    ).all()
    found: dict[uuid.UUID, StaffGrants] = {}
    for row in rows:
        known = found.get(row.id)
        grants = known.grants if known else frozenset()
        if row.role is not None:
            grants = grants | {(row.role, row.slug)}
        found[row.id] = StaffGrants(row.id, row.username, row.display_name, row.active, grants)
    return list(found.values())


async def add_service(session: AsyncSession, *, slug: str, name: str, now: dt.datetime) -> Service:
    """Add a service. Slugs are never renamed or removed: the gate remembers the ones seen."""
    check_slug(slug, "slug")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("name", "must be 1 to 200 characters")
    if slug in await service_slugs(session):
        raise ValidationFailed("slug", "is already in use")
    service = Service(id=uuid.uuid4(), slug=slug, name=name, created_at=now)
    session.add(service)
    await session.flush()
    return service
