"""What the demonstration data set is made of: services, staff, made-up people, and one
sample of each arrangement kind the profile has. Plain data; api/demo.py writes it through
Tact's storage. One description for every profile: the cases are drawn from the profile's own
catalogue and process (`demo_cases`), so `TACT_PROFILE=<theirs> tact serve --demo` shows an
organisation its own policy.

Every person is plainly fictional: surnames such as Sample and Example, email addresses under
example.org or .invalid, telephone numbers in Ofcom's 07700 900xxx drama range, and postal
addresses on made-up streets in made-up towns with postcodes in the ZZ area, which has no post
town (they pass the postcode check, records/addresses.py, and reach no one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from casework.letter_samples import SAMPLE_PARAMETERS
from casework.profiles import Profile
from records.models import ArrangementKind, CaseState, ConcernCategory, CustomerKind, Role

SEED = 20260101
SERVICES = {
    "housing": "Housing",
    "customer-services": "Customer services",
    "fire-safety": "Fire safety",
}
SERVICE_ROLES = (
    Role.FRONTLINE,
    Role.CASE_OFFICER,
    Role.MANAGER,
    Role.DECISION_MAKER,
    Role.REVIEWER,
)
MARKER_USERNAME = "demo.admin"
PORTAL_KEY_NAME = "Demo portal"
QUICK_START_EMAIL = "alex.demo@example.org"
CUSTOMER_COUNT = 45

_GIVEN = (
    "Avery", "Blake", "Casey", "Dana", "Ellis", "Finley", "Glen", "Harper", "Indy", "Jules",
    "Kai", "Lane", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
)  # fmt: skip
_SURNAMES = ("Sample", "Example", "Placeholder", "Specimen", "Fictional", "Demo")
_STREETS = (
    "Example Street", "Sample Road", "Placeholder Lane", "Specimen Close", "Fictional Avenue",
    "Demo Way", "Illustration Row",
)  # fmt: skip
_TOWNS = ("Exampletown", "Sampleton", "Placeholder Green", "Specimen Bridge")
_STAFF_GIVEN = (
    "Sam", "Jo", "Robin", "Charlie", "Frankie", "Jamie", "Kit", "Lee", "Max", "Nico",
    "Pat", "Remy", "Sky", "Toni", "Ash", "Bo", "Cam",
)  # fmt: skip
_GROUPS = (
    (CustomerKind.GROUP, "Riverside Example Residents Group"),
    (CustomerKind.GROUP, "Sample Street Tenants Forum"),
    (CustomerKind.ORGANISATION, "Example Lettings Ltd"),
    (CustomerKind.ORGANISATION, "Placeholder Community Trust"),
)


_TITLES = {
    Role.FRONTLINE: "front-line officer",
    Role.CASE_OFFICER: "case officer",
    Role.MANAGER: "service manager",
    Role.DECISION_MAKER: "senior manager",
    Role.REVIEWER: "independent reviewer",
    Role.IG_OFFICER: "information governance officer",
    Role.ADMIN: "systems administrator",
}


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    job_title: str
    role: Role
    service: str | None


@dataclass(frozen=True)
class DemoPerson:
    kind: CustomerKind
    name: str
    reference: str
    email: str | None
    phone: str | None
    address: tuple[str, ...] | None = None  # the lines, then the postcode


def demo_address(n: int) -> tuple[str, ...] | None:
    """Customer n's made-up postal address, from n alone (the seeded draws are left as they
    were); every seventh has none, as some registers hold no address."""
    if n % 7 == 0:
        return None
    street, town = _STREETS[n % len(_STREETS)], _TOWNS[n % len(_TOWNS)]
    house = f"Flat {n % 4 + 1}, {n + 10} {street}" if n % 3 == 0 else f"{n + 10} {street}"
    return (house, town, f"ZZ{n % 9 + 1} {n % 10}ZZ")


@dataclass(frozen=True)
class DemoCase:
    """One case: whose, where, in which state, and which arrangements (kind, services)."""

    person: int
    service: str
    state: CaseState
    arrangements: tuple[tuple[ArrangementKind, tuple[str, ...]], ...] = ()
    due_for_destruction: bool = False  # ended long enough ago for the retention job


def staff_username(service: str | None, role: Role) -> str:
    return f"{service or 'demo'}.{role.value.replace('_', '-')}"


def demo_staff(profile: Profile) -> list[DemoStaff]:
    """The same accounts under every profile, each with the job title the profile gives its
    role (Tact's own where it gives none)."""
    roster: list[tuple[Role, str | None]] = [
        (role, service) for service in SERVICES for role in SERVICE_ROLES
    ]
    roster += [(Role.IG_OFFICER, None), (Role.ADMIN, None)]
    staff = []
    for given, (role, service) in zip(_STAFF_GIVEN, roster, strict=True):
        title = profile.job_titles.get(role, _TITLES[role])
        staff.append(
            DemoStaff(
                username=staff_username(service, role),
                display_name=f"{given} Example",
                job_title=f"{SERVICES[service]} {title}"
                if service
                else title[:1].upper() + title[1:],
                role=role,
                service=service,
            )
        )
    return staff


def demo_people(rng: random.Random) -> list[DemoPerson]:
    """The quick-start customer first, then individuals, groups and organisations."""
    people = [
        DemoPerson(CustomerKind.INDIVIDUAL, "Alex Demo", "CUS-0001", QUICK_START_EMAIL,
                   "07700 900001", demo_address(1)),
    ]  # fmt: skip
    for n in range(2, CUSTOMER_COUNT - len(_GROUPS) + 1):
        given, surname = rng.choice(_GIVEN), rng.choice(_SURNAMES)
        domain = "example.org" if n % 3 else "mail.invalid"
        people.append(
            DemoPerson(
                CustomerKind.INDIVIDUAL,
                f"{given} {surname}",
                f"CUS-{n:04d}",
                f"{given}.{surname}.{n}@{domain}".lower() if n % 5 else None,
                f"07700 900{n:03d}" if n % 4 else None,
                demo_address(n),
            )
        )
    for kind, name in _GROUPS:
        n = len(people) + 1
        people.append(
            DemoPerson(
                kind, name, f"CUS-{n:04d}", f"contact.{n}@example.org", None, demo_address(n)
            )
        )
    return people


# One sample of each kind's typed parameters (checked by casework's validate_parameters).
PARAMETERS = SAMPLE_PARAMETERS  # the letter check renders every kind with them too
# Kinds whose handling sends contact to a named officer.
OFFICER_KINDS = frozenset(
    {
        ArrangementKind.NAMED_OFFICER,
        ArrangementKind.SUSPENDED_CONTACT,
        ArrangementKind.CONTACT_TERMINATION,
        ArrangementKind.PROACTIVE_CONTACT,
        ArrangementKind.REGULAR_MEETINGS,
    }
)

CONCERN_NOTES: dict[ConcernCategory, str] = {
    ConcernCategory.CONTACT_VOLUME: "Contact above the level the team can answer in the period.",
    ConcernCategory.REPEAT_MATTER: "The same matter raised again after the final response.",
    ConcernCategory.SCOPE_DISPUTE: "Requests outside what the service can decide.",
    ConcernCategory.CONDUCT_TOWARDS_STAFF: "Staff reported distress after recent calls.",
    ConcernCategory.SAFETY_RISK: "An incident at the office recorded on the safety form.",
    ConcernCategory.RECORDING_WITHOUT_CONSENT: "Calls recorded and shared without agreement.",
    ConcernCategory.UNSUBSTANTIATED_ALLEGATIONS: "Allegations investigated and not upheld.",
    ConcernCategory.DOCUMENT_INTEGRITY: "Copies of letters altered before being resent.",
    ConcernCategory.MULTI_CHANNEL_CONTACT: "The same request sent through several channels.",
    ConcernCategory.PROCEDURE_DISPUTE: "Disagreement with the complaints procedure itself.",
}


def demo_states(profile: Profile) -> list[CaseState]:
    """The states the profile's process passes through, in order: a warning's only where the
    policy warns first (not Merseyside, which meets the customer), a referral's where a
    referral pack goes before the decision (Portsmouth's step two), an assessment's where an
    assessment or a case conference does (Cambridgeshire's named officer, Merseyside's
    conference). Every process can open, decide, end, archive and close with no action."""
    working = {
        CaseState.WARNED: profile.warning.required,
        CaseState.REFERRED: profile.assessment.kind == "referral_pack",
        CaseState.IN_ASSESSMENT: profile.assessment.kind in ("named_assessor", "case_conference"),
    }
    return [state for state in CaseState if working.get(state, True)]


def demo_cases(profile: Profile) -> list[DemoCase]:
    """Alex's housing case; decided cases that between them use every other kind of the
    profile's catalogue; a group's and an organisation's case; then one case in every other
    state the profile's process reaches. Customers past the last case have none at all, so
    lookups of people without arrangements can be tried too."""
    services = list(SERVICES)
    kinds = [kind for kind in ArrangementKind if kind in profile.arrangement_kinds]
    quick = tuple(kind for kind in QUICK_START_KINDS if kind in kinds)
    cases = [DemoCase(0, "housing", CaseState.DECIDED, tuple((k, ("housing",)) for k in quick))]
    others = [kind for kind in kinds if kind not in quick]
    for i in range(0, len(others), 2):
        service = services[(i // 2) % len(services)]
        cases.append(
            DemoCase(
                len(cases),
                service,
                CaseState.DECIDED,
                tuple((kind, _applies_to(kind, service, profile)) for kind in others[i : i + 2]),
            )
        )
    last = CUSTOMER_COUNT - 1
    agreement = _one_of(kinds, ArrangementKind.CONTACT_AGREEMENT)
    cases.append(
        DemoCase(last, "customer-services", CaseState.DECIDED, ((agreement, (services[1],)),))
    )
    states = demo_states(profile)
    # The group's case is on its way to a decision: at the process's first step after opening.
    cases.append(DemoCase(last - 2, "housing", states[1]))
    ended_kind = _one_of(kinds, ArrangementKind.CONTACT_VOLUME)
    person = len(others) // 2 + 2
    for j, state in enumerate(s for s in states if s is not CaseState.DECIDED):
        service = services[j % len(services)]
        # No case is fabricated as destroyed: destruction deletes the rows and keeps only a
        # certificate. In its place, a case whose arrangements ended over six years ago, for
        # `tact retention preview` to show as due.
        due = state is CaseState.DESTROYED
        state = CaseState.ENDED if due else state
        ended = state in (CaseState.ENDED, CaseState.ARCHIVED)
        made = ((ended_kind, (service,)),) if ended else ()
        cases.append(DemoCase(person + j, service, state, made, due_for_destruction=due))
    return cases


def _one_of(kinds: list[ArrangementKind], wanted: ArrangementKind) -> ArrangementKind:
    """`wanted` where the profile has it, else the first kind of its catalogue."""
    return wanted if wanted in kinds else kinds[0]


def _applies_to(kind: ArrangementKind, service: str, profile: Profile) -> tuple[str, ...]:
    # A premises exclusion usually matters to the fire and rescue service as well, where the
    # profile lets an arrangement apply beyond the case's service.
    if (
        kind is ArrangementKind.PREMISES_EXCLUSION
        and service != "fire-safety"
        and profile.scope != "service"
    ):
        return (service, "fire-safety")
    return (service,)


QUICK_START_KINDS = (ArrangementKind.NAMED_OFFICER, ArrangementKind.CONTACT_CHANNEL)
