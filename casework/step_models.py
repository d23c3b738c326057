"""What each workflow step takes: one pydantic model per step, said once.

Each model is at once the validated input of its step (the GraphQL input types are made from
these models in schema/mutations, so a field is declared here only) and the details kept,
sealed, on the step's timeline event. Field names are the policy's neutral words. Free text
is checked by the label guard (casework/label_guard.py) field by field, by `guard_text`.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from casework.arrangements import PARAMETERS_LISTED, validate_parameters
from casework.media_types import MEDIA_TYPES
from casework.profiles import SAFEGUARDS
from records.addresses import (
    HOME_COUNTRY,
    MAX_LINE_LENGTH,
    MAX_LINES,
    MAX_POSTAL_CODE_LENGTH,
    address_text,
    normal_country,
    normal_postcode,
)
from records.errors import ValidationFailed
from records.free_text import MAX_ITEMS, ShortText, Text, has_control_characters
from records.models import (
    ArrangementKind,
    AssignmentRelation,
    Channel,
    ConcernCategory,
    CustomerKind,
)


def as_the_api_spells(values: Iterable[str]) -> str:
    """Enum values a profile lists (`confirmed`), as a caller types them in the API (the
    GraphQL enum's names: `CONFIRMED`), for messages saying which are allowed."""
    return ", ".join(value.upper() for value in values) or "none"


Username = Annotated[str, Field(min_length=1, max_length=120)]
# Who was consulted, where the profile has the step taken in consultation (its `with`):
# required there (casework/steps.check_consulted).
Consulted = Annotated[
    ShortText | None,
    Field(
        description="Who was consulted, where the policy takes this step in consultation "
        "(RCT: the Service Director on a warning, the Monitoring Officer on a decision; "
        "Portsmouth: the assistant director of corporate services and/or the City Solicitor "
        "on a review): a name or a job title."
    ),
]
# A name is kept as given without the spaces around it, and is never blank.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SkipWarningReason(enum.StrEnum):
    """Why a decision comes without a warning first (profile `warning.may_skip_reasons`)."""

    SAFETY = "safety"
    FUTILE = "futile"
    CRIME = "crime"
    EXCEPTIONAL = "exceptional"


class NotificationFormat(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    LARGE_PRINT = "large_print"
    EASY_READ = "easy_read"
    BRAILLE = "braille"
    AUDIO = "audio"
    WELSH = "welsh"
    VIA_REPRESENTATIVE = "via_representative"
    IN_PERSON = "in_person"


class NotificationSubject(enum.StrEnum):
    """What a notification tells the customer about."""

    WARNING = "warning"
    DECISION = "decision"
    REVIEW = "review"
    APPEAL = "appeal"
    ENDED = "ended"
    # An appeal refused as received after its window (`lodgeAppeal` on such a profile).
    LATE_APPEAL = "late_appeal"
    # Who deals with the customer's contact changed (`modifyArrangement` naming new officers).
    OFFICER_CHANGED = "officer_changed"
    # One arrangement changed while others stay (`modifyArrangement` changing its parameters
    # or services, `extendArrangement`, `liftArrangement` leaving others in force).
    ARRANGEMENT_CHANGED = "arrangement_changed"


class ReviewOutcome(enum.StrEnum):
    LIFT = "lift"
    MODIFY = "modify"
    CONTINUE = "continue"
    EXTEND = "extend"


class ReviewTrigger(enum.StrEnum):
    """Why a review is taken besides its schedule or a customer's request (profile
    `review.triggers`)."""

    NEW_ISSUE = "new_issue"


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"
    NOT_UPHELD = "not_upheld"
    CONFIRMED = "confirmed"
    AMENDED = "amended"
    REMOVED = "removed"


class AppealAgainst(enum.StrEnum):
    WARNING = "warning"
    DECISION = "decision"
    REVIEW = "review"


class StepInput(BaseModel):
    """A step's input. Checks across fields raise ValueError("<field>: <message>"), naming the
    field in the API's spelling, so the error can name it (schema/mutations/step.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- opening and recording -----------------------------------------------------------------


def _one_line(line: str) -> str:
    if has_control_characters(line) or "\n" in line or "\r" in line:
        raise ValueError("is one line of text, without control characters")
    return line


# One line of a postal address: as given, without the spaces around it, never blank.
AddressLine = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LINE_LENGTH),
    AfterValidator(_one_line),
]


class PostalAddress(StepInput):
    """A postal address as a letter is addressed: its lines (house and street, locality,
    town), its postcode and its country, which the letter prints last when it is not the UK.
    Sealed under the customer's key like an email; never a way to find the customer
    (records/addresses.py)."""

    lines: list[AddressLine] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="The address above the postcode, one to six lines of at most 100 "
        "characters: house and street, locality, town.",
    )
    country: str = Field(
        default=HOME_COUNTRY,
        max_length=8,
        description="The country, as its ISO 3166-1 alpha-2 code: GB (the default) for the "
        "UK, IE for Ireland, ES for Spain. A letter abroad prints the country's name last.",
    )
    postcode: str | None = Field(
        default=None,
        validate_default=True,
        max_length=MAX_POSTAL_CODE_LENGTH,
        description="In the UK its postcode, required, in any case and spacing: 'ex1 2ab'. "
        "Abroad its postal code if it has one, as the country writes it (at most 16 "
        "characters), printed on its own line; where the country writes it on the town's "
        "line, give it there and leave this out.",
    )

    @field_validator("country")
    @classmethod
    def _a_country(cls, country: str) -> str:
        code = normal_country(country)
        if code is None and country.strip().upper() == "UK":
            raise ValueError("is not an ISO 3166-1 alpha-2 country code (the UK's is GB)")
        if code is None:
            raise ValueError("is not an ISO 3166-1 alpha-2 country code (GB, IE, ES)")
        return code

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, postcode: str | None, info: ValidationInfo) -> str | None:
        # `country` is declared before `postcode`, so it is checked first and here.
        if info.data.get("country", HOME_COUNTRY) != HOME_COUNTRY:
            # Abroad: free-form, one line; blank is none.
            given = (postcode or "").strip()
            return _one_line(given) if given else None
        if not postcode:
            raise ValueError("is required in the UK (for an address abroad, give its country)")
        normal = normal_postcode(postcode)
        if normal is None:
            raise ValueError("is not a UK postcode (for an address abroad, give its country)")
        return normal

    @property
    def text(self) -> str:
        """The address as it is sealed (records/addresses.py `address_text`)."""
        return address_text(self.lines, self.postcode, self.country)


class CustomerLookup(StepInput):
    """Who the case is about: found by email, phone or customer reference; made from these
    when no one is found, with a name, or with `name_withheld` and an email or phone number
    when the person writes or rings without giving one (RCT Appendix 2). Like `name`,
    `name_withheld` only describes someone to add: where the details find a customer, the
    case is theirs and both are ignored."""

    email: ShortText | None = None
    phone: ShortText | None = None
    customer_ref: ShortText | None = None
    name: ShortText | None = None
    name_withheld: bool = Field(
        default=False,
        description="No customer found: add one whose name is not given, known by the email "
        "or phone number given. Ignored, as a name is, when the details find a customer.",
    )
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    address: PostalAddress | None = Field(
        default=None,
        description="Their postal address, for letters. It finds no one: people share "
        "addresses. Added to a customer found, as a missing email is.",
    )

    @model_validator(mode="after")
    def _something_to_find(self) -> CustomerLookup:
        if not (self.email or self.phone or self.customer_ref):
            raise ValueError("email: give an email, a phone number or a customer reference")
        if self.name_withheld and self.name:
            raise ValueError("nameWithheld: give a name or say it is not given, not both")
        if self.name_withheld and not (self.email or self.phone):
            raise ValueError(
                "nameWithheld: a customer whose name is not given is known by an email or a "
                "phone number; give one"
            )
        return self


class OpenCase(StepInput):
    customer: CustomerLookup
    summary: Text | None = None


class RecordConcern(StepInput):
    category: ConcernCategory
    description: Text | None = None


class RecordEvidence(StepInput):
    channel: Channel
    occurred_on: dt.date
    summary: Text
    hs_incident_ref: Annotated[str, Field(min_length=1, max_length=64)] | None = None


# A filename as it is shown and downloaded: one line, no path, not hidden.
_NOT_IN_FILENAMES = frozenset("/\\\t\r\n")


class AddAttachment(StepInput):
    """A file of evidence kept on the case. Its content is checked and sealed by the step
    (casework/attachments.py) and is never in the step's details: `exclude` keeps it out of
    every dump, so out of the timeline and the label guard (the evidence is as received)."""

    evidence_id: uuid.UUID | None = Field(
        default=None, description="The case's entry of evidence this file belongs to, if any."
    )
    filename: Name = Field(description="The file's name, as it is shown (at most 200 characters).")
    media_type: str = Field(max_length=120, description=f"One of: {', '.join(MEDIA_TYPES)}.")
    content: str = Field(
        min_length=1, exclude=True, description="The file's bytes, base64 (RFC 4648, padded)."
    )

    @field_validator("filename")
    @classmethod
    def _plain_filename(cls, filename: str) -> str:
        if has_control_characters(filename) or _NOT_IN_FILENAMES & set(filename):
            raise ValueError("a filename is one line, without control characters, '/' or '\\'")
        if filename.startswith("."):
            raise ValueError("a filename may not start with '.'")
        return filename

    @field_validator("media_type")
    @classmethod
    def _accepted_type(cls, media_type: str) -> str:
        if media_type not in MEDIA_TYPES:
            raise ValueError(f"not an accepted media type (accepted are {', '.join(MEDIA_TYPES)})")
        return media_type


class RemovalReason(enum.StrEnum):
    """Why an attachment is removed: from a short list, not free text, because the event
    outlives the file and free words about a file added by mistake tend to say what was in it
    (whose email, whose photo), the very thing the removal takes off the case."""

    WRONG_FILE = "wrong_file"
    WRONG_CASE = "wrong_case"
    DUPLICATE = "duplicate"


class RemoveAttachment(StepInput):
    """An attachment added by mistake, taken off the case: its row and sealed content deleted."""

    attachment_id: uuid.UUID = Field(description="The attachment's id, as the case file lists it.")
    reason: RemovalReason


class ContactDetailValue(StepInput):
    """One email, one phone number, one postal address or the customer reference of the
    customer."""

    email: ShortText | None = None
    phone: ShortText | None = None
    address: PostalAddress | None = None
    customer_ref: ShortText | None = Field(
        default=None,
        description="The customer's reference (the council's own id, e.g. CUS-0001). A "
        "customer has one at most: to replace it, remove the old one in the same step.",
    )

    @model_validator(mode="after")
    def _one_of_them(self) -> ContactDetailValue:
        given = (self.email, self.phone, self.address, self.customer_ref)
        if sum(1 for v in given if v) != 1:
            raise ValueError(
                "email: give an email, a phone number, a postal address or a customer "
                "reference, one per entry"
            )
        return self


class RecordContactDetails(StepInput):
    """Emails, phone numbers, postal addresses and the customer reference to add to the
    case's customer, or to remove (the way a correction is made: add the right one, remove
    the wrong one, in one step); and which of their addresses letters go to."""

    add: list[ContactDetailValue] = Field(default_factory=list, max_length=10)
    remove: list[ContactDetailValue] = Field(default_factory=list, max_length=10)
    prefer_address: PostalAddress | None = Field(
        default=None,
        description="The address letters go to from now on, as it is recorded for the "
        "customer (typed as it was added, in any case and spacing) or added in this step; "
        "their other addresses are kept.",
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> RecordContactDetails:
        if not (self.add or self.remove or self.prefer_address):
            raise ValueError("add: give a detail to add or one to remove, or an address to prefer")
        return self


class RecordCustomerName(StepInput):
    """The case customer's name as it is now: corrected, changed, or first given by someone
    whose case was opened without it; or, with `name_withheld`, not given (the name on
    record was not theirs). Kept off the step's event: the name is the customer's."""

    name: Name | None = None
    name_withheld: bool = Field(
        default=False,
        description="The name is not given: the customer is known by their email or phone "
        "number, and letters greet them as 'Dear correspondent'.",
    )

    @model_validator(mode="after")
    def _one_of_them(self) -> RecordCustomerName:
        if self.name_withheld and self.name:
            raise ValueError("nameWithheld: give a name or say it is not given, not both")
        if not (self.name_withheld or self.name):
            raise ValueError("name: give the customer's name, or say it is not given")
        return self


class AssignStaff(StepInput):
    username: Username
    relation: AssignmentRelation


class UnassignStaff(StepInput):
    """A member of staff's assignment to the case ended: they moved team, left, or were
    assigned by mistake. Their need to know ends with it."""

    username: Username
    relation: AssignmentRelation = Field(description="The assignment to end.")
    reasons: Text


class SafeguardCheck(StepInput):
    item: ShortText = Field(description=f"One of: {', '.join(SAFEGUARDS)}.")
    met: bool
    note: Text | None = None

    @model_validator(mode="after")
    def _known_and_explained(self) -> SafeguardCheck:
        if self.item not in SAFEGUARDS:
            raise ValueError(f"item: must be one of {', '.join(SAFEGUARDS)}")
        if not self.met and not self.note:
            raise ValueError("note: a safeguard not met needs a note saying why")
        return self


class RecordSafeguards(StepInput):
    checks: Annotated[list[SafeguardCheck], Field(min_length=1, max_length=MAX_ITEMS)]


class IssueWarning(StepInput):
    """A warning, or the profile's step one: the conduct, what is proposed, and monitoring."""

    reasons: Text
    spoc: Username | None = Field(
        default=None, description="Single point of contact proposed (a staff username)."
    )
    agreed_arrangement: Text | None = Field(
        default=None, description="The contact arrangement proposed or agreed with the customer."
    )
    monitor_until: dt.date | None = None
    consulted: Consulted = None


class Refer(StepInput):
    reasons: Text
    referral_pack: list[ShortText] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="What the referral pack holds (evidence list).",
    )
    skip_warning_reason: SkipWarningReason | None = Field(
        default=None,
        description="Where the profile's referral follows step one (Portsmouth 5.1), the "
        "reason the profile gives for going ahead without it (a threat to staff's safety); "
        "the decision then gives it too.",
    )


