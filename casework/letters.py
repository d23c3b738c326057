"""The letter a notification sends the customer, generated from a template and kept on file
(DESIGN 2): one plain-text Jinja2 template per subject in `casework/templates/letters/`,
or the deployment's own in front of them (casework/letter_templates.py, docs/letters.md).

A decision letter says why, what it means for the customer (each arrangement as
casework/arrangements.py words it for them, not the instruction staff are given), from when
and for how long, the review date, how to appeal or ask for a review and by when, who
decided (job title), and that the policy is enclosed. A warning letter gives the conduct
concerned, what may follow and, where the profile allows, how to appeal. Review and appeal
letters give the outcome, what follows and who decided; a late-appeal letter, that an appeal
received after its deadline was not considered (the profile's time limit decided it, not a
person) or, where the profile takes a late appeal as a request for review (Portsmouth
5.2.7), that it will be considered as one and who undertakes the review; an "ended" letter,
the day the arrangements ended; an "officer changed" letter, the arrangement whose named
officer or deputy was replaced (or deputy removed), as it now reads; an "arrangement
changed" letter, the one arrangement modified or extended, as it now reads with its dates
and how to ask for a review, or lifted while others stay. "Who decided" is said once
(`_who_decided.txt.j2`), from `_who`: job titles, never staff names.

The text names the customer, and opens with their postal address where one is recorded
(their preferred address: records/addresses.py): `recordNotification` keeps it in the
event's details, sealed under the case's data key (destroyed with the case). It is never
logged. A letter kept is what was sent: a later change of name or address leaves it be.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from casework import step_models as m
from casework.arrangements import EMERGENCY_NOTE, what_it_means
from casework.deadlines import appeal_deadline
from casework.letter_templates import BUILT_IN, LetterTemplates
from casework.profiles import Profile
from casework.steps import Begun, StepRun, point_of_contact
from records.addresses import letter_address
from records.case_files import ArrangementView, open_case_file
from records.case_steps import Step, last_details, last_event
from records.days import uk_day
from records.errors import InvalidTransition, ValidationFailed
from records.models import IN_FORCE
from records.services import service_names
from records.staff import staff_display_name

# The step each subject's letter is about (an "ended" letter is about the case's end date).
ABOUT: dict[m.NotificationSubject, tuple[Step, ...]] = {
    m.NotificationSubject.WARNING: (Step.WARNING_ISSUED,),
    m.NotificationSubject.DECISION: (Step.DECIDED, Step.DECIDED_IMMEDIATE_RISK),
    m.NotificationSubject.REVIEW: (Step.REVIEW_DECIDED,),
    m.NotificationSubject.APPEAL: (Step.APPEAL_DECIDED,),
    m.NotificationSubject.ENDED: (),
    # Refused, or taken as a request for review (a review the customer asked for themselves
    # is no late appeal: `compose_letter` writes none about it).
    m.NotificationSubject.LATE_APPEAL: (Step.APPEAL_REFUSED_LATE, Step.REVIEW_REQUESTED),
    # The arrangement whose named officer or deputy was replaced, with its officers now.
    m.NotificationSubject.OFFICER_CHANGED: (Step.ARRANGEMENT_MODIFIED,),
    # The arrangement modified, extended or lifted (the step's `change`), as it now reads.
    m.NotificationSubject.ARRANGEMENT_CHANGED: (
        Step.ARRANGEMENT_MODIFIED,
        Step.ARRANGEMENT_EXTENDED,
        Step.ARRANGEMENT_LIFTED,
    ),
}
# What each subject tells the customer of, as a refusal names it when the case has none.
_TELLS_OF = {
    m.NotificationSubject.WARNING: "no warning",
    m.NotificationSubject.DECISION: "no decision",
    m.NotificationSubject.REVIEW: "no review decided",
    m.NotificationSubject.APPEAL: "no appeal decided",
    m.NotificationSubject.ENDED: "no arrangements that have ended",
    m.NotificationSubject.LATE_APPEAL: "no late appeal and no request for a review",
    m.NotificationSubject.OFFICER_CHANGED: "no arrangement modified",
    m.NotificationSubject.ARRANGEMENT_CHANGED: "no arrangement modified, extended or lifted",
}


def check_something_to_tell(begun: Begun, subject: m.NotificationSubject) -> None:
    """A notification tells the customer of a step on the case (an "ended" one, of its
    arrangements' end): about a step the case has not had, it would be kept on file with no
    letter, as though one had gone out, and meet nothing. Refused on `input.subject`."""
    steps = ABOUT[subject]
    if steps:
        about = any(t.step in steps for t in begun.taken)
    else:
        about = begun.case.restrictions_ended_on is not None
    if about:
        return
    raise ValidationFailed(
        "input.subject",
        f"this case has {_TELLS_OF[subject]} to tell the customer of: record the "
        "notification once the step it is about is on the case",
    )


# Of a subject's steps, the events its letter is about: a change of what an arrangement asks,
# not of its officers alone (OFFICER_CHANGED's letter), even when the officers changed since.
_ABOUT_ONLY: dict[m.NotificationSubject, Callable[[dict[str, Any]], bool]] = {
    m.NotificationSubject.ARRANGEMENT_CHANGED: lambda details: "change" in details,
}
# Letters about the one arrangement their step changed, not the others in force.
_ONE_ARRANGEMENT = (
    m.NotificationSubject.OFFICER_CHANGED,
    m.NotificationSubject.ARRANGEMENT_CHANGED,
)
# Lists in an arrangement's parameters the customer needs named, not just referred to.
_PARTICULARS = {"premises": "Premises", "matters": "Matters", "terms": "Terms"}


@dataclass(frozen=True)
class Worded:
    """One arrangement in force, as a letter gives it: `text`, what it means for the customer
    in English (`meaning`); and its parts, for a template that words it itself (a Welsh
    version, say): the kind as the API spells it (NAMED_OFFICER), the officers by name, the
    services by name, and the parameters as recorded (premises, matters, channels, days...)."""

    text: str
    kind: str
    named_officer: str | None
    deputy_officer: str | None
    services: tuple[str, ...]
    parameters: Mapping[str, Any]
    ends_on: dt.date | None = None  # None: until reviewed
    review_on: dt.date | None = None


@dataclass(frozen=True)
class LetterFacts:
    """What a letter is written from. `details` are those of the step it is about (empty for
    an "ended" letter), as the timeline keeps them; `arrangements`, each arrangement in
    force, worded for the customer."""

    reference: str
    customer_name: str | None  # None: not given ("Dear correspondent")
    sent_on: dt.date
    details: dict[str, Any]
    step_on: dt.date
    arrangements: tuple[Worded, ...] = ()
    appealed: str = "decision"  # what an appeal was against
    # The format it is sent in: Welsh picks the Welsh (or bilingual) version of the letter
    # where the templates have one (casework/letter_templates.py).
    format: m.NotificationFormat | None = None
    # Whom a letter sent via a representative is addressed to, by name; None otherwise.
    representative: str | None = None
    # The customer's postal address, its lines, postcode last (records/addresses.py); empty
    # where none is recorded. A letter via a representative is given none: theirs is not
    # recorded, and the customer's would send it to the customer.
    address: tuple[str, ...] = ()
    # The point of contact the letter names, by name: a warning's proposed single point of
    # contact (Portsmouth 5.1), a decision's designated one (Cambridgeshire); None otherwise.
    spoc: str | None = None
    # The arrangements a review decided as modify lifted while others stay, worded as they
    # read before (RCT 7.3: "partially removed"); empty otherwise.
    lifted: tuple[Worded, ...] = ()


def render_letter(
    profile: Profile,
    subject: m.NotificationSubject,
    facts: LetterFacts,
    templates: LetterTemplates = BUILT_IN,
) -> str:
    """The letter about `subject`, in the profile's words, from `templates` (a deployment's
    own, checked at start-up, in front of the built-in ones): in Welsh format, its Welsh
    version where they have one. A value the template needs and is not given fails
    (StrictUndefined) rather than printing a blank."""
    welsh = facts.format is m.NotificationFormat.WELSH
    return templates.letter(subject.value, welsh=welsh).render(**_context(profile, subject, facts))


def _context(
    profile: Profile, subject: m.NotificationSubject, facts: LetterFacts
) -> dict[str, Any]:
    rule = profile.appeal
    d = facts.details
    context: dict[str, Any] = {
        "organisation": profile.organisation,
        "reference": facts.reference,
        "customer_name": facts.customer_name,
        "representative": facts.representative,
        "address": facts.address if facts.representative is None else (),
        "sent_on": facts.sent_on,
        "step_on": facts.step_on,
        "arrangements": tuple(a.text for a in facts.arrangements),
        "arrangement_parts": facts.arrangements,
        "emergency_note": EMERGENCY_NOTE,
        "reasons": d.get("reasons"),
        "route": _route(rule.route),
        "appeal_title": profile.title_of(rule.deciding_roles[0]),
        "appeal_to": rule.write_to,
        "appeal_address": rule.address,
        "appeal_quote": rule.quote,
        "appeal_window": _window(rule.window, rule.unit),
        "decide_within_days": rule.decide_within_days,
        "appealable": subject.value in rule.against,
        "deadline": appeal_deadline(profile, facts.step_on),
        "decider": profile.title_of(profile.decision.deciding_role),
    }
    if subject is m.NotificationSubject.DECISION:
        immediate = bool(d.get("flagged"))
        role = profile.decision.immediate_risk_role if immediate else profile.decision.deciding_role
        kept = bool(d.get("health_and_safety")) and not rule.health_and_safety_appealable
        context |= {
            # RCT 3.6: a decision of health-and-safety exclusions alone has no appeal
            # (lodgeAppeal refuses one), so its letter offers none.
            "appealable": context["appealable"] and not (kept and _exclusions_only(d)),
            "immediate": immediate,
            "risk": d.get("risk"),
            "full_assessment_due": _date(d.get("full_assessment_due")),
            "skip_warning": d.get("skip_warning_explanation"),
            "starts_on": _date(d["starts_on"]),
            "ends_on": _date(d.get("ends_on")),
            "review_on": _date(d["review_on"]),
            "deadline": _date(d.get("appeal_deadline")),
            "route": _route(d.get("appeal_route", rule.route)),
            "who": _who(
                "This decision",
                profile.title_of(role),
                None if immediate else profile.decision.with_,
            ),
            "health_and_safety_kept": kept,
            "point_of_contact": facts.spoc,
        }
    elif subject is m.NotificationSubject.WARNING:
        issuer = profile.warning.issuing_role
        context |= {
            "issued_by": profile.title_of(issuer) if issuer is not None else None,
            # RCT 5.1 Stage 1: "Head of Service in consultation with Service Director": the
            # post the profile names, as a decision letter gives `[decision] with`.
            "consulted": profile.warning.with_,
            "spoc": facts.spoc,
            # Portsmouth 5.1: at step one the customer "will be offered the opportunity to
            # appoint a representative to contact the council on their behalf".
            "offer_representative": profile.warning.step_one_spoc,
            "agreed_arrangement": d.get("agreed_arrangement"),
            "monitor_until": _date(d.get("monitor_until")),
        }
    elif subject is m.NotificationSubject.REVIEW:
        context |= {
            "outcome": d["outcome"],
            # Only a review that made changes is open to appeal (casework/reviews.py).
            "appealable": context["appealable"] and d["outcome"] in ("modify", "extend"),
            "ends_on": _date(d.get("ends_on")),
            "period_ends_on": _date(d.get("period_ends_on")),
            "next_review_on": _date(d.get("next_review_on")),
            "who": _reviewed_by(profile, d.get("conference")),
            "recommendation": _recommendation(profile, d),
            "lifted": tuple(a.text for a in facts.lifted),
        }
    elif subject is m.NotificationSubject.APPEAL:
        context |= {
            "outcome": d["outcome"],
            "outcome_words": d["outcome"].replace("_", " "),
            "against": facts.appealed,
            "case_ended": bool(d.get("case_ended")),
            "health_and_safety_kept": bool(d.get("kept_health_and_safety")),
            "who": _who(
                f"The decision on your {context['route']['noun']}", context["appeal_title"]
            ),
        }
    elif subject is m.NotificationSubject.LATE_APPEAL:
        context |= {
            "against": d["against"],
            "received_on": _date(d["received_on"]),
            "deadline": _date(d["deadline"]),
            "review_by": _reviewer(profile) if d.get("redirected_late_appeal") else None,
        }
    elif subject is m.NotificationSubject.ENDED:
        context |= {"retention_years": profile.retention.years_after_last_restriction}
    elif subject is m.NotificationSubject.ARRANGEMENT_CHANGED:
        changed = facts.arrangements[0] if facts.arrangements else None
        context |= {
            "change": d["change"],
            "ends_on": changed.ends_on if changed else None,
            "review_on": changed.review_on if changed else None,
            "previous_ends_on": _date(d.get("previous_ends_on")),
            # No step takes an appeal against a change (lodgeAppeal: a warning, decision or
            # review, in its window from that step), so the route offered is the one every
            # profile keeps open while arrangements last: a review the customer asks for.
            "reviewer": _reviewer(profile),
            "review_requests": profile.review.customer_requests_per_period,
        }
    return context


def _exclusions_only(details: Mapping[str, Any]) -> bool:
    """Whether every arrangement a decision made is a premises exclusion for health and
    safety (its input, as the details keep it)."""
    made = details.get("arrangements") or ()
    return bool(made) and all(
        a["kind"] == "premises_exclusion" and a["parameters"].get("health_and_safety") for a in made
    )


def _who(
    what: str, by: str, consulted: str | None = None, conference: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Who decided, as `_who_decided.txt.j2` says it: `what` was made by the job title `by`,
    in consultation with `consulted`; or at a case conference (its date and the attendees'
    roles, recorded with the step: never their names)."""
    if conference is not None:
        roles = list(dict.fromkeys(a["role"] for a in conference["attendees"]))
        conference = {
            "held_on": _date(conference["held_on"]),
            "attended_by": _in_turn([f"the {role}" for role in roles]),
        }
    return {"what": what, "by": by, "consulted": consulted, "conference": conference}


