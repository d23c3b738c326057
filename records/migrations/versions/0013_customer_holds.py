"""Holds on a customer (docs/retention.md): an IG officer who receives a litigation or
Ombudsman notice about a person with no case must be able to keep their record, which the
retention job would otherwise destroy `customer_without_case_months` after they were added. A
placed hold now names a case or a customer: `case_id` may be null, `customer_id` is added
(deleted with the customer, indexed as every reference to deleted rows is), and a check
keeps exactly one of the two. Existing holds all name a case and keep it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As records/retention_tables.ONE_HELD; a migration keeps its own copy, as it was written.
_ONE_HELD = "(case_id IS NULL) <> (customer_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("retention_holds") as table:
        table.alter_column("case_id", existing_type=sa.Uuid(), nullable=True)
        table.add_column(sa.Column("customer_id", sa.Uuid(), nullable=True))
        table.create_foreign_key(
            op.f("fk_retention_holds_customer_id_customers"),
            "customers",
            ["customer_id"],
            ["id"],
            ondelete="CASCADE",
        )
        table.create_index(op.f("ix_retention_holds_customer_id"), ["customer_id"])
        table.create_check_constraint(
            op.f("ck_retention_holds_names_case_or_customer"), sa.text(_ONE_HELD)
        )


def downgrade() -> None:
    # A customer's hold names no case: it cannot be kept in the older shape.
    op.execute("DELETE FROM retention_holds WHERE case_id IS NULL")
    with op.batch_alter_table("retention_holds") as table:
        table.drop_constraint(op.f("ck_retention_holds_names_case_or_customer"), type_="check")
        table.drop_index(op.f("ix_retention_holds_customer_id"))
        table.drop_constraint(op.f("fk_retention_holds_customer_id_customers"), type_="foreignkey")
        table.drop_column("customer_id")
        table.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
