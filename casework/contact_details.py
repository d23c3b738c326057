"""The case customer's emails, phone numbers and postal addresses, kept right:
`record_contact_details` adds and removes them as a step of the case, and `add_missing` adds
the ones `openCase` was given for a customer it found. Both check a detail the same way, here
(docs/workflow.md):

- normalised and digested as the portal lookup does it (records/lookup.py, through the
  vault), so a malformed one is refused naming its field and an added one is found;
- a detail finds one customer only: one recorded for another customer is refused, naming
  the field, never the customer or their case; the details being added are locked before
  they are looked at (records/lookup_locks.py), so two steps, or a step and `openCase`,
  cannot each give one to a different customer; the customer's row is held after the case's
  (`hold_customer`), so two steps on two of their cases run one after the other. An address
  finds no one and may be shared (records/addresses.py): it is told apart from the
  customer's own addresses only;
- adding a detail the customer already has, or removing one they have not, is refused in
  the step (nothing would change); `openCase` leaves the ones they have as they are;
- a customer is never left without a way to be found (an email, a phone number or their
  customer reference), nor one whose name is not given without an email or phone number:
  add the new one in the same step as removing the last;
- a customer with an address has a preferred one, the one letters go to: the first added
  while they have none (a replacement, added in the step that removes the old one, included),
  until the step prefers another of theirs (`preferAddress`: one they have and keep, or one
  added in the same step); preferring the one already preferred, or one being removed, is
  refused, as is one not theirs.

The timeline event says what kinds changed and how many, and whether an address was
preferred, never the values: they are the customer's, sealed under the customer's key, as
`openCase` keeps them off its event.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from casework import step_models as m
from casework.steps import StepRun, begin, finish
from records.addresses import address_key
from records.case_steps import CaseEvent, Step
from records.contact_details import (
    FINDABLE,
    Holder,
    add_contact,
    contact_digest,
    findable_contacts,
    holders,
    prefer_address,
    prefer_an_address,
    remove_contacts,
    their_addresses,
    ways_to_find,
)
from records.customers import customer_name, hold_customer
from records.errors import ValidationFailed
from records.lookup_locks import hold_lookups
from records.models import ContactKind

ANOTHER_CUSTOMER = "is recorded for another customer; a detail may find one customer only"


@dataclass(frozen=True)
class GivenDetail:
    kind: ContactKind
    value: str  # as it is sealed
    field: str  # its place in the input, in the API's spelling: input.add.0.email
    digest: bytes | None  # the lookup's blind index; None for an address, which finds no one
    same: tuple[ContactKind, bytes]  # what makes two details one: digest, or normal form

    @property
    def findable(self) -> bool:
        return self.kind in FINDABLE


def given_details(
    run: StepRun, entries: Sequence[m.ContactDetailValue], prefix: str
) -> list[GivenDetail]:
    found = []
    for i, entry in enumerate(entries):
        for kind, value in ((ContactKind.EMAIL, entry.email), (ContactKind.PHONE, entry.phone)):
            if value:
                found.append(given_detail(run, kind, value, f"{prefix}.{i}.{kind.value}"))
        if entry.address is not None:
            found.append(given_address(entry.address, f"{prefix}.{i}.address"))
    return found


def given_detail(run: StepRun, kind: ContactKind, value: str, field: str) -> GivenDetail:
    """A detail as given, with the lookup's digest of it (a malformed one refused)."""
    digest = contact_digest(run.vault, kind, value, field)
    return GivenDetail(kind, value.strip(), field, digest, (kind, digest))


def given_address(address: m.PostalAddress, field: str) -> GivenDetail:
    """A postal address as given (checked by its model): no digest, its normal form to tell
    it from the customer's own."""
    text = address.text
    return GivenDetail(ContactKind.ADDRESS, text, field, None, _same_address(text))


def _same_address(text: str) -> tuple[ContactKind, bytes]:
    return ContactKind.ADDRESS, address_key(text).encode()


async def record_contact_details(
    run: StepRun, case_id: uuid.UUID, given: m.RecordContactDetails
) -> CaseEvent:
    adding = given_details(run, given.add, "input.add")
    removing = given_details(run, given.remove, "input.remove")
    preferring = (
        [given_address(given.prefer_address, "input.preferAddress")]
        if given.prefer_address is not None
        else []
    )
    # Before the case's lock (begin), as `openCase` takes them before any case's: one order.
    await hold_lookups(run.session, [d.digest for d in adding])
    begun = await begin(run, case_id, Step.CONTACT_DETAILS_RECORDED)
    customer_id = begun.case.customer_id
    # After the case's, before counting what is left: a step on another case of theirs waits.
    await hold_customer(run.session, customer_id)
    _once_each([*adding, *removing])
    held = await _held(run, customer_id, [*adding, *removing, *preferring])
    new = _not_yet_theirs(adding, held, customer_id)
    for detail in adding:
        if detail not in new:
            raise ValidationFailed(detail.field, "is already recorded for this customer")
    theirs = {h.same: h.contact_id for h in held if h.customer_id == customer_id}
    for detail in removing:
        if detail.same not in theirs:
            raise ValidationFailed(detail.field, "is not recorded for this customer")
    for detail in preferring:
        _may_prefer(detail, held, adding, removing)
    change = _findable(adding) - _findable(removing)
    left = await ways_to_find(run.session, customer_id) + change
    if left < 1:
        raise ValidationFailed(
            "input.remove",
            "would leave no way to find the customer (an email, a phone number or a customer "
            "reference): add the new detail in the same step",
        )
    if removing:
        await _known_without_a_name(run, customer_id, change)
    await remove_contacts(run.session, [theirs[d.same] for d in removing])
    written = await _write(run, customer_id, adding, removing)
    for detail in preferring:
        await prefer_address(run.session, customer_id, (theirs | written)[detail.same])
    return await finish(
        run, begun, Step.CONTACT_DETAILS_RECORDED, None,
        added=_counts(adding), removed=_counts(removing),
        **({"address_preferred": True} if preferring else {}),
    )  # fmt: skip


