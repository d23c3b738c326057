"""Load the demonstration data set (api/demo_data.py) through Tact's own storage code, so
every name, address and note is sealed and every lookup goes by blind index, as in real use.

Deterministic from a seed and the day it is loaded (dates are relative to it, so the
arrangements are in force). Idempotent: the demo administrator's account marks a database
that has the set already, and a second load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo_data import (
    CONCERN_NOTES,
    MARKER_USERNAME,
    OFFICER_KINDS,
    PARAMETERS,
    PORTAL_KEY_NAME,
    SEED,
    SERVICES,
    DemoCase,
    DemoPerson,
    DemoStaff,
    demo_cases,
    demo_people,
    demo_staff,
    staff_username,
)
from authz.portal_keys import create_portal_key, list_portal_keys, revoke_portal_key
from casework.arrangements import validate_parameters
from records.cases import add_arrangement, add_concern, add_evidence, assign, create_case
from records.customers import NewContact, create_customer
from records.database import Database
from records.models import (
    ArrangementState,
    AssignmentRelation,
    Case,
    CaseState,
    Channel,
    ConcernCategory,
    ContactKind,
    Role,
    Service,
    Staff,
)
from records.sign_in import set_password
from records.staff import add_staff, grant_role
from records.vault import Vault

_STARTED = frozenset({CaseState.OPEN, CaseState.DESTROYED})
_WITH_DECISION = frozenset({CaseState.DECIDED, CaseState.ENDED, CaseState.ARCHIVED})


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool  # False: the set was there already and nothing was written
    customers: int
    cases: int
    arrangements: int
    staff: tuple[DemoStaff, ...]


async def demo_present(session: AsyncSession) -> bool:
    marker = await session.scalar(select(Staff.id).where(Staff.username == MARKER_USERNAME))
    return marker is not None


async def load_demo(
    database: Database, vault: Vault, now: dt.datetime, *, seed: int = SEED
) -> DemoSummary:
    """Write the set in one transaction, unless it is there already."""
    # Seeded on purpose: the same made-up people every time, nothing secret about them.
    people = demo_people(random.Random(seed))  # noqa: S311
    plan = demo_cases()
    staff = tuple(demo_staff())
    destroyed: list[uuid.UUID] = []
    async with database.sessions() as session, session.begin():
        if await demo_present(session):
            return DemoSummary(False, len(people), len(plan), 0, staff)
        writer = _Writer(session, vault, now, random.Random(seed))  # noqa: S311
        await writer.services()
        await writer.staff(staff)
        customer_ids = [await writer.customer(person) for person in people]
        arrangements = 0
        for number, case in enumerate(plan, start=1):
            written = await writer.case(number, case, customer_ids[case.person])
            arrangements += len(case.arrangements)
            if case.state is CaseState.DESTROYED:
                destroyed.append(written.id)
    # A destroyed case keeps no readable contents: shred its data key once the rows are in.
    for case_id in destroyed:
        await vault.shred("case", case_id)
    return DemoSummary(True, len(people), len(plan), arrangements, staff)


async def issue_demo_portal_key(session: AsyncSession, now: dt.datetime) -> str:
    """A new key for the demo portal, for every demo service, after revoking the previous
    demo keys: the secret is shown once, so each `tact serve --demo` prints a fresh one."""
    for key in await list_portal_keys(session):
        if key.name == PORTAL_KEY_NAME and key.state(now) == "active":
            await revoke_portal_key(session, key.prefix, now)
    issued = await create_portal_key(
        session, name=PORTAL_KEY_NAME, services=list(SERVICES), now=now
    )
    return issued.key


class _Writer:
    """Writes the set through records' functions; flushes only, the caller commits."""

    def __init__(
        self, session: AsyncSession, vault: Vault, now: dt.datetime, rng: random.Random
    ) -> None:
        self.session, self.vault, self.now, self.rng = session, vault, now, rng
        self.today = now.date()
        self.service_ids: dict[str, uuid.UUID] = {}
        self.staff_ids: dict[str, uuid.UUID] = {}

    async def services(self) -> None:
        for slug, name in SERVICES.items():
            service_id = await self.session.scalar(select(Service.id).where(Service.slug == slug))
            if service_id is None:
                service = Service(id=uuid.uuid4(), slug=slug, name=name, created_at=self.now)
                self.session.add(service)
                service_id = service.id
            self.service_ids[slug] = service_id
        await self.session.flush()

    async def staff(self, roster: tuple[DemoStaff, ...]) -> None:
        for member in roster:
            row = await add_staff(
                self.session,
                username=member.username,
                display_name=member.display_name,
                job_title=member.job_title,
                now=self.now,
            )
            self.staff_ids[member.username] = row.id
            await grant_role(
                self.session,
                username=member.username,
                role=member.role,
                service=member.service,
                now=self.now,
            )

    async def customer(self, person: DemoPerson) -> uuid.UUID:
        contacts = []
        if person.email:
            contacts.append(NewContact(ContactKind.EMAIL, person.email, preferred=True))
        if person.phone:
            contacts.append(NewContact(ContactKind.PHONE, person.phone))
        return await create_customer(
            self.session,
            self.vault,
            kind=person.kind,
            name=person.name,
            reference=person.reference,
            contacts=contacts,
            needs={"format": "large print"} if self.rng.random() < 0.15 else None,
        )

    def _officer(self, service: str, role: Role) -> uuid.UUID:
        return self.staff_ids[staff_username(service, role)]

    async def case(self, number: int, plan: DemoCase, customer_id: uuid.UUID) -> Case:
        opened = self.now - dt.timedelta(days=self.rng.randint(60, 400))
        destroyed = plan.state is CaseState.DESTROYED
        case = await create_case(
            self.session,
            self.vault,
            service_id=self.service_ids[plan.service],
            customer_id=customer_id,
            opened_at=opened,
            summary=None if destroyed else "Managed contact case opened from the demo data set.",
            state=plan.state,
        )
        # A readable, stable reference, so the README and screenshots can name demo cases.
        case.reference = f"MC-DEMO-{number:04d}"
        if destroyed:
            case.restrictions_ended_on = self.today - dt.timedelta(days=7 * 365)
            await self.session.flush()
            return case
        await self._assign(case, plan)
        if plan.state not in _STARTED:
            await self._record_concern(case, plan.service, opened.date())
        ended_on = await self._arrangements(case, plan)
        case.restrictions_ended_on = ended_on
        await self.session.flush()
        return case

    async def _assign(self, case: Case, plan: DemoCase) -> None:
        relations = [(Role.CASE_OFFICER, AssignmentRelation.CASE_OFFICER)]
        if plan.state is CaseState.IN_ASSESSMENT:
            relations.append((Role.MANAGER, AssignmentRelation.ASSESSOR))
        if plan.state is CaseState.REFERRED:
            relations.append((Role.MANAGER, AssignmentRelation.CONFERENCE_ATTENDEE))
        if plan.state in _WITH_DECISION:
            relations.append((Role.DECISION_MAKER, AssignmentRelation.DECISION_MAKER))
            relations.append((Role.REVIEWER, AssignmentRelation.REVIEWER))
        if any(kind in OFFICER_KINDS for kind, _ in plan.arrangements):
            relations.append((Role.CASE_OFFICER, AssignmentRelation.NAMED_OFFICER))
        for role, relation in relations:
            await assign(self.session, case.id, self._officer(plan.service, role), relation)

    async def _record_concern(self, case: Case, service: str, opened: dt.date) -> None:
        category = self.rng.choice(list(ConcernCategory))
        officer = self._officer(service, Role.CASE_OFFICER)
        concern = await add_concern(
            self.session,
            self.vault,
            case,
            category=category,
            description=CONCERN_NOTES[category],
            recorded_by=officer,
        )
        await add_evidence(
            self.session,
            self.vault,
            case,
            channel=self.rng.choice([Channel.PHONE, Channel.EMAIL, Channel.IN_PERSON]),
            occurred_on=opened,
            summary=f"Contact log for the period, filed under the {category.value} concern.",
            recorded_by=officer,
            concern_id=concern.id,
            staff_involved=[officer],
            hs_incident_ref="HS-V1-DEMO-001" if category is ConcernCategory.SAFETY_RISK else None,
        )

    async def _arrangements(self, case: Case, plan: DemoCase) -> dt.date | None:
        """Add the plan's arrangements; returns the day restrictions ended, if they have."""
        ended = plan.state in (CaseState.ENDED, CaseState.ARCHIVED)
        ends_ago = 120 if plan.state is CaseState.ENDED else 800
        ended_on = self.today - dt.timedelta(days=ends_ago) if ended else None
        for i, (kind, services) in enumerate(plan.arrangements):
            starts = self.today - dt.timedelta(days=self.rng.randint(14, 150))
            ends = starts + dt.timedelta(days=365) if i % 2 else None
            if ended_on is not None:
                starts, ends = ended_on - dt.timedelta(days=365), ended_on
            names_officer = kind in OFFICER_KINDS
            await add_arrangement(
                self.session,
                self.vault,
                case,
                kind=kind,
                parameters=validate_parameters(kind, PARAMETERS[kind]),
                service_ids=[self.service_ids[s] for s in services],
                starts_on=starts,
                ends_on=ends,
                next_review_on=None if ended else starts + dt.timedelta(days=182),
                named_officer_id=self._officer(plan.service, Role.CASE_OFFICER)
                if names_officer
                else None,
                deputy_officer_id=self._officer(plan.service, Role.MANAGER)
                if names_officer
                else None,
                state=ArrangementState.EXPIRED if ended else ArrangementState.ACTIVE,
            )
        return ended_on


# The demo staff who may sign in to the admin panel (/admin).
DEMO_PANEL_STAFF = ("demo.admin", "demo.ig-officer")


async def issue_demo_passwords(session: AsyncSession, now: dt.datetime) -> dict[str, str]:
    """Fresh admin-panel passwords for the demo administrator and IG officer, shown once
    like the demo portal key (only their argon2 hashes are kept)."""
    passwords = {username: secrets.token_urlsafe(12) for username in DEMO_PANEL_STAFF}
    for username, password in passwords.items():
        await set_password(session, username, password, now)
    return passwords
