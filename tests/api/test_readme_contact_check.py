"""The README's checkContact example, run as printed on the demonstration data: `tact demo`
prints a portal key, and the README's request body (then its LETTER and emergency
variations) answers what the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.runtime import Runtime
from records.database import Database
from tests.cli import tact, tact_env

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_body() -> dict[str, Any]:
    """The JSON after `-d` in the README's checkContact curl command."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Handling one contact: `checkContact`") :]
    (body,) = re.findall(r"-d '(\{.*?\})'\n", section[: section.index("```\n\n")], re.S)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


@pytest.fixture
def env(database_urls: tuple[str, str], key_file: Path, tmp_path: Path) -> dict[str, str | None]:
    """The `tact` command's environment: this test's databases (as tests/api/test_demo.py)."""
    return tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None)


async def test_the_readme_check_contact_example_answers_as_the_readme_says(
    env: dict[str, str | None], database: Database, runtime: Runtime
) -> None:
    demo = await tact(env, "demo")
    assert demo.exit_code == 0, demo.output
    key = re.search(r"tact_pk_\w+_[\w-]{43}", demo.output)
    assert key is not None
    body = readme_body()
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://tact.test") as client:

        async def ask(**change: Any) -> dict[str, Any]:
            contact = {**body["variables"]["contact"], **change}
            sent = {**body, "variables": {"contact": contact}}
            headers = {"Authorization": f"ApiKey {key.group(0)}"}
            response = await client.post("/graphql", json=sent, headers=headers)
            answer: dict[str, Any] = response.json()["data"]["checkContact"]
            return answer

        phone = await ask()
        to_officer = "contact by letter, to Jo Example (or Robin Example when they are away)"
        assert (phone["outcome"], phone["permittedRoute"]) == ("DECLINE", to_officer)
        assert not any("Take a message" in line for line in phone["instructions"])
        assert phone["recorded"] is True
        letter = await ask(channel="LETTER")
        assert (letter["outcome"], letter["routeTo"]) == ("ROUTE", "Jo Example")
        assert (await ask(emergency=True))["outcome"] == "PROCEED"
