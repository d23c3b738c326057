"""`tact customers import FILE.csv`: a council's existing register of customers, loaded in bulk
(records/customer_import.py): sealed, blind-indexed and each given a data key exactly as
customers made one at a time, at thousands a second.

The file is CSV with a header row. Each row gives a `name`, or says it is not given in
`name_withheld` (`yes`; the customer is then known by their `email` or `phone`, as with
openCase's `nameWithheld`; `no` or empty otherwise); the header needs one of the two columns.
`kind` (individual, group, organisation; individual if empty), `reference`, `email`, `phone`,
`address` and `notes` are optional; any other column is refused. An `address` is a postal
address in one cell, its lines separated by ";" or by line breaks (a spreadsheet's multi-line
cell): a UK one ends with its postcode ("1 Example Street;Exampletown;ZZ1 1ZZ"), one abroad
with its country's ISO 3166-1 alpha-2 code after its postal code, if any ("1 Main Street;
Dublin 2;D02 X285;IE"), checked as openCase checks one (records/addresses.py
`address_from_cell`). Rows are counted from the first one after the header. All or nothing: a
bad row is named with its column, never its contents, and nothing is written; so is an email,
phone number or reference that another row of the file, or a customer already on the
register, has (records/customer_import.py): a detail finds one customer only.

It goes through the gate (IMPORT_CUSTOMERS) as the person at the terminal, `system:<OS user>`
with the admin role, like every CLI change: the import and its access-log entry commit
together. On PostgreSQL the imported tables are then analysed, so the first lookups after a
large import are planned for the register's real size. On SQLite (the embedded default) the
import holds the write lock of both files until it commits, so a server using them waits:
import a large register while the server is quiet.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.cli import COMMANDS
from api.cli_access import operator
from api.cli_runtime import as_staff, with_runtime
from authz.gate import Target
from authz.operations import Operation
from casework.label_guard import check_text
from records.addresses import address_from_cell
from records.customer_import import import_customers, refresh_statistics, worker_pool
from records.customers import NewContact, NewCustomer
from records.errors import ValidationFailed
from records.models import ContactKind, CustomerKind
from records.shared_details import (
    KINDS,
    REFERENCE,
    SharedDetail,
    remove_shared_detail,
    shared_details,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.runtime import Runtime
    from authz.actor import Actor

COLUMNS = ("name", "name_withheld", "kind", "reference", "email", "phone", "address", "notes")
_CONTACTS = (("email", ContactKind.EMAIL), ("phone", ContactKind.PHONE))
_KINDS = {k.value: k for k in CustomerKind}
# `name_withheld` as a spreadsheet may spell it.
_WITHHELD = dict.fromkeys(("yes", "true", "1"), True) | dict.fromkeys(
    ("no", "false", "0", ""), False
)


def read_register(path: Path) -> Iterator[NewCustomer]:
    """The file's rows as new customers, read as they are needed (a register can be large)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or ()]
        unknown = [h for h in header if h not in COLUMNS]
        if not {"name", "name_withheld"} & set(header) or unknown:
            raise ValidationFailed(
                "header",
                f"needs a name or name_withheld column; known columns are {', '.join(COLUMNS)}",
            )
        reader.fieldnames = header
        for row, values in enumerate(reader, start=1):
            yield _customer(row, values)


def _customer(row: int, values: dict[str, str | None]) -> NewCustomer:
    text = {k: (v or "").strip() for k, v in values.items() if k in COLUMNS}
    kind = _KINDS.get(text.get("kind") or CustomerKind.INDIVIDUAL.value)
    if kind is None:
        raise ValidationFailed(f"row {row} kind", f"must be one of {', '.join(_KINDS)}")
    contacts = [
        NewContact(k, text[column], label=column) for column, k in _CONTACTS if text.get(column)
    ]
    if text.get("address"):
        # Checked as openCase checks one; their first address, so preferred
        # (casework/contact_details.py): letters go to it.
        address = address_from_cell(text["address"], f"row {row} address")
        check_text(f"row {row} address", address)
        contacts.append(NewContact(ContactKind.ADDRESS, address, preferred=True))
    check_text(f"row {row} notes", text.get("notes"))  # a register's notes go on file too
    return NewCustomer(
        kind,
        _name(row, text),
        reference=text.get("reference") or None,
        contacts=contacts,
        notes=text.get("notes") or None,
    )


def _name(row: int, text: dict[str, str]) -> str | None:
    """The row's name; None where `name_withheld` says it is not given (records/customers.py
    then requires an email or phone number, naming the row's `name`)."""
    withheld = _WITHHELD.get(text.get("name_withheld", "").casefold())
    if withheld is None:
        raise ValidationFailed(f"row {row} name_withheld", "must be yes or no (or empty: no)")
    name = text.get("name", "")
    if withheld and name:
        raise ValidationFailed(
            f"row {row} name_withheld", "give a name or say it is not given, not both"
        )
    if not (withheld or name):
        raise ValidationFailed(
            f"row {row} name", "is empty: give one, or say it is not given (name_withheld yes)"
        )
    return None if withheld else name


async def import_register(runtime: Runtime, path: Path, workers: int) -> int:
    pool = worker_pool(workers) if workers > 0 else None
    try:
        async with (
            runtime.database.sessions() as session,
            runtime.gate.access(
                session, operator(), Operation.IMPORT_CUSTOMERS, Target()
            ) as access,
        ):
            count = await import_customers(
                access.session, runtime.vault, read_register(path), executor=pool
            )
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    await refresh_statistics(runtime.database.engine, runtime.database.keystore.engine)
    return count


