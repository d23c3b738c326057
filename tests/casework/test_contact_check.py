"""The contact check's evaluation, pure: one contact against the arrangements in force
answers PROCEED, ROUTE, FILE or DECLINE with neutral instructions; the strictest finding
wins; an emergency is never limited. (Over HTTP with a portal key: tests/api/
test_contact_check.py.)"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.demo_data import PARAMETERS as SAMPLES
from casework.arrangements import validate_parameters
from casework.contact_check import (
    EMERGENCY,
    NO_ARRANGEMENT,
    IncomingContact,
    evaluate,
    period_bounds,
    validate,
)
from casework.label_guard import find_label
from casework.status import InForce
from records.contacts import ContactOutcome
from records.errors import ValidationFailed
from records.models import ArrangementKind, Channel

K = ArrangementKind
# Tuesday 3 March 2026, 10:30 UK time (GMT).
TUESDAY_MORNING = dt.datetime(2026, 3, 3, 10, 30, tzinfo=dt.UTC)


def arrangement(
    kind: ArrangementKind,
    parameters: dict[str, Any] | None = None,
    officer: str | None = None,
    deputy: str | None = None,
) -> InForce:
    return InForce(
        arrangement_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        kind=kind,
        parameters=validate_parameters(kind, parameters or {}),
        named_officer=officer,
        deputy_officer=deputy,
        starts_on=dt.date(2026, 1, 1),
        ends_on=None,
        next_review_on=None,
    )


def contact(channel: Channel = Channel.PHONE, **given: Any) -> IncomingContact:
    return IncomingContact(
        service="housing", channel=channel, at=given.pop("at", TUESDAY_MORNING), **given
    )


SCHEDULE = {"days": ["tuesday"], "from_time": "10:00", "to_time": "12:00"}
LETTER_ONLY = {"channels": ["letter"]}


def test_no_arrangement_proceeds_as_usual() -> None:
    answer = evaluate(contact(), (), {})
    assert (answer.outcome, answer.instructions, answer.arrangements) == (
        ContactOutcome.PROCEED, (NO_ARRANGEMENT,), ()
    )  # fmt: skip


def test_an_arrangement_that_only_shapes_the_contact_proceeds_with_its_instructions() -> None:
    answer = evaluate(contact(), (arrangement(K.CALL_DURATION, {"minutes": 20}),), {})
    assert answer.outcome is ContactOutcome.PROCEED
    assert any("20 minutes" in line for line in answer.instructions)


def test_contact_outside_the_permitted_channel_is_declined_naming_the_route() -> None:
    answer = evaluate(contact(Channel.EMAIL), (arrangement(K.CONTACT_CHANNEL, LETTER_ONLY),), {})
    assert answer.outcome is ContactOutcome.DECLINE
    assert answer.permitted_route == "contact by letter"
    assert "contact by letter" in answer.instructions[0]
    assert evaluate(contact(Channel.LETTER), (arrangement(K.CONTACT_CHANNEL, LETTER_ONLY),), {}
                    ).outcome is ContactOutcome.PROCEED  # fmt: skip


def test_a_declined_contact_names_who_the_permitted_route_goes_to_and_takes_no_message() -> None:
    """A letter-only arrangement beside a named officer: a phone call is declined, and the
    person is told to write, to the officer. The officer's standing instruction ("take a
    message") would contradict the refusal, so it is not given; other arrangements' are."""
    both = (
        arrangement(K.CONTACT_CHANNEL, LETTER_ONLY),
        arrangement(K.NAMED_OFFICER, {}, officer="Jo Example", deputy="Robin Example"),
        arrangement(K.CALL_DURATION, {"minutes": 20}),
    )
    answer = evaluate(contact(Channel.PHONE), both, {})
    assert answer.outcome is ContactOutcome.DECLINE
    route = "contact by letter, to Jo Example (or Robin Example when they are away)"
    assert answer.permitted_route == route
    assert (
        answer.instructions[0]
        == f"Do not take the contact this way. Explain the permitted route: {route}."
    )
    assert not any("Take a message" in line for line in answer.instructions)
    assert any("20 minutes" in line for line in answer.instructions)
    letter = evaluate(contact(Channel.LETTER), both, {})
    assert (letter.outcome, letter.route_to) == (ContactOutcome.ROUTE, "Jo Example")
    # A refusal that names no other route is not sent to the officer.
    visit = evaluate(
        contact(Channel.IN_PERSON), (arrangement(K.APPOINTMENT_ONLY, {}), *both[1:]), {}
    )
    assert visit.permitted_route == "face-to-face contact by appointment; offer an appointment"


