"""A detail shared by customers with no case, resolved at the command line: a register is
imported with `tact customers import`, and rows as an import before the rule that a detail
finds one customer wrote them give a second customer its email and reference; `tact customers
duplicates` lists the groups, `openCase` by the email is refused; `tact customers
remove-detail CUSTOMER KIND` (the value typed when asked, never an argument) takes each from
the customer it is not theirs, through the gate (one entry naming the customer); the listing
is then empty and `openCase` by the email and by the reference finds the one customer each
now finds. Every refusal (a customer with a case, a value they do not hold or no one else
holds, their last way to be found, a member of staff not permitted) is told on its field,
never with the value, and changes nothing."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select

from records.contact_details import add_contact
from records.customers import (
    NewCustomer,
    create_customers,
    customer_ids_by,
    record_reference,
)
from records.lookup import LookupKind
from records.models import AccessLogEntry, Case, ContactDetail, ContactKind, Customer, CustomerKind
from tests.cli import Env, tact, tact_env
from tests.scenarios.conftest import WalkFactory
from tests.scenarios.test_contact_details import PROFILE
from tests.scenarios.world import Walk

ADA_EMAIL = "ada@example.org"
BO_PHONE = "07700 900002"
CY_EMAIL = "cy@example.org"
REGISTER = (
    "name,name_withheld,reference,email,phone\n"
    f"Ada Imported,,CR-1,{ADA_EMAIL},\n"
    f"Bo Imported,,CR-2,,{BO_PHONE}\n"
    ",yes,CR-3,cy@example.org,\n"
    "Dee Imported,,,,07700 900004\n"
)
# What may never be printed: the values and the names. The names whole: "Ada" and "Dee" alone
# are hexadecimal, and turn up in the customers' ids that are printed.
PRIVATE = (
    ADA_EMAIL,
    CY_EMAIL,
    "CR-1",
    "CR-3",
    "900002",
    "Ada Imported",
    "Bo Imported",
    "Dee Imported",
)


@dataclass(frozen=True)
class Register:
    walk: Walk
    env: Env
    ada: uuid.UUID
    bo: uuid.UUID
    dee: uuid.UUID


@pytest.fixture
async def register(
    walk_factory: WalkFactory, database_urls: tuple[str, str], key_file: Path, tmp_path: Path
) -> AsyncIterator[Register]:
    """REGISTER imported as the README shows, on the app serving the profile; then Bo given
    Ada's email and Dee her reference, as an import before the rule wrote them."""
    env = tact_env(database_urls, key_file, tmp_path, TACT_JWKS=None, TACT_PROFILE=PROFILE)
    async with walk_factory(PROFILE, dt.date(2026, 3, 2)) as walk:
        yield Register(walk, env, *await _imported_sharing(walk, env, tmp_path))


async def test_a_shared_detail_is_removed_from_a_customer_with_no_case(
    register: Register,
) -> None:
    walk, env, ada, bo, dee = register.walk, register.env, register.ada, register.bo, register.dee
    listed = await tact(env, "customers", "duplicates")
    groups = [json.loads(line) for line in listed.stdout.splitlines()][:-1]
    assert [(g["kind"], {c["customer"] for c in g["customers"]}) for g in groups] == [
        ("reference", {str(ada), str(dee)}),
        ("email", {str(ada), str(bo)}),
    ]
    assert all(c["cases"] == [] for g in groups for c in g["customers"])
    refused = await walk.open_refused("officer", {"email": ADA_EMAIL})
    assert "more than one customer" in refused.message

    removed = await _remove(env, bo, "email", ADA_EMAIL)
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout.splitlines()[-1]) == {
        "customer": str(bo),
        "removed": "email",
    }
    _private_kept(removed)
    # The IG officer in every service may too: the reference, from Dee.
    by_ig = await _remove(env, dee, "reference", "cr-1", "--as", "helpdesk")
    assert by_ig.exit_code == 0, by_ig.output

    assert await _logged(walk) == [
        (f"system:{getpass.getuser()}", str(bo), "allowed"),
        ("staff:helpdesk", str(dee), "allowed"),
    ]
    after = await tact(env, "customers", "duplicates")
    assert after.stdout == "no customers share a detail\n", after.output
    # Each now finds the one customer: a case opens for Ada by the email, and by the
    # reference in another service; Bo and Dee keep their other details.
    by_email = await walk.open("officer", {"email": ADA_EMAIL})
    by_reference = await walk.open("helpdesk", {"customerRef": "CR-1"}, "fire-safety")
    assert not by_email["event"]["details"]["customerCreated"]
    assert not by_reference["event"]["details"]["customerCreated"]
    assert await _customers_of(walk) == {ada}
    assert await _found(walk, LookupKind.PHONE, BO_PHONE) == (bo,)
    assert await _found(walk, LookupKind.CUSTOMER_REF, "CR-2") == (bo,)
    assert await _found(walk, LookupKind.PHONE, "07700 900004") == (dee,)


