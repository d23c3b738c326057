"""Who added an attachment (docs/workflow.md, "Attachments"): the case file lists each one
with the member of staff who added it. Nothing could add an attachment before this revision,
so no row lacks it; the column is nullable only as the timeline's actor is, for a step taken
by no member of staff.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as table:
        table.add_column(sa.Column("added_by", sa.Uuid(), nullable=True))
        table.create_foreign_key(
            op.f("fk_attachments_added_by_staff"), "staff", ["added_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments") as table:
        table.drop_constraint(op.f("fk_attachments_added_by_staff"), type_="foreignkey")
        table.drop_column("added_by")
