"""Puts the admin panel (admin/) on the app at /admin: its session key from a key file, its
clock, its idle timeout, and the running process's parts once the runtime is open."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from admin.panel import PanelConfig, PanelParts
from admin.views import mount_panel
from api.runtime import Runtime
from api.settings import Environment, Settings
from records.errors import KeyMaterialError
from records.key_files import write_new

log = logging.getLogger("tact.admin")


def session_secret(settings: Settings) -> str | None:
    """The key that signs the panel's session cookies: generated on first use unless in
    production, where it must be provided (TACT_ADMIN_SESSION_KEY_FILE)."""
    path = settings.resolved_admin_session_key_file
    generate = settings.admin_session_key_file is None and (
        settings.environment is not Environment.PRODUCTION
    )
    if generate and write_new(path, secrets.token_hex(32).encode("ascii")):
        log.warning(
            "generated a local admin-panel session key for the embedded default; set "
            "TACT_ADMIN_SESSION_KEY_FILE in production",
            extra={"event": "admin_session_key_generated", "path": str(path)},
        )
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if len(text) < 32:
        raise KeyMaterialError(f"admin session key file is too short: {path}")
    return text


def mount_admin(
    app: Starlette,
    settings: Settings,
    runtime: Callable[[], Awaitable[Runtime]],
    clock: Callable[[], dt.datetime],
) -> None:
    """Mount /admin, or leave it out (with a warning) when its session key is missing."""
    secret = session_secret(settings)
    if secret is None:
        log.warning(
            "admin panel not served: TACT_ADMIN_SESSION_KEY_FILE is not readable",
            extra={"event": "admin_panel_disabled"},
        )
        return

    async def ready() -> PanelParts:
        opened = await runtime()
        return PanelParts(
            database=opened.database,
            vault=opened.vault,
            gate=opened.gate,
            profile_name=opened.settings.profile,
            profile=getattr(opened, "profile", None),
        )

    config = PanelConfig(
        secret=secret,
        clock=clock,
        idle_timeout=dt.timedelta(minutes=settings.admin_idle_minutes),
        https_only=settings.environment is Environment.PRODUCTION,
    )
    mount_panel(app, ready, config)