@pytest.mark.parametrize(
    ("at", "outcome"),
    [
        (TUESDAY_MORNING, ContactOutcome.PROCEED),
        (TUESDAY_MORNING.replace(hour=12), ContactOutcome.DECLINE),  # the end is exclusive
        (TUESDAY_MORNING + dt.timedelta(days=1), ContactOutcome.DECLINE),  # Wednesday
        # Tuesday 30 June 2026 is in BST: 09:30 UTC is 10:30 in the UK.
        (dt.datetime(2026, 6, 30, 9, 30, tzinfo=dt.UTC), ContactOutcome.PROCEED),
        (dt.datetime(2026, 6, 30, 8, 30, tzinfo=dt.UTC), ContactOutcome.DECLINE),
    ],
)
def test_a_schedule_is_days_and_times_in_uk_local_time(at: dt.datetime, outcome: str) -> None:
    answer = evaluate(contact(at=at), (arrangement(K.CONTACT_SCHEDULE, SCHEDULE),), {})
    assert answer.outcome == outcome
    if outcome == ContactOutcome.DECLINE:
        assert answer.permitted_route == "contact on tuesday between 10:00 and 12:00 (UK time)"


def test_a_schedule_does_not_decline_a_letter_arriving_out_of_hours() -> None:
    late = TUESDAY_MORNING.replace(hour=22)
    answer = evaluate(
        contact(Channel.LETTER, at=late), (arrangement(K.CONTACT_SCHEDULE, SCHEDULE),), {}
    )
    assert answer.outcome is ContactOutcome.PROCEED


def test_the_named_officer_routes_unless_the_contact_is_already_with_them() -> None:
    named = arrangement(K.NAMED_OFFICER, officer="Sam Officer", deputy="Dee Deputy")
    routed = evaluate(contact(), (named,), {})
    assert (routed.outcome, routed.route_to, routed.deputy) == (
        ContactOutcome.ROUTE, "Sam Officer", "Dee Deputy"
    )  # fmt: skip
    assert (
        "Pass the contact to Sam Officer (or Dee Deputy when they are away)"
        in (routed.instructions[0])
    )
    for addressed in ("sam  officer", "Dee Deputy"):
        assert evaluate(contact(addressed_to=addressed), (named,), {}).outcome is (
            ContactOutcome.PROCEED
        )


def test_a_closed_matter_is_filed_and_another_matter_is_not() -> None:
    closed = arrangement(K.CLOSED_MATTER, {"matters": ["Bin collection 2025"]})
    filed = evaluate(contact(matter="bin   collection 2025"), (closed,), {})
    assert filed.outcome is ContactOutcome.FILE
    assert "screened for any new matter" in filed.instructions[0]
    assert evaluate(contact(matter="Parking permit"), (closed,), {}).outcome is (
        ContactOutcome.PROCEED
    )


def test_a_volume_limit_files_contact_beyond_the_limit_on_its_channel() -> None:
    volume = arrangement(K.CONTACT_VOLUME, {"limit": 2, "period": "week", "channel": "email"})
    counts = {volume.arrangement_id: 2}
    assert evaluate(contact(Channel.EMAIL), (volume,), counts).outcome is ContactOutcome.FILE
    assert evaluate(contact(Channel.EMAIL), (volume,), {volume.arrangement_id: 1}).outcome is (
        ContactOutcome.PROCEED
    )
    assert evaluate(contact(Channel.PHONE), (volume,), counts).outcome is ContactOutcome.PROCEED


