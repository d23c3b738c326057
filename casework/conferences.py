"""The case conference, said once: the roles the profile says it includes, and who attended.

Merseyside decides at a case conference (`holdCaseConference`, before the decision) and
reviews at the same conference reconvened (`decideReview`, where `[review] case_conference`):
both are checked here against `[assessment] conference_roles`, and the staff who attended
join the case's need-to-know set as conference attendees.
"""

from __future__ import annotations

import uuid

from casework import step_models as m
from casework.steps import StepRun, assign_once, staff_id
from records.errors import ValidationFailed
from records.models import AssignmentRelation


async def check_conference(
    run: StepRun, case_id: uuid.UUID, conference: m.Conference, field: str
) -> None:
    """Refuse a conference not yet held or missing a role the profile names (VALIDATION_FAILED
    on `<field>.heldOn` or `<field>.attendees`); then assign the attendees named by username.
    A deputy's title holds the role's ("Deputy Clerk to the Authority")."""
    run.has_come(conference.held_on, f"{field}.heldOn")
    present = [attendee.role.casefold() for attendee in conference.attendees]
    absent = [
        role
        for role in run.profile.assessment.conference_roles
        if not any(role.casefold() in title for title in present)
    ]
    if absent:
        raise ValidationFailed(
            f"{field}.attendees", f"the conference includes: {', '.join(absent)}"
        )
    for i, attendee in enumerate(conference.attendees):
        if attendee.username is not None:
            who = await staff_id(run, attendee.username, f"{field}.attendees.{i}.username")
            await assign_once(run, case_id, who, AssignmentRelation.CONFERENCE_ATTENDEE)
