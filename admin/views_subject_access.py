"""IG officers' subject access requests: the requests, open and complete; open one for a
customer found by the blind index of their reference, email or phone number (as the access
log's person filter does);
mark one complete. An open request holds every case of its customer from archiving and
destruction (records/holds.py). The functions are the retention work's, the same the API's
openSubjectAccessRequest and completeSubjectAccessRequest use; every page and change goes
through the gate as SUBJECT_ACCESS_EXPORT (a change on the customer it is about), so each is
logged. The reference is posted, never put in an address, and the list shows ids only."""

from __future__ import annotations

from sqladmin import expose
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import confirm_first
from admin.gated import PanelView, back_to, form_of, id_field
from admin.page import PAGE, Button, Form, Page, Row, Table, when
from admin.person import person_fields, person_given, person_named
from admin.who import who
from authz.gate import Target
from authz.operations import Operation
from records.customers import one_customer_named
from records.errors import ValidationFailed
from records.holds import complete_subject_access, open_subject_access, subject_access_requests
from records.models import Role
from records.retention_tables import SubjectAccessRequest

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 200
_HEADERS = ("Request", "Customer id", "Opened by", "Opened", "Completed by", "Completed")


class SubjectAccessView(PanelView):
    name = "Subject access requests"
    icon = "fa-solid fa-id-card"
    roles = _IG

    @expose("/subject-access", methods=["GET"], identity="subject-access")
    async def requests_page(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._requests_page(request)).context())

    async def _requests_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.SUBJECT_ACCESS_EXPORT) as access:
            found = await subject_access_requests(access.session, limit=SHOWN)
            shown = await who(
                access.session, [by for r in found for by in (r.opened_by, r.completed_by)]
            )
        done = str(request.url_for("admin:view-subject-access-complete"))
        rows = [
            Row(
                (
                    str(r.id),
                    str(r.customer_id),
                    shown(r.opened_by),
                    when(r.opened_at),
                    shown(r.completed_by),
                    when(r.completed_at),
                ),
                ()
                if r.completed_at
                else (
                    Button(
                        "Mark complete",
                        done,
                        (("id", str(r.id)),),
                        f"Mark subject access request {r.id} complete? Its hold on the cases of "
                        f"customer {r.customer_id} ends. This cannot be undone.",
                    ),
                ),
            )
            for r in found
        ]
        fields = person_fields(
            None, "one of the three, found by its blind index; the request holds all of the "
            "customer's cases",
        )  # fmt: skip
        here = str(request.url_for("admin:view-subject-access-open"))
        page = Page(
            "Subject access requests",
            f"Open requests first, then the newest; at most {SHOWN}. While a request is open, "
            "none of the customer's cases is archived or destroyed. The export itself is "
            "made through the API (subjectAccessExport).",
            forms=[Form("open", "Open a request", here, fields, "Open request")],
            tables=[Table("requests", "Requests", _HEADERS, rows, buttons=True,
                          empty="No subject access requests.")],
        )  # fmt: skip
        return page

    @expose("/subject-access/open", methods=["POST"], identity="subject-access-open")
    @form_of(_requests_page)
    async def open_page(self, request: Request) -> Response:
        form = await self.form(request)
        parts = await self.parts()
        async with parts.database.sessions() as session:
            found = await one_customer_named(session, parts.vault, person_named(form))
            await session.rollback()
        if found is None:
            raise ValidationFailed(person_given(form), "no customer found that way")
        async with self.gated(
            request, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=found)
        ) as access:
            await open_subject_access(
                access.session, found, access.actor.label, self.panel.config.clock()
            )
        return back_to(request, "subject-access")

    @expose("/subject-access/complete", methods=["POST"], identity="subject-access-complete")
    @form_of(_requests_page)
    @confirm_first("subject-access", "Mark it complete")
    async def complete_page(self, request: Request) -> Response:
        form = await self.form(request)
        wanted = id_field(form, "id")
        customer_id = await self.find(
            lambda session: session.scalar(
                select(SubjectAccessRequest.customer_id).where(SubjectAccessRequest.id == wanted)
            ),
            "no such subject access request",
        )
        async with self.gated(
            request, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=customer_id)
        ) as access:
            await complete_subject_access(
                access.session, wanted, access.actor.label, self.panel.config.clock()
            )
        return back_to(request, "subject-access")
