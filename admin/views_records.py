"""IG officers' records-management pages over the retention work's queries: the holds in
force (placed and automatic, records/holds.py) and destruction certificates
(records/certificates.py). Read-only here; placing and releasing holds and approving
destruction stay with the API and `tact retention`. Each page goes through the gate
(MANAGE_HOLDS, APPROVE_DESTRUCTION), so it is logged like the API's."""

from __future__ import annotations

from sqladmin import expose
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from admin.gated import PanelView
from admin.page import PAGE, Page, Row, Table, when
from authz.operations import Operation
from records.certificates import list_certificates
from records.holds import customer_holds, holds_on
from records.models import Case, CaseState, Role
from records.retention_tables import DestructionCertificate, NotArchived, RetentionHold

_IG = frozenset({Role.IG_OFFICER})
SHOWN = 200


class HoldsView(PanelView):
    name = "Retention holds"
    icon = "fa-solid fa-hand"
    roles = _IG

    @expose("/holds", methods=["GET"], identity="holds")
    async def holds_page(self, request: Request) -> Response:
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
        rows = [
            Row(
                (
                    held_what,
                    hold.reason.value,
                    "automatic" if hold.automatic else "placed",
                    hold.placed_by or "",
                    when(hold.placed_at),
                )
            )
            for held_what, hold in on_cases + by_customer
        ][:SHOWN]
        page = Page(
            "Retention holds",
            "Holds in force: a held case is neither archived nor destroyed; a hold on a "
            "customer (listed by their id) keeps them and every case of theirs. Automatic "
            "holds last while the appeal, review or subject access request they name is open.",
            tables=[
                Table(
                    "holds",
                    "Holds",
                    ("Held", "Reason", "Kind", "Placed by", "Placed"),
                    rows,
                    empty="No holds in force.",
                )
            ],
        )
        return await self.page(request, PAGE, page.context())


class CertificatesView(PanelView):
    name = "Destruction certificates"
    icon = "fa-solid fa-file-circle-check"
    roles = _IG

    @expose("/certificates", methods=["GET"], identity="certificates")
    async def certificates_page(self, request: Request) -> Response:
        async with self.gated(request, Operation.APPROVE_DESTRUCTION) as access:
            found = await list_certificates(access.session, limit=SHOWN)
        rows = [
            Row(
                (
                    c.case_reference or f"customer {c.customer_id}",
                    c.rule,
                    f"{c.profile_name} {c.profile_version}",
                    when(c.destroy_on),
                    _archived(c),
                    c.approved_by or "",
                    c.destroyed_by,
                    when(c.destroyed_at),
                    str(c.keys_shredded),
                )
            )
            for c in found
        ]
        page = Page(
            "Destruction certificates",
            f"What was destroyed, under which rule and on whose approval; newest first, at "
            f"most {SHOWN}. Certificates hold no personal data.",
            tables=[
                Table(
                    "certificates",
                    "Certificates",
                    ("Case", "Rule", "Profile", "Due", "Archived", "Approved by",
                     "Destroyed by", "Destroyed", "Keys shredded"),
                    rows,
                    empty="No case has been destroyed yet.",
                )
            ],
        )  # fmt: skip
        return await self.page(request, PAGE, page.context())


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
