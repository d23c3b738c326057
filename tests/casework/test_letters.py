"""Letters: every template renders for every shipped profile (StrictUndefined: a value a
template needs and is not given fails here, not as a blank in a customer's letter), in every
variant its step can take, and no rendered letter holds a word the label guard refuses; and
each says who decided, by job title (a review by the profile's reviewer, in consultation where
it says, or at the case conference reconvened; an appeal by its decider), never by name."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import pytest
from jinja2 import StrictUndefined

from casework import step_models as m
from casework.arrangements import handling_instructions
from casework.label_guard import find_label
from casework.letter_samples import SAMPLE_PARAMETERS, every_arrangement, review, variants
from casework.letter_samples import SENT_ON as ON
from casework.letter_templates import BUILT_IN, long_date
from casework.letters import LetterFacts, render_letter, representative
from casework.profiles import load_profile, profile_names
from records.errors import ValidationFailed
from records.models import ArrangementKind

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
    assert BUILT_IN.environment.undefined is StrictUndefined
    facts = LetterFacts("MC-2026-ABCDE-FGHJK", "Morgan Sample", ON, {}, ON)
    for subject in (m.NotificationSubject.DECISION, m.NotificationSubject.REVIEW):
        with pytest.raises(KeyError):
            render_letter(load_profile("default"), subject, facts)


def test_dates_are_written_the_uk_way() -> None:
    assert long_date(dt.date(2027, 4, 13)) == "13 April 2027"


def letter_about(name: str, subject: m.NotificationSubject, details: dict[str, Any]) -> str:
    facts = LetterFacts(
        "MC-2026-ABCDE-FGHJK", "Morgan Sample", ON, details, ON, every_arrangement()[:1]
    )
    return render_letter(load_profile(name), subject, facts)


# Each profile's review, as its letter says who made it.
REVIEWED_BY = {
    "cambridgeshire-cc": "The decision on this review was made by the senior officer.",
    "cumbria-frs": "The decision on this review was made by the independent senior manager.",
    "default": "The decision on this review was made by the independent senior manager.",
    # "the case conference team will reconvene every quarter to review the case"
    "merseyside-frs": (
        "The decision on this review was made at the case conference held on 27 February "
        "2026, attended by the Director, the Professional Standards Manager, the Service "
        "Manager, the Equality and Diversity Manager and the Clerk to the Authority."
    ),
    # 5.2.6: "undertaken by the city helpdesk manager, in consultation with the assistant
    # director of corporate services and/or the City Solicitor (or appropriate deputy)".
    "portsmouth-cc": (
        "The decision on this review was made by the city helpdesk manager in consultation "
        "with the assistant director of corporate services and/or the City Solicitor (or "
        "appropriate deputy)."
    ),
    "rhondda-cynon-taf": "The decision on this review was made by the Group Director.",
}


@pytest.mark.parametrize("name", profile_names())
def test_a_review_letter_says_who_reviewed(name: str) -> None:
    letter = letter_about(name, m.NotificationSubject.REVIEW, review(load_profile(name)))

    assert f"\n\nWho decided\n{REVIEWED_BY[name]}\n\n" in letter
    # Job titles only: not who was consulted by name, nor who attended by username.
    assert "Sam Consultee" not in letter
    assert "attendee.one" not in letter


def test_portsmouth_names_the_city_helpdesk_manager_not_the_managers_title() -> None:
    # `manager` is 5.1's "senior manager from the service"; the review is 5.2.6's city helpdesk
    # manager, who holds that role.
    details = review(load_profile("portsmouth-cc"))
    letter = letter_about("portsmouth-cc", m.NotificationSubject.REVIEW, details)
    assert "senior manager of the most affected service" not in letter


def test_a_conference_review_names_each_role_once_and_falls_back_without_one() -> None:
    details = review(load_profile("merseyside-frs"))
    details["conference"]["attendees"] = [
        {"role": "Director"}, {"role": "Deputy Clerk to the Authority"}, {"role": "Director"},
    ]  # fmt: skip
    letter = letter_about("merseyside-frs", m.NotificationSubject.REVIEW, details)
    assert (
        "at the case conference held on 27 February 2026, attended by the Director and the "
        "Deputy Clerk to the Authority.\n" in letter
    )
    # A review kept before reviews recorded their conference: its reviewer, by title.
    del details["conference"]
    letter = letter_about("merseyside-frs", m.NotificationSubject.REVIEW, details)
    assert "The decision on this review was made by the Director.\n" in letter


# Each profile's appeal (or request for review, where that is the challenge), and its decider.
APPEAL_DECIDED_BY = {
    "cambridgeshire-cc": "request for a review was made by the senior officer",
    "cumbria-frs": "request for a review was made by the independent senior manager",
    "default": "appeal was made by the independent senior manager",
    "merseyside-frs": "request for a review was made by the Director",
    "portsmouth-cc": "appeal was made by the director of corporate services",  # 5.2.7
    "rhondda-cynon-taf": "appeal was made by the Group Director",  # 6.2
}


@pytest.mark.parametrize("name", profile_names())
def test_an_appeal_letter_says_who_decided_it(name: str) -> None:
    outcome = load_profile(name).appeal.outcomes[-1]
    details = {"outcome": outcome, "reasons": "The decision was sound."}
    letter = letter_about(name, m.NotificationSubject.APPEAL, details)

    assert f"\n\nWho decided\nThe decision on your {APPEAL_DECIDED_BY[name]}.\n\n" in letter


def test_a_representative_is_the_notification_s_else_the_one_on_the_customer_s_record() -> None:
    sent = {"subject": "warning", "sent_on": ON, "format": "via_representative"}
    on_record = {"representative": "Sam Example-Advocate", "format": "large print"}

    named = m.RecordNotification.model_validate(sent | {"representative": "Robin Example"})
    assert representative(named, on_record) == "Robin Example"
    unnamed = m.RecordNotification.model_validate(sent)
    assert representative(unnamed, on_record) == "Sam Example-Advocate"
    with pytest.raises(ValidationFailed) as refused:
        representative(unnamed, {"format": "large print"})
    assert refused.value.field == "input.representative"
    # Any other format is the customer's own letter.
    letter = m.RecordNotification.model_validate(sent | {"format": "letter"})
    assert representative(letter, on_record) is None


def test_a_letter_tells_the_customer_how_their_contact_is_handled_not_what_staff_do() -> None:
    """Each arrangement, as a letter gives it, is addressed to the customer ("you", "we"), and
    is not the instruction a front-line officer is given for it."""
    meanings = {a.kind: a.text for a in every_arrangement()}
    meanings = {ArrangementKind[k]: t for k, t in meanings.items()}
    for kind, text in meanings.items():
        staff = handling_instructions(kind, SAMPLE_PARAMETERS[kind], "Jo Example")
        assert staff.split(". ")[0] not in text, kind
        assert {"you", "your", "we", "us"} & set(text.lower().replace(".", " ").split()), kind
        assert text.endswith("This applies to your contact with: Housing."), kind
    assert meanings[ArrangementKind.NAMED_OFFICER].startswith(
        "Your contact will be dealt with by Jo Example (or Robin Example when they are away)."
    )
    assert meanings[ArrangementKind.CONTACT_VOLUME].startswith(
        "We will answer up to 2 contacts from you a week by phone."
    )
    assert meanings[ArrangementKind.PREMISES_EXCLUSION].startswith(
        "Please do not attend the premises listed, for health and safety reasons. You may "
        "still contact us in the other ways open to you. Premises: Example Street housing "
        "office."
    )


ADDRESS = ("1 Example Street", "Exampletown", "ZZ1 1ZZ")


@pytest.mark.parametrize("name", profile_names())
def test_a_letter_opens_with_the_customer_s_address_where_one_is_recorded(name: str) -> None:
    def heading(customer: str | None, **given: Any) -> str:
        facts = LetterFacts(
            "MC-2026-ABCDE-FGHJK", customer, ON, {}, ON, every_arrangement()[:1], **given
        )
        letter = render_letter(load_profile(name), m.NotificationSubject.ENDED, facts)
        return letter.partition("Our reference:")[0]

    organisation = load_profile(name).organisation
    addressed = heading("Morgan Sample", address=ADDRESS)
    assert addressed == (
        f"{organisation}\n\nMorgan Sample\n1 Example Street\nExampletown\nZZ1 1ZZ\n\n2 March 2026\n"
    )
    # A customer whose name is not given: "the correspondent", as the greeting says.
    assert heading(None, address=ADDRESS).startswith(
        f"{organisation}\n\nThe correspondent\n1 Example Street\n"
    )
    # No address recorded: no block, the heading as before.
    assert heading("Morgan Sample") == f"{organisation}\n\n2 March 2026\n"
    # Via a representative: their address is not recorded, and the customer's would send the
    # letter to the customer, so none.
    via = heading(
        "Morgan Sample", address=ADDRESS, format=m.NotificationFormat.VIA_REPRESENTATIVE,
        representative="Sam Advocate",
    )  # fmt: skip
    assert via == f"{organisation}\n\n2 March 2026\n"
