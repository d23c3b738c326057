"""A live `tact serve` in its own process, started and stopped the way the tests that need a
real server (the README walkthrough, workers, faults, abuse) all do it: one copy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TACT = str(Path(sys.executable).with_name("tact"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def without_tact_settings() -> dict[str, str]:
    """This process's environment with no TACT_ setting, as a person's shell has it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TACT_")}


@contextlib.contextmanager
def demo_server(
    folder: Path, *args: str, env: dict[str, str] | None = None, output: Path | None = None
) -> Iterator[int]:
    """`tact serve --demo` (plus `args`) in `folder`, a fresh folder with its own tact-data,
    as `make run` starts it; yields the port once every worker is ready. Its output goes to
    `output` when given."""
    (folder / ".venv").symlink_to(Path(sys.prefix))
    port = free_port()
    command = [str(folder / ".venv/bin/tact"), "serve", "--demo", *args, "--port", str(port)]
    with contextlib.ExitStack() as files:
        out = files.enter_context(output.open("wb")) if output else subprocess.DEVNULL
        server = subprocess.Popen(
            command, cwd=folder, env=env if env is not None else without_tact_settings(),
            stdout=out, stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
        )  # fmt: skip
    try:
        _wait_until_ready(server, port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_until_ready(server: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(3000):  # a few minutes on a busy machine (a bound, not an assertion)
        if server.poll() is not None:
            raise AssertionError("tact serve exited before it was ready")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            # Waiting on the process (not sleeping on a clock): returns as soon as it exits.
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=0.1)
    raise AssertionError("tact serve did not become ready")


@contextlib.asynccontextmanager
async def tact_serve(
    env: dict[str, str], workers: int = 1
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """`tact serve` in its own process from the repository, as the README runs it; yields
    its base URL and the process (with one worker, uvicorn serves in that process itself)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        TACT,
        "serve",
        "--port",
        str(port),
        cwd=ROOT,
        env={**os.environ, **env, "TACT_WORKERS": str(workers)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its own process group: workers go with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            for _ in range(2400):  # until it listens (a bound on start-up, not an assertion)
                try:
                    if (await http.get("/healthz")).is_success:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("tact serve did not start")
        yield base, process
    finally:
        # A test may have killed it already: reaped before asyncio noted its return code,
        # its group is gone and killpg finds nothing to kill.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
