"""`tact customers import FILE.csv` on SQLite and PostgreSQL: a register imported through the
gate (logged as `system:<OS user>`) is found by the portal's lookup and opens, a customer
whose name is not given (`name_withheld`) among them, and one abroad; a bad row is named by
number and column, never by its contents, and nothing is imported; so is a row whose email,
phone number or reference another row, or a customer on the register, has."""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from records.cases import arrangements_in_force
from records.crypto import KeyRing
from records.customers import customer_ids_by, load_customer
from records.database import Database
from records.lookup import LookupKind
from records.models import AccessLogEntry, Customer
from records.vault import Vault
from tests.api.test_cli_access import Env, env, tact  # noqa: F401 (the same settings)

# An address in one cell: its lines separated by ";" or by line breaks (a spreadsheet's
# multi-line cell, quoted), the postcode last, in any case and spacing.
REGISTER = (
    "name,kind,reference,email,phone,address,notes\n"
    "Ada Imported,,CR-1,ada@example.org,07700 900001, 1 Example Street ;Exampletown;zz11zz,\n"
    'Group Imported,group,CR-2,group@example.org,,"Community Hall\r\nSample Lane\r\n\r\n'
    'ZZ9 9ZZ",meets on Tuesdays\n'
    "Bo Imported,individual,,,+44 7700 900003,,\n"
)

# Customers whose name is not given (openCase's nameWithheld): known by an email or phone.
NOT_GIVEN = (
    "name,name_withheld,email,phone,reference\n"
    "Ada Imported,no,ada@example.org,,\n"
    ",yes,no.name@example.org,,\n"
    ",TRUE,,07700 900004,CR-9\n"
)
BO = "Bo Imported,individual,,,+44 7700 900003,,"
LAST = ",TRUE,,07700 900004,CR-9"


async def import_file(env: Env, tmp_path: Path, contents: str) -> Result:  # noqa: F811
    """`tact customers import` of a file with these contents."""
    register = tmp_path / "register.csv"
    register.write_text(contents, encoding="utf-8")
    return await tact(env, "customers", "import", str(register))


async def import_entries(database: Database) -> list[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(AccessLogEntry.actor, AccessLogEntry.outcome).where(
                AccessLogEntry.operation == "import_customers"
            )
        )
        return [(actor, outcome) for actor, outcome in rows]


async def test_a_register_is_imported_through_the_gate_and_found(
    database: Database,
    env: Env,  # noqa: F811
    key_file: Path,
    tmp_path: Path,
) -> None:
    done = await import_file(env, tmp_path, REGISTER)

    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == '{"imported": 3}'
    assert await import_entries(database) == [(f"system:{getpass.getuser()}", "allowed")]
    vault = Vault(KeyRing.load(key_file), database.keystore)
    async with database.sessions() as session:
        digest = vault.blind_index(LookupKind.PHONE, "07700900003")
        (found,) = await arrangements_in_force(
            session, LookupKind.PHONE, digest, "housing", dt.date(2026, 11, 30)
        )
        bo = await load_customer(session, vault, found.customer_id)
        (group_id,) = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, "cr-2", "reference"
        )
        group = await load_customer(session, vault, group_id)
        (ada_id,) = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, "CR-1", "reference"
        )
        ada = await load_customer(session, vault, ada_id)
    if database.engine.dialect.name == "postgresql":
        # Planner statistics gathered: -1 is "never analysed" (PostgreSQL 14 and later).
        async with database.engine.connect() as conn:
            sql = "SELECT reltuples FROM pg_class WHERE relname = 'customers'"
            assert await conn.scalar(text(sql)) == 3
    assert bo.name == "Bo Imported" and bo.reference is None
    assert group.kind.value == "group" and group.notes == "meets on Tuesdays"
    # Kept as openCase keeps one: a line each, the postcode last as Royal Mail writes it.
    assert [c.value for c in group.contacts] == [
        "group@example.org",
        "Community Hall\nSample Lane\nZZ9 9ZZ",
    ]
    # The one address imported is the customer's first: preferred, the one letters go to.
    assert [(c.value, c.preferred) for c in ada.contacts if c.kind.value == "address"] == [
        ("1 Example Street\nExampletown\nZZ1 1ZZ", True)
    ]


