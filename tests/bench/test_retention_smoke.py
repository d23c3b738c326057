"""The retention benchmark cannot rot: a small run of bench/retention.py on SQLite, with each
case holding a real file's concerns and evidence (--files), destroys every case with its
certificate and fails none."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_retention_benchmark_destroys_every_case_with_a_real_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    command = [sys.executable, "bench/retention.py", "--cases", "30", "--batch", "10"]
    command += ["--files", "--folder", str(tmp_path)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr
    loaded = "loaded 30 due cases (30 arrangements, 60 concerns, 90 evidence entries)"
    assert loaded in done.stdout, done.stdout
    assert re.search(r"^preview: 30 due in ", done.stdout, re.M), done.stdout
    assert re.search(r"^run: 30 destroyed with certificates, 0 failed, ", done.stdout, re.M)
    assert list(tmp_path.iterdir()) == []  # the run's folder is removed afterwards
