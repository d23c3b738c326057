"""Load the demonstration data set (api/demo_data.py) through Tact's own storage code, so
every name, address and note is sealed and every lookup goes by blind index, as in real use.

Built under the deployment's profile (api/demo_history.py): its arrangement kinds, its
process and its letters. Deterministic from a seed, the profile and the day it is loaded
(dates are relative to it, so the arrangements are in force). Idempotent: the demo
administrator's account marks a database that has the set already, and a second load changes
nothing. The profile it was built under is kept (`DemoSet`), so the CLI refuses to serve it
under another (api/cli_serve.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo_data import (
    MARKER_USERNAME,
    PORTAL_KEY_NAME,
    SEED,
    SERVICES,
    DemoCase,
    DemoPerson,
    DemoStaff,
    demo_cases,
    demo_people,
    demo_staff,
)
from api.demo_history import DemoHistory
from authz.portal_keys import create_portal_key, list_portal_keys, revoke_portal_key
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.profiles import Profile
from records.addresses import address_text
from records.customers import NewContact, create_customer
from records.database import Database
from records.days import uk_day
from records.models import (
    Case,
    CaseState,
    ContactKind,
    DemoSet,
    Service,
    Staff,
)
from records.sign_in import hash_password, set_password_hash
from records.staff import add_staff, grant_role
from records.vault import Vault

_STARTED = frozenset({CaseState.OPEN})
_WITH_DECISION = frozenset({CaseState.DECIDED, CaseState.ENDED, CaseState.ARCHIVED})


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool  # False: the set was there already and nothing was written
    customers: int
    cases: int
    arrangements: int
    staff: tuple[DemoStaff, ...]
    # The profile the set was built under (None: loaded before Tact recorded it).
    built_under: str | None


async def demo_present(session: AsyncSession) -> bool:
    marker = await session.scalar(select(Staff.id).where(Staff.username == MARKER_USERNAME))
    return marker is not None


async def load_demo(
    database: Database,
    vault: Vault,
    now: dt.datetime,
    profile: Profile,
    letters: LetterTemplates = BUILT_IN,
    *,
    seed: int = SEED,
) -> DemoSummary:
    """Write the set in one transaction, unless it is there already."""
    # Seeded on purpose: the same made-up people every time, nothing secret about them.
    people = demo_people(random.Random(seed))  # noqa: S311
    plan = demo_cases(profile)
    staff = tuple(demo_staff(profile))
    async with database.sessions() as session, session.begin():
        if await demo_present(session):
            built_under = await session.scalar(select(DemoSet.profile_name))
            return DemoSummary(False, len(people), len(plan), 0, staff, built_under)
        session.add(
            DemoSet(profile_name=profile.name, profile_version=profile.version, loaded_at=now)
        )
        writer = _Writer(session, vault, now, random.Random(seed), profile, letters)  # noqa: S311
        await writer.services()
        await writer.staff(staff)
        for person in people:
            await writer.customer(person)
        arrangements = 0
        for case in plan:
            await writer.case(case, people[case.person])
            arrangements += len(case.arrangements)
    return DemoSummary(True, len(people), len(plan), arrangements, staff, profile.name)


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
        self,
        session: AsyncSession,
        vault: Vault,
        now: dt.datetime,
        rng: random.Random,
        profile: Profile,
        letters: LetterTemplates,
    ) -> None:
        self.session, self.vault, self.now, self.rng = session, vault, now, rng
        self.profile, self.letters = profile, letters
        self.today = uk_day(now)
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
        if person.address:
            # Their only address, so preferred: the demo's letters open with it.
            *lines, postcode = person.address
            text = address_text(lines, postcode)
            contacts.append(NewContact(ContactKind.ADDRESS, text, preferred=True))
        return await create_customer(
            self.session,
            self.vault,
            kind=person.kind,
            name=person.name,
            reference=person.reference,
            contacts=contacts,
            needs={"format": "large print"} if self.rng.random() < 0.15 else None,
        )

    async def case(self, plan: DemoCase, person: DemoPerson) -> Case:
        """Every case is walked through the process by casework's step functions
        (api/demo_history.py), so its dates are the ones the workflow wrote."""
        history = DemoHistory(
            self.session, self.vault, self.now, self.rng, self.staff_ids, self.profile, self.letters
        )
        return await history.case(plan, person.reference, person.kind)


# The demo staff who may sign in to the admin panel (/admin).
DEMO_PANEL_STAFF = ("demo.admin", "demo.ig-officer")


async def demo_passwords() -> dict[str, tuple[str, str]]:
    """Fresh admin-panel passwords for the demo administrator and IG officer, with their
    argon2 hashes, made in threads (the hashing releases the GIL): started before the set
    loads, they are ready when it is, instead of adding their half second after it."""
    passwords = [secrets.token_urlsafe(12) for _ in DEMO_PANEL_STAFF]
    hashes = await asyncio.gather(*(asyncio.to_thread(hash_password, p) for p in passwords))
    return dict(zip(DEMO_PANEL_STAFF, zip(passwords, hashes, strict=True), strict=True))


async def issue_demo_passwords(
    session: AsyncSession, now: dt.datetime, made: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """Set the passwords `demo_passwords` made, to be shown once like the demo portal key
    (only their hashes are kept)."""
    for username, (_, password_hash) in made.items():
        await set_password_hash(session, username, password_hash, now)
    return {username: password for username, (password, _) in made.items()}
