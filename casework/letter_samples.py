"""Made-up facts that write every letter in every shape its step can take, for a profile:
what the letter check renders at start-up (casework/letter_check.py) and what the tests render
every template with. No person's data: the customer and staff are invented.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from casework import step_models as m
from casework.arrangements import validate_parameters
from casework.letters import LetterFacts, Worded, meaning
from casework.profiles import Profile
from records.case_files import ArrangementSummaryView, ArrangementView
from records.models import ArrangementKind, ArrangementState, Channel

SENT_ON = dt.date(2026, 3, 2)
LATER = "2026-09-02"
CUSTOMER = "Morgan O'Sample"  # an apostrophe: a plain-text letter escapes nothing
REPRESENTATIVE = "Sam Example-Advocate"
# A made-up address: no postcode area is ZZ.
ADDRESS = ("Flat 2", "1 Example Street", "Exampletown", "ZZ1 1ZZ")

# Parameters for each arrangement kind (the demo's too: api/demo_data.py).
SAMPLE_PARAMETERS: dict[ArrangementKind, dict[str, Any]] = {
    ArrangementKind.CONTACT_CHANNEL: {"channels": [Channel.LETTER.value]},
    ArrangementKind.NAMED_OFFICER: {},
    ArrangementKind.CONTACT_SCHEDULE: {
        "days": ["tuesday", "thursday"],
        "from_time": "10:00",
        "to_time": "12:00",
    },
    ArrangementKind.CONTACT_VOLUME: {"limit": 2, "period": "week", "channel": "phone"},
    ArrangementKind.CALL_DURATION: {"minutes": 20},
    ArrangementKind.WITNESS_REQUIRED: {},
    ArrangementKind.APPOINTMENT_ONLY: {},
    ArrangementKind.PREMISES_EXCLUSION: {
        "premises": ["Example Street housing office"],
        "permanent": False,
        "health_and_safety": True,
    },
    ArrangementKind.CLOSED_MATTER: {"matters": ["2024 parking permit refund"]},
    ArrangementKind.SIGNIFICANT_MATTERS_ONLY: {},
    ArrangementKind.ELECTRONIC_BLOCK: {"channels": ["social_media"]},
    ArrangementKind.SUSPENDED_CONTACT: {"pending": "legal advice"},
    ArrangementKind.CONTACT_TERMINATION: {},
    ArrangementKind.CONTACT_AGREEMENT: {"terms": ["one email a week to the named officer"]},
    ArrangementKind.PROACTIVE_CONTACT: {"frequency": "fortnightly"},
    ArrangementKind.REGULAR_MEETINGS: {"frequency": "monthly"},
    ArrangementKind.MEDIATION: {"provider": "Example Mediation Service"},
}


def every_arrangement() -> tuple[Worded, ...]:
    """What each arrangement kind means, with the sample parameters and officers."""
    return tuple(
        meaning(
            ArrangementView(
                outline=ArrangementSummaryView(
                    uuid.uuid4(), kind, ArrangementState.ACTIVE, SENT_ON, None, None
                ),
                services=("housing",),
                parameters=validate_parameters(kind, SAMPLE_PARAMETERS[kind]),
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
    # The customer's designated point of contact, where the profile asks for one (a username)
    yield made | {"ends_on": "2027-03-02", "point_of_contact": "jo.example"}
    yield made | {"ends_on": None, "appeal_deadline": None, "health_and_safety": True}
    # Health-and-safety exclusions alone: where the profile allows them no appeal, none offered
    excluded = {"kind": "premises_exclusion", "parameters": {"health_and_safety": True}}
    yield made | {
        "ends_on": None, "health_and_safety": True, "arrangements": [excluded],
        "arrangements_made": ["premises_exclusion"],
    }  # fmt: skip
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
    for review_outcome in m.ReviewOutcome:
        details = review(profile) | {"outcome": review_outcome.value}
        if "recommendation" in details:  # endorsed: the outcome recommended
            details["recommendation"] = RECOMMENDED | {"outcome": review_outcome.value}
        if review_outcome is m.ReviewOutcome.LIFT:
            del details["next_review_on"]
        else:
            details["ends_on"] = "2027-01-01"
        if review_outcome is m.ReviewOutcome.MODIFY:
            details["amended"] = ["contact_channel"]
            # Some lifted while the others stay (RCT 7.3).
            yield s.REVIEW, details | {"lifted_arrangements": ["an-arrangement-id"]}, "decision"
        yield s.REVIEW, details, "decision"
    if profile.review.recommended_by is not None:
        yield s.REVIEW, review(profile) | {
            "recommendation": RECOMMENDED | {"outcome": "lift"},
            "not_endorsed_reasons": "Contact of that kind resumed in February.",
        }, "decision"  # fmt: skip
    for outcome in profile.appeal.outcomes:
        for against in profile.appeal.against:
            for kept in ([], ["premises_exclusion"]):
                details = {"outcome": outcome, "reasons": "The decision was sound."}
                if outcome == "amended":
                    details["amended"] = ["contact_channel"]
                yield s.APPEAL, details | {"kept_health_and_safety": kept}, against
    if profile.appeal.late != "accept":  # refused, or taken as a request for review
        redirected = profile.appeal.late == "review"
        for against in profile.appeal.against:
            late = {"received_on": "2026-03-20", "deadline": "2026-03-16", "late": True}
            late |= {"against": against, "redirected_late_appeal": redirected}
            yield s.LATE_APPEAL, late, against
    replaced = {"kind": "named_officer", "reasons": "Jo Example has left the service."}
    yield s.OFFICER_CHANGED, replaced | {"replaced_named_officer": "jo.example"}, "decision"
    changed = {"kind": "contact_channel", "reasons": "Email added to letters."}
    yield s.ARRANGEMENT_CHANGED, changed | {"change": "modified"}, "decision"
    extended = {"change": "extended", "previous_ends_on": "2026-09-02"}
    yield s.ARRANGEMENT_CHANGED, changed | extended, "decision"
    yield s.ARRANGEMENT_CHANGED, changed | {"change": "lifted", "case_ended": False}, "decision"
    yield s.ENDED, {}, "decision"


# A recommendation a review decides on, where the profile names who recommends (RCT 7.3).
RECOMMENDED = {"made_on": "2026-02-20", "outcome": "continue"}


def review(profile: Profile) -> dict[str, Any]:
    """A review's details as `decideReview` keeps them: who was consulted, by name (which no
    letter prints), the case conference reconvened where the profile reviews at one, and the
    recommendation it endorsed where the profile names who recommends."""
    details: dict[str, Any] = {
        "outcome": "continue", "reasons": "No further contact of that kind.",
        "next_review_on": LATER, "consulted": "Sam Consultee",
    }  # fmt: skip
    if profile.review.recommended_by is not None:
        details["recommendation"] = RECOMMENDED
    if profile.review.case_conference:
        attendees = [{"role": role} for role in profile.assessment.conference_roles]
        attendees[0]["username"] = "attendee.one"
        details["conference"] = {"held_on": "2026-02-27", "attendees": attendees}
    return details


def sample_letters(profile: Profile) -> Iterator[tuple[m.NotificationSubject, LetterFacts]]:
    """Every letter the profile can send, in every shape, with the facts to write it from."""
    arrangements = every_arrangement()
    for subject, details, against in variants(profile):
        for format, representative, address in formats(profile):
            yield subject, LetterFacts(
                reference="MC-2026-ABCDE-FGHJK", customer_name=CUSTOMER, sent_on=SENT_ON,
                details=details, step_on=SENT_ON, arrangements=arrangements, appealed=against,
                format=format, representative=representative, address=address,
                spoc="Jo Example" if "point_of_contact" in details else None,
                lifted=arrangements[:1] if "lifted_arrangements" in details else (),
            )  # fmt: skip


def formats(
    profile: Profile,
) -> Iterator[tuple[m.NotificationFormat, str | None, tuple[str, ...]]]:
    """The formats a letter is written differently in, where the profile sends in them, and
    whether the customer's postal address is recorded: a letter, to an address and to a
    customer with none; in Welsh (its Welsh version, where the templates have one); via a
    representative (addressed to them, with no address)."""
    yield m.NotificationFormat.LETTER, None, ADDRESS
    yield m.NotificationFormat.LETTER, None, ()
    sent_in = profile.notification.formats
    if m.NotificationFormat.WELSH in sent_in:
        yield m.NotificationFormat.WELSH, None, ADDRESS
    if m.NotificationFormat.VIA_REPRESENTATIVE in sent_in:
        yield m.NotificationFormat.VIA_REPRESENTATIVE, REPRESENTATIVE, ()