def _reviewed_by(profile: Profile, conference: dict[str, Any] | None) -> dict[str, Any]:
    """Who decided a review: the case conference reconvened, where the profile reviews at one
    (Merseyside); else the profile's reviewer, by `[review] decider_title` where their role's
    title is another post's (Portsmouth 5.2.6: the city helpdesk manager), in consultation
    with whom the profile names (`[review] with`: the policy's titles, as a decision letter
    gives `[decision] with`; the review's own `consulted` may be a name)."""
    rule = profile.review
    held = conference if rule.case_conference else None
    return _who("The decision on this review", _reviewer(profile), rule.with_, held)


def _reviewer(profile: Profile) -> str:
    """The job title of who undertakes the profile's reviews, as letters give it: `[review]
    decider_title` where their role's title is another post's (Portsmouth 5.2.6)."""
    rule = profile.review
    return rule.decider_title or profile.title_of(rule.deciding_roles[0])


# What a recommendation proposed, as the letter says it ("recommended that the arrangements
# ..."): RCT 7.3's own words, "continue, or be fully/partially removed".
_RECOMMENDED = {
    "continue": "continue",
    "extend": "continue for a further period",
    "lift": "be fully removed",
    "modify": "be partially removed",
}


def _recommendation(profile: Profile, details: dict[str, Any]) -> dict[str, Any] | None:
    """The recommendation a review decided on, where the profile names who recommends (RCT
    7.4: the Group Director says whether the Customer Feedback Group's recommendations "are
    endorsed", and the customer is notified "accordingly"): who made it, when, what it
    proposed, whether it was endorsed and, if not, why. None for a review without one (a
    new issue's, or any review where the profile names no one)."""
    made = details.get("recommendation")
    if made is None or profile.review.recommended_by is None:
        return None
    return {
        "by": profile.review.recommended_by,
        "made_on": _date(made["made_on"]),
        "proposed": _RECOMMENDED[made["outcome"]],
        "endorsed": made["outcome"] == details["outcome"],
        "not_endorsed_reasons": details.get("not_endorsed_reasons"),
    }