@pytest.mark.parametrize(
    ("contents", "named"),
    [
        (REGISTER.replace(BO, "Cy Imported,,CR-3,cy@example.org,not a number,,"), "row 3 phone"),
        (REGISTER.replace(BO, "Cy Imported,person,CR-3,,,,"), "row 3 kind"),
        (REGISTER.replace(BO, " ,,CR-3,cy@example.org,,,"), "row 3 name"),
        (REGISTER.replace(BO, "Cy Imported,,CR-3,,,,Known as a vexatious caller"), "row 3 notes"),
        # An address without its postcode, with one that is not a UK postcode, a postcode
        # alone, seven lines, a line too long, or a line that labels a person.
        (REGISTER.replace(BO, "Cy Imported,,CR-3,,,1 Cy Lane;Cyton,"), "row 3 address"),
        (REGISTER.replace(BO, "Cy Imported,,CR-3,,,1 Cy Lane;Cyton;CY1,"), "row 3 address"),
        (REGISTER.replace(BO, "Cy Imported,,CR-3,,,ZZ3 3ZZ,"), "row 3 address"),
        (REGISTER.replace(BO, f"Cy Imported,,CR-3,,,{'1 Cy Lane;' * 7}ZZ3 3ZZ,"), "row 3 address"),
        (
            REGISTER.replace(BO, f"Cy Imported,,CR-3,,,1 Cy Lane{'e' * 100};ZZ3 3ZZ,"),
            "row 3 address",
        ),
        (REGISTER.replace(BO, "Cy Imported,,CR-3,,,The vexatious house;ZZ3 3ZZ,"), "row 3 address"),
        # A name not given, wrongly: with a name, spelt otherwise, neither, or nobody to know.
        (NOT_GIVEN.replace(LAST, "Cy Imported,yes,cy@example.org,,"), "row 3 name_withheld"),
        (NOT_GIVEN.replace(LAST, ",maybe,cy@example.org,,"), "row 3 name_withheld"),
        (NOT_GIVEN.replace(LAST, ",,cy@example.org,,"), "row 3 name"),
        (NOT_GIVEN.replace(LAST, ",yes,,,CR-3"), "row 3 name"),
    ],
)
async def test_a_bad_row_is_named_and_nothing_is_imported(
    database: Database,
    env: Env,  # noqa: F811
    tmp_path: Path,
    contents: str,
    named: str,
) -> None:
    done = await import_file(env, tmp_path, contents)

    assert done.exit_code == 1
    assert f"{named}:" in done.output
    for value in ("not a number", "cy@example.org", "Cy Imported", "maybe", "CR-3", "Cy Lane"):
        assert value not in done.output
    for value in ("Cyton", "CY1", "ZZ3"):
        assert value not in done.output
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_an_unknown_column_is_refused(
    env: Env,  # noqa: F811
    tmp_path: Path,
) -> None:
    done = await import_file(env, tmp_path, "name,date_of_birth\nAda Imported,1970-01-01\n")

    assert done.exit_code == 1 and "header" in done.output
    assert "1970" not in done.output


