"""IG officers' subject access requests: the requests, open and complete; open one for a
customer found by the blind index of their reference, email or phone number (as the access
log's person filter does); mark one complete; and export everything held about a customer,
found the same way, as a download (the JSON or the readable HTML document the API's
subjectAccessExport gives, made by the same function, casework/subject_access.py). An open
request holds every case of its customer from archiving and destruction (records/holds.py).
The functions are the retention work's, the same the API's openSubjectAccessRequest and
completeSubjectAccessRequest use; every page, change and export goes through the gate as
SUBJECT_ACCESS_EXPORT (a change or an export on the customer it is about), so each is
logged. The reference is posted, never put in an address, and the list shows ids only."""

from __future__ import annotations

import uuid

from sqladmin import expose
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import confirm_first
from admin.gated import PanelView, back_to, field, form_of, id_field
from admin.page import PAGE, Button, Field, Form, Notice, Page, Row, Table, more_match, paged, when
from admin.person import person_fields, person_given, person_named
from admin.who import who
from authz.gate import Target
from authz.operations import Operation
from casework.subject_access import as_html, as_json, subject_access_document
from records.customers import one_customer_named
from records.days import uk_today
from records.errors import ValidationFailed
from records.holds import complete_subject_access, open_subject_access, subject_access_requests
from records.models import Role
from records.retention_tables import SubjectAccessRequest

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 200
# Posted by the "next requests" button: the id of the last request shown.
_AFTER = "after"
_FORMATS = (("html", "HTML: a readable document"), ("json", "JSON: machine-readable"))
_HEADERS = ("Request", "Customer id", "Opened by", "Opened", "Completed by", "Completed")


class SubjectAccessView(PanelView):
    name = "Subject access requests"
    icon = "fa-solid fa-id-card"
    roles = _IG

    @expose("/subject-access", methods=["GET", "POST"], identity="subject-access")
    async def requests_page(self, request: Request) -> Response:
        """The list, a page at a time: the button under it posts the last request shown, and
        the next page starts after it (as the certificates page pages)."""
        form = await self.form(request) if request.method == "POST" else FormData()
        try:
            after = id_field(form, _AFTER) if field(form, _AFTER) else None
            page = await self._requests_page(request, after)
        except ValidationFailed as refused:
            page = await self._requests_page(request)
            page.refuse(request.url.path, form, refused)
            return await self.page(request, PAGE, page.context(), 400)
        return await self.page(request, PAGE, page.context())

    async def _requests_page(self, request: Request, after: uuid.UUID | None = None) -> Page:
        async with self.gated(request, Operation.SUBJECT_ACCESS_EXPORT) as access:
            found = await subject_access_requests(access.session, limit=SHOWN + 1, after=after)
            shown = await who(
                access.session, [by for r in found for by in (r.opened_by, r.completed_by)]
            )
        listed = str(request.url_for("admin:view-subject-access"))
        found, notices, more = paged(
            found, SHOWN, more_match(SHOWN, "requests", "open ones first, then the newest",
                                     "the next ones"),
            lambda last: Button("Show the next requests", listed, ((_AFTER, str(last.id)),)),
        )  # fmt: skip
        if after is not None:
            notices.append(Notice("The next requests: those after the last one shown before."))
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
        export = str(request.url_for("admin:view-subject-access-export"))
        export_fields = (
            *person_fields(None, "one of the three, found by its blind index"),
            Field("format", "Format", options=_FORMATS),
        )
        page = Page(
            "Subject access requests",
            f"Open requests first, then the newest; {SHOWN} at a time. While a request is open, "
            "none of the customer's cases is archived or destroyed. The export downloads "
            "everything held about the customer: identity and contact details, every case in "
            "full with its timeline and notifications, and who has seen their record.",
            forms=[
                Form("open", "Open a request", here, fields, "Open request"),
                Form("export", "Export a customer's records", export, export_fields, "Download"),
            ],
            notices=notices,
            tables=[Table("requests", "Requests", _HEADERS, rows, buttons=True,
                          empty="No subject access requests.", more=more)],
        )  # fmt: skip
        return page

    async def _customer(self, request: Request, form: FormData) -> uuid.UUID:
        """The customer a form names, by their reference, email or phone number."""
        vault = (await self.parts()).vault
        return await self.find_as(
            request, Operation.SUBJECT_ACCESS_EXPORT,
            lambda session: one_customer_named(session, vault, person_named(form)),
            "no customer found that way", person_given(form),
        )  # fmt: skip

    @expose("/subject-access/open", methods=["POST"], identity="subject-access-open")
    @form_of(_requests_page)
    async def open_page(self, request: Request) -> Response:
        form = await self.form(request)
        found = await self._customer(request, form)
        async with self.gated(
            request, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=found)
        ) as access:
            await open_subject_access(
                access.session, found, access.actor.label, self.panel.config.clock()
            )
        return back_to(request, "subject-access")

    @expose("/subject-access/export", methods=["POST"], identity="subject-access-export")
    @form_of(_requests_page)
    async def export_page(self, request: Request) -> Response:
        """A download, never a page: the document names the person, so it is not shown in
        the panel, kept in its history or put in an address; the file is named by the
        customer's id."""
        form = await self.form(request)
        kind = field(form, "format")
        if kind not in dict(_FORMATS):
            raise ValidationFailed("format", "must be html or json")
        parts = await self.parts()
        customer_id = await self._customer(request, form)
        async with self.gated(
            request, Operation.SUBJECT_ACCESS_EXPORT, Target(customer_id=customer_id)
        ) as access:
            document = await subject_access_document(access.session, parts.vault, customer_id)
        day = uk_today(self.panel.config.clock).isoformat()
        name = f"tact-subject-access-{customer_id}-{day}.{kind}"
        return Response(
            as_json(document) if kind == "json" else as_html(document),
            media_type="application/json" if kind == "json" else "text/html",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

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
