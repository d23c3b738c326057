"""The README's records-management walk, run exactly as printed: its two shell blocks, in one
bash session, in the folder of a live `tact serve --demo` (as `make run` leaves it, the
commands in a second terminal). The demo's IG officer asks for and gives approval, the job
destroys the demo case that is past its destruction date (without archiving it), its
certificate says so and holds no personal data, and the access log still verifies; then
they find a case's reference, hold the case and release the hold, hold and release a
customer, and show one certificate."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.demo_data import SEED, demo_people
from tests.live_server import demo_server, without_tact_settings

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Records management"
README_ADDRESS = "127.0.0.1:8000"
HOLDS = "--- the holds block ---"


def shell_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return blocks[:2]


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def demo_folder(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    with demo_server(tmp_path) as port:
        yield tmp_path, port


def test_the_records_management_walk_runs_as_printed(demo_folder: tuple[Path, int]) -> None:
    folder, port = demo_folder
    walk, holds = shell_blocks()
    assert "retention run" in walk and "--as demo.ig-officer" in walk
    assert "hold place" in holds and "hold release" in holds
    script = f"set -euo pipefail\n{walk}\necho {HOLDS}\n{holds}"
    done = subprocess.run(
        ["bash", "-c", script.replace(README_ADDRESS, f"127.0.0.1:{port}")], cwd=folder,
        capture_output=True, text=True, timeout=300, env=without_tact_settings(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    walked, held = done.stdout.split(HOLDS)
    lines = json_lines(walked)

    (due,) = [line["case"] for line in lines if line.get("destroy_due") is True]
    assert "approval requested for 1 case(s)" in walked
    assert "approved 1 destruction(s)" in walked
    assert {"case": due, "outcome": "destroyed"} in lines
    (summary,) = [line["summary"] for line in lines if "summary" in line]
    assert summary["destroyed"] == 1 and summary["failed"] == 0

    (certificate,) = [line for line in lines if line.get("case_reference") == due]
    assert certificate["not_archived_reason"] == "past_destruction_date"
    assert certificate["archive_on"] is None and certificate["bundle_digest"] is None
    assert certificate["approved_by"] == "staff:demo.ig-officer"
    assert certificate["counts"]["cases"] == 1
    for moment in ("destroyed_at", "completed_at"):  # times as UTC, with their offset
        assert dt.datetime.fromisoformat(certificate[moment]).utcoffset() == dt.timedelta(0)
    text = json.dumps(certificate)
    for person in demo_people_details():
        assert person not in text
    assert re.search(r"^OK: \d+ entries", walked, flags=re.MULTILINE), walked

    # The holds block: the holds placed on the case found and on the quick-start customer are
    # released by the ids `hold place` printed (an unknown id would stop the script), and the
    # destroyed case's certificate is
    # found by its reference.
    assert held.splitlines().count("released") == 2, held  # the case's hold, the customer's
    assert [line["case_reference"] for line in json_lines(held)] == [due]


def demo_people_details() -> list[str]:
    """Every demo person's name, reference, email and phone, as the demo loads them."""
    found: list[str] = []
    for person in demo_people(random.Random(SEED)):
        found += [v for v in (person.name, person.reference, person.email, person.phone) if v]
    return found
