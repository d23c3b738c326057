"""Case workflow: the timeline of steps, the deadlines they make due, and who decided
(issue 12).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details_sealed", sa.LargeBinary(), nullable=False),
        # A review's or an appeal's outcome from a fixed list, plain so reports can count it.
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_events_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["staff.id"], name="fk_case_events_actor_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_id"),
    )
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_by_seq", sa.Integer(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_deadlines_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_deadlines"),
    )
    op.create_index("ix_case_deadlines_case_id", "case_deadlines", ["case_id"])
    op.create_index("ix_case_deadlines_open", "case_deadlines", ["met_at", "due_on"])
    # The daily sweep's query: arrangements in force whose end date has passed.
    op.create_index("ix_arrangements_state_ends_on", "arrangements", ["state", "ends_on"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("decided_by", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_cases_decided_by_staff", "staff", ["decided_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_decided_by_staff", type_="foreignkey")
        batch.drop_column("decided_by")
    op.drop_index("ix_arrangements_state_ends_on", table_name="arrangements")
    op.drop_index("ix_case_deadlines_open", table_name="case_deadlines")
    op.drop_index("ix_case_deadlines_case_id", table_name="case_deadlines")
    op.drop_table("case_deadlines")
    op.drop_table("case_events")
