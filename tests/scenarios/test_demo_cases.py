"""Every demo case is real: made by the workflow's own steps, it has an office reference the
`case(reference:)` query finds, a timeline, and it opens over HTTP for the service's case
officer (assigned when the case was opened), while front-line staff are refused."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from api.app import create_app
from api.demo import load_demo
from api.demo_data import staff_username
from api.runtime import Runtime
from api.staff_tokens import LocalSigningKey
from records.case_files import CASE_REFERENCE
from records.database import Database
from records.models import Case, CaseState, Role, Service
from tests.api.app_fixtures import NOW, FixedClock

QUERY = "query C($r: String!) { case(reference: $r) { reference state timeline { step } } }"


async def test_every_demo_case_opens_by_reference_for_its_officer(
    runtime: Runtime, database: Database
) -> None:
    await load_demo(database, runtime.vault, NOW, runtime.profile)
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(Case.reference, Case.state, Service.slug)
                .join(Service, Service.id == Case.service_id)
                .where(Case.state.not_in([CaseState.DESTROYED, CaseState.ARCHIVED]))
            )
        ).all()
    settings = runtime.settings
    local = LocalSigningKey.load_or_create(settings.resolved_local_signing_key_file)

    def bearer(username: str) -> dict[str, str]:
        token = local.issue(
            username,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=NOW,
            lifetime=dt.timedelta(minutes=15),
        )
        return {"Authorization": f"Bearer {token}"}

    transport = httpx.ASGITransport(app=create_app(runtime, clock=FixedClock()))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        for reference, state, service in rows:
            assert CASE_REFERENCE.fullmatch(reference)
            officer = staff_username(service, Role.CASE_OFFICER)
            body = {"query": QUERY, "variables": {"r": reference}}
            answer = (await http.post("/graphql", json=body, headers=bearer(officer))).json()
            assert "errors" not in answer, (reference, answer)
            case = answer["data"]["case"]
            assert case["state"] == state.name
            assert case["timeline"][0]["step"] == "CASE_OPENED"
            frontline = staff_username(service, Role.FRONTLINE)
            refused = (await http.post("/graphql", json=body, headers=bearer(frontline))).json()
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
