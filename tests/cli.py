"""`tact` run from a test: one copy of the environment that points a command at the test's
databases, key file and data folder, and of running the command, in this process or as a
process of its own."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from api.cli import main

Env = dict[str, str | None]  # None: the variable is unset for the command
TACT = str(Path(sys.executable).parent / "tact")  # the command the install put beside python


def tact_env(
    database_urls: tuple[str, str], key_file: Path, tmp_path: Path, **settings: str | None
) -> Env:
    """The settings a command sees: the test's databases and key file, a data folder in
    `tmp_path`, and `settings` (TACT_PROFILE="default", TACT_JWKS=None, ...)."""
    cases_url, keys_url = database_urls
    return {
        "TACT_DATA_DIR": str(tmp_path / "data"),
        "TACT_DATABASE_URL": cases_url,
        "TACT_KEYSTORE_URL": keys_url,
        "TACT_KEY_FILE": str(key_file),
        **settings,
    }


async def tact(env: Env, *args: str, given: str | None = None) -> Result:
    """`tact *args` with `env`, `given` as its standard input. The commands call asyncio.run
    themselves, so they run in a worker thread."""
    env = {**_PUT_BACK, **env}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env, input=given)


# What `serve --demo` switches on in the process's environment (api/cli_serve.py): named in
# every command's `env`, so the runner puts them back after it and no later test in this
# process starts with GraphiQL and introspection on.
_PUT_BACK: Env = dict.fromkeys(("TACT_GRAPHIQL", "TACT_INTROSPECTION"), None)


@dataclass(frozen=True)
class Exited:
    code: int  # negative: killed by that signal
    out: bytes
    err: bytes


async def tact_process(env: Env, *args: str) -> Exited:
    """`tact *args` as a process of its own, the installed command with `env` over this
    process's environment: for what only a real process shows (a kill -9, two at once)."""
    merged = {**os.environ, **env}
    process = await asyncio.create_subprocess_exec(
        TACT,
        *args,
        env={name: value for name, value in merged.items() if value is not None},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Exited(process.returncode, out, err)
