"""The retention benchmark cannot rot: small runs of bench/retention.py on SQLite, with each
case holding a real file's concerns and evidence (--files): the backlog's run destroys every
case with its certificate (without archiving it), and with --archived every case is first
archived, then destroyed; none fails, and the run's folder is removed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RATE = r"in [\d.]+ s \([\d,]+ cases/s; job CPU [\d.]+ s, [\d.]+ ms a case\)$"


def bench(folder: Path, *options: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    command = [sys.executable, "bench/retention.py", "--cases", "30", "--batch", "10"]
    command += ["--files", "--folder", str(folder), *options]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = "loaded 30 due cases (30 arrangements, 60 concerns, 90 evidence entries)"
    assert loaded in done.stdout, done.stdout
    assert re.search(r"^preview: 30 due in ", done.stdout, re.M), done.stdout
    assert list(folder.iterdir()) == []  # the run's folder is removed afterwards
    return done.stdout


def test_the_backlog_run_destroys_every_case_with_a_real_file(tmp_path: Path) -> None:
    out = bench(tmp_path)
    assert re.search(r"^run: 30 destroyed with certificates, 0 failed, " + RATE, out, re.M), out
    assert "archive" not in out


def test_the_steady_state_archives_every_case_then_destroys_it(tmp_path: Path) -> None:
    out = bench(tmp_path, "--archived")
    assert re.search(r"^archive: 30 archived, 0 failed, " + RATE, out, re.M), out
    pattern = r"^destroy archived: 30 destroyed with certificates, 0 failed, " + RATE
    assert re.search(pattern, out, re.M), out
