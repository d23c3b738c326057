"""`tact customers import FILE.csv`: a council's existing register of customers, loaded in bulk
(records/customer_import.py): sealed, blind-indexed and each given a data key exactly as
customers made one at a time, at thousands a second.

The file is CSV with a header row. `name` is required; `kind` (individual, group,
organisation; individual if empty), `reference`, `email`, `phone`, `address` and `notes` are
optional; any other column is refused. Rows are counted from the first one after the header.
All or nothing: a bad row is named with its field, never its contents, and nothing is written.

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
from collections.abc import Iterator
from pathlib import Path

import click

from api.cli_access import operator
from api.cli_runtime import with_runtime
from api.runtime import Runtime
from authz.gate import Target
from authz.operations import Operation
from casework.label_guard import check_text
from records.customer_import import import_customers, refresh_statistics, worker_pool
from records.customers import NewContact, NewCustomer
from records.errors import ValidationFailed
from records.models import ContactKind, CustomerKind

COLUMNS = ("name", "kind", "reference", "email", "phone", "address", "notes")
_CONTACTS = (("email", ContactKind.EMAIL), ("phone", ContactKind.PHONE))
_KINDS = {k.value: k for k in CustomerKind}


def read_register(path: Path) -> Iterator[NewCustomer]:
    """The file's rows as new customers, read as they are needed (a register can be large)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or ()]
        unknown = [h for h in header if h not in COLUMNS]
        if "name" not in header or unknown:
            raise ValidationFailed(
                "header", f"needs a name column; known columns are {', '.join(COLUMNS)}"
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
        contacts.append(NewContact(ContactKind.ADDRESS, text["address"]))
    check_text(f"row {row} notes", text.get("notes"))  # a register's notes go on file too
    return NewCustomer(
        kind,
        text.get("name", ""),
        reference=text.get("reference") or None,
        contacts=contacts,
        notes=text.get("notes") or None,
    )


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


def customers_commands(group: click.Group) -> None:
    """Register this module's commands on the `tact` group."""

    @group.group("customers", help="The customer register.")
    def customers() -> None:
        pass

    @customers.command(
        "import",
        help="Import customers from a CSV file (columns: name, kind, reference, email, phone, "
        "address, notes). All or nothing: a bad row is named and nothing is written.",
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
