"""Factories (plain functions) for portal tests: services, two officers, a customer with
arrangements in force, out of force and elsewhere, a customer with none, and portal keys.
Written through records' own functions, so everything is sealed and blind-indexed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from api.runtime import Runtime
from authz.portal_keys import create_portal_key
from casework.arrangements import validate_parameters
from records.cases import add_arrangement, create_case
from records.customers import NewContact, create_customer
from records.models import (
    ArrangementKind,
    ArrangementState,
    CaseState,
    ContactKind,
    CustomerKind,
    Service,
    Staff,
)

EMAIL = "casey.sample@example.org"
PHONE = "07700 900123"
REFERENCE = "CUS-0777"
QUIET_EMAIL = "dana.example@example.org"
UNKNOWN_EMAIL = "nobody.known@example.org"
OFFICER = "Jo Example"
DEPUTY = "Robin Example"


@dataclass(frozen=True)
class PortalWorld:
    customer_id: uuid.UUID
    case_id: uuid.UUID
    quiet_customer_id: uuid.UUID
    housing_key: str  # a portal key for housing and customer-services
    fire_key: str  # a portal key for fire-safety only


async def build_portal_world(runtime: Runtime, now: dt.datetime) -> PortalWorld:
    today = now.date()
    vault = runtime.vault
    async with runtime.database.sessions() as session, session.begin():
        services = {
            slug: Service(id=uuid.uuid4(), slug=slug, name=slug.replace("-", " ").title())
            for slug in ("housing", "customer-services", "fire-safety")
        }
        officer = Staff(id=uuid.uuid4(), username="jo.example", display_name=OFFICER)
        deputy = Staff(id=uuid.uuid4(), username="robin.example", display_name=DEPUTY)
        session.add_all([*services.values(), officer, deputy])
        await session.flush()
        customer_id = await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name="Casey Sample",
            reference=REFERENCE,
            contacts=[NewContact(ContactKind.EMAIL, EMAIL), NewContact(ContactKind.PHONE, PHONE)],
        )
        quiet_id = await create_customer(
            session,
            vault,
            kind=CustomerKind.INDIVIDUAL,
            name="Dana Example",
            contacts=[NewContact(ContactKind.EMAIL, QUIET_EMAIL)],
        )
        case = await create_case(
            session,
            vault,
            service_id=services["housing"].id,
            customer_id=customer_id,
            opened_at=now - dt.timedelta(days=90),
            state=CaseState.DECIDED,
        )

        async def arrangement(kind: ArrangementKind, raw: dict[str, Any], **more: Any) -> None:
            values: dict[str, Any] = {
                "service_ids": [services["housing"].id],
                "starts_on": today - dt.timedelta(days=30),
                **more,
            }
            await add_arrangement(
                session, vault, case, kind=kind, parameters=validate_parameters(kind, raw), **values
            )

        await arrangement(
            ArrangementKind.NAMED_OFFICER,
            {},
            named_officer_id=officer.id,
            deputy_officer_id=deputy.id,
            next_review_on=today + dt.timedelta(days=150),
        )
        await arrangement(
            ArrangementKind.CONTACT_CHANNEL,
            {"channels": ["letter"]},
            starts_on=today - dt.timedelta(days=20),
            ends_on=today + dt.timedelta(days=345),
        )
        # Out of force in housing: ended, lifted, not yet started; and one for fire-safety only.
        await arrangement(
            ArrangementKind.CALL_DURATION,
            {"minutes": 10},
            starts_on=today - dt.timedelta(days=400),
            ends_on=today - dt.timedelta(days=1),
        )
        await arrangement(ArrangementKind.WITNESS_REQUIRED, {}, state=ArrangementState.LIFTED)
        await arrangement(
            ArrangementKind.APPOINTMENT_ONLY, {}, starts_on=today + dt.timedelta(days=1)
        )
        await arrangement(
            ArrangementKind.PREMISES_EXCLUSION,
            {"premises": ["Example Road station"], "health_and_safety": True},
            service_ids=[services["fire-safety"].id],
        )
        housing_key = await create_portal_key(
            session, name="Housing portal", services=["housing", "customer-services"], now=now
        )
        fire_key = await create_portal_key(
            session, name="Fire portal", services=["fire-safety"], now=now
        )
    return PortalWorld(customer_id, case.id, quiet_id, housing_key.key, fire_key.key)


def api_key(key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {key}"}
