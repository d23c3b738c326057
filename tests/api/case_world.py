"""Factories (plain functions) for case-query tests over HTTP: services, staff in each role the
tests need (with bearer tokens from the embedded default's local signing key), a portal key,
and one customer whose housing case has a summary, a concern, evidence and arrangements.

Written through records' own functions, so every sealed column is sealed and every lookup
blind-indexed, exactly as in real use. The person's values are parameters, so the canary test
can plant distinctive ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from authz.portal_keys import create_portal_key
from casework.arrangements import validate_parameters
from records.cases import add_arrangement, add_concern, add_evidence, assign, create_case
from records.customers import NewContact, create_customer
from records.models import (
    ArrangementKind,
    AssignmentRelation,
    Case,
    CaseState,
    Channel,
    ConcernCategory,
    ContactKind,
    CustomerKind,
    Role,
    Service,
)
from records.staff import add_staff, grant_role
from records.vault import Vault

SERVICES = ("housing", "customer-services", "fire-safety")
# username -> (role, service or None for every service)
STAFF: dict[str, tuple[Role, str | None]] = {
    "officer.assigned": (Role.CASE_OFFICER, "housing"),
    "officer.fire": (Role.CASE_OFFICER, "fire-safety"),
    "frontline.housing": (Role.FRONTLINE, "housing"),
    "admin.all": (Role.ADMIN, None),
    "ig.all": (Role.IG_OFFICER, None),
}
NAMED_OFFICER = "Officer Assigned"


@dataclass(frozen=True)
class Person:
    """What is sealed about the case's customer and the case itself."""

    name: str = "Morgan Sample"
    email: str = "morgan.sample@example.org"
    phone: str = "07700 900321"
    reference: str = "CUS-0321"
    note: str = "Prefers letters in large print."
    needs: dict[str, Any] = field(default_factory=lambda: {"format": "large print"})
    case_summary: str = "Contact about one repair matter, handled under a named officer."
    concern: str = "Several calls a day about the same repair."
    evidence: str = "Six calls on one day about the kitchen repair."
    premises: str = "Example Street housing office"


@dataclass(frozen=True)
class CaseWorld:
    customer_id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str  # the housing case, with everything in it
    fire_case_reference: str  # another customer's case in fire-safety, nothing sealed in it
    portal_key: str  # for housing
    tokens: dict[str, str]  # username -> bearer token


async def build_case_world(
    runtime: Runtime, now: dt.datetime, person: Person | None = None
) -> CaseWorld:
    person = person or Person()
    vault = runtime.vault
    async with runtime.database.sessions() as session, session.begin():
        services = {
            slug: Service(id=uuid.uuid4(), slug=slug, name=slug.replace("-", " ").title())
            for slug in SERVICES
        }
        session.add_all(services.values())
        await session.flush()
        staff_ids = {}
        for username, (role, service) in STAFF.items():
            display = NAMED_OFFICER if username == "officer.assigned" else f"Staff {username}"
            staff = await add_staff(session, username=username, display_name=display, now=now)
            await grant_role(session, username=username, role=role, service=service, now=now)
            staff_ids[username] = staff.id
        customer_id = await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name=person.name,
            reference=person.reference,
            contacts=[
                NewContact(ContactKind.EMAIL, person.email, preferred=True),
                NewContact(ContactKind.PHONE, person.phone),
            ],
            needs=person.needs,
            notes=person.note,
        )
        case = await create_case(
            session,
            vault,
            service_id=services["housing"].id,
            customer_id=customer_id,
            opened_at=now - dt.timedelta(days=60),
            summary=person.case_summary,
            state=CaseState.DECIDED,
        )
        officer = staff_ids["officer.assigned"]
        await assign(session, case.id, officer, AssignmentRelation.CASE_OFFICER)
        concern = await add_concern(
            session,
            vault,
            case,
            category=ConcernCategory.CONTACT_VOLUME,
            description=person.concern,
            recorded_by=officer,
        )
        await add_evidence(
            session,
            vault,
            case,
            channel=Channel.PHONE,
            occurred_on=(now - dt.timedelta(days=70)).date(),
            summary=person.evidence,
            recorded_by=officer,
            concern_id=concern.id,
            hs_incident_ref="HS-V1-0042",
        )
        await _arrangements(session, vault, case, services, officer, person, now.date())
        fire_case = await _other_case(session, vault, services["fire-safety"].id, now)
        portal = await create_portal_key(
            session, name="Housing portal", services=["housing"], now=now
        )
    return CaseWorld(
        customer_id=customer_id,
        case_id=case.id,
        case_reference=case.reference,
        fire_case_reference=fire_case,
        portal_key=portal.key,
        tokens=staff_tokens(runtime, now),
    )


async def _arrangements(
    session: AsyncSession,
    vault: Vault,
    case: Case,
    services: dict[str, Service],
    officer: uuid.UUID,
    person: Person,
    today: dt.date,
) -> None:
    start = today - dt.timedelta(days=30)
    await add_arrangement(
        session,
        vault,
        case,
        kind=ArrangementKind.NAMED_OFFICER,
        parameters=validate_parameters(ArrangementKind.NAMED_OFFICER, {}),
        service_ids=[services["housing"].id],
        starts_on=start,
        next_review_on=today + dt.timedelta(days=150),
        named_officer_id=officer,
    )
    raw = {"premises": [person.premises], "health_and_safety": True}
    await add_arrangement(
        session,
        vault,
        case,
        kind=ArrangementKind.PREMISES_EXCLUSION,
        parameters=validate_parameters(ArrangementKind.PREMISES_EXCLUSION, raw),
        service_ids=[services["housing"].id, services["customer-services"].id],
        starts_on=start,
        ends_on=today + dt.timedelta(days=335),
    )


async def _other_case(
    session: AsyncSession, vault: Vault, service_id: uuid.UUID, now: dt.datetime
) -> str:
    customer_id = await create_customer(
        session, vault, kind=CustomerKind.ORGANISATION, name="Example Residents Group"
    )
    case = await create_case(
        session,
        vault,
        service_id=service_id,
        customer_id=customer_id,
        opened_at=now - dt.timedelta(days=10),
    )
    return case.reference


def staff_tokens(runtime: Runtime, now: dt.datetime) -> dict[str, str]:
    """A bearer token per member of staff, signed with the embedded default's local key (the
    app, configured without a JWKS, verifies against the same key file)."""
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    return {
        username: local.issue(
            username,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=now,
            lifetime=dt.timedelta(minutes=15),
        )
        for username in STAFF
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
