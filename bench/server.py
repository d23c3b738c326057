"""The benchmark's server process: ONE uvicorn worker serving Tact's real app and the bare
route side by side, over one runtime (one database pool, one vault, one gate), and
`ServerProcess`, which bench/status.py uses to start it:

    uvicorn bench.server:create_bench_app --factory --loop uvloop --http httptools

POST /bare/status goes to the bare route (bench/bare.py), POST /plain/status to the floor
route (bench/plain.py); every other path to
api.app.create_app, exactly as `tact serve` builds it (its middleware, its JSON request log).
Settings come from TACT_* environment variables (api/settings.py), as for `tact serve`.
A path check rather than a Starlette Mount, so Tact's requests pay for no extra router.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from api.app import create_app, settle_garbage_collector
from api.logging import configure_logging
from api.runtime import Runtime
from api.settings import Settings
from bench.bare import PATH, bare_app
from bench.plain import PATH as PLAIN_PATH
from bench.plain import PlainStatus, plain_app
from records.models import utcnow


class BenchServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime: Runtime | None = None
        self.tact: Starlette | None = None
        self.bare: Starlette | None = None
        self.plain_route = PlainStatus(settings.resolved_database_url)
        self.plain: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.tact and self.bare and self.plain, "lifespan did not start"
        path = scope.get("path")
        app = self.bare if path == PATH else self.plain if path == PLAIN_PATH else self.tact
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    # The runtime is handed in, so Tact's app wires itself on first use and
                    # its own lifespan (which uvicorn would never run here) is not needed.
                    self.runtime = await Runtime.start(self.settings)
                    self.tact = create_app(self.runtime, clock=utcnow)
                    self.bare = bare_app(self.runtime, utcnow)
                    await self.plain_route.start()
                    self.plain = plain_app(self.plain_route)
                    settle_garbage_collector()  # as `tact serve` does after start-up
                except Exception as exc:
                    logging.getLogger("tact.bench").exception("bench server did not start")
                    await send({"type": "lifespan.startup.failed", "message": type(exc).__name__})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.plain_route.close()
                if self.runtime is not None:
                    await self.runtime.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_bench_app() -> BenchServer:
    """uvicorn's factory: settings from the environment, JSON logs, as `tact serve`."""
    settings = Settings()
    configure_logging(settings.log_level)
    return BenchServer(settings)


# -- the process, as bench/status.py starts it ---------------------------------------------

READY_WITHIN = 120.0  # seconds; opening the runtime migrates nothing here, so this is ample


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_of(pid: int) -> float:
    # Fields after the command name's ")": state is the 3rd field, utime the 14th.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """User and system CPU time so far of every local PostgreSQL process (Linux): the
    database server's share of a run, on a machine where it runs beside the bench. 0.0 when
    none is local."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += _cpu_of(int(entry.name))
        except OSError:  # gone since listed, or not ours to read
            continue
    return total


class ServerProcess:
    """`with ServerProcess(root, env, log_path) as server:` starts uvicorn (one worker, uvloop,
    httptools, no access log, output to `log_path`), waits for /readyz, and stops it after."""

    def __init__(
        self, root: Path, settings_env: dict[str, str], log_path: Path, *, workers: int = 1
    ) -> None:
        self.root = root
        self.workers = workers
        self.settings_env = settings_env
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> ServerProcess:
        command = [
            sys.executable, "-m", "uvicorn", "bench.server:create_bench_app", "--factory",
            "--app-dir", str(self.root), "--host", "127.0.0.1", "--port", str(self.port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--workers", str(self.workers), "--timeout-worker-healthcheck", "60",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}
        with self.log_path.open("wb") as output:
            self._process = subprocess.Popen(
                command,
                cwd=self.root,
                env={**env, **self.settings_env},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process so far, all its threads and its
        worker processes (Linux)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return sum(_cpu_of(int(pid)) for pid in [self.pid, *children])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self._process.returncode}): {self._tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)  # polling a starting server, not timing anything
        raise RuntimeError(f"the server was not ready within {READY_WITHIN:.0f} s: {self._tail()}")

    def _tail(self) -> str:
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return " | ".join(lines[-5:])

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
