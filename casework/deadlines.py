"""The dates a policy gives: appeal windows, appeal decisions, reviews, the full assessment
after an immediate-risk decision. Calendar or working days as the profile says, with the UK
bank holidays of the organisation's nation (the `holidays` package: England, or Wales for
Rhondda Cynon Taf); months added with end-of-month clamping (31 January + 1 month is 28 or
29 February).

Counting: "within N days of" a date starts the day after it, so the window's last day is
the date + N calendar days, or the Nth working day after it. A deadline never falls on the
start date itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable
from typing import Literal

import holidays

from casework.profiles import Profile
from records.errors import ValidationFailed
from records.models import ArrangementKind

Nation = Literal["england", "wales"]
Unit = Literal["calendar_days", "working_days"]

_SUBDIVISIONS: dict[Nation, str] = {"england": "ENG", "wales": "WLS"}


@functools.cache
def _bank_holidays(nation: Nation) -> holidays.HolidayBase:
    # One object per nation; it fills in further years as dates in them are asked about.
    return holidays.country_holidays("GB", subdiv=_SUBDIVISIONS[nation])


def is_working_day(day: dt.date, nation: Nation) -> bool:
    """Monday to Friday and not a bank holiday (substitute days included) in `nation`."""
    return day.weekday() < 5 and day not in _bank_holidays(nation)


def add_working_days(start: dt.date, days: int, nation: Nation) -> dt.date:
    """The `days`th working day after `start` (`start` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day


def add_days(start: dt.date, days: int, unit: Unit, nation: Nation) -> dt.date:
    if unit == "working_days":
        return add_working_days(start, days, nation)
    return start + dt.timedelta(days=days)


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def appeal_deadline(profile: Profile, notified_on: dt.date) -> dt.date | None:
    """The last day to appeal (or ask for the profile's review route) against something
    notified on `notified_on`; None when the policy sets no window."""
    rule = profile.appeal
    if rule.window is None:
        return None
    return add_days(notified_on, rule.window, rule.unit, profile.nation)


def appeal_is_late(profile: Profile, notified_on: dt.date, received_on: dt.date) -> bool:
    deadline = appeal_deadline(profile, notified_on)
    return deadline is not None and received_on > deadline


def appeal_decision_due(profile: Profile, received_on: dt.date) -> dt.date | None:
    """When an appeal received on `received_on` must be decided by (calendar days, as
    Cumbria's "within 28 days from receipt"); None when the policy gives no period."""
    days = profile.appeal.decide_within_days
    return None if days is None else received_on + dt.timedelta(days=days)


# Where the policy gives no period for deciding an appeal (RCT 6.2, Portsmouth 5.2.7,
# Cambridgeshire, Merseyside), a lodged appeal is still listed on the deadlines work list
# until decided, due this many days after receipt: the same 28 days as Tact's other
# silent-policy periods. Letters promise no period the policy does not give.
APPEAL_LISTED_DAYS = 28


def appeal_listed_until(profile: Profile, received_on: dt.date) -> dt.date:
    """The due date under which a lodged appeal is listed on the deadlines work list: the
    policy's period, or Tact's default where the policy is silent."""
    due = appeal_decision_due(profile, received_on)
    return due or received_on + dt.timedelta(days=APPEAL_LISTED_DAYS)


def review_due(
    profile: Profile, from_date: dt.date, *, first: bool = True, ends_on: dt.date | None = None
) -> dt.date:
    """The review date: the first review counted from the decision, a later one from the
    last review (the profile's interval, or the first period again when it sets none); or,
    where the policy reviews at the end of the period of restrictions (`[review]
    at_period_end`, Portsmouth 5.2.6), that end (`ends_on`), while it is still to come."""
    rule = profile.review
    if rule.at_period_end and ends_on is not None and ends_on > from_date:
        return ends_on
    months = rule.first_review_months if first else rule.interval_months
    return add_months(from_date, months or rule.first_review_months)


def check_review_date(
    profile: Profile, review_on: dt.date, from_date: dt.date, *, first: bool, field: str
) -> None:
    """Where the policy's review period is the longest a review may wait (`[review]
    no_later`), a review date after it is refused, naming `field`."""
    if not profile.review.no_later:
        return
    latest = review_due(profile, from_date, first=first)
    if review_on > latest:
        raise ValidationFailed(
            field, f"must be no later than {latest.isoformat()}: this policy's longest wait"
        )


def check_until_review(
    profile: Profile,
    kinds: Iterable[ArrangementKind],
    ends_on: dt.date | None,
    review_on: dt.date,
) -> None:
    """An arrangement the policy makes temporary until the next review (`[decision]
    until_review_kinds`; Merseyside: contact suspended "whilst seeking legal advice") ends by
    the review at which it is looked at again: refused naming `input.endsOn` without an end
    or with one after `review_on`."""
    kept = [k for k in kinds if k in profile.decision.until_review_kinds]
    if not kept:
        return
    what = ", ".join(sorted({k.name for k in kept}))
    if ends_on is None:
        raise ValidationFailed(
            "input.endsOn", f"{what} is temporary in this policy: give its end, by the review"
        )
    if ends_on > review_on:
        raise ValidationFailed(
            "input.endsOn",
            f"{what} is temporary in this policy: it must end by the review on "
            f"{review_on.isoformat()}, which decides whether it goes on",
        )


def full_assessment_due(profile: Profile, decided_on: dt.date) -> dt.date:
    """After an immediate-risk decision, the full assessment is due by this date."""
    return decided_on + dt.timedelta(days=profile.decision.full_assessment_due_days)
