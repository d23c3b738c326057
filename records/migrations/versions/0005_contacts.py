"""Contact check and screening: recorded contacts and the screening queue (issue 12).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("matter_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=160), nullable=False),
        sa.Column("needs_screening", sa.Boolean(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("screened_by", sa.Uuid(), nullable=True),
        sa.Column("new_matter", sa.Boolean(), nullable=True),
        sa.Column("screening_note_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("referral_reference", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_contacts_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_contacts_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_contacts_service_id_services"
        ),
        sa.ForeignKeyConstraint(
            ["screened_by"], ["staff.id"], name="fk_contacts_screened_by_staff"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
    )
    op.create_index(
        "ix_contacts_customer_id_contacted_at", "contacts", ["customer_id", "contacted_at"]
    )
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"])
    op.create_index(
        "ix_contacts_screening", "contacts", ["service_id", "needs_screening", "screened_at"]
    )


def downgrade() -> None:
    op.drop_table("contacts")
