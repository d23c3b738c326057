"""Start-up: open the case database, the key store and the key file from settings, check
that they belong together, and hand the parts to the app, the CLI and the jobs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from api.settings import Settings
from records.crypto import KeyRing
from records.database import Database
from records.errors import TactError
from records.migrate import head_revision, is_up_to_date, upgrade
from records.vault import Vault

log = logging.getLogger("tact.startup")


class StartupError(TactError):
    code = "STARTUP"


@dataclass
class Runtime:
    settings: Settings
    database: Database
    vault: Vault

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool | None = None) -> Runtime:
        """Open everything. `migrate` defaults to True on the embedded SQLite default and
        False elsewhere: a PostgreSQL schema is upgraded by `tact db upgrade`, on purpose."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ring = load_or_create_key_ring(settings)
        database = Database.open(settings.resolved_database_url, settings.resolved_keystore_url)
        try:
            if migrate if migrate is not None else settings.embedded:
                await asyncio.to_thread(upgrade, settings.resolved_database_url)
            elif not await is_up_to_date(database):
                raise StartupError(
                    "the case database schema is not at the current revision "
                    f"({head_revision()}): run `tact db upgrade` first"
                )
            await database.keystore.create_schema()
            key_file = settings.resolved_key_file
            vault = Vault(ring, database.keystore, reload_ring=lambda: KeyRing.load(key_file))
            await vault.check_keys()
        except BaseException:
            await database.dispose()
            raise
        return cls(settings=settings, database=database, vault=vault)

    async def close(self) -> None:
        await self.database.dispose()


def load_or_create_key_ring(settings: Settings) -> KeyRing:
    path = settings.resolved_key_file
    if not path.exists() and settings.key_file is None:
        KeyRing.create_file(path)
        log.warning(
            "generated a local key file for the embedded default; it is for local use only, "
            "keep it apart from backups of the data and set TACT_KEY_FILE in production",
            extra={"event": "key_file_generated", "path": str(path)},
        )
    return KeyRing.load(path)
