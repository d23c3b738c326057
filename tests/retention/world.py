"""Factories for retention tests: services, IG officers, a decision maker, customers with
distinctive (canary) values, and settled cases whose arrangements end on chosen days.

Written through records' own functions, so every sealed column is sealed and every lookup
blind-indexed, exactly as in real use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from authz.gate import Gate
from casework.arrangements import validate_parameters
from casework.retention_schedule import RetentionPolicy
from records.attachments import add_attachment
from records.cases import add_arrangement, add_concern, add_evidence, assign, create_case
from records.customers import NewContact, create_customer
from records.database import Database
from records.models import (
    ArrangementKind,
    AssignmentRelation,
    CaseState,
    Channel,
    ConcernCategory,
    ContactKind,
    Customer,
    CustomerKind,
    Role,
    Service,
)
from records.staff import add_staff, grant_role
from records.vault import Vault
from retention.archive_store import FolderArchiveStore
from retention.job import RetentionJob
from tests.authz.world import Clock

STAFF = {
    "ig.one": (Role.IG_OFFICER, None),
    "ig.two": (Role.IG_OFFICER, None),
    "dm.housing": (Role.DECISION_MAKER, "housing"),
    "manager.housing": (Role.MANAGER, "housing"),
}
POLICY = RetentionPolicy(profile_name="test-profile", profile_version="3")


def canaries(n: int) -> dict[str, str]:
    """Values that appear nowhere else, so finding one anywhere means it leaked."""
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Canaryname{tag}x{n} Quillfeather",
        "email": f"canary.{tag}.{n}@example.org",
        "reference": f"CUS-{tag.upper()}-{n}",
        "note": f"Canarynote {tag} {n} prefers visits on Tuesdays",
        "summary": f"Canarysummary {tag} {n} about the bin collections",
        "evidence": f"Canaryevidence {tag} {n} seven calls in one afternoon",
        "attachment_name": f"Canaryfile {tag} {n} call note.txt",
        "attachment_content": f"Canarycontent {tag} {n} the call note as typed",
    }


@dataclass
class RetentionWorld:
    services: dict[str, uuid.UUID] = field(default_factory=dict)
    staff: dict[str, uuid.UUID] = field(default_factory=dict)
    cases: list[uuid.UUID] = field(default_factory=list)
    references: dict[uuid.UUID, str] = field(default_factory=dict)
    customers: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # case -> customer
    canaries: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)  # case -> values


async def build_world(database: Database, now: dt.datetime) -> RetentionWorld:
    world = RetentionWorld()
    async with database.sessions() as session, session.begin():
        for slug in ("housing", "fire-safety"):
            service = Service(id=uuid.uuid4(), slug=slug, name=slug.title())
            session.add(service)
            world.services[slug] = service.id
        await session.flush()
        for username, (role, service_slug) in STAFF.items():
            staff = await add_staff(session, username=username, display_name=username, now=now)
            await grant_role(session, username=username, role=role, service=service_slug, now=now)
            world.staff[username] = staff.id
    return world


async def add_case(
    database: Database,
    vault: Vault,
    world: RetentionWorld,
    *,
    ends_on: list[dt.date | None],
    state: CaseState = CaseState.DECIDED,
    closed_at: dt.datetime | None = None,
    customer_id: uuid.UUID | None = None,
    service: str = "housing",
) -> uuid.UUID:
    """A case in `service` with one arrangement per `ends_on` (none: a case without
    arrangements, closed at `closed_at`), a concern, evidence and an attachment to it, its
    decision maker assigned.
    A customer has one case in progress per service: give another `customer_id` another
    service."""
    n = len(world.cases)
    values = canaries(n)
    opened = closed_at or dt.datetime(2019, 1, 7, 10, tzinfo=dt.UTC)
    async with database.sessions() as session, session.begin():
        if customer_id is None:
            customer_id = await create_customer(
                session,
                vault,
                kind=CustomerKind.INDIVIDUAL,
                name=values["name"],
                reference=values["reference"],
                contacts=[NewContact(ContactKind.EMAIL, values["email"], preferred=True)],
                notes=values["note"],
            )
        case = await create_case(
            session,
            vault,
            service_id=world.services[service],
            customer_id=customer_id,
            opened_at=opened,
            summary=values["summary"],
            state=state,
        )
        await assign(session, case.id, world.staff["dm.housing"], AssignmentRelation.DECISION_MAKER)
        await _contents(session, vault, world, case, values, ends_on)
    world.cases.append(case.id)
    world.references[case.id] = case.reference
    world.customers[case.id] = customer_id
    world.canaries[case.id] = values
    return case.id


async def _contents(session: AsyncSession, vault: Vault, world, case, values, ends_on) -> None:  # type: ignore[no-untyped-def]
    concern = await add_concern(
        session,
        vault,
        case,
        category=ConcernCategory.CONTACT_VOLUME,
        description=values["note"],
        recorded_by=world.staff["dm.housing"],
    )
    evidence = await add_evidence(
        session,
        vault,
        case,
        channel=Channel.PHONE,
        occurred_on=dt.date(2019, 1, 3),
        summary=values["evidence"],
        recorded_by=world.staff["dm.housing"],
        concern_id=concern.id,
    )
    await session.flush()
    await add_attachment(
        session,
        vault,
        case.id,
        evidence_id=evidence.id,
        filename=values["attachment_name"],
        media_type="text/plain",
        content=values["attachment_content"].encode("utf-8"),
        added_by=world.staff["dm.housing"],
        now=dt.datetime(2019, 1, 7, 11, tzinfo=dt.UTC),
    )
    for end in ends_on:
        await add_arrangement(
            session,
            vault,
            case,
            kind=ArrangementKind.NAMED_OFFICER,
            parameters=validate_parameters(ArrangementKind.NAMED_OFFICER, {}),
            service_ids=[world.services["housing"]],
            starts_on=dt.date(2019, 2, 1),
            ends_on=end,
            named_officer_id=world.staff["dm.housing"],
        )


def make_job(
    database: Database,
    vault: Vault,
    gate: Gate,
    archive: Path,
    clock: Clock,
    policy: RetentionPolicy = POLICY,
) -> RetentionJob:
    return RetentionJob(
        database=database,
        vault=vault,
        gate=gate,
        store=FolderArchiveStore(archive),
        policy=policy,
        clock=clock,
    )


async def imported_on(database: Database, customer_ids: set[uuid.UUID], day: dt.date) -> None:
    """Make `customer_ids` as if imported on the UK day `day` (its noon UTC, which is that
    day in the UK): a register imported long enough ago for the retention job to meet them
    today, rather than a job run as of a later day, which Tact refuses."""
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(customer_ids))
            .values(created_at=dt.datetime.combine(day, dt.time(12), dt.UTC))
        )


async def add_caseless_customer(
    database: Database, vault: Vault, name: str, contact: NewContact, added_at: dt.datetime
) -> uuid.UUID:
    """A customer never given a case, added at `added_at` (as an import on that day)."""
    async with database.sessions() as session, session.begin():
        customer_id = await create_customer(
            session, vault, kind=CustomerKind.INDIVIDUAL, name=name, contacts=[contact]
        )
        await session.execute(
            update(Customer).where(Customer.id == customer_id).values(created_at=added_at)
        )
    return customer_id
