"""The case conference check (casework/conferences.py), one for the decision's conference and
the review's, and the profile key that asks for it at reviews, `[review] case_conference`:
Merseyside's only, refused with a bad value or without the conference's roles, naming the
key. (Over HTTP: tests/scenarios/test_merseyside_frs.py.)"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from casework import step_models as m
from casework.conferences import check_conference
from casework.profiles import ProfileError, load_profile, parse_profile, profile_names
from casework.steps import StepRun
from records.errors import ValidationFailed
from records.vault import Vault
from tests.casework.test_profiles import bad, shipped_text

TODAY = dt.date(2026, 6, 2)
ROLES = [
    "Director",
    "Professional Standards Manager",
    "Service Manager",
    "Equality and Diversity Manager",
    "Deputy Clerk to the Authority",
]
CUMBRIA_REVIEW = (
    "at_period_end = false  # 2.2: a fixed 6 months, not the end of a restriction period"
)


def test_only_merseyside_reviews_at_the_case_conference_reconvened() -> None:
    reconvened = [n for n in profile_names() if load_profile(n).review.case_conference]
    assert reconvened == ["merseyside-frs"]


@pytest.mark.parametrize("value", ['"sometimes"', "3", "[]"])
def test_a_bad_case_conference_value_is_refused_naming_the_key(value: str) -> None:
    text = bad(
        shipped_text("merseyside-frs"), "case_conference = true", f"case_conference = {value}"
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", text)
    assert (caught.value.file, caught.value.key) == (
        "merseyside-frs.toml",
        "review.case_conference",
    )
    assert caught.value.reason


def test_a_review_conference_needs_the_roles_a_conference_includes() -> None:
    # Cumbria holds no case conference (conference_roles = []): no conference to reconvene.
    text = bad(
        shipped_text("cumbria-frs"), CUMBRIA_REVIEW, CUMBRIA_REVIEW + "\ncase_conference = true"
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("cumbria-frs.toml", text)
    assert caught.value.key == "profile"
    assert "review.case_conference" in caught.value.reason
    assert "conference_roles" in caught.value.reason


def _run(profile: str) -> StepRun:
    # No attendee is named by username below, so the check reads nothing from the database.
    now = dt.datetime.combine(TODAY, dt.time(10, 0), tzinfo=dt.UTC)
    nothing: Any = None
    return StepRun(
        cast(AsyncSession, nothing), cast(Vault, nothing), load_profile(profile), lambda: now, None
    )


def _conference(*roles: str, held_on: dt.date = TODAY) -> m.Conference:
    attendees = [m.ConferenceAttendee(role=role) for role in roles]
    return m.Conference(held_on=held_on, attendees=attendees)


async def test_every_role_the_profile_names_attends_a_deputy_for_the_clerk() -> None:
    await check_conference(_run("merseyside-frs"), uuid.uuid4(), _conference(*ROLES), "input")


@pytest.mark.parametrize("field", ["input", "input.conference"])
async def test_a_missing_role_is_refused_naming_the_field_and_the_role(field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await check_conference(
            _run("merseyside-frs"), uuid.uuid4(), _conference(*ROLES[1:4]), field
        )
    assert caught.value.field == f"{field}.attendees"
    assert caught.value.message.endswith(
        "the conference includes: Director, Clerk to the Authority"
    )


async def test_a_conference_not_yet_held_is_refused() -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        await check_conference(
            _run("merseyside-frs"), uuid.uuid4(), _conference(*ROLES, held_on=tomorrow),
            "input.conference",
        )  # fmt: skip
    assert caught.value.field == "input.conference.heldOn"


async def test_a_profile_naming_no_roles_takes_any_attendees() -> None:
    await check_conference(_run("default"), uuid.uuid4(), _conference("Chair"), "input")
