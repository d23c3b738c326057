"""Factories for authorisation tests: a few services, staff, one customer and one case,
written as plain rows (the authz layer never opens sealed columns, so these hold filler)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from authz.actor import Actor, ActorKind, RoleGrant
from authz.audit_signing import CheckpointSigner
from authz.decisions import Decisions
from authz.gate import Gate
from records.database import Database
from records.models import (
    Arrangement,
    ArrangementKind,
    ArrangementService,
    ArrangementState,
    AssignmentRelation,
    Case,
    CaseAssignment,
    Customer,
    CustomerKind,
    Role,
    Service,
    Staff,
)

SERVICES = ("housing", "customer-services", "fire-safety")
START = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@dataclass
class Clock:
    """A controllable clock: tests move it, nothing sleeps."""

    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def make_gate(
    clock: Clock, *, signer: CheckpointSigner | None = None, checkpoint_every: int = 1000
) -> Gate:
    decisions = Decisions(clock=clock, reload_every=0)
    return Gate(
        decisions,
        clock,
        signer=signer or CheckpointSigner.generate(),
        checkpoint_every=checkpoint_every,
    )


@dataclass
class World:
    services: dict[str, uuid.UUID] = field(default_factory=dict)
    customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    case_reference: str = ""


async def add_staff(session: AsyncSession, username: str) -> uuid.UUID:
    staff = Staff(id=uuid.uuid4(), username=username, display_name=f"Officer {username}")
    session.add(staff)
    await session.flush()
    return staff.id


async def add_customer(session: AsyncSession) -> uuid.UUID:
    customer = Customer(id=uuid.uuid4(), kind=CustomerKind.INDIVIDUAL, name_sealed=b"\x00")
    session.add(customer)
    await session.flush()
    return customer.id


async def add_case(
    session: AsyncSession, service_id: uuid.UUID, customer_id: uuid.UUID, reference: str
) -> uuid.UUID:
    case = Case(
        id=uuid.uuid4(), reference=reference, service_id=service_id, customer_id=customer_id
    )
    session.add(case)
    await session.flush()
    return case.id


async def build_world(session: AsyncSession) -> World:
    """Three services; one customer with one case in housing. Committed."""
    world = World()
    for slug in SERVICES:
        service = Service(id=uuid.uuid4(), slug=slug, name=slug.replace("-", " ").title())
        session.add(service)
        world.services[slug] = service.id
    await session.flush()
    world.customer_id = await add_customer(session)
    world.case_reference = "MC-2026-00000-00001"  # the shape references have
    world.case_id = await add_case(
        session, world.services["housing"], world.customer_id, world.case_reference
    )
    await session.commit()
    return world


async def assign(
    session: AsyncSession, case_id: uuid.UUID, staff_id: uuid.UUID, relation: AssignmentRelation
) -> None:
    session.add(
        CaseAssignment(id=uuid.uuid4(), case_id=case_id, staff_id=staff_id, relation=relation)
    )
    await session.flush()


async def add_arrangement(
    session: AsyncSession,
    case_id: uuid.UUID,
    customer_id: uuid.UUID,
    service_ids: list[uuid.UUID],
    state: ArrangementState = ArrangementState.ACTIVE,
) -> uuid.UUID:
    arrangement = Arrangement(
        id=uuid.uuid4(),
        case_id=case_id,
        customer_id=customer_id,
        kind=ArrangementKind.NAMED_OFFICER,
        state=state,
        parameters_sealed=b"\x00",
        starts_on=START.date(),
    )
    session.add(arrangement)
    await session.flush()
    for service_id in service_ids:
        session.add(ArrangementService(arrangement_id=arrangement.id, service_id=service_id))
    await session.flush()
    return arrangement.id


def staff_actor(username: str, staff_id: uuid.UUID, *grants: tuple[Role, str | None]) -> Actor:
    return Actor(
        kind=ActorKind.STAFF,
        label=f"staff:{username}",
        roles=frozenset(RoleGrant(role, service) for role, service in grants),
        staff_id=staff_id,
    )


def portal_actor(*services: str) -> Actor:
    return Actor(
        kind=ActorKind.PORTAL,
        label="portal:tk_test",
        roles=frozenset(RoleGrant(Role.PORTAL, s) for s in services),
        portal_key_id=uuid.uuid4(),
    )


async def add_services(database: Database, *slugs: str) -> None:
    """Services by slug, for tests that need no more of a world than that."""
    async with database.sessions() as session:
        session.add_all(Service(slug=slug, name=slug.replace("-", " ").title()) for slug in slugs)
        await session.commit()
