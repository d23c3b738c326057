"""Structured logs: one JSON line per request with method, path, status, duration and request
id; never a body, a variable or personal data, even when a request fails."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.logging import JsonFormatter, with_request_id
from api.runtime import Runtime
from tests.api.app_fixtures import FixedClock
from tests.api.portal_world import EMAIL, api_key, build_portal_world

STATUS = """
query Status($lookup: RestrictionLookup!) {
  restrictionStatus(lookup: $lookup, service: "housing") { restricted }
}
"""


def formatted(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The server's log lines (the test's own httpx client logs the URLs it calls)."""
    formatter = JsonFormatter()
    return [formatter.format(r) for r in caplog.records if not r.name.startswith("httpx")]


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in formatted(caplog)]
    return [line for line in lines if line.get("event") == "request"]


async def test_one_line_per_request_with_what_an_operator_needs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await client.get("/healthz", headers={"X-Request-ID": "req-1"})
    await client.post("/graphql", json={"query": "{ __typename }"})

    first, second = request_lines(caplog)
    assert first["method"] == "GET" and first["path"] == "/healthz"
    assert first["status"] == 200 and first["request_id"] == "req-1"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert (second["method"], second["path"], second["status"]) == ("POST", "/graphql", 200)
    assert first["logger"] == "tact.request" and first["level"] == "info"


async def test_every_line_logged_while_serving_a_request_carries_its_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # As configure_logging sets up the server's handler: the request id filled in.
    caplog.handler.addFilter(with_request_id)
    caplog.set_level(logging.INFO)
    refused = await client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"lookup": {"email": EMAIL}}},
        headers={"Authorization": "ApiKey tact_pk_notakey", "X-Request-ID": "req-refused"},
    )
    logging.getLogger("tact").info("after the request")

    assert refused.status_code == 401
    lines = {line["message"]: line for line in map(json.loads, formatted(caplog))}
    # Why the credentials were refused, findable by the id the caller was given.
    assert lines["credentials refused"]["request_id"] == "req-refused"
    assert lines["credentials refused"]["reason"] == "malformed"
    assert lines["request"]["request_id"] == "req-refused"
    assert "request_id" not in lines["after the request"]


async def test_an_unknown_path_is_not_written_to_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await client.get("/customers/alex.demo@example.org")

    assert response.status_code == 404
    (line,) = request_lines(caplog)
    assert line["path"] == "other" and line["status"] == 404
    assert "alex.demo" not in "\n".join(formatted(caplog))


async def test_lookups_good_bad_and_failing_leave_no_personal_data_in_the_log(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await build_portal_world(runtime, clock.now)
    caplog.set_level(logging.DEBUG)
    sent = [
        {"email": EMAIL},
        {"email": "not-an-address.canary-4417"},
        {"phone": "canary phone 4417"},
        {"email": EMAIL, "phone": "07700 900417"},
        {"bogus": "canary-field-4417"},
    ]
    for lookup in sent:
        await client.post(
            "/graphql",
            json={"query": STATUS, "variables": {"lookup": lookup}},
            headers=api_key(world.housing_key),
        )

    text = "\n".join(formatted(caplog))
    assert len(request_lines(caplog)) == len(sent)
    # Only tokens that cannot occur in a hex request id: "4417" alone once matched one.
    for leak in (EMAIL, "canary", "900417", world.housing_key, "query Status"):
        assert leak not in text


def test_an_exception_is_logged_as_its_type_and_frames_only() -> None:
    try:
        raise ValueError("contains alex.demo@example.org")
    except ValueError as exc:
        record = logging.LogRecord(
            "tact.test", logging.ERROR, __file__, 1, "failed", None, (ValueError, exc, None)
        )
        record.exc_info = (ValueError, exc, exc.__traceback__)

    line = json.loads(JsonFormatter().format(record))

    assert line["exception"]["type"] == "ValueError"
    assert any("test_logging.py" in frame for frame in line["exception"]["frames"])
    assert "alex.demo" not in json.dumps(line)


# One formatter writes many lines a second, with times in order and out of it (threads).
_FORMATTER = JsonFormatter()


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_a_line_s_time_reads_as_datetime_writes_it(created: float) -> None:
    record = logging.LogRecord("tact.test", logging.INFO, "", 0, "m", None, None)
    record.created = created

    line = json.loads(_FORMATTER.format(record))

    assert line["time"] == dt.datetime.fromtimestamp(created, dt.UTC).isoformat(
        timespec="milliseconds"
    )