class RecordAssessment(StepInput):
    assessor: Username
    findings: Text
    recommendation: Text


class ConferenceAttendee(StepInput):
    role: ShortText = Field(description="The attendee's role at the conference.")
    username: Username | None = None


class Conference(StepInput):
    """A case conference: when it met and who attended, by role (casework/conferences.py)."""

    held_on: dt.date
    attendees: Annotated[list[ConferenceAttendee], Field(min_length=1, max_length=MAX_ITEMS)]


class HoldCaseConference(Conference):
    evidence: Annotated[list[ShortText], Field(min_length=1, max_length=MAX_ITEMS)]
    recommendation: Text


# -- deciding ------------------------------------------------------------------------------


class _EveryService(StepInput):
    all_services: bool = Field(
        default=False,
        description="Every service of the organisation today, instead of `services` (where "
        "the profile's scope is the whole organisation); a service added later is not "
        "included unless the arrangement is modified.",
    )

    @model_validator(mode="after")
    def _services_or_every(self) -> _EveryService:
        if self.all_services and getattr(self, "services", None):
            raise ValueError("allServices: give services or allServices, not both")
        return self


def _typed_parameters(parameters: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    """An arrangement's parameters checked against its kind (the field before them), and kept
    in their stored form however the caller spelt them (casework/arrangements.py), so the
    step and its timeline event read one spelling. A refusal names the parameter as the
    caller spelt it, below `parameters` (`...parameters.healthAndSafety`)."""
    kind = info.data.get("kind")
    if kind is None:  # the kind itself was refused: that is the error to give
        return parameters
    try:
        return validate_parameters(kind, parameters)
    except ValidationFailed as exc:
        raise ValueError(f"{exc.field.removeprefix('parameters.')}: {exc.reason}") from None


Parameters = Annotated[dict[str, Any], AfterValidator(_typed_parameters)]


class NewArrangement(_EveryService):
    kind: ArrangementKind
    parameters: Parameters = Field(default_factory=dict, description=PARAMETERS_LISTED)
    services: list[ShortText] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Service slugs; none given: the case's service.",
    )
    named_officer: Username | None = None
    deputy_officer: Username | None = None


