"""CSRF protection for every form of the panel, the sign-in form included.

One random token per browser session, kept in the signed session cookie and sent back in a
hidden field; a POST whose field does not match is refused with 403 before it does anything.
The session cookie is SameSite=Strict as well (admin/sign_in.py), so a cross-site form does
not even carry it.
"""

from __future__ import annotations

import hmac
import secrets

from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

FIELD = "csrf_token"
_KEY = "csrf"


def token(request: Request) -> str:
    """The session's token, made on first use."""
    value = request.session.get(_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        request.session[_KEY] = value
    return value


def csrf_field(request: Request) -> Markup:
    """The hidden input every form template includes: `{{ csrf_field(request) }}`."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, escape(token(request))
    )


def is_valid(request: Request, form: FormData) -> bool:
    sent = form.get(FIELD)
    expected = request.session.get(_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str):
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked; 403 otherwise."""
    form = await request.form()
    if not is_valid(request, form):
        raise HTTPException(
            status_code=403,
            detail="This form has expired or did not come from this site. "
            "Reload the page and try again.",
        )
    return form


def renew(request: Request) -> None:
    """A new token (on sign-in), so a token seen before signing in is worth nothing after."""
    request.session[_KEY] = secrets.token_urlsafe(32)