def _may_prefer(
    detail: GivenDetail,
    held: Sequence[_Held],
    adding: Sequence[GivenDetail],
    removing: Sequence[GivenDetail],
) -> None:
    """The address to prefer is the customer's after the step, and not preferred already."""
    if any(d.same == detail.same for d in removing):
        raise ValidationFailed(detail.field, "is being removed in this step")
    if any(d.same == detail.same for d in adding):
        return
    theirs = [h for h in held if h.same == detail.same]
    if not theirs:
        raise ValidationFailed(
            detail.field, "is not recorded for this customer: add it, in this step or before"
        )
    if theirs[0].preferred:
        raise ValidationFailed(detail.field, "is already the address letters go to")


async def add_missing(
    run: StepRun, customer_id: uuid.UUID, given: Sequence[GivenDetail]
) -> dict[str, int]:
    """Add to a customer the details given that they do not have yet (those of another
    customer refused); answers how many of each kind were added. The caller holds their
    locks (`hold_lookups`), taken before any case's: `openCase` takes them before it looks.
    It holds the customer's row as the step does, after the lookups and any case `openCase`
    has held (`hold_customer`)."""
    await hold_customer(run.session, customer_id)
    held = await _held(run, customer_id, given)
    new = _not_yet_theirs(given, held, customer_id)
    await _write(run, customer_id, new)
    return _counts(new)


@dataclass(frozen=True)
class _Held:
    contact_id: uuid.UUID
    customer_id: uuid.UUID
    same: tuple[ContactKind, bytes]
    preferred: bool = False


async def _held(run: StepRun, customer_id: uuid.UUID, given: Sequence[GivenDetail]) -> list[_Held]:
    """Who holds the details given now: an email or phone number by its digest, whoever
    holds it; an address among the customer's own only (anyone may share it)."""
    digests = {d.digest: d.kind for d in given if d.digest is not None}
    found: list[Holder] = await holders(run.session, list(digests))
    held = [_Held(h.contact_id, h.customer_id, (digests[h.digest], h.digest)) for h in found]
    if any(not d.findable for d in given):
        for contact_id, text, preferred in await their_addresses(
            run.session, run.vault, customer_id
        ):
            held.append(_Held(contact_id, customer_id, _same_address(text), preferred))
    return held


def _findable(details: Sequence[GivenDetail]) -> int:
    return sum(1 for d in details if d.findable)


async def _known_without_a_name(run: StepRun, customer_id: uuid.UUID, change: int) -> None:
    """A customer whose name is not given is known by an email or phone number (a reference
    alone does not say who they are): the last one goes only with a new one, or once the
    name is recorded."""
    if await findable_contacts(run.session, customer_id) + change >= 1:
        return
    if await customer_name(run.session, run.vault, customer_id) is None:
        raise ValidationFailed(
            "input.remove",
            "would leave a customer whose name is not given without an email or phone number: "
            "add the new one in the same step, or record their name first",
        )


def _once_each(details: Sequence[GivenDetail]) -> None:
    seen: set[tuple[ContactKind, bytes]] = set()
    for detail in details:
        if detail.same in seen:
            raise ValidationFailed(detail.field, "is given twice")
        seen.add(detail.same)


def _not_yet_theirs(
    given: Sequence[GivenDetail], held: Sequence[_Held], customer_id: uuid.UUID
) -> list[GivenDetail]:
    """The details not yet the customer's; one held by another customer is refused on its
    field, saying only that (docs/workflow.md: what the refusal may reveal). Another
    customer's address is never looked for: it is not the customer's, and is added."""
    owners = {(h.same, h.customer_id) for h in held}
    new = []
    for detail in given:
        if any(s == detail.same and c != customer_id for s, c in owners):
            raise ValidationFailed(detail.field, ANOTHER_CUSTOMER)
        if (detail.same, customer_id) not in owners:
            new.append(detail)
    return new


async def _write(
    run: StepRun,
    customer_id: uuid.UUID,
    details: Sequence[GivenDetail],
    removed: Sequence[GivenDetail] = (),
) -> dict[tuple[ContactKind, bytes], uuid.UUID]:
    """Write the new details; answers each one's id. Where the customer's addresses changed
    and none is preferred now, the first new one is (a replacement, added as the old one is
    removed), else the only one left."""
    written = {}
    new_addresses = []
    for detail in details:
        contact_id = await add_contact(
            run.session, run.vault, customer_id, detail.kind, detail.value, detail.digest
        )
        written[detail.same] = contact_id
        if not detail.findable:
            new_addresses.append(contact_id)
    if new_addresses or any(not d.findable for d in removed):
        await prefer_an_address(run.session, customer_id, next(iter(new_addresses), None))
    return written


def _counts(details: Sequence[GivenDetail]) -> dict[str, int]:
    return dict(Counter(d.kind.value for d in details))


def looked_up_details(run: StepRun, who: m.CustomerLookup) -> list[GivenDetail]:
    """The email and phone number `openCase` was given to find the customer by, and the
    postal address it was given."""
    found = ((ContactKind.EMAIL, who.email), (ContactKind.PHONE, who.phone))
    given = [given_detail(run, k, v, f"input.customer.{k.value}") for k, v in found if v]
    if who.address is not None:
        given.append(given_address(who.address, "input.customer.address"))
    return given