class Decide(StepInput):
    reasons: Text
    arrangements: Annotated[list[NewArrangement], Field(min_length=1, max_length=MAX_ITEMS)]
    starts_on: dt.date | None = Field(default=None, description="By default, today.")
    ends_on: dt.date | None = None
    duration_months: Annotated[int, Field(ge=1, le=60)] | None = None
    review_on: dt.date | None = None
    skip_warning_reason: SkipWarningReason | None = None
    skip_warning_explanation: Text | None = None
    consulted: Consulted = None

    @model_validator(mode="after")
    def _dates(self) -> Decide:
        if self.ends_on is not None and self.duration_months is not None:
            raise ValueError("endsOn: give endsOn or durationMonths, not both")
        if self.ends_on is not None and self.starts_on and self.ends_on < self.starts_on:
            raise ValueError("endsOn: must not be before startsOn")
        return self


class DecideImmediateRisk(StepInput):
    """Short-term, until the full decision that follows the assessment replaces it."""

    risk: Text
    reasons: Text
    arrangements: Annotated[list[NewArrangement], Field(min_length=1, max_length=MAX_ITEMS)]
    starts_on: dt.date | None = Field(default=None, description="By default, today.")
    ends_on: dt.date = Field(
        description="When the short-term arrangements end, unless the full decision ends "
        'them first (Cambridgeshire: "in the short term"; RCT 3.2: "temporarily").'
    )


