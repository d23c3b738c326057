"""`shaped`: a schema type takes the fields it declares from a view, and only those."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import strawberry

from schema.shaped import shaped


@strawberry.type
class Shown:
    reference: str
    state: str
    note: str | None = None
    hidden: strawberry.Private[str | None] = None


@dataclass
class View:
    reference: str
    state: str
    secret_sealed: bytes = b"sealed"


def test_only_the_declared_fields_are_taken_and_the_given_win() -> None:
    made = shaped(Shown, View("HOU-0001", "open"), state="closed")
    assert (made.reference, made.state) == ("HOU-0001", "closed")
    assert made.note is None and made.hidden is None
    assert not hasattr(made, "secret_sealed")


def test_a_field_with_a_default_is_taken_when_the_view_has_it() -> None:
    @dataclass
    class Fuller(View):
        note: str = "seen"

    assert shaped(Shown, Fuller("HOU-0002", "open")).note == "seen"


def test_a_required_field_the_view_lacks_is_an_error() -> None:
    @dataclass
    class Partial:
        reference: str

    with pytest.raises(AttributeError, match="state"):
        shaped(Shown, Partial("HOU-0003"))
