"""A destruction certificate keeps when destruction was asked for and when it was approved
(docs/retention.md): it named who asked and who approved, but not when, and the approval it
was copied from is deleted with the case, so nothing else kept the times. Certificates
written before this, and those without an approval, have none (null).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.add_column(sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.drop_column("approved_at")
        table.drop_column("requested_at")
