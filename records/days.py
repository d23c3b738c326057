"""Calendar days are the UK's. Instants are kept in UTC (records.models: `utcnow`, `as_utc`);
every calendar day taken from one (a deadline's start, a letter's date, "today", a report's
month, a case reference's year) is its day in Europe/London, where it falls in the hour
after midnight in summer (BST, UTC+1) on the day after the UTC one.

Only Python's zone database is used (the system's, or the tzdata package where there is
none): SQLite has none, so SQL that counts by day or month compares stored instants with the
UTC instants the UK days begin at (`uk_midnight`), computed here, on both databases alike.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Sequence

from sqlalchemy import ColumnElement, case, literal
from sqlalchemy.orm import QueryableAttribute

from records.errors import ValidationFailed
from records.models import as_utc, utcnow

UK = zoneinfo.ZoneInfo("Europe/London")


def uk_day(moment: dt.datetime) -> dt.date:
    """The UK calendar day of `moment` (a naive time is UTC, as SQLite hands stored ones
    back)."""
    return as_utc(moment).astimezone(UK).date()


def uk_today(clock: Callable[[], dt.datetime] = utcnow) -> dt.date:
    """Today in the UK, by `clock` (timezone-aware UTC now; tests pass a fixed one)."""
    return uk_day(clock())


def not_after_today(day: dt.date, field: str, clock: Callable[[], dt.datetime] = utcnow) -> dt.date:
    """`day`, for something that acts as of it (archives, destroys, asks for or gives approval
    of destruction, expires arrangements), refused on `field` when it is after today in the
    UK. Acting as of a later day acts before the record's date: keeping a record too long
    and destroying it early are both wrong. Today or an earlier day (a missed night caught
    up) only does what was already due. What only reads, a preview, may look ahead."""
    today = uk_today(clock)
    if day > today:
        raise ValidationFailed(
            field,
            f"must not be after today ({today.isoformat()} in the UK): nothing is archived, "
            "destroyed, approved or expired before its day; a preview may look ahead",
        )
    return day


def uk_midnight(day: dt.date) -> dt.datetime:
    """The instant, in UTC, the UK day `day` begins. The clocks change at 01:00 UTC, never at
    midnight, so every UK day begins at exactly one instant."""
    return dt.datetime.combine(day, dt.time(), UK).astimezone(dt.UTC)


def uk_days(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[since, until) in UTC covering the UK days `first` to `last`, inclusive."""
    return uk_midnight(first), uk_midnight(last + dt.timedelta(days=1))


def uk_day_of_stored(value: object) -> dt.date:
    """The UK day of an instant as a query hands it back: a datetime, or on SQLite the text
    of one in UTC (an aggregate over a time column, such as MAX, loses the column's type)."""
    if isinstance(value, dt.datetime):
        return uk_day(value)
    return uk_day(dt.datetime.fromisoformat(str(value)))


def uk_period_index(
    moment: QueryableAttribute[dt.datetime], starts: Sequence[dt.date]
) -> ColumnElement[int]:
    """In SQL, which of the consecutive periods beginning on the UK days `starts` (in order:
    the firsts of months, or every day) the instant in `moment` falls in: 0 before the second
    begins, and so on. The same SQL on SQLite and PostgreSQL: a stored UTC instant compared
    with those at which the periods begin. Group by it under a label (`group_by("label")`):
    PostgreSQL cannot tell two copies of it, each with its own parameters, are the same."""
    bounds = [(moment < uk_midnight(day), i) for i, day in enumerate(starts[1:])]
    return case(*bounds, else_=len(starts) - 1) if bounds else literal(0)
