"""What a page of the panel shows, as plain data for templates/tact/page.html: notices,
charts, forms, links and tables. Views build these; the one template draws them all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

PAGE = "tact/page.html"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    action: str
    fields: tuple[Field, ...]
    submit: str


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    hidden: tuple[tuple[str, str], ...]


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
