"""`tact` run from a test in this process: one copy of the environment that points a command
at the test's databases, key file and data folder, and of running the command."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from api.cli import main

Env = dict[str, str | None]  # None: the variable is unset for the command


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
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env, input=given)
