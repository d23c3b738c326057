"""IG officers' records-management pages over the retention work's queries: the holds in
force (placed and automatic, records/holds.py), placing a hold on a case or a customer and
releasing one, and destruction certificates (records/certificates.py). Approving
destruction is on the retention queue's page. Each page and change goes through the gate
(MANAGE_HOLDS on what the hold names, APPROVE_DESTRUCTION), so it is logged like the API's.
A customer is named as subject access names them (admin/person.py), posted, never put in an
address, and listed by id only."""

from __future__ import annotations

import datetime as dt

from sqladmin import expose
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import confirm_first
from admin.gated import PanelView, back_to, field, form_of, id_field
from admin.page import (
    PAGE,
    Button,
    Field,
    Form,
    Notice,
    Page,
    Row,
    Table,
    more_match,
    options,
    paged,
    when,
)
from admin.person import person_fields, person_given, person_named
from admin.who import Shown, who
from authz.gate import Target
from authz.operations import Operation
from records.case_files import find_case_id
from records.certificates import NO_CERTIFICATE, certificate_position, list_certificates
from records.customers import one_customer_named
from records.errors import ValidationFailed
from records.holds import (
    Held,
    check_one_named,
    customer_holds,
    held_by,
    holds_on,
    parse_reason,
    place_hold_on,
    release_hold,
)
from records.models import Case, CaseState, Role
from records.retention_tables import (
    PLACEABLE,
    DestructionCertificate,
    NotArchived,
    RetentionHold,
)

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 200


class HoldsView(PanelView):
    name = "Retention holds"
    icon = "fa-solid fa-hand"
    roles = _IG

    @expose("/holds", methods=["GET"], identity="holds")
    async def holds_page(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._holds_page(request)).context())

    async def _holds_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.MANAGE_HOLDS) as access:
            found = await access.session.execute(
                select(Case.id, Case.reference)
                .where(Case.state != CaseState.DESTROYED)
                .order_by(Case.reference)
            )
            cases = {row.id: row.reference for row in found}
            held = await holds_on(access.session, list(cases))
            on_customers = await customer_holds(
                access.session,
                list(
                    await access.session.scalars(
                        select(RetentionHold.customer_id)
                        .where(RetentionHold.released_at.is_(None))
                        .where(RetentionHold.customer_id.is_not(None))
                        .distinct()
                    )
                ),
            )
            shown = await who(
                access.session,
                [h.placed_by for holds in (*held.values(), *on_customers.values()) for h in holds],
            )
        # A hold on a customer is listed once, by their id, not again on each of their cases.
        on_cases = [
            (cases[case_id], hold)
            for case_id, holds in sorted(held.items(), key=lambda item: cases[item[0]])
            for hold in holds
            if hold.customer_id is None
        ]
        by_customer = [
            (f"customer {customer_id}", hold)
            for customer_id, holds in sorted(on_customers.items())
            for hold in holds
        ]
        release = str(request.url_for("admin:view-holds-release"))
        rows = [
            Row(
                (
                    held_what,
                    hold.reason.value,
                    "automatic" if hold.automatic else "placed",
                    shown(hold.placed_by),
                    when(hold.placed_at),
                ),
                ()
                if hold.id is None
                else (
                    Button(
                        "Release",
                        release,
                        (("id", str(hold.id)),),
                        f"Release the {hold.reason.value} hold on {held_what}? Unless something "
                        "else holds it, the retention job may then archive or destroy it.",
                    ),
                ),
            )
            for held_what, hold in on_cases + by_customer
        ][:SHOWN]
        reasons = options(sorted(r.value for r in PLACEABLE))
        fields = (
            Field("case_ref", "Case reference", help="a case, or a customer below"),
            *person_fields(None, "one of the three: holds the customer and every case of theirs"),
            Field("reason", "Reason", options=reasons),
        )
        here = str(request.url_for("admin:view-holds-place"))
        page = Page(
            "Retention holds",
            "Holds in force: a held case is neither archived nor destroyed; a hold on a "
            "customer (listed by their id) keeps them and every case of theirs. Automatic "
            "holds last while the appeal, review or subject access request they name is open.",
            forms=[Form("place", "Place a hold", here, fields, "Place hold")],
            tables=[
                Table(
                    "holds",
                    "Holds",
                    ("Held", "Reason", "Kind", "Placed by", "Placed"),
                    rows,
                    buttons=True,
                    empty="No holds in force.",
                )
            ],
        )
        return page

    @expose("/holds/place", methods=["POST"], identity="holds-place")
    @form_of(_holds_page)
    async def place_page(self, request: Request) -> Response:
        form = await self.form(request)
        reference, person = field(form, "case_ref") or None, person_named(form)
        check_one_named(reference, person, "case_ref")
        why = parse_reason(field(form, "reason"))
        if reference is not None:
            held = Held(
                case_id=await self.find_as(
                    request,
                    Operation.MANAGE_HOLDS,
                    lambda session: find_case_id(session, reference),
                    "no case with that reference",
                    "case_ref",
                )
            )
        else:
            parts = await self.parts()
            held = Held(
                customer_id=await self.find_as(
                    request,
                    Operation.MANAGE_HOLDS,
                    lambda session: one_customer_named(session, parts.vault, person),
                    "no customer found that way",
                    person_given(form),
                )
            )
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with self.gated(request, Operation.MANAGE_HOLDS, target) as access:
            await place_hold_on(
                access.session, held, why, access.actor.label, self.panel.config.clock()
            )
        return back_to(request, "holds")

    @expose("/holds/release", methods=["POST"], identity="holds-release")
    @form_of(_holds_page)
    @confirm_first("holds", "Release the hold")
    async def release_page(self, request: Request) -> Response:
        form = await self.form(request)
        wanted = id_field(form, "id")
        held = await self.find(lambda session: held_by(session, wanted), "no such hold")
        target = Target(case_id=held.case_id, customer_id=held.customer_id)
        async with self.gated(request, Operation.MANAGE_HOLDS, target) as access:
            await release_hold(
                access.session, wanted, access.actor.label, self.panel.config.clock()
            )
        return back_to(request, "holds")


