"""Certificates of customers destroyed without a case (docs/retention.md): a customer who
never had a case (`tact customers import`), or was left without one, is destroyed a set time
after they were added. Their certificate names no case: `case_reference` may be null, and
`customer_id` holds the customer's random id, the one their access-log entries name (never
their name or reference). Existing certificates are of cases and keep their reference.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.alter_column("case_reference", existing_type=sa.String(40), nullable=True)
        table.add_column(sa.Column("customer_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    # A customer's certificate has no case to name: it cannot be kept in the older shape.
    op.execute("DELETE FROM destruction_certificates WHERE case_reference IS NULL")
    with op.batch_alter_table("destruction_certificates") as table:
        table.drop_column("customer_id")
        table.alter_column("case_reference", existing_type=sa.String(40), nullable=False)
