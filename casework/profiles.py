"""Policy profiles: one TOML data file per organisation (`casework/profiles/<name>.toml`) with
the parameters its policy sets. One engine runs every policy; the profile says how.

A profile is validated as a whole when it is loaded; a bad one is refused with the file, the
key and the reason, so a deployment cannot start on a half-understood policy. Every value in
the files carries a comment citing the clause it comes from (docs/profiles.md).
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from records.errors import TactError
from records.models import ArrangementKind, Role

PROFILE_DIRECTORY = "profiles"

# The safeguards a profile may require before a decision (DESIGN 2, "Safeguards before
# action"); each profile lists the ones its policy names.
Safeguard = Literal[
    "discussed_with_manager",
    "complaint_handled",
    "reasonable_adjustments",
    "vulnerability_considered",
    "representative_offered",
    "meeting_offered",
    "preferred_method",
    "deadlines_given",
    "no_significant_new_information",
    "within_remit",
    "earlier_decisions_sound",
]
SAFEGUARDS: tuple[str, ...] = get_args(Safeguard)
# The roles a profile may give reviews to: the ones authz/policy.csv lets decide a review
# (`decide_review`); a manager only when assigned to the case as its reviewer.
REVIEW_DECIDERS = (Role.MANAGER, Role.DECISION_MAKER, Role.REVIEWER)
SkipReason = Literal["safety", "futile", "crime", "exceptional"]
AppealOutcome = Literal["upheld", "not_upheld", "confirmed", "amended", "removed"]
AppealableStep = Literal["warning", "decision", "review"]
NotificationSubject = Literal["warning", "decision", "review", "appeal", "ended", "late_appeal"]
ReviewTrigger = Literal["new_issue"]
NotificationFormat = Literal[
    "letter", "email", "large_print", "easy_read", "braille", "audio", "welsh",
    "via_representative", "in_person",
]  # fmt: skip


class ProfileError(TactError):
    """A profile file that cannot be used: names the file, the key and the reason."""

    code = "PROFILE"

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"profile {file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _InConsultation(_Rule):
    """A step the policy has taken "in consultation with" someone (RCT 5.1: the warning with
    the Service Director, the decision with the Monitoring Officer; Portsmouth 5.2.6: the
    review): `with` in the file (a Python keyword, hence the underscore), the post consulted
    as the policy names it; the step then says who was (`consulted`), and its letter names
    the post. Absent: the step is taken alone."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    with_: Annotated[str, Field(min_length=1)] | None = Field(default=None, alias="with")


class WarningRule(_InConsultation):
    required: bool
    may_skip_reasons: list[SkipReason]
    # Who issues it, where the policy says (RCT 5.1: the Head of Service; Portsmouth 5.1: "the
    # appropriate manager"); absent: the case team.
    issuing_role: Role | None = None

    @model_validator(mode="after")
    def _direct_decision_is_a_skip_reason(self) -> WarningRule:
        # RCT 5.1: stage 2 at once "in exceptional circumstances", given as that skip reason.
        if self.exceptional_direct_decision != ("exceptional" in self.may_skip_reasons):
            raise ValueError("exceptional_direct_decision goes with the skip reason 'exceptional'")
        # The letter says the warning is issued by the issuing role in consultation with them.
        if self.with_ is not None and self.issuing_role is None:
            raise ValueError("with needs issuing_role: who issues the warning consults them")
        return self

    step_one_spoc: bool = False
    meet_first: bool = False
    exceptional_direct_decision: bool = False


class AssessmentRule(_Rule):
    kind: Literal["none", "named_assessor", "referral_pack", "case_conference"]
    required_before_decision: bool
    conference_roles: list[str] = []

    @model_validator(mode="after")
    def _conference_has_roles(self) -> AssessmentRule:
        if self.kind == "case_conference" and not self.conference_roles:
            raise ValueError("a case conference needs conference_roles")
        if self.kind == "none" and self.required_before_decision:
            raise ValueError("required_before_decision needs an assessment kind")
        return self


