"""GraphQL types of case records: the summary (reference, state, service, dates) and the full
file (`CaseDetail`), one type per field set, so a resolver can only hand out what its gate
access allowed.

Each type is written out by hand, never generated from a model, so an encrypted column can
never leak into the schema; its `from_...()` constructor takes the fields it declares from
the domain view (`schema/shaped.py`) and gives the rest. Internal ids stay in Python
(`strawberry.Private`): the API names cases by their office reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Self

import strawberry
from strawberry.scalars import JSON

from casework.arrangements import PARAMETERS_ANSWERED, handling_instructions
from casework.steps import camel_keys
from records.addresses import address_country
from records.attachments import AttachmentView
from records.case_files import (
    ArrangementSummaryView,
    ArrangementView,
    CaseFile,
    CaseSummaryView,
    ConcernView,
    EvidenceView,
)
from records.customers import ContactView, CustomerView
from records.models import (
    ArrangementKind,
    ArrangementState,
    CaseState,
    Channel,
    ConcernCategory,
    ContactKind,
    CustomerKind,
)
from schema.portal_types import ArrangementKindType  # noqa: F401

# The portal's module names ArrangementKind in the schema; it must do so before any type here
# mentions it, or strawberry would make a second, clashing definition of the enum.
from schema.shaped import shaped

CaseStateType = strawberry.enum(CaseState, name="CaseState")
ArrangementStateType = strawberry.enum(ArrangementState, name="ArrangementState")
ConcernCategoryType = strawberry.enum(
    ConcernCategory,
    name="ConcernCategory",
    description="A neutral category of conduct a concern is about; never a label of a person.",
)
ChannelType = strawberry.enum(Channel, name="Channel")
CustomerKindType = strawberry.enum(CustomerKind, name="CustomerKind")
ContactKindType = strawberry.enum(ContactKind, name="ContactKind")


@strawberry.type(description="An arrangement's kind, state and dates; no parameters.")
class CaseArrangement:
    kind: ArrangementKind
    state: ArrangementState
    starts_on: dt.date
    ends_on: dt.date | None
    next_review_on: dt.date | None

    @classmethod
    def from_outline(cls, outline: ArrangementSummaryView) -> CaseArrangement:
        return shaped(cls, outline)


@strawberry.type(description="A managed contact case's summary: reference, state, service, dates.")
class CaseSummary:
    reference: str
    state: CaseState
    service: str = strawberry.field(description="The slug of the service that holds the case.")
    opened_at: dt.datetime
    updated_at: dt.datetime
    restrictions_ended_on: dt.date | None = strawberry.field(
        description="When the last arrangement ended: the retention period runs from here."
    )
    arrangements: list[CaseArrangement]
    # Kept for the full read (`Case.detail`), which goes through the gate on its own.
    case_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_summary(cls, summary: CaseSummaryView) -> Self:
        return shaped(
            cls,
            summary,
            arrangements=[CaseArrangement.from_outline(a) for a in summary.arrangements],
            case_id=summary.id,
        )


@strawberry.type(name="ContactDetail")
class ContactDetailType:
    kind: ContactKind
    value: str = strawberry.field(
        description="The email or phone number as recorded; a postal address, its lines one "
        "a line (separated by newlines), then the postcode, and for an address abroad its "
        "country's code last."
    )
    preferred: bool = strawberry.field(
        description="The customer's preferred detail: for an address, the one letters go to."
    )
    country: str | None = strawberry.field(
        description="A postal address's country, as its ISO 3166-1 alpha-2 code (GB for the "
        "UK); null for an email or phone number."
    )

    @classmethod
    def from_view(cls, contact: ContactView) -> ContactDetailType:
        address = contact.kind is ContactKind.ADDRESS
        return shaped(cls, contact, country=address_country(contact.value) if address else None)


@strawberry.type(description="Who the case is about: identity, contact details and needs.")
class CaseCustomer:
    kind: CustomerKind
    name: str | None = strawberry.field(
        description="Null when the name was not given: the customer is known by their email "
        "or phone number (`nameWithheld` when the case was opened)."
    )
    reference: str | None
    contact_details: list[ContactDetailType]
    communication_needs: JSON = strawberry.field(
        description="Reasonable adjustments, preferred format, representative (JSON object)."
    )
    notes: str | None

    @classmethod
    def from_view(cls, customer: CustomerView) -> CaseCustomer:
        return shaped(
            cls,
            customer,
            contact_details=[ContactDetailType.from_view(c) for c in customer.contacts],
            communication_needs=JSON(dict(customer.needs)),
        )


@strawberry.type(description="A concern about conduct, in a neutral category.")
class CaseConcern:
    category: ConcernCategory
    description: str | None
    recorded_at: dt.datetime

    @classmethod
    def from_view(cls, concern: ConcernView) -> CaseConcern:
        return shaped(cls, concern)


@strawberry.type(description="One entry of evidence: a contact or incident, as recorded.")
class EvidenceEntry:
    id: uuid.UUID = strawberry.field(description="What an attachment names as its evidence.")
    channel: Channel
    occurred_on: dt.date
    summary: str
    hs_incident_ref: str | None = strawberry.field(
        description="Health-and-safety incident reference, if one was made."
    )

    @classmethod
    def from_view(cls, entry: EvidenceView) -> EvidenceEntry:
        return shaped(cls, entry)


@strawberry.type(
    description="A file of evidence kept on the case; its content is read with `attachment`."
)
class Attachment:
    id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    added_at: dt.datetime
    added_by: str | None = strawberry.field(description="The member of staff who added it.")
    evidence_id: uuid.UUID | None = strawberry.field(
        description="The entry of evidence it belongs to, if any."
    )

    @classmethod
    def from_view(cls, attachment: AttachmentView) -> Self:
        # The view holds what the list shows and nothing more (never the content).
        return shaped(cls, attachment)


@strawberry.type(description="An arrangement in full: its parameters and handling instructions.")
class ArrangementDetail(CaseArrangement):
    services: list[str]
    named_officer: str | None
    deputy_officer: str | None
    handling_instructions: str
    parameters: JSON = strawberry.field(description=PARAMETERS_ANSWERED)

    @classmethod
    def from_view(cls, arrangement: ArrangementView) -> ArrangementDetail:
        outline = arrangement.outline
        return shaped(
            cls,
            outline,
            services=list(arrangement.services),
            named_officer=arrangement.named_officer,
            deputy_officer=arrangement.deputy_officer,
            handling_instructions=handling_instructions(
                outline.kind,
                arrangement.parameters,
                arrangement.named_officer,
                arrangement.deputy_officer,
            ),
            parameters=JSON(camel_keys(arrangement.parameters)),
        )


@strawberry.type(
    description=(
        "A case's full file: identity, summary, concerns, evidence, arrangements, attachments."
    )
)
class CaseDetail:
    customer: CaseCustomer
    summary: str | None
    concerns: list[CaseConcern]
    evidence: list[EvidenceEntry]
    arrangements: list[ArrangementDetail]
    attachments: list[Attachment]

    @classmethod
    def from_file(cls, case_file: CaseFile) -> CaseDetail:
        return cls(
            customer=CaseCustomer.from_view(case_file.customer),
            summary=case_file.summary_text,
            concerns=[CaseConcern.from_view(c) for c in case_file.concerns],
            evidence=[EvidenceEntry.from_view(e) for e in case_file.evidence],
            arrangements=[ArrangementDetail.from_view(a) for a in case_file.arrangements],
            attachments=[Attachment.from_view(a) for a in case_file.attachments],
        )