class CertificatesView(PanelView):
    """Certificates, newest first, a page at a time (as the access log: the button under the
    table posts the last one shown, and the next page starts after it), or the one for a
    case reference: "was MC-2026-... destroyed, and when?". A reference with none is refused
    naming the field, as `tact retention certificates --case-ref` refuses it."""

    name = "Destruction certificates"
    icon = "fa-solid fa-file-circle-check"
    roles = _IG

    @expose("/certificates", methods=["GET", "POST"], identity="certificates")
    async def certificates_page(self, request: Request) -> Response:
        form = await self.form(request) if request.method == "POST" else FormData()
        reference = field(form, "case_ref") or None
        try:
            after = id_field(form, _AFTER) if field(form, _AFTER) else None
            async with self.gated(request, Operation.APPROVE_DESTRUCTION) as access:
                position = None
                if after is not None:
                    position = await certificate_position(access.session, after)
                    if position is None:
                        raise ValidationFailed(_AFTER, "is not a certificate's id")
                found = await list_certificates(
                    access.session, reference=reference, limit=SHOWN_CERTIFICATES + 1,
                    after=position,
                )  # fmt: skip
                shown = await who(
                    access.session,
                    [by for c in found for by in (c.requested_by, c.approved_by, c.destroyed_by)],
                )
            if reference is not None and not found:
                raise ValidationFailed("case_ref", NO_CERTIFICATE)
        except ValidationFailed as refused:
            page = _certificates(request, reference, [], [], None)
            page.refuse(request.url.path, form, refused)
            return await self.page(request, PAGE, page.context(), 400)
        # A reference names one certificate at most: only the whole list has more.
        found, notices, older = paged(
            found, SHOWN_CERTIFICATES, more_match(SHOWN_CERTIFICATES, "certificates"),
            lambda last: Button("Show older certificates", request.url.path,
                                ((_AFTER, str(last.id)),)),
        )  # fmt: skip
        if position is not None:
            notices.append(
                Notice(
                    "Older certificates: those after the one destroyed "
                    f"{when(position.destroyed_at)}."
                )
            )
        return await self.page(
            request, PAGE, _certificates(request, reference, found, notices, older, shown).context()
        )


SHOWN_CERTIFICATES = 100
# Posted by the "older certificates" button: the id of the last certificate shown.
_AFTER = "after"
_CERTIFICATE_HEADERS = (
    "Case", "Rule", "Profile", "Due", "Archived", "Requested", "Approved", "Destroyed by",
    "Destroyed", "Keys shredded",
)  # fmt: skip


def _certificates(
    request: Request,
    reference: str | None,
    found: list[DestructionCertificate],
    notices: list[Notice],
    older: Button | None,
    shown: Shown | None = None,
) -> Page:
    rows = [_certificate_row(c, shown) for c in found] if shown is not None else []
    fields = (
        Field(
            "case_ref",
            "Case reference",
            value=reference or "",
            help="a destroyed case's reference, e.g. MC-2026-...; empty for every certificate",
        ),
    )
    return Page(
        "Destruction certificates",
        f"What was destroyed, under which rule and on whose approval; newest first, "
        f"{SHOWN_CERTIFICATES} at a time. Certificates hold no personal data.",
        notices=notices,
        forms=[Form("find", "Find a case's certificate", request.url.path, fields, "Show")],
        tables=[
            Table("certificates", "Certificates", _CERTIFICATE_HEADERS, rows,
                  empty="No certificate shown." if shown is None else
                  "No case has been destroyed yet.", more=older)
        ],
    )  # fmt: skip


def _certificate_row(c: DestructionCertificate, shown: Shown) -> Row:
    return Row(
        (
            c.case_reference or f"customer {c.customer_id}",
            c.rule,
            f"{c.profile_name} {c.profile_version}",
            when(c.destroy_on),
            _archived(c),
            _by_on(shown(c.requested_by), c.requested_at),
            _by_on(shown(c.approved_by), c.approved_at),
            shown(c.destroyed_by),
            when(c.destroyed_at),
            str(c.keys_shredded),
        )
    )


def _by_on(by: str, at: dt.datetime | None) -> str:
    """Who asked for or approved a destruction (as shown), and when (no time on certificates
    written before migration 0015); nothing where none was needed."""
    return ", ".join(part for part in (by, when(at)) if part)


_NOT_ARCHIVED = {
    NotArchived.PAST_DESTRUCTION_DATE: "no: already past its destruction date when first "
    "handled, so no bundle was written",
}


def _archived(c: DestructionCertificate) -> str:
    """Whether the case was archived before it was destroyed (its bundle's digest, shortened),
    and if not, why not."""
    if c.not_archived_reason is not None:
        return _NOT_ARCHIVED[c.not_archived_reason]
    return f"yes, bundle sha256 {c.bundle_digest[:12]}" if c.bundle_digest else "yes"