def _window(window: int | None, unit: str) -> str | None:
    """The profile's time limit as a letter says it: "15 working days", "28 days"."""
    if window is None:
        return None
    return f"{window} working days" if unit == "working_days" else f"{window} days"


def _in_turn(items: list[str]) -> str:
    """Items as a sentence lists them: a; a and b; a, b and c."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _route(route: str) -> dict[str, str]:
    """How the letter names the profile's challenge: an appeal, or a request for review."""
    if route == "appeal":
        return {"noun": "appeal", "ask": "appeal against"}
    return {"noun": "request for a review", "ask": "ask for a review of"}


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def meaning(arrangement: ArrangementView, names: Mapping[str, str]) -> Worded:
    """What one arrangement means for the customer, addressed to them (the note on emergency
    contact is said once per letter), the premises, matters or terms it names, and the
    services it applies to (`names`: a service's name by slug; RCT's arrangements are a
    service's, never council-wide); with its parts."""
    text = what_it_means(
        arrangement.outline.kind,
        arrangement.parameters,
        arrangement.named_officer,
        arrangement.deputy_officer,
    )
    for key, label in _PARTICULARS.items():
        if items := arrangement.parameters.get(key):
            text += f" {label}: {'; '.join(items)}."
    services = tuple(names.get(slug, slug) for slug in arrangement.services)
    if services:
        text += f" This applies to your contact with: {', '.join(services)}."
    return Worded(
        text=text,
        kind=arrangement.outline.kind.name,
        named_officer=arrangement.named_officer,
        deputy_officer=arrangement.deputy_officer,
        services=services,
        parameters=arrangement.parameters,
        ends_on=arrangement.outline.ends_on,
        review_on=arrangement.outline.next_review_on,
    )


