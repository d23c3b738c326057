"""A developer without a PostgreSQL server is told plainly that the PostgreSQL half did not run,
and how much of it: the suite run as `make test` runs it (two pytest-xdist workers), without
TACT_TEST_DATABASE_URL, on one module whose storage tests run on both databases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_run_says_how_many_postgresql_tests_did_not_run() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TACT_TEST_DATABASE_URL"}
    command = [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider"]
    command += ["tests/records/test_shred.py"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    counts = re.search(r"(\d+) passed, (\d+) skipped", done.stdout)
    assert counts is not None, done.stdout[-3000:]
    passed, skipped = int(counts.group(1)), int(counts.group(2))
    # Every test in the module runs once per database: the SQLite ones passed, the others not.
    assert skipped == passed > 0
    assert (
        f"PostgreSQL half SKIPPED: TACT_TEST_DATABASE_URL is not set, so {skipped} "
        "PostgreSQL test(s) did not run." in done.stdout
    )
