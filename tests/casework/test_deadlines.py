"""The dates each policy gives, computed from its profile: working days skip weekends and
the nation's bank holidays (substitute days too); months clamp to the end of the month."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.deadlines import (
    Nation,
    add_months,
    add_working_days,
    appeal_deadline,
    appeal_decision_due,
    appeal_is_late,
    full_assessment_due,
    is_working_day,
    review_due,
)
from casework.profiles import load_profile

D = dt.date


def test_rhondda_cynon_taf_15_working_days_across_christmas_in_wales() -> None:
    # Fri 18 Dec 2026: Christmas Day (Fri), Boxing Day observed (Mon 28 Dec) and New Year's
    # Day (Fri 1 Jan) are bank holidays in Wales, and three weekends fall in the window.
    rct = load_profile("rhondda-cynon-taf")
    assert appeal_deadline(rct, D(2026, 12, 18)) == D(2027, 1, 13)
    assert not appeal_is_late(rct, D(2026, 12, 18), D(2027, 1, 13))
    assert appeal_is_late(rct, D(2026, 12, 18), D(2027, 1, 14))


def test_rhondda_cynon_taf_15_working_days_across_easter_in_wales() -> None:
    # Fri 19 Mar 2027: Good Friday 26 Mar and Easter Monday 29 Mar 2027 are not counted.
    rct = load_profile("rhondda-cynon-taf")
    assert appeal_deadline(rct, D(2027, 3, 19)) == D(2027, 4, 13)
    # Easter 2026 (3 and 6 April) from Wed 1 Apr 2026.
    assert appeal_deadline(rct, D(2026, 4, 1)) == D(2026, 4, 24)


def test_rhondda_cynon_taf_15_working_days_with_no_holiday_is_three_weeks() -> None:
    assert appeal_deadline(load_profile("rhondda-cynon-taf"), D(2026, 6, 1)) == D(2026, 6, 22)


def test_cumbria_14_days_to_challenge_and_28_days_to_decide() -> None:
    cumbria = load_profile("cumbria-frs")
    assert appeal_deadline(cumbria, D(2026, 3, 2)) == D(2026, 3, 16)
    assert appeal_decision_due(cumbria, D(2026, 3, 10)) == D(2026, 4, 7)
    assert appeal_is_late(cumbria, D(2026, 3, 2), D(2026, 3, 17))


def test_cumbria_calendar_days_do_not_skip_christmas() -> None:
    assert appeal_deadline(load_profile("cumbria-frs"), D(2026, 12, 18)) == D(2027, 1, 1)


def test_portsmouth_28_days_to_appeal_and_no_period_to_decide() -> None:
    portsmouth = load_profile("portsmouth-cc")
    assert appeal_deadline(portsmouth, D(2026, 2, 1)) == D(2026, 3, 1)
    assert appeal_is_late(portsmouth, D(2026, 2, 1), D(2026, 3, 2))
    assert appeal_decision_due(portsmouth, D(2026, 3, 1)) is None


def test_merseyside_reviews_every_quarter_clamped_to_month_end() -> None:
    merseyside = load_profile("merseyside-frs")
    first = review_due(merseyside, D(2026, 11, 30))
    assert first == D(2027, 2, 28)
    assert review_due(merseyside, first, first=False) == D(2027, 5, 28)
    assert appeal_deadline(merseyside, D(2026, 11, 30)) is None  # no window: never late
    assert not appeal_is_late(merseyside, D(2026, 11, 30), D(2030, 1, 1))


def test_cambridgeshire_reviews_at_6_months() -> None:
    cambridgeshire = load_profile("cambridgeshire-cc")
    assert review_due(cambridgeshire, D(2026, 3, 15)) == D(2026, 9, 15)
    assert review_due(cambridgeshire, D(2026, 8, 31)) == D(2027, 2, 28)
    assert review_due(cambridgeshire, D(2027, 8, 31)) == D(2028, 2, 29)


def test_cumbria_6_months_portsmouth_and_rhondda_cynon_taf_12() -> None:
    assert review_due(load_profile("cumbria-frs"), D(2026, 1, 10)) == D(2026, 7, 10)
    assert review_due(load_profile("rhondda-cynon-taf"), D(2028, 2, 29)) == D(2029, 2, 28)
    assert review_due(load_profile("portsmouth-cc"), D(2026, 5, 5)) == D(2027, 5, 5)


def test_full_assessment_due_after_an_immediate_risk_decision() -> None:
    assert full_assessment_due(load_profile("cambridgeshire-cc"), D(2026, 5, 1)) == D(2026, 5, 29)


def test_bank_holidays_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(D(2026, 12, 28), "wales")  # Boxing Day, observed
    assert not is_working_day(D(2027, 3, 29), "england")  # Easter Monday
    assert not is_working_day(D(2026, 12, 19), "england")  # Saturday
    assert is_working_day(D(2026, 12, 29), "wales")
    with pytest.raises(ValueError):
        add_working_days(D(2026, 1, 1), -1, "england")


@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
    days=st.integers(min_value=0, max_value=40),
    nation=st.sampled_from(["england", "wales"]),
)
def test_the_nth_working_day_is_a_working_day_with_n_before_it(
    start: dt.date, days: int, nation: Nation
) -> None:
    end = add_working_days(start, days, nation)
    between = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_working_day(d, nation) for d in between) == days
    assert days == 0 or is_working_day(end, nation)


@given(
    start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
    months=st.integers(min_value=0, max_value=60),
)
def test_adding_months_keeps_the_day_or_clamps_to_the_month_end(
    start: dt.date, months: int
) -> None:
    end = add_months(start, months)
    assert (end.year - start.year) * 12 + end.month - start.month == months
    assert end.day == start.day or (end.day < start.day and (end + dt.timedelta(1)).day == 1)