class RecordNotification(StepInput):
    subject: NotificationSubject
    sent_on: dt.date | None = Field(
        default=None, description="The day it was sent: today or earlier, never a day to come."
    )
    format: NotificationFormat | None = None
    not_sent_reason: Text | None = None
    teams_notified: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    representative: ShortText | None = Field(
        default=None,
        description="Whom a letter sent VIA_REPRESENTATIVE is addressed to, by name. By "
        "default the representative the customer's record names "
        "(`communicationNeeds.representative`); one of the two is required in that format.",
    )

    @model_validator(mode="after")
    def _sent_or_not(self) -> RecordNotification:
        if (self.sent_on is None) == (self.not_sent_reason is None):
            raise ValueError("sentOn: give sentOn (with format) or notSentReason")
        if self.sent_on is not None and self.format is None:
            raise ValueError("format: a sent notification needs its format")
        if (
            self.representative is not None
            and self.format is not NotificationFormat.VIA_REPRESENTATIVE
        ):
            raise ValueError("representative: only a letter sent VIA_REPRESENTATIVE names one")
        return self


class CloseNoAction(StepInput):
    reasons: Text


# -- arrangements over time ----------------------------------------------------------------


class ArrangementAmendment(_EveryService):
    """What changes in one arrangement in force: `modifyArrangement`'s input, and each of the
    amendments an appeal decided as amended (`decideAppeal`) or a review decided as modify
    (`decideReview`) makes."""

    kind: ArrangementKind
    parameters: Parameters | None = Field(
        default=None, description=f"The arrangement's parameters, in full. {PARAMETERS_LISTED}"
    )
    services: list[ShortText] | None = Field(default=None, max_length=MAX_ITEMS)
    named_officer: Username | None = Field(
        default=None,
        description="Who now deals with the customer's contact in place of the named "
        "officer (an active member of staff, by username); the customer is owed a letter "
        "(OFFICER_CHANGED).",
    )
    deputy_officer: Username | None = Field(
        default=None,
        description="Who now deals with it when the named officer is away, in place of "
        "the deputy; the customer is owed a letter (OFFICER_CHANGED).",
    )
    remove_deputy: bool = Field(
        default=False,
        description="True: the arrangement names no deputy from now on (not with "
        "deputyOfficer); the customer is owed a letter (OFFICER_CHANGED).",
    )

    @model_validator(mode="after")
    def _deputy_replaced_or_removed(self) -> ArrangementAmendment:
        if self.remove_deputy and self.deputy_officer is not None:
            raise ValueError("removeDeputy: name a new deputy or remove the deputy, not both")
        return self


