"""Each demo case walked through the process by casework's own step functions, the ones the
GraphQL mutations call, so every demo case has a real reference, a timeline, assignments, and
opens for the staff who should see it.

Built under the `default` profile, whatever the deployment's: it is the one that uses every
arrangement kind. Dates run from the case's opening to today; arrangements of decided cases
are in force today, those of ended and archived cases ended in the past.
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
from casework.profiles import load_profile
from casework.steps import StepRun
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

DEMO_PROFILE = "default"
_WORKING_STATES = {
    CaseState.WARNED: "warn",
    CaseState.REFERRED: "refer",
    CaseState.IN_ASSESSMENT: "assess",
}


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
    ) -> None:
        self.session, self.vault, self.now, self.rng = session, vault, now, rng
        self.staff_ids = staff_ids
        self.profile = load_profile(DEMO_PROFILE)
        self.service = ""
        self.moment = now

    def _run(self, role: Role, at: dt.datetime) -> StepRun:
        actor = self.staff_ids[staff_username(self.service, role)]
        return StepRun(self.session, self.vault, self.profile, lambda: at, actor)

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
        decided_on = self._decided_on(plan, today, ended_on)
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
        elif plan.state in _WORKING_STATES:
            await self._working(case, _WORKING_STATES[plan.state])
        else:
            await self._decide(case, plan, decided_on, ended_on)
        if plan.state is CaseState.ARCHIVED:
            case.state = CaseState.ARCHIVED  # the retention job's step, not the workflow's
        return case

    def _decided_on(self, plan: DemoCase, today: dt.date, ended_on: dt.date | None) -> dt.date:
        if ended_on is not None:
            return ended_on - dt.timedelta(days=365)
        return today - dt.timedelta(days=self.rng.randint(14, 150))

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

    async def _working(self, case: Case, step: str) -> None:
        if step == "warn":
            await self._warn(case)
        elif step == "refer":
            refer = m.Refer(
                reasons="For a decision on arrangements.", referral_pack=["contact log"]
            )
            await self._step(Role.CASE_OFFICER, opening.refer, case, refer)
        else:
            assessor = staff_username(self.service, Role.MANAGER)
            assessment = m.RecordAssessment(
                assessor=assessor,
                findings="The contact log shows the pattern described.",
                recommendation="A named officer for six months.",
            )
            await self._step(Role.CASE_OFFICER, opening.record_assessment, case, assessment)

    async def _warn(self, case: Case) -> None:
        """The warning, and the letter that is the warning, sent the same day."""
        warning = m.IssueWarning(reasons="The contact described in the evidence log.")
        await self._step(Role.CASE_OFFICER, opening.issue_warning, case, warning)
        letter = m.RecordNotification(
            subject=m.NotificationSubject.WARNING, sent_on=uk_day(self.moment),
            format=m.NotificationFormat.LETTER,
        )  # fmt: skip
        await self._step(Role.CASE_OFFICER, deciding.record_notification, case, letter, 0)

    async def _decide(
        self, case: Case, plan: DemoCase, decided_on: dt.date, ended_on: dt.date | None
    ) -> None:
        for role, relation in (
            (Role.DECISION_MAKER, AssignmentRelation.DECISION_MAKER),
            (Role.REVIEWER, AssignmentRelation.REVIEWER),
        ):
            assigned = m.AssignStaff(username=staff_username(self.service, role), relation=relation)
            await self._step(Role.MANAGER, opening.assign_staff, case, assigned)
        checks = [m.SafeguardCheck(item=s, met=True) for s in self.profile.decision.safeguards]
        await self._step(
            Role.CASE_OFFICER, opening.record_safeguards, case, m.RecordSafeguards(checks=checks)
        )
        await self._warn(case)
        self.moment = dt.datetime.combine(decided_on, dt.time(11), dt.UTC)
        decision = m.Decide(
            reasons="Contact continued at the same level after the warning.",
            arrangements=[
                self._arrangement(kind, services) for kind, services in plan.arrangements
            ],
            starts_on=decided_on,
            # The default profile tells the customer how long: one year, or two.
            ends_on=decided_on + dt.timedelta(days=365 if self.rng.random() < 0.5 else 730),
        )
        await self._step(Role.DECISION_MAKER, deciding.decide, case, decision, days_later=0)
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
