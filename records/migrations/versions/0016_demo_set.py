"""The profile the demonstration data set was built under (api/demo.py): it is built once,
under the profile in use the first time, and `tact serve --demo` under another profile then
served the first organisation's cases, letters and job titles as though they were the new
one's, saying nothing. Sets loaded before this have no row: the profile is unknown.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_set",
        sa.Column("profile_name", sa.String(64), nullable=False),
        sa.Column("profile_version", sa.String(40), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_name", name=op.f("pk_demo_set")),
    )


def downgrade() -> None:
    op.drop_table("demo_set")
