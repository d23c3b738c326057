"""Records management: holds, retention steps, destruction certificates (issue 13).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLD_REASONS = (
    "litigation",
    "ombudsman_investigation",
    "subject_access_request",
    "open_complaint",
    "appeal_open",
    "review_open",
)


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _actor(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length=160), nullable=nullable)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "destruction_certificates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_reference", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("profile_name", sa.String(length=64), nullable=False),
        sa.Column("profile_version", sa.String(length=40), nullable=False),
        sa.Column("trigger_on", sa.Date(), nullable=False),
        sa.Column("archive_on", sa.Date(), nullable=False),
        sa.Column("destroy_on", sa.Date(), nullable=False),
        _actor("requested_by", nullable=True),
        _actor("approved_by", nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("bundle_digest", sa.String(length=64), nullable=True),
        sa.Column("keys_shredded", sa.Integer(), nullable=False),
        _actor("destroyed_by"),
        _when("destroyed_at"),
        _when("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_certificates")),
        sa.UniqueConstraint(
            "case_reference", name=op.f("uq_destruction_certificates_case_reference")
        ),
    )
    op.create_table(
        "retention_progress",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "archived", "rows_deleted", name="retentionstep", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("bundle_key", sa.String(length=200), nullable=True),
        sa.Column("bundle_digest", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("certificate_id", sa.Uuid(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_retention_progress")),
    )
    op.create_index("ix_retention_progress_step", "retention_progress", ["step"])
    op.create_table(
        "subject_access_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        _actor("opened_by"),
        _when("opened_at"),
        _actor("completed_by", nullable=True),
        _when("completed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subject_access_requests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_requests")),
    )
    op.create_index(
        op.f("ix_subject_access_requests_customer_id"), "subject_access_requests", ["customer_id"]
    )
    op.create_table(
        "destruction_approvals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("destroy_on", sa.Date(), nullable=False),
        _actor("requested_by"),
        _when("requested_at"),
        _actor("approved_by", nullable=True),
        _when("approved_at", nullable=True),
        _case_fk("destruction_approvals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_approvals")),
    )
    op.create_index(
        op.f("ix_destruction_approvals_case_id"), "destruction_approvals", ["case_id"]
    )
    op.create_table(
        "retention_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(*_HOLD_REASONS, name="holdreason", native_enum=False, length=40),
            nullable=False,
        ),
        _actor("placed_by"),
        _when("placed_at"),
        _actor("released_by", nullable=True),
        _when("released_at", nullable=True),
        _case_fk("retention_holds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_holds")),
    )
    op.create_index(op.f("ix_retention_holds_case_id"), "retention_holds", ["case_id"])


def downgrade() -> None:
    for table in (
        "retention_holds",
        "destruction_approvals",
        "subject_access_requests",
        "retention_progress",
        "destruction_certificates",
    ):
        op.drop_table(table)
