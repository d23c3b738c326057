"""GraphQL input types of the workflow steps, made from casework's step models
(casework/step_models.py), so each field is declared once, there. Only what GraphQL cannot
spell from the model is written here: an arrangement's typed parameters travel as JSON (their
description is the model's) and are checked by casework/arrangements.validate_parameters.
"""

from __future__ import annotations

import strawberry
from strawberry.experimental.pydantic import input as from_model
from strawberry.scalars import JSON

from casework import step_models as m

# The enums the step models use, named once for the schema.
for _enum in (
    m.SkipWarningReason,
    m.NotificationFormat,
    m.NotificationSubject,
    m.ReviewOutcome,
    m.ReviewTrigger,
    m.AppealOutcome,
    m.AppealAgainst,
    m.RemovalReason,
):
    strawberry.enum(_enum)


@from_model(model=m.PostalAddress, all_fields=True)
class PostalAddressInput:
    pass


@from_model(model=m.CustomerLookup, all_fields=True)
class CustomerLookupInput:
    pass


@from_model(model=m.OpenCase, all_fields=True)
class OpenCaseInput:
    pass


@from_model(model=m.RecordConcern, all_fields=True)
class RecordConcernInput:
    pass


@from_model(model=m.RecordEvidence, all_fields=True)
class RecordEvidenceInput:
    pass


@from_model(model=m.AddAttachment, all_fields=True)
class AddAttachmentInput:
    pass


@from_model(model=m.RemoveAttachment, all_fields=True)
class RemoveAttachmentInput:
    pass


@from_model(model=m.ContactDetailValue, all_fields=True)
class ContactDetailValueInput:
    pass


@from_model(model=m.RecordContactDetails, all_fields=True)
class RecordContactDetailsInput:
    pass


@from_model(model=m.RecordCustomerName, all_fields=True)
class RecordCustomerNameInput:
    pass


@from_model(model=m.AssignStaff, all_fields=True)
class AssignStaffInput:
    pass


@from_model(model=m.UnassignStaff, all_fields=True)
class UnassignStaffInput:
    pass


@from_model(model=m.SafeguardCheck, all_fields=True)
class SafeguardCheckInput:
    pass


@from_model(model=m.RecordSafeguards, all_fields=True)
class RecordSafeguardsInput:
    pass


@from_model(model=m.IssueWarning, all_fields=True)
class IssueWarningInput:
    pass


@from_model(model=m.Refer, all_fields=True)
class ReferInput:
    pass


@from_model(model=m.RecordAssessment, all_fields=True)
class RecordAssessmentInput:
    pass


@from_model(model=m.ConferenceAttendee, all_fields=True)
class ConferenceAttendeeInput:
    pass


@from_model(model=m.Conference, all_fields=True)
class ConferenceInput:
    pass


@from_model(model=m.HoldCaseConference, all_fields=True)
class HoldCaseConferenceInput:
    pass


@from_model(model=m.NewArrangement, all_fields=True)
class NewArrangementInput:
    parameters: JSON = strawberry.field(default_factory=dict)


@from_model(model=m.Decide, all_fields=True)
class DecideInput:
    pass


@from_model(model=m.DecideImmediateRisk, all_fields=True)
class DecideImmediateRiskInput:
    pass


@from_model(model=m.RecordNotification, all_fields=True)
class RecordNotificationInput:
    pass


@from_model(model=m.CloseNoAction, all_fields=True)
class CloseNoActionInput:
    pass


@from_model(model=m.ArrangementAmendment, all_fields=True)
class ArrangementAmendmentInput:
    parameters: JSON | None = None


@from_model(model=m.ModifyArrangement, all_fields=True)
class ModifyArrangementInput:
    parameters: JSON | None = None


@from_model(model=m.ExtendArrangement, all_fields=True)
class ExtendArrangementInput:
    pass


@from_model(model=m.LiftArrangement, all_fields=True)
class LiftArrangementInput:
    pass


@from_model(model=m.ScheduleReview, all_fields=True)
class ScheduleReviewInput:
    pass


@from_model(model=m.RequestReview, all_fields=True)
class RequestReviewInput:
    pass


@from_model(model=m.ReviewRecommendation, all_fields=True)
class ReviewRecommendationInput:
    pass


@from_model(model=m.DecideReview, all_fields=True)
class DecideReviewInput:
    pass


@from_model(model=m.LodgeAppeal, all_fields=True)
class LodgeAppealInput:
    pass


@from_model(model=m.DecideAppeal, all_fields=True)
class DecideAppealInput:
    pass