async def compose_letter(
    run: StepRun, begun: Begun, given: m.RecordNotification, sent_on: dt.date
) -> str | None:
    """The letter `given` records as sent, for the case `begun` is on, in its format: or None
    when the case has no step of that subject to write about (no such decision, or an "ended"
    letter on a case whose arrangements have not ended). A letter via a representative is
    addressed to them (`representative`)."""
    subject = given.subject
    case = begun.case
    steps = ABOUT[subject]
    if steps:
        found = await last_event(run.session, run.vault, case.id, steps, _ABOUT_ONLY.get(subject))
        if found is None:
            return None
        details, taken_at = found
        if subject is m.NotificationSubject.LATE_APPEAL and not details.get("late"):
            return None  # the customer's own request for review: no late appeal to write of
        if subject is m.NotificationSubject.ARRANGEMENT_CHANGED and details.get("case_ended"):
            return None  # the last lifted: the "ended" letter's
        step_on = uk_day(taken_at)
    elif case.restrictions_ended_on is None:
        return None
    else:
        details, step_on = {}, case.restrictions_ended_on
    appealed = "decision"
    if subject is m.NotificationSubject.APPEAL:
        # What the appeal decided was against: kept on the decision since appeals are decided
        # oldest first; an older one's, from the appeal lodged last.
        lodged = await last_details(run.session, run.vault, case.id, [Step.APPEAL_LODGED])
        appealed = details.get("against") or (lodged or {}).get("against", appealed)
    opened = await open_case_file(run.session, run.vault, case.id)
    names = await service_names(run.session)
    # A decision's letter gives what it made; an amended appeal's or a modifying review's,
    # what it amended (none, where the review only lifted some), and what it lifted.
    ended = details.get("lifted_arrangements", [])
    made = details.get("arrangements_made") or details.get("amended", [] if ended else None)
    if subject in _ONE_ARRANGEMENT:
        made = [details["kind"]]  # the arrangement changed, not the others
    lifted = details.get("arrangement_id") if details.get("change") == "lifted" else None
    arrangements = tuple(
        meaning(a, names)
        for a in opened.arrangements
        if (str(a.outline.id) == lifted if lifted else a.outline.state in IN_FORCE)
        and (made is None or a.outline.kind.value in made)
    )
    facts = LetterFacts(
        reference=case.reference,
        customer_name=opened.customer.name,
        sent_on=sent_on,
        details=details,
        step_on=step_on,
        arrangements=arrangements,
        appealed=appealed,
        format=given.format,
        representative=representative(given, opened.customer.needs),
        address=letter_address(opened.customer.contacts),
        spoc=await _spoc(run, case.id, subject, details),
        lifted=tuple(meaning(a, names) for a in opened.arrangements if str(a.outline.id) in ended),
    )
    return render_letter(run.profile, subject, facts, run.letters)


