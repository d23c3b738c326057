"""The README's warning about GraphiQL stays true and stays said: the page Tact serves (only
in development, `--demo`) copies the query and its variables into the address bar, so a
lookup's email would reach the browser's history; the README says to use it with demo data
only. Operations themselves still run from POST only (tests/api/test_app.py)."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_graphiql_writes_the_query_into_the_address_as_the_readme_warns(
    runtime: Runtime, clock: FixedClock
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"graphiql": True})
    transport = httpx.ASGITransport(app=create_app(runtime, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "history.replaceState" in page.text  # how the page puts its query in the URL
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "copies the query and its variables (a lookup's email, say) into the browser's" in readme
    assert "use it with demo data only" in readme
