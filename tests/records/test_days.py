"""Calendar days are the UK's (records/days.py): the day of an instant, the instant a day
begins, on the days the clocks change, and the SQL that counts instants by UK day or month,
run on SQLite (no zone database) and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, literal, select, union_all

from records.database import Database
from records.days import uk_day, uk_day_of_stored, uk_midnight, uk_period_index, uk_today
from records.models import UTCDateTime


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def test_half_past_midnight_bst_is_the_next_uk_day_and_gmt_is_utc() -> None:
    assert uk_day(utc(2026, 6, 1, 23, 30)) == dt.date(2026, 6, 2)  # 00:30 BST
    assert uk_day(utc(2026, 6, 1, 22, 59)) == dt.date(2026, 6, 1)  # 23:59 BST
    assert uk_day(utc(2026, 1, 12, 23, 30)) == dt.date(2026, 1, 12)  # 23:30 GMT
    assert uk_day(dt.datetime(2026, 6, 1, 23, 30)) == dt.date(2026, 6, 2)  # naive: stored UTC
    assert uk_today(lambda: utc(2026, 6, 30, 23, 30)) == dt.date(2026, 7, 1)


def test_each_uk_day_begins_at_one_instant_on_the_days_the_clocks_change() -> None:
    # BST begins at 01:00 UTC on 29 March 2026 and ends at 01:00 UTC on 25 October 2026.
    assert uk_midnight(dt.date(2026, 3, 29)) == utc(2026, 3, 29, 0)
    assert uk_midnight(dt.date(2026, 3, 30)) == utc(2026, 3, 29, 23)
    assert uk_midnight(dt.date(2026, 10, 25)) == utc(2026, 10, 24, 23)
    assert uk_midnight(dt.date(2026, 10, 26)) == utc(2026, 10, 26, 0)
    assert uk_day(utc(2026, 3, 29, 0, 59)) == uk_day(utc(2026, 3, 29, 1, 0)) == dt.date(2026, 3, 29)


def test_a_stored_instant_read_back_as_text_has_its_uk_day() -> None:
    assert uk_day_of_stored("2026-06-01 23:30:00.000000") == dt.date(2026, 6, 2)
    assert uk_day_of_stored(utc(2026, 6, 1, 23, 30)) == dt.date(2026, 6, 2)


async def test_sql_counts_instants_by_uk_month(database: Database) -> None:
    """June's last hour in the UK is 22:00-23:00 UTC on 30 June; 23:30 UTC is July's."""
    instants = [
        utc(2026, 5, 31, 23, 30),  # 00:30 BST on 1 June
        utc(2026, 6, 30, 22, 59),  # 23:59 BST on 30 June
        utc(2026, 6, 30, 23, 30),  # 00:30 BST on 1 July
        utc(2026, 7, 31, 22, 0),  # 23:00 BST on 31 July
    ]
    moments = union_all(
        *(select(literal(moment, UTCDateTime()).label("at")) for moment in instants)
    ).subquery()
    months = (dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    month = uk_period_index(moments.c.at, months).label("month")  # type: ignore[arg-type]
    async with database.sessions() as session:
        rows = await session.execute(
            select(month, func.count()).select_from(moments).group_by("month").order_by("month")
        )
        counted = {months[index]: count for index, count in rows}
    assert counted == {dt.date(2026, 6, 1): 2, dt.date(2026, 7, 1): 2}
