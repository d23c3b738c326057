"""Signing in to the panel: argon2 passwords (records/sign_in.py), a signed session cookie
(HttpOnly, SameSite=Strict, Secure outside development), CSRF on the sign-in form, lock-out
after repeated failures, and an idle timeout.

The cookie holds the staff id, the CSRF token and when the session was last used: no name.
Roles are read from the database on every request, never kept in the cookie, so a revoked
role takes effect at once. Only staff holding `admin` or `ig_officer` may sign in.

A session that ends for inactivity sends the browser to the sign-in page, which says so, and
signing in again returns to the page that was open (for a form posted, the page the form is
on). What a posted form held is not kept: the cookie is signed, not encrypted, so anything
put in it sits readable in the browser; its fields may name a person; and a form re-sent
unseen after a new sign-in would make a change its user has not looked at again.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match

from admin import csrf
from authz.actor import Actor
from authz.credentials import staff_actor
from records.models import Role, Staff
from records.sign_in import attempt_sign_in, dummy_hash

if TYPE_CHECKING:
    from admin.panel import PanelConfig, TactAdmin

log = logging.getLogger("tact.admin")

PANEL_ROLES = frozenset({Role.ADMIN, Role.IG_OFFICER})
COOKIE = "tact_admin"
# One sentence for every refusal: it does not say whether the name, the password or a lock
# was the reason.
REFUSED = "Sign-in did not succeed. Check the details and try again, or try again later."
_STAFF = "staff_id"
_SEEN = "seen"
# Kept across the end of an idle session: that it ended so, and whose page to return to.
_ENDED_IDLE = "ended_idle"
_RETURN_TO = "return_to"
# A session ends after this long even if used throughout (the idle timeout is shorter).
MAX_AGE_SECONDS = 8 * 60 * 60


class SignInBackend(AuthenticationBackend):
    def __init__(self, panel: TactAdmin, config: PanelConfig) -> None:
        super().__init__(
            secret_key=config.secret,
            session_cookie=COOKIE,
            max_age=MAX_AGE_SECONDS,
            path="/admin",
            same_site="strict",
            https_only=config.https_only,
        )
        self._panel = panel
        self._config = config
        dummy_hash()  # made now, so that the first refusal takes as long as the others

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        typed = username.strip() if isinstance(username, str) else ""
        if not csrf.is_valid(request, form):
            return await self._refuse(request, "csrf", 403, typed)
        if not isinstance(username, str) or not isinstance(password, str):
            return await self._refuse(request, "incomplete", 400, typed)
        parts = await self._panel.ready()
        now = self._config.clock()
        async with parts.database.sessions() as session, session.begin():
            outcome = await attempt_sign_in(session, username.strip(), password, now)
            actor = await _actor_of(session, outcome.staff_id)
        if actor is None:
            reason = "locked" if outcome.locked else "refused"
            return await self._refuse(request, reason, 400, typed)
        # Only the member of staff whose session ended is returned to their page.
        staff_id, back = request.session.get(_RETURN_TO) or (None, None)
        if staff_id != str(outcome.staff_id):
            back = None
        request.session.clear()
        request.session[_STAFF] = str(outcome.staff_id)
        request.session[_SEEN] = now.timestamp()
        csrf.renew(request)
        if isinstance(back, str) and back.startswith("/") and not back.startswith("//"):
            return RedirectResponse(back, status_code=303)
        return True  # sqladmin then sends the browser to the start page

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return False  # sqladmin then sends the browser to the sign-in page

    async def authenticate(self, request: Request) -> Response | bool:
        staff_id = request.session.get(_STAFF)
        seen = request.session.get(_SEEN)
        if not isinstance(staff_id, str) or not isinstance(seen, int | float):
            return False
        now = self._config.clock()
        if now.timestamp() - seen > self._config.idle_timeout.total_seconds():
            back = self._page_of(request)
            request.session.clear()
            request.session[_ENDED_IDLE] = True
            if back is not None:
                request.session[_RETURN_TO] = (staff_id, back)
            return RedirectResponse(request.url_for("admin:login"), status_code=303)
        parts = await self._panel.ready()
        async with parts.database.sessions() as session:
            actor = await _actor_of(session, uuid.UUID(staff_id))
            await session.rollback()
        if actor is None:
            request.session.clear()
            return False
        request.session[_SEEN] = now.timestamp()
        request.state.actor = actor
        return True

    def sign_in_page(self, request: Request) -> dict[str, str]:
        """What the sign-in page says besides its form: why the last session ended, if it
        ended for inactivity."""
        if not request.session.get(_ENDED_IDLE):
            return {}
        minutes = int(self._config.idle_timeout.total_seconds() // 60)
        return {
            "ended": f"You were signed out after {minutes} minutes without activity. Sign in "
            "again to return to the page you were on. A form you had sent then was not "
            "saved: enter it again."
        }

    def _page_of(self, request: Request) -> str | None:
        """The page to return to after signing in again: the one asked for, or, for a form
        posted to a route with no page of its own (/staff/add), the page one level up
        (/staff). None if neither is a page of the panel."""
        path = request.url.path
        tried = [path] if request.method == "GET" else [path, path.rsplit("/", 1)[0]]
        for candidate in tried:
            scope = {**request.scope, "path": candidate, "method": "GET"}
            if any(r.matches(scope)[0] is Match.FULL for r in self._panel.admin.routes):
                return candidate
        return None

    async def _refuse(self, request: Request, reason: str, status: int, typed: str) -> Response:
        """The sign-in page again, the one neutral sentence and the username as typed (never
        the password), whether or not such a member of staff exists."""
        log.info(
            "admin sign-in refused", extra={"event": "admin_sign_in_refused", "reason": reason}
        )
        context = {"error": REFUSED, "username": typed, **self.sign_in_page(request)}
        return await self._panel.render(request, "sqladmin/login.html", context, status)


def may_sign_in(actor: Actor) -> bool:
    """Whether this member of staff may use the panel: they hold a panel role, in any service.
    `tact staff set-password` asks the same, so no password is set that could not be used."""
    return any(g.role in PANEL_ROLES for g in actor.roles)


async def _actor_of(session: AsyncSession, staff_id: uuid.UUID | None) -> Actor | None:
    """The member of staff's Actor if they are active and hold a panel role, else None."""
    if staff_id is None:
        return None
    username = await session.scalar(select(Staff.username).where(Staff.id == staff_id))
    actor = await staff_actor(session, username) if username else None
    if actor is None or not may_sign_in(actor):
        return None
    return actor
