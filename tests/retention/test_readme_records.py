"""The README's records-management walk, run exactly as printed: its first shell block, in one
bash session, in the folder of a live `tact serve --demo` (as `make run` leaves it, the
commands in a second terminal). The demo's IG officer asks for and gives approval, the job
destroys the demo case that is past its destruction date (without archiving it), its
certificate says so and holds no personal data, and the access log still verifies."""

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


def first_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks: list[str] = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return blocks[0]


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def demo_folder(tmp_path: Path) -> Iterator[Path]:
    with demo_server(tmp_path):
        yield tmp_path


def test_the_records_management_walk_runs_as_printed(demo_folder: Path) -> None:
    block = first_block()
    assert "retention run" in block and "--as demo.ig-officer" in block
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block], cwd=demo_folder, capture_output=True,
        text=True, timeout=300, env=without_tact_settings(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)

    (due,) = [line["case"] for line in lines if line.get("destroy_due") is True]
    assert "approval requested for 1 case(s)" in done.stdout
    assert "approved 1 destruction(s)" in done.stdout
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
    assert re.search(r"^OK: \d+ entries", done.stdout, flags=re.MULTILINE), done.stdout


def demo_people_details() -> list[str]:
    """Every demo person's name, reference, email and phone, as the demo loads them."""
    found: list[str] = []
    for person in demo_people(random.Random(SEED)):
        found += [v for v in (person.name, person.reference, person.email, person.phone) if v]
    return found
