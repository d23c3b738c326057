"""The panel's way of naming a person, for the access log's person filter and for subject
access: their customer reference, or, for a customer known without one, an email address or
phone number recorded for them. Each is found by its blind index (records/customers.py);
the values are posted, never put in an address."""

from __future__ import annotations

from starlette.datastructures import FormData

from admin.gated import field
from admin.page import Field
from records.customers import Named
from records.lookup import LookupKind

_WAYS = (
    ("customer_ref", LookupKind.CUSTOMER_REF, "Customer reference"),
    ("customer_email", LookupKind.EMAIL, "or an email address recorded for them"),
    ("customer_phone", LookupKind.PHONE, "or a phone number recorded for them"),
)
NAMES = tuple(name for name, _, _ in _WAYS)


def person_named(form: FormData) -> list[Named]:
    """The ways the form names a person, each with its value or None where it is left empty."""
    return [(kind, field(form, name) or None, name) for name, kind, _ in _WAYS]


def person_given(form: FormData) -> str:
    """The name of the field the form names the person by (the first given; the reference's
    when none is), so a person not found is reported against what was typed."""
    return next((name for _, value, name in person_named(form) if value), NAMES[0])


def person_fields(form: FormData | None, help: str) -> tuple[Field, ...]:
    """The three fields, filled from `form` when the page shows what was asked."""
    return tuple(
        Field(
            name,
            label,
            value=field(form, name) if form else "",
            help=help if i == 0 else "",
            personal=True,
        )
        for i, (name, _, label) in enumerate(_WAYS)
    )