class ModifyArrangement(ArrangementAmendment):
    reasons: Text


class ExtendArrangement(StepInput):
    kind: ArrangementKind
    reasons: Text
    ends_on: dt.date


class LiftArrangement(StepInput):
    kind: ArrangementKind
    reasons: Text
    lifted_on: dt.date | None = None


# -- reviews and appeals ---------------------------------------------------------------------


class ScheduleReview(StepInput):
    review_on: dt.date
    reasons: Text | None = None


class RequestReview(StepInput):
    received_on: dt.date
    grounds: Text


class ReviewRecommendation(StepInput):
    """What the body the profile names recommended, and when (profile `review.recommended_by`;
    RCT 7.3: "recommend whether customer restrictions should continue, or be fully/partially
    removed": continue, lift, modify)."""

    made_on: dt.date
    outcome: ReviewOutcome


class DecideReview(StepInput):
    outcome: ReviewOutcome
    reasons: Text
    next_review_on: dt.date | None = None
    ends_on: dt.date | None = Field(default=None, description="New end date (extend).")
    consulted: Consulted = None
    conference: Conference | None = Field(
        default=None,
        description="The case conference reconvened to review the case, where the profile "
        'decides reviews at one (Merseyside: "reconvene every quarter"); required there.',
    )
    recommendation: ReviewRecommendation | None = Field(
        default=None,
        description="The recommendation this review decides on, where the profile names "
        "who recommends (RCT: the Customer Feedback Group); required there. The review "
        "endorses it when its outcome is the one recommended.",
    )
    not_endorsed_reasons: Text | None = Field(
        default=None,
        description="Why the outcome is not the one recommended; required then.",
    )
    trigger: ReviewTrigger | None = Field(
        default=None,
        description="Why the review is taken besides its schedule or a request, where the "
        "profile allows it (RCT: a new issue raised, against which the restrictions are "
        "reconsidered). Such a review keeps the review already due.",
    )
    amendments: list[ArrangementAmendment] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="MODIFY: the arrangements as modified, each as modifyArrangement takes "
        "it, made in this step (MODIFY gives amendments, lifts or both; refused with any "
        "other outcome). The review letter gives them as they now read.",
    )
    lifts: list[ArrangementKind] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="MODIFY: the arrangements lifted in this step while the others stay (RCT "
        "7.3: restrictions 'partially removed'); not every one in force (that is LIFT). The "
        "review letter names them.",
    )

    @model_validator(mode="after")
    def _endorsed_or_why_not(self) -> DecideReview:
        if self.recommendation is None:
            if self.not_endorsed_reasons is not None:
                raise ValueError("notEndorsedReasons: there is no recommendation to depart from")
        elif self.recommendation.outcome is self.outcome:
            if self.not_endorsed_reasons is not None:
                raise ValueError("notEndorsedReasons: the outcome is the one recommended")
        elif self.not_endorsed_reasons is None:
            raise ValueError("notEndorsedReasons: the outcome is not the one recommended: say why")
        return self

    @property
    def endorsed(self) -> bool | None:
        """Whether the review endorses the recommendation; None without one."""
        if self.recommendation is None:
            return None
        return self.recommendation.outcome is self.outcome


class LodgeAppeal(StepInput):
    received_on: dt.date
    against: AppealAgainst
    grounds: Text
    late_heard_reason: Text | None = Field(
        default=None,
        description="Why an appeal received after its window is heard all the same, where "
        "the profile leaves that to the council (Portsmouth 5.2.7); none: the profile's rule.",
    )


class DecideAppeal(StepInput):
    outcome: AppealOutcome
    reasons: Text
    amendments: list[ArrangementAmendment] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="AMENDED: the arrangements as amended, each as modifyArrangement takes "
        "it, made in this step (required then, and refused with any other outcome). The "
        "appeal letter gives them as they now read.",
    )
