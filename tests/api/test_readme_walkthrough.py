"""The README's staff walkthrough, run exactly as printed: its shell blocks, in order, in one
bash session, against a live `tact serve --demo` on the embedded default (only the port is
changed, so the test does not clash with a server someone is running)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Walk one case through, as staff"
README_ADDRESS = "127.0.0.1:8000"


def walkthrough_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """`tact serve --demo` in a fresh folder (its own tact-data), as `make run` starts it."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
    server = subprocess.Popen(
        [str(tmp_path / ".venv/bin/tact"), "serve", "--demo", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_ready(server, port)
        yield tmp_path, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_ready(server: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(1800):  # a few minutes on a busy machine
        if server.poll() is not None:
            raise AssertionError("tact serve --demo exited before it was ready")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            server_wait(server)
    raise AssertionError("tact serve --demo did not become ready")


def server_wait(server: subprocess.Popen[bytes]) -> None:
    # Waiting on the process (not sleeping on a clock): returns as soon as it exits.
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=0.1)


def test_the_readme_walkthrough_runs_as_printed(live_demo: tuple[Path, int]) -> None:
    folder, port = live_demo
    blocks = walkthrough_blocks()
    assert len(blocks) >= 5
    script = "set -euo pipefail\n" + "\n".join(blocks)
    script = script.replace(README_ADDRESS, f"127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=600,
        env={k: v for k, v in os.environ.items() if not k.startswith("TACT_")},
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