async def test_a_customer_whose_name_is_not_given_is_imported_and_found(
    database: Database,
    env: Env,  # noqa: F811
    key_file: Path,
    tmp_path: Path,
) -> None:
    done = await import_file(env, tmp_path, NOT_GIVEN)
    # No name column at all: a list of people known only by an email.
    again = await import_file(env, tmp_path, "email,name_withheld\nsomeone@example.org,yes\n")

    assert (done.exit_code, done.stdout.strip()) == (0, '{"imported": 3}'), done.output
    assert (again.exit_code, again.stdout.strip()) == (0, '{"imported": 1}'), again.output
    vault = Vault(KeyRing.load(key_file), database.keystore)
    async with database.sessions() as session:
        (by_ref,) = await customer_ids_by(
            session, vault, LookupKind.CUSTOMER_REF, "CR-9", "reference"
        )
        names = {
            email: (await load_customer(session, vault, await _found(session, vault, email))).name
            for email in ("ada@example.org", "no.name@example.org", "someone@example.org")
        }
        assert (await load_customer(session, vault, by_ref)).name is None
    assert names == {
        "ada@example.org": "Ada Imported",
        "no.name@example.org": None,
        "someone@example.org": None,
    }


@pytest.mark.parametrize(
    ("row", "named", "reason"),
    [
        ("Cy Imported,,CR-3, ADA@example.org,,,", "row 3 email", "is also given in row 1"),
        ("Cy Imported,,CR-3,,+447700900001,,", "row 3 phone", "is also given in row 1"),
        ("Cy Imported,,cr 2,,,,", "row 3 reference", "is also given in row 2"),
    ],
)
async def test_a_detail_another_row_has_is_named_and_nothing_is_imported(
    database: Database,
    env: Env,  # noqa: F811
    tmp_path: Path,
    row: str,
    named: str,
    reason: str,
) -> None:
    done = await import_file(env, tmp_path, REGISTER.replace(BO, row))

    assert done.exit_code == 1
    assert f"{named}: {reason}" in done.output, done.output
    for value in ("ada@", "ADA@", "7700", "cr 2", "CR-2", "Cy Imported"):
        assert value not in done.output
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_detail_a_customer_on_the_register_has_is_refused(
    database: Database,
    env: Env,  # noqa: F811
    tmp_path: Path,
) -> None:
    first = await import_file(env, tmp_path, REGISTER)
    # A second register, whose second row is Ada again by her phone number, spelt otherwise.
    again = await import_file(
        env, tmp_path, "name,phone\nDee Imported,07700 900005\nAda Again,+44 (0)7700 900001\n"
    )

    assert (first.exit_code, again.exit_code) == (0, 1), first.output
    assert "row 2 phone: is recorded for another customer" in again.output
    assert "7700" not in again.output and "Ada" not in again.output
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 3


async def test_an_address_abroad_is_imported_with_its_country(
    database: Database,
    env: Env,  # noqa: F811
    key_file: Path,
    tmp_path: Path,
) -> None:
    done = await import_file(
        env,
        tmp_path,
        "name,reference,address\n"
        "Eve Imported,CR-5,1 Main Street;Dublin 2;D02 X285;ie\n"
        'Fay Imported,CR-6,"Calle Mayor 1\n28013 Madrid\nES"\n',
    )

    assert (done.exit_code, done.stdout.strip()) == (0, '{"imported": 2}'), done.output
    vault = Vault(KeyRing.load(key_file), database.keystore)
    async with database.sessions() as session:
        addresses = []
        for reference in ("CR-5", "CR-6"):
            (found,) = await customer_ids_by(
                session, vault, LookupKind.CUSTOMER_REF, reference, "reference"
            )
            (contact,) = (await load_customer(session, vault, found)).contacts
            addresses.append((contact.value, contact.preferred))
    assert addresses == [
        ("1 Main Street\nDublin 2\nD02 X285\nIE", True),
        ("Calle Mayor 1\n28013 Madrid\nES", True),
    ]


async def _found(session: AsyncSession, vault: Vault, email: str) -> uuid.UUID:
    """The customer the portal's lookup finds by this email."""
    digest = vault.blind_index(LookupKind.EMAIL, email)
    (found,) = await arrangements_in_force(
        session, LookupKind.EMAIL, digest, "housing", dt.date(2026, 11, 30)
    )
    return found.customer_id