# Where a step's details keep the point of contact its letter names, by username.
_CONTACT_KEPT = {
    m.NotificationSubject.WARNING: "spoc",  # proposed at step one (Portsmouth 5.1)
    m.NotificationSubject.DECISION: "point_of_contact",  # designated (Cambridgeshire)
}


async def _spoc(
    run: StepRun, case_id: uuid.UUID, subject: m.NotificationSubject, details: Mapping[str, Any]
) -> str | None:
    """The point of contact the letter names, by name: the single point of contact a warning
    proposed, or the customer's designated point of contact in a decision's letter.

    A decision's is whoever is named when the letter is written, as every letter is written
    from the record as it then is (`steps.point_of_contact`: the officer of a NAMED_OFFICER
    arrangement in force, else the latest assigned as named officer and still assigned), and
    else the one the decision kept. An immediate-risk decision waits for no one: it is made
    "on the spot" (Cambridgeshire), and holding staff's protection until someone is
    designated would defeat it. Its letter, owed the same day, is where the customer learns
    who their liaison is, so where the profile gives every customer a designated point of
    contact the letter waits for one."""
    key = _CONTACT_KEPT.get(subject)
    username = details.get(key) if key is not None else None
    if subject is m.NotificationSubject.DECISION and run.profile.decision.point_of_contact:
        username = await point_of_contact(run, case_id) or username
        if username is None:
            raise InvalidTransition(
                "the decision letter names the customer's designated point of contact: "
                "assign one first (assignStaff as NAMED_OFFICER)"
            )
    if not isinstance(username, str):
        return None
    return await staff_display_name(run.session, username) or username


def representative(given: m.RecordNotification, needs: Mapping[str, Any]) -> str | None:
    """Whom a letter sent via a representative is addressed to: the one the notification
    names, else the one the customer's record names (`communicationNeeds.representative`).
    None for any other format; refused, naming the field, when neither names one: a letter
    "via a representative" addressed to no one would reach the customer instead."""
    if given.format is not m.NotificationFormat.VIA_REPRESENTATIVE:
        return None
    on_record = needs.get("representative")
    named = given.representative or (on_record if isinstance(on_record, str) else None)
    if not named or not named.strip():
        raise ValidationFailed(
            "input.representative",
            "a letter via a representative is addressed to them: give their name (the "
            "customer's record names none)",
        )
    return named.strip()
