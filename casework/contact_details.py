"""The case customer's emails, phone numbers, postal addresses and customer reference, kept
right: `record_contact_details` adds and removes them as a step of the case, and `add_missing`
adds the ones `openCase` was given for a customer it found. Both check a detail the same way, here
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
- a customer has one customer reference at most, kept on their row (not a contact detail):
  one is added to a customer who has one only in the step that removes theirs (a
  replacement); a reference they share with another customer is removed like an email;
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
from collections.abc import Callable, Sequence
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
    reference_digest,
    reference_holders,
    remove_contacts,
    their_addresses,
    ways_to_find,
)
from records.customers import customer_name, hold_customer, record_reference
from records.errors import ValidationFailed
from records.lookup import LookupKind
from records.lookup_locks import hold_lookups
from records.models import ContactKind

ANOTHER_CUSTOMER = "is recorded for another customer; a detail may find one customer only"
# A customer reference, given as {customerRef}: kept on the customer's row, one at most.
REFERENCE = LookupKind.CUSTOMER_REF
# What a detail given is: a contact detail's kind, or the customer reference.
DetailKind = ContactKind | LookupKind


@dataclass(frozen=True)
class GivenDetail:
    kind: DetailKind
    value: str  # as it is sealed
    field: str  # its place in the input, in the API's spelling: input.add.0.email
    digest: bytes | None  # the lookup's blind index; None for an address, which finds no one
    same: tuple[DetailKind, bytes]  # what makes two details one: digest, or normal form

    @property
    def findable(self) -> bool:
        """A way to find the customer: an email, a phone number or their reference."""
        return self.digest is not None

    @property
    def known_by(self) -> bool:
        """What a customer whose name is not given is known by: an email or phone number."""
        return self.kind in FINDABLE

    @property
    def is_address(self) -> bool:
        return self.kind is ContactKind.ADDRESS

    @property
    def is_reference(self) -> bool:
        return self.kind is REFERENCE


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
        if entry.customer_ref:
            found.append(given_reference(run, entry.customer_ref, f"{prefix}.{i}.customerRef"))
    return found


def given_detail(run: StepRun, kind: ContactKind, value: str, field: str) -> GivenDetail:
    """A detail as given, with the lookup's digest of it (a malformed one refused)."""
    digest = contact_digest(run.vault, kind, value, field)
    return GivenDetail(kind, value.strip(), field, digest, (kind, digest))


def given_reference(run: StepRun, value: str, field: str) -> GivenDetail:
    """A customer reference as given, with the lookup's digest of it, as `openCase` takes it
    (a malformed one refused on its field)."""
    digest = run.vault.blind_index(REFERENCE, value, field)
    return GivenDetail(REFERENCE, value.strip(), field, digest, (REFERENCE, digest))


def given_address(address: m.PostalAddress, field: str) -> GivenDetail:
    """A postal address as given (checked by its model): no digest, its normal form to tell
    it from the customer's own."""
    text = address.text
    return GivenDetail(ContactKind.ADDRESS, text, field, None, _same_address(text))


def _same_address(text: str) -> tuple[DetailKind, bytes]:
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
    await _one_reference(run, customer_id, new, removing)
    for detail in preferring:
        _may_prefer(detail, held, adding, removing)
    ways = _change(adding, removing, lambda d: d.findable)
    if await ways_to_find(run.session, customer_id) + ways < 1:
        raise ValidationFailed(
            "input.remove",
            "would leave no way to find the customer (an email, a phone number or a customer "
            "reference): add the new detail in the same step",
        )
    if removing:
        known_by = _change(adding, removing, lambda d: d.known_by)
        await _known_without_a_name(run, customer_id, known_by)
    await remove_contacts(run.session, [theirs[d.same] for d in removing if not d.is_reference])
    if any(d.is_reference for d in removing):
        await record_reference(run.session, run.vault, customer_id, None, None)
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
    contact_id: uuid.UUID  # for a customer reference, the customer's (their row holds it)
    customer_id: uuid.UUID
    same: tuple[DetailKind, bytes]
    preferred: bool = False


async def _held(run: StepRun, customer_id: uuid.UUID, given: Sequence[GivenDetail]) -> list[_Held]:
    """Who holds the details given now: an email, phone number or customer reference by its
    digest, whoever holds it; an address among the customer's own only (anyone may share
    it)."""
    digests = {d.digest: d.kind for d in given if d.digest is not None}
    contacts = [d for d, kind in digests.items() if kind is not REFERENCE]
    references = [d for d, kind in digests.items() if kind is REFERENCE]
    found: list[Holder] = [
        *await holders(run.session, contacts),
        *await reference_holders(run.session, references),
    ]
    held = [_Held(h.contact_id, h.customer_id, (digests[h.digest], h.digest)) for h in found]
    if any(d.is_address for d in given):
        for contact_id, text, preferred in await their_addresses(
            run.session, run.vault, customer_id
        ):
            held.append(_Held(contact_id, customer_id, _same_address(text), preferred))
    return held


def _change(
    adding: Sequence[GivenDetail],
    removing: Sequence[GivenDetail],
    counted: Callable[[GivenDetail], bool],
) -> int:
    """How many more of the details `counted` counts the customer has after the step."""
    return sum(map(counted, adding)) - sum(map(counted, removing))


async def _one_reference(
    run: StepRun,
    customer_id: uuid.UUID,
    new: Sequence[GivenDetail],
    removing: Sequence[GivenDetail],
) -> None:
    """A customer has one reference at most: a new one replaces theirs only in the step that
    removes it, so a reference is never overwritten by a slip (docs/workflow.md)."""
    added = [d for d in new if d.is_reference]
    if len(added) > 1:
        raise ValidationFailed(added[1].field, "is a second customer reference; give one")
    if not added or any(d.is_reference for d in removing):
        return
    if await reference_digest(run.session, customer_id) is not None:
        raise ValidationFailed(
            added[0].field,
            "the customer has a customer reference already: to replace it, remove theirs "
            "in the same step",
        )


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
    seen: set[tuple[DetailKind, bytes]] = set()
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
) -> dict[tuple[DetailKind, bytes], uuid.UUID]:
    """Write the new details; answers each contact detail's id (a new customer reference goes
    on the customer's row). Where the customer's addresses changed and none is preferred
    now, the first new one is (a replacement, added as the old one is removed), else the only
    one left."""
    written = {}
    new_addresses = []
    for detail in details:
        if not isinstance(detail.kind, ContactKind):  # the customer reference
            await record_reference(run.session, run.vault, customer_id, detail.value, detail.digest)
            continue
        contact_id = await add_contact(
            run.session, run.vault, customer_id, detail.kind, detail.value, detail.digest
        )
        written[detail.same] = contact_id
        if detail.is_address:
            new_addresses.append(contact_id)
    if new_addresses or any(d.is_address for d in removed):
        await prefer_an_address(run.session, customer_id, next(iter(new_addresses), None))
    return written


def _counts(details: Sequence[GivenDetail]) -> dict[str, int]:
    """Kinds and counts (`customer_ref` for a reference), never the values."""
    return dict(Counter(d.kind.value for d in details))


def looked_up_details(run: StepRun, who: m.CustomerLookup) -> list[GivenDetail]:
    """The email and phone number `openCase` was given to find the customer by, and the
    postal address it was given."""
    found = ((ContactKind.EMAIL, who.email), (ContactKind.PHONE, who.phone))
    given = [given_detail(run, k, v, f"input.customer.{k.value}") for k, v in found if v]
    if who.address is not None:
        given.append(given_address(who.address, "input.customer.address"))
    return given
