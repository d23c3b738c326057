"""The soak script cannot rot: bench/soak.py for a few seconds on SQLite, at a low rate, must
answer every request right, keep its memory, verify the access log and say so."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_passes_and_prints_its_figures() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    command = [sys.executable, "bench/soak.py", "--minutes", "0.1", "--rate", "10"]
    command += ["--customers", "200"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    sent = re.search(r"^requests: (\d+) in \d+ s", done.stdout, re.M)
    assert sent and int(sent.group(1)) >= 50
    assert f"statuses: 200: {sent.group(1)}; 5xx: 0; wrong: 0; errors: 0" in done.stdout
    assert re.search(r"growth after warm-up [+-]\d+\.\d %", done.stdout)
    assert f"{sent.group(1)} allowed status entries for {sent.group(1)} successful" in done.stdout
    assert "access log: OK" in done.stdout
