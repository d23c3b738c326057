"""Letters: every template renders for every shipped profile (StrictUndefined: a value a
template needs and is not given fails here, not as a blank in a customer's letter), in every
variant its step can take, and no rendered letter holds a word the label guard refuses."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from jinja2 import StrictUndefined

from api.demo_data import PARAMETERS as SAMPLES
from casework import letters
from casework import step_models as m
from casework.arrangements import validate_parameters
from casework.label_guard import find_label
from casework.letters import LetterFacts, long_date, meaning, render_letter
from casework.profiles import Profile, load_profile, profile_names
from records.case_files import ArrangementSummaryView, ArrangementView
from records.models import ArrangementKind, ArrangementState

ON = dt.date(2026, 3, 2)
LATER = "2026-09-02"


def every_arrangement() -> tuple[str, ...]:
    """What each arrangement kind means, with the demo's parameters and officers."""
    return tuple(
        meaning(
            ArrangementView(
                outline=ArrangementSummaryView(
                    uuid.uuid4(), kind, ArrangementState.ACTIVE, ON, None, None
                ),
                services=("housing",),
                parameters=validate_parameters(kind, SAMPLES[kind]),
                named_officer="Jo Example",
                deputy_officer="Robin Example",
            ),
            {"housing": "Housing"},
        )
        for kind in ArrangementKind
    )


def decisions() -> Iterator[dict[str, Any]]:
    made = {
        "reasons": "Six calls on one day about the same repair.",
        "starts_on": "2026-03-02",
        "review_on": LATER,
        "appeal_route": "appeal",
        "appeal_deadline": "2026-03-30",
        "arrangements_made": ["named_officer"],
    }
    yield made | {"ends_on": "2027-03-02"}
    yield made | {"ends_on": None, "appeal_deadline": None, "health_and_safety": True}
    yield made | {"ends_on": "2027-03-02", "skip_warning_explanation": "A risk to staff."}
    yield made | {
        "flagged": True, "risk": "A threat made at the office.", "ends_on": "2026-04-02",
        "full_assessment_due": "2026-03-30",
    }  # fmt: skip


def variants(profile: Profile) -> Iterator[tuple[m.NotificationSubject, dict[str, Any], str]]:
    """(subject, the details of its step, what an appeal was against) in every shape."""
    s = m.NotificationSubject
    yield s.WARNING, {"reasons": "Six calls on one day."}, "decision"
    yield s.WARNING, {
        "reasons": "Six calls on one day.", "agreed_arrangement": "One call a week.",
        "monitor_until": "2026-04-30",
    }, "decision"  # fmt: skip
    for details in decisions():
        yield s.DECISION, details, "decision"
    for outcome in m.ReviewOutcome:
        details = {"outcome": outcome.value, "reasons": "No further contact of that kind."}
        if outcome is not m.ReviewOutcome.LIFT:
            details |= {"next_review_on": LATER, "ends_on": "2027-01-01"}
        yield s.REVIEW, details, "decision"
    for outcome in profile.appeal.outcomes:
        for against in profile.appeal.against:
            for kept in ([], ["premises_exclusion"]):
                details = {"outcome": outcome, "reasons": "The decision was sound."}
                yield s.APPEAL, details | {"kept_health_and_safety": kept}, against
    yield s.ENDED, {}, "decision"


CASES = [
    (name, subject, details, against)
    for name in profile_names()
    for subject, details, against in variants(load_profile(name))
]


@pytest.mark.parametrize(("name", "subject", "details", "against"), CASES)
def test_every_letter_renders_neutrally_for_every_profile(
    name: str, subject: m.NotificationSubject, details: dict[str, Any], against: str
) -> None:
    profile = load_profile(name)
    facts = LetterFacts(
        reference="MC-2026-ABCDE-FGHJK", customer_name="Morgan O'Sample", sent_on=ON,
        details=details, step_on=ON, arrangements=every_arrangement(), appealed=against,
    )  # fmt: skip

    letter = render_letter(profile, subject, facts)

    assert find_label(letter) is None
    assert letter.startswith(f"{profile.organisation}\n\n2 March 2026\n")
    assert "Dear Morgan O'Sample," in letter  # plain text: nothing escaped
    assert letter.endswith(f"Yours sincerely,\n\n{profile.organisation}\n")
    assert "None" not in letter
    assert "\n\n\n" not in letter


def test_there_is_one_template_per_subject() -> None:
    folder = resources.files("casework").joinpath("templates", "letters")
    names = {p.name for p in folder.iterdir() if not p.name.startswith("_")}
    assert names == {f"{subject.value}.txt.j2" for subject in m.NotificationSubject}


def test_a_missing_value_fails_loudly() -> None:
    assert letters._templates.undefined is StrictUndefined
    facts = LetterFacts("MC-2026-ABCDE-FGHJK", "Morgan Sample", ON, {}, ON)
    for subject in (m.NotificationSubject.DECISION, m.NotificationSubject.REVIEW):
        with pytest.raises(KeyError):
            render_letter(load_profile("default"), subject, facts)


def test_dates_are_written_the_uk_way() -> None:
    assert long_date(dt.date(2027, 4, 13)) == "13 April 2027"
