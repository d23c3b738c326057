"""A live Tact for the browser tests: `tact demo` and `tact serve` run as subprocesses on a
fresh embedded default, as the README tells a person to run them."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TACT = str(Path(sys.executable).with_name("tact"))
PANEL_PASSWORD = "lock-out test password"
_PASSWORD_LINE = re.compile(r"sign in as (\S+) with password (\S+)")
_KEY_LINE = re.compile(r"^\s+(tact_pk_\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Live:
    url: str
    folder: Path
    passwords: dict[str, str]
    portal_key: str

    def cases(self) -> list[tuple[str, str]]:
        """(id, reference) of every case, read from the embedded default's file."""
        with sqlite3.connect(self.folder / "tact-data" / "cases.db") as db:
            return [(row[0], row[1]) for row in db.execute("SELECT id, reference FROM cases")]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}


def _tact(folder: Path, *args: str, given: str | None = None) -> str:
    done = subprocess.run(
        [TACT, *args], cwd=folder, env=_env(), input=given, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_tact(folder: Path) -> Iterator[Live]:
    """Load the demo (printing the panel passwords and a portal key), add a member of staff
    for the lock-out test, then serve until the block ends."""
    printed = _tact(folder, "demo")
    passwords = dict(_PASSWORD_LINE.findall(printed))
    key = _KEY_LINE.search(printed)
    assert key and passwords, "tact demo did not print the panel passwords and a portal key"
    _tact(folder, "staff", "add", "lockout.tester", "--name", "Lockout Tester", "--role", "admin")
    _tact(
        folder, "staff", "set-password", "lockout.tester",
        given=f"{PANEL_PASSWORD}\n{PANEL_PASSWORD}\n",
    )  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [TACT, "serve", "--port", str(port)], cwd=folder, env=_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stderr is not None
        for line in server.stderr:  # blocks until uvicorn says it listens (or exits)
            if "Uvicorn running" in line:
                break
        else:
            raise AssertionError("tact serve stopped before it was listening")
        # Keep reading, so a full pipe never stalls the server.
        drain = threading.Thread(target=server.stderr.read, daemon=True)
        drain.start()
        yield Live(f"http://127.0.0.1:{port}", folder, passwords, key.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