@pytest.mark.parametrize(
    "limiting",
    [
        (K.CONTACT_CHANNEL, LETTER_ONLY),
        (K.CONTACT_SCHEDULE, {"days": ["sunday"], "from_time": "10:00", "to_time": "11:00"}),
        (K.CONTACT_VOLUME, {"limit": 1, "period": "day"}),
        (K.CLOSED_MATTER, {"matters": ["the fence"]}),
        (K.SIGNIFICANT_MATTERS_ONLY, {}),
        (K.ELECTRONIC_BLOCK, {"channels": ["email"]}),
        (K.SUSPENDED_CONTACT, {}),
        (K.CONTACT_TERMINATION, {}),
        (K.PREMISES_EXCLUSION, {"premises": ["Civic Centre"]}),
        (K.NAMED_OFFICER, {}),
    ],
)
def test_a_contact_limit_is_never_applied_to_an_emergency(
    limiting: tuple[ArrangementKind, dict[str, Any]],
) -> None:
    kind, parameters = limiting
    limit = arrangement(kind, parameters, officer="Sam Officer")
    for channel in Channel:
        emergency = contact(channel, matter="the fence", emergency=True)
        answer = evaluate(emergency, (limit,), {limit.arrangement_id: 99})
        assert answer.outcome is ContactOutcome.PROCEED
        assert answer.instructions == (EMERGENCY,)
        assert "never limited" in EMERGENCY


@pytest.mark.parametrize(
    ("premises", "outcome"),
    [
        (None, ContactOutcome.DECLINE),  # not said: the exclusion holds
        ("civic  centre", ContactOutcome.DECLINE),
        ("Market Street library", ContactOutcome.PROCEED),
    ],
)
def test_a_premises_exclusion_declines_in_person_contact_at_its_premises(
    premises: str | None, outcome: ContactOutcome
) -> None:
    excluded = arrangement(K.PREMISES_EXCLUSION, {"premises": ["Civic Centre"]})
    visit = contact(Channel.IN_PERSON, premises=premises)
    assert evaluate(visit, (excluded,), {}).outcome is outcome
    assert evaluate(contact(Channel.PHONE), (excluded,), {}).outcome is ContactOutcome.PROCEED


def test_the_strictest_finding_wins() -> None:
    named = arrangement(K.NAMED_OFFICER, officer="Sam Officer")
    closed = arrangement(K.CLOSED_MATTER, {"matters": ["the fence"]})
    channel = arrangement(K.CONTACT_CHANNEL, LETTER_ONLY)
    about_fence = contact(matter="the fence")
    assert evaluate(about_fence, (named, closed), {}).outcome is ContactOutcome.FILE
    answer = evaluate(about_fence, (named, closed, channel), {})
    assert answer.outcome is ContactOutcome.DECLINE
    assert answer.decided_by == channel
    assert answer.arrangements == (K.NAMED_OFFICER, K.CLOSED_MATTER, K.CONTACT_CHANNEL)


@pytest.mark.parametrize(
    ("kind", "parameters", "officer", "outcome"),
    [
        (K.ELECTRONIC_BLOCK, {"channels": ["email"]}, None, ContactOutcome.DECLINE),
        (K.PREMISES_EXCLUSION, {"premises": ["Civic Centre"]}, None, ContactOutcome.DECLINE),
        (K.APPOINTMENT_ONLY, {}, None, ContactOutcome.DECLINE),
        (K.SUSPENDED_CONTACT, {}, "Sam Officer", ContactOutcome.ROUTE),
        (K.SUSPENDED_CONTACT, {}, None, ContactOutcome.FILE),
        (K.CONTACT_TERMINATION, {}, "Sam Officer", ContactOutcome.ROUTE),
        (K.CONTACT_TERMINATION, {}, None, ContactOutcome.DECLINE),
        (K.MEDIATION, {}, None, ContactOutcome.ROUTE),
        (K.PROACTIVE_CONTACT, {"frequency": "weekly"}, "Sam Officer", ContactOutcome.ROUTE),
        (K.WITNESS_REQUIRED, {}, None, ContactOutcome.PROCEED),
        (K.CONTACT_AGREEMENT, {"terms": ["one call a week"]}, None, ContactOutcome.PROCEED),
    ],
)
def test_each_kind_answers_its_outcome(
    kind: ArrangementKind, parameters: dict[str, Any], officer: str | None, outcome: str
) -> None:
    channel = Channel.EMAIL if kind is K.ELECTRONIC_BLOCK else Channel.IN_PERSON
    answer = evaluate(contact(channel), (arrangement(kind, parameters, officer),), {})
    assert answer.outcome == outcome
    assert (answer.permitted_route is not None) == (outcome == ContactOutcome.DECLINE)


