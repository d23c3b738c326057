"""The migrations build exactly the schema the models describe, on both databases: a model
changed without a migration (or the reverse) fails here, not in production."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect
from sqlalchemy.engine import Connection

from records.database import Database
from records.migrate import alembic_config, current_revision, head_revision
from records.models import Case, Customer, Service
from records.tables import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
    assert await current_revision(database.engine) == head_revision()


# Reference data that is never deleted (staff are made inactive, services stay): a reference
# to it is checked only when the referring row is written, by the referenced table's key.
NEVER_DELETED = {"staff", "services"}


def _unindexed_references(connection: Connection) -> list[str]:
    inspector = inspect(connection)
    missing = []
    for table in inspector.get_table_names():
        leading = {tuple(i["column_names"][:1]) for i in inspector.get_indexes(table)}
        leading |= {tuple(u["column_names"][:1]) for u in inspector.get_unique_constraints(table)}
        leading.add(tuple(inspector.get_pk_constraint(table)["constrained_columns"][:1]))
        for reference in inspector.get_foreign_keys(table):
            first = tuple(reference["constrained_columns"][:1])
            if reference["referred_table"] not in NEVER_DELETED and first not in leading:
                missing.append(f"{table}.{first[0]} -> {reference['referred_table']}")
    return missing


async def test_every_reference_to_rows_that_are_deleted_has_an_index(database: Database) -> None:
    # Deleting a row makes the database look for rows that refer to it; without an index on
    # the referring column, each look reads the whole table (migration 0008: 4.1 s against
    # 28 ms for a hundred cases with their concerns and evidence on PostgreSQL).
    async with database.engine.connect() as connection:
        missing = await connection.run_sync(_unindexed_references)
    assert missing == []


def _migrate(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def test_the_upgrade_to_one_case_in_progress_names_the_cases_in_its_way(
    database: Database,
) -> None:
    # Given a database from before the rule (0009) with two cases in progress for one
    # customer in one service, beside a closed one
    async with database.engine.connect() as connection:
        try:
            await connection.run_sync(_migrate, "0009")
            service, customer = uuid.uuid4(), uuid.uuid4()
            await connection.execute(insert(Service).values(id=service, slug="h", name="H"))
            await connection.execute(
                insert(Customer).values(id=customer, kind="individual", name_sealed=b"\x00")
            )
            for reference, state in (("MC-1", "open"), ("MC-2", "decided"), ("MC-3", "ended")):
                await connection.execute(
                    insert(Case).values(
                        id=uuid.uuid4(), reference=reference, service_id=service,
                        customer_id=customer, state=state,
                    )
                )  # fmt: skip
            # When it is upgraded, then it refuses, naming the two by reference, and changes
            # nothing
            with pytest.raises(RuntimeError, match=r"MC-1, MC-2$"):
                await connection.run_sync(_migrate, "head")
        finally:
            await connection.rollback()
    assert await current_revision(database.engine) == head_revision()
