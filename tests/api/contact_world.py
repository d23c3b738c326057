"""Factories (plain functions) for checkContact and screening tests over HTTP: a housing
case with a named officer and deputy, permitted channels, a closed matter and an email
volume limit; a customer with no arrangement; a housing portal key; staff with tokens.
Written through records' own functions, so everything is sealed and blind-indexed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from authz.portal_keys import create_portal_key
from casework.arrangements import validate_parameters
from records.cases import add_arrangement, create_case
from records.customers import NewContact, create_customer
from records.models import ArrangementKind, CaseState, ContactKind, CustomerKind, Role, Service
from records.staff import add_staff, grant_role

EMAIL = "casey.sample@example.org"
QUIET_EMAIL = "dana.example@example.org"
UNKNOWN_EMAIL = "nobody.known@example.org"
OFFICER = "Jo Example"
DEPUTY = "Robin Example"
CLOSED_MATTER = "Boundary fence"
# username -> (display name, role, service; None: no role)
STAFF: dict[str, tuple[str, Role | None, str | None]] = {
    "jo.example": (OFFICER, None, None),
    "robin.example": (DEPUTY, None, None),
    "manager.housing": ("Staff manager", Role.MANAGER, "housing"),
    "frontline.housing": ("Staff frontline", Role.FRONTLINE, "housing"),
    "officer.other": ("Staff other", Role.CASE_OFFICER, "customer-services"),
}

CHECK = """
query Check($contact: ContactInput!, $record: Boolean! = false) {
  checkContact(contact: $contact, record: $record) {
    service outcome instructions routeTo deputy permittedRoute arrangements recorded
  }
}
"""


@dataclass(frozen=True)
class ContactWorld:
    customer_id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    portal_key: str
    tokens: dict[str, str]


async def build_contact_world(runtime: Runtime, now: dt.datetime) -> ContactWorld:
    vault = runtime.vault
    today = now.date()
    async with runtime.database.sessions() as session, session.begin():
        services = {
            slug: Service(id=uuid.uuid4(), slug=slug, name=slug.title())
            for slug in ("housing", "customer-services")
        }
        session.add_all(services.values())
        await session.flush()
        ids = {}
        for username, (display, role, service) in STAFF.items():
            staff = await add_staff(session, username=username, display_name=display, now=now)
            ids[username] = staff.id
            if role is not None:
                await grant_role(session, username=username, role=role, service=service, now=now)
        customer_id = await create_customer(
            session, vault, kind=CustomerKind.INDIVIDUAL, name="Casey Sample",
            contacts=[NewContact(ContactKind.EMAIL, EMAIL)],
        )  # fmt: skip
        await create_customer(
            session, vault, kind=CustomerKind.INDIVIDUAL, name="Dana Example",
            contacts=[NewContact(ContactKind.EMAIL, QUIET_EMAIL)],
        )  # fmt: skip
        case = await create_case(
            session, vault, service_id=services["housing"].id, customer_id=customer_id,
            opened_at=now - dt.timedelta(days=60), state=CaseState.DECIDED,
        )  # fmt: skip

        async def arrangement(kind: ArrangementKind, raw: dict[str, Any], **more: Any) -> None:
            await add_arrangement(
                session, vault, case, kind=kind, parameters=validate_parameters(kind, raw),
                service_ids=[services["housing"].id], starts_on=today - dt.timedelta(days=30),
                **more,
            )  # fmt: skip

        await arrangement(
            ArrangementKind.NAMED_OFFICER, {},
            named_officer_id=ids["jo.example"], deputy_officer_id=ids["robin.example"],
        )  # fmt: skip
        await arrangement(
            ArrangementKind.CONTACT_CHANNEL, {"channels": ["phone", "email", "letter"]}
        )
        await arrangement(ArrangementKind.CLOSED_MATTER, {"matters": [CLOSED_MATTER]})
        await arrangement(
            ArrangementKind.CONTACT_VOLUME, {"limit": 2, "period": "week", "channel": "email"}
        )
        portal = await create_portal_key(
            session, name="Housing portal", services=["housing"], now=now
        )
    return ContactWorld(
        customer_id=customer_id,
        case_id=case.id,
        case_reference=case.reference,
        portal_key=portal.key,
        tokens=_tokens(runtime, now),
    )


def _tokens(runtime: Runtime, now: dt.datetime) -> dict[str, str]:
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
    return {
        username: local.issue(
            username, issuer=settings.jwt_issuer, audience=settings.jwt_audience, now=now,
            lifetime=dt.timedelta(days=30),
        )
        for username in STAFF
    }  # fmt: skip


def contact_input(channel: str, at: dt.datetime, email: str = EMAIL, **more: Any) -> dict[str, Any]:
    return {
        "lookup": {"email": email},
        "service": "housing",
        "channel": channel,
        "at": at.isoformat(),
        **more,
    }


async def check(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    contact: dict[str, Any],
    record: bool = False,
) -> httpx.Response:
    body = {"query": CHECK, "variables": {"contact": contact, "record": record}}
    return await client.post("/graphql", json=body, headers=headers)


async def graphql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body