class DecisionRule(_InConsultation):
    deciding_role: Role
    immediate_risk_allowed: bool
    immediate_risk_role: Role = Role.DECISION_MAKER
    # The arrangement kinds an immediate-risk decision may make, where the policy names what
    # may be done on the spot (RCT 3.2: the Service manager may "temporarily exclude the
    # customer from the premises"; anything more is the Group Director's, 5.3). Empty: any
    # of the profile's kinds.
    immediate_risk_kinds: list[ArrangementKind] = []
    # The arrangement kinds the policy makes temporary while something is awaited, each kept
    # to the next review (Merseyside: "Temporarily suspend all contact with the customer
    # whilst seeking legal advice"; the case conference reconvenes every quarter): a decision
    # making one gives its end, no later than its review date, and a review or extension
    # that carries it on gives a new end no later than the next review, so each review
    # decides whether it goes on. Empty: none.
    until_review_kinds: list[ArrangementKind] = []
    full_assessment_due_days: Annotated[int, Field(ge=1, le=365)]
    safeguards: list[Safeguard]
    # True: a decision waits until the customer has a designated point of contact, a member
    # of staff assigned to the case as its named officer (`assignStaff`, NAMED_OFFICER) or
    # named by a NAMED_OFFICER arrangement the decision makes (Cambridgeshire: "A designated
    # point of contact will be assigned to all customers"). An immediate-risk decision is made
    # on the spot without one; its letter waits for one instead (casework/letters.py).
    point_of_contact: bool = False
    # True: a decision says how long it lasts (an end date or a number of months), because
    # the customer must be told (Cumbria 2.2: "how long any restrictions will last").
    end_required: bool = False


class ReviewRule(_InConsultation):
    first_review_months: Annotated[int, Field(ge=1, le=36)]
    interval_months: Annotated[int, Field(ge=1, le=36)] | None = None
    # None (not set in the file): the policy does not limit customer-requested reviews.
    customer_requests_per_period: Annotated[int, Field(ge=0)] | None = None
    at_period_end: bool = False
    # True: the months above are the longest a review may wait (RCT 7.1: "no later than 12
    # months"); a review date may be set earlier, never later.
    no_later: bool = False
    # True: a review is decided at the case conference reconvened (Merseyside: "the case
    # conference team will reconvene every quarter"), so it records the conference and the
    # roles `[assessment] conference_roles` names, checked as the decision's conference is.
    case_conference: bool = False
    # Who decides a review, apart from who decides an appeal (Portsmouth 5.2.6: the city
    # helpdesk manager reviews; 5.2.7: the director decides appeals). Absent: DESIGN 5's
    # "decide appeal or review", a reviewer or a decision maker.
    deciding_roles: Annotated[list[Role], Field(min_length=1)] = [
        Role.REVIEWER,
        Role.DECISION_MAKER,
    ]
    # The title a review letter gives whoever decided the review, where the role's own title
    # in `[job_titles]` is another post's (Portsmouth 5.2.6: the city helpdesk manager, who
    # holds `manager`, titled for step one). Absent: the first deciding role's title.
    decider_title: Annotated[str, Field(min_length=1)] | None = None
    # Who recommends the review's outcome to whoever decides it (RCT 7.3: the Customer
    # Feedback Group "will review each case and recommend"; 7.4: the Group Director decides
    # whether the recommendations "are endorsed"): a review then records the recommendation
    # (`recommendation`). Absent: reviews are decided without one.
    recommended_by: Annotated[str, Field(min_length=1)] | None = None
    # Why a review may be taken besides its schedule or a customer's request (RCT 9.1: "new
    # issues raised ... will be treated on their merits", the restrictions reconsidered "in
    # terms of any new issue raised"): a review then says so (`trigger`). Absent: none.
    triggers: list[ReviewTrigger] = []
    # Whether the review is decided by someone other than the decider. Absent: as appeals
    # (`[appeal] independent_of_decider`). RCT sets false: the Customer Feedback Group reviews
    # (7.2-7.3) and "the relevant Group Director", who decided, endorses or not (7.4).
    independent_of_decider: bool | None = None

    @field_validator("deciding_roles")
    @classmethod
    def _roles_that_may_review(cls, roles: list[Role]) -> list[Role]:
        others = [role.value for role in roles if role not in REVIEW_DECIDERS]
        if others:
            allowed = ", ".join(role.value for role in REVIEW_DECIDERS)
            raise ValueError(f"a review is decided by {allowed}; not {', '.join(others)}")
        return roles


