"""Each demo case walked through the process by casework's own step functions, the ones the
GraphQL mutations call, so every demo case has a real reference, a timeline, assignments, and
opens for the staff who should see it.

Built under the deployment's profile, with its letter templates: each step is the one its
process takes (a warning, or step one proposing a SPOC, or none; the referral, the named
officer's assessment or the case conference before the decision; who is consulted; the point
of contact assigned), taken by the role the profile gives it, and every letter is written in
the organisation's own words. Dates run from the case's opening to today; arrangements of
decided cases are in force today, those of ended and archived cases ended in the past.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.demo_data import CONCERN_NOTES, OFFICER_KINDS, PARAMETERS, DemoCase, staff_username
from casework import deciding, opening, over_time
from casework import step_models as m
from casework.deadlines import add_months, review_due
from casework.letter_templates import LetterTemplates
from casework.profiles import Profile
from casework.steps import StepRun
from casework.transitions import WORKING
from records.case_steps import CaseEvent
from records.days import uk_day
from records.models import (
    AssignmentRelation,
    Case,
    CaseState,
    Channel,
    ConcernCategory,
    CustomerKind,
    Role,
)
from records.vault import Vault


class DemoHistory:
    """Writes one case at a time, each step at its own moment and by the right member of
    staff (the service's case officer, manager or decision maker)."""

    def __init__(
        self,
        session: AsyncSession,
        vault: Vault,
        now: dt.datetime,
        rng: random.Random,
        staff_ids: dict[str, uuid.UUID],
        profile: Profile,
        letters: LetterTemplates,
    ) -> None:
        self.session, self.vault, self.now, self.rng = session, vault, now, rng
        self.staff_ids = staff_ids
        self.profile, self.letters = profile, letters
        self.service = ""
        self.moment = now

    def _run(self, role: Role, at: dt.datetime) -> StepRun:
        actor = self.staff_ids[staff_username(self.service, role)]
        return StepRun(self.session, self.vault, self.profile, lambda: at, actor, self.letters)

    async def _step(
        self,
        role: Role,
        action: Callable[[StepRun, uuid.UUID, Any], Awaitable[CaseEvent]],
        case: Case,
        given: m.StepInput,
        days_later: int = 1,
    ) -> CaseEvent:
        self.moment += dt.timedelta(days=days_later)
        return await action(self._run(role, self.moment), case.id, given)

    async def case(self, plan: DemoCase, reference: str, kind: CustomerKind) -> Case:
        """Open the case and take it as far as the plan's state."""
        self.service = plan.service
        today = uk_day(self.now)
        ended_on = _ended_on(plan, today)
        decided_on = self._decided_on(today, ended_on)
        self.moment = dt.datetime.combine(
            decided_on - dt.timedelta(days=self.rng.randint(20, 200)), dt.time(9), dt.UTC
        )
        run = self._run(Role.CASE_OFFICER, self.moment)
        lookup = m.CustomerLookup(customer_ref=reference, kind=kind)
        summary = "Managed contact case opened from the demo data set."
        case, _ = await opening.open_case(
            run, plan.service, m.OpenCase(customer=lookup, summary=summary)
        )
        if plan.state is CaseState.OPEN:
            return case
        await self._concern(case)
        if plan.state is CaseState.CLOSED_NO_ACTION:
            reasons = m.CloseNoAction(reasons="The contact settled after the first conversation.")
            await self._step(Role.CASE_OFFICER, opening.close_no_action, case, reasons)
            return case
        to_decide = plan.state not in WORKING
        if to_decide:
            await self._ready_to_decide(case)
        await self._before_decision(case, plan.state)
        if to_decide:
            await self._decide(case, plan, decided_on, ended_on)
        if plan.state is CaseState.ARCHIVED:
            case.state = CaseState.ARCHIVED  # the retention job's step, not the workflow's
        return case

    def _decided_on(self, today: dt.date, ended_on: dt.date | None) -> dt.date:
        if ended_on is not None:
            return ended_on - dt.timedelta(days=365)
        # Decided recently enough that the first review, which the profile may hold to its
        # period (Merseyside's quarter), is still to come.
        span = (review_due(self.profile, today) - today).days - 14
        return today - dt.timedelta(days=self.rng.randint(14, min(150, span)))

    async def _concern(self, case: Case) -> None:
        category = self.rng.choice(list(ConcernCategory))
        concern = m.RecordConcern(category=category, description=CONCERN_NOTES[category])
        await self._step(Role.CASE_OFFICER, opening.record_concern, case, concern)
        evidence = m.RecordEvidence(
            channel=self.rng.choice([Channel.PHONE, Channel.EMAIL, Channel.IN_PERSON]),
            occurred_on=uk_day(self.moment),
            summary=f"Contact log for the period, filed under the {category.value} concern.",
            hs_incident_ref="HS-V1-DEMO-001" if category is ConcernCategory.SAFETY_RISK else None,
        )
        await self._step(Role.CASE_OFFICER, opening.record_evidence, case, evidence)

    async def _ready_to_decide(self, case: Case) -> None:
        """The decision maker and the reviewer the profile gives reviews to assigned; the
        point of contact, where the policy designates one (Cambridgeshire); the safeguards."""
        reviewer = self.profile.review.deciding_roles[0]
        assignments = [
            (Role.DECISION_MAKER, AssignmentRelation.DECISION_MAKER),
            (reviewer, AssignmentRelation.REVIEWER),
        ]
        if self.profile.decision.point_of_contact:
            assignments.append((Role.CASE_OFFICER, AssignmentRelation.NAMED_OFFICER))
        for role, relation in assignments:
            assigned = m.AssignStaff(username=staff_username(self.service, role), relation=relation)
            await self._step(Role.MANAGER, opening.assign_staff, case, assigned)
        checks = [m.SafeguardCheck(item=s, met=True) for s in self.profile.decision.safeguards]
        await self._step(
            Role.CASE_OFFICER, opening.record_safeguards, case, m.RecordSafeguards(checks=checks)
        )

    async def _before_decision(self, case: Case, state: CaseState) -> None:
        """The profile's steps before a decision, stopping at `state` when it is one of them:
        the warning (or step one), the referral with its pack, the assessment or conference."""
        first = self.profile.warning.issuing_role or Role.CASE_OFFICER
        if self.profile.warning.required:
            await self._warn(case, first)
        if case.state is state:
            return
        kind = self.profile.assessment.kind
        if kind == "referral_pack":
            pack = ["contact log", "the first step's letter"]
            refer = m.Refer(
                reasons="The contact continued after the first step.", referral_pack=pack
            )
            await self._step(first, opening.refer, case, refer)
        elif kind == "named_assessor":
            assessment = m.RecordAssessment(
                assessor=staff_username(self.service, Role.MANAGER),
                findings="The contact log shows the pattern described.",
                recommendation="A named officer for a year.",
            )
            await self._step(Role.CASE_OFFICER, opening.record_assessment, case, assessment)
        elif kind == "case_conference":
            await self._step(Role.MANAGER, opening.hold_case_conference, case, self._conference())

    def _conference(self) -> m.HoldCaseConference:
        """The conference with every role the policy says it includes."""
        attendees = [m.ConferenceAttendee(role=r) for r in self.profile.assessment.conference_roles]
        return m.HoldCaseConference(
            held_on=uk_day(self.moment),
            attendees=attendees,
            evidence=["contact log for the period"],
            recommendation="A named officer, and support from the Service.",
        )

    async def _warn(self, case: Case, role: Role) -> None:
        """The warning (or step one, proposing a single point of contact), issued by the role
        the profile gives it and in consultation where it says so, and the letter that is the
        warning, sent the same day."""
        spoc = self.profile.warning.step_one_spoc
        warning = m.IssueWarning(
            reasons="The contact described in the evidence log.",
            spoc=staff_username(self.service, Role.CASE_OFFICER) if spoc else None,
            agreed_arrangement="One call a week to the named officer." if spoc else None,
            consulted=self.profile.warning.with_,
        )
        await self._step(role, opening.issue_warning, case, warning)
        letter = m.RecordNotification(
            subject=m.NotificationSubject.WARNING, sent_on=uk_day(self.moment),
            format=m.NotificationFormat.LETTER,
        )  # fmt: skip
        await self._step(Role.CASE_OFFICER, deciding.record_notification, case, letter, 0)

    async def _decide(
        self, case: Case, plan: DemoCase, decided_on: dt.date, ended_on: dt.date | None
    ) -> None:
        self.moment = dt.datetime.combine(decided_on, dt.time(11), dt.UTC)
        # One year, or two; an arrangement the policy makes temporary until the review
        # (Merseyside's suspended contact) ends by that review.
        ends_on = decided_on + dt.timedelta(days=365 if self.rng.random() < 0.5 else 730)
        kinds = [kind for kind, _ in plan.arrangements]
        if set(kinds) & set(self.profile.decision.until_review_kinds):
            ends_on = min(ends_on, add_months(decided_on, self.profile.review.first_review_months))
        decision = m.Decide(
            reasons="Contact continued at the same level.",
            arrangements=[
                self._arrangement(kind, services) for kind, services in plan.arrangements
            ],
            starts_on=decided_on,
            ends_on=ends_on,
            consulted=self.profile.decision.with_,
        )
        role = self.profile.decision.deciding_role
        await self._step(role, deciding.decide, case, decision, days_later=0)
        letter = m.RecordNotification(
            subject=m.NotificationSubject.DECISION, sent_on=decided_on,
            format=m.NotificationFormat.LETTER,
        )  # fmt: skip
        await self._step(Role.CASE_OFFICER, deciding.record_notification, case, letter, 0)
        if ended_on is not None:
            await self._end(case, plan, ended_on)

    def _arrangement(self, kind: Any, services: tuple[str, ...]) -> m.NewArrangement:
        officers = {}
        if kind in OFFICER_KINDS:
            officers = {
                "named_officer": staff_username(self.service, Role.CASE_OFFICER),
                "deputy_officer": staff_username(self.service, Role.MANAGER),
            }
        return m.NewArrangement(
            kind=kind, parameters=PARAMETERS[kind], services=list(services), **officers
        )

    async def _end(self, case: Case, plan: DemoCase, ended_on: dt.date) -> None:
        self.moment = dt.datetime.combine(ended_on, dt.time(10), dt.UTC)
        for kind, _ in plan.arrangements:
            lift = m.LiftArrangement(kind=kind, reasons="The arrangement is no longer needed.")
            await self._step(Role.DECISION_MAKER, over_time.lift_arrangement, case, lift, 0)
        letter = m.RecordNotification(
            subject=m.NotificationSubject.ENDED, sent_on=ended_on,
            format=m.NotificationFormat.LETTER,
        )  # fmt: skip
        await self._step(Role.CASE_OFFICER, deciding.record_notification, case, letter)


def _ended_on(plan: DemoCase, today: dt.date) -> dt.date | None:
    state = plan.state
    if plan.due_for_destruction:  # six years and a little more: due under the default rule
        return today - dt.timedelta(days=6 * 365 + 200)
    if state is CaseState.ENDED:
        return today - dt.timedelta(days=120)
    if state is CaseState.ARCHIVED:
        return today - dt.timedelta(days=800)
    return None
