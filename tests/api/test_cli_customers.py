"""`tact customers import FILE.csv` on SQLite and PostgreSQL: a register imported through the
gate (logged as `system:<OS user>`) is found by the portal's lookup and opens; a bad row is
named by number and column, never by its contents, and nothing is imported."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from records.cases import arrangements_in_force
from records.crypto import KeyRing
from records.customers import customer_ids_by_reference, load_customer
from records.database import Database
from records.lookup import LookupKind
from records.models import AccessLogEntry, Customer
from records.vault import Vault
from tests.api.test_cli_access import Env, env, tact  # noqa: F401 (the same settings)

REGISTER = (
    "name,kind,reference,email,phone,address,notes\n"
    "Ada Imported,,CR-1,ada@example.org,07700 900001,1 Example Street,\n"
    "Group Imported,group,CR-2,group@example.org,,,meets on Tuesdays\n"
    "Bo Imported,individual,,,+44 7700 900003,,\n"
)


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
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")

    done = await tact(env, "customers", "import", str(register))

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
        (group_id,) = await customer_ids_by_reference(session, vault, "cr-2", "reference")
        group = await load_customer(session, vault, group_id)
    if database.engine.dialect.name == "postgresql":
        # Planner statistics gathered: -1 is "never analysed" (PostgreSQL 14 and later).
        async with database.engine.connect() as conn:
            sql = "SELECT reltuples FROM pg_class WHERE relname = 'customers'"
            assert await conn.scalar(text(sql)) == 3
    assert bo.name == "Bo Imported" and bo.reference is None
    assert group.kind.value == "group" and group.notes == "meets on Tuesdays"
    assert [c.value for c in group.contacts] == ["group@example.org"]


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("Cy Imported,,CR-3,cy@example.org,not a number,,", "row 3 phone"),
        ("Cy Imported,person,CR-3,,,,", "row 3 kind"),
        (" ,,CR-3,cy@example.org,,,", "row 3 name"),
        ("Cy Imported,,CR-3,,,,Known as a vexatious caller", "row 3 notes"),
    ],
)
async def test_a_bad_row_is_named_and_nothing_is_imported(
    database: Database,
    env: Env,  # noqa: F811
    tmp_path: Path,
    line: str,
    named: str,
) -> None:
    register = tmp_path / "register.csv"
    register.write_text(REGISTER.replace("Bo Imported,individual,,,+44 7700 900003,,", line))

    done = await tact(env, "customers", "import", str(register))

    assert done.exit_code == 1
    assert named in done.output
    assert "not a number" not in done.output and "cy@example.org" not in done.output
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_an_unknown_column_is_refused(
    env: Env,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = tmp_path / "register.csv"
    register.write_text("name,date_of_birth\nAda Imported,1970-01-01\n")

    done = await tact(env, "customers", "import", str(register))

    assert done.exit_code == 1 and "header" in done.output
    assert "1970" not in done.output
