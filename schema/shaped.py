"""A schema type made from a domain view: the fields the type declares are taken from the
view's attributes of the same name, except those given.

    return shaped(cls, view, overdue=view.due_on < today)

So an entity's fields are written where the view is defined and where the type declares
them, not a third time in a constructor that copies one to the other. The type still says
what the schema shows: only the fields it declares are read from the view, so nothing else
the view (or a row) holds can reach an answer. A declared field with no default that the view
lacks, and that is not given, is an AttributeError the first time the type is made: a test
finds it; one with a default keeps it when the view has no such attribute.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def shaped(cls: type[T], source: object, /, **given: Any) -> T:
    required, optional = _declared(cls)
    for name in required:
        if name not in given:
            given[name] = getattr(source, name)
    for name in optional:
        if name not in given and hasattr(source, name):
            given[name] = getattr(source, name)
    return cls(**given)


_DECLARED: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _declared(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names the type's constructor takes (strawberry types are dataclasses): those it
    needs, and those with a default, which the view may leave out."""
    names = _DECLARED.get(cls)
    if names is None:
        fields = [f for f in dataclasses.fields(cls) if f.init]
        optional = [
            f.name
            for f in fields
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        ]
        required = tuple(f.name for f in fields if f.name not in optional)
        names = _DECLARED[cls] = (required, tuple(optional))
    return names