async def test_each_refusal_is_named_and_changes_nothing(register: Register) -> None:
    walk, env, ada, bo, dee = register.walk, register.env, register.ada, register.bo, register.dee
    (cy,) = await _found(walk, LookupKind.CUSTOMER_REF, "CR-3")
    # Cy (name not given) and Eve (known by that email alone) share Cy's email.
    eve = await _customer_holding(walk, CY_EMAIL)
    await walk.open("officer", {"customerRef": "CR-2"})  # Bo now has a case
    before = await _details(walk)
    listed = (await tact(env, "customers", "duplicates")).stdout

    cases = [
        ((bo, "email", ADA_EMAIL), "customer: has a case: their case team corrects"),
        ((ada, "email", "other@example.org"), "email: is not recorded for this customer"),
        ((bo, "phone", BO_PHONE), "customer: has a case"),
        ((dee, "phone", "07700 900004"), "phone: no other customer has it"),
        ((eve, "email", CY_EMAIL), "email: is the customer's last way to be found"),
        ((cy, "email", CY_EMAIL), "email: is the last email or phone number of a customer"),
        ((ada, "email", "not an email"), "email: is not an email address"),
    ]
    for (customer, kind, value), said in cases:
        refused = await _remove(env, customer, kind, value)
        assert refused.exit_code == 1, (kind, refused.output)
        assert f"Error: {said}" in refused.output, refused.output
        _private_kept(refused)
    not_permitted = await _remove(env, ada, "email", ADA_EMAIL, "--as", "officer")
    nobody = await _remove(env, uuid.uuid4(), "email", ADA_EMAIL)
    for refused in (not_permitted, nobody):
        assert refused.exit_code == 1 and "Error: " in refused.output, refused.output
        _private_kept(refused)

    assert await _details(walk) == before
    assert (await tact(env, "customers", "duplicates")).stdout == listed
    outcomes = [outcome for _, _, outcome in await _logged(walk)]
    assert outcomes == ["refused"] * len(cases) + ["denied", "not_found"]


async def _imported_sharing(walk: Walk, env: Env, tmp_path: Path) -> list[uuid.UUID]:
    """Ada's, Bo's and Dee's ids, sharing as `register` says."""
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    imported = await tact(env, "customers", "import", str(register))
    assert imported.exit_code == 0, imported.output
    (ada,) = await _found(walk, LookupKind.CUSTOMER_REF, "CR-1")
    (bo,) = await _found(walk, LookupKind.CUSTOMER_REF, "CR-2")
    (dee,) = await _found(walk, LookupKind.PHONE, "07700 900004")
    vault = walk.runtime.vault
    async with walk.runtime.database.sessions() as session, session.begin():
        digest = vault.blind_index(LookupKind.EMAIL, ADA_EMAIL)
        await add_contact(session, vault, bo, ContactKind.EMAIL, ADA_EMAIL, digest)
        reference = vault.blind_index(LookupKind.CUSTOMER_REF, "CR-1")
        await record_reference(session, vault, dee, "CR-1", reference)
    return [ada, bo, dee]


async def _customer_holding(walk: Walk, email: str) -> uuid.UUID:
    new = NewCustomer(CustomerKind.INDIVIDUAL, "Eve Imported", contacts=[])
    vault = walk.runtime.vault
    async with walk.runtime.database.sessions() as session, session.begin():
        (eve,) = await create_customers(session, vault, [new])
        digest = vault.blind_index(LookupKind.EMAIL, email)
        await add_contact(session, vault, eve, ContactKind.EMAIL, email, digest)
    return eve


async def _remove(env: Env, customer: uuid.UUID, kind: str, value: str, *more: str) -> Result:
    """`tact customers remove-detail CUSTOMER KIND`, the value typed when asked."""
    args = ("customers", "remove-detail", str(customer), kind, *more)
    return await tact(env, *args, given=f"{value}\n")


def _private_kept(result: Result) -> None:
    for value in PRIVATE:
        assert value.casefold() not in result.output.casefold(), result.output


async def _found(walk: Walk, kind: LookupKind, value: str) -> tuple[uuid.UUID, ...]:
    async with walk.runtime.database.sessions() as session:
        return await customer_ids_by(session, walk.runtime.vault, kind, value, "value")


async def _details(walk: Walk) -> set[tuple[Any, ...]]:
    """Every customer's findable details, by blind index, and their references."""
    async with walk.runtime.database.sessions() as session:
        contacts = await session.execute(
            select(ContactDetail.customer_id, ContactDetail.kind, ContactDetail.digest)
        )
        references = await session.execute(select(Customer.id, Customer.reference_digest))
        return {tuple(row) for rows in (contacts, references) for row in rows}


async def _customers_of(walk: Walk) -> set[uuid.UUID]:
    async with walk.runtime.database.sessions() as session:
        return set((await session.scalars(select(Case.customer_id))).all())


async def _logged(walk: Walk) -> list[tuple[str, str, str]]:
    """The access log's remove_shared_detail entries: (actor, customer id, outcome)."""
    async with walk.runtime.database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.actor, AccessLogEntry.customer_id, AccessLogEntry.outcome)
            .where(AccessLogEntry.operation == "remove_shared_detail")
            .order_by(AccessLogEntry.seq)
        )
        return [(actor, str(customer), outcome) for actor, customer, outcome in rows]
