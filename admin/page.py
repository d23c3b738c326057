"""What a page of the panel shows, as plain data for templates/tact/page.html: notices,
charts, forms, links and tables. Views build these; the one template draws them all."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from markupsafe import Markup

from records.errors import TactError

PAGE = "tact/page.html"
_Row = TypeVar("_Row")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""
    error: str = ""
    # Names a person (a customer reference, email or phone): a refused form is shown again
    # without it, so a refusal never writes a person's details back into a page.
    personal: bool = False


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    action: str
    fields: tuple[Field, ...]
    submit: str
    # Posted as they are (a confirmation's fields, admin/confirm.py), and where "Cancel" goes.
    hidden: tuple[tuple[str, str], ...] = ()
    cancel: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    hidden: tuple[tuple[str, str], ...]
    # For a change that cannot be undone or that takes access away: the question asked on a
    # page of its own before it is made (admin/confirm.py). References only, never a person.
    confirm: str = ""


@dataclass(frozen=True)
class Link:
    """A link shown as a button beside the forms (a download, say); `help` says what it gives."""

    name: str
    label: str
    href: str
    help: str = ""


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    caption: str
    headers: tuple[str, ...]
    rows: list[Row]
    buttons: bool = False
    empty: str = ""
    # Under the table, where more rows match than it shows: the button that shows the next
    # ones (posted, as the page's filter is).
    more: Button | None = None


@dataclass(frozen=True)
class Notice:
    text: str
    level: str = "info"
    secret: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup


@dataclass
class Page:
    heading: str
    intro: str = ""
    notices: list[Notice] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def refuse(self, posted: str, typed: Mapping[str, Any], refusal: TactError) -> None:
        """The page again after a form of it was refused: the refusal first, naming the field
        at fault by its label, and the form posted to `posted` (a path) filled in with what
        was typed (but a field naming a person), that field marked."""
        at_fault: str | None = getattr(refusal, "field", None)
        reason: str = getattr(refusal, "reason", refusal.message)
        said = refusal.message[:1].upper() + refusal.message[1:]
        for i, form in enumerate(self.forms):
            if urlsplit(form.action).path != posted:
                continue
            reason = _in_labels(reason, form.fields)
            fields = []
            for f in form.fields:
                marked = at_fault is not None and _same_name(f.name, at_fault)
                if marked:
                    said = f"{_as_named(f.label)}: {reason}"
                value = typed.get(f.name)
                kept = value if isinstance(value, str) and not f.personal else f.value
                fields.append(replace(f, value=kept, error=reason if marked else ""))
            self.forms[i] = replace(form, fields=tuple(fields))
        self.notices.insert(0, Notice(said, "danger"))

    def context(self) -> dict[str, Any]:
        return {
            "heading": self.heading,
            "intro": self.intro,
            "notices": self.notices,
            "charts": self.charts,
            "forms": self.forms,
            "links": self.links,
            "tables": self.tables,
        }


def _as_named(label: str) -> str:
    """A field's label as a refusal names it: "or an email address ..." (one of several
    ways) reads "An email address ..."."""
    alone = label.removeprefix("or ")
    return alone[:1].upper() + alone[1:]


def _in_labels(reason: str, fields: tuple[Field, ...]) -> str:
    """A refusal that names other fields of the form by their names in code ("give exactly
    one of case_ref, customer_ref, ...") names them by their labels, as the page shows them."""
    named = {f.name: f.label.removeprefix("or ") for f in fields if "_" in f.name}
    if not named:
        return reason
    words = re.compile(r"\b(" + "|".join(map(re.escape, named)) + r")\b")
    return words.sub(lambda found: named[found.group(1)], reason)


def _same_name(form_name: str, api_name: str) -> bool:
    """A form field's name (`display_name`) and the API's spelling of it (`displayName`,
    `filter.to`)."""

    def plain(name: str) -> str:
        return "".join(c for c in name if c.isalnum()).lower()

    # The API names a filter's field in full ("filter.to"): its last part is the form's.
    return plain(form_name) == plain(api_name.rsplit(".", 1)[-1])


def more_match(
    shown: int, what: str, which: str = "the newest", rest: str = "older ones"
) -> Notice:
    """Said above a table that shows only `which` `shown` of more (`what`: "entries"), the
    button under it showing the `rest`: a page that stops at the newest must not read as
    all there is ("nobody else accessed it", "that case was never destroyed")."""
    return Notice(
        f"More {what} match than the {shown} shown here, {which}: the button under the "
        f"table shows {rest}."
    )


def paged(
    found: Sequence[_Row], shown: int, said: Notice, button: Callable[[_Row], Button]
) -> tuple[list[_Row], list[Notice], Button | None]:
    """One page of a list read one row past it (`found`: up to `shown` + 1 rows, in order):
    the rows to show, and where more follow, `said` above the table (`more_match`) and the
    button under it, made from the last row shown (it posts where the next page starts)."""
    if len(found) <= shown:
        return list(found), [], None
    rows = list(found[:shown])
    return rows, [said], button(rows[-1])


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def options(values: list[str], blank: str | None = None) -> tuple[tuple[str, str], ...]:
    listed = tuple((v, v) for v in values)
    return (("", blank), *listed) if blank is not None else listed