NONE_SHARED = "no customers share a detail"
# What to do about a group of each kind: said once, after the groups.
RESOLVE = {
    "email": "on a case of each customer the email is not theirs, recordContactDetails with "
    "remove: [{email}] (their case file shows it to those who may read it; add theirs in the "
    "same step if it was their only way to be found), then run this again; for a customer "
    "with no case, `tact customers remove-detail CUSTOMER email`, typing the email from the "
    "source register when asked",
    "phone": "as for an email: recordContactDetails with remove: [{phone}] on a case of each "
    "customer the phone number is not theirs, or `tact customers remove-detail CUSTOMER "
    "phone` for one with no case, then run this again",
    REFERENCE: "as for an email: recordContactDetails with remove: [{customerRef}] on a case "
    "of each customer the reference is not theirs (add: [{customerRef}] with their own in the "
    "same step, if they have one), or `tact customers remove-detail CUSTOMER reference` for "
    "one with no case, then run this again",
}


async def acting(session: AsyncSession, username: str | None) -> Actor:
    """Who a command acts as: the operator, or the member of staff `--as` names."""
    return operator() if username is None else await as_staff(session, username)


async def find_shared(runtime: Runtime, username: str | None) -> list[SharedDetail]:
    """The groups, read through the gate as the operator or as `username`."""
    async with runtime.database.sessions() as session:
        actor = await acting(session, username)
        async with runtime.gate.access(
            session, actor, Operation.FIND_SHARED_DETAILS, Target()
        ) as access:
            groups = await shared_details(access.session)
            for group in groups:
                for sharer in group.customers:
                    # One entry per case listed, or one for a customer with none.
                    case_ids: list[uuid.UUID | None] = [c.case_id for c in sharer.cases]
                    for case_id in case_ids or [None]:
                        access.touched(customer_id=sharer.customer_id, case_id=case_id)
    return groups


async def remove_detail(
    runtime: Runtime, customer_id: uuid.UUID, kind: str, value: str, username: str | None
) -> None:
    """Remove the detail from the customer through the gate, as the operator or `username`:
    one access-log entry naming the customer, the removal and it committed together."""
    async with runtime.database.sessions() as session:
        actor = await acting(session, username)
        async with runtime.gate.access(
            session, actor, Operation.REMOVE_SHARED_DETAIL, Target(customer_id=customer_id)
        ) as access:
            await remove_shared_detail(access.session, runtime.vault, customer_id, kind, value)


def group_line(number: int, group: SharedDetail) -> dict[str, object]:
    return {
        "group": number,
        "kind": group.kind,
        "customers": [
            {
                "customer": str(sharer.customer_id),
                "cases": [{"case": c.reference, "state": c.state.value} for c in sharer.cases],
            }
            for sharer in group.customers
        ],
    }


def as_option(verb: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """`--as USERNAME`: the member of staff the command acts as, else the operator."""
    return click.option(
        "--as",
        "username",
        help=f"{verb} as this member of staff (an IG officer in every service) instead of as "
        "the operator (admin).",
    )


def customers_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""

    @group.group("customers", help=COMMANDS["customers"].summary)
    def customers() -> None:
        pass

    @customers.command(
        "import",
        help="Import customers from a CSV file (columns: name, name_withheld, kind, reference, "
        "email, phone, address, notes; an address's lines separated by ';' or line breaks, "
        "the postcode last, or for one abroad its country's code last: IE, ES). All or "
        "nothing: a bad row, or an email, phone or reference another customer or row has, "
        "is named and nothing is written.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--workers",
        type=click.IntRange(0, 64),
        default=0,
        show_default=True,
        help="Seal in this many worker processes besides writing in this one (large files).",
    )
    def import_command(file: Path, workers: int) -> None:
        count = with_runtime(lambda runtime: import_register(runtime, file, workers))
        click.echo(json.dumps({"imported": count}))

    @customers.command(
        "duplicates",
        help="Customers who share an email, phone number or customer reference, one JSON line "
        "per group: the kind of detail, each customer's id and their cases' references and "
        "states, never the value; then how to resolve each kind. Exit 0 either way.",
    )
    @as_option("Read")
    def duplicates_command(username: str | None) -> None:
        groups = with_runtime(lambda runtime: find_shared(runtime, username))
        if not groups:
            click.echo(NONE_SHARED)
            return
        for number, found in enumerate(groups, start=1):
            click.echo(json.dumps(group_line(number, found)))
        kinds = dict.fromkeys(g.kind for g in groups)
        click.echo(json.dumps({"groups": len(groups), "next": {k: RESOLVE[k] for k in kinds}}))

    @customers.command(
        "remove-detail",
        help="Remove an email, phone number or customer reference (KIND: email, phone or "
        "reference) from a customer with no case (CUSTOMER_ID), each as `duplicates` prints "
        "it, where another customer has it too. The value is asked for, never an argument and "
        "never shown: type it as the source register gives it; it is removed only if this "
        "customer has it. A customer with a case is corrected on it (recordContactDetails).",
    )
    @click.argument("customer_id", type=click.UUID)
    @click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
    @as_option("Act")
    def remove_detail_command(customer_id: uuid.UUID, kind: str, username: str | None) -> None:
        value = click.prompt(f"The {kind} to remove (not shown)", hide_input=True)
        with_runtime(lambda runtime: remove_detail(runtime, customer_id, kind, value, username))
        click.echo(json.dumps({"customer": str(customer_id), "removed": kind}))
