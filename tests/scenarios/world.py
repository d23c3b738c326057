"""A small organisation for scenario tests, run the way staff run Tact: the app over HTTP on
the test's databases, with one policy profile (TACT_PROFILE), and a bearer token per member
of staff, issued at the moment of each request (the tests move the clock by months).

Staff (all in housing): an officer, a manager, two decision makers (the first is also a
reviewer, so appeal independence is refused by who decided, not by role), a reviewer, and a
front-line officer; and a manager in every service who is also an IG officer (Portsmouth's
city helpdesk manager). `Walk` sends one GraphQL document per step and reads the answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.app import create_app
from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from authz.portal_keys import create_portal_key
from casework.profiles import load_profile
from records.days import uk_day
from records.models import Role, Service
from records.staff import add_staff, grant_role
from tests.api.app_fixtures import FixedClock, app_settings

T = TypeVar("T")
Attempt = Coroutine[Any, Any, T]  # one request of several sent at once (`at_once`)

SERVICES = ("housing", "fire-safety")
STAFF: dict[str, tuple[tuple[Role, str | None], ...]] = {
    "officer": ((Role.CASE_OFFICER, "housing"),),
    "manager": ((Role.MANAGER, "housing"),),
    "decider": ((Role.DECISION_MAKER, "housing"), (Role.REVIEWER, "housing")),
    "other.decider": ((Role.DECISION_MAKER, "housing"),),
    "reviewer": ((Role.REVIEWER, "housing"),),
    "frontline": ((Role.FRONTLINE, "housing"), (Role.FRONTLINE, "fire-safety")),
    "helpdesk": ((Role.MANAGER, None), (Role.IG_OFFICER, None)),
}
CASE_FIELDS = "case { reference state restrictionsEndedOn }"
EVENT_FIELDS = "event { seq step actor details }"


def mutation(name: str) -> str:
    """The document for one workflow step: `recordConcern` takes RecordConcernInput."""
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation Step($reference: String!, $input: {input_type}!) "
        f"{{ {name}(reference: $reference, input: $input) {{ {CASE_FIELDS} {EVENT_FIELDS} }} }}"
    )


OPEN_CASE = (
    "mutation Open($service: String!, $input: OpenCaseInput!) "
    f"{{ openCase(service: $service, input: $input) {{ {CASE_FIELDS} {EVENT_FIELDS} }} }}"
)

UPDATES_LOGGED = (
    "query L($filter: AccessLogFilter) { accessLog(filter: $filter) "
    "{ edges { node { actor outcome } } } }"
)


class Refused(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.code = error.get("extensions", {}).get("code")
        self.field = error.get("extensions", {}).get("field")
        self.message = str(error.get("message"))


@dataclass
class Walk:
    client: httpx.AsyncClient
    runtime: Runtime
    clock: FixedClock
    portal_key: str
    reference: str = ""

    def token(self, username: str) -> str:
        settings = self.runtime.settings
        local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)
        return local.issue(
            username, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
            now=self.clock(), lifetime=dt.timedelta(minutes=15),
        )  # fmt: skip

    def on(self, day: dt.date) -> None:
        """Move the clock to 10:00 UTC on `day`."""
        self.clock.now = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)

    def at(self, moment: dt.datetime) -> None:
        """Move the clock to `moment` (timezone-aware): a time of day that matters."""
        self.clock.now = moment.astimezone(dt.UTC)

    @property
    def today(self) -> dt.date:
        """Today in the UK, as Tact counts it."""
        return uk_day(self.clock())

    async def graphql(self, who: str, document: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {self.token(who)}"},
        )
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise Refused(body["errors"][0])
        data: dict[str, Any] = body["data"]
        return data

    async def open(
        self, who: str, customer: dict[str, Any], service: str = "housing", **extra: Any
    ) -> dict[str, Any]:
        data = await self.graphql(
            who, OPEN_CASE, service=service, input={"customer": customer, **extra}
        )
        self.reference = data["openCase"]["case"]["reference"]
        result: dict[str, Any] = data["openCase"]
        return result

    async def open_refused(
        self, who: str, customer: dict[str, Any], service: str = "housing"
    ) -> Refused:
        try:
            await self.graphql(who, OPEN_CASE, service=service, input={"customer": customer})
        except Refused as refused:
            return refused
        raise AssertionError("openCase was not refused")

    async def step(self, who: str, name: str, /, **given: Any) -> dict[str, Any]:
        data = await self.graphql(who, mutation(name), reference=self.reference, input=given)
        result: dict[str, Any] = data[name]
        return result

    async def refused(self, who: str, name: str, /, **given: Any) -> Refused:
        try:
            await self.step(who, name, **given)
        except Refused as refused:
            return refused
        raise AssertionError(f"{name} was not refused")

    async def refused_to_portal(self, name: str, /, **given: Any) -> dict[str, Any]:
        """The error the housing portal gets taking the step `name` on the walk's case."""
        response = await self.client.post(
            "/graphql",
            json={
                "query": mutation(name),
                "variables": {"reference": self.reference, "input": given},
            },
            headers={"Authorization": f"ApiKey {self.portal_key}"},
        )
        error: dict[str, Any] = response.json()["errors"][0]
        return error

    async def updates_logged(self) -> list[tuple[str, str]]:
        """The access log's `update_case` entries for the walk's case, newest first: (actor,
        outcome)."""
        data = await self.graphql(
            "helpdesk",
            UPDATES_LOGGED,
            filter={"caseRef": self.reference, "operation": "update_case"},
        )
        return [(e["node"]["actor"], e["node"]["outcome"]) for e in data["accessLog"]["edges"]]

    async def timeline(self, who: str) -> list[dict[str, Any]]:
        data = await self.graphql(
            who,
            "query T($r: String!) { case(reference: $r) { timeline { seq step actor details } } }",
            r=self.reference,
        )
        events: list[dict[str, Any]] = data["case"]["timeline"]
        return events

    async def deadlines(self, who: str, **filters: Any) -> list[dict[str, Any]]:
        data = await self.graphql(
            who,
            "query D($service: String, $officer: String) { deadlines(service: $service, "
            "officer: $officer) { edges { node { reference kind dueOn overdue } } } }",
            **filters,
        )
        return [edge["node"] for edge in data["deadlines"]["edges"]]


