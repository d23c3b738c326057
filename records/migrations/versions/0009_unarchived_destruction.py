"""Certificates of cases destroyed without being archived (issue 13): `archive_on` may be
null, and `not_archived_reason` says why the case was not archived.

A case already past its destruction date when the retention job first reaches it is
destroyed directly: no archive bundle is written, so its certificate has no bundle digest
and no archive date. Existing certificates are of archived cases and keep both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_certificates") as table:
        table.alter_column("archive_on", existing_type=sa.Date(), nullable=True)
        table.add_column(
            sa.Column(
                "not_archived_reason",
                sa.Enum("past_destruction_date", name="notarchived", native_enum=False, length=40),
                nullable=True,
            )
        )


def downgrade() -> None:
    # The schedule's archive date is its trigger date: put back where there is none, so the
    # column can be required again (what said the case was never archived is dropped).
    op.execute(
        "UPDATE destruction_certificates SET archive_on = trigger_on WHERE archive_on IS NULL"
    )
    with op.batch_alter_table("destruction_certificates") as table:
        table.drop_column("not_archived_reason")
        table.alter_column("archive_on", existing_type=sa.Date(), nullable=False)
