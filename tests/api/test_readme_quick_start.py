"""The README's one-minute quick start, run as printed: `tact serve --demo` (as `make run`
starts it) prints a portal key, and the README's two curl commands (the registered document
by its id, then the same query as text) answer what the README says, byte for byte alike;
then a staff token lists the case references the rest of the README takes.
The same live server shows the edge at work over real HTTP: the request id echoed, the
security headers, and the request's one log line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx

from tests.live_server import demo_server, without_tact_settings

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## One-minute quick start"
README_ADDRESS = "127.0.0.1:8000"
KEY_LINE = "KEY=tact_pk_...   # the portal key printed by `make run`"
MARKER = "--- next block ---"
REFERENCE = re.compile(r"MC-\d{4}-[0-9A-Z]{5}-[0-9A-Z]{5}")


def quick_start_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)[:3]


def test_the_quick_start_answers_as_the_readme_says(tmp_path: Path) -> None:
    output = tmp_path / "serve.log"
    with demo_server(tmp_path, output=output) as port:
        (key,) = set(re.findall(r"tact_pk_[a-z0-9]{10}_[A-Za-z0-9_-]{43}", output.read_text()))
        blocks = quick_start_blocks()
        assert KEY_LINE in blocks[0]
        # The blocks in one shell, as a person types them into one terminal.
        script = f"\necho\necho {MARKER}\n".join(blocks).replace(KEY_LINE, f"KEY={key}")
        script = "set -euo pipefail\n" + script.replace(README_ADDRESS, f"127.0.0.1:{port}")
        done = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env=without_tact_settings(),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        answers = [part.strip() for part in done.stdout.split(MARKER)]

        by_id = json.loads(answers[0])["data"]["restrictionStatus"]
        assert answers[0] == answers[1]  # the id and the text: the same answer, byte for byte
        assert by_id["service"] == "housing" and by_id["restricted"] is True
        kinds = {a["kind"]: a["handlingInstructions"] for a in by_id["arrangements"]}
        assert set(kinds) == {"NAMED_OFFICER", "CONTACT_CHANNEL"}
        assert kinds["NAMED_OFFICER"].startswith("Pass the contact to Jo Example")
        assert "Robin Example" in kinds["NAMED_OFFICER"]
        assert kinds["CONTACT_CHANNEL"].startswith("Contact is by letter only")
        cases = json.loads(answers[2])["data"]["cases"]["edges"]
        assert cases and all(REFERENCE.fullmatch(c["node"]["reference"]) for c in cases)

        # The edge, over real HTTP: an id of the caller's kept and echoed, the headers every
        # API answer carries, and one log line for the request naming that id.
        sent = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"ApiKey {key}", "X-Request-ID": "quick-start-check"},
        )
    assert sent.status_code == 200
    headers = sent.headers
    assert headers["x-request-id"] == "quick-start-check"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["cache-control"] == "no-store"
    lines = [json.loads(line) for line in output.read_text().splitlines() if line.startswith("{")]
    (logged,) = [line for line in lines if line.get("request_id") == "quick-start-check"]
    assert logged["event"] == "request" and logged["path"] == "/graphql"
    assert logged["status"] == 200
    assert set(logged) == {
        *("time", "level", "logger", "message", "event"),
        *("method", "path", "status", "duration_ms", "request_id"),
    }
    # The lookups above asked about a person by email: no log line says whom (the banner
    # `make run` prints before serving shows the made-up address in its sample command).
    assert not [line for line in lines if "alex.demo@example.org" in json.dumps(line)]