class AppealRule(_Rule):
    route: Literal["appeal", "review"]
    against: Annotated[list[AppealableStep], Field(min_length=1)]
    # None: the policy sets no window; a request is taken while arrangements are in force.
    window: Annotated[int, Field(ge=1, le=365)] | None = None
    unit: Literal["calendar_days", "working_days"]
    decide_within_days: Annotated[int, Field(ge=1, le=365)] | None = None
    late: Literal["refuse", "review", "accept"]
    # True: the officer may hear a late appeal all the same, giving the reason (Portsmouth
    # 5.2.7: the council "reserves the right not to consider" one, so it may consider it);
    # without a reason `late` applies. False: `late` always applies.
    late_discretion: bool = False
    outcomes: Annotated[list[AppealOutcome], Field(min_length=2)]
    health_and_safety_appealable: bool
    deciding_roles: Annotated[list[Role], Field(min_length=1)]
    independent_of_decider: bool
    # True: an appeal's outcome is final, so a second appeal against the same step is refused
    # (Portsmouth 5.2.7: one appeal, the director's, its outcome confirmed to the customer).
    # False: the policy lets the customer ask again (Cambridgeshire: "A review can be
    # requested", no limit). Either way one at a time (casework/second_appeals.py).
    final: bool = False
    # Whom the customer writes to, as a letter says it after "Please write to" (RCT 6.1:
    # "the Principal Democratic Services Officer"; Portsmouth 5.2.7: "the city helpdesk
    # manager"). Absent: the policy names no one, and letters say "write to us".
    write_to: Annotated[str, Field(min_length=1)] | None = None
    # The postal address the policy gives for it, line by line, as it gives it (RCT 6.1).
    address: list[Annotated[str, Field(min_length=1)]] = []
    # The policy's own words on how (and, where it says, by when) the customer challenges,
    # quoted in letters. Absent: the policy says nothing a letter should quote.
    quote: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _late_needs_a_window(self) -> AppealRule:
        if self.window is None and self.late != "accept":
            raise ValueError("late must be 'accept' when there is no window")
        if self.address and self.write_to is None:
            raise ValueError("address needs write_to: whom the customer writes to there")
        if self.late_discretion and self.late == "accept":
            raise ValueError("late_discretion needs late 'refuse' or 'review': 'accept' hears all")
        return self


class NotificationRule(_Rule):
    decision_not_to_send_allowed: bool
    formats: Annotated[list[NotificationFormat], Field(min_length=1)]
    # Where not sending is allowed: about what, and who decides it (Portsmouth 5.2.6: the
    # outcome of a review, by the assistant director of corporate services).
    not_to_send_subjects: list[NotificationSubject] = Field(default_factory=list)
    not_to_send_role: Role | None = None

    @model_validator(mode="after")
    def _who_and_what_not_to_send(self) -> NotificationRule:
        named = bool(self.not_to_send_subjects) and self.not_to_send_role is not None
        if self.decision_not_to_send_allowed != named:
            raise ValueError(
                "decision_not_to_send_allowed goes with not_to_send_subjects and not_to_send_role"
            )
        return self


class RetentionRule(_Rule):
    years_after_last_restriction: Annotated[int, Field(ge=1, le=100)]
    closed_without_arrangements_years: Annotated[int, Field(ge=1, le=100)]
    approval_required: bool
    two_person_approval: bool
    # No policy gives one: an open case with no step for this many months is listed by the
    # retention preview as `needs_review` (docs/retention.md); the first review's six months.
    open_case_review_months: Annotated[int, Field(ge=1, le=60)] = 6
    # No policy gives one: a customer with no case (imported, or left without one) is
    # destroyed this many months after they were added (docs/retention.md).
    customer_without_case_months: Annotated[int, Field(ge=1, le=120)] = 12


