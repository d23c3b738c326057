"""Confirming a change that cannot be undone or that takes access away, on a page of its own.

No script: the panel works without JavaScript, and a browser's confirm() box can be turned
off by the browser itself ("prevent this page from creating additional dialogs") and reads
badly with some assistive technology. The step is the server's:

1. The row's button (page.Button with a `confirm` question) posts its fields, the question
   and an `ask` seal.
2. The route (`@confirm_first`) answers with a page asking the question: one button posts
   the same fields again with a `confirmed` seal; a link goes back, changing nothing.
3. Only a post carrying the `confirmed` seal runs the change.

A seal is an HMAC, under the panel's session secret, of the session's CSRF token, the
route's path, the fields and (to ask) the question; a confirmed seal, of the number of
changes the session has confirmed as well, so a confirmation is used once: sent again (back
and resend, a page kept in the browser's history after the change was undone) it changes
nothing rather than making the change again unasked. (The count is in the signed cookie,
not the database: a second click sent before the first's answer carries the old count and
runs too; a revocation or removal run twice changes nothing more, and a deactivation says
so.) A post without a confirmation, or with one used already, for another route, other
fields or another session, changes nothing: its page comes back saying so. The question
names references only (a case reference, a key's prefix, a username), never a person.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin import csrf
from admin.page import PAGE, Button, Form, Page
from records.errors import InvalidTransition

if TYPE_CHECKING:
    from admin.gated import Handler, V

QUESTION = "question"
_ASK = "ask"
_CONFIRMED = "confirmed"
# In the session: how many changes it has confirmed, part of each confirmed seal.
_USED = "confirmations_used"
_CONTROL = {csrf.FIELD, QUESTION, _ASK, _CONFIRMED}
NOT_CONFIRMED = (
    "Nothing was changed: this change needs confirming first. Use its button on this page."
)

Fields = tuple[tuple[str, str], ...]


def _seal(
    secret: str,
    request: Request,
    purpose: str,
    path: str,
    fields: Fields,
    question: str,
    used: int = 0,
) -> str:
    said = json.dumps([purpose, csrf.token(request), path, sorted(fields), question, used])
    return hmac.new(secret.encode(), said.encode(), hashlib.sha256).hexdigest()


def _used(request: Request) -> int:
    used = request.session.get(_USED)
    return used if isinstance(used, int) else 0


def _matches(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


def asking_fields(secret: str) -> Callable[[Request, Button], Markup]:
    """The template's `asking_fields(request, button)`: the question and its seal, hidden, for
    a button whose change is confirmed first (nothing for any other button)."""

    def fields(request: Request, button: Button) -> Markup:
        if not button.confirm:
            return Markup("")
        path = urlsplit(button.action).path
        seal = _seal(secret, request, _ASK, path, button.hidden, button.confirm)
        hidden = Markup('<input type="hidden" name="{}" value="{}">')
        return hidden.format(QUESTION, button.confirm) + hidden.format(_ASK, seal)

    return fields


def confirm_first(back: str, yes: str) -> Callable[[Handler[V]], Handler[V]]:
    """Marks a route whose change is confirmed first (the module's docstring): a post with no
    confirmation gets the page asking (from its button) or is refused (NOT_CONFIRMED, shown
    on the page by `form_of`). `back` is the route name of the page the button is on (the
    link that cancels); `yes`, the label of the button that confirms."""

    def wrap(handler: Handler[V]) -> Handler[V]:
        @functools.wraps(handler)
        async def run(view: V, request: Request) -> Response:
            form = await view.form(request)
            secret = view.panel.config.secret
            path = request.url.path
            fields = _fields_of(form)
            used = _used(request)
            confirmed = _seal(secret, request, _CONFIRMED, path, fields, "", used)
            if _matches(form.get(_CONFIRMED), confirmed):
                request.session[_USED] = used + 1  # kept even if the change is refused
                return await handler(view, request)
            question = form.get(QUESTION)
            if not isinstance(question, str) or not _matches(
                form.get(_ASK), _seal(secret, request, _ASK, path, fields, question)
            ):
                raise InvalidTransition(NOT_CONFIRMED)
            sealed = _seal(secret, request, _CONFIRMED, path, fields, "", used)
            asking = Page(
                "Confirm",
                forms=[
                    Form(
                        "confirm",
                        question,
                        str(request.url),
                        (),
                        yes,
                        hidden=(*fields, (_CONFIRMED, sealed)),
                        cancel=str(request.url_for(f"admin:view-{back}")),
                    )
                ],
            )
            return await view.page(request, PAGE, asking.context())

        return run

    return wrap


def _fields_of(form: FormData) -> Fields:
    """The posted fields the change acts on, in order: all but the token and the seals."""
    return tuple(
        (name, value)
        for name, value in form.multi_items()
        if name not in _CONTROL and isinstance(value, str)
    )
