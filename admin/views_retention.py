"""IG officers' retention queue: the retention work's own preview (casework/retention_queue.py,
the queue the job reads), so the page says what the job would do today, or on a day chosen
(as `tact retention preview --as-of`, to plan next month's run): archive, destroy,
held (each hold named) or awaiting approval, with the rule and the dates; a case not yet
archived and past its destruction date says it is to be destroyed without being archived
(casework/retention_queue.in_words), not only tonight's step. Where the profile
asks for approval of destruction, a due case's approval is requested and given here, with the
same functions and rules as the API (records/certificates.py: with two-person approval the
requester may not approve). Every page and change goes through the gate as
APPROVE_DESTRUCTION, so each is logged; the forms carry the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import uuid

from sqladmin import expose
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import confirm_first
from admin.gated import PanelView, back_to, date_field, field, form_of, id_field
from admin.page import PAGE, Button, Field, Form, Notice, Page, Row, Table, more_match, paged, when
from admin.who import Shown, who
from authz.gate import Target
from authz.operations import Operation
from casework.retention_queue import (
    Caseless,
    Planned,
    PreviewEntry,
    PreviewPart,
    PreviewPosition,
    caseless_customers,
    due_case_ids,
    in_words,
    plan_one,
    preview_page,
    untouched,
    wants_approval,
)
from casework.retention_schedule import RetentionPolicy
from records.case_files import find_case_id
from records.certificates import approval_case_of, approve, request_approval
from records.days import uk_day, uk_today
from records.errors import Forbidden, InvalidTransition, ValidationFailed
from records.models import Role

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 200
_AS_OF = "as_of"
# Posted by the "next rows" button: the last row's place in the queue, `case:<id>` (its part
# and its case's or customer's id, as the API's cursor holds it).
_AFTER = "after"
_PREVIEW_ONLY = (
    "A preview of {day}: approval is asked for and given on today's queue, for what is due "
    "by today."
)
_HEADERS = ("Case", "State", "Action", "Rule", "Archive on", "Destroy on", "Holds", "Approval")


class RetentionQueueView(PanelView):
    name = "Retention queue"
    icon = "fa-solid fa-box-archive"
    roles = _IG

    async def _policy(self) -> RetentionPolicy:
        return RetentionPolicy.of((await self.parts()).profile)

    @expose("/retention-queue", methods=["GET", "POST"], identity="retention-queue")
    async def queue_page(self, request: Request) -> Response:
        form = await self.form(request) if request.method == "POST" else FormData()
        try:
            day = date_field(form, _AS_OF, uk_today(self.panel.config.clock))
            after = _position(form)
        except ValidationFailed as refused:
            # Today's queue again, the day typed kept and named.
            page = await self._queue_page(request)
            page.refuse(request.url.path, form, refused)
            return await self.page(request, PAGE, page.context(), 400)
        page = await self._queue_page(request, day, after)
        return await self.page(request, PAGE, page.context())

    async def _queue_page(
        self, request: Request, day: dt.date | None = None, after: PreviewPosition | None = None
    ) -> Page:
        """The queue as the job would find it on `day` (today by default: `tact retention
        preview --as-of`), a page at a time in the preview's order (the API's pages): the
        button under the table posts the last row's place, and the next page starts after it.
        Approval is asked for and given on today's queue only, as the CLI acts for today (or
        a missed night) and never for a day to come."""
        policy = await self._policy()
        today = uk_today(self.panel.config.clock)
        day = day or today
        async with self.gated(request, Operation.APPROVE_DESTRUCTION) as access:
            found = await preview_page(access.session, policy, day, after=after, limit=SHOWN + 1)
            due = len(await due_case_ids(access.session, policy, day))
            customers = len(await caseless_customers(access.session, policy, day))
            open_cases = len(await untouched(access.session, policy, day))
            asked = [e.approval for e in found if isinstance(e, Planned) and e.approval]
            shown = await who(
                access.session, [by for a in asked for by in (a.requested_by, a.approved_by)]
            )
        here = str(request.url_for("admin:view-retention-queue"))
        found, notices, more = paged(
            found, SHOWN, more_match(SHOWN, "rows", "the first", "the next ones"),
            lambda last: Button("Show the next rows", here,
                                ((_AS_OF, day.isoformat()), (_AFTER, _place(last)))),
        )  # fmt: skip
        rows = [self._entry_row(request, e, policy, shown, acts=day == today) for e in found]
        approval = (
            "Destruction needs an IG officer's approval under this profile"
            + (" (not the requester's own)." if policy.two_person_approval else ".")
            if policy.approval_required
            else "This profile destroys due cases without approval."
        )
        when_run = f"today ({today.isoformat()})" if day == today else f"on {day.isoformat()}"
        if day != today:
            notices.append(Notice(_PREVIEW_ONLY.format(day=day.isoformat())))
        if after is not None:
            notices.append(Notice("The next rows: those after the last one shown before."))
        as_of = Field(
            _AS_OF, "As of (date)", kind="date", value=day.isoformat(),
            help="another day than today: a later one shows what the job will do then",
        )  # fmt: skip
        page = Page(
            "Retention queue",
            f"What the retention job would do {when_run}, under profile "
            f"{policy.profile_name} {policy.profile_version}: {due} case(s) due, "
            f"{customers} customer(s) with no case due, and {open_cases} open "
            f"case(s) with no step for {policy.open_case_review_months} months "
            f"(needs_review), {SHOWN} at a time. A held case is neither archived nor "
            f"destroyed. {approval}",
            notices=notices,
            forms=[Form("as-of", "Preview another day", here, (as_of,), "Preview")],
            tables=[
                Table("queue", "Due cases", _HEADERS, rows, buttons=True, more=more,
                      empty=f"No case is due to be archived or destroyed {when_run}.")
            ],
        )  # fmt: skip
        return page

    def _entry_row(
        self, request: Request, e: PreviewEntry, policy: RetentionPolicy, shown: Shown, *,
        acts: bool,
    ) -> Row:  # fmt: skip
        if isinstance(e, Planned):
            return self._row(request, e, policy, shown, acts=acts)
        if isinstance(e, Caseless):
            # Customers with no case: destroyed by the job, no approval asked (docs/retention.md).
            return Row(_customer_cells(e))
        # Open cases with no step for the profile's months: listed, never archived or destroyed.
        return Row((e.case.reference, e.case.state.value, e.action.value, e.rule, "", "", "", ""))

    def _row(
        self, request: Request, p: Planned, policy: RetentionPolicy, shown: Shown, *, acts: bool
    ) -> Row:
        s, approval = p.schedule, p.approval
        asked = ""
        buttons: tuple[Button, ...] = ()
        if approval is not None:
            asked = f"requested by {shown(approval.requested_by)}" + (
                f", approved by {shown(approval.approved_by)}" if approval.approved else ""
            )
        # Due and waiting for approval: archived, or still to be archived (approved before
        # the job reaches it, such a case is destroyed without being archived).
        waiting = acts and wants_approval(p, policy)
        if waiting and approval is None:
            action = str(request.url_for("admin:view-retention-queue-request"))
            buttons = (Button("Request approval", action, (("case_ref", p.reference),)),)
        elif waiting and approval is not None:
            action = str(request.url_for("admin:view-retention-queue-approve"))
            question = (
                f"Approve the destruction of case {p.reference}'s records? This cannot be undone."
            )
            hidden = (("approval_id", str(approval.id)),)
            buttons = (Button("Approve destruction", action, hidden, question),)
        cells = (
            p.reference, p.state.value, in_words(p, policy), p.rule, when(s.archive_on),
            when(s.destroy_on), ", ".join(p.hold_names), asked,
        )  # fmt: skip
        return Row(cells, buttons)

    @expose("/retention-queue/request", methods=["POST"], identity="retention-queue-request")
    @form_of(_queue_page)
    async def request_page(self, request: Request) -> Response:
        form = await self.form(request)
        policy = await self._policy()
        now = self.panel.config.clock()
        reference = field(form, "case_ref")
        case_id = await self.find(
            lambda session: find_case_id(session, reference), "no case with that reference"
        )
        async with self.gated(
            request, Operation.APPROVE_DESTRUCTION, Target(case_id=case_id)
        ) as access:
            planned = await plan_one(access.session, policy, uk_day(now), case_id)
            if planned is None or not planned.destroy_due:
                raise InvalidTransition("the case is not due for destruction")
            await request_approval(
                access.session, case_id, planned.schedule.destroy_on, access.actor.label, now
            )
        return back_to(request, "retention-queue")

    @expose("/retention-queue/approve", methods=["POST"], identity="retention-queue-approve")
    @form_of(_queue_page)
    @confirm_first("retention-queue", "Approve the destruction")
    async def approve_page(self, request: Request) -> Response:
        form = await self.form(request)
        policy = await self._policy()
        wanted = id_field(form, "approval_id")
        case_id = await self.find(
            lambda session: approval_case_of(session, wanted), "no such approval request"
        )
        own: Forbidden | None = None
        try:
            async with self.gated(
                request, Operation.APPROVE_DESTRUCTION, Target(case_id=case_id)
            ) as access:
                try:
                    await approve(
                        access.session, wanted, access.actor.label, self.panel.config.clock(),
                        two_person=policy.two_person_approval,
                    )  # fmt: skip
                except Forbidden as refused:  # two-person approval: the requester's own
                    own = refused
                    raise
        except Forbidden:
            if own is None:  # the gate's refusal: a plain page
                raise
            # The queue again, saying why (logged as denied), not "not available to your
            # roles": the officer may approve others' requests.
            page = await self._queue_page(request)
            page.refuse(request.url.path, form, own)
            return await self.page(request, PAGE, page.context(), 403)
        return back_to(request, "retention-queue")


def _place(entry: PreviewEntry) -> str:
    position = PreviewPosition.of(entry)
    return f"{position.part.value}:{position.id}"


def _position(form: FormData) -> PreviewPosition | None:
    """Where the next page starts: after the place the "next rows" button posted."""
    text = field(form, _AFTER)
    if not text:
        return None
    part, _, row_id = text.partition(":")
    try:
        return PreviewPosition(PreviewPart(part), uuid.UUID(row_id))
    except ValueError:
        raise ValidationFailed(_AFTER, "is not a place in the queue") from None


def _customer_cells(c: Caseless) -> tuple[str, ...]:
    """A customer with no case in the queue's columns: named by id, no archive date."""
    return (
        f"customer {c.customer_id}", "no case", c.action.value, c.rule, "",
        when(c.destroy_on), ", ".join(c.hold_names), "",
    )  # fmt: skip