class Profile(_Rule):
    name: str
    organisation: str
    version: str
    nation: Literal["england", "wales"]
    scope: Literal["service", "council"]
    warning: WarningRule
    assessment: AssessmentRule
    decision: DecisionRule
    review: ReviewRule
    appeal: AppealRule
    notification: NotificationRule
    retention: RetentionRule
    arrangement_kinds: Annotated[list[ArrangementKind], Field(min_length=1)]
    job_titles: dict[Role, str]

    @model_validator(mode="after")
    def _a_meeting_first_is_a_safeguard(self) -> Profile:
        # Merseyside: "meeting personally with the customer" before invoking the instruction:
        # the decision then waits for that safeguard to be met (casework/deciding.py).
        if self.warning.meet_first and "meeting_offered" not in self.decision.safeguards:
            raise ValueError("meet_first needs the safeguard 'meeting_offered'")
        return self

    @model_validator(mode="after")
    def _no_more_of_a_warning_it_has_not(self) -> Profile:
        # A warning not required is one the policy does not have (Merseyside), so
        # `issueWarning` is refused (casework/transitions.py): nothing may say how it is given,
        # skipped or appealed.
        if self.warning.required:
            return self
        keys = ("may_skip_reasons", "step_one_spoc", "issuing_role")
        given = [f"warning.{key}" for key in keys if getattr(self.warning, key)]
        if "warning" in self.appeal.against:
            given.append("appeal.against 'warning'")
        if given:
            raise ValueError(f"warning.required = false has no warning: remove {', '.join(given)}")
        return self

    @model_validator(mode="after")
    def _a_full_decision_can_follow_an_immediate_risk_one(self) -> Profile:
        # No warning follows an immediate-risk decision, so the full decision after it gives a
        # reason for going ahead without one (casework/transitions.py): there must be one.
        decision, warning = self.decision, self.warning
        if decision.immediate_risk_allowed and warning.required and not warning.may_skip_reasons:
            raise ValueError(
                "decision.immediate_risk_allowed with a required warning needs "
                "warning.may_skip_reasons: the full decision after it goes ahead without one"
            )
        return self

    @model_validator(mode="after")
    def _decision_kinds_are_the_profiles(self) -> Profile:
        for key in ("immediate_risk_kinds", "until_review_kinds"):
            others = set(getattr(self.decision, key)) - set(self.arrangement_kinds)
            if others:
                names = ", ".join(sorted(kind.value for kind in others))
                raise ValueError(f"decision.{key} not in arrangement_kinds: {names}")
        return self

    @model_validator(mode="after")
    def _a_reconvened_conference_has_roles(self) -> Profile:
        if self.review.case_conference and not self.assessment.conference_roles:
            raise ValueError("review.case_conference needs assessment.conference_roles")
        return self

    @property
    def reviews_independent_of_decider(self) -> bool:
        independent = self.review.independent_of_decider
        return self.appeal.independent_of_decider if independent is None else independent

    def title_of(self, role: Role) -> str:
        """The organisation's job title for a role, for letters and reports."""
        return self.job_titles.get(role, role.value.replace("_", " "))


def profile_names() -> list[str]:
    """The profiles shipped with Tact, by name."""
    folder = resources.files("casework").joinpath(PROFILE_DIRECTORY)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


@functools.cache
def load_profile(name: str) -> Profile:
    """The named shipped profile, validated. Raises ProfileError(file, key, reason)."""
    if name not in profile_names():
        raise ProfileError(f"{name}.toml", "name", f"no such profile; known: {profile_names()}")
    resource = resources.files("casework").joinpath(PROFILE_DIRECTORY, f"{name}.toml")
    return parse_profile(f"{name}.toml", resource.read_text(encoding="utf-8"), expect=name)


def resolve_profile(value: str) -> Profile:
    """TACT_PROFILE's value: a shipped profile's name, or the path of an organisation's own
    .toml file."""
    return load_profile_file(Path(value)) if value.endswith(".toml") else load_profile(value)


def load_profile_file(path: Path) -> Profile:
    """A profile from any file (an organisation's own), validated like the shipped ones."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(path.name, "file", exc.strerror or "cannot be read") from None
    return parse_profile(path.name, text, expect=path.stem)


def parse_profile(file: str, text: str, *, expect: str | None = None) -> Profile:
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(file, "toml", str(exc)) from None
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"]) or "profile"
        raise ProfileError(file, key, first["msg"]) from None
    if expect is not None and profile.name != expect:
        raise ProfileError(file, "name", f"must match the file name ({expect!r})")
    return profile