async def build_organisation(runtime: Runtime, now: dt.datetime) -> str:
    """Services and staff; returns a portal key for housing."""
    async with runtime.database.sessions() as session, session.begin():
        session.add_all(
            Service(id=uuid.uuid4(), slug=slug, name=slug.replace("-", " ").title())
            for slug in SERVICES
        )
        await session.flush()
        for username, grants in STAFF.items():
            name = username.replace(".", " ").title()
            await add_staff(session, username=username, display_name=f"{name} Example", now=now)
            for role, service in grants:
                await grant_role(session, username=username, role=role, service=service, now=now)
        portal = await create_portal_key(
            session, name="Housing portal", services=["housing"], now=now
        )
    return portal.key


@dataclass
class Organisation:
    runtime: Runtime
    app: Starlette


async def walk_for(
    profile: str,
    tmp_path: Path,
    database_urls: tuple[str, str],
    key_file: Path,
    start: dt.date,
    **changes: Any,
) -> AsyncIterator[Walk]:
    """The app on this test's databases under `profile` (and `changes` to the settings), the
    organisation in it, and a Walk."""
    clock = FixedClock(dt.datetime.combine(start, dt.time(10, 0), tzinfo=dt.UTC))
    settings = app_settings(tmp_path, database_urls, key_file, profile=profile, **changes)
    runtime = await Runtime.start(settings, migrate=False)
    try:
        portal_key = await build_organisation(runtime, clock())
        app = create_app(runtime, clock=clock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
            yield Walk(http, runtime, clock, portal_key)
    finally:
        await runtime.close()


def safeguards(profile: str) -> list[dict[str, object]]:
    """Every safeguard the profile names, answered as met."""
    return [{"item": s, "met": True} for s in load_profile(profile).decision.safeguards]


async def notify(walk: Walk, subject: str) -> None:
    """The letter about `subject` (WARNING, DECISION, REVIEW, APPEAL, ENDED), sent today: what
    the step before it made due."""
    await walk.step(
        "officer", "recordNotification", subject=subject, sentOn=walk.today.isoformat(),
        format="LETTER",
    )  # fmt: skip


async def prelude(walk: Walk, email: str = "morgan.sample@example.org") -> None:
    """Open a case, record a concern and its evidence, and assign the decision maker."""
    await walk.open("officer", {"email": email, "name": "Morgan Sample"})
    await walk.step(
        "officer", "recordConcern", category="CONTACT_VOLUME",
        description="Several calls a day about the same repair.",
    )  # fmt: skip
    await walk.step(
        "officer", "recordEvidence", channel="PHONE", occurredOn="2026-01-05",
        summary="Six calls on one day.",
    )  # fmt: skip
    await walk.step("manager", "assignStaff", username="decider", relation="DECISION_MAKER")


async def warned(walk: Walk, profile: str = "default") -> None:
    """The prelude, every safeguard met and a warning issued: a decision may follow."""
    await prelude(walk)
    await walk.step("officer", "recordSafeguards", checks=safeguards(profile))
    await walk.step("officer", "issueWarning", reasons="Contact at the same level.")


def decision(starts_on: dt.date, *arrangements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A decision's input: for a year, as the customer is told (`durationMonths`), and who
    was consulted where the policy decides in consultation (`consulted`)."""
    return {
        "reasons": "Contact continued at the same level after the warning.",
        "arrangements": list(arrangements) or [NAMED_OFFICER, LETTERS_ONLY],
        "startsOn": starts_on.isoformat(),
        "durationMonths": 12,
        "consulted": "The officer the policy names, by job title.",
        **extra,
    }


NAMED_OFFICER = {"kind": "NAMED_OFFICER", "namedOfficer": "officer", "deputyOfficer": "manager"}
# RCT 5.1 Stage 1: the Head of Service's warning, "in consultation with Service Director".
STAGE_ONE = {"reasons": "Stage 1: the contact described.", "consulted": "Service Director"}
LETTERS_ONLY = {"kind": "CONTACT_CHANNEL", "parameters": {"channels": ["letter"]}}


CHECKED = ("allowed", "routed", "filed", "declined", "emergency")
CLOSED_REPAIR = {"kind": "CLOSED_MATTER", "parameters": {"matters": ["2025 repair claim"]}}
CHECK = (
    "query Check($contact: ContactInput!) { checkContact(contact: $contact) "
    "{ outcome routeTo permittedRoute recorded } }"
)
QUEUE = (
    'query Q { screeningQueue(service: "housing") '
    "{ edges { node { contactId caseReference matter } } } }"
)
SCREEN = (
    "mutation S($input: ScreenContactInput!) { markContactScreened(input: $input) "
    "{ newMatter referralReference } }"
)


async def contact_battery(walk: Walk, email: str = "morgan.sample@example.org") -> dict[str, Any]:
    """checkContact for a contact allowed (another service), routed (a letter), filed (about
    a closed matter), declined (a call) and an emergency, from front-line staff; then the
    filed one screened by the case officer as raising a new matter. Needs the arrangements
    NAMED_OFFICER, LETTERS_ONLY and CLOSED_REPAIR in force."""
    contacts = {
        "allowed": {"service": "fire-safety", "channel": "PHONE"},
        "routed": {"service": "housing", "channel": "LETTER"},
        "filed": {"service": "housing", "channel": "LETTER", "matter": "2025 repair claim"},
        "declined": {"service": "housing", "channel": "PHONE"},
        "emergency": {"service": "housing", "channel": "PHONE", "emergency": True},
    }
    answers = {}
    for name, contact in contacts.items():
        data = await walk.graphql(
            "frontline", CHECK, contact={"lookup": {"email": email}, **contact}
        )
        answers[name] = data["checkContact"]
    queue = (await walk.graphql("officer", QUEUE))["screeningQueue"]["edges"]
    assert [(e["node"]["caseReference"], e["node"]["matter"]) for e in queue] == [
        (walk.reference, "2025 repair claim")
    ]
    screened = await walk.graphql(
        "officer", SCREEN, input={
            "contactId": queue[0]["node"]["contactId"], "newMatter": True,
            "referralReference": "COMP-2026-014",
        },
    )  # fmt: skip
    answers["screened"] = screened["markContactScreened"]
    answers["queue_after"] = (await walk.graphql("officer", QUEUE))["screeningQueue"]["edges"]
    return answers


async def routed_and_emergency(walk: Walk, email: str = "morgan.sample@example.org") -> list[str]:
    """checkContact for a call to housing and for an emergency call, from front-line staff."""
    outcomes = []
    for emergency in (False, True):
        contact = {"lookup": {"email": email}, "service": "housing", "channel": "PHONE"}
        data = await walk.graphql("frontline", CHECK, contact={**contact, "emergency": emergency})
        outcomes.append(data["checkContact"]["outcome"])
    return outcomes


async def until_waiting(engine: AsyncEngine, count: int) -> None:
    """Wait (up to 30 s) until `count` transactions on this PostgreSQL database wait for a
    lock: what a test holding one (LOCK TABLE) waits for before letting them go on."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(3000):
        async with engine.connect() as watcher:
            if await watcher.scalar(waiting) >= count:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} transactions did not reach the lock")


async def at_once(engine: AsyncEngine, table: str, attempts: Sequence[Attempt[T]]) -> list[T]:
    """Run `attempts` at once and answer what each returned. On PostgreSQL they are held
    (LOCK TABLE `table` IN SHARE MODE) until every one waits, at its write to `table` or at a
    lock it takes before, then let go: the moment two requests could both have read before
    either wrote. SQLite takes one writer at a time (BEGIN IMMEDIATE): each sees those before."""
    if engine.dialect.name != "postgresql":
        return list(await asyncio.gather(*attempts))
    async with engine.connect() as holder:
        await holder.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
        started = [asyncio.create_task(attempt) for attempt in attempts]
        await until_waiting(engine, len(started))
        await holder.commit()
        return list(await asyncio.gather(*started))