def test_an_electronic_block_names_the_channels_left() -> None:
    block = arrangement(K.ELECTRONIC_BLOCK, {"channels": ["email", "web_form", "social_media"]})
    answer = evaluate(contact(Channel.WEB_FORM), (block,), {})
    assert answer.permitted_route == "contact by phone, letter, in person or text message"


def test_periods_are_uk_local_day_monday_week_and_calendar_month() -> None:
    at = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)  # Thu 2 July 00:30 BST
    utc = dt.UTC
    assert period_bounds(at, "day") == (
        dt.datetime(2026, 7, 1, 23, 0, tzinfo=utc), dt.datetime(2026, 7, 2, 23, 0, tzinfo=utc)
    )  # fmt: skip
    assert period_bounds(at, "week")[0] == dt.datetime(2026, 6, 28, 23, 0, tzinfo=utc)
    assert period_bounds(at, "month") == (
        dt.datetime(2026, 6, 30, 23, 0, tzinfo=utc), dt.datetime(2026, 7, 31, 23, 0, tzinfo=utc)
    )  # fmt: skip


def test_bad_input_names_the_field() -> None:
    now = TUESDAY_MORNING
    with pytest.raises(ValidationFailed) as caught:
        validate(contact(at=dt.datetime(2026, 3, 3, 10, 30)), now)
    assert caught.value.field == "contact.at"
    with pytest.raises(ValidationFailed) as caught:
        validate(contact(matter="x" * 501), now)
    assert caught.value.field == "contact.matter"
    with pytest.raises(ValidationFailed) as caught:
        validate(contact(matter="the customer is vexatious"), now)
    assert caught.value.field == "contact.matter" and "'vexatious'" in caught.value.message


@pytest.mark.parametrize(
    ("minutes", "taken"),
    [(0, True), (5, True), (6, False), (-366 * 24 * 60, True), (-366 * 24 * 60 - 1, False)],
)
def test_a_contact_is_made_by_now_and_within_the_year(minutes: int, taken: bool) -> None:
    at = TUESDAY_MORNING + dt.timedelta(minutes=minutes)
    if taken:
        validate(contact(at=at), TUESDAY_MORNING)
        return
    with pytest.raises(ValidationFailed) as caught:
        validate(contact(at=at), TUESDAY_MORNING)
    assert caught.value.field == "contact.at"


@given(
    kinds=st.lists(st.sampled_from([K.CONTACT_CHANNEL, K.CLOSED_MATTER, K.NAMED_OFFICER,
                                    K.CONTACT_VOLUME, K.SIGNIFICANT_MATTERS_ONLY]),
                   min_size=1, max_size=5),
    channel=st.sampled_from(list(Channel)),
)  # fmt: skip
def test_any_mix_of_arrangements_never_limits_an_emergency(
    kinds: list[ArrangementKind], channel: Channel
) -> None:
    parameters = {
        K.CONTACT_CHANNEL: LETTER_ONLY,
        K.CLOSED_MATTER: {"matters": ["the fence"]},
        K.CONTACT_VOLUME: {"limit": 1, "period": "day"},
    }
    found = tuple(arrangement(k, parameters.get(k), officer="Sam Officer") for k in kinds)
    answer = evaluate(contact(channel, emergency=True, matter="the fence"), found,
                      {a.arrangement_id: 5 for a in found})  # fmt: skip
    assert answer.outcome is ContactOutcome.PROCEED


def test_instructions_say_the_outcome_first_then_each_other_arrangement_once() -> None:
    named = arrangement(K.NAMED_OFFICER, officer="Sam Officer")
    duration = arrangement(K.CALL_DURATION, {"minutes": 15})
    answer = evaluate(contact(), (named, duration), {})
    assert answer.outcome is ContactOutcome.ROUTE
    assert len(answer.instructions) == 2
    assert answer.instructions[0].startswith("Pass the contact to Sam Officer")
    assert "15 minutes" in answer.instructions[1]


@pytest.mark.parametrize("kind", list(K))
def test_no_instruction_labels_a_person(kind: ArrangementKind) -> None:
    found = (arrangement(kind, SAMPLES[kind], officer="Sam Officer"),)
    for channel in Channel:
        for emergency in (False, True):
            answer = evaluate(contact(channel, emergency=emergency), found, {})
            assert all(find_label(line) is None for line in answer.instructions)
