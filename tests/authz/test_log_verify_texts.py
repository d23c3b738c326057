"""Verification reads stored times and ids as text on SQLite and turns SQLAlchemy's form
straight into the text the chain hashes (authz/log_verify.py). Property: for any value, that
text is exactly what reading the value through SQLAlchemy and printing it gives, in the form
SQLAlchemy writes and in any other form a row might hold."""

from __future__ import annotations

import datetime as dt
import uuid

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as sqlite_dialect

from authz.audit_signing import utc_text
from authz.log_verify import GENESIS, _Walk
from records.models import AccessLogEntry

DIALECT = sqlite_dialect()
WALK = _Walk(b"k" * 32, {}, 1, GENESIS, DIALECT)
_AT = AccessLogEntry.at.type.dialect_impl(DIALECT)
_ID = AccessLogEntry.case_id.type.dialect_impl(DIALECT)
write_at = _AT.bind_processor(DIALECT)
read_at = _AT.result_processor(DIALECT, None)
write_id = _ID.bind_processor(DIALECT)
read_id = _ID.result_processor(DIALECT, None)
assert write_at and read_at and write_id and read_id

moments = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
)


@given(moments)
def test_a_stored_time_reads_as_the_slow_way_reads_it(moment: dt.datetime) -> None:
    stored = write_at(moment.replace(tzinfo=dt.UTC))
    assert WALK.at_text(stored) == utc_text(read_at(stored))
    assert WALK.at_text(moment.replace(tzinfo=dt.UTC)) == utc_text(moment)  # PostgreSQL


@given(moments)
def test_other_forms_of_a_time_read_as_the_slow_way_reads_them(moment: dt.datetime) -> None:
    for stored in (
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.isoformat(sep=" ", timespec="milliseconds"),
        moment.isoformat(),
    ):
        try:
            slow = utc_text(read_at(stored))
        except ValueError:
            continue
        assert WALK.at_text(stored) == slow


@given(st.uuids())
def test_a_stored_id_reads_as_the_slow_way_reads_it(value: uuid.UUID) -> None:
    stored = write_id(value)
    assert WALK.id_text(stored) == str(read_id(stored)) == str(value)
    for other in (stored.upper(), str(value), "{" + str(value) + "}"):
        assert WALK.id_text(other) == str(read_id(other)) == str(value)
    assert WALK.id_text(value) == str(value)  # PostgreSQL
    assert WALK.id_text(None) is None


def _strftime_utc_text(moment: dt.datetime) -> str:
    """utc_text as it was first written: the text every stored hash was made from."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(moments, st.none() | st.integers(min_value=-1439, max_value=1439))
def test_utc_text_is_the_text_it_always_was(moment: dt.datetime, offset: int | None) -> None:
    if offset is not None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
        try:
            moment.astimezone(dt.UTC)
        except OverflowError:
            return  # outside what a datetime holds in UTC
    assert utc_text(moment) == _strftime_utc_text(moment)
