"""The README's staff walkthrough, run exactly as printed: its shell blocks, in order, in one
bash session, against a live `tact serve --demo` on the embedded default (only the port is
changed, so the test does not clash with a server someone is running)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import demo_server, without_tact_settings

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Walk one case through, as staff"
README_ADDRESS = "127.0.0.1:8000"


def walkthrough_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def live_demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """`tact serve --demo` in a fresh folder (its own tact-data), as `make run` starts it."""
    with demo_server(tmp_path) as port:
        yield tmp_path, port


def test_the_readme_walkthrough_runs_as_printed(live_demo: tuple[Path, int]) -> None:
    folder, port = live_demo
    blocks = walkthrough_blocks()
    assert len(blocks) >= 5
    script = "set -euo pipefail\n" + "\n".join(blocks)
    script = script.replace(README_ADDRESS, f"127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=600,
        env=without_tact_settings(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert '"errors"' not in out, out
    assert re.search(r"^MC-\d{4}-[0-9A-Z]{5}-[0-9A-Z]{5}$", out, flags=re.MULTILINE), out
    for step in ("CONCERN_RECORDED", "SAFEGUARDS_RECORDED", "WARNING_ISSUED", "DECIDED"):
        assert f'"step":"{step}"' in out
    assert '"state":"DECIDED"' in out and '"appealDeadline"' in out
    assert '"outcome":"ROUTE","routeTo":"Jo Example","deputy":"Robin Example"' in out
    assert '"outcome":"PROCEED"' in out
    # The timeline: every step taken, in order, as the case's history.
    (timeline,) = re.findall(r'\{"data":\{"case":\{"timeline":.*', out)
    # curl prints no line break after an answer: the next block's answer may follow on its line.
    answer, _ = json.JSONDecoder().raw_decode(timeline)
    steps = [event["step"] for event in answer["data"]["case"]["timeline"]]
    assert steps[-4:-1] == ["SAFEGUARDS_RECORDED", "WARNING_ISSUED", "STAFF_ASSIGNED"]
    assert steps[-1] == "DECIDED"
    # The decision letter, recorded as sent: it tells the customer how their contact will be
    # handled, in their terms, not what staff are told to do with it.
    assert "Dear Casey Walkthrough," in out
    # It opens with the address openCase was given: the name, its lines, the postcode, under
    # the organisation's name and above the date.
    assert (
        "Default organisation\n\nCasey Walkthrough\n1 Example Street\nExampletown\nZZ1 1ZZ\n\n"
    ) in out
    assert out.index("ZZ1 1ZZ\n") < out.index("Dear Casey Walkthrough,")
    assert (
        "- Your contact will be dealt with by Jo Example (or Robin Example when they are "
        "away). If you contact someone else, they will take a message and pass it on. This "
        "applies to your contact with: Housing.\n"
    ) in out
    assert "Take a message; do not deal with the matter" not in out
    # The attachment: added, listed, and read back as the file that was sent.
    assert '"step":"ATTACHMENT_ADDED"' in out
    assert '"filename":"call-note.txt","mediaType":"text/plain","sizeBytes":64' in out
    assert out.rstrip().endswith("read back intact")
