"""The administrators' case summaries page filters by reference, service and state (posted,
like every filter of the panel), so a case beyond the newest 200 can be found; a filter it
cannot use is refused naming the field, the filter kept. Over HTTP through the app, SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx

from records.database import Database
from records.models import CaseState, Role
from records.vault import Vault
from tests.admin.conftest import add_panel_staff, marked, post_form, refusal, selected, sign_in
from tests.admin.test_records_pages import ig_world
from tests.api.app_fixtures import FixedClock
from tests.retention.world import add_case


async def test_an_administrator_filters_the_case_summaries(
    client: httpx.AsyncClient, database: Database, vault: Vault, clock: FixedClock
) -> None:
    world = await ig_world(database, clock())
    housing = await add_case(database, vault, world, ends_on=[dt.date(2020, 2, 29)])
    fire = await add_case(database, vault, world, ends_on=[None], service="fire-safety")
    ended = await add_case(
        database, vault, world, ends_on=[dt.date(2020, 2, 29)], state=CaseState.ENDED
    )
    refs = world.references
    await add_panel_staff(database, "panel.admin", Role.ADMIN)
    await sign_in(client, "panel.admin")

    async def shown(**given: str) -> set[str]:
        answer = await post_form(client, "/admin/cases", "/admin/cases", **given)
        assert answer.status_code == 200, given
        table = answer.text.split('data-testid="table-cases"')[1]
        return {ref for ref in refs.values() if ref in table}

    assert await shown() == set(refs.values())
    assert await shown(service="fire-safety") == {refs[fire]}
    assert await shown(state="ended") == {refs[ended]}
    assert await shown(service="housing", state="decided") == {refs[housing]}
    assert await shown(reference=refs[fire].lower()) == {refs[fire]}
    assert await shown(reference="MC-2026-NONE0-NONE0") == set()

    refused = await post_form(
        client, "/admin/cases", "/admin/cases", service="parks", state="ended"
    )
    assert refused.status_code == 400
    assert refusal(refused.text) == "Service: is not a service of this organisation"
    assert marked(refused.text) == ["filter-service"]
    assert selected(refused.text, "filter-state") == "ended"
    assert not any(ref in refused.text for ref in refs.values())
