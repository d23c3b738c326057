"""A destruction certificate keeps the destroyed case's random id (docs/retention.md): its
access-log entries keep that id, and the certificate only the reference, so an IG officer
asking the log about a destroyed case by its reference found nothing. Certificates written
before this have no id to give (null): nothing else recorded which case they were.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))
        table.create_index("ix_destruction_certificates_case_id", ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.drop_index("ix_destruction_certificates_case_id")
        table.drop_column("case_id")
